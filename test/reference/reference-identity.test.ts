import * as yaml from 'yaml';
import { reference } from './_reference';
import { find, ofKind } from '../support/synth';

/** The reference architecture's identity layer: SPIFFE registrations and SPIRE hardening (split from reference-architecture.test.ts). */
describe('ReferenceArchitecture: identity layer', () => {
  test('identity: every workload has exactly one SPIFFE registration, whose ID is the principal its callers are allowed as', () => {
    const { ref, manifests } = reference();
    const namespaces = new Map(ofKind(manifests, 'Namespace').map(n => [n.metadata.name, { ...n.metadata.labels, 'kubernetes.io/metadata.name': n.metadata.name }]));
    const registrations = ofKind(manifests, 'ClusterSPIFFEID');
    const controllerManager = yaml.parse(find(manifests, 'ConfigMap', 'spire-controller-manager', 'spire-server').data['controller-manager-config.yaml']);
    const principals = new Set(ofKind(manifests, 'AuthorizationPolicy')
      .flatMap(p => (p.spec.rules ?? []).flatMap((r: any) => r.from.flatMap((f: any) => f.source.principals))));
    expect(ref.graph.workloads).toHaveLength(9);
    for (const w of ref.graph.workloads) {
      // the access proxy's pods are deployed by Istio from its Gateway: the graph knows their labels and ServiceAccount
      // the database is a StatefulSet
      const deployment = [...ofKind(manifests, 'Deployment'), ...ofKind(manifests, 'StatefulSet')]
        .find(d => d.metadata.name === w.workloadName && d.metadata.namespace === w.zeroTrustNamespace.namespaceName);
      expect(deployment !== undefined || w === ref.accessProxy).toBe(true);
      const pod = {
        namespace: w.zeroTrustNamespace.namespaceName,
        labels: deployment?.spec.template.metadata.labels ?? w.podSelectorLabels,
        serviceAccountName: deployment?.spec.template.spec.serviceAccountName ?? w.serviceAccountName,
      };
      // the controller manager reconciles only its class, and ignores some namespaces
      const matching = registrations.filter(r => r.spec.className === controllerManager.className
        && !controllerManager.ignoreNamespaces.includes(pod.namespace)
        && selects(r.spec.namespaceSelector, namespaces.get(pod.namespace)!)
        && selects(r.spec.podSelector, pod.labels));
      expect({ workload: w.node.path, registrations: matching.length }).toEqual({ workload: w.node.path, registrations: 1 });
      const id = renderTemplate(matching[0].spec.spiffeIDTemplate, { trustDomain: controllerManager.trustDomain, ...pod });
      expect(id).toBe(ref.graph.spiffeIdOf(w));
      expect(id).toBe(`spiffe://${ref.graph.principalOf(w)}`);
      if (ref.graph.callsFrom(w).length > 0) expect(principals).toContain(ref.graph.principalOf(w));
    }
    expect(controllerManager.trustDomain).toBe(ref.graph.trustDomain);
  });

  test('identity: SPIRE runs hardened except for the declared agent and CSI driver', () => {
    const { ref, manifests } = reference();
    const declared = ref.graph.privilegedWorkloads.map(p => p.key);
    // exact per container: each pod's host namespaces and paths, then each privileged container alone
    expect(declared).toEqual([
      // the access proxy's gateway pods (istiod's kube-gateway template): their ServiceAccount token
      'edge/Deployment/access-proxy-istio',
      'falco/DaemonSet/falco', 'falco/DaemonSet/falco[falco-driver-loader]', 'falco/DaemonSet/falco[falco]',
      'falco/DaemonSet/falco[falcoctl-artifact-follow]', 'falco/DaemonSet/falco[falcoctl-artifact-install]',
      // the platform components the reference declares, each as its chart deploys it
      'gatekeeper-system/Deployment/gatekeeper-audit', 'gatekeeper-system/Deployment/gatekeeper-audit[manager]',
      'gatekeeper-system/Deployment/gatekeeper-controller-manager', 'gatekeeper-system/Deployment/gatekeeper-controller-manager[manager]',
      'gatekeeper-system/Job/gatekeeper-update-crds-hook', 'gatekeeper-system/Job/gatekeeper-update-crds-hook[crds-upgrade]',
      'gatekeeper-system/Job/gatekeeper-update-namespace-label', 'gatekeeper-system/Job/gatekeeper-update-namespace-label[kubectl-label]',
      'gatekeeper-system/Job/gatekeeper-update-namespace-label[webhook-probe-post]',
      'insights/Deployment/waypoint', 'insights/Deployment/waypoint[istio-proxy]',
      'istio-system/DaemonSet/istio-cni-node', 'istio-system/DaemonSet/istio-cni-node[install-cni]',
      'istio-system/DaemonSet/ztunnel', 'istio-system/DaemonSet/ztunnel[istio-proxy]',
      'istio-system/Deployment/istiod', 'istio-system/Deployment/istiod[discovery]',
      'monitoring/Deployment/kube-prometheus-stack-operator', 'monitoring/Deployment/kube-prometheus-stack-operator[kube-prometheus-stack]',
      'monitoring/Job/kube-prometheus-stack-admission-create', 'monitoring/Job/kube-prometheus-stack-admission-create[create]',
      'monitoring/Job/kube-prometheus-stack-admission-patch', 'monitoring/Job/kube-prometheus-stack-admission-patch[patch]',
      'spire-server/StatefulSet/spire-server',
      'spire-system/DaemonSet/spiffe-csi-driver', 'spire-system/DaemonSet/spiffe-csi-driver[node-driver-registrar]', 'spire-system/DaemonSet/spiffe-csi-driver[spiffe-csi-driver]',
      'spire-system/DaemonSet/spire-agent', 'spire-system/DaemonSet/spire-agent[socket-dir-owner]',
      'vault/Deployment/vault-agent-injector', 'vault/Deployment/vault-agent-injector[sidecar-injector]',
    ]);
    const server = find(manifests, 'StatefulSet', 'spire-server', 'spire-server');
    expect(server.spec.replicas).toBe(1);
    expect(JSON.parse(find(manifests, 'ConfigMap', 'spire-server', 'spire-server').data['server.conf']).plugins.DataStore[0].sql.plugin_data.database_type).toBe('sqlite3');
    for (const c of server.spec.template.spec.containers) {
      expect(c.securityContext).toEqual(expect.objectContaining({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } }));
    }
    const agentConf = JSON.parse(find(manifests, 'ConfigMap', 'spire-agent', 'spire-system').data['agent.conf']);
    expect(agentConf.plugins.WorkloadAttestor[0].k8s.plugin_data.skip_kubelet_verification).toBe(false);
    expect(find(manifests, 'RoleBinding', 'zero-trust-read-only', 'production').subjects).toEqual([{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'sre' }]);
  });
});

/** Kubernetes label selector semantics, written independently of the library. */
function selects(selector: any, labels: { [key: string]: string }): boolean {
  if (!selector) return true;
  const labelsOk = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const exprOk = (selector.matchExpressions ?? []).every((e: any) => {
    switch (e.operator) {
      case 'In': return e.key in labels && e.values.includes(labels[e.key]);
      case 'NotIn': return !(e.key in labels) || !e.values.includes(labels[e.key]);
      case 'Exists': return e.key in labels;
      case 'DoesNotExist': return !(e.key in labels);
      default: throw new Error(`unknown operator ${e.operator}`);
    }
  });
  return labelsOk && exprOk;
}

/** The spire-controller-manager's Go template, for the fields the reference uses. */
function renderTemplate(template: string, pod: { trustDomain: string; namespace: string; serviceAccountName: string }): string {
  const fields: { [key: string]: string } = {
    '.TrustDomain': pod.trustDomain, '.PodMeta.Namespace': pod.namespace, '.PodSpec.ServiceAccountName': pod.serviceAccountName,
  };
  return template.replace(/\{\{\s*([.\w]+)\s*\}\}/g, (_, f: string) => {
    if (!(f in fields)) throw new Error(`unsupported template field ${f}`);
    return fields[f];
  });
}
