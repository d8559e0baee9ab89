/**
 * The non-public destination ranges, written out from the IANA special-purpose registries (not
 * from the library's code): what every "public addresses only" rule must except or deny.
 *
 * @see https://www.iana.org/assignments/iana-ipv4-special-registry/
 * @see https://www.iana.org/assignments/iana-ipv6-special-registry/
 */
export const IANA_NON_PUBLIC_IPV4 = [
  '0.0.0.0/8', // "this network"
  '10.0.0.0/8', // private-use
  '100.64.0.0/10', // shared address space (carrier-grade NAT)
  '127.0.0.0/8', // loopback
  '169.254.0.0/16', // link local, cloud metadata 169.254.169.254
  '172.16.0.0/12', // private-use
  '192.0.0.0/24', // IETF protocol assignments
  '192.0.2.0/24', // documentation (TEST-NET-1)
  '192.88.99.0/24', // deprecated 6to4 relay anycast
  '192.168.0.0/16', // private-use
  '198.18.0.0/15', // benchmarking
  '198.51.100.0/24', // documentation (TEST-NET-2)
  '203.0.113.0/24', // documentation (TEST-NET-3)
  '224.0.0.0/4', // multicast
  '240.0.0.0/4', // reserved, limited broadcast
];

/** The same IPv4 ranges behind the NAT64 well-known prefix 64:ff9b::/96 (RFC 6052), by hand. */
const NAT64 = [
  '64:ff9b::/104', '64:ff9b::a00:0/104', '64:ff9b::6440:0/106', '64:ff9b::7f00:0/104', '64:ff9b::a9fe:0/112',
  '64:ff9b::ac10:0/108', '64:ff9b::c000:0/120', '64:ff9b::c000:200/120', '64:ff9b::c058:6300/120', '64:ff9b::c0a8:0/112',
  '64:ff9b::c612:0/111', '64:ff9b::c633:6400/120', '64:ff9b::cb00:7100/120', '64:ff9b::e000:0/100', '64:ff9b::f000:0/100',
];

export const IANA_NON_PUBLIC_IPV6 = [
  '::/128', // unspecified
  '::1/128', // loopback
  '64:ff9b:1::/48', // local-use IPv4/IPv6 translation
  ...NAT64,
  '100::/64', // discard-only
  '2001:2::/48', // benchmarking
  '2001:db8::/32', // documentation
  '3fff::/20', // documentation
  '5f00::/16', // segment routing SIDs
  'fc00::/7', // unique local, AWS metadata fd00:ec2::254
  'fe80::/10', // link-local
  'fec0::/10', // deprecated site-local
  'ff00::/8', // multicast
];

/** Addresses a public name may resolve to (or be rebound to) that must stay closed. */
export const NON_PUBLIC_SAMPLES = [
  '169.254.169.254', '169.254.170.2', 'fd00:ec2::254', '10.1.2.3', '100.64.0.1', '127.0.0.1', '192.168.1.1', '172.31.0.1',
  '0.1.2.3', '192.0.0.170', '198.18.0.1', '240.0.0.1', '255.255.255.255', '::1', '::', 'fe80::1', 'fd12:3456::1',
  '64:ff9b::a9fe:a9fe', '64:ff9b::a01:203', '64:ff9b:1::a01:203', 'ff02::1',
];

/** Public addresses (including 8.8.8.8 behind NAT64) that stay open. */
export const PUBLIC_SAMPLES = ['54.187.174.169', '8.8.8.8', '2600:1f14::1', '64:ff9b::808:808', '2606:4700::1111'];
