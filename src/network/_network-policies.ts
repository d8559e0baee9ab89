import { Lazy } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { ensurePeerCiliumPolicy, needsCilium, peerEgressRules, peerIngressRules } from './_peers';
import { EnforcementPoints, HBONE_PORT, L4Enforcer, Waypoint } from '../enforcement/enforcement-points';
import { onPeerCall } from '../intent/cluster-peer';
import { IntentGraph, Layer, workloadKey } from '../intent/intent-graph';
import { IMeshWorkload } from '../intent/mesh-workload';
import { onRemoteCall, remoteCallsOf } from '../intent/remote-workload';

/** The label every namespace carries with its own name (set by the control plane, immutable). */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/**
 * A peer that selects pods by labels in one namespace (namespace and pod selectors ANDed in
 * one element).
 */
export function podPeer(namespace: string, podLabels: { [key: string]: string }): k8s.NetworkPolicyPeer {
  return {
    namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: namespace } },
    podSelector: { matchLabels: { ...podLabels } },
  };
}

export function tcpPorts(ports: number[]): k8s.NetworkPolicyPort[] {
  return ports.map(port => ({ protocol: 'TCP', port: k8s.IntOrString.fromNumber(port) }));
}

/** A peer of a rule: a workload's pods or a waypoint's pods. */
interface Peer {
  readonly key: string;
  readonly namespace: string;
  readonly labels: { [key: string]: string };
}

/** The label Istio puts on a waypoint's pods. */
export const GATEWAY_NAME_LABEL = 'gateway.networking.k8s.io/gateway-name';

function workloadPeer(workload: IMeshWorkload): Peer {
  return { key: workloadKey(workload), namespace: workload.zeroTrustNamespace.namespaceName, labels: workload.podSelectorLabels };
}

function waypointPeer(waypoint: Waypoint): Peer {
  return { key: `${waypoint.namespace}/${waypoint.name} (waypoint)`, namespace: waypoint.namespace, labels: { [GATEWAY_NAME_LABEL]: waypoint.name } };
}

/**
 * Rules grouped so that peers reaching the same ports share one rule; deterministic order.
 */
function groupRules(entries: Array<{ peer: Peer; ports: number[] }>): Array<{ peers: Peer[]; ports: number[] }> {
  const byPeer = new Map<string, { peer: Peer; ports: Set<number> }>();
  for (const { peer, ports } of entries) {
    const slot = byPeer.get(peer.key) ?? { peer, ports: new Set<number>() };
    ports.forEach(p => slot.ports.add(p));
    byPeer.set(peer.key, slot);
  }
  const byPorts = new Map<string, { peers: Peer[]; ports: number[] }>();
  for (const key of [...byPeer.keys()].sort()) {
    const { peer, ports } = byPeer.get(key)!;
    const sorted = [...ports].sort((a, b) => a - b);
    const portsKey = sorted.join(',');
    const group = byPorts.get(portsKey) ?? { peers: [], ports: sorted };
    group.peers.push(peer);
    byPorts.set(portsKey, group);
  }
  return [...byPorts.keys()].sort().map(k => byPorts.get(k)!);
}

function ingressRules(rules: Array<{ peers: Peer[]; ports: number[] }>): k8s.NetworkPolicyIngressRule[] {
  return rules.map(r => ({ from: r.peers.map(p => podPeer(p.namespace, p.labels)), ports: tcpPorts(r.ports) }));
}

function egressRules(rules: Array<{ peers: Peer[]; ports: number[] }>): k8s.NetworkPolicyEgressRule[] {
  return rules.map(r => ({ to: r.peers.map(p => podPeer(p.namespace, p.labels)), ports: tcpPorts(r.ports) }));
}

function renderIngress(graph: IntentGraph, callee: IMeshWorkload): k8s.NetworkPolicySpec {
  const points = EnforcementPoints.of(graph);
  if (points.forWorkload(callee).l4 === L4Enforcer.CILIUM) {
    // Cilium admits the callers with L7 rules; an L4 rule here would be ORed with them and
    // widen every caller to any method and path (Cilium wildcards L7 for L4-only rules: cilium/cilium#3509, #3732)
    return { podSelector: { matchLabels: { ...callee.podSelectorLabels } }, policyTypes: ['Ingress'], ingress: peerIngressRules(graph, callee) };
  }
  // callers behind the callee's waypoint arrive from the waypoint's pods (HBONE); the others directly
  const rules = groupRules(graph.callsTo(callee).map(c => {
    const waypoint = points.viaWaypoint(c.caller, callee);
    return waypoint
      ? { peer: waypointPeer(waypoint), ports: [...c.ports, HBONE_PORT] }
      : { peer: workloadPeer(c.caller), ports: points.wirePorts(c.caller, callee, c.ports) };
  }));
  return {
    podSelector: { matchLabels: { ...callee.podSelectorLabels } },
    policyTypes: ['Ingress'],
    ingress: [
      ...ingressRules(rules),
      // workloads of other clusters: only through the declared path (this cluster's gateway pods, or their addresses)
      ...remoteCallsOf(graph, callee, true).map(c => ({
        from: c.remote._path.gateway
          ? [podPeer(c.remote._path.gateway.namespace, c.remote._path.gateway.podLabels)]
          : c.remote._path.sourceCidrs.map(cidr => ({ ipBlock: { cidr } })),
        ports: tcpPorts(points.forWorkload(callee).hbone ? [...c.ports, HBONE_PORT] : c.ports),
      })),
      // peers outside the graph (ClusterPeer): their pods or addresses, on the declared ports
      ...peerIngressRules(graph, callee),
    ],
  };
}

function renderEgress(graph: IntentGraph, caller: IMeshWorkload): k8s.NetworkPolicySpec {
  const points = EnforcementPoints.of(graph);
  // ztunnel sends a call to a callee behind a waypoint to the waypoint's HBONE port
  const rules = groupRules(graph.callsFrom(caller).map(c => {
    const waypoint = points.viaWaypoint(caller, c.callee);
    return waypoint
      ? { peer: waypointPeer(waypoint), ports: [HBONE_PORT] }
      : { peer: workloadPeer(c.callee), ports: points.wirePorts(caller, c.callee, c.ports) };
  }));
  return {
    podSelector: { matchLabels: { ...caller.podSelectorLabels } },
    policyTypes: ['Egress'],
    egress: [
      ...egressRules(rules),
      // workloads of other clusters: only their declared addresses (the remote east-west gateway), on its port
      ...remoteCallsOf(graph, caller, false).map(c => ({
        to: c.remote._path.remoteCidrs.map(cidr => ({ ipBlock: { cidr } })),
        ports: tcpPorts(c.remote._path.remotePort !== undefined ? [c.remote._path.remotePort] : c.ports),
      })),
      // peers outside the graph (ClusterPeer): the API server, nodes, addresses, on their ports
      ...peerEgressRules(graph, caller),
    ],
  };
}

/**
 * The waypoint's NetworkPolicy: HBONE (15008) in from the ambient callers of the workloads
 * behind it, out to those workloads' pods (HBONE and their declared ports), and out to istiod
 * (15012) for its configuration.
 */
function renderWaypoint(graph: IntentGraph, waypoint: Waypoint, istiod: k8s.NetworkPolicyPeer): k8s.NetworkPolicySpec {
  const points = EnforcementPoints.of(graph);
  const behind = points.workloadsBehind(waypoint);
  const calls = behind.flatMap(w => graph.callsTo(w)).filter(c => points.viaWaypoint(c.caller, c.callee) !== undefined);
  const callers = groupRules(calls.map(c => ({ peer: workloadPeer(c.caller), ports: [HBONE_PORT] })));
  const callees = groupRules(calls.map(c => ({ peer: workloadPeer(c.callee), ports: [...c.ports, HBONE_PORT] })));
  return {
    podSelector: { matchLabels: { [GATEWAY_NAME_LABEL]: waypoint.name } },
    policyTypes: ['Ingress', 'Egress'],
    ingress: ingressRules(callers),
    egress: [...egressRules(callees), { to: [istiod], ports: tcpPorts([15012]) }],
  };
}

/** The NetworkPolicy of a waypoint, defined on first use. */
export function ensureWaypointNetworkPolicy(graph: IntentGraph, waypoint: Waypoint, owner: Construct,
  istiod: k8s.NetworkPolicyPeer): k8s.KubeNetworkPolicy {
  const placement = graph._placement(Layer.NETWORK, owner, `${waypoint.namespace}-${waypoint.name}`, 'WaypointPolicy');
  const existing = placement.scope.node.tryFindChild(placement.id);
  if (existing) {
    return existing as k8s.KubeNetworkPolicy;
  }
  return new k8s.KubeNetworkPolicy(placement.scope, placement.id, {
    metadata: {
      name: `${waypoint.name}-waypoint`,
      namespace: waypoint.namespace,
      labels: { 'app.kubernetes.io/managed-by': 'cdk8s-zero-trust', 'app.kubernetes.io/name': waypoint.name },
    },
    spec: Lazy.any({ produce: () => renderWaypoint(graph, waypoint, istiod) }),
  });
}

/**
 * The NetworkPolicy that admits every declared caller of `workload` (one per workload, however
 * many callers), defined on first use.
 */
export function ensureIngressPolicy(graph: IntentGraph, workload: IMeshWorkload): k8s.KubeNetworkPolicy {
  return ensurePolicy(graph, workload, 'IngressPolicy', 'ingress', () => renderIngress(graph, workload));
}

/**
 * The NetworkPolicy that lets `workload` reach every workload it may call (one per workload,
 * however many callees), defined on first use.
 */
export function ensureEgressPolicy(graph: IntentGraph, workload: IMeshWorkload): k8s.KubeNetworkPolicy {
  return ensurePolicy(graph, workload, 'EgressPolicy', 'egress', () => renderEgress(graph, workload));
}

function ensurePolicy(graph: IntentGraph, workload: IMeshWorkload, id: string, suffix: string,
  render: () => k8s.NetworkPolicySpec): k8s.KubeNetworkPolicy {
  const namespace = workload.zeroTrustNamespace.namespaceName;
  const placement = graph._placement(Layer.NETWORK, workload as Construct, `${namespace}-${workload.workloadName}`, id);
  const existing = placement.scope.node.tryFindChild(placement.id);
  if (existing) {
    return existing as k8s.KubeNetworkPolicy;
  }
  return new k8s.KubeNetworkPolicy(placement.scope, placement.id, {
    metadata: {
      name: `${workload.workloadName}-${suffix}`,
      namespace,
      labels: { 'app.kubernetes.io/managed-by': 'cdk8s-zero-trust', 'app.kubernetes.io/name': workload.workloadName },
    },
    spec: Lazy.any({ produce: render }),
  });
}

// a call across clusters is rendered on this cluster's side only: ingress on the callee, or egress on the caller
onRemoteCall((graph, call) => (call.inbound ? ensureIngressPolicy(graph, call.local) : ensureEgressPolicy(graph, call.local)));

// a call with a peer outside the graph: a Kubernetes NetworkPolicy rule, or a CiliumNetworkPolicy
// rule for Cilium's entities (NetworkPolicy cannot name the API server or the nodes)
onPeerCall((graph, call) => {
  if (needsCilium(call.peer)) {
    ensurePeerCiliumPolicy(graph, call.workload);
  } else if (call.inbound) {
    ensureIngressPolicy(graph, call.workload);
  } else {
    ensureEgressPolicy(graph, call.workload);
  }
});

/**
 * The NetworkPolicy of a staged rollout in AUDIT: it admits every connection in and out of the
 * selected pods (all pods of the namespace when `podLabels` is undefined). NetworkPolicy has no
 * dry-run and policies are additive, so beside it the declared policies and the default-deny
 * deny nothing; the would-be drops are only visible in the CNI's flow logs.
 */
export function ensureAuditNetworkPolicy(graph: IntentGraph, owner: Construct, ownerKey: string, namespace: string, name: string,
  podLabels?: { [key: string]: string }, lazyPodLabels?: () => { [key: string]: string }): k8s.KubeNetworkPolicy {
  const placement = graph._placement(Layer.NETWORK, owner, ownerKey, 'AuditNetworkPolicy');
  const existing = placement.scope.node.tryFindChild(placement.id);
  if (existing) {
    return existing as k8s.KubeNetworkPolicy;
  }
  return new k8s.KubeNetworkPolicy(placement.scope, placement.id, {
    metadata: { name, namespace, labels: { 'app.kubernetes.io/managed-by': 'cdk8s-zero-trust' } },
    spec: {
      podSelector: lazyPodLabels ? Lazy.any({ produce: () => ({ matchLabels: { ...lazyPodLabels() } }) })
        : podLabels ? { matchLabels: { ...podLabels } } : {},
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{}],
      egress: [{}],
    },
  });
}
