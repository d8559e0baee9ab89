import { Chart, Testing } from 'cdk8s';
import { IntentGraph, MeshService, ZeroTrustNamespace } from '../../src';

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
    const { app, graph, a, b } = twoServices();
    expect(IntentGraph.of(app)).toBe(graph);
    expect(IntentGraph.of(a)).toBe(graph);
    expect(graph.trustDomain).toBe('cluster.local');
    expect(graph.workloads).toEqual([a, b]);
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
    expect(graph.callsFrom(a)).toEqual(graph.calls);
    expect(graph.callsTo(a)).toEqual([]);
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
      expect(two).not.toBe(one);
      expect(graph.callsTo(b)).toHaveLength(2);
      expect(graph.allows(a, b, { port: 8080, path: '/a' })).toBe(true);
      const h1 = b.allowFrom(a, { requireHeaders: { 'x-a': '1,x-b: 2' } });
      const h2 = b.allowFrom(a, { requireHeaders: { 'x-a': '1', 'x-b': '2' } });
      expect(h2).not.toBe(h1);
    });

    test('the graph is sealed once synthesis starts: a later allowFrom() or allowEgressTo() is an error', () => {
      const { chart, a, b } = twoServices();
      b.allowFrom(a);
      Testing.synth(chart);
      expect(() => b.allowFrom(a, { ports: [9090] }))
        .toThrow(/^\[test\/b\] invalid allowFrom\(\) "test\/b": comes after synthesis started, when every layer has already read the intent graph/);
      expect(() => a.allowEgressTo('api.stripe.com')).toThrow(/^\[test\/a\] invalid allowEgressTo\(\) "test\/a": comes after synthesis started/);
      expect(() => new MeshService(chart, 'late', { namespace: new ZeroTrustNamespace(chart, 'later'), image: 'ghcr.io/acme/c:1', port: 8080 }))
        .toThrow(/invalid namespace "test\/later": comes after synthesis started/);
    });
  });
});
