import { Pod, PodIndex, Selector, SelectorIndex, selectorMatches } from './_model';

/**
 * Kubernetes NetworkPolicy (networking.k8s.io/v1), from the API reference and the
 * kubernetes.io "Network Policies" concept page:
 * - a pod selected by any policy whose `policyTypes` include a direction is isolated in that
 *   direction (`policyTypes` defaults to Ingress, plus Egress when `egress` is set);
 * - an isolated pod accepts what the union of those policies' rules allows; a connection needs
 *   the source's egress AND the destination's ingress;
 * - a rule without `from`/`to` matches every peer, without `ports` every port; a peer's
 *   `namespaceSelector` and `podSelector` in one element are ANDed; a `podSelector` alone
 *   selects in the policy's namespace; `ipBlock` matches addresses outside the pod network;
 * - a port is a number or a named container port (of the destination pod), optionally a range
 *   up to `endPort`; protocol defaults to TCP.
 */
export type Direction = 'Ingress' | 'Egress';

/** An address outside the pod network (IPv4). */
export interface External {
  readonly ip: string;
}

export type Peer = Pod | External;

export function isExternal(peer: Peer): peer is External {
  return (peer as External).ip !== undefined;
}

export class NetworkPolicies {
  private readonly selectors = new SelectorIndex<any>();

  public constructor(private readonly policies: any[], private readonly index: PodIndex,
    private readonly namespaceLabels: Map<string, Record<string, string>>) {
    for (const np of policies) this.selectors.add(np, np.metadata?.namespace ?? 'default', np.spec?.podSelector);
  }

  /** The policies selecting `pod` for `direction` (empty: the pod is not isolated). */
  public selecting(pod: Pod, direction: Direction): any[] {
    return this.selectors.lookup(pod, pod.namespace, pod.labels).filter(np => policyTypes(np).includes(direction));
  }

  /**
   * Whether `direction` of `subject` admits `peer` on `port`: `dst` is the pod that receives
   * (the subject for Ingress, the peer for Egress) and resolves named ports.
   */
  public admits(direction: Direction, subject: Pod, peer: Peer, port: number, protocol: string): { allowed: boolean; by: string[] } {
    const selecting = this.selecting(subject, direction);
    if (selecting.length === 0) return { allowed: true, by: [] };
    const dst = direction === 'Ingress' ? subject : isExternal(peer) ? undefined : peer;
    const by = selecting.filter(np => (np.spec?.[direction === 'Ingress' ? 'ingress' : 'egress'] ?? []).some((rule: any) =>
      this.peersMatch(rule[direction === 'Ingress' ? 'from' : 'to'], np.metadata?.namespace ?? 'default', peer)
      && portsMatch(rule.ports, port, protocol, dst)));
    return { allowed: by.length > 0, by: by.map(ref) };
  }

  /** Both directions allow a connection from pod `from` to pod `to`. */
  public allows(from: Pod, to: Pod, port: number, protocol: string = 'TCP'): boolean {
    return this.admits('Egress', from, to, port, protocol).allowed && this.admits('Ingress', to, from, port, protocol).allowed;
  }

  /**
   * The pods `subject`'s `direction` rules can admit at all (before ports), or 'any' when the
   * subject is not isolated or a rule admits every pod. Costs the size of the answer.
   */
  public candidatePeers(subject: Pod, direction: Direction): Pod[] | 'any' {
    const selecting = this.selecting(subject, direction);
    if (selecting.length === 0) return 'any';
    const found = new Set<Pod>();
    for (const np of selecting) {
      const ns = np.metadata?.namespace ?? 'default';
      for (const rule of np.spec?.[direction === 'Ingress' ? 'ingress' : 'egress'] ?? []) {
        const peers = rule[direction === 'Ingress' ? 'from' : 'to'];
        if (peers === undefined || peers.length === 0) return 'any';
        for (const peer of peers) {
          if (peer.ipBlock) continue;
          const pods = peer.namespaceSelector
            ? this.index.select(peer.podSelector).filter(p => selectorMatches(peer.namespaceSelector, this.nsLabels(p.namespace)))
            : this.index.select(peer.podSelector, ns);
          pods.forEach(p => found.add(p));
        }
      }
    }
    return [...found];
  }

  /** Every ipBlock CIDR (and exception) the policies mention. */
  public cidrs(): string[] {
    const out: string[] = [];
    for (const np of this.policies) {
      for (const rule of [...np.spec?.ingress ?? [], ...np.spec?.egress ?? []]) {
        for (const peer of [...rule.from ?? [], ...rule.to ?? []]) {
          if (peer.ipBlock) out.push(peer.ipBlock.cidr, ...(peer.ipBlock.except ?? []));
        }
      }
    }
    return out;
  }

  /** Every numeric port (with protocol) the policies' rules mention. */
  public mentionedPorts(): Array<{ port: number; protocol: string }> {
    const seen = new Map<string, { port: number; protocol: string }>();
    for (const np of this.policies) {
      for (const rule of [...np.spec?.ingress ?? [], ...np.spec?.egress ?? []]) {
        for (const p of rule.ports ?? []) {
          if (p.port !== undefined && /^\d+$/.test(String(p.port))) seen.set(`${p.protocol ?? 'TCP'}/${p.port}`, { port: Number(p.port), protocol: p.protocol ?? 'TCP' });
        }
      }
    }
    return [...seen.values()];
  }

  private nsLabels(namespace: string): Record<string, string> {
    return this.namespaceLabels.get(namespace) ?? { 'kubernetes.io/metadata.name': namespace };
  }

  private peersMatch(peers: any[] | undefined, policyNamespace: string, peer: Peer): boolean {
    if (peers === undefined || peers.length === 0) return true;
    return peers.some(p => {
      if (isExternal(peer)) return p.ipBlock !== undefined && ipBlockMatches(p.ipBlock, peer.ip);
      if (p.ipBlock) return false; // pod traffic is matched by selectors (pod IPs are not known here)
      const nsOk = p.namespaceSelector
        ? selectorMatches(p.namespaceSelector as Selector, this.nsLabels(peer.namespace))
        : peer.namespace === policyNamespace;
      return nsOk && selectorMatches(p.podSelector, peer.labels);
    });
  }
}

export function policyTypes(np: any): Direction[] {
  return np.spec?.policyTypes ?? (np.spec?.egress ? ['Ingress', 'Egress'] : ['Ingress']);
}

/** A port entry matches: protocol (default TCP) and number, range or named port of `dst`. */
export function portsMatch(ports: any[] | undefined, port: number, protocol: string, dst: Pod | undefined): boolean {
  if (ports === undefined || ports.length === 0) return true;
  return ports.some(p => {
    if ((p.protocol ?? 'TCP') !== protocol) return false;
    if (p.port === undefined || p.port === null) return true;
    if (typeof p.port === 'string' && !/^\d+$/.test(p.port)) {
      return dst !== undefined && (dst.ports ?? []).some(cp => cp.name === p.port && cp.port === port && cp.protocol === protocol);
    }
    const start = Number(p.port);
    return start === port || (p.endPort !== undefined && port >= start && port <= p.endPort);
  });
}

function ref(o: any): string {
  return `${o.kind}/${o.metadata?.namespace ?? 'default'}/${o.metadata?.name}`;
}

export function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}

export function intToIpv4(n: number): string {
  return [24, 16, 8, 0].map(s => Math.floor(n / 2 ** s) % 256).join('.');
}

/** The first and last address of an IPv4 CIDR, or undefined for IPv6. */
export function cidrRange(cidr: string): [number, number] | undefined {
  if (cidr.includes(':')) return undefined;
  const [base, bits] = cidr.split('/');
  const size = 2 ** (32 - Number(bits ?? 32));
  const start = Math.floor(ipv4ToInt(base) / size) * size;
  return [start, start + size - 1];
}

/**
 * Whether `cidr` contains the address `ip`, IPv4 or IPv6 (RFC 4291 text forms, `::`
 * compression); a block of the other family never matches.
 */
export function cidrContains(cidr: string, ip: string): boolean {
  if (!cidr.includes(':') && !ip.includes(':')) {
    const range = cidrRange(cidr);
    if (!range) return false;
    const value = ipv4ToInt(ip);
    return value >= range[0] && value <= range[1];
  }
  const [net, len] = cidr.split('/');
  const a = ipv6Bits(ip);
  const n = ipv6Bits(net);
  if (!a || !n) return false;
  const bits = len === undefined ? 128 : Number(len);
  return a.slice(0, bits) === n.slice(0, bits);
}

/** An IPv6 address as 128 bits, or undefined when it is not one. */
function ipv6Bits(address: string): string | undefined {
  if (!/^[0-9a-f:]+$/i.test(address) || address.split('::').length > 2) return undefined;
  const [head, tail] = address.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = address.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  if (groups.length !== 8 || groups.some(g => g.length === 0 || g.length > 4)) return undefined;
  return groups.map(g => parseInt(g, 16).toString(2).padStart(16, '0')).join('');
}

export function ipBlockMatches(block: { cidr: string; except?: string[] }, ip: string): boolean {
  return cidrContains(block.cidr, ip) && !(block.except ?? []).some(e => cidrContains(e, ip));
}
