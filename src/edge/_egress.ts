import { Lazy } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { checkExternalHost } from './_hosts';
import { EnforcementPoints } from '../enforcement/enforcement-points';
import * as istio from '../imports/istio-networking';
import { NON_PUBLIC_IPV4, NON_PUBLIC_IPV6 } from '../intent/_cidr';
import { MANAGED_BY } from '../intent/_labels';
import { checkPort, invalid, sortedUnique } from '../intent/_validation';
import { EgressIntent, IntentGraph, Layer } from '../intent/intent-graph';
import { IMeshWorkload, IZeroTrustNamespace } from '../intent/mesh-workload';
import { tcpPorts } from '../network/_network-policies';


/** Workloads whose external egress Cilium enforces (toFQDNs): no ipBlock NetworkPolicy for them. */
const CILIUM_EGRESS = new WeakMap<IntentGraph, Set<IMeshWorkload>>();

/**
 * Records `workload -> host:port` in the intent graph and renders it at every layer:
 * - mesh: a ServiceEntry (MESH_EXTERNAL, DNS resolution, visible in the namespace only) and the
 *   workload's Sidecar (egress hosts = its declared callees and external hosts, outbound policy
 *   REGISTRY_ONLY, so anything else is black-holed by the sidecar);
 * - network: an egress NetworkPolicy to the port on public addresses only (Kubernetes
 *   NetworkPolicy cannot match names), unless a CiliumWorkloadPolicy enforces the name with toFQDNs.
 */
export function addExternalEgress(graph: IntentGraph, workload: IMeshWorkload, host: string, port: number | undefined): EgressIntent {
  checkExternalHost(workload, graph, 'host', host);
  const p = checkPort(workload, 'port', port ?? 443);
  if (!EnforcementPoints.of(workload).forWorkload(workload).sidecar) {
    invalid(workload, 'host', host, `namespace ${workload.zeroTrustNamespace.namespaceName} is in ambient mode, where Sidecar resources do not apply, so the mesh could not restrict this egress`,
      'use MeshMode.SIDECAR for workloads that call out of the cluster');
  }
  const egress = graph._addEgress(workload, host, p);
  ensureServiceEntry(graph, workload, host);
  ensureSidecar(graph, workload);
  ensureNamespaceSidecar(graph, workload.zeroTrustNamespace);
  if (!CILIUM_EGRESS.get(graph)?.has(workload)) {
    ensureExternalEgressPolicy(graph, workload);
  }
  return egress;
}

/**
 * Cilium enforces the external egress of `workload` by name: drop (and never create) the
 * ipBlock NetworkPolicy, which Cilium would OR with the toFQDNs rule and so open every public
 * address on the port.
 */
export function markCiliumEgress(graph: IntentGraph, workload: IMeshWorkload): void {
  const set = CILIUM_EGRESS.get(graph) ?? new Set<IMeshWorkload>();
  set.add(workload);
  CILIUM_EGRESS.set(graph, set);
  const at = externalPolicyPlacement(graph, workload);
  at.scope.node.tryRemoveChild(at.id);
}

/** Istio protocol of an external port: HTTP on 80, TLS (SNI-matched, never decrypted) otherwise. */
function externalProtocol(port: number): string {
  return port === 80 ? 'HTTP' : 'TLS';
}

function ensureServiceEntry(graph: IntentGraph, workload: IMeshWorkload, host: string): void {
  const namespace = workload.zeroTrustNamespace;
  const at = graph._placement(Layer.EDGE, namespace as Construct, namespace.namespaceName, `ServiceEntry-${host}`);
  if (at.scope.node.tryFindChild(at.id)) {
    return;
  }
  new istio.ServiceEntry(at.scope, at.id, {
    metadata: { name: host, namespace: namespace.namespaceName, labels: { ...MANAGED_BY } },
    spec: Lazy.any({
      produce: (): istio.ServiceEntrySpec => ({
        hosts: [host],
        // only this namespace's sidecars see the entry: other namespaces cannot use it to call out
        exportTo: ['.'],
        location: istio.ServiceEntrySpecLocation.MESH_UNDERSCORE_EXTERNAL,
        resolution: istio.ServiceEntrySpecResolution.DNS,
        ports: sortedUnique(graph.egress.filter(e => e.host === host && e.workload.zeroTrustNamespace === namespace).map(e => e.port))
          .map(port => ({ number: port, name: `${externalProtocol(port).toLowerCase()}-${port}`, protocol: externalProtocol(port) })),
      }),
    }),
  });
}

/** The host of a workload's Service as a Sidecar egress host (`<namespace>/<fqdn>`). */
function serviceHost(workload: IMeshWorkload): string {
  const ns = workload.zeroTrustNamespace.namespaceName;
  return `${ns}/${workload.workloadName}.${ns}.svc.cluster.local`;
}

/** The in-cluster services outside the graph the workload's injected containers call (the Vault agent → Vault). */
function platformHosts(graph: IntentGraph, workload: IMeshWorkload): string[] {
  return graph.platformEndpointsOf(workload).map(e => `${e.namespace}/${e.host}`);
}

/** Hosts every sidecar may see: the control plane's namespace (Istio's recommended Sidecar baseline). */
const CONTROL_PLANE_HOSTS = 'istio-system/*';

/** Workloads with their own Sidecar (they declared external egress). */
function hasOwnSidecar(graph: IntentGraph, workload: IMeshWorkload): boolean {
  return graph.egressFrom(workload).length > 0;
}

/**
 * The namespace's default Sidecar (no workload selector), defined once the namespace holds an
 * external ServiceEntry: a ServiceEntry is visible to the whole namespace, so without it every
 * other workload there could reach the external host through its sidecar. It lets the
 * namespace's other workloads see their declared callees only, REGISTRY_ONLY.
 */
function ensureNamespaceSidecar(graph: IntentGraph, namespace: IZeroTrustNamespace): void {
  const at = graph._placement(Layer.EDGE, namespace as Construct, namespace.namespaceName, 'DefaultSidecar');
  if (at.scope.node.tryFindChild(at.id)) {
    return;
  }
  new istio.Sidecar(at.scope, at.id, {
    metadata: { name: 'default', namespace: namespace.namespaceName, labels: { ...MANAGED_BY } },
    spec: Lazy.any({
      produce: (): istio.SidecarSpec => ({
        egress: [{
          hosts: sortedUnique([
            CONTROL_PLANE_HOSTS,
            ...graph.workloads.filter(w => w.zeroTrustNamespace === namespace && !hasOwnSidecar(graph, w))
              .flatMap(w => [...graph.callsFrom(w).map(c => serviceHost(c.callee)), ...platformHosts(graph, w)]),
          ]),
        }],
        outboundTrafficPolicy: { mode: istio.SidecarSpecOutboundTrafficPolicyMode.REGISTRY_UNDERSCORE_ONLY },
      }),
    }),
  });
}

function ensureSidecar(graph: IntentGraph, workload: IMeshWorkload): void {
  const ns = workload.zeroTrustNamespace.namespaceName;
  const at = graph._placement(Layer.EDGE, workload as Construct, `${ns}-${workload.workloadName}`, 'Sidecar');
  if (at.scope.node.tryFindChild(at.id)) {
    return;
  }
  new istio.Sidecar(at.scope, at.id, {
    metadata: { name: workload.workloadName, namespace: ns, labels: { ...MANAGED_BY, 'app.kubernetes.io/name': workload.workloadName } },
    spec: Lazy.any({
      produce: (): istio.SidecarSpec => ({
        workloadSelector: { labels: { ...workload.podSelectorLabels } },
        egress: [{
          hosts: sortedUnique([
            CONTROL_PLANE_HOSTS,
            ...graph.callsFrom(workload).map(c => serviceHost(c.callee)),
            ...platformHosts(graph, workload),
            ...graph.egressFrom(workload).map(e => `./${e.host}`),
          ]),
        }],
        // per-workload REGISTRY_ONLY, whatever the mesh-wide default (ALLOW_ANY unless configured)
        outboundTrafficPolicy: { mode: istio.SidecarSpecOutboundTrafficPolicyMode.REGISTRY_UNDERSCORE_ONLY },
      }),
    }),
  });
}

function externalPolicyPlacement(graph: IntentGraph, workload: IMeshWorkload): { scope: Construct; id: string } {
  return graph._placement(Layer.EDGE, workload as Construct, `${workload.zeroTrustNamespace.namespaceName}-${workload.workloadName}`, 'ExternalEgressPolicy');
}

function ensureExternalEgressPolicy(graph: IntentGraph, workload: IMeshWorkload): void {
  const at = externalPolicyPlacement(graph, workload);
  if (at.scope.node.tryFindChild(at.id)) {
    return;
  }
  new k8s.KubeNetworkPolicy(at.scope, at.id, {
    metadata: {
      name: `${workload.workloadName}-external-egress`,
      namespace: workload.zeroTrustNamespace.namespaceName,
      labels: { ...MANAGED_BY, 'app.kubernetes.io/name': workload.workloadName },
    },
    spec: Lazy.any({
      produce: (): k8s.NetworkPolicySpec => ({
        podSelector: { matchLabels: { ...workload.podSelectorLabels } },
        policyTypes: ['Egress'],
        egress: [{
          to: [
            { ipBlock: { cidr: '0.0.0.0/0', except: [...NON_PUBLIC_IPV4] } },
            { ipBlock: { cidr: '::/0', except: [...NON_PUBLIC_IPV6] } },
          ],
          ports: tcpPorts(sortedUnique(graph.egressFrom(workload).map(e => e.port))),
        }],
      }),
    }),
  });
}
