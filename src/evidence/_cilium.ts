import { Pod, PodIndex, Request, Selector, SelectorIndex, selectorMatches } from './_model';
import { cidrContains, Direction, External, ipBlockMatches, isExternal, Peer } from './_network-policy';

/**
 * Cilium's policy language (docs.cilium.io "Layer 3", "Layer 4", "Layer 7" and "DNS based"
 * pages, CiliumNetworkPolicy CRD):
 * - endpoints carry their pod labels (source `k8s:`), `io.kubernetes.pod.namespace`,
 *   `io.cilium.k8s.policy.serviceaccount` and `io.cilium.k8s.namespace.labels.<key>`; a selector
 *   key without source prefix matches any source;
 * - a namespaced policy selects endpoints of its namespace, and its `fromEndpoints`/`toEndpoints`
 *   select in its namespace unless they name `io.kubernetes.pod.namespace`;
 * - an endpoint selected for a direction (a policy with that section, unless
 *   `enableDefaultDeny` turns it off) is default-deny there, and Kubernetes NetworkPolicies and
 *   Cilium policies are ONE policy: the union of their rules allows, deny rules win;
 * - `toPorts` with `rules.http` admits only requests whose method and path regular expressions
 *   match in full (and whose headers match); a rule without L7 rules on the same port admits
 *   every request (L7 wildcard);
 * - `toFQDNs` allows a name only once Cilium's DNS proxy saw its resolution: the endpoint needs
 *   a DNS rule (`rules.dns`) on port 53 toward the resolver that matches the name;
 * - entities: `world` (outside the cluster), `cluster`, `all`.
 */
export interface CiliumAdmission {
  /** Some matching rule admits every request on the port. */
  readonly l4: boolean;
  /** HTTP rules of matching L7 rules (any one must match the request). */
  readonly http: any[];
  readonly by: string[];
}

const NS = 'io.kubernetes.pod.namespace';

/** Whether an admission lets `request` through (L7 rules need an HTTP request matching one). */
export function ciliumPasses(a: CiliumAdmission, request: Request): boolean {
  if (a.l4) return true;
  if (request.method === undefined) return false;
  const full = (re: string, value: string | undefined) => value !== undefined && new RegExp(`^(?:${re})$`).test(value);
  return a.http.some(h => (h.method === undefined || h.method === '' || full(h.method, request.method))
    && (h.path === undefined || h.path === '' || full(h.path, request.path))
    && (h.headerMatches ?? []).every((hm: any) => request.headers?.[String(hm.name).toLowerCase()] === hm.value)
    && (h.headers ?? []).every((line: string) => {
      const [name, ...rest] = line.split(':');
      const value = rest.join(':').trim();
      const actual = request.headers?.[name.trim().toLowerCase()];
      return value === '' ? actual !== undefined : actual === value;
    }));
}


export class CiliumPolicies {
  public readonly present: boolean;
  private readonly policies: Array<{ object: any; spec: any }>;
  private readonly bySelector = new SelectorIndex<{ object: any; spec: any }>();
  private readonly endpointLabelsOf = new WeakMap<Pod, Record<string, string>>();

  public constructor(manifests: any[], private readonly index: PodIndex, private readonly namespaceLabels: Map<string, Record<string, string>>) {
    const objects = manifests.filter(m => (m?.kind === 'CiliumNetworkPolicy' || m?.kind === 'CiliumClusterwideNetworkPolicy')
      && String(m.apiVersion).startsWith('cilium.io/'));
    this.present = objects.length > 0;
    this.policies = objects.flatMap(o => [...o.spec ? [o.spec] : [], ...o.specs ?? []].map((spec: any) => ({ object: o, spec })));
    for (const p of this.policies) {
      const { selector, namespace } = this.normalize(p.object, p.spec.endpointSelector ?? {});
      this.bySelector.add(p, namespace, selector);
    }
  }

  /** The policies whose endpointSelector selects `pod`. */
  public forPod(pod: Pod): Array<{ object: any; spec: any }> {
    return this.bySelector.lookup(pod, pod.namespace, this.endpointLabels(pod));
  }

  /** Cilium's labels of a pod's endpoint, without source prefixes (computed once per pod). */
  public endpointLabels(pod: Pod): Record<string, string> {
    let labels = this.endpointLabelsOf.get(pod);
    if (!labels) {
      labels = this.computeEndpointLabels(pod);
      this.endpointLabelsOf.set(pod, labels);
    }
    return labels;
  }

  private computeEndpointLabels(pod: Pod): Record<string, string> {
    const labels: Record<string, string> = { ...pod.labels, [NS]: pod.namespace, 'io.cilium.k8s.policy.serviceaccount': pod.serviceAccount };
    const nsLabels = this.namespaceLabels.get(pod.namespace) ?? { 'kubernetes.io/metadata.name': pod.namespace };
    for (const [k, v] of Object.entries(nsLabels)) labels[`io.cilium.k8s.namespace.labels.${k}`] = v;
    return labels;
  }

  /** Policies putting `pod` in default-deny for `direction`. */
  public selecting(pod: Pod, direction: Direction): Array<{ object: any; spec: any }> {
    const key = direction === 'Ingress' ? 'ingress' : 'egress';
    return this.forPod(pod).filter(({ spec }) => (spec[key] !== undefined || spec[`${key}Deny`] !== undefined) && spec.enableDefaultDeny?.[key] !== false);
  }

  /** What the rules of policies selecting `subject` admit from/to `peer` for `request`. */
  public admits(direction: Direction, subject: Pod, peer: Peer, request: Request): CiliumAdmission {
    const key = direction === 'Ingress' ? 'ingress' : 'egress';
    let l4 = false;
    const http: any[] = [];
    const by = new Set<string>();
    for (const { object, spec } of this.forPod(subject)) {
      if ((spec[`${key}Deny`] ?? []).some((r: any) => this.peerMatches(object, r, direction, peer) && portEntry(r.toPorts, request) !== undefined)) {
        return { l4: false, http: [], by: [ref(object)] };
      }
      for (const rule of spec[key] ?? []) {
        if (!this.peerMatches(object, rule, direction, peer)) continue;
        const entry = portEntry(rule.toPorts, request);
        if (entry === undefined) continue;
        by.add(ref(object));
        if (entry === 'any' || !entry.rules?.http) l4 = true;
        else http.push(...entry.rules.http);
      }
    }
    return { l4, http, by: [...by] };
  }

  /** Pods the rules of policies selecting `subject` can admit at all, or 'any'. */
  public candidatePeers(subject: Pod, direction: Direction): Pod[] | 'any' {
    const key = direction === 'Ingress' ? 'ingress' : 'egress';
    const found = new Set<Pod>();
    for (const { object, spec } of this.forPod(subject)) {
      for (const rule of spec[key] ?? []) {
        const endpoints = rule[direction === 'Ingress' ? 'fromEndpoints' : 'toEndpoints'];
        const entities: string[] = rule[direction === 'Ingress' ? 'fromEntities' : 'toEntities'] ?? [];
        if (entities.some(e => ['all', 'cluster'].includes(e)) || !hasL3(rule, direction)) return 'any';
        for (const sel of endpoints ?? []) {
          const { selector, namespace } = this.normalize(object, sel);
          this.index.select(selector, namespace).filter(p => selectorMatches(selector, this.endpointLabels(p))).forEach(p => found.add(p));
        }
      }
    }
    return [...found];
  }

  /**
   * `pod` may reach `host:port` by name: a toFQDNs rule for the name on the port, and a DNS rule
   * on port 53 toward an endpoint (the resolver) that matches the name; when the name resolves to
   * `address`, no `egressDeny` `toCIDR`/`toCIDRSet` of the pod's policies contains it (deny wins).
   */
  public allowsFqdn(pod: Pod, host: string, port: number, address?: string): boolean {
    const selecting = this.forPod(pod);
    // deny rules win over allow rules: a name resolving into an egressDeny CIDR is not reachable
    if (address !== undefined && selecting.some(({ spec }) => (spec.egressDeny ?? []).some((r: any) =>
      (r.toCIDR ?? []).some((c: string) => cidrContains(c, address))
      || (r.toCIDRSet ?? []).some((c: any) => cidrContains(c.cidr, address)
        && !(c.except ?? []).some((e: string) => cidrContains(e, address)))))) return false;
    const rules = selecting.flatMap(({ spec }) => spec.egress ?? []);
    const nameMatches = (d: any) => d.matchPattern === '*' || d.matchName === host || d.matchName === `${host}.`
      || (d.matchPattern !== undefined && new RegExp(`^${d.matchPattern.replace(/\./g, '\\.').replace(/\*/g, '[-a-zA-Z0-9_]*')}\\.?$`).test(host));
    const learnsNames = rules.some((r: any) => (r.toEndpoints ?? []).length > 0 && (r.toPorts ?? []).some((tp: any) =>
      (tp.ports ?? []).some((pp: any) => String(pp.port) === '53') && (tp.rules?.dns ?? []).some(nameMatches)));
    const named = rules.some((r: any) => (r.toFQDNs ?? []).some(nameMatches) && (r.toPorts === undefined
      || r.toPorts.some((tp: any) => (tp.ports ?? []).some((pp: any) => Number(pp.port) === port || Number(pp.port) === 0))));
    return learnsNames && named;
  }

  /** Names `pod` may reach with toFQDNs: `name:port` (port `*` when any). */
  public fqdnExits(pod: Pod): string[] {
    const out: string[] = [];
    for (const { spec } of this.forPod(pod)) {
      for (const r of spec.egress ?? []) {
        for (const f of r.toFQDNs ?? []) {
          const name = f.matchName ?? f.matchPattern;
          const ports = (r.toPorts ?? []).flatMap((tp: any) => (tp.ports ?? []).map((pp: any) => String(pp.port)));
          (ports.length ? ports : ['*']).forEach((p: string) => out.push(`${name}:${p}`));
        }
      }
    }
    return out;
  }

  private peerMatches(object: any, rule: any, direction: Direction, peer: Peer): boolean {
    if (!hasL3(rule, direction)) return true;
    const prefix = direction === 'Ingress' ? 'from' : 'to';
    const entities: string[] = rule[`${prefix}Entities`] ?? [];
    if (isExternal(peer)) {
      if (entities.includes('world') || entities.includes('all')) return true;
      const cidrs = [...(rule[`${prefix}CIDR`] ?? []).map((c: string) => ({ cidr: c })), ...rule[`${prefix}CIDRSet`] ?? []];
      return cidrs.some((b: any) => b.cidr !== undefined && ipBlockMatches(b, (peer as External).ip));
    }
    if (entities.includes('cluster') || entities.includes('all')) return true;
    return (rule[`${prefix}Endpoints`] ?? []).some((sel: any) => {
      const { selector, namespace } = this.normalize(object, sel);
      return (namespace === undefined || peer.namespace === namespace) && selectorMatches(selector, this.endpointLabels(peer));
    });
  }

  /** Strips label sources; a namespaced policy's selector without a namespace key stays in its namespace. */
  private normalize(object: any, selector: Selector): { selector: Selector; namespace?: string } {
    const strip = (k: string) => k.replace(/^(k8s|any):/, '');
    const matchLabels: Record<string, string> = {};
    for (const [k, v] of Object.entries(selector.matchLabels ?? {})) matchLabels[strip(k)] = v;
    const matchExpressions = (selector.matchExpressions ?? []).map(e => ({ ...e, key: strip(e.key) }));
    const names = NS in matchLabels || matchExpressions.some(e => e.key === NS);
    const namespaced = object.kind === 'CiliumNetworkPolicy' && !names;
    return { selector: { matchLabels, matchExpressions }, namespace: namespaced ? object.metadata?.namespace ?? 'default' : undefined };
  }
}

function hasL3(rule: any, direction: Direction): boolean {
  const prefix = direction === 'Ingress' ? 'from' : 'to';
  return ['Endpoints', 'Entities', 'CIDR', 'CIDRSet', 'FQDNs', 'Services', 'Nodes', 'Groups', 'Requires'].some(k => rule[`${prefix}${k}`] !== undefined);
}

/** The toPorts entry admitting the request's port ('any' when the rule has no toPorts). */
function portEntry(toPorts: any[] | undefined, request: Request): any | 'any' | undefined {
  if (toPorts === undefined || toPorts.length === 0) return 'any';
  return toPorts.find((tp: any) => (tp.ports ?? []).some((pp: any) => {
    const proto = pp.protocol ?? 'ANY';
    if (proto !== 'ANY' && proto !== (request.protocol ?? 'TCP')) return false;
    const start = Number(pp.port);
    return start === 0 || start === request.port || (pp.endPort !== undefined && request.port >= start && request.port <= pp.endPort);
  }));
}

function ref(o: any): string {
  return `${o.kind}/${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name}`;
}
