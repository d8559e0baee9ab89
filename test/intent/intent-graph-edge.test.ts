// The intent graph members the edge layer added: requireHeaders on calls (claims and egress are
// covered with the AccessProxy and allowEgressTo tests in test/edge).
import { Chart, Testing } from 'cdk8s';
import { AppProtocol, IntentGraph, MeshMode, MeshService, ZeroTrustNamespace } from '../../src';
import { Cluster } from '../support/reachability';
import { find, synthValid } from '../support/synth';

function services() {
  const app = Testing.app();
  const chart = new Chart(app, 'hdr');
  const ns = new ZeroTrustNamespace(chart, 'shop');
  const a = new MeshService(chart, 'a', { namespace: ns, image: 'ghcr.io/acme/a:1', port: 8080 });
  const b = new MeshService(chart, 'b', { namespace: ns, image: 'ghcr.io/acme/b:1', ports: [{ port: 8080 }, { port: 5432, protocol: AppProtocol.TCP }] });
  return { app, chart, ns, a, b, graph: IntentGraph.of(chart) };
}

describe('CallOptions.requireHeaders', () => {
  test('rendered as Istio when conditions on request.headers, keyed and serialized', () => {
    const { chart, a, b, graph } = services();
    const call = b.allowFrom(a, { ports: [8080], methods: ['GET'], requireHeaders: { 'x-api-version': 'v2', 'x-tenant': 'acme' } });
    expect(call.key).toBe('shop/a -> shop/b:8080 GET * {x-api-version: v2,x-tenant: acme}');
    expect(call.isL7).toBe(true);
    expect(graph.toJson().calls[0].requireHeaders).toEqual({ 'x-api-version': 'v2', 'x-tenant': 'acme' });
    const manifests = synthValid(chart);
    expect(find(manifests, 'AuthorizationPolicy', 'b').spec.rules).toEqual([{
      from: [{ source: { principals: ['cluster.local/ns/shop/sa/a'] } }],
      to: [{ operation: { ports: ['8080'], methods: ['GET'] } }],
      when: [{ key: 'request.headers[x-api-version]', values: ['v2'] }, { key: 'request.headers[x-tenant]', values: ['acme'] }],
    }]);
    const c = new Cluster(manifests);
    const [pa, pb] = [c.pod('shop', 'a'), c.pod('shop', 'b')];
    const ok = { 'x-api-version': 'v2', 'x-tenant': 'acme' };
    expect(c.allows(pa, pb, { port: 8080, method: 'GET', path: '/', headers: ok })).toBe(true);
    expect(c.allows(pa, pb, { port: 8080, method: 'GET', path: '/', headers: { 'x-api-version': 'v1', 'x-tenant': 'acme' } })).toBe(false);
    expect(c.allows(pa, pb, { port: 8080, method: 'GET', path: '/', headers: { 'x-api-version': 'v2' } })).toBe(false);
    expect(c.allows(pa, pb, { port: 8080, method: 'GET', path: '/' })).toBe(false);
    expect(graph.allows(a, b, { port: 8080, method: 'GET', path: '/', headers: ok })).toBe(true);
    expect(graph.allows(a, b, { port: 8080, method: 'GET', path: '/' })).toBe(false);
  });

  test('a call with headers and one without are different calls', () => {
    const { a, b, graph } = services();
    b.allowFrom(a, { ports: [8080], paths: ['/x'] });
    b.allowFrom(a, { ports: [8080], paths: ['/x'], requireHeaders: { 'x-v': '1' } });
    expect(graph.callsTo(b)).toHaveLength(2);
  });

  describe('bad input', () => {
    test('header names: upper case, credentials, hop-by-hop', () => {
      const { a, b } = services();
      expect(() => b.allowFrom(a, { ports: [8080], requireHeaders: { 'X-Api': 'v1' } }))
        .toThrow(/^\[hdr\/b\] invalid requireHeaders "X-Api": header names are lower-case HTTP tokens/);
      expect(() => b.allowFrom(a, { ports: [8080], requireHeaders: { authorization: 'Bearer x' } }))
        .toThrow(/^\[hdr\/b\] invalid requireHeaders "authorization": .*not :pseudo, host, authorization, cookie or hop-by-hop headers; require claims/);
      expect(() => b.allowFrom(a, { ports: [8080], requireHeaders: {} })).toThrow(/invalid requireHeaders \{\}: must name at least one header/);
    });

    test('header values', () => {
      const { a, b } = services();
      expect(() => b.allowFrom(a, { ports: [8080], requireHeaders: { 'x-v': '' } })).toThrow(/^\[hdr\/b\] invalid requireHeaders\.x-v "": must be an exact, non-empty value/);
      expect(() => b.allowFrom(a, { ports: [8080], requireHeaders: { 'x-v': 'v*' } })).toThrow(/invalid requireHeaders\.x-v "v\*"/);
    });

    test('headers on a TCP port or an ambient callee', () => {
      const { chart, a, b } = services();
      expect(() => b.allowFrom(a, { ports: [5432], requireHeaders: { 'x-v': '1' } }))
        .toThrow(/^\[hdr\/b\] invalid requireHeaders \{"x-v":"1"\}: port 5432 of shop\/b is plain TCP, where no HTTP header can be seen/);
      const amb = new ZeroTrustNamespace(chart, 'amb', { meshMode: MeshMode.AMBIENT });
      const c = new MeshService(chart, 'c', { namespace: amb, image: 'ghcr.io/acme/c:1', port: 8080 });
      // a sidecar caller reaches ambient pods past any waypoint: only identity and port can be enforced
      expect(() => c.allowFrom(a, { requireHeaders: { 'x-v': '1' } })).toThrow(/^\[hdr\/c\] invalid caller "hdr\/a": shop\/a runs with a sidecar .*past its waypoint/);
    });
  });
});
