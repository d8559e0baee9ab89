import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { VaultConnection } from './vault-connection';
import { IntentGraph, Layer } from '../intent/intent-graph';
import { IMeshWorkload } from '../intent/mesh-workload';
import { podPeer, tcpPorts } from '../network/_network-policies';

/**
 * The NetworkPolicy that lets `workload`'s pods reach exactly the Vault server pods on the Vault
 * port (the namespace is default-deny), defined once per workload.
 */
export function ensureVaultEgressPolicy(workload: IMeshWorkload, vault: VaultConnection): k8s.KubeNetworkPolicy {
  const graph = IntentGraph.of(workload);
  const namespace = workload.zeroTrustNamespace.namespaceName;
  const placement = graph._placement(Layer.SECRETS, workload as Construct, `${namespace}-${workload.workloadName}`, 'VaultEgressPolicy');
  const existing = placement.scope.node.tryFindChild(placement.id);
  if (existing) {
    return existing as k8s.KubeNetworkPolicy;
  }
  return new k8s.KubeNetworkPolicy(placement.scope, placement.id, {
    metadata: {
      name: `${workload.workloadName}-vault-egress`,
      namespace,
      labels: { 'app.kubernetes.io/managed-by': 'cdk8s-zero-trust', 'app.kubernetes.io/name': workload.workloadName },
    },
    spec: {
      podSelector: { matchLabels: { ...workload.podSelectorLabels } },
      policyTypes: ['Egress'],
      egress: [{ to: [podPeer(vault.namespace, vault.podLabels)], ports: tcpPorts([vault.port]) }],
    },
  });
}
