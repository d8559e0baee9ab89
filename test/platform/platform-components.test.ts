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

/** The endpoints of the `kubernetes` Service in these tests. */
const API_SERVER = ClusterPeer.kubernetesApiServer({ addresses: ['172.18.0.2/32'], ports: [6443] });

function platformApp(props: ConstructorParameters<typeof PlatformComponents>[2] = {}) {
  const chart = new Chart(Testing.app(), 'platform');
  new IntentGraph(chart, 'graph');
  const components = new PlatformComponents(chart, 'components', { apiServer: API_SERVER, ...props, components: PODS.map(c => c.component()) });
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
      // exactly one policy selects the pod, and it isolates it for ingress and egress
      const selecting = policies.filter(p => p.metadata.namespace === pod.metadata.namespace
        && Object.entries(p.spec.podSelector.matchLabels).every(([k, v]) => pod.metadata.labels[k] === v));
      expect({ pod: pod.metadata.name, selecting: selecting.length }).toEqual({ pod: pod.metadata.name, selecting: 1 });
      expect(selecting[0].spec.policyTypes).toEqual(['Ingress', 'Egress']);
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
      expect(policy.spec).toMatchObject({
        podSelector: { matchLabels: { 'job-name': job.metadata.labels['job-name'] } }, policyTypes: ['Ingress', 'Egress'], ingress: [],
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
    new PlatformComponents(chart, 'a', { apiServer: API_SERVER, components: [PlatformComponent.istiod()] });
    new PlatformComponents(chart, 'b', { apiServer: API_SERVER, components: [PlatformComponent.istiod(), PlatformComponent.falco()] });
    new PlatformComponents(chart, 'c', { networkPolicies: false, components: [PlatformComponent.ztunnel()] });
    expect(ofKind(synthValid(chart), 'NetworkPolicy').map(p => `${p.metadata.namespace}/${p.metadata.name}`).sort())
      .toEqual(['falco/platform-daemonset-falco', 'istio-system/platform-deployment-istiod']);
  });

  test('the policies go to the graph\'s network layer', () => {
    const app = Testing.app();
    const network = new Chart(app, 'network');
    const other = new Chart(app, 'other');
    new IntentGraph(other, 'graph', { layers: { network } });
    new PlatformComponents(other, 'components', { apiServer: API_SERVER, components: [PlatformComponent.istiod()] });
    expect(ofKind(Testing.synth(network), 'NetworkPolicy').map(p => p.metadata.name)).toEqual(['platform-deployment-istiod']);
    expect(ofKind(Testing.synth(other), 'NetworkPolicy')).toEqual([]);
  });

  test('a waypoint of the intent graph keeps its exact policy: declaring it with networkPolicies is an error naming the fix', () => {
    const chart = new Chart(Testing.app(), 'platform');
    const ns = new ZeroTrustNamespace(chart, 'insights', { name: 'insights', meshMode: MeshMode.AMBIENT });
    const caller = new MeshService(chart, 'a', { namespace: ns, image: 'ghcr.io/acme/a:1', port: 8080 });
    const callee = new MeshService(chart, 'b', { namespace: ns, image: 'ghcr.io/acme/b:1', port: 8080 });
    callee.allowFrom(caller, { methods: ['GET'], paths: ['/x'] });
    new PlatformComponents(chart, 'waypoints', { apiServer: API_SERVER, components: [PlatformComponent.waypoint({ name: 'waypoint', namespace: 'insights' })] });
    expect(() => Testing.synth(chart)).toThrow(/\[platform\/waypoints\] invalid component "insights\/waypoint": is a waypoint of the intent graph.*declare it in a PlatformComponents with networkPolicies: false/);
  });

  test('on Cilium the API server\'s kube-apiserver entity reaches the webhook ports through a CiliumNetworkPolicy beside the NetworkPolicy', () => {
    const { objs } = platformApp({ webhookCallers: [ClusterPeer.kubernetesApiServer({ cni: Cni.CILIUM })] });
    // the NetworkPolicy admits nobody on the webhook port (NetworkPolicy cannot match the entity)...
    const istiod = ofKind(objs, 'NetworkPolicy').find(p => p.metadata.name === 'platform-deployment-istiod');
    expect(istiod.spec.ingress.flatMap((r: any) => r.ports.map((p: any) => p.port))).not.toContain(15017);
    // ... the CiliumNetworkPolicy admits exactly the entity on exactly the webhook ports, for exactly the webhook pods
    const cnps = ofKind(objs, 'CiliumNetworkPolicy').filter(c => c.metadata.name.endsWith('-webhooks'));
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
    // egress isolation needs the API server; the error names both fixes
    expect(() => new PlatformComponents(chart(), 'p', {}))
      .toThrow(/\[test\/p\] invalid apiServer undefined: is needed to isolate the components' egress.*ClusterPeer\.kubernetesApiServer\(\{ cni: Cni\.CILIUM \}\).*or egress: false/);
    expect(() => new PlatformComponents(chart(), 'p', { apiServer: ClusterPeer.monitoring() })).toThrow(/\[test\/p\] invalid apiServer .*must be ClusterPeer\.kubernetesApiServer/);
    expect(() => new PlatformComponents(chart(), 'p', { apiServer: API_SERVER, dns: ClusterPeer.nodes({ cni: Cni.CILIUM }) })).toThrow(/invalid dns .*ClusterPeer\.pods/);
    expect(() => new PlatformComponents(chart(), 'p', { apiServer: API_SERVER, internet: ClusterPeer.monitoring() })).toThrow(/invalid internet .*ClusterPeer\.addresses/);
    expect(() => new PlatformComponents(chart(), 'p', { egress: 1 as any })).toThrow(/invalid egress 1/);
    // without egress isolation no API server is needed, and the policies isolate ingress only
    const open = chart();
    new PlatformComponents(open, 'p', { egress: false, components: [PlatformComponent.istiod()] });
    expect(ofKind(synthValid(open), 'NetworkPolicy').map(p => p.spec.policyTypes)).toEqual([['Ingress']]);
  });
});

describe('PlatformComponents: egress of the components\' own pods', () => {
  const DNS: Pod = { namespace: 'kube-system', name: 'coredns', labels: { 'k8s-app': 'kube-dns' }, serviceAccount: 'coredns' };
  const ISTIOD_POD = asPod(ISTIOD);
  const PUBLIC = '34.200.1.1';

  test('each workload reaches exactly what its description lists: the API server on its ports, DNS, istiod, the internet on 443', () => {
    const { objs } = platformApp();
    const cluster = new Cluster(objs);
    // who calls the API server (controllers, hooks), who resolves names, who reaches istiod, who reaches the internet
    const expected = new Map<any, { api: boolean; dns: boolean; istiod: boolean; internet: boolean }>([
      [ISTIOD, { api: true, dns: true, istiod: false, internet: true }],
      [istioCni(false), { api: true, dns: false, istiod: false, internet: false }],
      [ZTUNNEL, { api: false, dns: true, istiod: true, internet: false }],
      [INGRESS_GATEWAY, { api: false, dns: true, istiod: true, internet: false }],
      [WAYPOINT, { api: false, dns: true, istiod: true, internet: false }],
      [GATEKEEPER_CONTROLLER_MANAGER, { api: true, dns: false, istiod: false, internet: false }],
      [GATEKEEPER_AUDIT, { api: true, dns: false, istiod: false, internet: false }],
      [GATEKEEPER_UPGRADE_CRDS, { api: true, dns: false, istiod: false, internet: false }],
      [GATEKEEPER_LABEL_NAMESPACE, { api: true, dns: true, istiod: false, internet: false }],
      [KYVERNO_ADMISSION, { api: true, dns: false, istiod: false, internet: false }],
      [KYVERNO_BACKGROUND, { api: true, dns: false, istiod: false, internet: false }],
      [KYVERNO_CLEANUP, { api: true, dns: false, istiod: false, internet: false }],
      [KYVERNO_REPORTS, { api: true, dns: false, istiod: false, internet: false }],
      [VAULT_INJECTOR, { api: true, dns: false, istiod: false, internet: false }],
      [FALCO, { api: false, dns: true, istiod: false, internet: true }],
      [PROMETHEUS_OPERATOR, { api: true, dns: false, istiod: false, internet: false }],
      [PROMETHEUS_OPERATOR_ADMISSION_CREATE, { api: true, dns: false, istiod: false, internet: false }],
      [PROMETHEUS_OPERATOR_ADMISSION_PATCH, { api: true, dns: false, istiod: false, internet: false }],
    ]);
    expect(expected.size).toBe(PODS.flatMap(c => c.pods).length);
    for (const [chartPod, want] of expected) {
      const pod = asPod(chartPod);
      const got = {
        api: cluster.networkAllowsToIp(pod, '172.18.0.2', 6443),
        dns: cluster.networkAllows(pod, DNS, 53, 'UDP') && cluster.networkAllows(pod, DNS, 53, 'TCP'),
        istiod: cluster.networkAllows(pod, ISTIOD_POD, 15012),
        internet: cluster.networkAllowsToIp(pod, PUBLIC, 443),
      };
      expect({ pod: pod.name, ...got }).toEqual({ pod: pod.name, ...want });
      // never: another API server port, another address on the API server port, DNS on another port, the
      // internet on another port, private addresses, the cloud metadata endpoint, an application pod
      expect({
        pod: pod.name,
        apiOtherPort: cluster.networkAllowsToIp(pod, '172.18.0.2', 443),
        otherAddress: cluster.networkAllowsToIp(pod, '172.18.0.3', 6443),
        // (the ingress gateway reaches every pod on any port: its routes)
        dnsOtherPort: cluster.networkAllows(pod, DNS, 8080) && chartPod !== INGRESS_GATEWAY,
        internet80: cluster.networkAllowsToIp(pod, PUBLIC, 80),
        privateHttps: cluster.networkAllowsToIp(pod, '10.1.2.3', 443),
        metadata: cluster.networkAllowsToIp(pod, '169.254.169.254', 80),
      }).toEqual({
        pod: pod.name, apiOtherPort: false, otherAddress: false, dnsOtherPort: false, internet80: false, privateHttps: false, metadata: false,
      });
    }
  });

  test('gateways forward into the mesh (the ingress gateway on any port, waypoints on HBONE 15008 only); other components reach no application pod', () => {
    const cluster = new Cluster(platformApp().objs);
    expect(cluster.networkAllows(asPod(INGRESS_GATEWAY), APP, 8080)).toBe(true);
    expect(cluster.networkAllows(asPod(WAYPOINT), APP, 15008)).toBe(true);
    expect(cluster.networkAllows(asPod(WAYPOINT), APP, 8080)).toBe(false);
    for (const pod of [ISTIOD, ZTUNNEL, GATEKEEPER_CONTROLLER_MANAGER, KYVERNO_ADMISSION, VAULT_INJECTOR, FALCO, PROMETHEUS_OPERATOR]) {
      expect({ pod: pod.metadata.name, app: cluster.networkAllows(asPod(pod), APP, 8080) }).toEqual({ pod: pod.metadata.name, app: false });
    }
  });

  test('Gatekeeper\'s post-install hook probes the webhook: its egress and the controller manager\'s ingress admit exactly that call', () => {
    const cluster = new Cluster(platformApp({ webhookCallers: [ClusterPeer.kubernetesApiServer({ addresses: ['192.0.2.0/28'] })] }).objs);
    expect(cluster.networkAllows(asPod(GATEKEEPER_LABEL_NAMESPACE), asPod(GATEKEEPER_CONTROLLER_MANAGER), 8443)).toBe(true);
    expect(cluster.networkAllows(asPod(GATEKEEPER_LABEL_NAMESPACE), asPod(GATEKEEPER_CONTROLLER_MANAGER), 8888)).toBe(false);
    expect(cluster.networkAllows(asPod(GATEKEEPER_UPGRADE_CRDS), asPod(GATEKEEPER_CONTROLLER_MANAGER), 8443)).toBe(false);
    expect(cluster.networkAllows(asPod(GATEKEEPER_LABEL_NAMESPACE), asPod(GATEKEEPER_AUDIT), 8443)).toBe(false);
  });

  test('istiod is found where the app declares it; the internet and DNS can be narrowed; every egress entry names its reason and upstream source', () => {
    const chart = new Chart(Testing.app(), 'platform');
    new IntentGraph(chart, 'graph');
    new PlatformComponents(chart, 'components', {
      apiServer: API_SERVER,
      dns: ClusterPeer.pods({ namespace: 'dns', podLabels: { app: 'unbound' } }),
      internet: ClusterPeer.addresses({ name: 'egress-proxy', cidrs: ['203.0.113.10/32'] }),
      components: [PlatformComponent.istiod({ namespace: 'mesh' }), PlatformComponent.ztunnel({ namespace: 'mesh' }), PlatformComponent.falco()],
    });
    const objs = synthValid(chart);
    const cluster = new Cluster(objs);
    const ztunnel = { ...asPod(ZTUNNEL), namespace: 'mesh' };
    expect(cluster.networkAllows(ztunnel, { ...ISTIOD_POD, namespace: 'mesh' }, 15012)).toBe(true);
    expect(cluster.networkAllows(ztunnel, ISTIOD_POD, 15012)).toBe(false);
    expect(cluster.networkAllows(ztunnel, { namespace: 'dns', name: 'u', labels: { app: 'unbound' }, serviceAccount: 'u' }, 53, 'UDP')).toBe(true);
    expect(cluster.networkAllows(ztunnel, DNS, 53, 'UDP')).toBe(false);
    expect(cluster.networkAllowsToIp(asPod(FALCO), '203.0.113.10', 443)).toBe(true);
    expect(cluster.networkAllowsToIp(asPod(FALCO), PUBLIC, 443)).toBe(false);
    for (const c of [PlatformComponent.istiod(), PlatformComponent.gatekeeper(), PlatformComponent.kyverno(), PlatformComponent.falco(),
      PlatformComponent.vaultAgentInjector(), PlatformComponent.prometheusOperator(), PlatformComponent.istioCni(), PlatformComponent.ztunnel(),
      PlatformComponent.waypoint({ name: 'w', namespace: 'shop' })]) {
      for (const e of c.workloads.flatMap(w => w.egress ?? [])) {
        expect({ component: c.name, reason: e.reason }).toEqual({ component: c.name, reason: expect.stringMatching(/\(.*(templates|values|chart|reference|docs|\.yaml).*\)$/) });
      }
    }
  });

  test('on Cilium the controllers reach the API server\'s kube-apiserver entity through a CiliumNetworkPolicy on its ports only', () => {
    const { objs } = platformApp({ apiServer: ClusterPeer.kubernetesApiServer({ cni: Cni.CILIUM }) });
    const cnps = ofKind(objs, 'CiliumNetworkPolicy').filter(c => c.metadata.name.endsWith('-api-server'));
    const callers = PODS.flatMap(c => c.component().workloads).filter(w => (w.egress ?? []).some(e => e.to === 'api-server'));
    expect(cnps).toHaveLength(callers.length);
    const vault = cnps.find(c => c.metadata.name === 'platform-deployment-vault-agent-injector-api-server');
    expect(vault.spec.endpointSelector).toEqual({ matchLabels: { 'app.kubernetes.io/name': 'vault-agent-injector', 'app.kubernetes.io/instance': 'vault', 'component': 'webhook' } });
    expect(vault.spec.egress).toEqual([{ toEntities: ['kube-apiserver'], toPorts: [{ ports: [{ port: '443', protocol: 'TCP' }, { port: '6443', protocol: 'TCP' }] }] }]);
    expect(vault.spec.ingress).toBeUndefined();
    // and the NetworkPolicy itself opens no address for the API server
    const np = ofKind(objs, 'NetworkPolicy').find(p => p.metadata.name === 'platform-deployment-vault-agent-injector');
    expect(np.spec.egress ?? []).toEqual([]);
  });
});
