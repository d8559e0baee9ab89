import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { allowCall } from './_calls';
import { addRestrictedPatches, MANAGED_BY, podWorkloadProps, resolveService, servicePorts } from './_service-parts';
import { WritableDirectory } from './writable-directory';
import { addExternalEgress } from '../edge/_egress';
import { EnforcementPoints, Rollout } from '../enforcement/enforcement-points';
import { CloudWorkloadIdentity } from '../identity/cloud-identity';
import { guardArgs, guardProps } from '../intent/_guards';
import { invalid } from '../intent/_validation';
import { CallIntent, CallOptions, EgressIntent, IntentGraph, Layer } from '../intent/intent-graph';
import { AppProtocol, IMeshWorkload, IZeroTrustNamespace, WorkloadPort } from '../intent/mesh-workload';
import { ensureAuditNetworkPolicy } from '../network/_network-policies';
import { requireZeroTrustNamespace, ZeroTrustNamespace } from '../segmentation/zero-trust-namespace';

/**
 * Restrictions of a call allowed with `MeshService.allowFrom()`: ports, methods and paths.
 */
export interface AllowFromOptions extends CallOptions {}

/**
 * Properties of a MeshService.
 */
export interface MeshServiceProps {
  /**
   * The zero-trust namespace the service runs in.
   */
  readonly namespace: ZeroTrustNamespace;

  /**
   * The container image.
   */
  readonly image: string;

  /**
   * The service name (a DNS-1035 label), also the name of its Deployment, Service and
   * ServiceAccount.
   *
   * @default - the construct id
   */
  readonly name?: string;

  /**
   * The single port the service listens on. Use `ports` for several.
   *
   * @default - `ports` must be given
   */
  readonly port?: number;

  /**
   * The protocol of `port`.
   *
   * @default AppProtocol.HTTP
   */
  readonly protocol?: AppProtocol;

  /**
   * The ports the service listens on (instead of `port` and `protocol`).
   *
   * @default - `port` must be given
   */
  readonly ports?: WorkloadPort[];

  /**
   * The number of replicas.
   *
   * @default 2
   */
  readonly replicas?: number;

  /**
   * The ServiceAccount name: the service's mesh identity.
   *
   * @default - the service name
   */
  readonly serviceAccountName?: string;

  /**
   * Whether the ServiceAccount token is mounted into the pods. Only workloads that call the
   * Kubernetes API need it.
   *
   * @default false
   */
  readonly automountServiceAccountToken?: boolean;

  /**
   * Whether this service's traffic policies enforce or only audit, overriding its namespace's
   * `rollout` (see `ZeroTrustNamespaceProps.rollout`). In AUDIT inside an enforcing namespace,
   * allow-all policies for this service's pods keep the namespace's deny-by-default from
   * denying, while its own AuthorizationPolicies are dry runs.
   *
   * @default - the namespace's rollout
   */
  readonly rollout?: Rollout;

  /**
   * The user id the containers run as. Never 0 (root) nor 1337 (Istio's proxy: traffic of
   * that user bypasses the sidecar).
   *
   * @default 10001
   */
  readonly user?: number;

  /**
   * The group id the containers run as (and the pod's fsGroup).
   *
   * @default 10001
   */
  readonly group?: number;

  /**
   * Resource requests and limits of the application container.
   *
   * @default - requests 100m CPU and 128Mi memory, limits 500m CPU and 256Mi memory
   */
  readonly resources?: kplus.ContainerResources;

  /**
   * An HTTP path for readiness and liveness probes on the first HTTP port. The probes keep
   * working under STRICT mTLS and the allow-nothing policy because Istio rewrites them to the
   * sidecar's health port (15020); the library never disables that rewrite.
   *
   * @default - TCP socket probes on the first port
   */
  readonly healthCheckPath?: string;

  /**
   * Environment variables of the application container. Never put secret values here: use
   * `kplus.EnvValue.fromSecretValue()` through `deployment` instead.
   *
   * @default - none
   */
  readonly env?: { [name: string]: string };

  /**
   * Arguments of the application container.
   *
   * @default - the image's default command and arguments
   */
  readonly args?: string[];

  /**
   * A cloud workload identity for the service's ServiceAccount (AWS IRSA, GKE Workload
   * Identity, Azure Workload ID). The ServiceAccount token stays unmounted: the cloud's
   * webhook or metadata server provides its own token.
   *
   * @default - none
   */
  readonly cloudIdentity?: CloudWorkloadIdentity;

  /**
   * Writable directories of the application container (`emptyDir` volumes), for what the image
   * writes at run time under the read-only root filesystem (sockets, PID files, `/tmp`).
   *
   * @default - none
   */
  readonly writableDirectories?: WritableDirectory[];
}


/**
 * Defines a workload of the mesh: a Deployment (cdk8s-plus-27), its Service and a dedicated
 * ServiceAccount, hardened by default, in a ZeroTrustNamespace where nothing may reach it
 * until `allowFrom()` says so.
 *
 * Containers run as a non-root user (never root, never Istio's 1337) with a read-only root
 * filesystem, no privilege escalation, all capabilities dropped, the RuntimeDefault seccomp
 * profile, resource requests and limits, and no ServiceAccount token. Probes are rewritten by
 * Istio to the sidecar's health port, so they keep working under STRICT mTLS and
 * deny-by-default.
 *
 * Each call allowed with `allowFrom()` becomes, at synthesis time, part of one ingress
 * NetworkPolicy and one AuthorizationPolicy on this service and one egress NetworkPolicy on the
 * caller: objects grow with services, not with calls.
 *
 * @example
 * const order = new MeshService(chart, 'order-service', { namespace: prod, image: 'ghcr.io/acme/order:1.4.2', port: 8080 });
 * order.allowFrom(gateway, { methods: ['GET', 'POST'], paths: ['/api/orders/*'] });
 */
export class MeshService extends Construct implements IMeshWorkload {
  /** The service name. */
  public readonly workloadName: string;
  /** The zero-trust namespace. */
  public readonly zeroTrustNamespace: IZeroTrustNamespace;
  /** The ServiceAccount name (the mesh identity). */
  public readonly serviceAccountName: string;
  /** Labels selecting this service's pods. */
  public readonly podSelectorLabels: { [key: string]: string };
  /** The ports the service listens on. */
  public readonly workloadPorts: WorkloadPort[];
  /** The Deployment. Escape hatch: `ApiObject.of(service.deployment)` for JSON patches. */
  public readonly deployment: kplus.Deployment;
  /** The Service. */
  public readonly service: kplus.Service;
  /** The dedicated ServiceAccount. */
  public readonly serviceAccount: kplus.ServiceAccount;

  private readonly graph: IntentGraph;

  public constructor(scope: Construct, id: string, props: MeshServiceProps) {
    super(scope, id);
    guardProps(this, 'MeshService', props);
    this.graph = IntentGraph.of(this);
    if (!props || typeof props !== 'object') {
      invalid(this, 'props', props, 'must be an object with at least namespace, image and port');
    }
    this.zeroTrustNamespace = requireZeroTrustNamespace(this, props.namespace);
    const r = resolveService(this, id, props, 2);
    this.workloadName = r.workloadName;
    this.serviceAccountName = r.serviceAccountName;
    this.podSelectorLabels = r.podSelectorLabels;
    this.workloadPorts = r.workloadPorts;

    this.graph._addWorkload(this);
    if (props.rollout !== undefined) {
      if (!Object.values(Rollout).includes(props.rollout)) {
        invalid(this, 'rollout', props.rollout, `must be one of ${Object.values(Rollout).join(', ')}`);
      }
      EnforcementPoints.of(this)._declareRollout(this, props.rollout);
      if (props.rollout === Rollout.AUDIT && EnforcementPoints.of(this).forNamespace(this.zeroTrustNamespace).rollout === Rollout.ENFORCE) {
        ensureAuditNetworkPolicy(this.graph, this, `${this.zeroTrustNamespace.namespaceName}-${this.workloadName}`, this.zeroTrustNamespace.namespaceName,
          `${this.workloadName}-audit-allow-all`, this.podSelectorLabels);
      }
    }
    const namespace = this.zeroTrustNamespace.namespaceName;
    const place = (childId: string) => this.graph._placement(Layer.WORKLOADS, this, `${namespace}-${this.workloadName}`, childId);
    const labels = { 'app.kubernetes.io/name': this.workloadName, 'app.kubernetes.io/managed-by': MANAGED_BY };
    const metadata = { name: this.workloadName, namespace, labels };

    let p = place('ServiceAccount');
    this.serviceAccount = new kplus.ServiceAccount(p.scope, p.id, {
      metadata: { ...metadata, name: this.serviceAccountName },
      automountToken: props.automountServiceAccountToken ?? false,
    });

    p = place('Deployment');
    this.deployment = new kplus.Deployment(p.scope, p.id, {
      ...podWorkloadProps(this, namespace, props, r, this.serviceAccount),
      replicas: r.replicas,
    });
    this.deployment.select(kplus.LabelSelector.of({ labels: this.podSelectorLabels }));
    addRestrictedPatches(this.deployment);

    p = place('Service');
    this.service = new kplus.Service(p.scope, p.id, { metadata, ports: servicePorts(r) });
    this.service.selectLabel('app.kubernetes.io/name', this.workloadName);

    props.cloudIdentity?._bind(this, this.serviceAccount, this.deployment);
  }

  /**
   * Allows `caller` to call this service, and nothing else that was not allowed already.
   *
   * At synthesis time the call becomes: an ingress rule on this service's NetworkPolicy (from
   * the caller's pods, on the container ports; plus HBONE 15008 in ambient namespaces), an
   * egress rule on the caller's NetworkPolicy, and an ALLOW rule on this service's
   * AuthorizationPolicy whose source is the caller's mTLS principal
   * (`<trustDomain>/ns/<namespace>/sa/<serviceAccount>`), restricted to the ports, methods and
   * paths given. Callers may be in other namespaces. Calling it again with the same arguments
   * changes nothing and returns the same call.
   *
   * @param caller the workload that may call this service
   * @param options ports, methods and paths the caller may use
   * @returns the call added to the intent graph
   *
   * @example
   * orders.allowFrom(gateway, { methods: ['GET', 'POST'], paths: ['/api/orders/*'] });
   * database.allowFrom(orders); // plain TCP: identity and port only
   */
  public allowFrom(caller: IMeshWorkload, options: AllowFromOptions = {}): CallIntent {
    guardArgs(this, 'MeshService', 'allowFrom', [caller, options]);
    return allowCall(this.graph, this, caller, options);
  }

  /** The calls this service accepts, from the intent graph. */
  public get allowedCalls(): CallIntent[] {
    return this.graph.callsTo(this);
  }

  /** The service's SPIFFE ID: `spiffe://<trustDomain>/ns/<namespace>/sa/<serviceAccount>`. */
  public get spiffeId(): string {
    return this.graph.spiffeIdOf(this);
  }

  /** The in-cluster DNS name of the Service. */
  public get host(): string {
    return `${this.workloadName}.${this.zeroTrustNamespace.namespaceName}.svc.cluster.local`;
  }

  /**
   * Allows this service to call `host` outside the cluster, and nothing else outside it.
   *
   * The egress is recorded in the intent graph and rendered at every layer: a ServiceEntry
   * (MESH_EXTERNAL, visible in this namespace only) and this service's Sidecar (egress hosts =
   * its declared callees and external hosts, outbound traffic policy REGISTRY_ONLY) for the
   * mesh; for the network, an egress NetworkPolicy to the port on public addresses only
   * (Kubernetes NetworkPolicy cannot match host names: private, link-local and metadata ranges
   * stay closed), replaced by a Cilium `toFQDNs` rule when a `CiliumWorkloadPolicy` covers
   * this service. Calling it again with the same arguments changes nothing.
   *
   * @param host the exact external DNS name, for example `api.stripe.com` (no wildcard, IP or cluster name)
   * @param options the port
   * @returns the egress added to the intent graph
   *
   * @example
   * payments.allowEgressTo('api.stripe.com', { port: 443 });
   */
  public allowEgressTo(host: string, options: AllowEgressToOptions = {}): EgressIntent {
    guardArgs(this, 'MeshService', 'allowEgressTo', [host, options]);
    if (options === null || typeof options !== 'object') {
      invalid(this, 'allowEgressTo(options)', options, 'must be an object (AllowEgressToOptions: port)');
    }
    return addExternalEgress(this.graph, this, host, options.port);
  }
}

/**
 * Options of `MeshService.allowEgressTo()`.
 */
export interface AllowEgressToOptions {
  /**
   * The TCP port of the external host. Port 80 is declared to the mesh as HTTP, every other
   * port as TLS (matched by SNI, never decrypted).
   *
   * @default 443
   */
  readonly port?: number;
}
