import { Construct, IConstruct } from 'constructs';
import { guardArgs, staticScope } from '../intent/_guards';
import { LayerState } from '../intent/_layer-state';
import { invalid } from '../intent/_validation';
import { CallIntent, IntentGraph, registerCallRule } from '../intent/intent-graph';
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
  /**
   * An Istio waypoint proxy (ambient mode), with an AuthorizationPolicy attached to the
   * workload's Service by `targetRefs`; ztunnel on the workload's node admits only the
   * waypoint's identity, so no caller can bypass it.
   */
  WAYPOINT = 'waypoint',
  /** Cilium's L7 proxy, with HTTP rules in the CiliumNetworkPolicy (`HttpEnforcement.CILIUM`). */
  CILIUM = 'cilium',
  /**
   * Nothing at L7: ztunnel (ambient mode) enforces identity and port only. Calls restricted by
   * method, path, header or claim get a waypoint, unless the namespace has
   * `waypoint: WaypointScope.NONE`.
   */
  NONE = 'none',
}

/**
 * Which workloads of an ambient namespace share a waypoint, once a call needs L7 enforcement.
 */
export enum WaypointScope {
  /**
   * One waypoint (`waypoint`) for the whole namespace (namespace label
   * `istio.io/use-waypoint: waypoint`): every call into the namespace is then authorized by it.
   */
  NAMESPACE = 'namespace',
  /**
   * One waypoint per service that receives L7 calls (`<service>-waypoint`, Service label
   * `istio.io/use-waypoint`); the namespace's other services stay L4-only (ztunnel).
   */
  SERVICE = 'service',
  /** No waypoint: a call needing L7 enforcement into the namespace is a synth-time error. */
  NONE = 'none',
}

/**
 * How a namespace's or a service's traffic policies take effect.
 */
export enum Rollout {
  /**
   * Policies are enforced: undeclared connections and requests are denied.
   */
  ENFORCE = 'enforce',
  /**
   * Nothing is denied; the would-be denials are observable. AuthorizationPolicies carry
   * `istio.io/dry-run: "true"` (sidecars and waypoints report them as Envoy RBAC shadow
   * metrics and logs; ztunnel from Istio 1.29 with istiod's
   * `AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY=true`, in its logs), and an allow-all policy
   * keeps the enforced deny-by-default from denying. NetworkPolicies have no dry-run: an
   * allow-all NetworkPolicy beside the declared ones admits every connection, so L4 enforces
   * nothing until ENFORCE (the CNI's flow logs show what it would drop).
   */
  AUDIT = 'audit',
}

/**
 * A waypoint proxy the app deploys (Gateway API `Gateway` of class `istio-waypoint`); Istio
 * runs it as a Deployment and ServiceAccount named like the Gateway, pods labelled
 * `gateway.networking.k8s.io/gateway-name: <name>`.
 */
export interface Waypoint {
  /** The Gateway's name (also its Deployment's and ServiceAccount's). */
  readonly name: string;
  /** The namespace. */
  readonly namespace: string;
  /** The service it serves, for `WaypointScope.SERVICE`; undefined for the whole namespace. */
  readonly forService?: string;
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
  /** The waypoint that authorizes the workload's requests, when `l7` is `WAYPOINT`. */
  readonly waypoint?: Waypoint;
  /** Whether the policies enforce or only audit. */
  readonly rollout: Rollout;
}

/** Istio HBONE: ambient traffic between pods is tunnelled to this port. */
export const HBONE_PORT = 15008;

/** The gateway class of Istio waypoints. */
export const WAYPOINT_CLASS = 'istio-waypoint';

/** Options a layer declares for a namespace. @internal */
export interface NamespaceEnforcementOptions {
  readonly waypoint?: WaypointScope;
  readonly rollout?: Rollout;
}

/**
 * The enforcement points of an app's workloads: for each workload, what enforces L4 and L7.
 *
 * The decision is a function of the intent (the namespace's mesh mode, the calls) and of what
 * layers declared (a namespace's waypoint scope and rollout, a `CiliumWorkloadPolicy` with
 * `HttpEnforcement.CILIUM`). Layers read it in lazily produced specs, so every declaration made
 * before synthesis counts.
 *
 * @example
 * const point = EnforcementPoints.of(app).forWorkload(payments);
 * if (point.l7 === L7Enforcer.WAYPOINT) { ... }
 */
export class EnforcementPoints {
  /** The enforcement points of the app `scope` belongs to. */
  public static of(scope: IConstruct): EnforcementPoints {
    guardArgs(staticScope('EnforcementPoints.of'), 'EnforcementPoints', 'of', [scope]);
    return POINTS.of(IntentGraph.of(scope));
  }

  /** @internal */
  public static _create(graph: IntentGraph): EnforcementPoints {
    return new EnforcementPoints(graph);
  }

  private readonly ciliumL7 = new Set<IMeshWorkload>();
  private readonly namespaceOptions = new Map<string, NamespaceEnforcementOptions>();
  private readonly workloadRollout = new Map<IMeshWorkload, Rollout>();

  private constructor(private readonly graph: IntentGraph) {}

  /** What enforces the calls to `workload`. */
  public forWorkload(workload: IMeshWorkload): EnforcementPoint {
    guardArgs(staticScope('EnforcementPoints.forWorkload'), 'EnforcementPoints', 'forWorkload', [workload]);
    const base = this.forNamespace(workload.zeroTrustNamespace);
    const rollout = this.workloadRollout.get(workload) ?? base.rollout;
    if (this.ciliumL7.has(workload)) {
      return { ...base, rollout, l4: L4Enforcer.CILIUM, l7: L7Enforcer.CILIUM };
    }
    if (base.meshMode === MeshMode.AMBIENT && this._waypointScope(workload.zeroTrustNamespace) === WaypointScope.SERVICE
      && this.graph.callsTo(workload).some(needsL7)) {
      const name = `${workload.workloadName}-waypoint`;
      if (name.length > 63) {
        // Istio names the waypoint's Deployment and Service after the Gateway, and the Service's
        // istio.io/use-waypoint label holds it: a label value and a Service name are at most 63
        const owner: unknown = workload;
        invalid(Construct.isConstruct(owner) ? owner : staticScope(workload.workloadName), 'name', workload.workloadName,
          `is too long for its waypoint: ${JSON.stringify(name)} is over 63 characters (a Service name and the istio.io/use-waypoint label value)`,
          'use a service name of at most 54 characters, or WaypointScope.NAMESPACE');
      }
      const waypoint = { name, namespace: workload.zeroTrustNamespace.namespaceName, forService: workload.workloadName };
      return { ...base, rollout, l7: L7Enforcer.WAYPOINT, waypoint };
    }
    return { ...base, rollout };
  }

  /** What enforces the calls to a workload of `namespace` that no layer declared anything for. */
  public forNamespace(namespace: IZeroTrustNamespace): EnforcementPoint {
    guardArgs(staticScope('EnforcementPoints.forNamespace'), 'EnforcementPoints', 'forNamespace', [namespace]);
    const ambient = namespace.meshMode === MeshMode.AMBIENT;
    const rollout = this.namespaceOptions.get(namespace.namespaceName)?.rollout ?? Rollout.ENFORCE;
    const base = {
      meshMode: namespace.meshMode,
      l4: L4Enforcer.NETWORK_POLICY,
      l7: ambient ? L7Enforcer.NONE : L7Enforcer.SIDECAR,
      hbone: ambient,
      sidecar: !ambient,
      rollout,
    };
    if (ambient && this._waypointScope(namespace) === WaypointScope.NAMESPACE
      && this.graph.workloads.some(w => w.zeroTrustNamespace === namespace && this.graph.callsTo(w).some(needsL7))) {
      return { ...base, l7: L7Enforcer.WAYPOINT, waypoint: { name: 'waypoint', namespace: namespace.namespaceName } };
    }
    return base;
  }

  /** Every waypoint the app deploys, sorted by namespace and name. */
  public get waypoints(): Waypoint[] {
    const byKey = new Map<string, Waypoint>();
    for (const w of this.graph.workloads) {
      const waypoint = this.forWorkload(w).waypoint;
      if (waypoint) byKey.set(`${waypoint.namespace}/${waypoint.name}`, waypoint);
    }
    return [...byKey.keys()].sort().map(k => byKey.get(k)!);
  }

  /** The workloads whose requests `waypoint` authorizes, sorted. */
  public workloadsBehind(waypoint: Waypoint): IMeshWorkload[] {
    guardArgs(staticScope('EnforcementPoints.workloadsBehind'), 'EnforcementPoints', 'workloadsBehind', [waypoint]);
    return this.graph.workloads.filter(w => {
      const wp = this.forWorkload(w).waypoint;
      return wp !== undefined && wp.namespace === waypoint.namespace && wp.name === waypoint.name;
    });
  }

  /**
   * The waypoint a call from `caller` to `callee` passes through: the callee's waypoint when
   * the caller's traffic is captured by ztunnel (ambient mode). Sidecars (and gateways) send
   * straight to the callee's pods (Istio 1.30 routes only ztunnel traffic through waypoints),
   * where ztunnel checks their identity and port.
   */
  public viaWaypoint(caller: IMeshWorkload, callee: IMeshWorkload): Waypoint | undefined {
    guardArgs(staticScope('EnforcementPoints.viaWaypoint'), 'EnforcementPoints', 'viaWaypoint', [caller, callee]);
    const waypoint = this.forWorkload(callee).waypoint;
    return waypoint && this.forWorkload(caller).meshMode === MeshMode.AMBIENT ? waypoint : undefined;
  }

  /**
   * The pod ports a call from `caller` to `callee` on `ports` reaches: the application ports,
   * plus HBONE when either side is in ambient mode (an ambient caller's ztunnel tunnels to a
   * sidecar callee's 15008 too).
   */
  public wirePorts(caller: IMeshWorkload, callee: IMeshWorkload, ports: number[]): number[] {
    guardArgs(staticScope('EnforcementPoints.wirePorts'), 'EnforcementPoints', 'wirePorts', [caller, callee, ports]);
    const hbone = this.forWorkload(callee).hbone || this.forWorkload(caller).hbone;
    return hbone ? [...ports, HBONE_PORT] : [...ports];
  }

  /**
   * Records what a namespace declared: its waypoint scope and rollout.
   * @internal
   */
  public _declareNamespace(namespace: IZeroTrustNamespace, options: NamespaceEnforcementOptions): void {
    this.namespaceOptions.set(namespace.namespaceName, { ...options });
  }

  /**
   * Records a workload's own rollout (overriding its namespace's).
   * @internal
   */
  public _declareRollout(workload: IMeshWorkload, rollout: Rollout): void {
    this.workloadRollout.set(workload, rollout);
  }

  /**
   * Records that Cilium's L7 proxy, not Istio, authorizes the requests `workload` receives
   * (`HttpEnforcement.CILIUM`). Idempotent.
   * @internal
   */
  public _enforceL7WithCilium(workload: IMeshWorkload): void {
    this.ciliumL7.add(workload);
  }

  /** The waypoint scope `namespace` declared. @internal */
  public _waypointScope(namespace: IZeroTrustNamespace): WaypointScope {
    return this.namespaceOptions.get(namespace.namespaceName)?.waypoint ?? WaypointScope.NAMESPACE;
  }
}

/** Whether a call needs L7 enforcement at the callee: methods, paths, headers or claims. */
export function needsL7(call: CallIntent): boolean {
  return call.isL7 || Object.keys(call.requiredClaims).length > 0;
}

const POINTS = new LayerState(graph => EnforcementPoints._create(graph));

// a call restricted at L7 needs an L7 enforcement point at the callee: an ambient namespace
// without waypoints has none
registerCallRule((graph, caller, callee, call) => {
  const points = POINTS.of(graph);
  if (!needsL7(call) || points.forNamespace(callee.zeroTrustNamespace).meshMode !== MeshMode.AMBIENT) return;
  if (points.forWorkload(caller).meshMode !== MeshMode.AMBIENT) {
    invalid(callee, 'caller', caller.node.path,
      `${caller.zeroTrustNamespace.namespaceName}/${caller.workloadName} runs with a sidecar (or is a gateway), and Istio sends sidecar traffic straight to an ambient callee's pods, past its waypoint, `
      + 'where ztunnel can check identity and port only, so the call\'s methods, paths, headers or claims could not be enforced',
      'drop the L7 restrictions for this caller, put the caller in an ambient namespace, or the callee in a sidecar namespace');
  }
  if (points._waypointScope(callee.zeroTrustNamespace) !== WaypointScope.NONE) return;
  const ns = callee.zeroTrustNamespace.namespaceName;
  const fix = 'leave the namespace\'s waypoint scope at WaypointScope.NAMESPACE or SERVICE (a waypoint enforces L7), or use MeshMode.SIDECAR';
  if (call.methods.length > 0 || call.paths.length > 0) {
    invalid(callee, 'methods/paths', { methods: call.methods, paths: call.paths },
      `namespace ${ns} is in ambient mode without waypoints (waypoint: WaypointScope.NONE), where ztunnel enforces L4 only and drops all traffic of an ALLOW policy with HTTP rules`,
      `drop methods and paths (identity and port are still enforced), or ${fix}`);
  }
  if (Object.keys(call.requiredHeaders).length > 0) {
    invalid(callee, 'requireHeaders', call.requiredHeaders, `namespace ${ns} is in ambient mode without waypoints, where ztunnel enforces L4 only`,
      `drop requireHeaders, or ${fix}`);
  }
  invalid(callee, 'requireClaims', call.requiredClaims, `namespace ${ns} is in ambient mode without waypoints, where ztunnel cannot see tokens`, `drop requireClaims, or ${fix}`);
});
