import { ApiObject } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { addRestrictedPatches, MANAGED_BY, podWorkloadProps, resolveService, servicePorts } from './_service-parts';
import { GraphWorkload } from './graph-workload';
import { WritableDirectory } from './writable-directory';
import { Rollout } from '../enforcement/enforcement-points';
import { CloudWorkloadIdentity } from '../identity/cloud-identity';
import { guardProps } from '../intent/_guards';
import { invalid } from '../intent/_validation';
import { Layer } from '../intent/intent-graph';
import { AppProtocol, WorkloadOrigin, WorkloadPort } from '../intent/mesh-workload';
import { requireZeroTrustNamespace, ZeroTrustNamespace } from '../segmentation/zero-trust-namespace';

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
export class MeshService extends GraphWorkload {
  /** The Deployment. Escape hatch: `ApiObject.of(service.deployment)` for JSON patches. */
  public readonly deployment: kplus.Deployment;
  /** The Service. */
  public readonly service: kplus.Service;
  /** The dedicated ServiceAccount. */
  public readonly serviceAccount: kplus.ServiceAccount;

  public constructor(scope: Construct, id: string, props: MeshServiceProps) {
    super(scope, id);
    guardProps(this, 'MeshService', props);
    if (!props || typeof props !== 'object') {
      invalid(this, 'props', props, 'must be an object with at least namespace, image and port');
    }
    const zeroTrustNamespace = requireZeroTrustNamespace(this, props.namespace);
    const r = resolveService(this, id, props, 2);
    const deployment = () => ApiObject.of(this.deployment);
    this._join({ ...r, zeroTrustNamespace, workloadOrigin: WorkloadOrigin.LIBRARY, get workloadObject() { return deployment(); } }, props.rollout);
    const namespace = this.zeroTrustNamespace.namespaceName;
    const place = (childId: string) => this._graph._placement(Layer.WORKLOADS, this, `${namespace}-${this.workloadName}`, childId);
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

  /** The in-cluster DNS name of the Service. */
  public get host(): string {
    return `${this.workloadName}.${this.zeroTrustNamespace.namespaceName}.svc.cluster.local`;
  }
}
