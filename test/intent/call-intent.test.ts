// CallIntent and EgressIntent on their own: the key every layer and report uses to name a call
// (two different calls must never share one), isL7 (which decides whether a layer renders L7
// rules) and the source principal (the identity the callee's policies admit).
import { CallIntent, EgressIntent, principalOf, workloadKey } from '../../src/intent/call-intent';
import { IMeshWorkload } from '../../src/intent/mesh-workload';

function workload(namespaceName: string, workloadName: string, serviceAccountName = workloadName): IMeshWorkload {
  return { workloadName, serviceAccountName, zeroTrustNamespace: { namespaceName } } as unknown as IMeshWorkload;
}

const a = workload('shop', 'a', 'a-sa');
const b = workload('pay', 'b');

interface Opts {
  ports?: number[]; methods?: string[]; paths?: string[]; claims?: { [c: string]: string[] }; headers?: { [h: string]: string };
}

function call(opts: Opts = {}) {
  return CallIntent._create('example.org', a, b, opts.ports ?? [8080], opts.methods ?? [], opts.paths ?? [], opts.claims, opts.headers);
}

describe('CallIntent', () => {
  test('the source principal is <trust domain>/ns/<caller namespace>/sa/<caller service account>', () => {
    expect(call().sourcePrincipal).toBe('example.org/ns/shop/sa/a-sa');
    expect(principalOf('cluster.local', b)).toBe('cluster.local/ns/pay/sa/b');
    expect(workloadKey(a)).toBe('shop/a');
  });

  test.each([
    ['no restriction', {}, false],
    ['a method', { methods: ['GET'] }, true],
    ['a path', { paths: ['/x'] }, true],
    ['a header', { headers: { 'x-tenant': 'acme' } }, true],
    ['claims only (checked on the caller\'s verified token, not an L7 rule of its own)', { claims: { groups: ['g'] } }, false],
  ])('isL7 with %s', (_, opts, expected) => {
    expect(call(opts).isL7).toBe(expected);
  });

  test.each([
    ['L4, several ports', { ports: [80, 8080] }, 'shop/a -> pay/b:80,8080'],
    ['methods, any path', { methods: ['GET', 'POST'] }, 'shop/a -> pay/b:8080 GET,POST *'],
    ['paths, any method', { paths: ['/a', '/b/*'] }, 'shop/a -> pay/b:8080 * /a,/b/*'],
    ['headers only', { headers: { 'x-a': '1', 'x-b': 'two words' } }, 'shop/a -> pay/b:8080 * * {x-a: 1,x-b: "two words"}'],
    ['claims on an L4 call', { claims: { groups: ['ops', 'dev'], tier: ['gold'] } }, 'shop/a -> pay/b:8080 [groups=ops|dev,tier=gold]'],
    ['everything', { methods: ['GET'], paths: ['/p'], claims: { g: ['x'] }, headers: { h: 'v' } }, 'shop/a -> pay/b:8080 GET /p [g=x] {h: v}'],
  ])('key: %s', (_, opts, expected) => {
    expect(call(opts).key).toBe(expected);
  });

  // a free-text part is kept as it is unless it holds a separator, white space or a quote; then it is
  // JSON-quoted, anywhere in the value
  test.each([
    ['/api/v1', '/api/v1'],
    ['*.json', '*.json'],
    ['', '""'],
    ...[' ', '\t', ',', '|', '=', ':', '"', '[', ']', '{', '}'].flatMap(sep => [
      [`${sep}x`, JSON.stringify(`${sep}x`)],
      [`x${sep}`, JSON.stringify(`x${sep}`)],
      [`x${sep}y`, JSON.stringify(`x${sep}y`)],
    ]),
  ])('key: the path %j is written %s', (path, written) => {
    expect(call({ paths: [path] }).key).toBe(`shop/a -> pay/b:8080 * ${written}`);
  });

  test('values holding separators never make two different calls share a key', () => {
    const keys = [
      call({ paths: ['/a,/b'] }), call({ paths: ['/a', '/b'] }),
      call({ claims: { g: ['x|y'] } }), call({ claims: { g: ['x', 'y'] } }),
      call({ claims: { g: ['x,h=y'] } }), call({ claims: { g: ['x'], h: ['y'] } }),
      call({ headers: { h: 'v,i: w' } }), call({ headers: { h: 'v', i: 'w' } }),
    ].map(c => c.key);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys[2]).toBe('shop/a -> pay/b:8080 [g="x|y"]');
  });
});

describe('EgressIntent', () => {
  test('key is <namespace>/<workload> -> <host>:<port>', () => {
    const egress = EgressIntent._create(a, 'api.example.com', 443);
    expect(egress.key).toBe('shop/a -> api.example.com:443');
    expect([egress.workload, egress.host, egress.port]).toEqual([a, 'api.example.com', 443]);
  });
});
