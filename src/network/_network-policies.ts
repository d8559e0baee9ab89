import { Lazy } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { EnforcementPoints, L4Enforcer } from '../enforcement/enforcement-points';
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

/**
 * Rules grouped so that peers reaching the same ports share one rule; deterministic order.
 */
function groupRules(entries: Array<{ peer: IMeshWorkload; ports: number[] }>): Array<{ peers: IMeshWorkload[]; ports: number[] }> {
  const byPeer = new Map<string, { peer: IMeshWorkload; ports: Set<number> }>();
  for (const { peer, ports } of entries) {
    const key = workloadKey(peer);
    const slot = byPeer.get(key) ?? { peer, ports: new Set<number>() };
    ports.forEach(p => slot.ports.add(p));
    byPeer.set(key, slot);
  }
  const byPorts = new Map<string, { peers: IMeshWorkload[]; ports: number[] }>();
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

function renderIngress(graph: IntentGraph, callee: IMeshWorkload): k8s.NetworkPolicySpec {
  const points = EnforcementPoints.of(graph);
  if (points.forWorkload(callee).l4 === L4Enforcer.CILIUM) {
    // Cilium admits the callers with L7 rules; an L4 rule here would be ORed with them and
    // widen every caller to any method and path (Cilium wildcards L7 for L4-only rules: cilium/cilium#3509, #3732)
    return { podSelector: { matchLabels: { ...callee.podSelectorLabels } }, policyTypes: ['Ingress'], ingress: [] };
  }
  const rules = groupRules(graph.callsTo(callee).map(c => ({ peer: c.caller, ports: points.wirePorts(callee, c.ports) })));
  return {
    podSelector: { matchLabels: { ...callee.podSelectorLabels } },
    policyTypes: ['Ingress'],
    ingress: [
      ...rules.map(r => ({
        from: r.peers.map(p => podPeer(p.zeroTrustNamespace.namespaceName, p.podSelectorLabels)),
        ports: tcpPorts(r.ports),
      })),
      // workloads of other clusters: only through the declared path (this cluster's gateway pods, or their addresses)
      ...remoteCallsOf(graph, callee, true).map(c => ({
        from: c.remote._path.gateway
          ? [podPeer(c.remote._path.gateway.namespace, c.remote._path.gateway.podLabels)]
          : c.remote._path.sourceCidrs.map(cidr => ({ ipBlock: { cidr } })),
        ports: tcpPorts(points.wirePorts(callee, c.ports)),
      })),
    ],
  };
}

function renderEgress(graph: IntentGraph, caller: IMeshWorkload): k8s.NetworkPolicySpec {
  const points = EnforcementPoints.of(graph);
  const rules = groupRules(graph.callsFrom(caller).map(c => ({ peer: c.callee, ports: points.wirePorts(c.callee, c.ports) })));
  return {
    podSelector: { matchLabels: { ...caller.podSelectorLabels } },
    policyTypes: ['Egress'],
    egress: [
      ...rules.map(r => ({
        to: r.peers.map(p => podPeer(p.zeroTrustNamespace.namespaceName, p.podSelectorLabels)),
        ports: tcpPorts(r.ports),
      })),
      // workloads of other clusters: only their declared addresses (the remote east-west gateway), on its port
      ...remoteCallsOf(graph, caller, false).map(c => ({
        to: c.remote._path.remoteCidrs.map(cidr => ({ ipBlock: { cidr } })),
        ports: tcpPorts(c.remote._path.remotePort !== undefined ? [c.remote._path.remotePort] : c.ports),
      })),
    ],
  };
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
