import { Privilege } from '../intent/privileged-workload';
import { FalcoDriver } from '../runtime/falco-rule-types';

/**
 * Who calls a port of a platform component.
 */
export enum PlatformPeer {
  /** The Kubernetes API server (admission webhooks, aggregated APIs). */
  API_SERVER = 'api-server',
  /** Every workload of the mesh (istiod's xDS and CA ports). */
  MESH = 'mesh',
  /** The cluster's Prometheus (metrics ports). */
  MONITORING = 'monitoring',
  /** Anything that may reach the component: a gateway's listeners behind a load balancer. */
  ANY = 'any',
  /** Cluster DNS (egress only: UDP and TCP 53 to the DNS pods). */
  DNS = 'dns',
  /** istiod's xDS and CA port (egress only: proxies and ztunnel fetch configuration and certificates). */
  ISTIOD = 'istiod',
  /** Public addresses outside the cluster (egress only: registries, artifact indexes, JWKS endpoints). */
  INTERNET = 'internet',
}

/**
 * A port a platform component's pods listen on, and who calls it.
 */
export interface PlatformPort {
  /** The container port. */
  readonly port: number;
  /** The port name in the chart. */
  readonly name: string;
  /** Who calls it (nobody outside the pod when empty: debug ports). */
  readonly from: PlatformPeer[];
  /**
   * Workloads of the same component that call it (by name), besides `from`.
   *
   * @default - none
   */
  readonly fromWorkloads?: string[];
}

/**
 * A destination the pods of a platform component's workload connect to, and why.
 */
export interface PlatformEgress {
  /**
   * Who the pods call. With `workload`, leave it out.
   *
   * @default - the workload named by `workload`
   */
  readonly to?: PlatformPeer;
  /**
   * A workload of the same component the pods call (by name).
   *
   * @default - the peer named by `to`
   */
  readonly workload?: string;
  /**
   * The destination's TCP ports (53 means UDP and TCP for `PlatformPeer.DNS`). Empty: every
   * port (a gateway forwarding to routes it cannot know); for `PlatformPeer.API_SERVER` the
   * API server peer's ports.
   */
  readonly ports: number[];
  /** Why the pods make this call, with the upstream source that documents it. */
  readonly reason: string;
}

/**
 * One container of a platform component's pod, as its chart renders it by default.
 */
export interface PlatformContainer {
  /** The container name. */
  readonly name: string;
  /** The image exactly as the chart renders it (registry, repository, tag, and digest when pinned). */
  readonly image: string;
  /**
   * Whether it is an init container.
   *
   * @default false
   */
  readonly init?: boolean;
  /**
   * The privileges this container holds beyond the `restricted` Pod Security level (container
   * level only: host namespaces and host paths belong to the workload).
   *
   * @default - none
   */
  readonly privileges?: Privilege[];
  /**
   * The Linux capabilities added, with `Privilege.ADDED_CAPABILITIES`.
   *
   * @default - none
   */
  readonly capabilities?: string[];
  /**
   * Why the container needs its privileges.
   *
   * @default - no privileges
   */
  readonly reason?: string;
}

/**
 * One workload of a platform component (Deployment, DaemonSet, StatefulSet or Job).
 */
export interface PlatformWorkload {
  /** `Deployment`, `DaemonSet`, `StatefulSet`, `Job`. */
  readonly kind: string;
  /** The workload name. */
  readonly name: string;
  /** The namespace. */
  readonly namespace: string;
  /** Labels that select exactly this workload's pods. */
  readonly podLabels: { [key: string]: string };
  /** The pods' ServiceAccount. */
  readonly serviceAccount: string;
  /** The containers and init containers. */
  readonly containers: PlatformContainer[];
  /**
   * Privileges of the pod as a whole: `HOST_NETWORK`, `HOST_PID`, `HOST_IPC`, `HOST_PATH`.
   *
   * @default - none
   */
  readonly podPrivileges?: Privilege[];
  /**
   * The host paths the pod mounts, with `Privilege.HOST_PATH`.
   *
   * @default - none
   */
  readonly hostPaths?: string[];
  /**
   * Why the pod needs its pod-level privileges.
   *
   * @default - no pod-level privileges
   */
  readonly reason?: string;
  /**
   * The ports the pods listen on.
   *
   * @default - none
   */
  readonly ports?: PlatformPort[];
  /**
   * Where the pods connect to (egress), with the reason. Connections a Kubernetes
   * NetworkPolicy does not see (host-network pods, sockets ztunnel opens in other pods'
   * network namespaces) are not listed.
   *
   * @default - none: the pods call nothing
   */
  readonly egress?: PlatformEgress[];
}

/**
 * An admission webhook a platform component registers: the API server calls it.
 */
export interface PlatformWebhook {
  /** `MutatingWebhookConfiguration` or `ValidatingWebhookConfiguration`. */
  readonly kind: string;
  /** The configuration's name. */
  readonly name: string;
  /** The Service the API server calls. */
  readonly service: string;
  /** The container port behind the Service. */
  readonly targetPort: number;
}

/**
 * Where a component's chart comes from.
 */
export interface HelmChartReference {
  /** The chart repository URL (or OCI reference). */
  readonly repository: string;
  /** The chart name. */
  readonly chart: string;
  /** The pinned chart version. */
  readonly version: string;
}

/**
 * Options every platform component accepts.
 */
export interface PlatformComponentOptions {
  /**
   * The namespace the component is installed into.
   *
   * @default - the namespace the component's documentation installs it into
   */
  readonly namespace?: string;
  /**
   * The Helm release name.
   *
   * @default - the release name the component's documentation uses
   */
  readonly releaseName?: string;
  /**
   * A registry mirror replacing the registry of every image (`registry.example/mirror` turns
   * `docker.io/istio/pilot:1.30.3` into `registry.example/mirror/istio/pilot:1.30.3`, and
   * `openpolicyagent/gatekeeper:v3.23.0` into `registry.example/mirror/openpolicyagent/gatekeeper:v3.23.0`).
   *
   * @default - the chart's registries
   */
  readonly registry?: string;
  /**
   * Image digests (`sha256:` and 64 hex digits), by repository as rendered without tag (after
   * `registry`): the image becomes `<repository>:<tag>@<digest>`, and the policy pack admits
   * exactly that digest (also as `<repository>@<digest>`).
   *
   * @default - images pinned by tag
   */
  readonly digests?: { [repository: string]: string };
}

/**
 * Options of the Istio components.
 */
export interface IstioComponentOptions extends PlatformComponentOptions {
  /**
   * Istio's image hub (`global.hub`).
   *
   * @default 'docker.io/istio'
   */
  readonly hub?: string;
  /**
   * Whether the ambient data plane is enabled (`istio-cni` `ambient.enabled`: the node agent
   * then also mounts `/proc`, `/var/run/ztunnel` and the network namespaces).
   *
   * @default false
   */
  readonly ambient?: boolean;
}

/**
 * Options of an Istio gateway (the `gateway` chart, or a waypoint istiod deploys).
 */
export interface IstioGatewayOptions {
  /** The gateway's name (the Helm release of the `gateway` chart, or the waypoint's Gateway name). */
  readonly name: string;
  /** The namespace. */
  readonly namespace: string;
  /**
   * Istio's image hub (`global.hub`).
   *
   * @default 'docker.io/istio'
   */
  readonly hub?: string;
  /**
   * A registry mirror replacing the registry of the proxy image (see `PlatformComponentOptions.registry`).
   *
   * @default - the chart's registry
   */
  readonly registry?: string;
  /**
   * Image digests by repository (see `PlatformComponentOptions.digests`).
   *
   * @default - images pinned by tag
   */
  readonly digests?: { [repository: string]: string };
  /**
   * The ports the gateway listens on for traffic (besides Envoy's status and metrics ports).
   *
   * @default [80, 443] for gateways; [443] for Gateway API gateways; [15008] for waypoints
   */
  readonly listenerPorts?: number[];
}

/**
 * How istiod renders Istio's proxy image (`proxyv2`) for a gateway.
 */
export interface ProxyImageOptions {
  /**
   * Istio's image hub (`global.hub`).
   *
   * @default 'docker.io/istio'
   */
  readonly hub?: string;
  /**
   * A registry mirror replacing the registry of the proxy image (see `PlatformComponentOptions.registry`).
   *
   * @default - the hub's registry
   */
  readonly registry?: string;
  /**
   * Image digests by repository (see `PlatformComponentOptions.digests`).
   *
   * @default - the image pinned by tag
   */
  readonly digests?: { [repository: string]: string };
}

/**
 * Options of a gateway istiod deploys for a Gateway API `Gateway` of class `istio`.
 */
export interface KubernetesGatewayOptions extends IstioGatewayOptions {
  /**
   * Whether the pods run with the RuntimeDefault seccomp profile (patched in through the
   * Gateway's `infrastructure.parametersRef`, as `AccessProxy` does, or set with istiod's
   * `gateways.seccompProfile`).
   *
   * @default false
   */
  readonly runtimeDefaultSeccomp?: boolean;
}

/**
 * Options of the Falco description.
 */
export interface FalcoComponentOptions extends PlatformComponentOptions {
  /**
   * The driver.
   *
   * @default FalcoDriver.AUTO
   */
  readonly driver?: FalcoDriver;
}

/** @internal */
export interface _ComponentData {
  readonly name: string;
  readonly chart: HelmChartReference;
  readonly appVersion: string;
  readonly namespace: string;
  readonly workloads: PlatformWorkload[];
  readonly webhooks: PlatformWebhook[];
}
