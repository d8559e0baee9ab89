import { Chart, Testing } from 'cdk8s';
import { IntentGraph, ZeroTrustNamespace } from '../../src';
import { checkExternalHost, isInClusterHost, parseUrl } from '../../src/edge/_hosts';

function setup() {
  const chart = new Chart(Testing.app(), 'hosts');
  new ZeroTrustNamespace(chart, 'production');
  new ZeroTrustNamespace(chart, 'data');
  return { chart, graph: IntentGraph.of(chart) };
}

/** The error checkExternalHost throws for `host`, or undefined when it accepts it. */
function rejection(host: unknown): string | undefined {
  const { chart, graph } = setup();
  try {
    expect(checkExternalHost(chart, graph, 'host', host as string)).toBe(host);
  } catch (e) {
    return (e as Error).message;
  }
  return undefined;
}

const NOT_A_NAME = /^\[hosts\] invalid host .*: must be an exact, fully qualified public DNS name such as 'api\.stripe\.com' \(lower case, at least two labels, no scheme, port, path or trailing dot\)$/;
const IP = /^\[hosts\] invalid host .*: IP addresses are not allowed: egress is declared by host name so that the mesh and Cilium can match it; use the DNS name of the destination$/;
const INTERNAL = /^\[hosts\] invalid host .*: names a destination inside the cluster or the private network .*; call in-cluster workloads with callee\.allowFrom\(caller\)$/;
const WILDCARD = /^\[hosts\] invalid host .*: wildcard patterns are not allowed: .*; list each external host name you call, one allowEgressTo\(\) per host$/;

describe('checkExternalHost', () => {
  // 63-character labels, 253 characters in all
  const label = (c: string, n: number) => c.repeat(n);
  const longest = [label('a', 63), label('b', 63), label('c', 63), label('d', 61)].join('.');

  test.each([
    'stripe.com', 'api.stripe.com', 'api.data.com', 'data.production.example.com', 'x.b2', 'x.2b', '1.2.3.4.nip.io', `${label('a', 63)}.com`, longest,
    'a-b.c-d.example', 'xn--bcher-kva.example',
  ])('accepts %j', host => {
    expect(rejection(host)).toBeUndefined();
  });

  test('253 characters at most, labels of 63 at most', () => {
    expect(longest).toHaveLength(253);
    expect(rejection(`${longest}d`)).toMatch(NOT_A_NAME);
    expect(rejection(`${label('a', 64)}.com`)).toMatch(NOT_A_NAME);
  });

  test.each([
    ['', NOT_A_NAME], ['stripe.', NOT_A_NAME], ['localhost.', NOT_A_NAME], ['api.stripe.com.', NOT_A_NAME], ['api.stripe.com:443', NOT_A_NAME], ['example.123', NOT_A_NAME], ['a.1.2.3.4', NOT_A_NAME], ['-api.stripe.com', NOT_A_NAME],
    ['api_x.stripe.com', NOT_A_NAME], ['api..stripe.com', NOT_A_NAME], ['.stripe.com', NOT_A_NAME],
    // single labels with a character no name has: the grammar error, not the in-cluster one
    ['a b', NOT_A_NAME], ['a@b', NOT_A_NAME], ['a/b', NOT_A_NAME], ['a?b', NOT_A_NAME], ['a#b', NOT_A_NAME], ['a\tb', NOT_A_NAME], ['API', NOT_A_NAME],
    ['10.0.0.1', IP], ['1.2.3.4', IP], ['255.255.255.255', IP], ['fd00::1', IP], ['FD00::1', IP], ['[fd00::1]', IP], ['::1', IP],
    ['cafe', INTERNAL], ['stripe', INTERNAL], ['localhost', INTERNAL], ['database.data', INTERNAL], ['db.production', INTERNAL],
    ['db.data.svc', INTERNAL], ['db.data.svc.cluster.local', INTERNAL], ['printer.local', INTERNAL], ['app.localhost', INTERNAL], ['metadata.google.internal', INTERNAL],
    ['nas.localdomain', INTERNAL], ['router.home.arpa', INTERNAL], ['1.0.0.10.in-addr.arpa', INTERNAL], ['b.a.ip6.arpa', INTERNAL], ['svc.cluster.local', INTERNAL],
    ['*.stripe.com', WILDCARD], ['api.*', WILDCARD], ['*', WILDCARD],
  ])('rejects %j', (host, message) => {
    expect(rejection(host)).toMatch(message);
  });

  test.each([42, undefined, null, ['api.stripe.com']])('rejects %j (not a string) with the grammar error', host => {
    expect(rejection(host)).toMatch(NOT_A_NAME);
  });
});

describe('isInClusterHost', () => {
  test.each([
    'svc', 'SVC', 'localhost', 'localhost.', 'db.data', 'DB.Data', 'db.data.', 'db.production', 'db.data.svc', 'db.data.svc.', 'db.data.svc.cluster.local',
    'x.cluster.local', 'x.local', 'x.localhost', 'x.internal', 'x.localdomain', 'x.home.arpa', 'x.in-addr.arpa', 'x.ip6.arpa', 'X.INTERNAL',
  ])('%j is in the cluster or the private network', host => {
    expect(isInClusterHost(setup().graph, host)).toBe(true);
  });

  test.each([
    'stripe.com', 'api.stripe.com', 'db.other', 'db.data.com', 'data.db', 'x.svc.example.com', 'x.cluster.localx', 'localhost.example.com', 'local.example.com',
    'x.internalx', 'data.com', 'svc.com',
  ])('%j is not', host => {
    expect(isInClusterHost(setup().graph, host)).toBe(false);
  });
});

describe('parseUrl', () => {
  test('scheme and host lower-cased, port a number, path / by default', () => {
    expect(parseUrl('https://login.example.com')).toEqual({ scheme: 'https', host: 'login.example.com', port: undefined, path: '/' });
    expect(parseUrl('HTTP://Keycloak.Auth.svc:8080/realms/x/certs')).toEqual({ scheme: 'http', host: 'keycloak.auth.svc', port: 8080, path: '/realms/x/certs' });
    expect(parseUrl('https://a.b:65535/')).toEqual({ scheme: 'https', host: 'a.b', port: 65535, path: '/' });
    expect(parseUrl('https://a.b:0/x')!.port).toBe(0);
  });

  test.each([
    'ftp://a.b', 'https:/a.b', 'https//a.b', ' https://a.b', 'https://a.b ', 'https://a.b/x y', 'https://a.b/x?q=1', 'https://a.b/x#f', 'https://a.b:123456',
    'https://a.b:', 'https://user@a.b', 'https://a_b.c', 'https://', 'https://a.b:x', 'https://a.bx\n', 'xhttps://a.b', 'https://[::1]/',
  ])('%j is not an http(s) URL', value => {
    expect(parseUrl(value)).toBeUndefined();
  });
});
