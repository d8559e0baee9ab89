import * as kplus from 'cdk8s-plus-27';
import { WritableDirectory } from './writable-directory';
import { Rollout } from '../enforcement/enforcement-points';
import { CloudWorkloadIdentity } from '../identity/cloud-identity';
import { AppProtocol, WorkloadPort } from '../intent/mesh-workload';
import { ZeroTrustNamespace } from '../segmentation/zero-trust-namespace';

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
