import { IConstruct } from 'constructs';
import { LayerState } from '../intent/_layer-state';
import { invalid } from '../intent/_validation';
import { IntentGraph, registerCallRule } from '../intent/intent-graph';
import { IMeshWorkload, IZeroTrustNamespace, MeshMode } from '../intent/mesh-workload';

/**
 * What admits a workload's callers at L4 (which pods may open connections to which ports).
 */
export enum L4Enforcer {
  /**
   * A Kubernetes NetworkPolicy on the callee (ingress) and on each caller (egress).
   */
  NETWORK_POLICY = 'network-policy',
  /**
   * A CiliumNetworkPolicy on the callee admits the callers (by endpoint identity), together
   * with its L7 rules; the callee's Kubernetes ingress NetworkPolicy admits nothing, because an
   * L4 rule there would be ORed with Cilium's L7 rules and widen them. Callers keep their
   * Kubernetes egress NetworkPolicies.
   */
  CILIUM = 'cilium',
}

/**
 * What authorizes a workload's requests at L7 (identity, methods, paths, headers, claims).
 */
export enum L7Enforcer {
  /** The callee's Envoy sidecar, with an AuthorizationPolicy selecting the workload. */
  SIDECAR = 'sidecar',
  /** An Istio waypoint proxy (ambient mode), with AuthorizationPolicies attached by `targetRefs`. */
  WAYPOINT = 'waypoint',
  /** Cilium's L7 proxy, with HTTP rules in the CiliumNetworkPolicy (`HttpEnforcement.CILIUM`). */
  CILIUM = 'cilium',
  /**
   * Nothing at L7: ztunnel (ambient mode) enforces identity and port only. Calls restricted by
   * method, path or header are refused at synthesis.
   */
  NONE = 'none',
}

/**
 * Who enforces the calls to a workload: decided in one place from the namespace's mesh mode
 * and the layers' declarations, and read by every layer (NetworkPolicies, AuthorizationPolicies,
 * Cilium policies, identity, monitoring, runtime rules) instead of re-deriving it.
 */
export interface EnforcementPoint {
  /** How the workload's pods join the mesh (the namespace's mode). */
  readonly meshMode: MeshMode;
  /** What admits the workload's callers at L4. */
  readonly l4: L4Enforcer;
  /** What authorizes the workload's requests at L7. */
  readonly l7: L7Enforcer;
  /**
   * Whether mesh traffic reaches the workload's pods tunnelled in HBONE on port 15008
   * (ambient mode): NetworkPolicies must admit that port besides the application ports.
   */
  readonly hbone: boolean;
  /** Whether the workload's pods run an Envoy sidecar (sidecar mode). */
  readonly sidecar: boolean;
}

/** Istio HBONE: ambient traffic between pods is tunnelled to this port. */
export const HBONE_PORT = 15008;

/**
 * The enforcement points of an app's workloads: for each workload, what enforces L4 and L7.
 *
 * The decision is a function of the intent (the namespace's mesh mode) and of what layers
 * declared for the workload (for example a `CiliumWorkloadPolicy` with `HttpEnforcement.CILIUM`).
 * Layers read it in lazily produced specs, so every declaration made before synthesis counts.
 *
 * @example
 * const point = EnforcementPoints.of(app).forWorkload(payments);
 * if (point.l7 === L7Enforcer.SIDECAR) { ... }
 */
export class EnforcementPoints {
  /** The enforcement points of the app `scope` belongs to. */
  public static of(scope: IConstruct): EnforcementPoints {
    return POINTS.of(IntentGraph.of(scope));
  }

  /** @internal */
  public static _create(): EnforcementPoints {
    return new EnforcementPoints();
  }

  private readonly ciliumL7 = new Set<IMeshWorkload>();

  private constructor() {}

  /** What enforces the calls to `workload`. */
  public forWorkload(workload: IMeshWorkload): EnforcementPoint {
    const base = this.forNamespace(workload.zeroTrustNamespace);
    if (this.ciliumL7.has(workload)) {
      return { ...base, l4: L4Enforcer.CILIUM, l7: L7Enforcer.CILIUM };
    }
    return base;
  }

  /** What enforces the calls to a workload of `namespace` that no layer declared anything for. */
  public forNamespace(namespace: IZeroTrustNamespace): EnforcementPoint {
    const ambient = namespace.meshMode === MeshMode.AMBIENT;
    return {
      meshMode: namespace.meshMode,
      l4: L4Enforcer.NETWORK_POLICY,
      l7: ambient ? L7Enforcer.NONE : L7Enforcer.SIDECAR,
      hbone: ambient,
      sidecar: !ambient,
    };
  }

  /**
   * The pod ports a call to `callee` on `ports` reaches: the application ports, plus HBONE
   * when the callee's traffic arrives tunnelled.
   */
  public wirePorts(callee: IMeshWorkload, ports: number[]): number[] {
    return this.forWorkload(callee).hbone ? [...ports, HBONE_PORT] : [...ports];
  }

  /**
   * Records that Cilium's L7 proxy, not Istio, authorizes the requests `workload` receives
   * (`HttpEnforcement.CILIUM`). Idempotent.
   * @internal
   */
  public _enforceL7WithCilium(workload: IMeshWorkload): void {
    this.ciliumL7.add(workload);
  }
}

const POINTS = new LayerState(() => EnforcementPoints._create());

// a call restricted at L7 needs an L7 enforcement point at the callee
registerCallRule((graph, _caller, callee, call) => {
  if (POINTS.of(graph).forWorkload(callee).l7 !== L7Enforcer.NONE) return;
  const ns = callee.zeroTrustNamespace.namespaceName;
  if (call.methods.length > 0 || call.paths.length > 0) {
    invalid(callee, 'methods/paths', { methods: call.methods, paths: call.paths },
      `namespace ${ns} is in ambient mode, where ztunnel enforces L4 only and drops all traffic of an ALLOW policy with HTTP rules`,
      'drop methods and paths (identity and port are still enforced), or use MeshMode.SIDECAR for this namespace');
  }
  if (Object.keys(call.requiredHeaders).length > 0) {
    invalid(callee, 'requireHeaders', call.requiredHeaders, `namespace ${ns} is in ambient mode, where ztunnel enforces L4 only`,
      'drop requireHeaders, or use MeshMode.SIDECAR for this namespace');
  }
});
