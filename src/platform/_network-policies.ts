/**
 * NetworkPolicies for the pods of platform components: each workload's pods admit exactly the
 * peers its description names on exactly the ports they call, and reach exactly the
 * destinations its description names (`PlatformWorkload.egress`), and nothing else.
 */
import { Lazy } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import type { PlatformComponent } from './platform-component';
import { PlatformEgress, PlatformPeer, PlatformWorkload } from './platform-workload';
import * as cilium from '../imports/cilium';
import { NON_PUBLIC_IPV4, NON_PUBLIC_IPV6 } from '../intent/_cidr';
import { MANAGED_BY } from '../intent/_labels';
import { ClusterPeer } from '../intent/cluster-peer';
import { IntentGraph, Layer } from '../intent/intent-graph';
import { podPeer, tcpPorts } from '../network/_network-policies';
import { needsCilium, peerCiliumRule, peerNetworkPolicyPeers } from '../network/_peers';

/** Who the peers of platform ports are in this cluster. @internal */
export interface PlatformPeerSelectors {
  /** Who calls the webhooks; empty: any source, on the webhook ports only. */
  readonly webhookCallers: ClusterPeer[];
  /** The Prometheus pods (or addresses) that scrape the metrics ports. */
  readonly monitoring: ClusterPeer;
  /** Whether the pods' egress is restricted to their description's `egress`. */
  readonly egress: boolean;
  /** The Kubernetes API server (required with `egress`). */
  readonly apiServer?: ClusterPeer;
  /** The cluster DNS pods. */
  readonly dns: ClusterPeer;
  /** The addresses standing for the internet; undefined: every public address. */
  readonly internet?: ClusterPeer;
  /** istiod's pods, resolved at synthesis (the app's declared istiod, or istio-system). */
  readonly istiod: () => k8s.NetworkPolicyPeer;
}

/**
 * The NetworkPolicy sources a peer stands for; `undefined` means any source (the rule has no
 * `from`), `[]` that only a CiliumNetworkPolicy can express them (Cilium entities), or that the
 * peer never calls (egress-only peers).
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
    default:
      return [];
  }
}

function portsFrom(workload: PlatformWorkload, peer: PlatformPeer): number[] {
  return [...new Set((workload.ports ?? []).filter(p => p.from.includes(peer)).map(p => p.port))].sort((a, b) => a - b);
}

function byName(component: PlatformComponent, name: string): PlatformWorkload {
  const w = component.workloads.find(x => x.name === name);
  if (!w) throw new Error(`[PlatformComponent.${component.name}] invalid workload ${JSON.stringify(name)}: names no workload of the component`);
  return w;
}

/**
 * The ingress rules of one workload: one rule per peer, with the ports that peer calls, in the
 * order of `PlatformPeer`, then one per calling workload of the same component. Ports without
 * peers (debug, health probes the kubelet sends from the pod's own node, which NetworkPolicy
 * always admits) get no rule.
 * @internal
 */
export function platformIngress(workload: PlatformWorkload, selectors: PlatformPeerSelectors,
  component?: PlatformComponent): k8s.NetworkPolicyIngressRule[] {
  const rules: k8s.NetworkPolicyIngressRule[] = [];
  for (const peer of Object.values(PlatformPeer)) {
    const ports = portsFrom(workload, peer);
    if (ports.length === 0) continue;
    const from = peerSources(peer, selectors);
    if (from && from.length === 0) continue;
    rules.push({ ...(from ? { from } : {}), ports: tcpPorts(ports) });
  }
  const callers = [...new Set((workload.ports ?? []).flatMap(p => p.fromWorkloads ?? []))].sort();
  for (const caller of callers) {
    const ports = (workload.ports ?? []).filter(p => (p.fromWorkloads ?? []).includes(caller)).map(p => p.port);
    const from = byName(component!, caller);
    rules.push({ from: [podPeer(from.namespace, from.podLabels)], ports: tcpPorts(ports) });
  }
  return rules;
}

/** The destinations of one egress entry as NetworkPolicy peers (`undefined`: anywhere; `[]`: only Cilium can express them). */
function egressPeers(e: PlatformEgress, selectors: PlatformPeerSelectors, component: PlatformComponent): k8s.NetworkPolicyPeer[] | undefined {
  if (e.workload !== undefined) {
    const to = byName(component, e.workload);
    return [podPeer(to.namespace, to.podLabels)];
  }
  switch (e.to) {
    case PlatformPeer.API_SERVER: return peerNetworkPolicyPeers(selectors.apiServer!);
    case PlatformPeer.DNS: return peerNetworkPolicyPeers(selectors.dns);
    case PlatformPeer.ISTIOD: return [selectors.istiod()];
    case PlatformPeer.MESH: return [{ namespaceSelector: {}, podSelector: {} }];
    case PlatformPeer.INTERNET:
      return selectors.internet ? peerNetworkPolicyPeers(selectors.internet) : [
        { ipBlock: { cidr: '0.0.0.0/0', except: [...NON_PUBLIC_IPV4] } },
        { ipBlock: { cidr: '::/0', except: [...NON_PUBLIC_IPV6] } },
      ];
    case PlatformPeer.ANY: return undefined;
    default: return [];
  }
}

function egressPorts(e: PlatformEgress, selectors: PlatformPeerSelectors): k8s.NetworkPolicyPort[] | undefined {
  if (e.to === PlatformPeer.DNS) {
    return [{ protocol: 'UDP', port: k8s.IntOrString.fromNumber(53) }, { protocol: 'TCP', port: k8s.IntOrString.fromNumber(53) }];
  }
  const ports = e.to === PlatformPeer.API_SERVER ? selectors.apiServer!.ports : e.ports;
  return ports.length ? tcpPorts([...new Set(ports)].sort((a, b) => a - b)) : undefined;
}

/**
 * The egress rules of one workload: one per entry of its description's `egress`, in order.
 * Entries only a CiliumNetworkPolicy can express (the API server's `kube-apiserver` entity)
 * are left to `platformCiliumEgress()`.
 * @internal
 */
export function platformEgress(workload: PlatformWorkload, selectors: PlatformPeerSelectors,
  component: PlatformComponent): k8s.NetworkPolicyEgressRule[] {
  const rules: k8s.NetworkPolicyEgressRule[] = [];
  for (const e of workload.egress ?? []) {
    const to = egressPeers(e, selectors, component);
    if (to && to.length === 0) continue;
    const ports = egressPorts(e, selectors);
    rules.push({ ...(to ? { to } : {}), ...(ports ? { ports } : {}) });
  }
  return rules;
}

/** The API server ports `workload` calls through a Cilium entity (a CiliumNetworkPolicy), if any. */
function ciliumApiServerEgress(workload: PlatformWorkload, selectors: PlatformPeerSelectors): boolean {
  return selectors.egress && selectors.apiServer !== undefined && needsCilium(selectors.apiServer)
    && (workload.egress ?? []).some(e => e.to === PlatformPeer.API_SERVER && e.workload === undefined);
}

/** The NetworkPolicy name of a platform workload. @internal */
export function platformPolicyName(workload: PlatformWorkload): string {
  return `platform-${workload.kind.toLowerCase()}-${workload.name}`;
}

/**
 * One NetworkPolicy per workload of `component`, in the graph's network layer: it selects
 * exactly the workload's pods (which become isolated for ingress, and for egress with
 * `selectors.egress`), admits the described peers on the described ports and lets the pods
 * reach the described destinations. Peers matched by Cilium entities (the `kube-apiserver`
 * entity) are admitted by CiliumNetworkPolicies beside it, which Cilium ORs with it:
 * `<name>-webhooks` (the API server calling the webhooks) and `<name>-api-server` (the pods
 * calling the API server).
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
        policyTypes: selectors.egress ? ['Ingress', 'Egress'] : ['Ingress'],
        ingress: platformIngress(w, selectors, component),
        ...(selectors.egress ? { egress: Lazy.any({ produce: () => platformEgress(w, selectors, component) }) as any } : {}),
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
    if (ciliumApiServerEgress(w, selectors)) {
      const cnp = graph._placement(Layer.NETWORK, owner, `${w.namespace}-${name}`, `${w.namespace}-${name}-api-server`);
      new cilium.CiliumNetworkPolicy(cnp.scope, cnp.id, {
        metadata: metadata(`${name}-api-server`),
        spec: {
          description: `${component.name} (${w.kind} ${w.name}) calls the Kubernetes API server`,
          endpointSelector: { matchLabels: { ...w.podLabels } },
          egress: [peerCiliumRule(selectors.apiServer!, 'egress', selectors.apiServer!.ports)],
        } as any,
      });
    }
  }
}
