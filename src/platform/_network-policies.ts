/**
 * Ingress NetworkPolicies for the pods of platform components: each workload's pods admit exactly
 * the peers its description names on exactly the ports they call, and nothing else.
 */
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import type { PlatformComponent } from './platform-component';
import { PlatformPeer, PlatformWorkload } from './platform-workload';
import { MANAGED_BY } from '../intent/_labels';
import { IntentGraph, Layer } from '../intent/intent-graph';
import { NAMESPACE_NAME_LABEL, tcpPorts } from '../network/_network-policies';

/** Who the peers of platform ports are in this cluster. @internal */
export interface PlatformPeerSelectors {
  /** API server addresses (CIDRs); empty: any source, on the webhook ports only. */
  readonly apiServerCidrs: string[];
  /** The Prometheus pods. */
  readonly prometheusNamespace: string;
  readonly prometheusPodLabels: { [key: string]: string };
}

/**
 * The sources a peer stands for; `undefined` means any source (the rule has no `from`).
 * @internal
 */
export function peerSources(peer: PlatformPeer, selectors: PlatformPeerSelectors): k8s.NetworkPolicyPeer[] | undefined {
  switch (peer) {
    case PlatformPeer.API_SERVER:
      // the API server calls webhooks from its own (node or control plane) address, which no pod
      // selector matches; on Cilium an ipBlock does not match it either (its `kube-apiserver` entity does)
      return selectors.apiServerCidrs.length ? selectors.apiServerCidrs.map(cidr => ({ ipBlock: { cidr } })) : undefined;
    case PlatformPeer.MESH:
      // every pod of every namespace (the proxies and ztunnel fetch configuration and certificates)
      return [{ namespaceSelector: {}, podSelector: {} }];
    case PlatformPeer.MONITORING:
      return [{
        namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: selectors.prometheusNamespace } },
        podSelector: { matchLabels: { ...selectors.prometheusPodLabels } },
      }];
    case PlatformPeer.ANY:
      return undefined;
  }
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
    const ports = [...new Set((workload.ports ?? []).filter(p => p.from.includes(peer)).map(p => p.port))].sort((a, b) => a - b);
    if (ports.length === 0) continue;
    const from = peerSources(peer, selectors);
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
 * on the described ports. Egress stays as the chart leaves it.
 * @internal
 */
export function platformNetworkPolicies(owner: Construct, component: PlatformComponent, selectors: PlatformPeerSelectors): k8s.KubeNetworkPolicy[] {
  const graph = IntentGraph.of(owner);
  return component.workloads.map(w => {
    const name = platformPolicyName(w);
    const at = graph._placement(Layer.NETWORK, owner, `${w.namespace}-${name}`, `${w.namespace}-${name}`);
    return new k8s.KubeNetworkPolicy(at.scope, at.id, {
      metadata: {
        name,
        namespace: w.namespace,
        labels: { ...MANAGED_BY, 'app.kubernetes.io/part-of': component.name },
      },
      spec: {
        podSelector: { matchLabels: { ...w.podLabels } },
        policyTypes: ['Ingress'],
        ingress: platformIngress(w, selectors),
      },
    });
  });
}
