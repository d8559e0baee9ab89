import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { MANAGED_BY } from './_k8s';
import * as cilium from '../imports/cilium';
import { ClusterPeer } from '../intent/cluster-peer';
import { IntentGraph, Layer } from '../intent/intent-graph';
import { podPeer, tcpPorts } from '../network/_network-policies';
import { needsCilium, peerCiliumRule, peerNetworkPolicyPeers } from '../network/_peers';

/** @internal */
export interface SpireNetworkPolicyOptions {
  readonly serverNamespace: string;
  readonly agentNamespace: string;
  readonly serverLabels: { [key: string]: string };
  readonly csiLabels: { [key: string]: string };
  /** Ports of the server pod reached from outside the pod: grpc, webhook, health checks. */
  readonly serverIngressPorts: number[];
  readonly csiHealthPort: number;
  readonly nodeCidrs: string[];
  readonly apiServerCidrs: string[];
  readonly apiServerPorts: number[];
  /** The API server peer; replaces apiServerCidrs and apiServerPorts. */
  readonly apiServer?: ClusterPeer;
  readonly dataStore?: { port: number; cidrs: string[] };
  readonly oidc?: { labels: { [key: string]: string }; port: number };
}

function ipBlocks(cidrs: string[]): k8s.NetworkPolicyPeer[] | undefined {
  return cidrs.length > 0 ? cidrs.map(cidr => ({ ipBlock: { cidr } })) : undefined;
}

/**
 * Default-deny NetworkPolicies for the SPIRE namespaces and what SPIRE needs through them. The
 * agent runs on the host network, where NetworkPolicies do not apply: its connections to the
 * server arrive from node addresses, so the server admits `nodeCidrs` (any source when empty)
 * on the pod port 8081 (the Service's 443 is translated before the policy sees it).
 * @internal
 */
export function spireNetworkPolicies(owner: Construct, o: SpireNetworkPolicyOptions): k8s.KubeNetworkPolicy[] {
  const graph = IntentGraph.of(owner);
  const policy = (childId: string, name: string, namespace: string, spec: k8s.NetworkPolicySpec) => {
    const at = graph._placement(Layer.NETWORK, owner, 'spire', childId);
    return new k8s.KubeNetworkPolicy(at.scope, at.id, { metadata: { name, namespace, labels: { ...MANAGED_BY, 'app.kubernetes.io/part-of': 'spire' } }, spec });
  };
  const dns: k8s.NetworkPolicyEgressRule = {
    to: [podPeer('kube-system', { 'k8s-app': 'kube-dns' })],
    ports: [{ protocol: 'UDP', port: k8s.IntOrString.fromNumber(53) }, { protocol: 'TCP', port: k8s.IntOrString.fromNumber(53) }],
  };
  const egress: k8s.NetworkPolicyEgressRule[] = [
    dns,
    // TokenReview (k8s_psat), bundle publishing, the controller manager's watches: the API server
    // peer (a Cilium entity goes into the CiliumNetworkPolicy below), or the legacy CIDRs
    ...(o.apiServer
      ? (needsCilium(o.apiServer) ? [] : [{ to: peerNetworkPolicyPeers(o.apiServer), ports: tcpPorts(o.apiServer.ports) }])
      : [{ to: ipBlocks(o.apiServerCidrs), ports: tcpPorts(o.apiServerPorts) }]),
    ...(o.dataStore ? [{ to: ipBlocks(o.dataStore.cidrs), ports: tcpPorts([o.dataStore.port]) }] : []),
  ];
  if (o.apiServer && needsCilium(o.apiServer)) {
    const at = graph._placement(Layer.NETWORK, owner, 'spire', 'ServerApiServerPolicy');
    new cilium.CiliumNetworkPolicy(at.scope, at.id, {
      metadata: { name: 'spire-server-api-server', namespace: o.serverNamespace, labels: { ...MANAGED_BY, 'app.kubernetes.io/part-of': 'spire' } },
      spec: {
        description: 'the SPIRE server calls the Kubernetes API server (TokenReviews, bundle ConfigMap, controller manager watches)',
        endpointSelector: { matchLabels: { ...o.serverLabels } },
        egress: [peerCiliumRule(o.apiServer, 'egress', o.apiServer.ports)],
      } as any,
    });
  }
  return [
    policy('ServerDefaultDeny', 'default-deny', o.serverNamespace, { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }),
    policy('ServerPolicy', 'spire-server', o.serverNamespace, {
      podSelector: { matchLabels: { ...o.serverLabels } },
      policyTypes: ['Ingress', 'Egress'],
      // agents (node addresses), the API server (webhook) and kubelet probes
      ingress: [{ from: ipBlocks(o.nodeCidrs), ports: tcpPorts(o.serverIngressPorts) }],
      egress,
    }),
    ...(o.oidc ? [policy('OidcDiscoveryPolicy', 'spiffe-oidc-discovery-provider', o.serverNamespace, {
      podSelector: { matchLabels: { ...o.oidc.labels } },
      policyTypes: ['Ingress'],
      // relying parties fetch the discovery document and keys, usually through an ingress controller
      ingress: [{ ports: tcpPorts([o.oidc.port]) }],
    })] : []),
    policy('AgentNamespaceDefaultDeny', 'default-deny', o.agentNamespace, { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }),
    policy('CsiDriverPolicy', 'spiffe-csi-driver', o.agentNamespace, {
      podSelector: { matchLabels: { ...o.csiLabels } },
      policyTypes: ['Ingress'],
      // kubelet liveness probes of the node-driver-registrar
      ingress: [{ from: ipBlocks(o.nodeCidrs), ports: tcpPorts([o.csiHealthPort]) }],
    }),
  ];
}
