import { Chart, Testing } from 'cdk8s';
import { AppProtocol, MeshService, ZeroTrustNamespace } from '../../src';
import { checkCallOptions, checkPath, claimsMatch, compare, pathMatches } from '../../src/intent/_call-checks';

function setup() {
  const chart = new Chart(Testing.app(), 'test');
  const ns = new ZeroTrustNamespace(chart, 'shop');
  const a = new MeshService(chart, 'a', { namespace: ns, image: 'ghcr.io/acme/a:1', port: 8080 });
  const b = new MeshService(chart, 'b', { namespace: ns, image: 'ghcr.io/acme/b:1', ports: [{ port: 9090 }, { port: 8080 }] });
  const db = new MeshService(chart, 'db', { namespace: ns, image: 'ghcr.io/acme/db:1', ports: [{ port: 5432, protocol: AppProtocol.TCP }, { port: 8080 }] });
  return { a, b, db };
}

/** The error checkCallOptions throws, or undefined. */
function rejection(options: any, callee: 'b' | 'db' = 'b'): string | undefined {
  const w = setup();
  try {
    checkCallOptions(w.a, w[callee], options);
  } catch (e) {
    return (e as Error).message;
  }
  return undefined;
}

describe('checkCallOptions', () => {
  test('normalized: ports default to the callee\'s, everything sorted and de-duplicated', () => {
    const { a, b } = setup();
    expect(checkCallOptions(a, b, {})).toEqual({ ports: [8080, 9090], methods: [], paths: [], claims: {}, headers: {} });
    expect(checkCallOptions(a, b, {
      ports: [9090, 8080, 9090],
      methods: ['POST', 'GET', 'POST'],
      paths: ['/b', '/a/*', '/b'],
      requireClaims: { z: ['2', '1', '2'], groups: ['admin'] },
      requireHeaders: { 'x-z': 'z', 'x-a': 'a' },
    })).toEqual({
      ports: [8080, 9090],
      methods: ['GET', 'POST'],
      paths: ['/a/*', '/b'],
      claims: { groups: ['admin'], z: ['1', '2'] },
      headers: { 'x-a': 'a', 'x-z': 'z' },
    });
    const checked = checkCallOptions(a, b, { requireClaims: { z: ['1'], a: ['1'] }, requireHeaders: { 'x-z': 'z', 'x-a': 'a' } });
    expect([Object.keys(checked.claims), Object.keys(checked.headers)]).toEqual([['a', 'z'], ['x-a', 'x-z']]);
  });

  test('a workload cannot allow itself', () => {
    const { a } = setup();
    expect(() => checkCallOptions(a, a, {})).toThrow(/^\[test\/a\] invalid caller "test\/a": a workload cannot allow calls from itself: .*; remove this allowFrom\(\) call$/);
  });

  test.each([
    [null, /^\[test\/b\] invalid options null: must be an object/],
    [[], /^\[test\/b\] invalid options \[\]: must be an object/],
    ['ports', /^\[test\/b\] invalid options "ports": must be an object/],
    [{ ports: 8080 }, /^\[test\/b\] invalid ports 8080: must be a list of numbers, got number; for example \[8080\]$/],
    [{ ports: null }, /^\[test\/b\] invalid ports null: must be a list of numbers, got null/],
    [{ ports: ['8080'] }, /^\[test\/b\] invalid ports \["8080"\]: must be a list of numbers, got a list holding other types/],
    [{ methods: ['GET', 1] }, /^\[test\/b\] invalid methods \["GET",1\]: must be a list of strings, got a list holding other types; for example \['GET'\]$/],
    [{ paths: '/a' }, /^\[test\/b\] invalid paths "\/a": must be a list of strings, got string; for example \['\/api\/orders\/\*'\]$/],
    [{ ports: [] }, /^\[test\/b\] invalid ports \[\]: must name at least one port of shop\/b \(9090, 8080\); or leave ports out to allow every port$/],
    [{ ports: [7070] }, /^\[test\/b\] invalid ports 7070: shop\/b listens on 9090, 8080 only$/],
    [{ ports: [8080.5] }, /^\[test\/b\] invalid ports 8080\.5: must be an integer between 1 and 65535/],
    [{ methods: ['get'] }, /^\[test\/b\] invalid methods "get": must be one of CONNECT, DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT, TRACE \(upper case\); leave methods out/],
    [{ methods: ['FETCH'] }, /invalid methods "FETCH"/],
    [{ methods: [] }, /^\[test\/b\] invalid methods \[\]: must not be empty; leave methods out to allow any method$/],
    [{ paths: [] }, /^\[test\/b\] invalid paths \[\]: must not be empty; leave paths out to allow any path$/],
    [{ paths: ['api'] }, /^\[test\/b\] invalid paths "api": must be an Istio path/],
  ])('rejects %j', (options, message) => {
    expect(rejection(options)).toMatch(message);
  });

  test.each(['CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'TRACE'])('accepts method %s', method => {
    expect(rejection({ methods: [method] })).toBeUndefined();
  });

  test('every plain TCP port is named', () => {
    const { a } = setup();
    const two = new MeshService(a.node.scope as any, 'two', {
      namespace: a.zeroTrustNamespace as any, image: 'ghcr.io/acme/two:1', ports: [{ port: 5432, protocol: AppProtocol.TCP }, { port: 5433, protocol: AppProtocol.TCP }],
    });
    expect(() => checkCallOptions(a, two, { methods: ['GET'] })).toThrow(/: port 5432, 5433 of shop\/two is plain TCP, where Istio cannot see HTTP methods or paths/);
    expect(() => checkCallOptions(a, two, { requireHeaders: { 'x-a': 'a' } })).toThrow(/: port 5432, 5433 of shop\/two is plain TCP, where no HTTP header can be seen/);
  });

  test('methods, paths and headers only on HTTP ports', () => {
    const tcp = /^\[test\/db\] invalid methods\/paths \{"methods":\[.*\],"paths":\[.*\]\}: port 5432 of shop\/db is plain TCP, where Istio cannot see HTTP methods or paths; restrict the call to the HTTP ports/;
    expect(rejection({ methods: ['GET'] }, 'db')).toMatch(tcp);
    expect(rejection({ paths: ['/a'] }, 'db')).toMatch(tcp);
    expect(rejection({ ports: [5432], methods: ['GET'] }, 'db')).toMatch(tcp);
    expect(rejection({ ports: [8080], methods: ['GET'], paths: ['/a'] }, 'db')).toBeUndefined();
    expect(rejection({ ports: [5432] }, 'db')).toBeUndefined();
    expect(rejection({ requireHeaders: { 'x-a': 'a' } }, 'db'))
      .toMatch(/^\[test\/db\] invalid requireHeaders \{"x-a":"a"\}: port 5432 of shop\/db is plain TCP, where no HTTP header can be seen; restrict the call to the HTTP ports with `ports`$/);
    expect(rejection({ ports: [8080], requireHeaders: { 'x-a': 'a' } }, 'db')).toBeUndefined();
    // claims come from a verified token (RequestAuthentication), also on TCP? No: the layers check that; here only the grammar
    expect(rejection({ ports: [8080], requireClaims: { sub: ['x'] } }, 'db')).toBeUndefined();
  });

  describe('requireHeaders', () => {
    const name128 = `x${'a'.repeat(127)}`;
    test.each(['x-tenant', 'x_tenant', 'x.tenant', '0x', name128])('accepts header name %j', name => {
      expect(rejection({ requireHeaders: { [name]: 'v' } })).toBeUndefined();
    });
    test.each([
      'host', 'authorization', 'cookie', 'connection', 'keep-alive', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'x-forwarded-client-cert',
      ':authority', ':path', 'X-Tenant', '-x', '_x', 'x y', 'x:y', '', `${name128}a`,
    ])('rejects header name %j', name => {
      expect(rejection({ requireHeaders: { [name]: 'v' } }))
        .toMatch(/^\[test\/b\] invalid requireHeaders .*: header names are lower-case HTTP tokens .*; require claims \(requireClaims\) for identity, and methods, paths or ordinary headers for routing$/);
    });
    test.each(['v', 'a b', 'x'.repeat(256), 'tenant-1,tenant-2', '~!@#$%^&()'])('accepts header value %j', value => {
      expect(rejection({ requireHeaders: { 'x-a': value } })).toBeUndefined();
    });
    test.each([['empty', ''], ['too long', 'x'.repeat(257)], ['a wildcard', 'a*'], ['trailing space', 'a '], ['a line break', 'a\nb'], ['a number', 1], ['null', null], ['ESC', 'a\u001bb']])(
      'rejects a header value: %s', (_what, value) => {
        expect(rejection({ requireHeaders: { 'x-a': value } })).toMatch(/^\[test\/b\] invalid requireHeaders\.x-a .*: must be an exact, non-empty value of at most 256 characters/);
      });
    test.each([[{}], [null], ['x-a: 1']])('rejects requireHeaders %j', value => {
      expect(rejection({ requireHeaders: value })).toMatch(/^\[test\/b\] invalid requireHeaders .*: must name at least one header; leave requireHeaders out to require none$/);
    });
  });

  describe('requireClaims', () => {
    const name128 = 'c'.repeat(128);
    test.each(['sub', 'groups', 'https://example.com/roles', 'realm_access.roles', 'a:b-c', name128])('accepts claim name %j', claim => {
      expect(rejection({ requireClaims: { [claim]: ['v'] } })).toBeUndefined();
    });
    test.each(['', `${name128}c`, 'a b', 'roles[0]', 'a*', 'é'])('rejects claim name %j', claim => {
      expect(rejection({ requireClaims: { [claim]: ['v'] } }))
        .toMatch(/^\[test\/b\] invalid requireClaims .*: claim names are 1-128 characters of letters, digits, '_', '-', '\.', ':' or '\/' \(no brackets or spaces\)$/);
    });
    test.each([[[]], ['admin'], [['']], [['a*']], [['a\u0000']], [['a\u007f']], [[1]], [['ok', null]]])('rejects claim values %j', values => {
      expect(rejection({ requireClaims: { groups: values } }))
        .toMatch(/^\[test\/b\] invalid requireClaims\.groups .*: must be a non-empty list of exact, non-empty values \(no '\*', no control characters\)$/);
    });
    test.each([[{}], [null], ['sub']])('rejects requireClaims %j', value => {
      expect(rejection({ requireClaims: value })).toMatch(/^\[test\/b\] invalid requireClaims .*: must name at least one claim; leave requireClaims out to require only a verified token$/);
    });
  });
});

describe('checkPath', () => {
  const check = (path: unknown) => {
    try {
      checkPath(Testing.chart(), path as string);
    } catch (e) {
      return (e as Error).message;
    }
    return undefined;
  };
  test.each(['/', '/api', '/api/v1/charge', '/api/orders/*', '/*', '*.json', '*x', '/api/{*}/items', '/api/{**}', '/{*}', '/a/{*}/{*}/b/{**}', '/caf%C3%A9', '/a%20b', '/x.y/', '/..a', '/a.'])(
    'accepts %j', path => {
      expect(check(path)).toBeUndefined();
    });
  const GRAMMAR = /^\[test\] invalid paths .*: must be an Istio path: exact .*no spaces, '\?' or '#'$/;
  test.each([
    ['', GRAMMAR], ['a', GRAMMAR], ['api/*', GRAMMAR], ['/a/*/b', GRAMMAR], ['/a**', GRAMMAR], ['**.json', GRAMMAR], ['*/a/*', GRAMMAR], ['/a?x=1', GRAMMAR], ['/a#f', GRAMMAR], ['/a b', GRAMMAR],
    ['*', /^\[test\] invalid paths "\*": must be an Istio path: .*; leave paths out to allow any path$/],
    ['/a/{**}/b', GRAMMAR], ['/a/{**}/{**}', GRAMMAR], ['a/{*}', GRAMMAR], ['/a/{x}', GRAMMAR], ['/a/x{*}', GRAMMAR], ['/a/{*}x', GRAMMAR], ['/a/{*}/b*', GRAMMAR], ['/a/{*}/*', GRAMMAR],
    ['/a/{***}', GRAMMAR], ['/a/{*}/{}', GRAMMAR], ['/a/{*}/}{', GRAMMAR], ['/a/*{*}', GRAMMAR], ['/a/{*}*', GRAMMAR], ['/a/{', GRAMMAR], ['*/{*}', GRAMMAR],
    ['/a\u00e9', /^\[test\] invalid paths .*: must be printable ASCII: .*; write the path as it is sent, percent-encoded/], ['/a\u007f', /must be printable ASCII/],
    ['\u00e9/a', /must be printable ASCII/], ['\u0000/a', /must be printable ASCII/],
    ['/a/./b', /^\[test\] invalid paths "\/a\/\.\/b": must be a normalized path/], ['/a/..', /must be a normalized path/], ['/a/%2E%2E/b', /must be a normalized path/], ['/a%2fb', /must be a normalized path/],
    ['/a%5Cb', /must be a normalized path/], ['/a\\b', /must be a normalized path/], ['/a//b', /must be a normalized path.*; write the path as the service sees it, for example '\/api\/orders\/\*'$/],
    [42, GRAMMAR], [null, GRAMMAR],
  ])('rejects %j', (path, message) => {
    expect(check(path)).toMatch(message);
  });
});

describe('pathMatches, claimsMatch, compare', () => {
  test('Istio path matching: exact, prefix, suffix, templates', () => {
    const cases: Array<[string, string, boolean]> = [
      ['/exact', '/exact', true], ['/exact', '/exact/', false], ['/exact', '/exactly', false],
      ['/api/*', '/api/', true], ['/api/*', '/api/x/y', true], ['/api/*', '/api', false], ['/api/*', '/apix', false],
      ['*.json', '/a.json', true], ['*.json', '/a.json.bak', false], ['*.json', '/ajson', false],
      ['/a/{*}/c', '/a/b/c', true], ['/a/{*}/c', '/a/b/b/c', false], ['/a/{*}/c', '/a//c', false], ['/a.b/{*}', '/aXb/c', false],
      ['/exact', '/x/exact', false], ['/exact', 'exact', false], ['/a.b/{*}', '/ab/c', false], ['/a.b/{*}', '/a.b/c', true],
      ['/a/{**}', '/a/b/c', true], ['/a/{**}', '/a/', true], ['/a/{**}', '/x/a/b', false], ['/a/{*}', '/a/b/', false],
    ];
    for (const [pattern, path, expected] of cases) expect([pattern, path, pathMatches(pattern, path)]).toEqual([pattern, path, expected]);
  });

  test('every required claim has one of its values', () => {
    expect(claimsMatch({}, undefined)).toBe(true);
    expect(claimsMatch({ groups: ['admin'] }, undefined)).toBe(false);
    expect(claimsMatch({ groups: ['admin', 'ops'] }, { groups: ['dev', 'ops'] })).toBe(true);
    expect(claimsMatch({ groups: ['admin'] }, { groups: ['dev'] })).toBe(false);
    expect(claimsMatch({ groups: ['admin'], sub: ['alice'] }, { groups: ['admin'] })).toBe(false);
    expect(claimsMatch({ groups: ['admin'], sub: ['alice'] }, { groups: ['admin'], sub: ['alice'] })).toBe(true);
  });

  test('compare orders strings by code unit', () => {
    expect([compare('a', 'b'), compare('b', 'a'), compare('a', 'a'), compare('B', 'a')]).toEqual([-1, 1, 0, -1]);
    expect(['b', 'a', 'B', 'a'].sort(compare)).toEqual(['B', 'a', 'a', 'b']);
  });
});
