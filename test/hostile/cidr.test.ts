import { BlockList, isIP } from 'net';
import { Testing } from 'cdk8s';
import * as fc from 'fast-check';
import { hostile, rejection, RUNS } from './_hostile';
import { AccessProxy, ZeroTrustNamespace } from '../../src';
import { cidrProblem, NON_PUBLIC_IPV4, NON_PUBLIC_IPV6 } from '../../src/intent/_cidr';
import { IANA_NON_PUBLIC_IPV4, IANA_NON_PUBLIC_IPV6, NON_PUBLIC_SAMPLES, PUBLIC_SAMPLES } from '../support/iana-ranges';

/** Node's own address matcher (an implementation independent of the library's parser). */
function blockList(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [address, prefix] = cidr.split('/');
    list.addSubnet(address, Number(prefix), isIP(address) === 4 ? 'ipv4' : 'ipv6');
  }
  return list;
}
const denied = blockList([...NON_PUBLIC_IPV4, ...NON_PUBLIC_IPV6]);
const deniedOf = (address: string) => denied.check(address, isIP(address) === 4 ? 'ipv4' : 'ipv6');
const v4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255));
const hex = (a: number, b: number) => (a * 256 + b).toString(16);

describe('non-public ranges (egress by name: NetworkPolicy except lists and Cilium egressDeny)', () => {
  test('are the IANA special-purpose ranges that are not globally reachable, and their NAT64 forms', () => {
    expect(NON_PUBLIC_IPV4).toEqual(IANA_NON_PUBLIC_IPV4);
    expect(NON_PUBLIC_IPV6).toEqual(IANA_NON_PUBLIC_IPV6);
  });

  test('cover the metadata endpoints, private, CGNAT, loopback, link-local and NAT64 addresses, not public ones', () => {
    for (const address of NON_PUBLIC_SAMPLES) expect([address, deniedOf(address)]).toEqual([address, true]);
    for (const address of PUBLIC_SAMPLES) expect([address, deniedOf(address)]).toEqual([address, false]);
  });

  test('an IPv4 address is denied exactly when its NAT64 and IPv4-mapped forms are', () => {
    fc.assert(fc.property(v4, ([a, b, c, d]) => {
      const ip = `${a}.${b}.${c}.${d}`;
      // ::ffff:a.b.c.d leaves the pod as IPv4, so the IPv4 list covers it (Node maps it the same way)
      expect(deniedOf(`64:ff9b::${hex(a, b)}:${hex(c, d)}`)).toBe(deniedOf(ip));
      expect(deniedOf(`::ffff:${ip}`)).toBe(deniedOf(ip));
    }), { ...RUNS, numRuns: 500 });
  });

  test('every listed CIDR is canonical and passes the library\'s own CIDR check (Kubernetes and Cilium accept it)', () => {
    for (const cidr of [...NON_PUBLIC_IPV4, ...NON_PUBLIC_IPV6]) expect([cidr, cidrProblem(cidr)]).toEqual([cidr, undefined]);
    // ::ffff:0:0/96 is not listed: Go's net package reads it as 0.0.0.0/0
    expect(NON_PUBLIC_IPV6).not.toContain('::ffff:0:0/96');
  });
});

describe('CIDR props', () => {
  test('accepts exactly what Node parses as an address with a prefix, no host bits, not IPv4-mapped', () => {
    expect(cidrProblem('203.0.113.0/24')).toBeUndefined();
    expect(cidrProblem('2001:db8::/32')).toBeUndefined();
    expect(cidrProblem('0.0.0.0/0')).toBeUndefined();
    expect(cidrProblem('999.1.1.1/8')).toMatch(/is not an IPv4 or IPv6 CIDR/);
    expect(cidrProblem('1:2:3:4:5:6:7:8:9/64')).toMatch(/is not an IPv4 or IPv6 CIDR/);
    expect(cidrProblem('12345::/16')).toMatch(/is not an IPv4 or IPv6 CIDR/);
    expect(cidrProblem('fe80::1%eth0/64')).toMatch(/is not an IPv4 or IPv6 CIDR/);
    expect(cidrProblem('10.0.0.1/8')).toMatch(/host bits/);
    expect(cidrProblem('2001:db8::1/32')).toMatch(/host bits/);
    expect(cidrProblem('::ffff:10.0.0.0/104')).toMatch(/IPv4-mapped/);
    expect(cidrProblem('::ffff:a00:0/104')).toMatch(/IPv4-mapped/);
    expect(cidrProblem('010.0.0.0/8')).toMatch(/is not an IPv4 or IPv6 CIDR/);
    expect(cidrProblem('10.0.0.0/08')).toMatch(/is not an IPv4 or IPv6 CIDR/);
    expect(cidrProblem(10)).toMatch(/must be a string, got number/);
  });

  test('hostile strings: accepted only when Node\'s BlockList reads the same network', () => {
    fc.assert(fc.property(fc.oneof(hostile, v4.map(([a, b, c, d]) => `${a}.${b}.${c}.${d}/${(a + d) % 33}`)), (value) => {
      if (cidrProblem(value) !== undefined) return;
      const [address, prefix] = value.split('/');
      const family = isIP(address) === 4 ? 'ipv4' : 'ipv6';
      const list = new BlockList();
      list.addSubnet(address, Number(prefix), family);
      expect(list.check(address, family)).toBe(true);
    }), RUNS);
  });

  test('AccessProxy.allowedSourceRanges: a bad CIDR is the library\'s error naming the entry', () => {
    fc.assert(fc.property(hostile, (value) => {
      const chart = Testing.chart();
      const ns = new ZeroTrustNamespace(chart, 'edge');
      const jwt = { issuer: 'https://login.example.com', jwksUri: 'https://login.example.com/jwks.json', audiences: ['shop'] };
      const message = rejection(() => new AccessProxy(chart, 'proxy', {
        namespace: ns, hostnames: ['app.example.com'], tlsSecretName: 'tls', jwt, allowedSourceRanges: [value],
      }), /^\[test\/proxy\]/);
      if (message !== undefined) expect(message).toMatch(/invalid allowedSourceRanges\[0\]/);
      else expect(cidrProblem(value)).toBeUndefined();
    }), RUNS);
  });
});
