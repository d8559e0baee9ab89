import { Cluster } from './_cluster';
import { Pod } from './_model';
import { EffectFinding } from './effect-finding';
import { peerCallsOfApp } from '../intent/cluster-peer';
import { ClusterPeerKind } from '../intent/cluster-peer-options';
import { IntentGraph, workloadKey } from '../intent/intent-graph';
import { IMeshWorkload } from '../intent/mesh-workload';

/** The AWS/GCP/Azure/OpenStack instance metadata address and its HTTP port. */
const METADATA = { ip: '169.254.169.254', port: 80 };

/**
 * Peers outside the graph, from the intent (never from the renderers):
 *
 * - every declared call to an address peer is open at L4 to the first address of each of its
 *   IPv4 ranges on each port, and every declared call from one admits that address (Kubernetes
 *   NetworkPolicy `ipBlock` and Cilium CIDR rules, as the network model evaluates them);
 * - the cloud metadata endpoint (169.254.169.254:80, which hands out node credentials) is closed
 *   to every workload that did not declare `ClusterPeer.cloudMetadata()`.
 *
 * Workloads in `Rollout.AUDIT` are skipped (an allow-all NetworkPolicy admits everything there).
 *
 * Peers matched by Cilium entities (the API server, nodes) or pods outside the manifests have
 * no address or pod here and are not probed.
 */
export function checkPeers(findings: EffectFinding[], graph: IntentGraph, cluster: Cluster, podOf: Map<IMeshWorkload, Pod>,
  audited: Set<IMeshWorkload>): void {
  const calls = peerCallsOfApp(graph);
  for (const call of calls) {
    const pod = podOf.get(call.workload);
    if (!pod || audited.has(call.workload)) continue;
    for (const cidr of call.peer.cidrs.filter(c => !c.includes(':'))) {
      const ip = firstAddress(cidr);
      for (const port of call.ports) {
        const v = call.inbound ? cluster.direction('Ingress', pod, { ip }, { port }) : cluster.l4(pod, { ip }, { port });
        if (!v.allowed) {
          findings.push({
            kind: call.inbound ? 'denied' : 'egress-denied',
            call: call.key,
            objects: v.objects,
            message: `declared peer call ${call.key} is blocked at ${ip}:${port}: no NetworkPolicy ipBlock or Cilium CIDR rule ${call.inbound ? 'admits it' : 'opens it'}`,
          });
        }
      }
    }
  }
  for (const w of graph.workloads) {
    // in AUDIT an allow-all NetworkPolicy admits everything on purpose
    if (audited.has(w)) continue;
    const pod = podOf.get(w)!;
    const declared = calls.some(c => c.workload === w && !c.inbound && c.peer.kind === ClusterPeerKind.CLOUD_METADATA);
    if (declared) continue;
    const v = cluster.l4(pod, { ip: METADATA.ip }, { port: METADATA.port });
    if (v.allowed) {
      findings.push({
        kind: 'egress-undeclared',
        call: `${workloadKey(w)} -> ${METADATA.ip}:${METADATA.port}`,
        objects: v.objects,
        message: `${workloadKey(w)} may reach the cloud metadata endpoint ${METADATA.ip}:${METADATA.port}, which hands out the node's cloud credentials, but declares no ClusterPeer.cloudMetadata() (allowed by ${v.objects.join(', ') || 'the absence of an egress policy'})`,
      });
    }
  }
}

/** The first address of an IPv4 CIDR (its network address for /31 and /32, else network + 1). */
function firstAddress(cidr: string): string {
  const [base, bits] = cidr.split('/');
  const n = base.split('.').reduce((a, o) => a * 256 + Number(o), 0) + (Number(bits) >= 31 ? 0 : 1);
  return [24, 16, 8, 0].map(s => Math.floor(n / 2 ** s) % 256).join('.');
}
