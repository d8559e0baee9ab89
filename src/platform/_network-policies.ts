/**
 * Ingress NetworkPolicies for the pods of platform components: each workload's pods admit exactly
 * the peers its description names on exactly the ports they call, and nothing else.
 */
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import type { PlatformComponent } from './platform-component';
import { PlatformPeer, PlatformWorkload } from './platform-workload';
import * as cilium from '../imports/cilium';
import { MANAGED_BY } from '../intent/_labels';
import { ClusterPeer } from '../intent/cluster-peer';
import { IntentGraph, Layer } from '../intent/intent-graph';
import { tcpPorts } from '../network/_network-policies';
import { needsCilium, peerCiliumRule, peerNetworkPolicyPeers } from '../network/_peers';

/** Who the peers of platform ports are in this cluster. @internal */
export interface PlatformPeerSelectors {
  /** Who calls the webhooks; empty: any source, on the webhook ports only. */
  readonly webhookCallers: ClusterPeer[];
  /** The Prometheus pods (or addresses) that scrape the metrics ports. */
  readonly monitoring: ClusterPeer;
}

/**
 * The NetworkPolicy sources a peer stands for; `undefined` means any source (the rule has no
 * `from`), `[]` that only a CiliumNetworkPolicy can express them (Cilium entities).
 * @internal
 */
export function peerSources(peer: PlatformPeer, selectors: PlatformPeerSelectors): k8s.NetworkPolicyPeer[] | undefined {
  switch (peer) {
    case PlatformPeer.API_SERVER:
      // the API server calls webhooks from its own (node or control plane) address, which no pod
      // selector matches: its addresses, or on Cilium its entity (a CiliumNetworkPolicy)
      return selectors.webhookCallers.length ? selectors.webhookCallers.flatMap(p => peerNetworkPolicyPeers(p)) : undefined;
    case PlatformPeer.MESH:
      // every pod of every namespace (the proxies and ztunnel fetch configuration and certificates)
      return [{ namespaceSelector: {}, podSelector: {} }];
    case PlatformPeer.MONITORING:
      return peerNetworkPolicyPeers(selectors.monitoring);
    case PlatformPeer.ANY:
      return undefined;
  }
}

function portsFrom(workload: PlatformWorkload, peer: PlatformPeer): number[] {
  return [...new Set((workload.ports ?? []).filter(p => p.from.includes(peer)).map(p => p.port))].sort((a, b) => a - b);
}

/**
 * The ingress rules of one workload: one rule per peer, with the ports that peer calls, in the
 * order of `PlatformPeer`. Ports without peers (debug, health probes the kubelet sends from the
 * pod's own node, which NetworkPolicy always admits) get no rule.
 * @internal
 */
export function platformIngress(workload: PlatformWorkload, selectors: PlatformPeerSelectors): k8s.NetworkPolicyIngressRule[] {
  const rules: k8s.NetworkPolicyIngressRule[] = [];
  for (const peer of Object.values(PlatformPeer)) {
    const ports = portsFrom(workload, peer);
    if (ports.length === 0) continue;
    const from = peerSources(peer, selectors);
    if (from && from.length === 0) continue;
    rules.push({ ...(from ? { from } : {}), ports: tcpPorts(ports) });
  }
  return rules;
}

/** The NetworkPolicy name of a platform workload. @internal */
export function platformPolicyName(workload: PlatformWorkload): string {
  return `platform-${workload.kind.toLowerCase()}-${workload.name}`;
}

/**
 * One NetworkPolicy per workload of `component`, in the graph's network layer: it selects
 * exactly the workload's pods (which become isolated for ingress) and admits the described peers
 * on the described ports. Webhook callers matched by Cilium entities (the `kube-apiserver`
 * entity) are admitted by a CiliumNetworkPolicy `<name>-webhooks` beside it, which Cilium ORs
 * with it. Egress stays as the chart leaves it.
 * @internal
 */
export function platformNetworkPolicies(owner: Construct, component: PlatformComponent, selectors: PlatformPeerSelectors): void {
  const graph = IntentGraph.of(owner);
  for (const w of component.workloads) {
    const name = platformPolicyName(w);
    const metadata = (n: string) => ({ name: n, namespace: w.namespace, labels: { ...MANAGED_BY, 'app.kubernetes.io/part-of': component.name } });
    const at = graph._placement(Layer.NETWORK, owner, `${w.namespace}-${name}`, `${w.namespace}-${name}`);
    new k8s.KubeNetworkPolicy(at.scope, at.id, {
      metadata: metadata(name),
      spec: {
        podSelector: { matchLabels: { ...w.podLabels } },
        policyTypes: ['Ingress'],
        ingress: platformIngress(w, selectors),
      },
    });
    const webhookPorts = portsFrom(w, PlatformPeer.API_SERVER);
    const entities = selectors.webhookCallers.filter(needsCilium);
    if (webhookPorts.length > 0 && entities.length > 0) {
      const cnp = graph._placement(Layer.NETWORK, owner, `${w.namespace}-${name}`, `${w.namespace}-${name}-webhooks`);
      new cilium.CiliumNetworkPolicy(cnp.scope, cnp.id, {
        metadata: metadata(`${name}-webhooks`),
        spec: {
          description: `the admission webhook of ${component.name} (${w.kind} ${w.name}), called by ${entities.map(e => e.name).join(', ')}`,
          endpointSelector: { matchLabels: { ...w.podLabels } },
          ingress: entities.map(e => peerCiliumRule(e, 'ingress', webhookPorts)),
        } as any,
      });
    }
  }
}
