import { ApiObject, Chart, JsonPatch, Testing } from 'cdk8s';
import * as kplus33 from 'cdk8s-plus-33';
import { AdoptedWorkload, AppProtocol, EffectCheck, ExternalWorkload, IntentGraph, MeshService, WorkloadOrigin, ZeroTrustNamespace } from '../../src';
import { Cluster, Pod } from '../support/reachability';
import { find, synthValid } from '../support/synth';

/** A plain ApiObject workload (what any cdk8s app or a converted Helm template holds). */
interface PlainOptions {
  labels?: Record<string, string>;
  selector?: any;
  serviceAccountName?: string;
  ports?: any[];
  namespace?: string;
  podSpec?: any;
  podAnnotations?: Record<string, string>;
}
function plainWorkload(chart: Chart, id: string, kind: 'StatefulSet' | 'CronJob' | 'DaemonSet' | 'Deployment' | 'Job', options: PlainOptions = {}): ApiObject {
  const labels = options.labels ?? { 'app.kubernetes.io/name': id };
  const template = {
    metadata: { labels, ...(options.podAnnotations ? { annotations: options.podAnnotations } : {}) },
    spec: {
      ...(options.serviceAccountName !== undefined ? { serviceAccountName: options.serviceAccountName } : {}),
      containers: [{ name: id, image: `ghcr.io/acme/${id}:1.0.0`, ports: options.ports ?? [] }],
      ...options.podSpec,
    },
  };
  const selector = options.selector ?? { matchLabels: labels };
  const spec = kind === 'CronJob'
    ? { schedule: '0 * * * *', jobTemplate: { spec: { template: { ...template, spec: { ...template.spec, restartPolicy: 'Never' } } } } }
    : kind === 'Job' ? { template: { ...template, spec: { ...template.spec, restartPolicy: 'Never' } } }
      : { ...(kind === 'StatefulSet' ? { serviceName: id } : {}), selector, template };
  return new ApiObject(chart, id, {
    apiVersion: kind === 'CronJob' || kind === 'Job' ? 'batch/v1' : 'apps/v1',
    kind,
    metadata: { name: id, namespace: options.namespace ?? 'shop' },
    spec,
  });
}

/**
 * The done-when app: a cdk8s-plus-33 Deployment, plain ApiObject StatefulSet and CronJob, a
 * MeshService, and two workloads installed by Helm (an ingress gateway calling in, a search
 * service called out).
 */
function openWorldApp(options: { harden?: boolean } = {}) {
  const app = Testing.app();
  const chart = new Chart(app, 'c');
  const shop = new ZeroTrustNamespace(chart, 'shop');
  const webSa = new kplus33.ServiceAccount(chart, 'web-sa', { metadata: { name: 'web', namespace: 'shop' }, automountToken: false });
  const web = new kplus33.Deployment(chart, 'web', {
    metadata: { name: 'web', namespace: 'shop' },
    serviceAccount: webSa,
    automountServiceAccountToken: false,
    containers: [{ name: 'web', image: 'ghcr.io/acme/web:2.0.0', ports: [{ number: 8080, name: 'http-web' }], securityContext: { ensureNonRoot: true, user: 10001 } }],
  });
  const db = plainWorkload(chart, 'db', 'StatefulSet', { serviceAccountName: 'db', ports: [{ containerPort: 5432, name: 'tcp-pg', protocol: 'TCP' }] });
  const report = plainWorkload(chart, 'report', 'CronJob', { serviceAccountName: 'report' });
  const adoptedWeb = new AdoptedWorkload(chart, 'web-adopted', { workload: web, namespace: shop, harden: options.harden });
  const adoptedDb = new AdoptedWorkload(chart, 'db-adopted', { workload: db, namespace: shop });
  const adoptedReport = new AdoptedWorkload(chart, 'report-adopted', { workload: report, namespace: shop });
  const orders = new MeshService(chart, 'orders', { namespace: shop, image: 'ghcr.io/acme/orders:1.0.0', port: 8081 });
  const gateway = new ExternalWorkload(chart, 'ingress-gateway', {
    namespace: 'istio-ingress', podSelector: { istio: 'ingressgateway' }, serviceAccountName: 'istio-ingressgateway',
  });
  const search = new ExternalWorkload(chart, 'search', {
    namespace: 'search', podSelector: { 'app.kubernetes.io/name': 'opensearch' }, serviceAccountName: 'opensearch', ports: [{ port: 9200 }],
  });
  adoptedWeb.allowFrom(gateway, { methods: ['GET'] });
  adoptedWeb.allowFrom(adoptedReport, { paths: ['/report'] });
  adoptedDb.allowFrom(adoptedWeb);
  orders.allowFrom(adoptedWeb, { methods: ['POST'] });
  search.allowFrom(adoptedWeb, { methods: ['GET'] });
  return { app, chart, shop, web, db, report, adoptedWeb, adoptedDb, adoptedReport, orders, gateway, search };
}

const GATEWAY: Pod = { namespace: 'istio-ingress', name: 'istio-ingressgateway', labels: { istio: 'ingressgateway' }, serviceAccount: 'istio-ingressgateway' };
const SEARCH: Pod = { namespace: 'search', name: 'opensearch', labels: { 'app.kubernetes.io/name': 'opensearch' }, serviceAccount: 'opensearch' };

describe('AdoptedWorkload and ExternalWorkload: an open-world app', () => {
  test('cdk8s-plus-33 and plain ApiObject workloads and Helm-installed references join the graph, read from their manifests', () => {
    // GIVEN / WHEN
    const { app, adoptedWeb, adoptedDb, adoptedReport, gateway, search } = openWorldApp();
    // THEN
    expect(IntentGraph.of(app).workloads.map(w => `${w.zeroTrustNamespace.namespaceName}/${w.workloadName}:${w.workloadOrigin ?? 'library'}`)).toEqual([
      'istio-ingress/ingress-gateway:external', 'search/search:external', 'shop/db:adopted', 'shop/orders:library', 'shop/report:adopted', 'shop/web:adopted',
    ]);
    expect(adoptedWeb.podSelectorLabels).toEqual({ 'cdk8s.io/metadata.addr': expect.any(String) });
    expect(adoptedWeb.serviceAccountName).toBe('web');
    expect(adoptedWeb.workloadPorts).toEqual([{ port: 8080, protocol: AppProtocol.HTTP }]);
    expect(adoptedDb.podSelectorLabels).toEqual({ 'app.kubernetes.io/name': 'db' });
    expect(adoptedDb.workloadPorts).toEqual([{ port: 5432, protocol: AppProtocol.TCP }]);
    expect(adoptedReport.workloadPorts).toEqual([]);
    expect(adoptedWeb.spiffeId).toBe('spiffe://cluster.local/ns/shop/sa/web');
    expect(gateway.workloadOrigin).toBe(WorkloadOrigin.EXTERNAL);
    expect(search.spiffeId).toBe('spiffe://cluster.local/ns/search/sa/opensearch');
  });

  test('passes the reachability tests: declared calls through, everything else denied at each layer', () => {
    const { chart } = openWorldApp();
    const manifests = synthValid(chart);
    const cluster = new Cluster(manifests);
    const web = cluster.pod('shop', 'web');
    const db = cluster.pod('shop', 'db');
    const report = cluster.pod('shop', 'report');
    const orders = cluster.pod('shop', 'orders');
    // the Helm-installed gateway calls the cdk8s-plus-33 Deployment with GET only
    expect(cluster.request(GATEWAY, web, { port: 8080, method: 'GET', path: '/' }).allowed).toBe(true);
    expect(cluster.request(GATEWAY, web, { port: 8080, method: 'DELETE', path: '/' }).allowed).toBe(false);
    expect(cluster.request(GATEWAY, db, { port: 5432 }).allowed).toBe(false);
    // the CronJob calls the Deployment on /report only
    expect(cluster.request(report, web, { port: 8080, method: 'GET', path: '/report' }).allowed).toBe(true);
    expect(cluster.request(report, web, { port: 8080, method: 'GET', path: '/admin' }).allowed).toBe(false);
    // the Deployment reaches the StatefulSet (TCP), the MeshService (POST) and the Helm-installed search service (GET)
    expect(cluster.request(web, db, { port: 5432 }).allowed).toBe(true);
    expect(cluster.request(web, orders, { port: 8081, method: 'POST', path: '/' }).allowed).toBe(true);
    expect(cluster.request(web, SEARCH, { port: 9200, method: 'GET', path: '/_search' }).allowed).toBe(true);
    expect(cluster.request(web, SEARCH, { port: 9200, method: 'DELETE', path: '/index' }).allowed).toBe(false);
    // undeclared: the CronJob to the database, the database to anything, a stranger to the search service
    expect(cluster.request(report, db, { port: 5432 }).allowed).toBe(false);
    expect(cluster.networkAllows(db, web, 8080)).toBe(false);
    expect(cluster.request({ ...SEARCH, name: 'x', labels: { app: 'x' }, serviceAccount: 'x' }, SEARCH, { port: 9200, method: 'GET', path: '/' }).allowed).toBe(false);
    // and the synth-time effect check agrees
    expect(EffectCheck.of(chart).differences()).toEqual([]);
  });

  test('renders the adopted workloads\' policies from their manifests and the external callee\'s in its own namespace', () => {
    const { chart } = openWorldApp();
    const manifests = synthValid(chart);
    const webLabels = find(manifests, 'Deployment', 'web', 'shop').spec.selector.matchLabels;
    expect(find(manifests, 'NetworkPolicy', 'web-ingress', 'shop').spec.podSelector).toEqual({ matchLabels: webLabels });
    expect(find(manifests, 'AuthorizationPolicy', 'web', 'shop').spec).toEqual({
      selector: { matchLabels: webLabels },
      action: 'ALLOW',
      rules: [
        { from: [{ source: { principals: ['cluster.local/ns/istio-ingress/sa/istio-ingressgateway'] } }], to: [{ operation: { ports: ['8080'], methods: ['GET'] } }] },
        { from: [{ source: { principals: ['cluster.local/ns/shop/sa/report'] } }], to: [{ operation: { ports: ['8080'], paths: ['/report'] } }] },
      ],
    });
    expect(find(manifests, 'NetworkPolicy', 'report-egress', 'shop').spec.podSelector).toEqual({ matchLabels: { 'app.kubernetes.io/name': 'report' } });
    // the external callee: ingress, authorization and STRICT mTLS for its pods, in its namespace
    expect(find(manifests, 'NetworkPolicy', 'search-ingress', 'search').spec.ingress).toEqual([{
      from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'shop' } }, podSelector: { matchLabels: webLabels } }],
      ports: [{ protocol: 'TCP', port: 9200 }],
    }]);
    expect(find(manifests, 'PeerAuthentication', 'search-strict', 'search').spec).toEqual({
      selector: { matchLabels: { 'app.kubernetes.io/name': 'opensearch' } }, mtls: { mode: 'STRICT' },
    });
    // the external caller's egress is not the app's: no policy in its namespace
    expect(manifests.filter(m => m.metadata?.namespace === 'istio-ingress')).toEqual([]);
  });

  test('adoption rewrites nothing unless hardening is asked for', () => {
    const plain = openWorldApp();
    const manifests = synthValid(plain.chart);
    const web = find(manifests, 'Deployment', 'web', 'shop');
    expect(web.spec.template.spec.containers[0].securityContext).toEqual(expect.objectContaining({ runAsNonRoot: true, runAsUser: 10001 }));
    expect(web.spec.template.spec.containers[0].securityContext.capabilities).toBeUndefined();
    expect(find(manifests, 'StatefulSet', 'db', 'shop').spec.template.spec.securityContext).toBeUndefined();
  });

  test('harden: true fills in what the pod template leaves out', () => {
    const { chart } = openWorldApp({ harden: true });
    const spec = find(synthValid(chart), 'Deployment', 'web', 'shop').spec.template.spec;
    expect(spec.automountServiceAccountToken).toBe(false);
    expect(spec.securityContext).toEqual(expect.objectContaining({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } }));
    expect(spec.containers[0].securityContext).toEqual(expect.objectContaining({
      allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, privileged: false, capabilities: { drop: ['ALL'] }, runAsNonRoot: true, runAsUser: 10001,
    }));
  });

  test('harden fails on a privilege the template declares, instead of overriding it', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'c');
    const shop = new ZeroTrustNamespace(chart, 'shop');
    const agent = plainWorkload(chart, 'agent', 'DaemonSet', { serviceAccountName: 'agent', podSpec: {} });
    agent.addJsonPatch(JsonPatch.add('/spec/template/spec/containers/0/securityContext', { privileged: true }));
    new AdoptedWorkload(chart, 'agent-adopted', { workload: agent, namespace: shop, harden: true });
    expect(() => Testing.synth(chart)).toThrow(/invalid harden true: container agent sets privileged to true explicitly; the library does not override a declared privilege/);
  });

  test('reads the manifest at synthesis: a ServiceAccount and labels changed after adoption are what the policies use', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'c');
    const shop = new ZeroTrustNamespace(chart, 'shop');
    const api = plainWorkload(chart, 'api', 'Deployment', { serviceAccountName: 'api', ports: [{ containerPort: 8080, name: 'http' }] });
    const worker = plainWorkload(chart, 'worker', 'Job', { serviceAccountName: 'worker' });
    const adoptedApi = new AdoptedWorkload(chart, 'api-adopted', { workload: api, namespace: shop });
    adoptedApi.allowFrom(new AdoptedWorkload(chart, 'worker-adopted', { workload: worker, namespace: shop }));
    worker.addJsonPatch(JsonPatch.replace('/spec/template/spec/serviceAccountName', 'worker-v2'));
    api.addJsonPatch(JsonPatch.add('/spec/template/metadata/labels/tier', 'api'), JsonPatch.add('/spec/selector/matchLabels/tier', 'api'));
    const manifests = synthValid(chart);
    expect(find(manifests, 'AuthorizationPolicy', 'api').spec.rules[0].from).toEqual([{ source: { principals: ['cluster.local/ns/shop/sa/worker-v2'] } }]);
    expect(find(manifests, 'NetworkPolicy', 'api-ingress').spec.podSelector).toEqual({ matchLabels: { 'app.kubernetes.io/name': 'api', 'tier': 'api' } });
    const cluster = new Cluster(manifests);
    expect(cluster.request(cluster.pod('shop', 'worker'), cluster.pod('shop', 'api'), { port: 8080, method: 'GET', path: '/' }).allowed).toBe(true);
    expect(EffectCheck.of(chart).differences()).toEqual([]);
  });
});

describe('AdoptedWorkload: hostile and broken input', () => {
  function shop() {
    const app = Testing.app();
    const chart = new Chart(app, 'c');
    return { app, chart, shop: new ZeroTrustNamespace(chart, 'shop') };
  }

  test.each([
    ['a pod template without labels', { labels: {}, selector: { matchLabels: {} }, serviceAccountName: 'a' },
      /\[c\/a-adopted\] invalid workload.podTemplate.labels \{\}: must label the pods/],
    ['a selector with matchExpressions', { selector: { matchLabels: { 'app.kubernetes.io/name': 'a' }, matchExpressions: [{ key: 'x', operator: 'Exists' }] }, serviceAccountName: 'a' },
      /invalid workload.spec.selector.matchExpressions .*cannot be adopted: policies select the workload's pods by matchLabels/],
    ['a selector the template does not match', { selector: { matchLabels: { app: 'other' } }, serviceAccountName: 'a' },
      /invalid workload.spec.selector \{"app":"other"\}: does not match the pod template's labels/],
    ['the default ServiceAccount', {}, /invalid workload.serviceAccountName "default": is the namespace's default ServiceAccount.*set allowDefaultServiceAccount: true/],
    ['host networking', { serviceAccountName: 'a', podSpec: { hostNetwork: true } }, /invalid workload.podTemplate.hostNetwork true: puts the pods on the node's network/],
    ['a sidecar opt-out', { serviceAccountName: 'a', podAnnotations: { 'sidecar.istio.io/inject': 'false' } }, /take the pods out of the mesh/],
  ])('throws on %s, naming the construct, prop, value and fix', (_name, options, error) => {
    const { chart, shop: ns } = shop();
    const workload = plainWorkload(chart, 'a', 'Deployment', options as any);
    const adopted = new AdoptedWorkload(chart, 'a-adopted', { workload, namespace: ns });
    expect(() => adopted.podSelectorLabels && adopted.serviceAccountName).toThrow(error);
    expect(() => Testing.synth(chart)).toThrow(error);
  });

  test('throws when the workload is not a workload object, not in the namespace, or badly named', () => {
    const { chart, shop: ns } = shop();
    const service = new ApiObject(chart, 'svc', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'svc', namespace: 'shop' } });
    expect(() => new AdoptedWorkload(chart, 'x1', { workload: service, namespace: ns })).toThrow(/\[c\/x1\] invalid workload "Service c\/svc": must be a workload object of kind Deployment, StatefulSet, DaemonSet, Job, CronJob/);
    expect(() => new AdoptedWorkload(chart, 'x2', { workload: {} as any, namespace: ns })).toThrow(/invalid workload \{\}: must be an IConstruct, got object/);
    const elsewhere = plainWorkload(chart, 'b', 'Deployment', { namespace: 'other', serviceAccountName: 'b' });
    expect(() => new AdoptedWorkload(chart, 'x3', { workload: elsewhere, namespace: ns })).toThrow(/invalid workload.metadata.namespace "other": must be the zero-trust namespace shop; create the workload with metadata: \{ namespace: 'shop' \}/);
    const named = plainWorkload(chart, 'c', 'Deployment', { serviceAccountName: 'c' });
    expect(() => new AdoptedWorkload(chart, 'x4', { workload: named, namespace: ns, name: 'Bad_Name' })).toThrow(/invalid name "Bad_Name": must be a DNS-1123 label/);
    expect(() => new AdoptedWorkload(chart, 'x5', { workload: named, namespace: ns, ports: [{ port: 70000 }] })).toThrow(/invalid ports 70000: must be an integer between 1 and 65535/);
  });

  test('fails at synthesis when a selector also selects another workload\'s pods, or two workloads share a ServiceAccount', () => {
    const { chart, shop: ns } = shop();
    const a = plainWorkload(chart, 'a', 'Deployment', { labels: { app: 'shared', part: 'a' }, selector: { matchLabels: { app: 'shared' } }, serviceAccountName: 'same' });
    plainWorkload(chart, 'b', 'Deployment', { labels: { app: 'shared', part: 'b' }, selector: { matchLabels: { app: 'shared', part: 'b' } }, serviceAccountName: 'b' });
    const c = plainWorkload(chart, 'c', 'Deployment', { serviceAccountName: 'same' });
    new AdoptedWorkload(chart, 'a-adopted', { workload: a, namespace: ns });
    new AdoptedWorkload(chart, 'c-adopted', { workload: c, namespace: ns });
    expect(() => Testing.synth(chart)).toThrow(/invalid workload selector \{"app":"shared"\}: it also selects the pods of Deployment b/);
    expect(() => Testing.synth(chart)).toThrow(/invalid workload.serviceAccountName "same": c\/c-adopted runs as this ServiceAccount too/);
    expect(() => Testing.synth(chart)).toThrow(/invalid workload.serviceAccountName "same": c\/a-adopted runs as this ServiceAccount too/);
  });

  test('fails at synthesis when a declared port is not a container port', () => {
    const { chart, shop: ns } = shop();
    const a = plainWorkload(chart, 'a', 'Deployment', { serviceAccountName: 'a', ports: [{ containerPort: 8080 }] });
    new AdoptedWorkload(chart, 'a-adopted', { workload: a, namespace: ns, ports: [{ port: 9090 }] });
    expect(() => Testing.synth(chart)).toThrow(/invalid ports 9090: c\/a declares no container port 9090/);
  });
});

describe('ExternalWorkload: hostile input', () => {
  test.each([
    [{ namespace: 'Bad', podSelector: { a: 'b' }, serviceAccountName: 'sa' }, /invalid namespace "Bad": must be a DNS-1123 label/],
    [{ namespace: 'ns', podSelector: {}, serviceAccountName: 'sa' }, /invalid podSelector \{\}: must hold at least one label/],
    [{ namespace: 'ns', podSelector: { 'a b': 'c' }, serviceAccountName: 'sa' }, /invalid podSelector key "a b": is not a Kubernetes label key/],
    [{ namespace: 'ns', podSelector: { a: 'b' }, serviceAccountName: 'default' }, /invalid serviceAccountName "default": is the namespace's default ServiceAccount/],
    [{ namespace: 'ns', podSelector: { a: 'b' }, serviceAccountName: 'system:admin' }, /invalid serviceAccountName "system:admin": must be a DNS-1123 label/],
    [{ namespace: 'ns', podSelector: { a: 'b' }, serviceAccountName: 'sa', ports: [{ port: 0 }] }, /invalid ports 0/],
  ])('throws on %j', (props, error) => {
    const chart = new Chart(Testing.app(), 'c');
    expect(() => new ExternalWorkload(chart, 'ext', props as any)).toThrow(error);
  });
});
