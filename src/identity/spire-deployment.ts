import { ApiObject, Duration, Size, Yaml } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { k8s } from 'cdk8s-plus-27';
import { Construct, IConstruct } from 'constructs';
import {
  checkImage, clusterScoped, httpProbe, MANAGED_BY, NAMESPACE_NAME_LABEL, resources,
  restrictedContainerSecurity, restrictedPodSecurity,
} from './_k8s';
import { checkDuration, goDuration, plugin, renderJson } from './_spire-config';
import { spireNetworkPolicies } from './_spire-network-policies';
import { ClusterSpiffeId, LabelSelector, LabelSelectorOperator } from './cluster-spiffe-id';
import { checkDns1123Label, checkPort, checkTrustDomain, invalid } from '../intent/_validation';
import { IntentGraph, Layer, workloadKey } from '../intent/intent-graph';
import { IMeshWorkload, MeshMode } from '../intent/mesh-workload';
import { OutputFile } from '../intent/output-file';
import { Privilege, PrivilegedWorkload } from '../intent/privileged-workload';
import type { MeshService } from '../mesh/mesh-service';
import { ZeroTrustNamespace } from '../segmentation/zero-trust-namespace';

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
    return new SpireDataStore('postgres', options);
  }

  /** An external MySQL database, required for more than one replica. */
  public static mysql(options: ExternalSqlDataStoreOptions): SpireDataStore {
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
   * API server addresses (CIDRs) for the server's egress NetworkPolicy (the endpoints of the
   * `kubernetes` Service).
   *
   * @default - any address, on `apiServerPorts` only
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

const SERVER_UID = 1000;
const AGENT_UID = 1000;
const AGENT_SOCKET_HOST_DIR = '/run/spire/agent-sockets';
const AGENT_SOCKET_DIR = '/tmp/spire-agent/public';
const SERVER_SOCKET_DIR = '/tmp/spire-server/private';
const CSI_DRIVER = 'csi.spiffe.io';
const BUNDLE_CONFIGMAP = 'spire-bundle';
const BUNDLE_KEY = 'bundle.spiffe';
/** The socket file name Istio looks for (`/run/secrets/workload-spiffe-uds/socket`). */
const AGENT_SOCKET_NAME = 'socket';
const WEBHOOK_PORT = 9443;
const OIDC_PORT = 8443;
const OIDC_LABELS = { 'app.kubernetes.io/name': 'spiffe-oidc-discovery-provider', 'app.kubernetes.io/instance': 'spire' };
const SPIRE_MANAGED_IDENTITY_LABEL = 'spiffe.io/spire-managed-identity';
const ISTIO_TEMPLATES_ANNOTATION = 'inject.istio.io/templates';
/** The mount path of the SPIRE socket in istio-proxy (the Istio SPIRE integration). */
export const ISTIO_WORKLOAD_SOCKET_PATH = '/run/secrets/workload-spiffe-uds';

/**
 * Defines a production-grade SPIRE deployment the way spiffe/helm-charts-hardened renders it,
 * with typed, validated configuration:
 *
 * - namespaces `spire-server` (Pod Security `restricted`) and `spire-system` (`privileged`);
 * - the server StatefulSet (config `server.conf` rendered as JSON: trust domain, CA and SVID
 *   TTLs, key manager, sql datastore, `k8s_psat` node attestation with an audience, bundle
 *   publishing to the `spire-bundle` ConfigMap, health checks on 8080 `/live` and `/ready`),
 *   with spire-controller-manager beside it (its class name, leader election, webhook);
 *   Services, a PodDisruptionBudget when replicated, least-privilege RBAC;
 * - the agent DaemonSet (`k8s_psat` with a projected token for the server's audience, the k8s
 *   workload attestor with kubelet verification, the Workload API socket on the node, SDS
 *   names that match Istio);
 * - the SPIFFE CSI driver DaemonSet and the `csi.spiffe.io` CSIDriver;
 * - one ClusterSPIFFEID registering every workload of the intent graph with the SPIFFE ID its
 *   callers' AuthorizationPolicies name.
 *
 * The agent and the CSI driver are the only privileged pods; their exact privileges are
 * declared with `IntentGraph.declarePrivilegedWorkload()` (see `privilegedWorkloads`).
 * Everything else runs non-root, read-only, with no privilege escalation, all capabilities
 * dropped, RuntimeDefault seccomp and resource limits.
 *
 * The spire-crds (ClusterSPIFFEID, ClusterFederatedTrustDomain, ClusterStaticEntry) must be
 * installed before the synthesized objects are applied.
 */
export class SpireDeployment extends Construct {
  /** The trust domain. */
  public readonly trustDomain: string;
  /** The cluster name. */
  public readonly clusterName: string;
  /** The controller manager's class name. */
  public readonly className: string;
  /** The server namespace. */
  public readonly serverNamespace: string;
  /** The agent and CSI driver namespace. */
  public readonly agentNamespace: string;
  /** Server replicas. */
  public readonly replicas: number;
  /** The CA TTL. */
  public readonly caTtl: Duration;
  /** The server's address for agents: `spire-server.<serverNamespace>.svc`. */
  public readonly serverAddress: string;
  /** The server StatefulSet. */
  public readonly serverStatefulSet: k8s.KubeStatefulSet;
  /** The agent DaemonSet. */
  public readonly agentDaemonSet: k8s.KubeDaemonSet;
  /** The SPIFFE CSI driver DaemonSet. */
  public readonly csiDriverDaemonSet: k8s.KubeDaemonSet;
  /** The `csi.spiffe.io` CSIDriver. */
  public readonly csiDriver: k8s.KubeCsiDriver;
  /** The privileged workloads this deployment declared (agent and CSI driver). */
  public readonly privilegedWorkloads: PrivilegedWorkload[];
  /** The OIDC discovery provider Deployment, when `oidcDiscovery` is set. */
  public readonly oidcDiscoveryDeployment?: k8s.KubeDeployment;

  private readonly graph: IntentGraph;
  private readonly registrations: ClusterSpiffeId[] = [];
  private readonly istioWorkloads = new Map<string, IMeshWorkload>();
  private readonly istioNamespaces = new Map<string, ZeroTrustNamespace>();
  private meshRegistration?: ClusterSpiffeId;

  public constructor(scope: Construct, id: string, props: SpireDeploymentProps) {
    super(scope, id);
    this.graph = IntentGraph.of(this);
    if (!props || typeof props !== 'object') {
      invalid(this, 'props', props, 'must be an object with at least clusterName');
    }
    this.trustDomain = checkTrustDomain(this, 'trustDomain', props.trustDomain ?? this.graph.trustDomain);
    if (this.trustDomain !== this.graph.trustDomain) {
      invalid(this, 'trustDomain', this.trustDomain,
        `must equal the mesh trust domain '${this.graph.trustDomain}' (IntentGraph trustDomain, Istio meshConfig.trustDomain): every AuthorizationPolicy principal names it, and SPIRE-issued identities in another trust domain would match none`,
        'leave trustDomain out, or set the same trustDomain on the IntentGraph');
    }
    this.clusterName = checkDns1123Label(this, 'clusterName', props.clusterName);
    if (this.clusterName === 'example-cluster') {
      invalid(this, 'clusterName', this.clusterName, 'must name this cluster, not the Helm chart\'s placeholder', 'for example \'prod-eu-1\'');
    }
    this.serverNamespace = checkDns1123Label(this, 'serverNamespace', props.serverNamespace ?? 'spire-server');
    this.agentNamespace = checkDns1123Label(this, 'agentNamespace', props.agentNamespace ?? 'spire-system');
    if (this.serverNamespace === this.agentNamespace) {
      invalid(this, 'agentNamespace', this.agentNamespace, 'must differ from serverNamespace: the agent namespace is Pod Security privileged, the server namespace restricted');
    }
    for (const ns of [this.serverNamespace, this.agentNamespace]) {
      if (this.graph.namespaces.some(n => n.namespaceName === ns)) {
        invalid(this, ns === this.serverNamespace ? 'serverNamespace' : 'agentNamespace', ns, 'is a ZeroTrustNamespace of the intent graph; SPIRE needs namespaces of its own');
      }
    }
    this.className = checkDns1123Label(this, 'className', props.className ?? `${this.serverNamespace}-spire`);

    this.replicas = props.replicas ?? 1;
    if (!Number.isInteger(this.replicas) || this.replicas < 1 || this.replicas > 7) {
      invalid(this, 'replicas', this.replicas, 'must be an integer between 1 and 7');
    }
    const dataStore = props.dataStore ?? SpireDataStore.sqlite();
    if (this.replicas > 1 && !dataStore.isShared) {
      invalid(this, 'replicas', this.replicas,
        'a replicated SPIRE server needs a shared SQL datastore: with sqlite every replica gets its own database on its own volume (split brain: agents attested by one server are unknown to the others)',
        'use replicas: 1, or dataStore: SpireDataStore.postgres({ connectionStringSecret }) / SpireDataStore.mysql(...)');
    }
    if (dataStore.isShared && !dataStore.connectionStringSecret) {
      invalid(this, 'dataStore.connectionStringSecret', undefined, 'an external datastore needs the Secret holding its connection string');
    }
    if (dataStore.connectionStringKey !== undefined && !/^[-._a-zA-Z0-9]+$/.test(dataStore.connectionStringKey)) {
      invalid(this, 'dataStore.connectionStringKey', dataStore.connectionStringKey, 'must be a Secret key: letters, digits, \'-\', \'_\' or \'.\'');
    }
    const keyManager = props.keyManager ?? SpireKeyManager.DISK;
    if (!Object.values(SpireKeyManager).includes(keyManager)) {
      invalid(this, 'keyManager', keyManager, `must be one of ${Object.values(SpireKeyManager).join(', ')}`);
    }
    const caKeyType = props.caKeyType ?? CaKeyType.RSA_2048;
    if (!Object.values(CaKeyType).includes(caKeyType)) {
      invalid(this, 'caKeyType', caKeyType, `must be one of ${Object.values(CaKeyType).join(', ')}`);
    }
    this.caTtl = checkDuration(this, 'caTtl', props.caTtl ?? Duration.hours(24), Duration.hours(1), Duration.hours(8760), '');
    const halfCa = Duration.seconds(Math.floor(this.caTtl.toSeconds() / 2));
    const why = `half the CA TTL ${goDuration(this.caTtl)} at most: SPIRE rotates its CA at half its lifetime and cannot sign SVIDs that outlive it`;
    const x509SvidTtl = checkDuration(this, 'x509SvidTtl', props.x509SvidTtl ?? Duration.hours(4), Duration.minutes(1), halfCa, why);
    const jwtSvidTtl = checkDuration(this, 'jwtSvidTtl', props.jwtSvidTtl ?? Duration.hours(1), Duration.minutes(1), halfCa, why);
    const psatAudience = props.psatAudience ?? 'spire-server';
    if (typeof psatAudience !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._:/-]*$/.test(psatAudience)) {
      invalid(this, 'psatAudience', psatAudience, 'must be a non-empty token audience without spaces, for example \'spire-server\'');
    }
    const kubeletVerification = props.kubeletVerification ?? KubeletVerification.HOST_CERT;
    if (!Object.values(KubeletVerification).includes(kubeletVerification)) {
      invalid(this, 'kubeletVerification', kubeletVerification, `must be one of ${Object.values(KubeletVerification).join(', ')}`);
    }
    const kubeletPath = props.kubeletPath ?? '/var/lib/kubelet';
    if (typeof kubeletPath !== 'string' || !/^\/[A-Za-z0-9._/-]*[A-Za-z0-9._-]$/.test(kubeletPath)) {
      invalid(this, 'kubeletPath', kubeletPath, 'must be an absolute path without a trailing \'/\'');
    }
    const images = props.images ?? {};
    const image = {
      server: checkImage(this, 'images.server', images.server ?? 'ghcr.io/spiffe/spire-server:1.15.3'),
      agent: checkImage(this, 'images.agent', images.agent ?? 'ghcr.io/spiffe/spire-agent:1.15.3'),
      controllerManager: checkImage(this, 'images.controllerManager', images.controllerManager ?? 'ghcr.io/spiffe/spire-controller-manager:0.6.6'),
      csiDriver: checkImage(this, 'images.csiDriver', images.csiDriver ?? 'ghcr.io/spiffe/spiffe-csi-driver:0.2.7'),
      registrar: checkImage(this, 'images.csiNodeDriverRegistrar', images.csiNodeDriverRegistrar ?? 'registry.k8s.io/sig-storage/csi-node-driver-registrar:v2.13.0'),
      initTools: checkImage(this, 'images.initTools', images.initTools ?? 'docker.io/library/busybox:1.37.0'),
    };
    this.serverAddress = `spire-server.${this.serverNamespace}.svc`;
    const oidc = props.oidcDiscovery;
    const oidcDomain = oidc ? checkDomain(this, 'oidcDiscovery.domain', oidc.domain) : undefined;
    if (oidc && (!oidc.tlsSecret || typeof oidc.tlsSecret.name !== 'string')) {
      invalid(this, 'oidcDiscovery.tlsSecret', oidc.tlsSecret, 'must be the kubernetes.io/tls Secret (in the server namespace) with the certificate for the domain', 'for example kplus.Secret.fromSecretName(scope, \'OidcTls\', \'oidc-discovery-tls\')');
    }
    const oidcReplicas = oidc?.replicas ?? 2;
    if (oidc && (!Number.isInteger(oidcReplicas) || oidcReplicas < 1 || oidcReplicas > 10)) {
      invalid(this, 'oidcDiscovery.replicas', oidcReplicas, 'must be an integer between 1 and 10');
    }
    const oidcImage = oidc ? checkImage(this, 'oidcDiscovery.image', oidc.image ?? 'ghcr.io/spiffe/oidc-discovery-provider:1.15.3') : undefined;

    const place = (layer: Layer, childId: string) => this.graph._placement(layer, this, 'spire', childId);
    const identity = (childId: string) => place(Layer.IDENTITY, childId);
    const meta = (name: string, namespace: string, component?: string) => ({
      name, namespace, labels: { ...MANAGED_BY, 'app.kubernetes.io/part-of': 'spire', ...(component ? { 'app.kubernetes.io/name': component } : {}) },
    });
    const clusterMeta = (name: string) => ({ name, labels: { ...MANAGED_BY, 'app.kubernetes.io/part-of': 'spire' } });

    // --- namespaces -------------------------------------------------------------------------
    const spireNamespace = (childId: string, name: string, level: string) => {
      const at = place(Layer.NAMESPACES, childId);
      return clusterScoped(new k8s.KubeNamespace(at.scope, at.id, {
        metadata: {
          name,
          labels: {
            ...MANAGED_BY,
            'app.kubernetes.io/part-of': 'spire',
            'pod-security.kubernetes.io/enforce': level,
            'pod-security.kubernetes.io/enforce-version': 'latest',
            'pod-security.kubernetes.io/audit': level,
            'pod-security.kubernetes.io/audit-version': 'latest',
            'pod-security.kubernetes.io/warn': level,
            'pod-security.kubernetes.io/warn-version': 'latest',
          },
        },
      }));
    };
    spireNamespace('ServerNamespace', this.serverNamespace, 'restricted');
    spireNamespace('AgentNamespace', this.agentNamespace, 'privileged');

    // --- server -----------------------------------------------------------------------------
    let at = identity('ServerServiceAccount');
    new k8s.KubeServiceAccount(at.scope, at.id, {
      metadata: meta('spire-server', this.serverNamespace, 'server'),
      // the server calls the TokenReview API (k8s_psat) and publishes the bundle ConfigMap
      automountServiceAccountToken: true,
    });

    const sql: { [key: string]: unknown } = dataStore.isShared
      ? { database_type: dataStore.databaseType, connection_string: '${SPIRE_DATASTORE_CONNECTION_STRING}' }
      : { database_type: 'sqlite3', connection_string: '/run/spire/data/datastore.sqlite3' };
    const serverConf = {
      server: {
        bind_address: '0.0.0.0',
        bind_port: '8081',
        socket_path: `${SERVER_SOCKET_DIR}/api.sock`,
        trust_domain: this.trustDomain,
        data_dir: '/run/spire/data',
        log_level: 'INFO',
        ca_key_type: caKeyType,
        ca_ttl: goDuration(this.caTtl),
        default_x509_svid_ttl: goDuration(x509SvidTtl),
        default_jwt_svid_ttl: goDuration(jwtSvidTtl),
        ...(oidcDomain ? { jwt_issuer: `https://${oidcDomain}` } : {}),
      },
      plugins: {
        DataStore: plugin('sql', sql),
        KeyManager: keyManager === SpireKeyManager.DISK
          ? plugin('disk', { keys_path: '/run/spire/data/keys.json' })
          : plugin('memory', {}),
        NodeAttestor: plugin('k8s_psat', {
          clusters: {
            [this.clusterName]: {
              service_account_allow_list: [`${this.agentNamespace}:spire-agent`],
              audience: [psatAudience],
            },
          },
        }),
        BundlePublisher: plugin('k8s_configmap', {
          clusters: {
            [this.clusterName]: {
              configmap_name: BUNDLE_CONFIGMAP,
              configmap_key: BUNDLE_KEY,
              namespace: this.agentNamespace,
              format: 'spiffe',
            },
          },
        }),
      },
      health_checks: { listener_enabled: true, bind_address: '0.0.0.0', bind_port: '8080', live_path: '/live', ready_path: '/ready' },
    };
    at = identity('ServerConfig');
    new k8s.KubeConfigMap(at.scope, at.id, {
      metadata: meta('spire-server', this.serverNamespace, 'server'),
      data: { 'server.conf': renderJson(serverConf) },
    });

    const controllerManagerConf = {
      apiVersion: 'spire.spiffe.io/v1alpha1',
      kind: 'ControllerManagerConfig',
      metrics: { bindAddress: '0.0.0.0:8082' },
      health: { healthProbeBindAddress: '0.0.0.0:8083' },
      leaderElection: { leaderElect: true, resourceName: `${this.className}.spiffe.io`, resourceNamespace: this.serverNamespace },
      validatingWebhookConfigurationName: `${this.serverNamespace}-spire-controller-manager-webhook`,
      clusterName: this.clusterName,
      trustDomain: this.trustDomain,
      ignoreNamespaces: ['kube-system', 'kube-public', 'local-path-storage'],
      spireServerSocketPath: `${SERVER_SOCKET_DIR}/api.sock`,
      className: this.className,
      watchClassless: false,
      parentIDTemplate: 'spiffe://{{ .TrustDomain }}/spire/agent/k8s_psat/{{ .ClusterName }}/{{ .NodeMeta.UID }}',
    };
    at = identity('ControllerManagerConfig');
    new k8s.KubeConfigMap(at.scope, at.id, {
      metadata: meta('spire-controller-manager', this.serverNamespace, 'server'),
      data: { 'controller-manager-config.yaml': Yaml.stringify(controllerManagerConf) },
    });

    const serverLabels = { 'app.kubernetes.io/name': 'server', 'app.kubernetes.io/instance': 'spire' };
    const dbEnv: k8s.EnvVar[] = dataStore.isShared ? [{
      name: 'SPIRE_DATASTORE_CONNECTION_STRING',
      valueFrom: { secretKeyRef: { name: dataStore.connectionStringSecret!.name, key: dataStore.connectionStringKey! } },
    }] : [];
    const storageSize = props.storageSize ?? Size.gibibytes(1);
    at = identity('ServerStatefulSet');
    this.serverStatefulSet = new k8s.KubeStatefulSet(at.scope, at.id, {
      metadata: meta('spire-server', this.serverNamespace, 'server'),
      spec: {
        replicas: this.replicas,
        serviceName: 'spire-server',
        selector: { matchLabels: serverLabels },
        template: {
          metadata: { labels: { ...serverLabels } },
          spec: {
            serviceAccountName: 'spire-server',
            automountServiceAccountToken: true,
            securityContext: restrictedPodSecurity(SERVER_UID),
            containers: [{
              name: 'spire-server',
              image: image.server,
              args: ['-expandEnv', '-config', '/run/spire/config/server.conf'],
              env: dbEnv.length ? dbEnv : undefined,
              ports: [{ name: 'grpc', containerPort: 8081, protocol: 'TCP' }, { name: 'healthz', containerPort: 8080, protocol: 'TCP' }],
              securityContext: restrictedContainerSecurity(),
              resources: resources('100m', '128Mi', '1', '512Mi'),
              livenessProbe: httpProbe('/live', 'healthz', 60, 15, 2),
              readinessProbe: httpProbe('/ready', 'healthz', 5, 5),
              volumeMounts: [
                { name: 'spire-config', mountPath: '/run/spire/config', readOnly: true },
                { name: 'spire-data', mountPath: '/run/spire/data' },
                { name: 'spire-server-socket', mountPath: SERVER_SOCKET_DIR },
              ],
            }, {
              name: 'spire-controller-manager',
              image: image.controllerManager,
              args: ['--config=/run/spire/controller-manager-config/controller-manager-config.yaml'],
              env: [{ name: 'ENABLE_WEBHOOKS', value: 'true' }],
              ports: [
                { name: 'https', containerPort: WEBHOOK_PORT, protocol: 'TCP' },
                { name: 'cm-metrics', containerPort: 8082, protocol: 'TCP' },
                { name: 'cm-healthz', containerPort: 8083, protocol: 'TCP' },
              ],
              securityContext: restrictedContainerSecurity(),
              resources: resources('50m', '64Mi', '500m', '256Mi'),
              livenessProbe: httpProbe('/healthz', 'cm-healthz', 10, 15),
              readinessProbe: httpProbe('/readyz', 'cm-healthz', 10, 5),
              volumeMounts: [
                { name: 'controller-manager-config', mountPath: '/run/spire/controller-manager-config', readOnly: true },
                { name: 'spire-server-socket', mountPath: SERVER_SOCKET_DIR, readOnly: true },
                // writable /tmp (the chart mounts one too): the webhook server keeps its serving certificate there
                { name: 'controller-manager-tmp', mountPath: '/tmp' },
              ],
            }],
            volumes: [
              { name: 'spire-config', configMap: { name: 'spire-server' } },
              { name: 'controller-manager-config', configMap: { name: 'spire-controller-manager' } },
              { name: 'spire-server-socket', emptyDir: { medium: 'Memory', sizeLimit: k8s.Quantity.fromString('1Mi') } },
              { name: 'controller-manager-tmp', emptyDir: { medium: 'Memory', sizeLimit: k8s.Quantity.fromString('16Mi') } },
            ],
          },
        },
        volumeClaimTemplates: [{
          metadata: { name: 'spire-data' },
          spec: {
            accessModes: ['ReadWriteOnce'],
            resources: { requests: { storage: k8s.Quantity.fromString(storageSize.asString()) } },
            ...(props.storageClassName ? { storageClassName: checkDns1123Label(this, 'storageClassName', props.storageClassName) } : {}),
          },
        }],
      },
    });

    at = identity('ServerService');
    new k8s.KubeService(at.scope, at.id, {
      metadata: meta('spire-server', this.serverNamespace, 'server'),
      spec: {
        selector: { ...serverLabels },
        // agents dial 443; NetworkPolicies see the pod port 8081 after DNAT
        ports: [{ name: 'grpc', port: 443, targetPort: k8s.IntOrString.fromString('grpc'), protocol: 'TCP' }],
      },
    });
    at = identity('WebhookService');
    new k8s.KubeService(at.scope, at.id, {
      metadata: meta('spire-controller-manager-webhook', this.serverNamespace, 'server'),
      spec: {
        selector: { ...serverLabels },
        ports: [{ name: 'https', port: 443, targetPort: k8s.IntOrString.fromString('https'), protocol: 'TCP' }],
      },
    });
    if (this.replicas > 1) {
      at = identity('ServerDisruptionBudget');
      new k8s.KubePodDisruptionBudget(at.scope, at.id, {
        metadata: meta('spire-server', this.serverNamespace, 'server'),
        spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: { ...serverLabels } } },
      });
    }

    at = identity('Webhook');
    clusterScoped(new k8s.KubeValidatingWebhookConfiguration(at.scope, at.id, {
      metadata: clusterMeta(`${this.serverNamespace}-spire-controller-manager-webhook`),
      webhooks: [
        webhook(this.serverNamespace, 'vclusterfederatedtrustdomain.kb.io', 'clusterfederatedtrustdomain', 'Fail'),
        // Ignore like the chart: the controller manager is not serving yet when the first
        // ClusterSPIFFEIDs are applied right after it; the library validates them at synth time
        webhook(this.serverNamespace, 'vclusterspiffeid.kb.io', 'clusterspiffeid', 'Ignore'),
      ],
    }));

    // --- server RBAC ------------------------------------------------------------------------
    const serverSubject = [{ kind: 'ServiceAccount', name: 'spire-server', namespace: this.serverNamespace }];
    const clusterRole = (childId: string, name: string, rules: k8s.PolicyRule[]) => {
      let a = identity(`${childId}ClusterRole`);
      clusterScoped(new k8s.KubeClusterRole(a.scope, a.id, { metadata: clusterMeta(name), rules }));
      a = identity(`${childId}ClusterRoleBinding`);
      return clusterScoped(new k8s.KubeClusterRoleBinding(a.scope, a.id, {
        metadata: clusterMeta(name),
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
        subjects: childId === 'Agent' ? [{ kind: 'ServiceAccount', name: 'spire-agent', namespace: this.agentNamespace }] : serverSubject,
      }));
    };
    const role = (childId: string, name: string, namespace: string, rules: k8s.PolicyRule[]) => {
      let a = identity(`${childId}Role`);
      new k8s.KubeRole(a.scope, a.id, { metadata: meta(name, namespace), rules });
      a = identity(`${childId}RoleBinding`);
      new k8s.KubeRoleBinding(a.scope, a.id, {
        metadata: meta(name, namespace),
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
        subjects: serverSubject,
      });
    };
    // k8s_psat: review the agent's token, then look up its pod and node
    clusterRole('Server', `${this.serverNamespace}-spire-server`, [
      { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
      { apiGroups: [''], resources: ['pods', 'nodes'], verbs: ['get'] },
    ]);
    // bundle publishing: exactly the spire-bundle ConfigMap
    role('Bundle', 'spire-bundle', this.agentNamespace, [
      { apiGroups: [''], resources: ['configmaps'], resourceNames: [BUNDLE_CONFIGMAP], verbs: ['get', 'patch'] },
    ]);
    at = identity('BundleConfigMap');
    new k8s.KubeConfigMap(at.scope, at.id, { metadata: meta(BUNDLE_CONFIGMAP, this.agentNamespace) });
    // the controller manager (same pod, same ServiceAccount): the hardened chart's rules
    clusterRole('ControllerManager', `${this.serverNamespace}-spire-controller-manager`, [
      { apiGroups: [''], resources: ['namespaces', 'nodes', 'endpoints', 'pods'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['admissionregistration.k8s.io'], resources: ['validatingwebhookconfigurations'], verbs: ['get', 'list', 'patch', 'watch'] },
      ...['clusterfederatedtrustdomains', 'clusterspiffeids', 'clusterstaticentries'].flatMap(r => [
        { apiGroups: ['spire.spiffe.io'], resources: [r], verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'] },
        { apiGroups: ['spire.spiffe.io'], resources: [`${r}/finalizers`], verbs: ['update'] },
        { apiGroups: ['spire.spiffe.io'], resources: [`${r}/status`], verbs: ['get', 'patch', 'update'] },
      ]),
    ]);
    role('LeaderElection', 'spire-controller-manager-leader-election', this.serverNamespace, [
      { apiGroups: [''], resources: ['configmaps'], verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'] },
      { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
    ]);

    // --- agent ------------------------------------------------------------------------------
    at = identity('AgentServiceAccount');
    new k8s.KubeServiceAccount(at.scope, at.id, {
      metadata: meta('spire-agent', this.agentNamespace, 'agent'),
      // the k8s workload attestor authenticates to the kubelet with this token
      automountServiceAccountToken: true,
    });
    clusterRole('Agent', `${this.agentNamespace}-spire-agent`, [
      { apiGroups: [''], resources: ['pods', 'nodes', 'nodes/proxy'], verbs: ['get'] },
    ]);
    const kubeletCert = `${kubeletPath}/pki/kubelet.crt`;
    const attestor: { [key: string]: unknown } = {
      skip_kubelet_verification: kubeletVerification === KubeletVerification.SKIP,
      disable_container_selectors: props.disableContainerSelectors ?? false,
      ...(kubeletVerification === KubeletVerification.HOST_CERT ? { kubelet_ca_path: '/run/spire/kubelet/kubelet.crt' } : {}),
      ...(kubeletVerification === KubeletVerification.API_SERVER_CA ? { kubelet_ca_path: '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt' } : {}),
    };
    const agentConf = {
      agent: {
        data_dir: '/var/lib/spire',
        log_level: 'INFO',
        server_address: this.serverAddress,
        server_port: '443',
        socket_path: `${AGENT_SOCKET_DIR}/${AGENT_SOCKET_NAME}`,
        trust_bundle_path: `/run/spire/bundle/${BUNDLE_KEY}`,
        trust_bundle_format: 'spiffe',
        trust_domain: this.trustDomain,
        // the names Istio's SDS client asks for
        sds: { default_svid_name: 'default', default_bundle_name: 'ROOTCA', default_all_bundles_name: 'ALL' },
      },
      plugins: {
        NodeAttestor: plugin('k8s_psat', { cluster: this.clusterName, token_path: '/var/run/secrets/tokens/spire-agent' }),
        KeyManager: plugin('memory', {}),
        WorkloadAttestor: plugin('k8s', attestor),
      },
      health_checks: { listener_enabled: true, bind_address: '0.0.0.0', bind_port: '9982', live_path: '/live', ready_path: '/ready' },
    };
    at = identity('AgentConfig');
    new k8s.KubeConfigMap(at.scope, at.id, {
      metadata: meta('spire-agent', this.agentNamespace, 'agent'),
      data: { 'agent.conf': renderJson(agentConf) },
    });
    const agentLabels = { 'app.kubernetes.io/name': 'agent', 'app.kubernetes.io/instance': 'spire' };
    const agentHostPaths = [AGENT_SOCKET_HOST_DIR, ...(kubeletVerification === KubeletVerification.HOST_CERT ? [kubeletCert] : [])];
    at = identity('AgentDaemonSet');
    this.agentDaemonSet = new k8s.KubeDaemonSet(at.scope, at.id, {
      metadata: meta('spire-agent', this.agentNamespace, 'agent'),
      spec: {
        selector: { matchLabels: agentLabels },
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(1) } },
        template: {
          metadata: { labels: { ...agentLabels } },
          spec: {
            serviceAccountName: 'spire-agent',
            automountServiceAccountToken: true,
            // hostPID: the workload attestor maps a caller's PID to its pod; hostNetwork: it
            // reaches the kubelet on 127.0.0.1:10250
            hostPid: true,
            hostNetwork: true,
            dnsPolicy: 'ClusterFirstWithHostNet',
            securityContext: restrictedPodSecurity(AGENT_UID),
            initContainers: [{
              name: 'socket-dir-owner',
              image: image.initTools,
              command: ['chown', `${AGENT_UID}:${AGENT_UID}`, AGENT_SOCKET_DIR],
              securityContext: {
                runAsUser: 0,
                runAsGroup: 0,
                runAsNonRoot: false,
                allowPrivilegeEscalation: false,
                privileged: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'], add: ['CHOWN'] },
              },
              resources: resources('10m', '16Mi', '100m', '32Mi'),
              volumeMounts: [{ name: 'spire-agent-socket-dir', mountPath: AGENT_SOCKET_DIR }],
            }],
            containers: [{
              name: 'spire-agent',
              image: image.agent,
              args: ['-config', '/run/spire/config/agent.conf'],
              ports: [{ name: 'healthz', containerPort: 9982, protocol: 'TCP' }],
              securityContext: restrictedContainerSecurity(),
              resources: resources('50m', '64Mi', '500m', '256Mi'),
              livenessProbe: httpProbe('/live', 'healthz', 60, 15, 2),
              readinessProbe: httpProbe('/ready', 'healthz', 5, 5),
              volumeMounts: [
                { name: 'spire-config', mountPath: '/run/spire/config', readOnly: true },
                { name: 'spire-bundle', mountPath: '/run/spire/bundle', readOnly: true },
                { name: 'spire-agent-socket-dir', mountPath: AGENT_SOCKET_DIR },
                { name: 'spire-token', mountPath: '/var/run/secrets/tokens', readOnly: true },
                { name: 'spire-agent-data', mountPath: '/var/lib/spire' },
                ...(kubeletVerification === KubeletVerification.HOST_CERT ? [{ name: 'kubelet-cert', mountPath: '/run/spire/kubelet/kubelet.crt', readOnly: true }] : []),
              ],
            }],
            volumes: [
              { name: 'spire-config', configMap: { name: 'spire-agent' } },
              { name: 'spire-bundle', configMap: { name: BUNDLE_CONFIGMAP } },
              {
                name: 'spire-token',
                projected: { sources: [{ serviceAccountToken: { path: 'spire-agent', expirationSeconds: 7200, audience: psatAudience } }] },
              },
              { name: 'spire-agent-socket-dir', hostPath: { path: AGENT_SOCKET_HOST_DIR, type: 'DirectoryOrCreate' } },
              { name: 'spire-agent-data', emptyDir: { sizeLimit: k8s.Quantity.fromString('64Mi') } },
              ...(kubeletVerification === KubeletVerification.HOST_CERT ? [{ name: 'kubelet-cert', hostPath: { path: kubeletCert, type: 'File' } }] : []),
            ],
          },
        },
      },
    });

    // --- SPIFFE CSI driver ------------------------------------------------------------------
    at = identity('CsiDriverServiceAccount');
    new k8s.KubeServiceAccount(at.scope, at.id, {
      metadata: meta('spiffe-csi-driver', this.agentNamespace, 'spiffe-csi-driver'),
      automountServiceAccountToken: false,
    });
    at = identity('CsiDriver');
    this.csiDriver = clusterScoped(new k8s.KubeCsiDriver(at.scope, at.id, {
      metadata: clusterMeta(CSI_DRIVER),
      spec: { attachRequired: false, podInfoOnMount: true, fsGroupPolicy: 'None', volumeLifecycleModes: ['Ephemeral'] },
    }));
    const csiLabels = { 'app.kubernetes.io/name': 'spiffe-csi-driver', 'app.kubernetes.io/instance': 'spire' };
    const pluginDir = `${kubeletPath}/plugins/${CSI_DRIVER}`;
    const csiHostPaths = [AGENT_SOCKET_HOST_DIR, pluginDir, `${kubeletPath}/plugins_registry`, `${kubeletPath}/pods`];
    at = identity('CsiDriverDaemonSet');
    this.csiDriverDaemonSet = new k8s.KubeDaemonSet(at.scope, at.id, {
      metadata: meta('spiffe-csi-driver', this.agentNamespace, 'spiffe-csi-driver'),
      spec: {
        selector: { matchLabels: csiLabels },
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(1) } },
        template: {
          metadata: { labels: { ...csiLabels } },
          spec: {
            serviceAccountName: 'spiffe-csi-driver',
            automountServiceAccountToken: false,
            securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
            containers: [{
              name: 'spiffe-csi-driver',
              image: image.csiDriver,
              args: ['-workload-api-socket-dir', '/spire-agent-socket', '-plugin-name', CSI_DRIVER, '-csi-socket-path', '/spiffe-csi/csi.sock'],
              env: [{ name: 'MY_NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
              // privileged: mounts into pod volumes need Bidirectional mount propagation
              securityContext: { privileged: true, readOnlyRootFilesystem: true, runAsUser: 0, runAsNonRoot: false },
              resources: resources('10m', '32Mi', '200m', '64Mi'),
              volumeMounts: [
                { name: 'spire-agent-socket-dir', mountPath: '/spire-agent-socket', readOnly: true },
                { name: 'spiffe-csi-socket-dir', mountPath: '/spiffe-csi' },
                { name: 'mountpoint-dir', mountPath: `${kubeletPath}/pods`, mountPropagation: 'Bidirectional' },
              ],
            }, {
              name: 'node-driver-registrar',
              image: image.registrar,
              args: ['-csi-address', '/spiffe-csi/csi.sock', '-kubelet-registration-path', `${pluginDir}/csi.sock`, '-health-port', '9809'],
              ports: [{ name: 'healthz', containerPort: 9809, protocol: 'TCP' }],
              livenessProbe: httpProbe('/healthz', 'healthz', 5, 5),
              // writes its registration socket into the root-owned kubelet plugin registry
              securityContext: {
                runAsUser: 0,
                runAsNonRoot: false,
                allowPrivilegeEscalation: false,
                privileged: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
              },
              resources: resources('10m', '16Mi', '100m', '32Mi'),
              volumeMounts: [
                { name: 'spiffe-csi-socket-dir', mountPath: '/spiffe-csi' },
                { name: 'kubelet-plugin-registration-dir', mountPath: '/registration' },
              ],
            }],
            volumes: [
              { name: 'spire-agent-socket-dir', hostPath: { path: AGENT_SOCKET_HOST_DIR, type: 'DirectoryOrCreate' } },
              { name: 'spiffe-csi-socket-dir', hostPath: { path: pluginDir, type: 'DirectoryOrCreate' } },
              { name: 'mountpoint-dir', hostPath: { path: `${kubeletPath}/pods`, type: 'Directory' } },
              { name: 'kubelet-plugin-registration-dir', hostPath: { path: `${kubeletPath}/plugins_registry`, type: 'Directory' } },
            ],
          },
        },
      },
    });

    this.privilegedWorkloads = [
      this.graph.declarePrivilegedWorkload(this, {
        namespace: this.agentNamespace,
        kind: 'DaemonSet',
        name: 'spire-agent',
        podLabels: agentLabels,
        privileges: [Privilege.HOST_PID, Privilege.HOST_NETWORK, Privilege.HOST_PATH, Privilege.RUN_AS_ROOT, Privilege.ADDED_CAPABILITIES],
        containers: ['socket-dir-owner', 'spire-agent'],
        hostPaths: agentHostPaths,
        capabilities: ['CHOWN'],
        reason: 'SPIRE agent: hostPID to map a Workload API caller to its pod, hostNetwork to reach the kubelet on localhost, '
          + 'the Workload API socket directory on the node (and the kubelet certificate to verify the kubelet); '
          + 'only the init container runs as root, with CHOWN alone, to hand the socket directory to the agent\'s user',
      }),
      this.graph.declarePrivilegedWorkload(this, {
        namespace: this.agentNamespace,
        kind: 'DaemonSet',
        name: 'spiffe-csi-driver',
        podLabels: csiLabels,
        privileges: [Privilege.PRIVILEGED_CONTAINER, Privilege.PRIVILEGE_ESCALATION, Privilege.HOST_PATH, Privilege.RUN_AS_ROOT],
        containers: ['node-driver-registrar', 'spiffe-csi-driver'],
        hostPaths: csiHostPaths,
        reason: 'SPIFFE CSI driver: a privileged container mounts the agent socket into pod volumes with Bidirectional mount propagation; '
          + 'the registrar registers the driver in the kubelet plugin registry as root',
      }),
    ];

    if (props.networkPolicies ?? true) {
      const cidrs = (prop: string, values: string[] | undefined) => (values ?? []).map(c => checkCidr(this, prop, c));
      spireNetworkPolicies(this, {
        serverNamespace: this.serverNamespace,
        agentNamespace: this.agentNamespace,
        serverLabels,
        csiLabels,
        serverIngressPorts: [8080, 8081, 8083, WEBHOOK_PORT],
        oidc: oidc ? { labels: OIDC_LABELS, port: OIDC_PORT } : undefined,
        csiHealthPort: 9809,
        nodeCidrs: cidrs('nodeCidrs', props.nodeCidrs),
        apiServerCidrs: cidrs('apiServerCidrs', props.apiServerCidrs),
        apiServerPorts: (props.apiServerPorts ?? [443, 6443]).map(p => checkPort(this, 'apiServerPorts', p)),
        dataStore: dataStore.isShared
          ? { port: checkPort(this, 'dataStore.port', dataStore.port!), cidrs: cidrs('dataStore.cidrs', dataStore.cidrs) }
          : undefined,
      });
    }

    if (props.registerMeshWorkloads ?? true) {
      this.registerMeshWorkloads();
    }
    if (oidc) {
      this.oidcDiscoveryDeployment = this.deployOidcDiscovery(oidcDomain!, oidc.tlsSecret, oidcImage!, oidcReplicas);
    }
    this.node.addValidation({ validate: () => this.validateRegistrations() });
  }

  /**
   * Registers every workload of the intent graph: one ClusterSPIFFEID whose namespace
   * selector lists the graph's namespaces (rendered at synthesis time, so namespaces defined
   * later are included) and whose template is Istio's
   * `spiffe://{{ .TrustDomain }}/ns/{{ .PodMeta.Namespace }}/sa/{{ .PodSpec.ServiceAccountName }}`.
   * The ID comes from the pod's own namespace and ServiceAccount, so a pod can never obtain
   * another workload's identity by copying its labels. Calling it again returns the same
   * registration.
   *
   * @returns the registration
   */
  public registerMeshWorkloads(): ClusterSpiffeId {
    if (this.meshRegistration) return this.meshRegistration;
    const registration = new ClusterSpiffeId(this, 'MeshWorkloads', { spire: this, name: `${this.className}-mesh-workloads` });
    registration._lazyNamespaceSelector(() => this.meshNamespaceSelector());
    this.meshRegistration = registration;
    return registration;
  }

  /**
   * Makes the Istio sidecar of `service` take its identity from SPIRE instead of istiod: the
   * pod gets the annotation `inject.istio.io/templates: "sidecar,spire"` and the label
   * `spiffe.io/spire-managed-identity: "true"`. The `spire` injection template (see
   * `istioValues`) adds the `csi.spiffe.io` volume and mounts it in istio-proxy at
   * `/run/secrets/workload-spiffe-uds`; the pod itself must not declare that volume (the
   * injected one would clash with it). Calling it again changes nothing.
   *
   * Community Istio supports SPIRE for sidecars only: a service in an ambient namespace is an
   * error.
   *
   * @param service the service
   * @returns the service
   */
  public enableIstioIntegration(service: MeshService): MeshService {
    const key = workloadKey(service);
    if (this.istioWorkloads.has(key)) return service;
    if (service.zeroTrustNamespace.meshMode === MeshMode.AMBIENT) {
      invalid(service, 'spireIntegration', service.zeroTrustNamespace.namespaceName,
        'community Istio supports SPIRE-issued identities for sidecars only; ambient mode (ztunnel) with SPIRE is not supported',
        'use MeshMode.SIDECAR for this namespace, or keep istiod as the certificate authority');
    }
    if (IntentGraph.of(service) !== this.graph) {
      invalid(service, 'spireIntegration', service.node.path, 'must be a MeshService of the same app as the SpireDeployment');
    }
    const podMeta = service.deployment.podMetadata;
    podMeta.addLabel(SPIRE_MANAGED_IDENTITY_LABEL, 'true');
    podMeta.addAnnotation(ISTIO_TEMPLATES_ANNOTATION, 'sidecar,spire');
    this.istioWorkloads.set(key, service);
    this.ensureIstioValues();
    return service;
  }

  /**
   * Enables the Istio integration for every MeshService of `namespace` (see
   * `enableIstioIntegration()`). Call it after the namespace's services are defined: a
   * MeshService added to the namespace later is a synth-time error.
   *
   * @param namespace the namespace
   * @returns the services enabled
   */
  public enableIstioIntegrationForNamespace(namespace: ZeroTrustNamespace): MeshService[] {
    if (namespace.meshMode === MeshMode.AMBIENT) {
      invalid(namespace, 'spireIntegration', namespace.namespaceName,
        'community Istio supports SPIRE-issued identities for sidecars only; ambient mode (ztunnel) with SPIRE is not supported',
        'use MeshMode.SIDECAR for this namespace, or keep istiod as the certificate authority');
    }
    this.istioNamespaces.set(namespace.namespaceName, namespace);
    const services = this.graph.workloads
      .filter(w => w.zeroTrustNamespace === namespace && isMeshService(w)) as unknown as MeshService[];
    return services.map(s => this.enableIstioIntegration(s));
  }

  /** The workloads whose sidecars take their identity from SPIRE, sorted. */
  public get istioIntegratedWorkloads(): IMeshWorkload[] {
    return [...this.istioWorkloads.keys()].sort().map(k => this.istioWorkloads.get(k)!);
  }

  /** Every ClusterSPIFFEID of this deployment. */
  public get clusterSpiffeIds(): ClusterSpiffeId[] {
    return [...this.registrations];
  }

  /**
   * The ClusterSPIFFEIDs that select `workload`'s pods (exactly one for every workload of the
   * intent graph once synthesis validation passed).
   */
  public registrationsOf(workload: IMeshWorkload): ClusterSpiffeId[] {
    const nsLabels = namespaceLabelsOf(workload);
    const podLabels = podLabelsOf(workload);
    const matching = this.registrations.filter(r => r.selects(nsLabels, podLabels));
    const primary = matching.filter(r => !r.fallback);
    return primary.length > 0 ? primary : matching;
  }

  /** @internal */
  public _addRegistration(registration: ClusterSpiffeId): void {
    const clash = this.registrations.find(r => r.name === registration.name);
    if (clash) {
      invalid(registration, 'name', registration.name, `${clash.node.path} already defines a ClusterSPIFFEID with this name`, 'give each registration its own name');
    }
    this.registrations.push(registration);
  }

  private deployOidcDiscovery(domain: string, tlsSecret: kplus.ISecret, image: string, replicas: number): k8s.KubeDeployment {
    const identity = (childId: string) => this.graph._placement(Layer.IDENTITY, this, 'spire', childId);
    const metadata = {
      name: 'spiffe-oidc-discovery-provider',
      namespace: this.serverNamespace,
      labels: { ...MANAGED_BY, 'app.kubernetes.io/part-of': 'spire', 'app.kubernetes.io/name': 'spiffe-oidc-discovery-provider' },
    };
    const conf = {
      log_level: 'info',
      domains: [domain],
      serving_cert_file: { cert_file_path: '/run/spire/oidc-tls/tls.crt', key_file_path: '/run/spire/oidc-tls/tls.key', addr: `:${OIDC_PORT}` },
      workload_api: { socket_path: `/spiffe-workload-api/${AGENT_SOCKET_NAME}`, trust_domain: this.trustDomain },
    };
    let at = identity('OidcDiscoveryConfig');
    new k8s.KubeConfigMap(at.scope, at.id, { metadata, data: { 'oidc-discovery-provider.conf': renderJson(conf) } });
    at = identity('OidcDiscoveryServiceAccount');
    new k8s.KubeServiceAccount(at.scope, at.id, { metadata, automountServiceAccountToken: false });
    at = identity('OidcDiscoveryService');
    new k8s.KubeService(at.scope, at.id, {
      metadata,
      spec: { selector: { ...OIDC_LABELS }, ports: [{ name: 'https', port: 443, targetPort: k8s.IntOrString.fromString('https'), protocol: 'TCP' }] },
    });
    // the provider's health listener binds to localhost, out of the kubelet's reach: probe the HTTPS port
    const probe = (periodSeconds: number): k8s.Probe => ({ tcpSocket: { port: k8s.IntOrString.fromString('https') }, periodSeconds, timeoutSeconds: 3, failureThreshold: 3 });
    at = identity('OidcDiscoveryDeployment');
    const deployment = new k8s.KubeDeployment(at.scope, at.id, {
      metadata,
      spec: {
        replicas,
        selector: { matchLabels: { ...OIDC_LABELS } },
        template: {
          metadata: { labels: { ...OIDC_LABELS } },
          spec: {
            serviceAccountName: 'spiffe-oidc-discovery-provider',
            automountServiceAccountToken: false,
            securityContext: restrictedPodSecurity(SERVER_UID),
            containers: [{
              name: 'spiffe-oidc-discovery-provider',
              image,
              args: ['-config', '/run/spire/oidc-config/oidc-discovery-provider.conf'],
              ports: [{ name: 'https', containerPort: OIDC_PORT, protocol: 'TCP' }],
              securityContext: restrictedContainerSecurity(),
              resources: resources('10m', '32Mi', '200m', '128Mi'),
              livenessProbe: probe(10),
              readinessProbe: probe(5),
              volumeMounts: [
                { name: 'oidc-config', mountPath: '/run/spire/oidc-config', readOnly: true },
                { name: 'oidc-tls', mountPath: '/run/spire/oidc-tls', readOnly: true },
                { name: 'spiffe-workload-api', mountPath: '/spiffe-workload-api', readOnly: true },
              ],
            }],
            volumes: [
              { name: 'oidc-config', configMap: { name: 'spiffe-oidc-discovery-provider' } },
              { name: 'oidc-tls', secret: { secretName: tlsSecret.name } },
              // the Workload API through the SPIFFE CSI driver, not a hostPath: the pod stays restricted
              { name: 'spiffe-workload-api', csi: { driver: CSI_DRIVER, readOnly: true } },
            ],
          },
        },
      },
    });
    // the provider reads the JWT keys through the Workload API, so it needs a registration
    new ClusterSpiffeId(this, 'OidcDiscoveryProvider', {
      spire: this,
      name: `${this.className}-oidc-discovery-provider`,
      namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: this.serverNamespace } },
      podSelector: { matchLabels: { ...OIDC_LABELS } },
      dnsNameTemplates: [domain],
    });
    return deployment;
  }

  private meshNamespaceSelector(): LabelSelector {
    const names = [...new Set(this.graph.workloads.map(w => w.zeroTrustNamespace.namespaceName))].sort();
    // an In requirement needs values: with no workloads yet, select no namespace at all
    return names.length > 0
      ? { matchExpressions: [{ key: NAMESPACE_NAME_LABEL, operator: LabelSelectorOperator.IN, values: names }] }
      : { matchExpressions: [{ key: NAMESPACE_NAME_LABEL, operator: LabelSelectorOperator.DOES_NOT_EXIST }] };
  }

  private validateRegistrations(): string[] {
    const errors: string[] = [];
    for (const workload of this.graph.workloads) {
      const matching = this.registrationsOf(workload);
      if (matching.length > 1) {
        errors.push(`invalid registration ${JSON.stringify(matching.map(r => r.node.path))}: workload ${workloadKey(workload)} is selected by ${matching.length} ClusterSPIFFEIDs; `
          + 'a workload must have exactly one SPIFFE ID registration (or the controller manager picks one arbitrarily); narrow the selectors, or mark extra ones fallback');
      }
      if (matching.length === 0 && this.istioWorkloads.has(workloadKey(workload))) {
        errors.push(`invalid registration []: workload ${workloadKey(workload)} takes its identity from SPIRE but no ClusterSPIFFEID selects it, so its pods never become Ready; `
          + 'keep registerMeshWorkloads on or add a ClusterSpiffeId that selects it');
      }
    }
    for (const ns of this.istioNamespaces.values()) {
      for (const w of this.graph.workloads) {
        if (w.zeroTrustNamespace === ns && isMeshService(w) && !this.istioWorkloads.has(workloadKey(w))) {
          errors.push(`invalid spireIntegration ${JSON.stringify(w.node.path)}: namespace ${ns.namespaceName} uses the SPIRE integration but this MeshService was defined after enableIstioIntegrationForNamespace(); `
            + 'call it after every MeshService of the namespace, or call enableIstioIntegration(service)');
        }
      }
    }
    return errors;
  }

  private ensureIstioValues(): void {
    if (!this.node.tryFindChild('IstioValues')) {
      new IstioSpireValues(this, 'IstioValues', { path: 'istio/spire-integration.values.yaml', trustDomain: this.trustDomain });
    }
  }
}

/**
 * Properties of the Istio Helm values for the SPIRE integration.
 */
interface IstioSpireValuesProps {
  readonly path: string;
  readonly trustDomain: string;
}

/**
 * Helm values for istiod (`istio/istiod` chart) that install the `spire` sidecar injection
 * template and set the mesh trust domain to SPIRE's: written to
 * `istio/spire-integration.values.yaml`.
 */
class IstioSpireValues extends OutputFile {
  private readonly trustDomain: string;
  public constructor(scope: Construct, id: string, props: IstioSpireValuesProps) {
    super(scope, id, { path: props.path });
    this.trustDomain = props.trustDomain;
  }

  public renderContents(): string {
    const template = Yaml.stringify({
      labels: { [SPIRE_MANAGED_IDENTITY_LABEL]: 'true' },
      spec: {
        containers: [{ name: 'istio-proxy', volumeMounts: [{ name: 'workload-socket', mountPath: ISTIO_WORKLOAD_SOCKET_PATH, readOnly: true }] }],
        volumes: [{ name: 'workload-socket', csi: { driver: CSI_DRIVER, readOnly: true } }],
      },
    });
    return `# istiod Helm values generated by cdk8s-zero-trust: the SPIRE integration
# (https://istio.io/latest/docs/ops/integrations/spire/). Pods annotated
# inject.istio.io/templates: "sidecar,spire" get the SPIRE agent socket at ${ISTIO_WORKLOAD_SOCKET_PATH}.
${Yaml.stringify({ meshConfig: { trustDomain: this.trustDomain }, sidecarInjectorWebhook: { templates: { spire: template } } })}`;
  }
}

const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

function checkDomain(scope: IConstruct, prop: string, domain: string): string {
  if (typeof domain !== 'string' || !DOMAIN.test(domain)) {
    invalid(scope, prop, domain, 'must be a lower-case DNS name without scheme, port or path', 'for example \'oidc-discovery.example.org\'');
  }
  return domain;
}

const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

function checkCidr(scope: IConstruct, prop: string, cidr: string): string {
  const m = typeof cidr === 'string' ? IPV4_CIDR.exec(cidr) : null;
  const ipv6 = typeof cidr === 'string' && /^[0-9a-fA-F:]+\/\d{1,3}$/.test(cidr) && cidr.includes(':') && Number(cidr.split('/')[1]) <= 128;
  if (!ipv6 && (!m || m.slice(1, 5).some(o => Number(o) > 255) || Number(m[5]) > 32)) {
    invalid(scope, prop, cidr, 'must be an IPv4 or IPv6 CIDR, for example \'10.0.0.0/16\'');
  }
  return cidr;
}

function webhook(namespace: string, name: string, resource: string, failurePolicy: string): k8s.ValidatingWebhook {
  return {
    name,
    admissionReviewVersions: ['v1'],
    sideEffects: 'None',
    failurePolicy,
    clientConfig: { service: { name: 'spire-controller-manager-webhook', namespace, path: `/validate-spire-spiffe-io-v1alpha1-${resource}` } },
    rules: [{ apiGroups: ['spire.spiffe.io'], apiVersions: ['v1alpha1'], operations: ['CREATE', 'UPDATE'], resources: [`${resource}s`] }],
  };
}

function isMeshService(w: IConstruct): boolean {
  return 'deployment' in w && (w as any).deployment instanceof kplus.Deployment;
}

/** The labels of a workload's namespace (the Namespace object's labels plus the name label). */
function namespaceLabelsOf(workload: IMeshWorkload): { [key: string]: string } {
  const ns = workload.zeroTrustNamespace;
  const labels = ZeroTrustNamespace.isZeroTrustNamespace(ns) ? ApiObject.of(ns.namespace).metadata.toJson().labels ?? {} : {};
  return { ...labels, [NAMESPACE_NAME_LABEL]: ns.namespaceName };
}

/** The labels of a workload's pods. */
function podLabelsOf(workload: IMeshWorkload): { [key: string]: string } {
  const extra = isMeshService(workload) ? (workload as unknown as MeshService).deployment.podMetadata.toJson().labels ?? {} : {};
  return { ...extra, ...workload.podSelectorLabels };
}

