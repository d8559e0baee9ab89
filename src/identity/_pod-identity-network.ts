import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { MANAGED_BY } from '../intent/_labels';
import { IntentGraph, Layer } from '../intent/intent-graph';
import { IMeshWorkload } from '../intent/mesh-workload';

/**
 * Where pods reach the EKS Pod Identity agent (a hostNetwork DaemonSet on every node): the
 * link-local 169.254.170.23 and, on IPv6 clusters, fd00:ec2::23, port 80.
 *
 * @see https://docs.aws.amazon.com/eks/latest/userguide/pod-id-agent-setup.html
 * @internal
 */
export const POD_IDENTITY_AGENT_CIDRS = ['169.254.170.23/32', 'fd00:ec2::23/128'];
/** @internal */
export const POD_IDENTITY_AGENT_PORT = 80;

/**
 * The egress NetworkPolicy that lets `workload` reach the EKS Pod Identity agent and nothing
 * else (NetworkPolicies add up: the workload's other egress rules are unchanged). Defined once.
 *
 * @internal
 */
export function ensurePodIdentityAgentEgress(graph: IntentGraph, workload: IMeshWorkload & Construct): k8s.KubeNetworkPolicy {
  const namespace = workload.zeroTrustNamespace.namespaceName;
  const at = graph._placement(Layer.NETWORK, workload, `${namespace}-${workload.workloadName}`, 'PodIdentityAgentEgress');
  const existing = at.scope.node.tryFindChild(at.id);
  if (existing) {
    return existing as k8s.KubeNetworkPolicy;
  }
  return new k8s.KubeNetworkPolicy(at.scope, at.id, {
    metadata: {
      name: `${workload.workloadName}-eks-pod-identity`,
      namespace,
      labels: { ...MANAGED_BY, 'app.kubernetes.io/name': workload.workloadName },
    },
    spec: {
      podSelector: { matchLabels: { ...workload.podSelectorLabels } },
      policyTypes: ['Egress'],
      egress: [{
        to: POD_IDENTITY_AGENT_CIDRS.map(cidr => ({ ipBlock: { cidr } })),
        ports: [{ protocol: 'TCP', port: k8s.IntOrString.fromNumber(POD_IDENTITY_AGENT_PORT) }],
      }],
    },
  });
}
