import { CiliumPolicies, ciliumPasses } from './_cilium';
import { Auth, IstioPolicies } from './_istio';
import { Jwt, Pod, PodIndex, readWorkloads, Request, selectorMatches } from './_model';
import { Direction, External, NetworkPolicies } from './_network-policy';

export type { Jwt, Pod, Request } from './_model';

/** HBONE: Istio tunnels ambient (and ambient-to-sidecar) traffic to this port of the pod. */
export const HBONE_PORT = 15008;

/** Why a request is allowed or denied: the deciding layer and the objects responsible. */
export interface Verdict {
  readonly allowed: boolean;
  /** `network`, `cilium`, `mtls`, `authorization`, `waypoint` or `ok`. */
  readonly layer: string;
  readonly objects: string[];
}

/** A request along the path it really takes (see `Cluster.request`). */
export interface PathVerdict extends Verdict {
  /** The L3/L4 layer of every hop admits it. */
  readonly l4: boolean;
  /** Every proxy on the path (waypoint, ztunnel, sidecar, Cilium's HTTP rules) allows it. */
  readonly l7: boolean;
  /** Some proxy's dry-run policies would deny it (a shadow denial, not enforced). */
  readonly wouldDeny: boolean;
  /** The waypoint the request went through. */
  readonly via?: string;
}

/** One decision on a path: an L3/L4 hop or a proxy's. */
interface Step extends Verdict {
  readonly l4: boolean;
  readonly wouldDeny?: boolean;
}

/** The steps of a path as one verdict: the first refusal decides (L3/L4 hops first). */
function fold(steps: Step[], via?: string): PathVerdict {
  const ordered = [...steps.filter(st => st.l4), ...steps.filter(st => !st.l4)];
  const refused = ordered.find(st => !st.allowed);
  const l4 = steps.filter(st => st.l4).every(st => st.allowed);
  const l7 = steps.filter(st => !st.l4).every(st => st.allowed);
  const wouldDeny = steps.some(st => st.wouldDeny === true);
  const objects = refused ? refused.objects : [...new Set(steps.flatMap(st => st.objects))];
  return { allowed: !refused, layer: refused ? refused.layer : 'ok', objects, l4, l7, wouldDeny, ...(via ? { via } : {}) };
}

/**
 * Evaluates synthesized manifests the way the enforcement points do — Kubernetes
 * NetworkPolicy (or Cilium, which merges NetworkPolicies and CiliumNetworkPolicies into one
 * policy), Istio mTLS (PeerAuthentication) and authorization at the callee's sidecar, ztunnel
 * or waypoint — from the objects alone. It never reads the intent graph nor the renderers.
 */
export class Cluster {
  public readonly pods: Pod[];
  public readonly index: PodIndex;
  public readonly networkPolicies: NetworkPolicies;
  public readonly istio: IstioPolicies;
  public readonly cilium: CiliumPolicies;
  private readonly namespaceLabels: Map<string, Record<string, string>>;
  private readonly services: any[];
  private readonly servicesByNamespace = new Map<string, any[]>();
  private readonly sidecars: any[];
  private readonly sidecarsByNamespace = new Map<string, any[]>();
  private readonly serviceEntries: any[];
  private readonly byRef = new Map<string, Pod>();

  public constructor(manifests: any[], public readonly trustDomain: string = 'cluster.local') {
    const { namespaceLabels, pods } = readWorkloads(manifests);
    this.namespaceLabels = namespaceLabels;
    this.pods = pods;
    this.index = new PodIndex(pods);
    for (const p of pods) this.byRef.set(`${p.namespace}/${p.name}`, p);
    this.networkPolicies = new NetworkPolicies(manifests.filter(m => m?.kind === 'NetworkPolicy' && m.apiVersion === 'networking.k8s.io/v1'), this.index, namespaceLabels);
    this.istio = new IstioPolicies(manifests);
    this.cilium = new CiliumPolicies(manifests, this.index, namespaceLabels);
    this.services = manifests.filter(m => m?.kind === 'Service' && m.apiVersion === 'v1');
    this.sidecars = manifests.filter(m => m?.kind === 'Sidecar' && String(m.apiVersion).startsWith('networking.istio.io/'));
    for (const sv of this.services) byNamespace(this.servicesByNamespace, sv);
    for (const sc of this.sidecars) byNamespace(this.sidecarsByNamespace, sc);
    this.serviceEntries = manifests.filter(m => m?.kind === 'ServiceEntry' && String(m.apiVersion).startsWith('networking.istio.io/'));
  }

  /** The pod of the workload `namespace/name` (a controller's or a Gateway's name). */
  public pod(namespace: string, name: string): Pod {
    const pod = this.byRef.get(`${namespace}/${name}`);
    if (!pod) throw new Error(`no workload ${namespace}/${name} in the manifests`);
    return pod;
  }

  public tryPod(namespace: string, name: string): Pod | undefined {
    return this.byRef.get(`${namespace}/${name}`);
  }

  /** The pod's mesh principal `<trustDomain>/ns/<ns>/sa/<sa>`. */
  public principal(pod: Pod): string {
    return `${pod.trustDomain ?? this.trustDomain}/ns/${pod.namespace}/sa/${pod.serviceAccount}`;
  }

  /** Kubernetes NetworkPolicies alone (both directions) allow a connection. */
  public networkAllows(from: Pod, to: Pod, port: number, protocol: 'TCP' | 'UDP' = 'TCP'): boolean {
    return this.networkPolicies.allows(from, to, port, protocol);
  }

  /**
   * The L3/L4 decision for `request` from `from` to `to`, with Cilium's union of NetworkPolicy
   * and CiliumNetworkPolicy rules (and its HTTP rules) when the manifests carry Cilium policies.
   */
  public l4(from: Pod | External, to: Pod | External, request: Request, http: boolean = true): Verdict {
    if ((from as External).ip === undefined) {
      const egress = this.direction('Egress', from as Pod, to, request, http);
      if (!egress.allowed) return egress;
    }
    return (to as External).ip === undefined ? this.direction('Ingress', to as Pod, from, request, http) : { allowed: true, layer: 'ok', objects: [] };
  }

  /**
   * One direction of the L3/L4 layer: `subject`'s egress to, or ingress from, `peer`. With
   * `http` false, a Cilium rule with HTTP rules admits the port (its proxy decides the requests).
   */
  public direction(direction: Direction, subject: Pod, peer: Pod | External, request: Request, http: boolean = true): Verdict {
    const np = this.networkPolicies.admits(direction, subject, peer, request.port, request.protocol ?? 'TCP');
    const npSelecting = this.networkPolicies.selecting(subject, direction);
    if (!this.cilium.present) {
      return np.allowed ? { allowed: true, layer: 'ok', objects: np.by } : { allowed: false, layer: 'network', objects: npSelecting.map(refOf) };
    }
    const ciliumSelecting = this.cilium.selecting(subject, direction);
    if (npSelecting.length === 0 && ciliumSelecting.length === 0) return { allowed: true, layer: 'ok', objects: [] };
    const c = this.cilium.admits(direction, subject, peer, request);
    if ((npSelecting.length > 0 && np.allowed) || c.l4 || (http ? ciliumPasses(c, request) : c.http.length > 0)) {
      return { allowed: true, layer: 'ok', objects: [...np.by, ...c.by] };
    }
    return { allowed: false, layer: 'cilium', objects: [...npSelecting.map(refOf), ...ciliumSelecting.map(x => refOf(x.object))] };
  }

  /** The effective mTLS mode of `pod` on `port` (nothing applied: PERMISSIVE). */
  public mtlsMode(pod: Pod, port?: number): string {
    return this.istio.mtlsMode(pod, port).mode;
  }

  /** The end-user token's verification at `to` (undefined: no token; 'rejected': 401). */
  public requestAuth(to: Pod, jwt?: Jwt): Auth {
    return this.istio.authenticate(to, jwt);
  }

  /** The authorization at `to`'s own proxy (sidecar, gateway, ztunnel) for `request` from `from`'s identity. */
  public meshAllows(from: Pod, to: Pod, request: Request): boolean {
    return this.istio.decide(this.istio.boundToWorkload(to), { principal: this.principal(from) }, request, this.istio.authenticate(to, request.jwt), to.mesh === 'ambient').allowed;
  }

  /** Every layer allows `request` from `from` to `to` (the way the request really travels). */
  public allows(from: Pod, to: Pod, request: Request): boolean {
    return this.verdict(from, to, request).allowed;
  }

  /**
   * The decision on `request` from `from` to `to` through every layer, on any path a caller can
   * take: L3/L4 (NetworkPolicy, Cilium with its HTTP rules), the callee's mTLS mode and the
   * authorization of its sidecar, its ztunnel, or its waypoint then ztunnel. Ambient traffic
   * reaches pods on HBONE (15008); a caller may address a waypoint-served pod directly, so both
   * paths count (what the effect check needs to find every way in).
   */
  public verdict(from: Pod, to: Pod, request: Request): Verdict {
    return this.anyPath(from, to, request, true);
  }

  /** The mesh layer alone (mTLS and authorization, as if the network let everything through). */
  public meshVerdict(from: Pod, to: Pod, request: Request): Verdict {
    return this.anyPath(from, to, request, false);
  }

  /**
   * `request` along the path Istio really sends it (istio.io ambient data plane and waypoint
   * docs): ztunnel sends an ambient caller's traffic for a waypoint-served ambient callee through
   * the waypoint (caller -> waypoint:15008 -> pod:15008; the waypoint evaluates the policies
   * attached to it with the caller's identity and the whole request, the callee's ztunnel the
   * pod's policies with the waypoint's identity, L4 only); sidecars, gateways and plaintext
   * clients send straight to the pod. Says which hops' L3/L4 admit it (`l4`), whether every proxy
   * on the path (waypoint, ztunnel, sidecar, Cilium's HTTP rules) allows it (`l7`), and whether
   * some proxy's dry-run policies would deny it (`wouldDeny`: staged rollout observes, never
   * enforces).
   */
  public request(from: Pod, to: Pod, request: Request): PathVerdict {
    const waypoint = from.mesh === 'ambient' && this.servedByWaypoint(to) ? this.waypointFor(to, request.port) : undefined;
    return fold(waypoint ? this.viaWaypoint(from, to, request, waypoint) : this.direct(from, to, request), waypoint?.pod.name);
  }

  /** The L3/L4 layer alone, on the port the packets really use (HBONE 15008 between ambient peers). */
  public networkVerdict(from: Pod, to: Pod, request: Request): Verdict {
    return this.l4(from, to, this.usesHbone(from, to) ? { ...request, port: HBONE_PORT } : request);
  }

  /** Whether traffic from `from` to `to` is tunnelled over HBONE. */
  public usesHbone(from: Pod, to: Pod): boolean {
    return from.mesh !== 'none' && to.mesh !== 'none' && to.gatewayClass !== 'istio-waypoint' && (to.mesh === 'ambient' || from.mesh === 'ambient');
  }

  private servedByWaypoint(to: Pod): boolean {
    return to.mesh === 'ambient' && to.gatewayClass !== 'istio-waypoint';
  }

  /** Direct, else (a meshed caller to a waypoint-served pod) through the waypoint: the first path that lets `request` through. */
  private anyPath(from: Pod, to: Pod, request: Request, network: boolean): Verdict {
    const only = (steps: Step[]) => fold(network ? steps : steps.filter(st => !st.l4));
    const direct = only(this.direct(from, to, request));
    if (direct.allowed || !this.servedByWaypoint(to) || from.mesh === 'none') return direct;
    const waypoint = this.waypointFor(to, request.port);
    return waypoint ? only(this.viaWaypoint(from, to, request, waypoint)) : direct;
  }

  /** Straight to the pod: its L3/L4, Cilium's HTTP rules, its mTLS mode, its own proxy's policies. */
  private direct(from: Pod, to: Pod, request: Request): Step[] {
    if (to.mesh === 'none' || to.gatewayClass === 'istio-waypoint') return this.network(from, to, request, request);
    const wire = this.usesHbone(from, to) ? { ...request, port: HBONE_PORT } : request;
    return [...this.network(from, to, wire, request), ...this.proxy(from, to, request, from.mesh === 'none')];
  }

  /** caller -> waypoint (HBONE), the waypoint's policies, waypoint -> pod (HBONE), the pod's ztunnel. */
  private viaWaypoint(from: Pod, to: Pod, request: Request, waypoint: { pod: Pod; service: string }): Step[] {
    const hbone = { ...request, port: HBONE_PORT };
    const atWaypoint = this.istio.decide(this.istio.boundToWaypoint(waypoint.pod, to.namespace, waypoint.service),
      { principal: this.principal(from) }, request, this.istio.authenticate(waypoint.pod, request.jwt), false);
    return [
      { l4: true, ...this.l4(from, waypoint.pod, hbone, false) },
      { l4: false, layer: 'waypoint', allowed: atWaypoint.allowed, objects: atWaypoint.by, wouldDeny: atWaypoint.wouldDeny },
      ...this.network(waypoint.pod, to, hbone, request),
      ...this.proxy(waypoint.pod, to, request, false),
    ];
  }

  /**
   * One hop's L3/L4 decision on `wire` (Cilium HTTP rules admit the port there), then, where
   * Cilium policies apply, their decision on the request itself (HTTP rules included).
   */
  private network(from: Pod, to: Pod, wire: Request, request: Request): Step[] {
    const steps: Step[] = [{ l4: true, ...this.l4(from, to, wire, false) }];
    if (this.cilium.present) steps.push({ l4: false, ...this.l4(from, to, wire.port === request.port ? request : wire) });
    return steps;
  }

  /** The callee's mTLS mode and the authorization of its own proxy (sidecar, gateway, ztunnel). */
  private proxy(from: Pod, to: Pod, request: Request, plaintext: boolean): Step[] {
    const mtls = this.istio.mtlsMode(to, request.port);
    if (plaintext && mtls.mode === 'STRICT') return [{ l4: false, allowed: false, layer: 'mtls', objects: mtls.by ? [mtls.by] : [] }];
    // no identity without mTLS: a DISABLE port (where Cilium enforces) or a plaintext caller
    const source = plaintext || mtls.mode === 'DISABLE' ? {} : { principal: this.principal(from) };
    // ztunnel sees connections: no HTTP attributes, no end-user token
    const ztunnel = to.mesh === 'ambient';
    const d = ztunnel ? this.istio.decide(this.istio.boundToWorkload(to), source, { port: request.port, protocol: request.protocol }, undefined, true)
      : this.istio.decide(this.istio.boundToWorkload(to), source, request, this.istio.authenticate(to, request.jwt), false);
    return [{ l4: false, allowed: d.allowed, layer: d.allowed ? 'ok' : 'authorization', objects: d.by, wouldDeny: d.wouldDeny }];
  }

  /**
   * The waypoint serving `pod` on `port`: the `istio.io/use-waypoint` label of a Service selecting
   * the pod, else of its namespace (`none` opts out), naming a waypoint Gateway of that namespace.
   */
  public waypointFor(pod: Pod, port?: number): { pod: Pod; service: string } | undefined {
    const service = (this.servicesByNamespace.get(pod.namespace) ?? []).find(s => s.spec?.selector
      && selectorMatches({ matchLabels: s.spec.selector }, pod.labels)
      && (port === undefined || (s.spec.ports ?? []).some((p: any) => (p.targetPort ?? p.port) === port || p.port === port)));
    if (!service) return undefined;
    const name = service.metadata?.labels?.['istio.io/use-waypoint'] ?? this.namespaceLabels.get(pod.namespace)?.['istio.io/use-waypoint'];
    if (!name || name === 'none') return undefined;
    const wpNamespace = service.metadata?.labels?.['istio.io/use-waypoint-namespace'] ?? this.namespaceLabels.get(pod.namespace)?.['istio.io/use-waypoint-namespace'] ?? pod.namespace;
    const wp = this.tryPod(wpNamespace, name);
    return wp && wp.gatewayClass === 'istio-waypoint' ? { pod: wp, service: service.metadata.name } : undefined;
  }

  /**
   * The application protocol of `pod`'s `port` as Istio selects it: the `appProtocol` or the
   * name prefix (`http`, `http2`, `grpc`, ...) of a Service port targeting it; else TCP.
   */
  public appProtocol(pod: Pod, port: number): string {
    for (const s of this.servicesByNamespace.get(pod.namespace) ?? []) {
      if (!s.spec?.selector || !selectorMatches({ matchLabels: s.spec.selector }, pod.labels)) continue;
      for (const p of s.spec.ports ?? []) {
        const target = typeof p.targetPort === 'string' ? (pod.ports ?? []).find(cp => cp.name === p.targetPort)?.port : (p.targetPort ?? p.port);
        if (target !== port) continue;
        const proto = String(p.appProtocol ?? String(p.name ?? '').split('-')[0]).toLowerCase();
        if (['http', 'http2', 'grpc', 'grpc-web', 'h2c'].includes(proto)) return proto;
      }
    }
    return 'tcp';
  }

  /** An outside client at `ip` may open a connection to `to` on `port` (L3/L4). */
  public networkAllowsFromIp(ip: string, to: Pod, port: number): boolean {
    return this.networkPolicies.admits('Ingress', to, { ip }, port, 'TCP').allowed;
  }

  /** `from` may open a TCP connection to the outside address `ip` on `port` (its egress NetworkPolicies). */
  public networkAllowsToIp(from: Pod, ip: string, port: number): boolean {
    return this.networkPolicies.admits('Egress', from, { ip }, port, 'TCP').allowed;
  }

  /** Cilium allows `from` to reach `host:port` by name (toFQDNs plus the DNS-proxy rule; not when `address` is in an egressDeny CIDR). */
  public ciliumAllowsFqdn(from: Pod, host: string, port: number, address?: string): boolean {
    return this.cilium.allowsFqdn(from, host, port, address);
  }

  /** Cilium's ingress decision (CiliumNetworkPolicies only) for `request` from `from` to `to`. */
  public ciliumAllowsHttp(from: Pod, to: Pod, request: Request): boolean {
    if (this.cilium.selecting(to, 'Ingress').length === 0) return true;
    return ciliumPasses(this.cilium.admits('Ingress', to, from, request), request);
  }

  /**
   * The pod's sidecar may send to the external `host:port`: its Sidecar's outbound policy
   * (REGISTRY_ONLY, or the mesh default `meshOutboundPolicy`) and egress hosts, and a
   * MESH_EXTERNAL ServiceEntry exported to the pod's namespace with the host and port.
   */
  public meshAllowsExternal(from: Pod, host: string, port: number, meshOutboundPolicy: 'ALLOW_ANY' | 'REGISTRY_ONLY' = 'ALLOW_ANY'): boolean {
    const inNamespace = this.sidecarsByNamespace.get(from.namespace) ?? [];
    const sidecar = inNamespace.find(s => s.spec.workloadSelector && selectorMatches({ matchLabels: s.spec.workloadSelector.labels }, from.labels))
      ?? inNamespace.find(s => !s.spec.workloadSelector);
    const mode = sidecar?.spec.outboundTrafficPolicy?.mode ?? meshOutboundPolicy;
    const exported = (se: any) => se.spec.exportTo === undefined || se.spec.exportTo.includes('*')
      || (se.spec.exportTo.includes('.') && se.metadata.namespace === from.namespace) || se.spec.exportTo.includes(from.namespace);
    const entry = this.serviceEntries.find(se => (se.spec.hosts ?? []).includes(host)
      && (se.spec.ports ?? []).some((p: any) => p.number === port) && exported(se));
    const visible = entry !== undefined && (!sidecar || (sidecar.spec.egress ?? []).some((e: any) => (e.hosts ?? []).some((h: string) => {
      const [ns, name] = h.split('/');
      const nsOk = ns === '*' || (ns === '.' ? entry.metadata.namespace === from.namespace : ns === entry.metadata.namespace);
      return nsOk && (name === '*' || name === host);
    })));
    if (visible) return true;
    return mode === 'ALLOW_ANY' && !sidecar;
  }

  /** External hosts (`host:port`) ServiceEntries make visible to `from`'s namespace. */
  public serviceEntryHosts(from: Pod): string[] {
    return this.serviceEntries.filter(se => se.spec?.location !== 'MESH_INTERNAL')
      .flatMap(se => (se.spec.hosts ?? []).flatMap((h: string) => (se.spec.ports ?? []).map((p: any) => `${h}:${p.number}`)))
      .filter(hp => this.meshAllowsExternal(from, hp.slice(0, hp.lastIndexOf(':')), Number(hp.slice(hp.lastIndexOf(':') + 1)), 'REGISTRY_ONLY'));
  }

  /**
   * Pods the L3/L4 layer (NetworkPolicy, Cilium) could admit into `to`, or 'any' when it does
   * not restrict the sources. Costs the size of the answer.
   */
  public networkCandidates(to: Pod): Pod[] | 'any' {
    const direct = this.l4Candidates(to);
    // an ambient callee's waypoint is a second way in: whoever may reach the waypoint
    const wp = to.mesh === 'ambient' ? this.waypointFor(to) : undefined;
    return wp ? union(direct, this.l4Candidates(wp.pod)) : direct;
  }

  private l4Candidates(to: Pod): Pod[] | 'any' {
    const np = this.networkPolicies.candidatePeers(to, 'Ingress');
    if (!this.cilium.present || this.cilium.selecting(to, 'Ingress').length === 0) return np;
    const c = this.cilium.candidatePeers(to, 'Ingress');
    if (this.networkPolicies.selecting(to, 'Ingress').length === 0) return c;
    return c === 'any' || np === 'any' ? 'any' : [...new Set([...c, ...np])];
  }

  /** Pods whose identity the mesh layer of `to` could admit, or 'any' (no mesh, or a rule without principals). */
  public meshCandidates(to: Pod): Pod[] | 'any' {
    if (to.mesh === 'none') return 'any';
    const direct = this.principalCandidates(this.istio.boundToWorkload(to));
    // through the waypoint, the policies bound to it for the callee's service decide
    const wp = to.mesh === 'ambient' ? this.waypointFor(to) : undefined;
    return wp ? union(direct, this.principalCandidates(this.istio.boundToWaypoint(wp.pod, to.namespace, wp.service))) : direct;
  }

  /**
   * Whether Cilium admits the callers of `to` on `port` itself (a CiliumNetworkPolicy ingress rule
   * on the port, with or without HTTP rules): Cilium is then that port's enforcement point and
   * the mesh policy may open the port to any source.
   */
  public ciliumEnforcesHttp(to: Pod, port: number): boolean {
    return this.cilium.present && this.cilium.selecting(to, 'Ingress').some(({ spec }) => (spec.ingress ?? []).some((r: any) =>
      r.toPorts === undefined || r.toPorts.some((tp: any) => (tp.ports ?? []).some((pp: any) => Number(pp.port) === port || Number(pp.port) === 0))));
  }


  /** Pods whose principal one of the enforced ALLOW `bound` policies names ('any': no such policy, or a rule without principals). */
  private principalCandidates(bound: any[]): Pod[] | 'any' {
    const policies = bound.filter(p => (p.spec?.action ?? 'ALLOW') === 'ALLOW' && p.metadata?.annotations?.['istio.io/dry-run'] !== 'true');
    if (policies.length === 0) return 'any';
    const found = new Set<Pod>();
    for (const p of policies) {
      for (const rule of p.spec?.rules ?? []) {
        const sources = (rule.from ?? []).map((f: any) => f.source ?? {});
        if (sources.length === 0 || sources.some((s: any) => !s.principals && !s.serviceAccounts)) return 'any';
        for (const s of sources) {
          for (const principal of s.principals ?? []) {
            const m = /^(.*)\/ns\/([^/*]+)\/sa\/([^/*]+)$/.exec(principal);
            if (!m) return 'any';
            this.index.inNamespace(m[2]).filter(pod => pod.serviceAccount === m[3]).forEach(pod => found.add(pod));
          }
          for (const sa of s.serviceAccounts ?? []) {
            const [ns, name] = sa.split('/');
            this.index.inNamespace(ns).filter(pod => pod.serviceAccount === name).forEach(pod => found.add(pod));
          }
        }
      }
    }
    return [...found];
  }

  /** Namespace labels (with the automatic name label). */
  public namespaceLabelsOf(namespace: string): Record<string, string> {
    return this.namespaceLabels.get(namespace) ?? { 'kubernetes.io/metadata.name': namespace };
  }
}

function byNamespace(map: Map<string, any[]>, o: any): void {
  const ns = o.metadata?.namespace ?? 'default';
  const list = map.get(ns);
  if (list) list.push(o);
  else map.set(ns, [o]);
}

function union(a: Pod[] | 'any', b: Pod[] | 'any'): Pod[] | 'any' {
  return a === 'any' || b === 'any' ? 'any' : [...new Set([...a, ...b])];
}

function refOf(o: any): string {
  return `${o.kind}/${o.metadata?.namespace ?? 'default'}/${o.metadata?.name}`;
}
