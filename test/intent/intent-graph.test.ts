import { ApiObject, Chart, Testing } from 'cdk8s';
import { IConstruct } from 'constructs';
import { AccessProxy, AdoptedWorkload, IMeshWorkload, IntentGraph, Layer, MeshService, ZeroTrustNamespace } from '../../src';
import { registerCallRule } from '../../src/intent/intent-graph';

// a failing comparison of constructs (or of objects holding them) makes jest print whole construct
// trees, which takes minutes: compare construct paths, keys or identities instead
const paths = (xs: readonly IConstruct[]) => xs.map(x => x.node.path);
const keys = (xs: readonly { key: string }[]) => xs.map(x => x.key);

function twoServices(trustDomain?: string) {
  const app = Testing.app();
  if (trustDomain) new IntentGraph(app, 'IntentGraph', { trustDomain });
  const chart = new Chart(app, 'test');
  const ns = new ZeroTrustNamespace(chart, 'shop');
  const a = new MeshService(chart, 'a', { namespace: ns, image: 'ghcr.io/acme/a:1', port: 8080 });
  const b = new MeshService(chart, 'b', { namespace: ns, image: 'ghcr.io/acme/b:1', ports: [{ port: 8080 }, { port: 9090 }] });
  return { app, chart, ns, a, b, graph: IntentGraph.of(chart) };
}

describe('IntentGraph', () => {
  test('one graph per app, created on first use with cluster.local', () => {
    const { app, graph, a } = twoServices();
    expect(IntentGraph.of(app) === graph).toBe(true);
    expect(IntentGraph.of(a) === graph).toBe(true);
    expect(graph.trustDomain).toBe('cluster.local');
    expect(paths(graph.workloads)).toEqual(['test/a', 'test/b']);
    expect(graph.namespaces.map(n => n.namespaceName)).toEqual(['shop']);
  });

  test('identities: principal and SPIFFE ID', () => {
    const { graph, a } = twoServices('prod.example.org');
    expect(graph.principalOf(a)).toBe('prod.example.org/ns/shop/sa/a');
    expect(graph.spiffeIdOf(a)).toBe('spiffe://prod.example.org/ns/shop/sa/a');
  });

  test('allows() answers per port, method and path with Istio matching', () => {
    const { graph, a, b } = twoServices();
    b.allowFrom(a, { ports: [8080], methods: ['GET'], paths: ['/api/orders/*', '/items/{*}/price', '/static/{**}', '*.json', '/exact'] });
    expect(graph.allows(a, b)).toBe(true);
    expect(graph.allows(b, a)).toBe(false);
    expect(graph.allows(a, b, { port: 9090 })).toBe(false);
    expect(graph.allows(a, b, { port: 8080, method: 'POST' })).toBe(false);
    expect(graph.allows(a, b, { method: 'GET', path: '/api/orders/1/lines' })).toBe(true);
    expect(graph.allows(a, b, { method: 'GET', path: '/items/7/price' })).toBe(true);
    expect(graph.allows(a, b, { method: 'GET', path: '/items/7/8/price' })).toBe(false);
    expect(graph.allows(a, b, { method: 'GET', path: '/static/css/site.css' })).toBe(true);
    expect(graph.allows(a, b, { method: 'GET', path: '/data/report.json' })).toBe(true);
    expect(graph.allows(a, b, { method: 'GET', path: '/exact' })).toBe(true);
    expect(graph.allows(a, b, { method: 'GET', path: '/exact/more' })).toBe(false);
  });

  test('calls are listed, keyed and serialized deterministically', () => {
    const { graph, a, b } = twoServices();
    b.allowFrom(a, { ports: [9090] });
    b.allowFrom(a, { ports: [8080], methods: ['GET'] });
    expect(graph.calls.map(c => c.key)).toEqual(['shop/a -> shop/b:8080 GET *', 'shop/a -> shop/b:9090']);
    expect(keys(graph.callsFrom(a))).toEqual(keys(graph.calls));
    expect(keys(graph.callsTo(a))).toStrictEqual([]);
    expect(graph.toJson()).toEqual({
      trustDomain: 'cluster.local',
      workloads: [
        { name: 'a', namespace: 'shop', meshMode: 'sidecar', serviceAccount: 'a', spiffeId: 'spiffe://cluster.local/ns/shop/sa/a', ports: [{ port: 8080, protocol: 'http' }] },
        { name: 'b', namespace: 'shop', meshMode: 'sidecar', serviceAccount: 'b', spiffeId: 'spiffe://cluster.local/ns/shop/sa/b', ports: [{ port: 8080, protocol: 'http' }, { port: 9090, protocol: 'http' }] },
      ],
      calls: [
        { from: 'shop/a', to: 'shop/b', principal: 'cluster.local/ns/shop/sa/a', ports: [8080], methods: ['GET'] },
        { from: 'shop/a', to: 'shop/b', principal: 'cluster.local/ns/shop/sa/a', ports: [9090] },
      ],
    });
  });

  describe('fails on bad input', () => {
    test('throws on an invalid trust domain', () => {
      for (const td of ['spiffe://example.org', 'Example.org', 'example.org:8443', '']) {
        expect(() => new IntentGraph(Testing.app(), 'IntentGraph', { trustDomain: td }))
          .toThrow(new RegExp(`^\\[IntentGraph\\] invalid trustDomain ${JSON.stringify(td).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: must be a SPIFFE trust domain`));
      }
    });

    test('throws when a second graph is defined, or defined after first use', () => {
      const app = Testing.app();
      new ZeroTrustNamespace(new Chart(app, 'c'), 'ns');
      expect(() => new IntentGraph(app, 'Late', { trustDomain: 'example.org' }))
        .toThrow(/\[Late\] an app has exactly one IntentGraph and IntentGraph already exists; define it before any ZeroTrustNamespace/);
    });
  });

  describe('hostile and careless input', () => {
    test('a wrong type gets the same clear error as a wrong value: methods: \'GET\' is not [\'G\', \'E\', \'T\']', () => {
      const { a, b } = twoServices();
      expect(() => b.allowFrom(a, { methods: 'GET' as any })).toThrow(/^\[test\/b\] invalid methods "GET": must be an array of strings or undefined, got string; see AllowFromOptions.methods in the API reference/);
      expect(() => b.allowFrom(a, { paths: '/api' as any })).toThrow(/^\[test\/b\] invalid paths "\/api": must be an array of strings or undefined, got string/);
      expect(() => b.allowFrom(a, { ports: [8080, '9090'] as any })).toThrow(/^\[test\/b\] invalid ports\[1\] "9090": must be a finite number, got string/);
      expect(() => b.allowFrom(a, null as any)).toThrow(/^\[test\/b\] invalid options null: must be an AllowFromOptions object or undefined, got null/);
    });

    test.each([
      ['NUL', '/api/\u0000admin', /must be printable ASCII/],
      ['a line break', '/api/\nadmin', /no spaces, '\?' or '#'/],
      ['a control character', '/api/\u0007', /must be printable ASCII/],
      ['look-alike Unicode', '/\u0430pi/*', /must be printable ASCII/],
      ['a .. segment', '/api/../admin', /must be a normalized path: no '\.' or '\.\.' segments/],
      ['a . segment', '/api/./admin', /must be a normalized path/],
      ['an encoded dot', '/api/%2e%2e/admin', /must be a normalized path/],
      ['an encoded slash', '/api%2Fadmin', /must be a normalized path/],
      ['a double slash', '/api//admin', /must be a normalized path/],
    ])('fails on a path with %s', (_what, path, message) => {
      const { a, b } = twoServices();
      expect(() => b.allowFrom(a, { paths: [path] })).toThrow(message);
    });

    test.each([['NUL', 'a\u0000b'], ['a tab', 'a\tb'], ['DEL', 'a\u007fb'], ['leading space', ' a']])('fails on a header value with %s', (_what, value) => {
      const { a, b } = twoServices();
      expect(() => b.allowFrom(a, { requireHeaders: { 'x-tenant': value } }))
        .toThrow(/^\[test\/b\] invalid requireHeaders\.x-tenant .*no control characters such as NUL or line breaks/);
    });

    test('different declarations never share a call key (a path may hold \',\')', () => {
      const { a, b, graph } = twoServices();
      const one = b.allowFrom(a, { paths: ['/a,/b'] });
      const two = b.allowFrom(a, { paths: ['/a', '/b'] });
      expect(two === one).toBe(false);
      expect(graph.callsTo(b).length).toBe(2);
      expect(graph.allows(a, b, { port: 8080, path: '/a' })).toBe(true);
      const h1 = b.allowFrom(a, { requireHeaders: { 'x-a': '1,x-b: 2' } });
      const h2 = b.allowFrom(a, { requireHeaders: { 'x-a': '1', 'x-b': '2' } });
      expect(h2 === h1).toBe(false);
    });

    test('the graph is sealed once synthesis starts: a later allowFrom() or allowEgressTo() is an error', () => {
      const { chart, ns, a, b } = twoServices();
      b.allowFrom(a);
      Testing.synth(chart);
      expect(() => b.allowFrom(a, { ports: [9090] }))
        .toThrow(/^\[test\/b\] invalid allowFrom\(\) "test\/b": comes after synthesis started, when every layer has already read the intent graph/);
      expect(() => a.allowEgressTo('api.stripe.com')).toThrow(/^\[test\/a\] invalid allowEgressTo\(\) "test\/a": comes after synthesis started/);
      expect(() => new MeshService(chart, 'late', { namespace: new ZeroTrustNamespace(chart, 'later'), image: 'ghcr.io/acme/c:1', port: 8080 }))
        .toThrow(/invalid namespace "test\/later": comes after synthesis started/);
      expect(() => new MeshService(chart, 'late-workload', { namespace: ns, image: 'ghcr.io/acme/c:1', port: 8080 }))
        .toThrow(/^\[test\/late-workload\] invalid workload "test\/late-workload": comes after synthesis started/);
    });
  });
});

describe('IntentGraph: lists, lookups and refusals', () => {
  function app3() {
    const app = Testing.app();
    const chart = new Chart(app, 't');
    const zeta = new ZeroTrustNamespace(chart, 'zeta');
    const alpha = new ZeroTrustNamespace(chart, 'alpha');
    const svc = (ns: ZeroTrustNamespace, name: string) => new MeshService(chart, `${ns.namespaceName}-${name}`, { namespace: ns, name, image: 'ghcr.io/acme/x:1', port: 8080 });
    return { app, chart, zeta, alpha, svc, graph: IntentGraph.of(chart) };
  }

  test('of() and tryOf() name themselves when given no construct; tryOf() never creates a graph', () => {
    expect(() => IntentGraph.of(undefined as never)).toThrow(/^\[IntentGraph\.of\] invalid scope undefined: must be /);
    expect(() => IntentGraph.tryOf(undefined as never)).toThrow(/^\[IntentGraph\.tryOf\] invalid scope undefined: must be /);
    const app = Testing.app();
    const chart = new Chart(app, 'c');
    expect(IntentGraph.tryOf(chart)).toBeUndefined();
    const graph = IntentGraph.of(chart);
    expect(graph.node.path).toBe('IntentGraph');
    expect(IntentGraph.tryOf(chart) === graph).toBe(true);
    expect(() => new IntentGraph(app, 'Second')).toThrow('[Second] an app has exactly one IntentGraph and IntentGraph already exists; '
      + 'define it before any ZeroTrustNamespace or MeshService, or use IntentGraph.of(scope) to get it');
  });

  test('workloads and namespaces are sorted, and the lists stay current and private', () => {
    const { graph, zeta, alpha, svc } = app3();
    const zb = svc(zeta, 'b');
    const za = svc(zeta, 'a');
    expect(paths(graph.workloads)).toEqual(paths([za, zb]));
    const ab = svc(alpha, 'b');
    const listed = graph.workloads;
    expect(paths(listed)).toEqual(['t/alpha-b', 't/zeta-a', 't/zeta-b']);
    listed.pop();
    expect(paths(graph.workloads)).toEqual(paths([ab, za, zb]));
    expect(paths(graph.namespaces)).toEqual(paths([alpha, zeta]));
  });

  test('calls, callsTo and callsFrom are sorted by key, stay current and private', () => {
    const { graph, zeta, svc } = app3();
    const [a, b, c] = ['a', 'b', 'c'].map(n => svc(zeta, n));
    b.allowFrom(c);
    expect(graph.calls.map(x => x.key)).toEqual(['zeta/c -> zeta/b:8080']);
    b.allowFrom(a, { paths: ['/z'] });
    b.allowFrom(a, { paths: ['/a'] });
    a.allowFrom(c);
    const expected = ['zeta/a -> zeta/b:8080 * /a', 'zeta/a -> zeta/b:8080 * /z', 'zeta/c -> zeta/a:8080', 'zeta/c -> zeta/b:8080'];
    const calls = graph.calls;
    expect(keys(calls)).toEqual(expected);
    calls.pop();
    expect(graph.calls.length).toBe(4);
    expect(keys(graph.callsTo(b))).toEqual([expected[0], expected[1], expected[3]]);
    expect(keys(graph.callsFrom(c))).toEqual([expected[2], expected[3]]);
    expect(keys(graph.callsFrom(b))).toStrictEqual([]);
    // the same call twice is the first one, and listeners hear of each call once
    expect(b.allowFrom(a, { paths: ['/a'] }) === calls[0]).toBe(true);
    expect(graph.calls.length).toBe(4);
  });

  test('allows(): every part of the request must match one call', () => {
    const { graph, zeta, svc } = app3();
    const [a, b] = ['a', 'b'].map(n => svc(zeta, n));
    b.allowFrom(a, { methods: ['GET'], requireHeaders: { 'x-t': '1' } });
    expect(graph.allows(a, b, { headers: { 'x-t': '1' } })).toBe(true);
    expect(graph.allows(a, b, { port: 8080, method: 'GET', path: '/any', headers: { 'x-t': '1' } })).toBe(true);
    expect(graph.allows(a, b, { port: 8081, headers: { 'x-t': '1' } })).toBe(false);
    expect(graph.allows(a, b, { method: 'PUT', headers: { 'x-t': '1' } })).toBe(false);
    expect(graph.allows(a, b, { headers: { 'x-t': '2' } })).toBe(false);
    expect(graph.allows(a, b, {})).toBe(false);
    // a call without methods allows any method; without paths any path
    b.allowFrom(a, { paths: ['/p'] });
    expect(graph.allows(a, b, { method: 'DELETE', path: '/p' })).toBe(true);
    expect(graph.allows(a, b, { method: 'DELETE', path: '/q' })).toBe(false);
    expect(graph.allows(b, a, {})).toBe(false);
    // a call of another caller allows nothing to this one
    const c = svc(zeta, 'c');
    expect(graph.allows(c, b, { method: 'DELETE', path: '/p' })).toBe(false);
  });

  test('toJson() lists paths, claims, headers and egress when declared', () => {
    const { graph, zeta, svc } = app3();
    const [a, b] = ['a', 'b'].map(n => svc(zeta, n));
    b.allowFrom(a, { paths: ['/p'], requireHeaders: { 'x-t': '1' } });
    expect(graph.toJson().egress).toBeUndefined();
    a.allowEgressTo('api.example.com', { port: 8443 });
    const json = graph.toJson();
    expect(json.calls).toEqual([{ from: 'zeta/a', to: 'zeta/b', principal: 'cluster.local/ns/zeta/sa/a', ports: [8080], paths: ['/p'], requireHeaders: { 'x-t': '1' } }]);
    expect(json.egress).toEqual([{ from: 'zeta/a', host: 'api.example.com', port: 8443 }]);
  });

  test('claims: listed by toJson(), and allows() needs a token carrying them', () => {
    const { chart, graph, zeta, svc } = app3();
    const proxy = new AccessProxy(chart, 'proxy', {
      namespace: new ZeroTrustNamespace(chart, 'edge'),
      hostnames: ['shop.example.com'],
      tlsSecretName: 'shop-tls',
      jwt: { issuer: 'https://login.example.com', jwksUri: 'https://login.example.com/jwks.json', audiences: ['shop'] },
    });
    const b = svc(zeta, 'b');
    b.allowFrom(proxy, { requireClaims: { groups: ['staff'] } });
    expect(graph.toJson().calls).toEqual([{ from: 'edge/proxy', to: 'zeta/b', principal: 'cluster.local/ns/edge/sa/proxy-istio', ports: [8080], requireClaims: { groups: ['staff'] } }]);
    expect(graph.allows(proxy, b, { claims: { groups: ['staff', 'x'] } })).toBe(true);
    expect(graph.allows(proxy, b, { claims: { groups: ['x'] } })).toBe(false);
    expect(graph.allows(proxy, b)).toBe(false);
  });

  test('egress: sorted, per workload, and allowsEgress() answers exactly', () => {
    const { graph, zeta, svc } = app3();
    const [a, b] = ['a', 'b'].map(n => svc(zeta, n));
    const e1 = b.allowEgressTo('z.example.com');
    const e2 = a.allowEgressTo('z.example.com');
    const e3 = a.allowEgressTo('a.example.com');
    expect(a.allowEgressTo('a.example.com') === e3).toBe(true);
    expect(keys(graph.egress)).toEqual(['zeta/a -> a.example.com:443', 'zeta/a -> z.example.com:443', 'zeta/b -> z.example.com:443']);
    expect(graph.egress[0] === e3 && graph.egress[1] === e2 && graph.egress[2] === e1).toBe(true);
    expect(keys(graph.egressFrom(a))).toEqual(keys([e3, e2]));
    expect(graph.allowsEgress(a, 'a.example.com', 443)).toBe(true);
    expect(graph.allowsEgress(a, 'a.example.com', 80)).toBe(false);
    expect(graph.allowsEgress(b, 'a.example.com', 443)).toBe(false);
  });

  test('names and identities are unique; a refused workload leaves no trace', () => {
    const { chart, graph, zeta, svc } = app3();
    svc(zeta, 'a');
    expect(() => new ZeroTrustNamespace(chart, 'zeta-again', { name: 'zeta' })).toThrow('[t/zeta-again] invalid name "zeta": t/zeta already defines this namespace; '
      + 'define each namespace once and pass it to every MeshService in it');
    expect(() => new MeshService(chart, 'dup', { namespace: zeta, name: 'a', image: 'ghcr.io/acme/x:1', port: 8080 }))
      .toThrow('[t/dup] invalid name "a": t/zeta-a already defines a workload with this name in namespace zeta; give each workload of a namespace its own name');
    expect(() => new MeshService(chart, 'same-sa', { namespace: zeta, name: 'b', serviceAccountName: 'a', image: 'ghcr.io/acme/x:1', port: 8080 }))
      .toThrow('[t/same-sa] invalid serviceAccountName "a": t/zeta-a already runs as this ServiceAccount, and two workloads sharing an identity cannot be told apart by any policy; '
        + 'give each workload its own ServiceAccount');
    expect(paths(graph.workloads)).toEqual(['t/zeta-a']);
    // the refused name is free again
    expect(svc(zeta, 'b').workloadName).toBe('b');
  });

  test('an adopted workload\'s ServiceAccount is not read when it joins (its manifest may still change; it checks itself at synthesis)', () => {
    const { chart, graph, zeta, svc } = app3();
    svc(zeta, 'a');
    const deployment = new ApiObject(chart, 'legacy', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'legacy', namespace: 'zeta' },
      spec: {
        selector: { matchLabels: { app: 'legacy' } },
        template: { metadata: { labels: { app: 'legacy' } }, spec: { serviceAccountName: 'a', containers: [{ name: 'c', image: 'ghcr.io/acme/x:1', ports: [{ containerPort: 80 }] }] } },
      },
    });
    const adopted = new AdoptedWorkload(chart, 'adopted', { workload: deployment, namespace: zeta });
    expect(paths(graph.workloads)).toEqual(['t/zeta-a', adopted.node.path]);
    // and synthesis refuses the shared identity
    expect(() => Testing.synth(chart)).toThrow('[t/adopted] invalid workload.serviceAccountName "a": t/zeta-a runs as this ServiceAccount too, '
      + 'and two workloads sharing an identity cannot be told apart by any policy; give each workload its own ServiceAccount');
  });

  test('a caller or an egress workload must belong to the graph', () => {
    const { graph, zeta, svc } = app3();
    const b = svc(zeta, 'b');
    const other = app3();
    const stranger = other.svc(other.zeta, 'x');
    expect(() => graph._addCall(stranger, b)).toThrow('[t/zeta-b] invalid caller "t/zeta-x": must be a workload of this app\'s intent graph (a MeshService in a ZeroTrustNamespace)');
    expect(() => graph._addCall(undefined as never, b)).toThrow('[t/zeta-b] invalid caller undefined: must be');
    expect(() => graph._addEgress(stranger, 'a.example.com', 443)).toThrow('[IntentGraph] invalid workload "t/zeta-x": must be a workload of this app\'s intent graph');
    expect(() => graph._addEgress(undefined as never, 'a.example.com', 443)).toThrow('[IntentGraph] invalid workload undefined: must be');
    expect(() => graph._addCall({} as never, b)).toThrow('[t/zeta-b] invalid caller {}: must be');
    expect(() => graph._addEgress({} as never, 'a.example.com', 443)).toThrow('[IntentGraph] invalid workload {}: must be');
    const notAWorkload = { node: { path: 'elsewhere/x' } } as never;
    expect(() => graph._addCall(notAWorkload, b)).toThrow('[t/zeta-b] invalid caller "elsewhere/x": must be a workload of this app\'s intent graph');
    expect(() => graph._addEgress(notAWorkload, 'a.example.com', 443)).toThrow('[IntentGraph] invalid workload "elsewhere/x": must be a workload of this app\'s intent graph');
    expect(keys(graph.calls)).toStrictEqual([]);
    expect(keys(graph.egress)).toStrictEqual([]);
  });

  test('layer scopes and placement', () => {
    const app = Testing.app();
    const network = new Chart(app, 'network');
    const graph = new IntentGraph(app, 'IntentGraph', { layers: { network } });
    const owner = new Chart(app, 'owner');
    expect(graph.layerScope(Layer.NETWORK) === network).toBe(true);
    expect(graph.layerScope(Layer.MESH)).toBeUndefined();
    const placed = [graph._placement(Layer.NETWORK, owner, 'shop', 'np'), graph._placement(Layer.MESH, owner, 'shop', 'ap')];
    expect(placed.map(p => [p.scope.node.path, p.id])).toEqual([['network', 'shop-np'], ['owner', 'ap']]);
  });

  test('call rules run once per call however often they are registered, and listeners hear each new call', () => {
    const { graph, zeta, svc } = app3();
    const [a, b] = ['a', 'b'].map(n => svc(zeta, n));
    const seen: string[] = [];
    const rule = (_g: IntentGraph, caller: IMeshWorkload, callee: IMeshWorkload) => { seen.push(`${caller.workloadName}>${callee.workloadName}`); };
    registerCallRule(rule);
    registerCallRule(rule);
    const heard: string[] = [];
    graph._onCall(call => heard.push(call.key));
    b.allowFrom(a);
    b.allowFrom(a);
    expect(seen).toEqual(['a>b']);
    expect(heard).toEqual(['zeta/a -> zeta/b:8080']);
  });

  test('platform endpoints of a workload that declared none', () => {
    const { graph, zeta, svc } = app3();
    expect(graph.platformEndpointsOf(svc(zeta, 'a'))).toEqual([]);
  });
});
