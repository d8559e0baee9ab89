import { Chart, Testing } from 'cdk8s';
import { Cni, ClusterPeer, IntentGraph, MeshMode, MeshService, PlatformComponent, PlatformComponents, ZeroTrustNamespace } from '../../src';
import {
  GATEKEEPER_AUDIT, GATEKEEPER_CONTROLLER_MANAGER, GATEKEEPER_LABEL_NAMESPACE, GATEKEEPER_UPGRADE_CRDS,
  KYVERNO_ADMISSION, KYVERNO_BACKGROUND, KYVERNO_CLEANUP, KYVERNO_REPORTS,
} from './fixtures/engines';
import { INGRESS_GATEWAY, ISTIOD, WAYPOINT, ZTUNNEL, istioCni } from './fixtures/istio';
import {
  FALCO, PROMETHEUS_OPERATOR, PROMETHEUS_OPERATOR_ADMISSION_CREATE, PROMETHEUS_OPERATOR_ADMISSION_PATCH, VAULT_INJECTOR,
} from './fixtures/operators';
import { Cluster, Pod } from '../support/reachability';
import { ofKind, synthValid } from '../support/synth';

/** The chart pods (fixtures written from the pinned charts' templates), by component. */
const PODS: Array<{ component: () => PlatformComponent; pods: any[] }> = [
  { component: () => PlatformComponent.istiod(), pods: [ISTIOD] },
  { component: () => PlatformComponent.istioCni(), pods: [istioCni(false)] },
  { component: () => PlatformComponent.ztunnel(), pods: [ZTUNNEL] },
  { component: () => PlatformComponent.istioGateway({ name: 'istio-ingressgateway', namespace: 'istio-ingress' }), pods: [INGRESS_GATEWAY] },
  { component: () => PlatformComponent.waypoint({ name: 'waypoint', namespace: 'shop' }), pods: [WAYPOINT] },
  {
    component: () => PlatformComponent.gatekeeper(),
    pods: [GATEKEEPER_CONTROLLER_MANAGER, GATEKEEPER_AUDIT, GATEKEEPER_UPGRADE_CRDS, GATEKEEPER_LABEL_NAMESPACE],
  },
  { component: () => PlatformComponent.kyverno(), pods: [KYVERNO_ADMISSION, KYVERNO_BACKGROUND, KYVERNO_CLEANUP, KYVERNO_REPORTS] },
  { component: () => PlatformComponent.vaultAgentInjector(), pods: [VAULT_INJECTOR] },
  { component: () => PlatformComponent.falco(), pods: [FALCO] },
  {
    component: () => PlatformComponent.prometheusOperator(),
    pods: [PROMETHEUS_OPERATOR, PROMETHEUS_OPERATOR_ADMISSION_CREATE, PROMETHEUS_OPERATOR_ADMISSION_PATCH],
  },
];

const asPod = (p: any): Pod => ({
  namespace: p.metadata.namespace, name: p.metadata.name, labels: p.metadata.labels, serviceAccount: p.spec.serviceAccountName,
});
/** The ports the chart's pod listens on: its container ports and the ports its probes call (the Vault injector declares none). */
const containerPorts = (p: any): number[] => [...(p.spec.initContainers ?? []), ...p.spec.containers].flatMap((c: any) => [
  ...(c.ports ?? []).map((x: any) => x.containerPort),
  ...[c.readinessProbe, c.livenessProbe, c.startupProbe].filter(pr => typeof pr?.httpGet?.port === 'number').map(pr => pr.httpGet.port),
]);

const PROMETHEUS: Pod = { namespace: 'monitoring', name: 'prometheus-0', labels: { 'app.kubernetes.io/name': 'prometheus' }, serviceAccount: 'prometheus' };
const GRAFANA: Pod = { namespace: 'monitoring', name: 'grafana', labels: { 'app.kubernetes.io/name': 'grafana' }, serviceAccount: 'grafana' };
const APP: Pod = { namespace: 'shop', name: 'cart', labels: { app: 'cart' }, serviceAccount: 'cart' };

function platformApp(props: ConstructorParameters<typeof PlatformComponents>[2] = {}) {
  const chart = new Chart(Testing.app(), 'platform');
  new IntentGraph(chart, 'graph');
  const components = new PlatformComponents(chart, 'components', { ...props, components: PODS.map(c => c.component()) });
  return { chart, components, objs: synthValid(chart) };
}

describe('PlatformComponents: NetworkPolicies of the components\' own pods', () => {
  test('each workload gets one ingress NetworkPolicy that selects exactly its chart pods and opens only ports the chart pod listens on', () => {
    const { objs } = platformApp();
    const policies = ofKind(objs, 'NetworkPolicy');
    const pods = PODS.flatMap(c => c.pods);
    expect(policies).toHaveLength(pods.length);
    const cluster = new Cluster(objs);
    for (const pod of pods) {
      // exactly one policy selects the pod, and it isolates it for ingress only (egress stays as the chart leaves it)
      const selecting = policies.filter(p => p.metadata.namespace === pod.metadata.namespace
        && Object.entries(p.spec.podSelector.matchLabels).every(([k, v]) => pod.metadata.labels[k] === v));
      expect({ pod: pod.metadata.name, selecting: selecting.length }).toEqual({ pod: pod.metadata.name, selecting: 1 });
      expect(selecting[0].spec.policyTypes).toEqual(['Ingress']);
      // no other pod of the chart is selected by it
      expect(pods.filter(o => o !== pod && o.metadata.namespace === pod.metadata.namespace
        && Object.entries(selecting[0].spec.podSelector.matchLabels).every(([k, v]) => o.metadata.labels[k] === v))).toEqual([]);
      // every opened port is one of the chart pod's container ports, or a port Envoy binds
      // without declaring it: the gateway's listeners (80, 443) and status port (15021, the gateway
      // chart's Service port `status-port` for load balancer health checks), the waypoint's HBONE 15008
      const opened: number[] = selecting[0].spec.ingress.flatMap((r: any) => r.ports.map((p: any) => p.port));
      const declared = containerPorts(pod);
      const undeclaredByEnvoy = pod === INGRESS_GATEWAY ? [80, 443, 15021] : pod === WAYPOINT ? [15008] : [];
      const undeclared = opened.filter(p => !declared.includes(p) && !undeclaredByEnvoy.includes(p));
      expect({ pod: pod.metadata.name, undeclared }).toEqual({ pod: pod.metadata.name, undeclared: [] });
      // an unrelated pod reaches none of its ports
      for (const port of [...declared, ...undeclaredByEnvoy, 1234]) {
        const open = selecting[0].spec.ingress.some((r: any) => r.from === undefined && r.ports.some((p: any) => p.port === port));
        const fromMesh = (pod === ISTIOD && [15010, 15012].includes(port)) || (pod === WAYPOINT && port === 15008);
        expect({ pod: pod.metadata.name, port, reachable: cluster.networkAllows(APP, asPod(pod), port) })
          .toEqual({ pod: pod.metadata.name, port, reachable: open || fromMesh });
        // and the ports reachable from anywhere are exactly the webhooks' (no webhookCallers here) and the gateway's listeners and status port
        if (open) {
          const anySourcePort = [8443, 9443, 8080, 10250, 15017, 80, 443, 15021].includes(port);
          expect({ pod: pod.metadata.name, port, anySourcePort }).toEqual({ pod: pod.metadata.name, port, anySourcePort: true });
        }
      }
    }
  });

  test('istiod: the mesh reaches xDS and CA (15010, 15012), Prometheus its monitoring port (15014), the API server its webhook (15017); nothing reaches debug (8080)', () => {
    const { objs } = platformApp({ webhookCallers: [ClusterPeer.kubernetesApiServer({ addresses: ['10.0.0.10/32'] })] });
    const cluster = new Cluster(objs);
    const istiod = asPod(ISTIOD);
    expect(cluster.networkAllows(APP, istiod, 15012)).toBe(true);
    expect(cluster.networkAllows(APP, istiod, 15010)).toBe(true);
    expect(cluster.networkAllows(APP, istiod, 15014)).toBe(false);
    expect(cluster.networkAllows(APP, istiod, 15017)).toBe(false);
    expect(cluster.networkAllows(APP, istiod, 8080)).toBe(false);
    expect(cluster.networkAllows(PROMETHEUS, istiod, 15014)).toBe(true);
    expect(cluster.networkAllows(GRAFANA, istiod, 15014)).toBe(false);
    expect(cluster.networkAllowsFromIp('10.0.0.10', istiod, 15017)).toBe(true);
    expect(cluster.networkAllowsFromIp('10.0.0.11', istiod, 15017)).toBe(false);
    expect(cluster.networkAllowsFromIp('10.0.0.10', istiod, 15012)).toBe(false);
    const policy = ofKind(objs, 'NetworkPolicy').find(p => p.metadata.name === 'platform-deployment-istiod');
    expect(policy.metadata.namespace).toBe('istio-system');
    expect(policy.spec.ingress).toEqual([
      { from: [{ ipBlock: { cidr: '10.0.0.10/32' } }], ports: [{ port: 15017, protocol: 'TCP' }] },
      { from: [{ namespaceSelector: {}, podSelector: {} }], ports: [{ port: 15010, protocol: 'TCP' }, { port: 15012, protocol: 'TCP' }] },
      {
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } } }],
        ports: [{ port: 15014, protocol: 'TCP' }],
      },
    ]);
  });

  test('webhooks: without webhookCallers the webhook port (only) admits any source; with them, only the API server', () => {
    const webhooks = [
      [GATEKEEPER_CONTROLLER_MANAGER, 8443], [KYVERNO_ADMISSION, 9443], [KYVERNO_CLEANUP, 9443], [VAULT_INJECTOR, 8080], [PROMETHEUS_OPERATOR, 10250],
    ] as const;
    for (const [pod, port] of webhooks) {
      const open = new Cluster(platformApp().objs);
      expect({ pod: pod.metadata.name, open: open.networkAllows(APP, asPod(pod), port) }).toEqual({ pod: pod.metadata.name, open: true });
      const narrowed = new Cluster(platformApp({ webhookCallers: [ClusterPeer.kubernetesApiServer({ addresses: ['192.0.2.0/28'] })] }).objs);
      expect({ pod: pod.metadata.name, app: narrowed.networkAllows(APP, asPod(pod), port), apiServer: narrowed.networkAllowsFromIp('192.0.2.5', asPod(pod), port) })
        .toEqual({ pod: pod.metadata.name, app: false, apiServer: true });
    }
    // the Prometheus Operator's port serves both the webhook and its metrics
    const narrowed = new Cluster(platformApp({ webhookCallers: [ClusterPeer.kubernetesApiServer({ addresses: ['192.0.2.0/28'] })] }).objs);
    expect(narrowed.networkAllows(PROMETHEUS, asPod(PROMETHEUS_OPERATOR), 10250)).toBe(true);
    // the audit controller and Kyverno's background controller serve no webhook
    expect(narrowed.networkAllowsFromIp('192.0.2.5', asPod(GATEKEEPER_AUDIT), 8443)).toBe(false);
    expect(narrowed.networkAllowsFromIp('192.0.2.5', asPod(KYVERNO_BACKGROUND), 9443)).toBe(false);
  });

  test('hook Jobs and node agents admit nothing but Prometheus on their metrics port; Falco admits Prometheus on 8765 only', () => {
    const { objs } = platformApp({ monitoring: ClusterPeer.monitoring({ namespace: 'observability', podLabels: { app: 'prom' } }) });
    const policies = ofKind(objs, 'NetworkPolicy');
    const jobs = [GATEKEEPER_UPGRADE_CRDS, GATEKEEPER_LABEL_NAMESPACE, PROMETHEUS_OPERATOR_ADMISSION_CREATE, PROMETHEUS_OPERATOR_ADMISSION_PATCH];
    for (const job of jobs) {
      const policy = policies.find(p => p.metadata.namespace === job.metadata.namespace && p.spec.podSelector.matchLabels['job-name'] === job.metadata.labels['job-name']);
      expect(policy.spec).toEqual({
        podSelector: { matchLabels: { 'job-name': job.metadata.labels['job-name'] } }, policyTypes: ['Ingress'], ingress: [],
      });
    }
    const prom: Pod = { namespace: 'observability', name: 'p', labels: { app: 'prom' }, serviceAccount: 'p' };
    const cluster = new Cluster(objs);
    expect(cluster.networkAllows(prom, asPod(FALCO), 8765)).toBe(true);
    expect(cluster.networkAllows(PROMETHEUS, asPod(FALCO), 8765)).toBe(false);
    expect(cluster.networkAllows(APP, asPod(FALCO), 8765)).toBe(false);
  });

  test('declaring a component twice, in two constructs, writes its NetworkPolicies once; networkPolicies: false writes none', () => {
    const chart = new Chart(Testing.app(), 'platform');
    new IntentGraph(chart, 'graph');
    new PlatformComponents(chart, 'a', { components: [PlatformComponent.istiod()] });
    new PlatformComponents(chart, 'b', { components: [PlatformComponent.istiod(), PlatformComponent.falco()] });
    new PlatformComponents(chart, 'c', { networkPolicies: false, components: [PlatformComponent.ztunnel()] });
    expect(ofKind(synthValid(chart), 'NetworkPolicy').map(p => `${p.metadata.namespace}/${p.metadata.name}`).sort())
      .toEqual(['falco/platform-daemonset-falco', 'istio-system/platform-deployment-istiod']);
  });

  test('the policies go to the graph\'s network layer', () => {
    const app = Testing.app();
    const network = new Chart(app, 'network');
    const other = new Chart(app, 'other');
    new IntentGraph(other, 'graph', { layers: { network } });
    new PlatformComponents(other, 'components', { components: [PlatformComponent.istiod()] });
    expect(ofKind(Testing.synth(network), 'NetworkPolicy').map(p => p.metadata.name)).toEqual(['platform-deployment-istiod']);
    expect(ofKind(Testing.synth(other), 'NetworkPolicy')).toEqual([]);
  });

  test('a waypoint of the intent graph keeps its exact policy: declaring it with networkPolicies is an error naming the fix', () => {
    const chart = new Chart(Testing.app(), 'platform');
    const ns = new ZeroTrustNamespace(chart, 'insights', { name: 'insights', meshMode: MeshMode.AMBIENT });
    const caller = new MeshService(chart, 'a', { namespace: ns, image: 'ghcr.io/acme/a:1', port: 8080 });
    const callee = new MeshService(chart, 'b', { namespace: ns, image: 'ghcr.io/acme/b:1', port: 8080 });
    callee.allowFrom(caller, { methods: ['GET'], paths: ['/x'] });
    new PlatformComponents(chart, 'waypoints', { components: [PlatformComponent.waypoint({ name: 'waypoint', namespace: 'insights' })] });
    expect(() => Testing.synth(chart)).toThrow(/\[platform\/waypoints\] invalid component "insights\/waypoint": is a waypoint of the intent graph.*declare it in a PlatformComponents with networkPolicies: false/);
  });

  test('on Cilium the API server\'s kube-apiserver entity reaches the webhook ports through a CiliumNetworkPolicy beside the NetworkPolicy', () => {
    const { objs } = platformApp({ webhookCallers: [ClusterPeer.kubernetesApiServer({ cni: Cni.CILIUM })] });
    // the NetworkPolicy admits nobody on the webhook port (NetworkPolicy cannot match the entity)...
    const istiod = ofKind(objs, 'NetworkPolicy').find(p => p.metadata.name === 'platform-deployment-istiod');
    expect(istiod.spec.ingress.flatMap((r: any) => r.ports.map((p: any) => p.port))).not.toContain(15017);
    // ... the CiliumNetworkPolicy admits exactly the entity on exactly the webhook ports, for exactly the webhook pods
    const cnps = ofKind(objs, 'CiliumNetworkPolicy');
    expect(cnps.map(c => `${c.metadata.namespace}/${c.metadata.name}`).sort()).toEqual([
      'gatekeeper-system/platform-deployment-gatekeeper-controller-manager-webhooks',
      'istio-system/platform-deployment-istiod-webhooks',
      'kyverno/platform-deployment-kyverno-admission-controller-webhooks',
      'kyverno/platform-deployment-kyverno-cleanup-controller-webhooks',
      'monitoring/platform-deployment-kube-prometheus-stack-operator-webhooks',
      'vault/platform-deployment-vault-agent-injector-webhooks',
    ]);
    const cnp = cnps.find(c => c.metadata.name === 'platform-deployment-istiod-webhooks');
    expect(cnp.spec.endpointSelector).toEqual({ matchLabels: { app: 'istiod', istio: 'pilot' } });
    expect(cnp.spec.ingress).toEqual([{ fromEntities: ['kube-apiserver'], toPorts: [{ ports: [{ port: '15017', protocol: 'TCP' }] }] }]);
    expect(cnp.spec.egress).toBeUndefined();
  });

  test('throws on options that would widen or break the policies', () => {
    const chart = () => { const c = Testing.chart(); new IntentGraph(c, 'graph'); return c; };
    expect(() => new PlatformComponents(chart(), 'p', { webhookCallers: ['10.0.0.1/32' as any] }))
      .toThrow(/\[test\/p\] invalid webhookCallers\[0\] "10\.0\.0\.1\/32": must be a ClusterPeer \(for example ClusterPeer\.\w+\(...\)\), got string/);
    expect(() => new PlatformComponents(chart(), 'p', { webhookCallers: [ClusterPeer.cloudMetadata()] })).toThrow(/invalid webhookCallers/);
    expect(() => new PlatformComponents(chart(), 'p', { monitoring: ClusterPeer.kubernetesApiServer({ cni: Cni.CILIUM }) }))
      .toThrow(/\[test\/p\] invalid monitoring .*: must be a ClusterPeer of the Prometheus pods or addresses/);
    expect(() => new PlatformComponents(chart(), 'p', { networkPolicies: 'yes' as any })).toThrow(/invalid networkPolicies "yes"/);
  });
});
