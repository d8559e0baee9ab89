import { ISTIO_ROOT_NAMESPACE, istioPathMatch, istioStringMatch, Jwt, Pod, Request, SelectorIndex, selectorMatches } from './_model';
import { cidrContains } from './_network-policy';

/**
 * Istio security, from istio/api `security/v1beta1/*.proto` and the istio.io authorization,
 * ambient and waypoint documents:
 * - PeerAuthentication: workload policy (with `portLevelMtls`) over namespace policy over the
 *   mesh-wide policy in the root namespace; `UNSET` inherits; nothing applied means PERMISSIVE;
 * - AuthorizationPolicy: CUSTOM, then DENY, then ALLOW (no ALLOW policy: allowed; otherwise some
 *   ALLOW rule must match; an ALLOW policy without rules matches nothing); `istio.io/dry-run`
 *   policies are not enforced; within a rule `from`, `to`, `when` are ANDed and list entries
 *   ORed; `not*` fields exclude;
 * - a policy binds by `selector` (or to every workload of its namespace, or of the mesh in the
 *   root namespace) or by `targetRefs` (Gateway: that gateway's proxies; Service: the waypoint
 *   serving it; GatewayClass `istio-waypoint` in the root namespace: every waypoint);
 * - ztunnel (ambient) enforces L4 only: an ALLOW rule with HTTP attributes never matches and a
 *   DENY rule with HTTP attributes is not enforced; Envoy applying a DENY rule's HTTP-only fields
 *   to TCP traffic ignores them (the rule denies the connection);
 * - RequestAuthentication: a request without token passes (no request principal); a token no
 *   jwtRule accepts is rejected (401).
 */
export type MtlsMode = 'STRICT' | 'PERMISSIVE' | 'DISABLE';

/** Who is asking, as the enforcing proxy sees it. */
export interface Source {
  /** `<trustDomain>/ns/<ns>/sa/<sa>` when the connection is mTLS, else undefined. */
  readonly principal?: string;
  /** The source address for an outside client. */
  readonly ip?: string;
}

/** An enforcement point's decision: allowed, the deciding policies, and whether its dry-run policies would deny. */
export interface Decision {
  readonly allowed: boolean;
  readonly by: string[];
  readonly wouldDeny: boolean;
}

export type Auth = 'rejected' | { principal: string; claims: Record<string, string | string[]>; audiences: string[] } | undefined;

const HTTP_OPERATION_FIELDS = ['hosts', 'notHosts', 'methods', 'notMethods', 'paths', 'notPaths'];
const HTTP_SOURCE_FIELDS = ['requestPrincipals', 'notRequestPrincipals', 'remoteIpBlocks', 'notRemoteIpBlocks'];
const SOURCE_FIELDS = ['principals', 'notPrincipals', 'namespaces', 'notNamespaces', 'serviceAccounts', 'notServiceAccounts',
  'ipBlocks', 'notIpBlocks', ...HTTP_SOURCE_FIELDS];

export class IstioPolicies {
  private readonly authz: any[];
  private readonly peerAuth: any[];
  private readonly peerAuthByNamespace = new Map<string, any[]>();
  private readonly requestAuth: any[];
  private readonly bySelector = new SelectorIndex<any>();
  private readonly targeted: any[];

  public constructor(manifests: any[]) {
    const istio = (kind: string) => manifests.filter(m => m?.kind === kind && String(m.apiVersion).startsWith('security.istio.io/'));
    this.authz = istio('AuthorizationPolicy');
    this.peerAuth = istio('PeerAuthentication');
    for (const p of this.peerAuth) this.peerAuthByNamespace.set(ns(p), [...this.peerAuthByNamespace.get(ns(p)) ?? [], p]);
    this.requestAuth = istio('RequestAuthentication');
    for (const p of this.authz) {
      const action = p.spec?.action ?? 'ALLOW';
      if (!['ALLOW', 'DENY', 'AUDIT', 'CUSTOM'].includes(action)) throw new Error(`${ref(p)}: unknown action '${action}'`);
    }
    this.targeted = this.authz.filter(p => p.spec?.targetRefs || p.spec?.targetRef);
    // a root-namespace policy applies to the workloads it selects in every namespace
    for (const p of this.authz.filter(a => !a.spec?.targetRefs && !a.spec?.targetRef)) {
      this.bySelector.add(p, ns(p) === ISTIO_ROOT_NAMESPACE ? undefined : ns(p), p.spec?.selector);
    }
  }

  /** The effective mTLS mode of `pod` on `port`. */
  public mtlsMode(pod: Pod, port?: number): { mode: MtlsMode; by?: string } {
    const inNs = this.peerAuthByNamespace.get(pod.namespace) ?? [];
    const workload = inNs.find(p => p.spec?.selector && selectorMatches(p.spec.selector, pod.labels));
    const chain = [workload, inNs.find(p => !p.spec?.selector), this.peerAuth.find(p => ns(p) === ISTIO_ROOT_NAMESPACE && !p.spec?.selector)];
    for (const p of chain) {
      if (!p) continue;
      const portMode = port !== undefined && p === workload ? p.spec?.portLevelMtls?.[String(port)]?.mode : undefined;
      const mode = portMode && portMode !== 'UNSET' ? portMode : p.spec?.mtls?.mode;
      if (mode && mode !== 'UNSET') return { mode, by: ref(p) };
    }
    return { mode: 'PERMISSIVE' };
  }

  /** AuthorizationPolicies enforced by `pod`'s own proxy (sidecar, gateway, or ztunnel for ambient). */
  public boundToWorkload(pod: Pod): any[] {
    const targeting = pod.gatewayClass === 'istio' ? this.targeted.filter(p => ns(p) === pod.namespace
      && (p.spec.targetRefs ?? [p.spec.targetRef]).some((r: any) => r.kind === 'Gateway' && r.name === pod.name)) : [];
    return [...this.bySelector.lookup(pod, pod.namespace, pod.labels), ...targeting];
  }

  /** AuthorizationPolicies a waypoint enforces for requests to `service` (`namespace/name`). */
  public boundToWaypoint(waypoint: Pod, serviceNamespace: string, serviceName: string): any[] {
    return this.targeted.filter(p => {
      const refs = p.spec.targetRefs ?? [p.spec.targetRef];
      return refs.some((r: any) => (r.kind === 'Service' && ns(p) === serviceNamespace && r.name === serviceName)
        || (r.kind === 'Gateway' && ns(p) === waypoint.namespace && r.name === waypoint.name)
        || (r.kind === 'GatewayClass' && ns(p) === ISTIO_ROOT_NAMESPACE && r.name === 'istio-waypoint'));
    });
  }

  /** RequestAuthentications applying to `pod` (by selector, namespace-wide, or targeting its gateway). */
  public requestAuthFor(pod: Pod): any[] {
    return this.requestAuth.filter(ra => {
      if (ra.spec?.targetRefs || ra.spec?.targetRef) {
        const refs = ra.spec.targetRefs ?? [ra.spec.targetRef];
        return ns(ra) === pod.namespace && refs.some((r: any) => r.kind === 'Gateway' && r.name === pod.name);
      }
      return (ns(ra) === pod.namespace && selectorMatches(ra.spec?.selector, pod.labels)) || (ns(ra) === ISTIO_ROOT_NAMESPACE && !ra.spec?.selector);
    });
  }

  /** The token's verification by the RequestAuthentications of `pod`. */
  public authenticate(pod: Pod, jwt?: Jwt): Auth {
    if (!jwt) return undefined;
    const rules = this.requestAuthFor(pod).flatMap(ra => ra.spec?.jwtRules ?? []);
    const ok = rules.some((r: any) => r.issuer === jwt.iss && (!r.audiences || r.audiences.some((a: string) => jwt.aud.includes(a))));
    return ok ? { principal: `${jwt.iss}/${jwt.sub}`, claims: { ...jwt.claims, iss: jwt.iss, sub: jwt.sub }, audiences: jwt.aud } : 'rejected';
  }

  /**
   * The decision of `policies` (the ones one enforcement point applies) on `request` from
   * `source`; `l4Only` for ztunnel. Returns the deciding policies for error messages, and
   * `wouldDeny`: the dry-run policies (`istio.io/dry-run: "true"`), evaluated alone as the
   * proxy's shadow engine does, would deny the request (a matching DENY, or ALLOW policies none
   * of which matches) — observable as a shadow denial, never enforced.
   */
  public decide(policies: any[], source: Source, request: Request, auth: Auth, l4Only: boolean): Decision {
    if (auth === 'rejected') return { allowed: false, by: ['RequestAuthentication (token rejected)'], wouldDeny: false };
    const enforced = policies.filter(p => !isDryRun(p));
    const action = (p: any) => p.spec?.action ?? 'ALLOW';
    const custom = enforced.filter(p => action(p) === 'CUSTOM');
    if (custom.length) throw new Error(`${custom.map(ref).join(', ')}: CUSTOM authorization (an external authorizer) cannot be evaluated from manifests`);
    const ruleMatches = (p: any, deny: boolean) => (p.spec?.rules ?? []).some((r: any) => matchRule(r, source, request, auth, l4Only, deny, p));
    const verdict = (set: any[]) => {
      const denying = set.filter(p => action(p) === 'DENY' && ruleMatches(p, true));
      if (denying.length) return { allowed: false, by: denying.map(ref) };
      const allows = set.filter(p => action(p) === 'ALLOW');
      if (allows.length === 0) return { allowed: true, by: [] };
      const matching = allows.filter(p => ruleMatches(p, false));
      return { allowed: matching.length > 0, by: (matching.length ? matching : allows).map(ref) };
    };
    const dryRun = policies.filter(isDryRun);
    return { ...verdict(enforced), wouldDeny: dryRun.length > 0 && !verdict(dryRun).allowed };
  }
}

/** A policy the proxies evaluate in their shadow engine only (Istio's dry-run annotation). */
export function isDryRun(policy: any): boolean {
  return policy.metadata?.annotations?.['istio.io/dry-run'] === 'true';
}

function matchRule(rule: any, source: Source, request: Request, auth: Auth, l4Only: boolean, deny: boolean, policy: any): boolean {
  const http = request.method !== undefined;
  const hasHttpFields = (rule.from ?? []).some((f: any) => HTTP_SOURCE_FIELDS.some(k => f.source?.[k] !== undefined))
    || (rule.to ?? []).some((t: any) => HTTP_OPERATION_FIELDS.some(k => t.operation?.[k] !== undefined))
    || (rule.when ?? []).some((c: any) => String(c.key).startsWith('request.'));
  if (l4Only && hasHttpFields) return false; // ztunnel: ALLOW never matches, DENY not enforced
  // Envoy on TCP traffic: a DENY rule's HTTP-only fields are ignored (the rest decides)
  const lenient = deny && !http;
  const fromOk = !rule.from || rule.from.some((f: any) => sourceMatches(f.source ?? {}, source, auth, lenient, policy));
  const toOk = !rule.to || rule.to.some((t: any) => operationMatches(t.operation ?? {}, request, lenient));
  const whenOk = (rule.when ?? []).every((c: any) => conditionMatches(c, source, request, auth, lenient, policy));
  return fromOk && toOk && whenOk;
}

function sourceMatches(s: any, source: Source, auth: Auth, lenient: boolean, policy: any): boolean {
  const unknown = Object.keys(s).filter(k => !SOURCE_FIELDS.includes(k));
  if (unknown.length) throw new Error(`${ref(policy)}: source fields ${unknown.join(', ')} are not evaluated (supported: ${SOURCE_FIELDS.join(', ')})`);
  const p = source.principal;
  const nsOf = p ? /\/ns\/([^/]+)\/sa\//.exec(p)?.[1] : undefined;
  const saOf = p ? /\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(p) : undefined;
  const any = (list: string[] | undefined, v: string | undefined) => list !== undefined && list.some(x => istioStringMatch(x, v));
  if (s.principals && !any(s.principals, p)) return false;
  if (s.notPrincipals && any(s.notPrincipals, p)) return false;
  if (s.namespaces && !any(s.namespaces, nsOf)) return false;
  if (s.notNamespaces && any(s.notNamespaces, nsOf)) return false;
  const sa = saOf ? `${saOf[1]}/${saOf[2]}` : undefined;
  if (s.serviceAccounts && !(sa !== undefined && s.serviceAccounts.includes(sa))) return false;
  if (s.notServiceAccounts && sa !== undefined && s.notServiceAccounts.includes(sa)) return false;
  if (s.ipBlocks && !(source.ip !== undefined && s.ipBlocks.some((c: string) => cidrContains(c.includes('/') ? c : `${c}/32`, source.ip!)))) return false;
  if (s.notIpBlocks && source.ip !== undefined && s.notIpBlocks.some((c: string) => cidrContains(c.includes('/') ? c : `${c}/32`, source.ip!))) return false;
  if (!lenient) {
    const rp = auth && auth !== 'rejected' ? auth.principal : undefined;
    if (s.requestPrincipals && !any(s.requestPrincipals, rp)) return false;
    if (s.notRequestPrincipals && any(s.notRequestPrincipals, rp)) return false;
    if (s.remoteIpBlocks && !(source.ip !== undefined && s.remoteIpBlocks.some((c: string) => cidrContains(c.includes('/') ? c : `${c}/32`, source.ip!)))) return false;
  }
  return true;
}

function operationMatches(op: any, request: Request, lenient: boolean): boolean {
  if (op.ports && !op.ports.map(String).includes(String(request.port))) return false;
  if (op.notPorts && op.notPorts.map(String).includes(String(request.port))) return false;
  if (lenient) return true;
  // an opaque TCP connection has no host, method or path: HTTP fields do not match it
  if (op.methods && (request.method === undefined || !op.methods.includes(request.method))) return false;
  if (op.notMethods && request.method !== undefined && op.notMethods.includes(request.method)) return false;
  if (op.paths && (request.path === undefined || !op.paths.some((x: string) => istioPathMatch(x, request.path!)))) return false;
  if (op.notPaths && request.path !== undefined && op.notPaths.some((x: string) => istioPathMatch(x, request.path!))) return false;
  const host = request.headers?.host;
  if (op.hosts && (host === undefined || !op.hosts.some((x: string) => istioStringMatch(x.toLowerCase(), host.toLowerCase())))) return false;
  if (op.notHosts && host !== undefined && op.notHosts.some((x: string) => istioStringMatch(x.toLowerCase(), host.toLowerCase()))) return false;
  return true;
}

/**
 * Conditions on `request.auth.claims[..]` (a list claim matches when one element does; no
 * token never matches), `request.auth.principal`, `request.auth.audiences`,
 * `request.headers[..]` (absent header never matches), `source.principal`, `source.namespace`,
 * `source.ip`, `destination.port`.
 */
function conditionMatches(c: any, source: Source, request: Request, auth: Auth, lenient: boolean, policy: any): boolean {
  const key = String(c.key);
  const verified = auth && auth !== 'rejected' ? auth : undefined;
  let raw: string | string[] | undefined;
  let m: RegExpExecArray | null;
  if ((m = /^request\.auth\.claims\[([^\]]+)\]$/.exec(key))) raw = verified?.claims[m[1]];
  else if ((m = /^request\.headers\[([^\]]+)\]$/.exec(key))) raw = request.headers?.[m[1].toLowerCase()];
  else if (key === 'request.auth.principal') raw = verified?.principal;
  else if (key === 'request.auth.audiences') raw = verified?.audiences;
  else if (key === 'source.principal') raw = source.principal;
  else if (key === 'source.namespace') raw = source.principal ? /\/ns\/([^/]+)\//.exec(source.principal)?.[1] : undefined;
  else if (key === 'source.ip') raw = source.ip;
  else if (key === 'destination.port') raw = String(request.port);
  else throw new Error(`${ref(policy)}: condition key '${key}' is not evaluated (supported: request.auth.claims[..], request.auth.principal, request.auth.audiences, request.headers[..], source.principal, source.namespace, source.ip, destination.port)`);
  if (lenient && key.startsWith('request.')) return true;
  const values = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  const match = (patterns: string[]) => values.some(v => patterns.some(p => (key === 'source.ip' ? cidrContains(p.includes('/') ? p : `${p}/32`, v) : istioStringMatch(p, v))));
  if (c.values && !match(c.values)) return false;
  if (c.notValues && match(c.notValues)) return false;
  return true;
}

function ns(o: any): string {
  return o.metadata?.namespace ?? 'default';
}

export function ref(o: any): string {
  return `${o.kind}/${o.metadata?.namespace ?? 'default'}/${o.metadata?.name}`;
}
