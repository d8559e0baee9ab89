import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import { SpireFederationOptions } from './spiffe-federation';
import { guardArgs, staticScope } from '../intent/_guards';
import { ClusterPeer } from '../intent/cluster-peer';

/**
 * A SPIRE deployment whose spire-controller-manager reconciles ClusterSPIFFEIDs
 * (`SpireDeployment`).
 */
export interface ISpireDeployment extends IConstruct {
  /** The trust domain. */
  readonly trustDomain: string;
  /** The controller manager's class name: registrations of other classes are ignored. */
  readonly className: string;
  /** The CA TTL: SVIDs live at most half of it. */
  readonly caTtl: Duration;
}

/**
 * The key type of the SPIRE server's signing CA.
 */
export enum CaKeyType {
  /** RSA 2048 (the Helm chart's default). */
  RSA_2048 = 'rsa-2048',
  /** RSA 4096. */
  RSA_4096 = 'rsa-4096',
  /** ECDSA P-256. */
  EC_P256 = 'ec-p256',
  /** ECDSA P-384. */
  EC_P384 = 'ec-p384',
}

/**
 * Where the SPIRE server keeps its CA private keys.
 */
export enum SpireKeyManager {
  /** A file on the server's persistent volume (`/run/spire/data/keys.json`): survives restarts. */
  DISK = 'disk',
  /** Memory only: every restart creates a new CA. */
  MEMORY = 'memory',
}

/**
 * How the SPIRE agent's k8s workload attestor verifies the kubelet's serving certificate.
 */
export enum KubeletVerification {
  /**
   * Against the node's kubelet certificate (`<kubeletPath>/pki/kubelet.crt`, mounted read-only
   * as a single file): works with the self-signed kubelet certificates kubeadm creates. The
   * chart's `auto` mode. The file must exist on every node (with kubelet serving-certificate
   * bootstrap it does not: use `API_SERVER_CA` there).
   */
  HOST_CERT = 'hostCert',
  /**
   * Against the cluster CA (`/var/run/secrets/kubernetes.io/serviceaccount/ca.crt`): for
   * kubelets whose serving certificates are signed by the cluster CA (`serverTLSBootstrap`).
   */
  API_SERVER_CA = 'apiServerCA',
  /**
   * No verification (`skip_kubelet_verification: true`, the chart's default): a process that
   * can impersonate the kubelet on the node could make the agent mint any identity. Avoid.
   */
  SKIP = 'skip',
}

/**
 * Options of an external SQL datastore.
 */
export interface ExternalSqlDataStoreOptions {
  /**
   * The Secret (in the SPIRE server namespace) holding the connection string, for example
   * `dbname=spire user=spire password=... host=db port=5432 sslmode=verify-full`. Its value is
   * passed as an environment variable and expanded by `spire-server -expandEnv`; it never
   * appears in the synthesized output.
   */
  readonly connectionStringSecret: kplus.ISecret;

  /**
   * The key of the connection string in the Secret.
   *
   * @default 'connection-string'
   */
  readonly connectionStringKey?: string;

  /**
   * Addresses (CIDRs) of the database, for the server's egress NetworkPolicy.
   *
   * @default - any address, on the database port only
   */
  readonly cidrs?: string[];

  /**
   * The database port, for the server's egress NetworkPolicy.
   *
   * @default - 5432 for PostgreSQL, 3306 for MySQL
   */
  readonly port?: number;
}

/**
 * The SPIRE server's datastore.
 */
export class SpireDataStore {
  /**
   * sqlite on the server's persistent volume: one replica only (each replica would get its own
   * database: split brain).
   */
  public static sqlite(): SpireDataStore {
    return new SpireDataStore('sqlite3');
  }

  /** An external PostgreSQL database, required for more than one replica. */
  public static postgres(options: ExternalSqlDataStoreOptions): SpireDataStore {
    guardArgs(staticScope('SpireDataStore.postgres'), 'SpireDataStore', 'postgres', [options]);
    return new SpireDataStore('postgres', options);
  }

  /** An external MySQL database, required for more than one replica. */
  public static mysql(options: ExternalSqlDataStoreOptions): SpireDataStore {
    guardArgs(staticScope('SpireDataStore.mysql'), 'SpireDataStore', 'mysql', [options]);
    return new SpireDataStore('mysql', options);
  }

  /** The SPIRE `database_type`. */
  public readonly databaseType: string;
  /** The Secret with the connection string (external databases). */
  public readonly connectionStringSecret?: kplus.ISecret;
  /** The key of the connection string in the Secret. */
  public readonly connectionStringKey?: string;
  /** The database addresses for the egress NetworkPolicy (empty: any). */
  public readonly cidrs: string[];
  /** The database port (external databases). */
  public readonly port?: number;

  private constructor(databaseType: string, options?: ExternalSqlDataStoreOptions) {
    this.databaseType = databaseType;
    this.cidrs = [...options?.cidrs ?? []];
    this.port = options ? options.port ?? (databaseType === 'mysql' ? 3306 : 5432) : undefined;
    this.connectionStringSecret = options?.connectionStringSecret;
    this.connectionStringKey = options ? options.connectionStringKey ?? 'connection-string' : undefined;
  }

  /** Whether several servers can share it. */
  public get isShared(): boolean {
    return this.databaseType !== 'sqlite3';
  }
}

/**
 * Container images of the SPIRE components.
 */
export interface SpireImages {
  /** @default 'ghcr.io/spiffe/spire-server:1.15.3' */
  readonly server?: string;
  /** @default 'ghcr.io/spiffe/spire-agent:1.15.3' */
  readonly agent?: string;
  /** @default 'ghcr.io/spiffe/spire-controller-manager:0.6.6' */
  readonly controllerManager?: string;
  /** @default 'ghcr.io/spiffe/spiffe-csi-driver:0.2.7' */
  readonly csiDriver?: string;
  /** @default 'registry.k8s.io/sig-storage/csi-node-driver-registrar:v2.13.0' */
  readonly csiNodeDriverRegistrar?: string;
  /** Image of the agent's init container that hands the socket directory to the agent's user. @default 'docker.io/library/busybox:1.37.0' */
  readonly initTools?: string;
}

/**
 * Properties of a SpireDeployment.
 */
export interface SpireDeploymentProps {
  /**
   * The cluster name used by k8s_psat node attestation and in agent IDs. Required: the Helm
   * chart's `example-cluster` is refused.
   */
  readonly clusterName: string;

  /**
   * The SPIRE trust domain. It must equal the intent graph's (Istio's) trust domain, or no
   * AuthorizationPolicy principal would ever match a SPIRE-issued identity.
   *
   * @default - the intent graph's trust domain
   */
  readonly trustDomain?: string;

  /**
   * Namespace of the server and controller manager (Pod Security `restricted`).
   *
   * @default 'spire-server'
   */
  readonly serverNamespace?: string;

  /**
   * Namespace of the agent and the SPIFFE CSI driver (Pod Security `privileged`: they need host
   * access, declared per workload with `IntentGraph.declarePrivilegedWorkload()`).
   *
   * @default 'spire-system'
   */
  readonly agentNamespace?: string;

  /**
   * Server replicas. More than one needs an external SQL datastore.
   *
   * @default 1
   */
  readonly replicas?: number;

  /**
   * The datastore.
   *
   * @default SpireDataStore.sqlite()
   */
  readonly dataStore?: SpireDataStore;

  /**
   * Size of each server's persistent volume (sqlite database, CA keys).
   *
   * @default Size.gibibytes(1)
   */
  readonly storageSize?: Size;

  /**
   * StorageClass of the server's persistent volumes.
   *
   * @default - the cluster's default StorageClass
   */
  readonly storageClassName?: string;

  /**
   * Where the server keeps its CA keys.
   *
   * @default SpireKeyManager.DISK
   */
  readonly keyManager?: SpireKeyManager;

  /**
   * The CA key type.
   *
   * @default CaKeyType.RSA_2048
   */
  readonly caKeyType?: CaKeyType;

  /**
   * Lifetime of the server's signing CA (1 hour to 1 year).
   *
   * @default Duration.hours(24)
   */
  readonly caTtl?: Duration;

  /**
   * Default X509-SVID lifetime (1 minute to half the CA TTL: SPIRE rotates its CA at half
   * its lifetime and cannot sign SVIDs that outlive it).
   *
   * @default Duration.hours(4)
   */
  readonly x509SvidTtl?: Duration;

  /**
   * Default JWT-SVID lifetime (1 minute to half the CA TTL).
   *
   * @default Duration.hours(1)
   */
  readonly jwtSvidTtl?: Duration;

  /**
   * Audience of the projected token the agent presents for k8s_psat node attestation; the
   * server accepts exactly this audience.
   *
   * @default 'spire-server'
   */
  readonly psatAudience?: string;

  /**
   * How the agent verifies the kubelet.
   *
   * @default KubeletVerification.HOST_CERT
   */
  readonly kubeletVerification?: KubeletVerification;

  /**
   * Disables container selectors in the k8s workload attestor. Set it when Istio runs with
   * `holdApplicationUntilProxyStarts`.
   *
   * @default false
   */
  readonly disableContainerSelectors?: boolean;

  /**
   * The controller manager's class name: it reconciles only ClusterSPIFFEIDs of this class.
   *
   * @default '<serverNamespace>-spire'
   */
  readonly className?: string;

  /**
   * Whether every workload of the intent graph is registered automatically with its Istio
   * SPIFFE ID `spiffe://<trustDomain>/ns/<namespace>/sa/<serviceAccount>` (one ClusterSPIFFEID
   * whose namespace selector lists the graph's namespaces, rendered at synthesis time).
   *
   * @default true
   */
  readonly registerMeshWorkloads?: boolean;

  /**
   * The kubelet's root directory on the nodes.
   *
   * @default '/var/lib/kubelet'
   */
  readonly kubeletPath?: string;

  /**
   * Container images.
   *
   * @default - SPIRE 1.15.3, spire-controller-manager 0.6.6, spiffe-csi-driver 0.2.7
   */
  readonly images?: SpireImages;

  /**
   * Whether the SPIRE namespaces get default-deny NetworkPolicies plus exactly what SPIRE needs:
   * ingress to the server on 8081 (agents), 9443 (webhook) and its health ports, egress to DNS,
   * the API server and the external database; ingress to the CSI driver's health port.
   *
   * @default true
   */
  readonly networkPolicies?: boolean;

  /**
   * Node addresses (CIDRs): the agent runs on the host network, so its connections to the server
   * (and kubelet probes) come from node IPs. Narrows the server's ingress NetworkPolicy.
   *
   * @default - any source, on the server's ports only
   */
  readonly nodeCidrs?: string[];

  /**
   * The Kubernetes API server the SPIRE server calls (TokenReviews for k8s_psat, the bundle
   * ConfigMap, the controller manager's watches): its egress admits exactly this peer, on its
   * ports. `ClusterPeer.kubernetesApiServer({ cni: Cni.CILIUM })` adds a CiliumNetworkPolicy
   * `spire-server-api-server` for the `kube-apiserver` entity. Takes precedence over
   * `apiServerCidrs` and `apiServerPorts`.
   *
   * @default - `apiServerCidrs` on `apiServerPorts`
   */
  readonly apiServer?: ClusterPeer;

  /**
   * API server addresses (CIDRs) for the server's egress NetworkPolicy (the endpoints of the
   * `kubernetes` Service). Prefer `apiServer`.
   *
   * @default - any address, on `apiServerPorts` only (set `apiServer` to narrow it)
   */
  readonly apiServerCidrs?: string[];

  /**
   * API server ports (of its endpoints: NetworkPolicies see traffic after the `kubernetes`
   * Service's 443 is translated).
   *
   * @default [443, 6443]
   */
  readonly apiServerPorts?: number[];

  /**
   * Deploys the SPIRE OIDC discovery provider, which publishes the trust domain's JWT signing
   * keys (`/.well-known/openid-configuration`, `/keys`) so that external relying parties (cloud
   * IAM, API gateways) can verify JWT-SVIDs. The server's `jwt_issuer` becomes
   * `https://<domain>`.
   *
   * @default - not deployed
   */
  readonly oidcDiscovery?: OidcDiscoveryOptions;

  /**
   * SPIFFE federation: publish this trust domain's bundle endpoint and federate with other
   * trust domains (`ClusterFederatedTrustDomain`s). More relationships with `federateWith()`.
   *
   * @default - no federation
   */
  readonly federation?: SpireFederationOptions;
}

/**
 * Options of the SPIRE OIDC discovery provider.
 */
export interface OidcDiscoveryOptions {
  /** The public domain the provider is served from (the JWT issuer's host), for example `oidc.example.org`. */
  readonly domain: string;

  /**
   * A `kubernetes.io/tls` Secret in the server namespace with the serving certificate for
   * `domain` (for example from cert-manager). The provider serves HTTPS only.
   */
  readonly tlsSecret: kplus.ISecret;

  /**
   * The provider's image.
   *
   * @default 'ghcr.io/spiffe/oidc-discovery-provider:1.15.3'
   */
  readonly image?: string;

  /**
   * Replicas.
   *
   * @default 2
   */
  readonly replicas?: number;
}
