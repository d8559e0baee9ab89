import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';

/**
 * How a namespace's pods join the Istio mesh.
 */
export enum MeshMode {
  /**
   * An Envoy sidecar is injected into every pod (namespace label `istio-injection: enabled`).
   * L7 (method, path) authorization is enforced by the callee's sidecar.
   */
  SIDECAR = 'sidecar',
  /**
   * Ambient mode (namespace label `istio.io/dataplane-mode: ambient`): ztunnel enforces L4
   * (identity and port) only. Traffic between pods is tunnelled over HBONE on port 15008 and
   * kubelet probes arrive from 169.254.7.127.
   */
  AMBIENT = 'ambient',
}

/**
 * The application protocol of a workload port, as Istio sees it (it becomes the Service port
 * name prefix, which Istio uses for protocol selection).
 */
export enum AppProtocol {
  /** HTTP/1.1: calls may be restricted by method and path. */
  HTTP = 'http',
  /** HTTP/2: calls may be restricted by method and path. */
  HTTP2 = 'http2',
  /** gRPC: calls may be restricted by path (`/package.Service/Method`). */
  GRPC = 'grpc',
  /** Opaque TCP (databases, queues): calls are restricted by identity and port only. */
  TCP = 'tcp',
}

/**
 * A port a workload listens on.
 */
export interface WorkloadPort {
  /**
   * The container port. NetworkPolicy and AuthorizationPolicy rules use this port (they see
   * traffic after the Service has translated the port).
   */
  readonly port: number;

  /**
   * The application protocol.
   *
   * @default AppProtocol.HTTP
   */
  readonly protocol?: AppProtocol;

  /**
   * The port the Service exposes.
   *
   * @default - the container port
   */
  readonly servicePort?: number;
}

/**
 * A Kubernetes namespace that belongs to the zero-trust mesh.
 */
export interface IZeroTrustNamespace extends IConstruct {
  /** The namespace name. */
  readonly namespaceName: string;
  /** How the namespace's pods join the mesh. */
  readonly meshMode: MeshMode;
}

/**
 * Where a workload of the intent graph comes from, which decides what the app renders for it.
 */
export enum WorkloadOrigin {
  /** Built by the library (MeshService, VaultInjectedDeployment, AccessProxy): every object is the app's. */
  LIBRARY = 'library',
  /**
   * A workload object of the app the library did not build (AdoptedWorkload): its pods are the
   * app's, so it gets every policy a MeshService gets.
   */
  ADOPTED = 'adopted',
  /**
   * A workload outside the app (installed by Helm or another team), referenced by namespace,
   * pod selector and ServiceAccount (ExternalWorkload): the app renders the policies of calls to
   * it, never its egress (its namespace's baseline is not the app's).
   */
  EXTERNAL = 'external',
}

/**
 * A workload of the intent graph: something with a mesh identity (a ServiceAccount in a
 * zero-trust namespace) that can call or be called.
 */
export interface IMeshWorkload extends IConstruct {
  /** The workload name, unique in its namespace. */
  readonly workloadName: string;
  /** The zero-trust namespace the workload runs in. */
  readonly zeroTrustNamespace: IZeroTrustNamespace;
  /** The ServiceAccount the workload's pods run as: the workload's mesh identity. */
  readonly serviceAccountName: string;
  /** Labels that select exactly this workload's pods within its namespace. */
  readonly podSelectorLabels: { [key: string]: string };
  /** The ports the workload listens on, each with its protocol set. */
  readonly workloadPorts: WorkloadPort[];
  /**
   * Where the workload comes from.
   *
   * @default WorkloadOrigin.LIBRARY
   */
  readonly workloadOrigin?: WorkloadOrigin;
}

/**
 * A workload of the intent graph whose pods this app renders (`MeshService`,
 * `MeshStatefulService`, `AdoptedWorkload`): the identity and secrets layers add what they
 * deliver (pod labels, annotations, volumes, read-only mounts) to the pod template of its
 * workload object as it renders, whichever cdk8s-plus version (or none) built it.
 *
 * A workload outside the app (`ExternalWorkload`) is not one: its pods are rendered elsewhere.
 */
export interface IPodWorkload extends IMeshWorkload {
  /**
   * The object whose pod template makes the workload's pods: a Deployment, StatefulSet,
   * DaemonSet, Job or CronJob, as a plain `ApiObject` (for a cdk8s-plus workload, its
   * `apiObject`).
   */
  readonly workloadObject: ApiObject;
}
