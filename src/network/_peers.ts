import { ApiObject, Lazy } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import * as cilium from '../imports/cilium';
import { MANAGED_BY } from '../intent/_labels';
import { ClusterPeer, PeerCall, peerCallsOf } from '../intent/cluster-peer';
import { IntentGraph, Layer, workloadKey } from '../intent/intent-graph';
import { IMeshWorkload } from '../intent/mesh-workload';

/**
 * The Kubernetes NetworkPolicy peers matching `peer`: its pods (namespace and pod selector
 * ANDed in one element), or its addresses as `ipBlock`s (with the cloud metadata addresses a
 * range covers as exceptions). Empty for a peer matched by Cilium entities only: render
 * `peerCiliumRule()` in a CiliumNetworkPolicy for it.
 *
 * Platform components' own NetworkPolicies use it too (webhook ingress from the API server).
 */
export function peerNetworkPolicyPeers(peer: ClusterPeer): k8s.NetworkPolicyPeer[] {
  if (peer.podLabels) {
    return [{
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': peer.namespace! } },
      podSelector: { matchLabels: { ...peer.podLabels } },
    }];
  }
  return peer.cidrs.map(cidr => {
    const except = peer.exceptCidrs.filter(e => e.includes(':') === cidr.includes(':'));
    return { ipBlock: { cidr, ...(except.length ? { except } : {}) } };
  });
}

/** Whether `peer` needs a CiliumNetworkPolicy (Cilium entities, which NetworkPolicy cannot express). */
export function needsCilium(peer: ClusterPeer): boolean {
  return peer.ciliumEntities.length > 0;
}

/** The TCP ports of a NetworkPolicy rule. */
function tcp(ports: number[]): k8s.NetworkPolicyPort[] {
  return ports.map(port => ({ protocol: 'TCP', port: k8s.IntOrString.fromNumber(port) }));
}

/** NetworkPolicy ingress rules for the peer calls `workload` accepts (none for Cilium-entity peers). */
export function peerIngressRules(graph: IntentGraph, workload: IMeshWorkload): k8s.NetworkPolicyIngressRule[] {
  return peerCallsOf(graph, workload, true).filter(c => !needsCilium(c.peer))
    .map(c => ({ from: peerNetworkPolicyPeers(c.peer), ports: tcp(c.ports) }));
}

/** NetworkPolicy egress rules for the peer calls `workload` makes (none for Cilium-entity peers). */
export function peerEgressRules(graph: IntentGraph, workload: IMeshWorkload): k8s.NetworkPolicyEgressRule[] {
  return peerCallsOf(graph, workload, false).filter(c => !needsCilium(c.peer))
    .map(c => ({ to: peerNetworkPolicyPeers(c.peer), ports: tcp(c.ports) }));
}

/**
 * A CiliumNetworkPolicy rule admitting `peer`'s Cilium entities on `ports` (ingress: from the
 * peer; egress: to it).
 */
export function peerCiliumRule(peer: ClusterPeer, direction: 'ingress' | 'egress', ports: number[]): any {
  const toPorts = [{ ports: ports.map(port => ({ port: String(port), protocol: 'TCP' })) }];
  return direction === 'ingress'
    ? { fromEntities: [...peer.ciliumEntities], toPorts }
    : { toEntities: [...peer.ciliumEntities], toPorts };
}

function renderCilium(graph: IntentGraph, workload: IMeshWorkload): any {
  const calls = (inbound: boolean): PeerCall[] => peerCallsOf(graph, workload, inbound).filter(c => needsCilium(c.peer));
  const ingress = calls(true).map(c => peerCiliumRule(c.peer, 'ingress', c.ports));
  const egress = calls(false).map(c => peerCiliumRule(c.peer, 'egress', c.ports));
  return {
    description: `calls between ${workloadKey(workload)} and peers outside the intent graph (Cilium entities), from the intent graph`,
    endpointSelector: { matchLabels: { ...workload.podSelectorLabels } },
    ...(ingress.length ? { ingress } : {}),
    ...(egress.length ? { egress } : {}),
  };
}

/**
 * The CiliumNetworkPolicy `<workload>-cluster-peers` holding `workload`'s calls with Cilium
 * entity peers (the API server, nodes), defined on first use. Cilium ORs it with the
 * workload's Kubernetes NetworkPolicies.
 */
export function ensurePeerCiliumPolicy(graph: IntentGraph, workload: IMeshWorkload): ApiObject {
  const namespace = workload.zeroTrustNamespace.namespaceName;
  const placement = graph._placement(Layer.NETWORK, workload as Construct, `${namespace}-${workload.workloadName}`, 'ClusterPeerPolicy');
  const existing = placement.scope.node.tryFindChild(placement.id);
  if (existing) return existing as ApiObject;
  return new cilium.CiliumNetworkPolicy(placement.scope, placement.id, {
    metadata: { name: `${workload.workloadName}-cluster-peers`, namespace, labels: { ...MANAGED_BY, 'app.kubernetes.io/name': workload.workloadName } },
    spec: Lazy.any({ produce: () => renderCilium(graph, workload) }),
  });
}
