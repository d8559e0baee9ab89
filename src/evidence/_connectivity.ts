import { Cluster } from './_cluster';
import { Jwt, Pod, podRef, Request, samplePath } from './_model';
import { cidrRange, External, intToIpv4 } from './_network-policy';

/**
 * One line of np-guard netpol-analyzer's `list -o json` output: `src` and `dst` are
 * `<namespace>/<name>[<Kind>]` or an IPv4 range `a.b.c.d-e.f.g.h`, `conn` is `All Connections`
 * or protocols with ports and ranges (`TCP 8080,9090,UDP 53`).
 */
export interface ConnectivityLine {
  readonly src: string;
  readonly dst: string;
  readonly conn: string;
}

const ALL = 'All Connections';
const PROTOCOLS = ['TCP', 'UDP', 'SCTP'] as const;
/** Ports no pod declares: a layer that opens them opens every port. */
const WIDE_PROBES: Array<{ port: number; protocol: 'TCP' | 'UDP' | 'SCTP' }> = [
  { port: 1, protocol: 'TCP' }, { port: 65535, protocol: 'TCP' }, { port: 1, protocol: 'UDP' }, { port: 1, protocol: 'SCTP' },
];

/**
 * The connections every layer allows, in netpol-analyzer's shape: for every pair of pods, the
 * ports of the destination some request gets through on (a plain connection, or an HTTP request
 * with the methods, paths, tokens and headers the destination's policies mention); `All
 * Connections` when undeclared ports and other protocols get through too. Outside addresses are
 * the IPv4 ranges the NetworkPolicies' ipBlocks cut 0.0.0.0/0 into, decided by the L3/L4 layer.
 * Sorted by src, dst.
 */
export function connectivity(cluster: Cluster, manifests: any[]): ConnectivityLine[] {
  const lines: ConnectivityLine[] = [];
  const tokens = probeTokens(manifests);
  const ranges = externalRanges(cluster.networkPolicies.cidrs());
  for (const to of cluster.pods) {
    const byNetwork = cluster.networkCandidates(to);
    const byMesh = cluster.meshCandidates(to);
    const bounded = [byNetwork, byMesh].filter((s): s is Pod[] => s !== 'any');
    const sources = bounded.length ? bounded.reduce((a, b) => (b.length < a.length ? b : a)) : cluster.pods;
    for (const from of sources) {
      if (from === to) continue;
      const conn = connection(cluster, from, to, tokens);
      if (conn) lines.push({ src: podRef(from), dst: podRef(to), conn });
    }
    for (const [start, end] of ranges) {
      const ip: External = { ip: intToIpv4(start) };
      const inbound = l4Connection(cluster, ip, to, to.ports ?? []);
      if (inbound) lines.push({ src: `${intToIpv4(start)}-${intToIpv4(end)}`, dst: podRef(to), conn: inbound });
      const outbound = l4Connection(cluster, to, ip, []);
      if (outbound) lines.push({ src: podRef(to), dst: `${intToIpv4(start)}-${intToIpv4(end)}`, conn: outbound });
    }
  }
  return sortLines(lines);
}

/** Sorted as netpol-analyzer sorts its list: by src, then dst, as byte strings (Go's `<` on strings). */
export function sortLines(lines: ConnectivityLine[]): ConnectivityLine[] {
  return lines.sort((a, b) => compare(a.src, b.src) || compare(a.dst, b.dst));
}

/** The connection `from` may open to `to`, or undefined. */
export function connection(cluster: Cluster, from: Pod, to: Pod, tokens: Jwt[]): string | undefined {
  const opens = (p: { port: number; protocol: string }) => cluster.verdict(from, to, { port: p.port, protocol: p.protocol as any }).allowed;
  if (WIDE_PROBES.every(opens) && (to.ports ?? []).every(opens)) {
    return ALL;
  }
  const open = (to.ports ?? []).filter(p => probeRequests(cluster, to, p.port, tokens)
    .some(r => cluster.verdict(from, to, { ...r, protocol: p.protocol as any }).allowed));
  return open.length ? format(open) : undefined;
}

function l4Connection(cluster: Cluster, from: Pod | External, to: Pod | External, ports: NonNullable<Pod['ports']>): string | undefined {
  if (WIDE_PROBES.every(p => cluster.l4(from, to, p).allowed)) return ALL;
  const candidates = ports.length ? ports : cluster.networkPolicies.mentionedPorts();
  const open = candidates.filter(p => cluster.l4(from, to, { port: p.port, protocol: p.protocol as any }).allowed);
  return open.length ? format(open) : undefined;
}

/** A plain connection, then HTTP requests built from what the destination's policies (its own, its waypoint's) mention. */
export function probeRequests(cluster: Cluster, to: Pod, port: number, tokens: Jwt[]): Request[] {
  const out: Request[] = [{ port }];
  if (to.mesh === 'none' && !cluster.cilium.present) return out;
  const methods = new Set(['GET']);
  const paths = new Set(['/']);
  const headers: Array<Record<string, string> | undefined> = [undefined];
  const claims: Array<Record<string, string> | undefined> = [undefined];
  const wp = to.mesh === 'ambient' ? cluster.waypointFor(to, port) : undefined;
  for (const p of [...cluster.istio.boundToWorkload(to), ...wp ? cluster.istio.boundToWaypoint(wp.pod, to.namespace, wp.service) : []]) {
    for (const rule of p.spec?.rules ?? []) {
      for (const t of rule.to ?? []) {
        (t.operation?.methods ?? []).forEach((m: string) => methods.add(m));
        (t.operation?.paths ?? []).forEach((x: string) => paths.add(samplePath(x)));
      }
      const h: Record<string, string> = {};
      const c: Record<string, string> = {};
      for (const w of rule.when ?? []) {
        const header = /^request\.headers\[([^\]]+)\]$/.exec(w.key);
        const claim = /^request\.auth\.claims\[([^\]]+)\]$/.exec(w.key);
        if (header && w.values?.length) h[header[1].toLowerCase()] = w.values[0];
        if (claim && w.values?.length) c[claim[1]] = w.values[0];
      }
      if (Object.keys(h).length) headers.push(h);
      if (Object.keys(c).length) claims.push(c);
    }
  }
  for (const { spec } of cluster.cilium.forPod(to)) {
    for (const rule of spec.ingress ?? []) {
      for (const tp of rule.toPorts ?? []) {
        for (const h of tp.rules?.http ?? []) {
          if (h.method && /^[A-Z]+$/.test(h.method)) methods.add(h.method);
          if (h.path && /^[/A-Za-z0-9._~-]+$/.test(h.path)) paths.add(h.path);
          if (h.headerMatches?.length) headers.push(Object.fromEntries(h.headerMatches.map((m: any) => [String(m.name).toLowerCase(), m.value])));
        }
      }
    }
  }
  const jwts: Array<Jwt | undefined> = [undefined, ...tokens];
  for (const method of methods) {
    for (const path of paths) {
      for (const header of headers) {
        for (const jwt of jwts) {
          for (const claim of jwt ? claims : [undefined]) {
            out.push({ port, method, path, headers: header, ...jwt ? { jwt: { ...jwt, claims: claim } } : {} });
          }
        }
      }
    }
  }
  return out;
}

/** A token per issuer the RequestAuthentications accept, with the audiences they accept. */
export function probeTokens(manifests: any[]): Jwt[] {
  const byIssuer = new Map<string, string[]>();
  for (const ra of manifests.filter(m => m?.kind === 'RequestAuthentication')) {
    for (const r of ra.spec?.jwtRules ?? []) byIssuer.set(r.issuer, [...byIssuer.get(r.issuer) ?? [], ...r.audiences ?? []]);
  }
  return [...byIssuer].map(([iss, aud]) => ({ iss, sub: 'probe-user', aud }));
}

/**
 * `TCP 80,443,UDP 53`, as netpol-analyzer's `ConnStrFromConnProperties` writes it: one
 * `<PROTOCOL> <ports>` string per protocol, the strings sorted (Go `sort.Strings`: `SCTP` <
 * `TCP` < `UDP`) and joined by commas; ports ascending, consecutive ports as `a-b` ranges.
 */
export function format(ports: ReadonlyArray<{ port: number; protocol: string }>): string {
  return PROTOCOLS.flatMap(proto => {
    const list = [...new Set(ports.filter(p => p.protocol === proto).map(p => p.port))].sort((a, b) => a - b);
    if (!list.length) return [];
    const parts: string[] = [];
    for (let i = 0; i < list.length; i++) {
      let j = i;
      while (j + 1 < list.length && list[j + 1] === list[j] + 1) j++;
      parts.push(i === j ? String(list[i]) : `${list[i]}-${list[j]}`);
      i = j;
    }
    return [`${proto} ${parts.join(',')}`];
  }).sort(compare).join(',');
}

/** 0.0.0.0/0 cut at every CIDR boundary: ranges whose addresses every policy treats alike. */
export function externalRanges(cidrs: string[]): Array<[number, number]> {
  const cuts = new Set<number>([0, 2 ** 32]);
  for (const c of cidrs) {
    const r = cidrRange(c);
    if (r) { cuts.add(r[0]); cuts.add(r[1] + 1); }
  }
  const sorted = [...cuts].sort((a, b) => a - b);
  return sorted.slice(0, -1).map((start, i) => [start, sorted[i + 1] - 1]);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
