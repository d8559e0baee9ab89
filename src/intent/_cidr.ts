import { isIP } from 'net';
import { IConstruct } from 'constructs';
import { invalid } from './_validation';

/** A parsed CIDR: its family, the 4 or 16 address bytes and the prefix length. @internal */
export interface Cidr {
  readonly family: 4 | 6;
  readonly bytes: number[];
  readonly prefix: number;
}

/**
 * Parses `a.b.c.d/n` or `<IPv6>/n` (no zone, no leading zeros in IPv4 octets), or returns
 * undefined. The address part is checked by Node's own parser (`net.isIP`).
 *
 * @internal
 */
export function parseCidr(value: unknown): Cidr | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^([0-9A-Fa-f:.]+)\/(0|[1-9]\d{0,2})$/.exec(value);
  if (!m) return undefined;
  const family = isIP(m[1]);
  const prefix = Number(m[2]);
  if (family === 4 && prefix <= 32) return { family, bytes: m[1].split('.').map(Number), prefix };
  if (family === 6 && prefix <= 128) return { family, bytes: ipv6Bytes(m[1]), prefix };
  return undefined;
}

function ipv6Bytes(address: string): number[] {
  let text = address;
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number);
    text = `${text.slice(0, v4.index)}${(a * 256 + b).toString(16)}:${(c * 256 + d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const groups = (s: string) => (s === '' ? [] : s.split(':').map(g => parseInt(g, 16)));
  const h = groups(head);
  const t = tail === undefined ? [] : groups(tail);
  const all = [...h, ...new Array(8 - h.length - t.length).fill(0), ...t];
  return all.flatMap(g => [Math.floor(g / 256), g % 256]);
}

/** Whether the bits after the prefix are all zero. @internal */
export function hostBitsClear(cidr: Cidr): boolean {
  return cidr.bytes.every((byte, i) => {
    const kept = Math.max(0, Math.min(8, cidr.prefix - 8 * i));
    return byte % 2 ** (8 - kept) === 0;
  });
}

/** An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`). */
function isIpv4Mapped(cidr: Cidr): boolean {
  return cidr.family === 6 && cidr.bytes.slice(0, 10).every(b => b === 0) && cidr.bytes[10] === 0xff && cidr.bytes[11] === 0xff;
}

/** The canonical text of an IPv6 address (RFC 5952: lower case, longest zero run as `::`). @internal */
export function formatIpv6(bytes: number[]): string {
  const groups = [0, 1, 2, 3, 4, 5, 6, 7].map(i => bytes[2 * i] * 256 + bytes[2 * i + 1]);
  let best = { at: -1, len: 0 };
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.len && j - i >= 2) best = { at: i, len: j - i };
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map(g => g.toString(16));
  if (best.at < 0) return hex.join(':');
  return `${hex.slice(0, best.at).join(':')}::${hex.slice(best.at + best.len).join(':')}`;
}

/** Limits of a CIDR prop. @internal */
export interface CidrRules {
  /** The shortest IPv4 prefix accepted. @default 0 */
  readonly minPrefix4?: number;
  /** The shortest IPv6 prefix accepted. @default 0 */
  readonly minPrefix6?: number;
}

/**
 * Why `value` is not a CIDR Kubernetes, Istio and Cilium read the same way, or undefined:
 * an IPv4 or IPv6 address (checked by Node's parser) and a prefix length, no host bits set (the
 * components disagree on what `10.0.0.1/8` means), not in the IPv4-mapped IPv6 form
 * (`::ffff:10.0.0.0/104`, which Go's `net` package reads as the IPv4 CIDR `10.0.0.0/8` and
 * Kubernetes 1.33+ rejects).
 *
 * @internal
 */
export function cidrProblem(value: unknown, rules: CidrRules = {}): string | undefined {
  if (typeof value !== 'string') return `must be a string, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`;
  const cidr = parseCidr(value);
  if (!cidr) return 'is not an IPv4 or IPv6 CIDR (address/prefix length)';
  if (isIpv4Mapped(cidr)) return 'is an IPv4-mapped IPv6 CIDR, which Kubernetes and Go read as an IPv4 CIDR: write the IPv4 CIDR';
  if (!hostBitsClear(cidr)) return 'has host bits set after the prefix length, which the components read differently';
  const min = cidr.family === 4 ? rules.minPrefix4 ?? 0 : rules.minPrefix6 ?? 0;
  if (cidr.prefix < min) return `has a prefix shorter than /${min}`;
  return undefined;
}

/**
 * Checks one CIDR (see {@link cidrProblem}) and returns it.
 *
 * @internal
 */
export function checkCidr(scope: IConstruct, prop: string, value: unknown, rules: CidrRules = {}): string {
  const problem = cidrProblem(value, rules);
  if (problem) {
    const limits = rules.minPrefix4 || rules.minPrefix6 ? ` of IPv4 /${rules.minPrefix4 ?? 0} to /32 or IPv6 /${rules.minPrefix6 ?? 0} to /128 (never a catch-all such as 0.0.0.0/0 or ::/0)` : '';
    invalid(scope, prop, value, `must be an IPv4 or IPv6 CIDR with no host bits set${limits}, but it ${problem}`, 'for example \'203.0.113.0/24\' or \'2001:db8::/32\'');
  }
  return value as string;
}

/**
 * Checks a list of CIDRs (see {@link cidrProblem}) and returns them sorted, without duplicates.
 *
 * @internal
 */
export function checkCidrList(scope: IConstruct, prop: string, values: unknown, rules: CidrRules = {}): string[] {
  if (!Array.isArray(values) || values.length === 0) {
    invalid(scope, prop, values, 'must be a non-empty array of CIDR strings', 'for example [\'203.0.113.0/24\']');
  }
  values.forEach((cidr, i) => checkCidr(scope, `${prop}[${i}]`, cidr, rules));
  return [...new Set(values as string[])].sort();
}

/**
 * IPv4 ranges that are never a public destination: every entry of the IANA IPv4 Special-Purpose
 * Address Registry that is not globally reachable ("this network", RFC 1918 private, carrier-grade
 * NAT, loopback, link-local with the cloud metadata endpoint 169.254.169.254, IETF protocol
 * assignments, documentation, benchmarking, reserved, limited broadcast), the deprecated 6to4
 * relay anycast, and multicast (never a TCP destination).
 *
 * @see https://www.iana.org/assignments/iana-ipv4-special-registry/
 * @internal
 */
export const NON_PUBLIC_IPV4: readonly string[] = [
  '0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12',
  '192.0.0.0/24', '192.0.2.0/24', '192.88.99.0/24', '192.168.0.0/16', '198.18.0.0/15',
  '198.51.100.0/24', '203.0.113.0/24', '224.0.0.0/4', '240.0.0.0/4',
];

/**
 * The NAT64 well-known prefix (RFC 6052) applied to an IPv4 CIDR: a NAT64 gateway (in the
 * cluster's own network, on IPv6-only clusters) turns `64:ff9b::a9fe:a9fe` into 169.254.169.254.
 */
function nat64(cidr: string): string {
  const v4 = parseCidr(cidr)!;
  const bytes = [0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0, ...v4.bytes];
  return `${formatIpv6(bytes)}/${96 + v4.prefix}`;
}

/**
 * IPv6 ranges that are never a public destination: the entries of the IANA IPv6 Special-Purpose
 * Address Registry that are not globally reachable (unspecified, loopback, local-use NAT64,
 * discard-only, benchmarking, documentation, SRv6 SIDs, unique local with the AWS metadata
 * endpoint fd00:ec2::254, link-local), deprecated site-local, multicast, and the NAT64
 * well-known-prefix form of every {@link NON_PUBLIC_IPV4} range.
 *
 * The IPv4-mapped range `::ffff:0:0/96` is not listed on purpose: a pod's connection to
 * `::ffff:a.b.c.d` leaves as IPv4 and meets the IPv4 list, while the CIDR itself is read as
 * `0.0.0.0/0` by Go's `net` package (Kubernetes rejects it as an `except` of `::/0`, and a deny
 * of it could deny every IPv4 destination).
 *
 * @see https://www.iana.org/assignments/iana-ipv6-special-registry/
 * @internal
 */
export const NON_PUBLIC_IPV6: readonly string[] = [
  '::/128', '::1/128', '64:ff9b:1::/48', ...NON_PUBLIC_IPV4.map(nat64), '100::/64', '2001:2::/48',
  '2001:db8::/32', '3fff::/20', '5f00::/16', 'fc00::/7', 'fe80::/10', 'fec0::/10', 'ff00::/8',
];
