import { CiliumPolicies, ciliumPasses } from './_cilium';
import { Auth, IstioPolicies, MtlsMode } from './_istio';
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
  private readonly sidecars: any[];
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
  public l4(from: Pod | External, to: Pod | External, request: Request): Verdict {
    if ((from as External).ip === undefined) {
      const egress = this.direction('Egress', from as Pod, to, request);
      if (!egress.allowed) return egress;
    }
    return (to as External).ip === undefined ? this.direction('Ingress', to as Pod, from, request) : { allowed: true, layer: 'ok', objects: [] };
  }

  /** One direction of the L3/L4 layer: `subject`'s egress to, or ingress from, `peer`. */
  public direction(direction: Direction, subject: Pod, peer: Pod | External, request: Request): Verdict {
    const np = this.networkPolicies.admits(direction, subject, peer, request.port, request.protocol ?? 'TCP');
    const npSelecting = this.networkPolicies.selecting(subject, direction);
    if (!this.cilium.present) {
      return np.allowed ? { allowed: true, layer: 'ok', objects: np.by } : { allowed: false, layer: 'network', objects: npSelecting.map(refOf) };
    }
    const ciliumSelecting = this.cilium.selecting(subject, direction);
    if (npSelecting.length === 0 && ciliumSelecting.length === 0) return { allowed: true, layer: 'ok', objects: [] };
    const c = this.cilium.admits(direction, subject, peer, request);
    if ((npSelecting.length > 0 && np.allowed) || c.l4 || ciliumPasses(c, request)) {
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
   * The decision on `request` from `from` to `to` through every layer: L3/L4 (NetworkPolicy,
   * Cilium), the callee's mTLS mode and the authorization of its sidecar, its ztunnel, or its
   * waypoint then ztunnel. Ambient traffic reaches pods on HBONE (15008); a caller may address a
   * waypoint-served pod directly, so both paths count.
   */
  public verdict(from: Pod, to: Pod, request: Request): Verdict {
    return this.decide(from, to, request, true);
  }

  /** The mesh layer alone (mTLS and authorization, as if the network let everything through). */
  public meshVerdict(from: Pod, to: Pod, request: Request): Verdict {
    return this.decide(from, to, request, false);
  }

  /** The L3/L4 layer alone, on the port the packets really use (HBONE 15008 between ambient peers). */
  public networkVerdict(from: Pod, to: Pod, request: Request): Verdict {
    return this.l4(from, to, this.usesHbone(from, to) ? { ...request, port: HBONE_PORT } : request);
  }

  /** Whether traffic from `from` to `to` is tunnelled over HBONE. */
  public usesHbone(from: Pod, to: Pod): boolean {
    return from.mesh !== 'none' && to.mesh !== 'none' && to.gatewayClass !== 'istio-waypoint' && (to.mesh === 'ambient' || from.mesh === 'ambient');
  }

  private decide(from: Pod, to: Pod, request: Request, network: boolean): Verdict {
    const ok: Verdict = { allowed: true, layer: 'ok', objects: [] };
    if (to.mesh === 'none' || to.gatewayClass === 'istio-waypoint') {
      return network ? this.l4(from, to, request) : ok;
    }
    const wire = this.usesHbone(from, to) ? { ...request, port: HBONE_PORT } : request;
    const mtls = this.istio.mtlsMode(to, request.port);
    const plaintext = from.mesh === 'none';
    const direct = this.throughProxy(from, to, request, wire, mtls, plaintext, network);
    if (direct.allowed || to.mesh !== 'ambient') return direct;
    const waypoint = this.waypointFor(to, request.port);
    if (!waypoint || plaintext) return direct;
    // via the waypoint: caller -> waypoint (HBONE), L7 policy at the waypoint, waypoint -> pod (HBONE)
    if (network) {
      const toWaypoint = this.l4(from, waypoint.pod, { ...request, port: HBONE_PORT });
      if (!toWaypoint.allowed) return toWaypoint;
    }
    const authAtWaypoint = this.istio.authenticate(waypoint.pod, request.jwt);
    const atWaypoint = this.istio.decide(this.istio.boundToWaypoint(waypoint.pod, to.namespace, waypoint.service),
      { principal: this.principal(from) }, request, authAtWaypoint, false);
    if (!atWaypoint.allowed) return { allowed: false, layer: 'waypoint', objects: atWaypoint.by };
    return this.throughProxy(waypoint.pod, to, request, { ...request, port: HBONE_PORT }, mtls, false, network);
  }

  private throughProxy(from: Pod, to: Pod, request: Request, wire: Request, mtls: { mode: MtlsMode; by?: string },
    plaintext: boolean, network: boolean): Verdict {
    if (network) {
      const net = this.l4(from, to, wire);
      if (!net.allowed) return net;
    }
    if (plaintext && mtls.mode === 'STRICT') return { allowed: false, layer: 'mtls', objects: mtls.by ? [mtls.by] : [] };
    const source = plaintext || mtls.mode === 'DISABLE' ? {} : { principal: this.principal(from) };
    const d = this.istio.decide(this.istio.boundToWorkload(to), source, request, this.istio.authenticate(to, request.jwt), to.mesh === 'ambient');
    return d.allowed ? { allowed: true, layer: 'ok', objects: d.by } : { allowed: false, layer: 'authorization', objects: d.by };
  }

  /**
   * The waypoint serving `pod` on `port`: the `istio.io/use-waypoint` label of a Service selecting
   * the pod, else of its namespace (`none` opts out), naming a waypoint Gateway of that namespace.
   */
  public waypointFor(pod: Pod, port?: number): { pod: Pod; service: string } | undefined {
    const service = this.services.find(s => (s.metadata?.namespace ?? 'default') === pod.namespace && s.spec?.selector
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
    for (const s of this.services) {
      if ((s.metadata?.namespace ?? 'default') !== pod.namespace || !s.spec?.selector || !selectorMatches({ matchLabels: s.spec.selector }, pod.labels)) continue;
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

  /** Cilium allows `from` to reach `host:port` by name (toFQDNs plus the DNS-proxy rule). */
  public ciliumAllowsFqdn(from: Pod, host: string, port: number): boolean {
    return this.cilium.allowsFqdn(from, host, port);
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
    const sidecar = this.sidecars.find(s => s.metadata.namespace === from.namespace && s.spec.workloadSelector
      && selectorMatches({ matchLabels: s.spec.workloadSelector.labels }, from.labels))
      ?? this.sidecars.find(s => s.metadata.namespace === from.namespace && !s.spec.workloadSelector);
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

function union(a: Pod[] | 'any', b: Pod[] | 'any'): Pod[] | 'any' {
  return a === 'any' || b === 'any' ? 'any' : [...new Set([...a, ...b])];
}

function refOf(o: any): string {
  return `${o.kind}/${o.metadata?.namespace ?? 'default'}/${o.metadata?.name}`;
}
