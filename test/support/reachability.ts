/**
 * The tests' view of the project's one reachability evaluator, `src/evidence` (the effect
 * check's): it evaluates synthesized manifests the way the enforcement points do — Kubernetes
 * NetworkPolicy, Cilium (NetworkPolicies and CiliumNetworkPolicies merged, HTTP, toFQDNs and
 * deny rules), Istio PeerAuthentication, RequestAuthentication and AuthorizationPolicy at the
 * callee's sidecar, gateway, ztunnel or waypoint (`targetRefs`), HBONE between ambient peers,
 * and dry-run policies (not enforced; their would-be denials observable) — written from the
 * upstream documents and never from the renderers (see the sources' comments for each rule).
 *
 * This file only adapts names the tests use; every semantic lives in src/evidence.
 */
import { Cluster as Evaluator, Pod } from '../../src/evidence/_cluster';

export type { Jwt, Pod, PathVerdict as Verdict, Request } from '../../src/evidence/_cluster';
export { selectorMatches } from '../../src/evidence/_model';
export { cidrContains } from '../../src/evidence/_network-policy';

export class Cluster extends Evaluator {
  /**
   * The application pods the tests range over: those of Deployments and of Istio gateways and
   * waypoints (the evaluator itself, and `pod()`, also know StatefulSets, DaemonSets, Jobs, ...,
   * i.e. the platform components).
   */
  public override readonly pods: Pod[];
  /** Pods of StatefulSets, DaemonSets, Jobs and CronJobs (found by `pod()` too). */
  public readonly otherWorkloadPods: Pod[];

  public constructor(manifests: any[], trustDomain?: string) {
    super(manifests, trustDomain);
    this.pods = this.index.pods.filter(p => p.kind === 'Deployment' || p.kind === 'Gateway');
    this.otherWorkloadPods = this.index.pods.filter(p => ['StatefulSet', 'DaemonSet', 'Job', 'CronJob'].includes(p.kind ?? ''));
  }

  /** How a pod joins the mesh: `ambient` (ztunnel), `waypoint`, or `sidecar` (sidecars, gateways, and pods outside the mesh). */
  public dataplane(pod: Pod): 'ambient' | 'sidecar' | 'waypoint' {
    if (pod.gatewayClass === 'istio-waypoint') return 'waypoint';
    return pod.mesh === 'ambient' ? 'ambient' : 'sidecar';
  }

  /** The waypoint pod ztunnel sends traffic for `to` through, if any. */
  public waypointOf(to: Pod): Pod | undefined {
    return this.waypointFor(to)?.pod;
  }
}
