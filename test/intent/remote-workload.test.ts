import { Chart, Testing } from 'cdk8s';
import { IConstruct } from 'constructs';
import { AppProtocol, CiliumWorkloadPolicy, HttpEnforcement, IntentGraph, MeshMode, MeshService, RemoteWorkload, ZeroTrustNamespace } from '../../src';
import { onRemoteCall, remoteCallsOf } from '../../src/intent/remote-workload';
import { Cluster, Pod } from '../support/reachability';
import { find, synthValid } from '../support/synth';

// a failing comparison of constructs (or of objects holding them) makes jest print whole construct
// trees, which takes minutes: compare construct paths, keys or identities instead
const paths = (xs: readonly IConstruct[]) => xs.map(x => x.node.path);
const keys = (xs: readonly { key: string }[]) => xs.map(x => x.key);

function setup(meshMode = MeshMode.SIDECAR) {
  const app = Testing.app();
  new IntentGraph(app, 'IntentGraph', { trustDomain: 'a.example.org' });
  const chart = new Chart(app, 'c');
  const shop = new ZeroTrustNamespace(chart, 'shop', { meshMode });
  const orders = new MeshService(chart, 'orders', { namespace: shop, image: 'ghcr.io/acme/orders:1', port: 8080 });
  const db = new MeshService(chart, 'db', { namespace: shop, image: 'ghcr.io/acme/db:1', ports: [{ port: 5432, protocol: AppProtocol.TCP }] });
  return { app, chart, orders, db };
}
const GATEWAY_PATH = { gatewayNamespace: 'istio-system', gatewayPodLabels: { istio: 'eastwestgateway' } };
const GATEWAY: Pod = { namespace: 'istio-system', name: 'eastwest', labels: { istio: 'eastwestgateway' }, serviceAccount: 'istio-eastwestgateway' };

describe('RemoteWorkload', () => {
  test('a remote caller through a gateway: the callee admits its principal, and the gateway pods on the port (HBONE too in ambient)', () => {
    const { chart, orders } = setup(MeshMode.AMBIENT);
    const billing = new RemoteWorkload(chart, 'billing', { spiffeId: 'spiffe://b.example.org/ns/billing/sa/billing', path: GATEWAY_PATH });
    const call = billing.mayCall(orders);
    expect(billing.mayCall(orders) === call).toBe(true);
    expect(call.key).toBe('spiffe://b.example.org/ns/billing/sa/billing -> shop/orders:8080');
    expect(billing.principal).toBe('b.example.org/ns/billing/sa/billing');
    const manifests = synthValid(chart);
    expect(find(manifests, 'NetworkPolicy', 'orders-ingress').spec.ingress).toEqual([{
      from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'istio-system' } }, podSelector: { matchLabels: { istio: 'eastwestgateway' } } }],
      ports: [{ protocol: 'TCP', port: 8080 }, { protocol: 'TCP', port: 15008 }],
    }]);
    expect(find(manifests, 'AuthorizationPolicy', 'orders').spec.rules).toEqual([
      { from: [{ source: { principals: ['b.example.org/ns/billing/sa/billing'] } }], to: [{ operation: { ports: ['8080'] } }] },
    ]);
    const cluster = new Cluster(manifests, 'a.example.org');
    const pod = cluster.pod('shop', 'orders');
    const remote: Pod = { namespace: 'billing', name: 'billing', labels: {}, serviceAccount: 'billing', trustDomain: 'b.example.org' };
    expect(cluster.meshAllows(remote, pod, { port: 8080 })).toBe(true);
    expect(cluster.meshAllows({ ...remote, serviceAccount: 'other' }, pod, { port: 8080 })).toBe(false);
    expect(cluster.networkPolicies.admits('Ingress', pod, GATEWAY, 8080, 'TCP').allowed).toBe(true);
    expect(cluster.networkPolicies.admits('Ingress', pod, { ...GATEWAY, labels: { istio: 'ingressgateway' } }, 8080, 'TCP').allowed).toBe(false);
  });

  test('a remote caller from declared addresses (flat network): the callee admits exactly those addresses', () => {
    const { chart, db } = setup();
    new RemoteWorkload(chart, 'etl', { spiffeId: 'spiffe://b.example.org/ns/etl/sa/etl', path: { sourceCidrs: ['10.20.0.0/16'] } }).mayCall(db);
    const manifests = synthValid(chart);
    const cluster = new Cluster(manifests, 'a.example.org');
    expect(cluster.networkAllowsFromIp('10.20.3.4', cluster.pod('shop', 'db'), 5432)).toBe(true);
    expect(cluster.networkAllowsFromIp('10.21.3.4', cluster.pod('shop', 'db'), 5432)).toBe(false);
  });

  test('a local caller of a remote workload: egress to the remote gateway address on its port only, methods and paths kept for the remote side', () => {
    const { app, chart, orders } = setup();
    const ledger = new RemoteWorkload(chart, 'ledger', {
      spiffeId: 'spiffe://b.example.org/ns/ledger/sa/ledger', ports: [{ port: 8443 }], path: { remoteCidrs: ['198.51.100.20/32'], remotePort: 15443 },
    });
    const call = ledger.allowFrom(orders, { methods: ['POST'], paths: ['/entries'] });
    expect([call.methods, call.paths, call.inbound]).toEqual([['POST'], ['/entries'], false]);
    expect(keys(RemoteWorkload.callsOf(app))).toEqual([call.key]);
    const manifests = synthValid(chart);
    const cluster = new Cluster(manifests, 'a.example.org');
    const pod = cluster.pod('shop', 'orders');
    expect(cluster.networkAllowsToIp(pod, '198.51.100.20', 15443)).toBe(true);
    expect(cluster.networkAllowsToIp(pod, '198.51.100.20', 8443)).toBe(false);
    expect(cluster.networkAllowsToIp(pod, '198.51.100.21', 15443)).toBe(false);
  });

  describe('bad input', () => {
    test.each([
      ['spiffe://b.example.org/billing', /invalid spiffeId "spiffe:\/\/b.example.org\/billing": must be an Istio workload SPIFFE ID/],
      ['spiffe://B.example.org/ns/billing/sa/billing', /invalid spiffeId "B.example.org": must be a SPIFFE trust domain/],
      ['spiffe://b.example.org/ns/Billing/sa/billing', /invalid spiffeId \(namespace\) "Billing": must be a DNS-1123 label/],
      ['spiffe://a.example.org/ns/billing/sa/billing', /is in this cluster's trust domain a.example.org/],
      ['https://b.example.org/ns/billing/sa/billing', /must be an Istio workload SPIFFE ID/],
    ])('throws on the SPIFFE ID %s', (spiffeId, message) => {
      const { chart } = setup();
      expect(() => new RemoteWorkload(chart, 'r', { spiffeId, path: GATEWAY_PATH })).toThrow(message);
    });
    test.each([
      [{ remoteCidrs: ['0.0.0.0/0'] }, /invalid path.remoteCidrs\[0\] "0.0.0.0\/0": must be an IPv4 or IPv6 CIDR with no host bits set of IPv4 \/8 to \/32 or IPv6 \/16 to \/128/],
      [{ remoteCidrs: ['198.51.100.20'] }, /invalid path.remoteCidrs\[0\] "198.51.100.20"/],
      [{ gatewayNamespace: 'istio-system' }, /invalid path.gatewayPodLabels undefined: must select the gateway's pods/],
      [{ ...GATEWAY_PATH, sourceCidrs: ['10.0.0.0/8'] }, /invalid path.sourceCidrs .*: cannot be combined with a gateway/],
      [{ remotePort: 0, remoteCidrs: ['198.51.100.20/32'] }, /invalid path.remotePort 0: must be an integer between 1 and 65535/],
    ])('throws on the bad path %#', (path, message) => {
      const { chart } = setup();
      expect(() => new RemoteWorkload(chart, 'r', { spiffeId: 'spiffe://b.example.org/ns/r/sa/r', ports: [{ port: 80 }], path })).toThrow(new RegExp(`^\\[c/r\\] ${message.source}`));
    });
    test('fails at synthesis when Cilium, which sees no principal, enforces the callee\'s HTTP rules', () => {
      const { chart, orders } = setup();
      new RemoteWorkload(chart, 'billing', { spiffeId: 'spiffe://b.example.org/ns/billing/sa/billing', path: GATEWAY_PATH }).mayCall(orders);
      new CiliumWorkloadPolicy(chart, 'orders-cilium', { workload: orders, httpEnforcement: HttpEnforcement.CILIUM });
      expect(() => Testing.synth(chart)).toThrow(/invalid remote caller "spiffe:\/\/b.example.org\/ns\/billing\/sa\/billing": .* Cilium enforces L7 for it/);
    });
    test('throws on calls the path or ports cannot carry', () => {
      const { chart, orders, db } = setup();
      const inOnly = new RemoteWorkload(chart, 'in', { spiffeId: 'spiffe://b.example.org/ns/in/sa/in', path: GATEWAY_PATH });
      expect(() => inOnly.allowFrom(orders)).toThrow(/^\[c\/in\] invalid path.remoteCidrs \[\]: must name where this cluster reaches the remote workload/);
      const outOnly = new RemoteWorkload(chart, 'out', { spiffeId: 'spiffe://b.example.org/ns/out/sa/out', ports: [{ port: 80 }], path: { remoteCidrs: ['198.51.100.20/32'] } });
      expect(() => outOnly.mayCall(orders)).toThrow(/^\[c\/out\] invalid path .*says neither which gateway/);
      expect(() => inOnly.mayCall(orders, { ports: [9090] })).toThrow(/invalid ports 9090: shop\/orders listens on 8080 only/);
      expect(() => inOnly.mayCall(db, { methods: ['GET'] })).toThrow(/port 5432 of shop\/db is plain TCP/);
      expect(() => inOnly.mayCall(orders, { methods: ['get'] })).toThrow(/invalid methods "get": must be one of/);
      expect(() => inOnly.mayCall(orders, { requireHeaders: { 'x-tenant': 'a' } })).toThrow(/are not supported on calls across clusters/);
      expect(() => new RemoteWorkload(chart, 'in2', { spiffeId: 'spiffe://b.example.org/ns/in/sa/in', path: GATEWAY_PATH })).toThrow(/c\/in already declares this remote workload/);
    });
  });
});

describe('RemoteWorkload: keys, lists and every refusal with its prop, value and fix', () => {
  const remote = (chart: Chart, id: string, props: Partial<ConstructorParameters<typeof RemoteWorkload>[2]> = {}) =>
    new RemoteWorkload(chart, id, { spiffeId: `spiffe://b.example.org/ns/${id}/sa/${id}`, ports: [{ port: 8443 }, { port: 9000 }], path: { remoteCidrs: ['198.51.100.20/32'], ...GATEWAY_PATH }, ...props });

  test('identity parts, ports (HTTP unless said) and the resolved path', () => {
    const { chart } = setup();
    const r = new RemoteWorkload(chart, 'r', {
      spiffeId: 'spiffe://b.example.org/ns/ledger/sa/ledger-sa',
      ports: [{ port: 8443 }, { port: 5432, protocol: AppProtocol.TCP }],
      path: { remoteCidrs: ['198.51.100.20/32'], remotePort: 15443, ...GATEWAY_PATH },
    });
    expect([r.trustDomain, r.remoteNamespace, r.serviceAccountName, r.principal]).toEqual(['b.example.org', 'ledger', 'ledger-sa', 'b.example.org/ns/ledger/sa/ledger-sa']);
    expect(r.workloadPorts).toEqual([{ port: 8443, protocol: AppProtocol.HTTP }, { port: 5432, protocol: AppProtocol.TCP }]);
    expect(r._path).toEqual({ remoteCidrs: ['198.51.100.20/32'], remotePort: 15443, gateway: { namespace: 'istio-system', podLabels: { istio: 'eastwestgateway' } }, sourceCidrs: [] });
    const flat = new RemoteWorkload(chart, 'flat', { spiffeId: 'spiffe://b.example.org/ns/f/sa/f', path: { sourceCidrs: ['10.0.0.0/8'] } });
    expect(flat._path).toEqual({ remoteCidrs: [], remotePort: undefined, gateway: undefined, sourceCidrs: ['10.0.0.0/8'] });
    expect(flat.workloadPorts).toEqual([]);
  });

  test('call keys name the direction, ports, methods and paths; lists are sorted and filtered', () => {
    const { app, chart, orders, db } = setup();
    const z = remote(chart, 'z');
    const a = remote(chart, 'a');
    const out = z.allowFrom(orders, { methods: ['POST', 'GET', 'GET'] });
    expect(out.key).toBe('shop/orders -> spiffe://b.example.org/ns/z/sa/z:8443,9000 GET,POST *');
    expect(out.methods).toEqual(['GET', 'POST']);
    const pathsCall = a.allowFrom(orders, { ports: [9000], paths: ['/b', '/a'] });
    expect(pathsCall.key).toBe('shop/orders -> spiffe://b.example.org/ns/a/sa/a:9000 * /a,/b');
    const both = a.mayCall(orders, { methods: ['GET'], paths: ['/x'] });
    expect(both.key).toBe('spiffe://b.example.org/ns/a/sa/a -> shop/orders:8080 GET /x');
    const l4 = z.mayCall(db);
    expect(l4.key).toBe('spiffe://b.example.org/ns/z/sa/z -> shop/db:5432');
    expect([l4.remote === z, l4.local === db, l4.inbound, l4.ports, l4.methods, l4.paths]).toEqual([true, true, true, [5432], [], []]);
    expect(paths(RemoteWorkload.of(chart))).toEqual(['c/a', 'c/z']);
    expect(RemoteWorkload.callsOf(app).map(c => c.key)).toEqual([pathsCall.key, out.key, both.key, l4.key]);
    const graph = IntentGraph.of(chart);
    expect(keys(remoteCallsOf(graph, orders, false))).toEqual([pathsCall.key, out.key]);
    expect(keys(remoteCallsOf(graph, orders, true))).toEqual([both.key]);
    expect(keys(remoteCallsOf(graph, db, false))).toStrictEqual([]);
    expect(keys(remoteCallsOf(IntentGraph.of(Testing.chart()), orders, true))).toStrictEqual([]);
  });

  test.each([
    ['callsOf', () => RemoteWorkload.callsOf(undefined as never)],
    ['of', () => RemoteWorkload.of(undefined as never)],
  ])('%s names itself when given no construct', (method, use) => {
    expect(use).toThrow(new RegExp(`^\\[RemoteWorkload\\.${method}\\] invalid scope undefined`));
  });

  test.each<[string, object, string]>([
    ['no path', { path: undefined }, 'invalid path undefined: must be a RemotePathOptions object'],
    ['a service account that is no label', { spiffeId: 'spiffe://b.example.org/ns/r/sa/R' }, 'invalid spiffeId (serviceAccount) "R": must be a DNS-1123 label'],
    ['a SPIFFE ID with more segments', { spiffeId: 'spiffe://b.example.org/ns/r/sa/r/x' }, 'invalid spiffeId "spiffe://b.example.org/ns/r/sa/r/x": must be an Istio workload SPIFFE ID: '
      + 'spiffe://<trust domain>/ns/<namespace>/sa/<serviceAccount>; for example \'spiffe://cluster-b.example.org/ns/ledger/sa/ledger\''],
    ['the local trust domain', { spiffeId: 'spiffe://a.example.org/ns/r/sa/r' }, 'invalid spiffeId "spiffe://a.example.org/ns/r/sa/r": is in this cluster\'s trust domain a.example.org; '
      + 'declare workloads of this trust domain as MeshServices; a RemoteWorkload belongs to another trust domain'],
    ['a bad port', { ports: [{ port: 70000 }] }, 'invalid ports 70000: must be an integer between 1 and 65535'],
    ['a gateway without labels', { path: { gatewayNamespace: 'gw', gatewayPodLabels: {} } }, 'invalid path.gatewayPodLabels {}: must select the gateway\'s pods with at least one label; '
      + 'for example { istio: \'eastwestgateway\' }'],
    ['labels without a gateway namespace', { path: { gatewayPodLabels: { istio: 'x' } } }, 'invalid path.gatewayNamespace undefined: must be a DNS-1123 label'],
    ['a bad label key', { path: { gatewayNamespace: 'gw', gatewayPodLabels: { 'a b': 'x' } } }, 'invalid path.gatewayPodLabels {"a b":"x"}: must be Kubernetes label keys and values'],
    ['a bad label value', { path: { gatewayNamespace: 'gw', gatewayPodLabels: { app: 'x y' } } }, 'invalid path.gatewayPodLabels {"app":"x y"}: must be Kubernetes label keys and values'],
    ['a gateway and addresses', { path: { ...GATEWAY_PATH, sourceCidrs: ['10.0.0.0/8'] } }, 'invalid path.sourceCidrs ["10.0.0.0/8"]: cannot be combined with a gateway: '
      + 'calls arrive either through the gateway or from these addresses; keep the gateway (its pods are the only source the callee admits) or the addresses'],
    ['a bad source CIDR', { path: { sourceCidrs: ['10.0.0.1/8'] } }, 'invalid path.sourceCidrs[0] "10.0.0.1/8": must be an IPv4 or IPv6 CIDR'],
  ])('refuses %s', (_, props, message) => {
    const { chart } = setup();
    expect(() => remote(chart, 'r', props)).toThrow(`[c/r] ${message}`);
  });

  test.each([
    ['example.com/role', 'a-b_c.d', true],
    ['app', '', true],
    ['-app', 'x', false],
    ['app', '-x', false],
    ['Example.com/role', 'x', false],
    ['a/b/c', 'x', false],
    ['x'.repeat(64), 'x', false],
    ['app', 'x'.repeat(64), false],
    ['app', 'x'.repeat(63), true],
  ])('gateway pod label %s=%s is accepted: %s', (key, value, ok) => {
    const { chart } = setup();
    const make = () => remote(chart, 'r', { path: { gatewayNamespace: 'gw', gatewayPodLabels: { [key]: value } } });
    if (ok) expect(make()._path.gateway?.podLabels).toEqual({ [key]: value });
    else expect(make).toThrow(/invalid path.gatewayPodLabels .*: must be Kubernetes label keys and values/);
  });

  test('calls are refused with the prop, value and fix', () => {
    const { chart, orders, db } = setup();
    const r = remote(chart, 'r');
    const stranger = setup().orders;
    expect(() => r.mayCall(stranger)).toThrow('[c/r] invalid callee "c/orders": must be a workload of this app\'s intent graph (a MeshService in a ZeroTrustNamespace)');
    expect(() => r.allowFrom(stranger)).toThrow('[c/r] invalid caller "c/orders": must be a workload');
    expect(() => r.mayCall(orders, { requireClaims: { g: ['a'] } })).toThrow('[c/r] invalid requireClaims/requireHeaders {"requireClaims":{"g":["a"]}}: '
      + 'are not supported on calls across clusters; restrict the call by ports, methods and paths');
    expect(() => r.mayCall(orders, { ports: [] })).toThrow('[c/r] invalid ports []: must name at least one port of shop/orders (8080)');
    expect(() => r.allowFrom(orders, { ports: [80] })).toThrow('[c/r] invalid ports 80: spiffe://b.example.org/ns/r/sa/r listens on 8443, 9000 only');
    expect(() => r.allowFrom(orders, { ports: [0] })).toThrow('[c/r] invalid ports 0: must be an integer between 1 and 65535');
    expect(() => r.mayCall(orders, { methods: [] })).toThrow('[c/r] invalid methods []: must not be empty; leave methods out to allow any method');
    expect(() => r.mayCall(orders, { methods: ['GET', 'FETCH'] })).toThrow('[c/r] invalid methods "FETCH": must be one of CONNECT, DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT, TRACE (upper case)');
    expect(() => r.mayCall(orders, { paths: [] })).toThrow('[c/r] invalid paths []: must not be empty; leave paths out to allow any path');
    expect(() => r.mayCall(orders, { paths: ['no-slash'] })).toThrow(/^\[c\/r\] invalid paths "no-slash"/);
    expect(() => r.mayCall(db, { paths: ['/x'] })).toThrow('[c/r] invalid methods/paths {"methods":[],"paths":["/x"]}: port 5432 of shop/db is plain TCP, where no HTTP method or path can be seen; '
      + 'restrict the call to the HTTP ports with `ports`, or drop methods and paths');
    const listensNowhere = new RemoteWorkload(chart, 'n', { spiffeId: 'spiffe://b.example.org/ns/n/sa/n', path: { remoteCidrs: ['198.51.100.20/32'] } });
    expect(() => listensNowhere.allowFrom(orders)).toThrow('[c/n] invalid ports []: must list the ports the remote workload listens on before local workloads may call it');
    expect(() => listensNowhere.mayCall(orders)).toThrow('[c/n] invalid path {"remoteCidrs":["198.51.100.20/32"],"sourceCidrs":[]}: says neither which gateway of this cluster the remote calls arrive through '
      + 'nor where they come from; set path.gatewayNamespace and path.gatewayPodLabels, or path.sourceCidrs');
    const inOnly = remote(chart, 'in', { path: GATEWAY_PATH });
    expect(() => inOnly.allowFrom(orders)).toThrow('[c/in] invalid path.remoteCidrs []: must name where this cluster reaches the remote workload before local workloads may call it; '
      + 'set path.remoteCidrs to the remote east-west gateway\'s (or the workload\'s) addresses');
    expect(() => remote(chart, 'dup', { spiffeId: 'spiffe://b.example.org/ns/r/sa/r' })).toThrow('[c/dup] invalid spiffeId "spiffe://b.example.org/ns/r/sa/r": c/r already declares this remote workload; declare each remote workload once');
    // an L7 restriction on the HTTP port of a workload that also has a TCP port is fine
    expect(r.mayCall(orders, { methods: ['GET'] }).methods).toEqual(['GET']);
    expect(RemoteWorkload.callsOf(chart).length).toBe(1);
  });

  test('wrong types are refused by the props guard before any check of the construct', () => {
    const { chart } = setup();
    const spiffeId = 'spiffe://b.example.org/ns/r/sa/r';
    const cidrs = { remoteCidrs: ['198.51.100.20/32'] };
    const cases: Array<[any, string]> = [
      [undefined, 'invalid props undefined: must be a RemoteWorkloadProps object, got undefined'],
      [{ spiffeId: 5, path: cidrs }, 'invalid spiffeId 5: must be a string, got number'],
      [{ spiffeId, ports: [null], path: cidrs }, 'invalid ports[0] null: must be a WorkloadPort object, got null'],
      [{ spiffeId, ports: [{ port: 80, protocol: 'bogus' }], path: cidrs }, 'invalid ports[0].protocol "bogus": must be an AppProtocol'],
      [{ spiffeId, path: 'x' }, 'invalid path "x": must be a RemotePathOptions object, got string'],
      [{ spiffeId, path: { gatewayNamespace: 'gw', gatewayPodLabels: 'x' } }, 'invalid path.gatewayPodLabels "x": must be a map of strings or undefined, got string'],
      [{ spiffeId, path: { gatewayNamespace: 'gw', gatewayPodLabels: { a: 1 } } }, 'invalid path.gatewayPodLabels["a"] 1: must be a string, got number'],
    ];
    cases.forEach(([props, message], i) => expect(() => new RemoteWorkload(chart, `r${i}`, props)).toThrow(`[c/r${i}] ${message}`));
  });

  test('exact limits: anchored SPIFFE ID, source CIDR prefixes, label grammar, port lists in keys and errors', () => {
    const { chart, orders, db } = setup();
    expect(() => remote(chart, 'x', { spiffeId: 'xspiffe://b.example.org/ns/x/sa/x' })).toThrow('[c/x] invalid spiffeId "xspiffe://b.example.org/ns/x/sa/x": must be an Istio workload SPIFFE ID');
    expect(() => new RemoteWorkload(chart, 'wide', { spiffeId: 'spiffe://b.example.org/ns/w/sa/w', path: { sourceCidrs: ['8.0.0.0/7'] } }))
      .toThrow(/^\[c\/wide\] invalid path\.sourceCidrs\[0\] "8\.0\.0\.0\/7"/);
    expect(new RemoteWorkload(chart, 'eight', { spiffeId: 'spiffe://b.example.org/ns/e/sa/e', path: { sourceCidrs: ['8.0.0.0/8'] } })._path.sourceCidrs).toEqual(['8.0.0.0/8']);
    const labels = { 'a/x': 'v', 'a.b.cde/y': 'v', 'ab.c/z': 'v', 'a.bcd/w': 'v', 'k': 'v' };
    expect(remote(chart, 'l', { path: { gatewayNamespace: 'gw', gatewayPodLabels: labels } })._path.gateway?.podLabels).toEqual(labels);
    const two = new RemoteWorkload(chart, 'two', { spiffeId: 'spiffe://b.example.org/ns/t/sa/t', ports: [{ port: 12, protocol: AppProtocol.TCP }, { port: 34, protocol: AppProtocol.TCP }], path: { remoteCidrs: ['198.51.100.20/32'], ...GATEWAY_PATH } });
    const db2 = new MeshService(chart, 'db2', { namespace: db.zeroTrustNamespace as ZeroTrustNamespace, image: 'ghcr.io/acme/db:1', ports: [{ port: 5432 }, { port: 5433 }] });
    expect(two.mayCall(db2).key).toBe('spiffe://b.example.org/ns/t/sa/t -> shop/db2:5432,5433');
    expect(() => two.mayCall(db2, { ports: [] })).toThrow('[c/two] invalid ports []: must name at least one port of shop/db2 (5432, 5433)');
    expect(() => two.allowFrom(orders, { methods: ['GET'] })).toThrow('[c/two] invalid methods/paths {"methods":["GET"]}: port 12, 34 of spiffe://b.example.org/ns/t/sa/t is plain TCP');
  });

  test('a hook hears each new remote call once', () => {
    const { chart, orders } = setup();
    const heard: string[] = [];
    onRemoteCall((_g, call) => heard.push(call.key));
    const r = remote(chart, 'r');
    r.mayCall(orders);
    r.mayCall(orders);
    expect(heard).toEqual(['spiffe://b.example.org/ns/r/sa/r -> shop/orders:8080']);
  });
});
