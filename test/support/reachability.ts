/**
 * Evaluates synthesized manifests the way the enforcement points do, to prove that the YAML
 * allows exactly what the intent graph declares:
 *
 * - Kubernetes NetworkPolicy (L3/L4): a pod selected by any policy of a direction is isolated
 *   in that direction; a connection needs the caller's egress AND the callee's ingress to allow
 *   it; peers AND their namespace and pod selectors within one element; ports match on
 *   protocol and number.
 * - Istio AuthorizationPolicy (identity, L7): CUSTOM is not used; DENY policies first; if no
 *   ALLOW policy selects the workload the request is allowed; otherwise some ALLOW rule must
 *   match (an ALLOW policy without rules matches nothing). Within a rule, `from`, `to` are
 *   ANDed; entries of a list are ORed; string matching is exact, prefix `x*`, suffix `*x` or `*`.
 * - Pods come from Deployments (template labels, ServiceAccount), namespace labels from
 *   Namespace objects plus the automatic `kubernetes.io/metadata.name` label. A workload of
 *   another cluster is a `Pod` with its own `trustDomain` (its principal); the pod its traffic
 *   arrives from in this cluster (an east-west gateway) is a `Pod` of its own.
 * - Data path (`request()`), from Istio's ambient docs: a pod in a namespace labelled
 *   `istio.io/dataplane-mode: ambient` is captured by ztunnel; traffic to or from it is HBONE,
 *   so NetworkPolicies see port 15008. A Service (or its namespace) labelled
 *   `istio.io/use-waypoint: <name>` with a Gateway `<name>` of class `istio-waypoint` sends
 *   ztunnel-captured callers through that waypoint (caller -> waypoint:15008 -> pod:15008);
 *   sidecars and gateways send straight to the pods (Istio routes only ztunnel traffic through
 *   waypoints). The waypoint runs as ServiceAccount `<name>`, pods labelled
 *   `gateway.networking.k8s.io/gateway-name: <name>`.
 * - Who evaluates which AuthorizationPolicy: a waypoint evaluates the policies whose `targetRefs`
 *   name the callee's Service or the waypoint's Gateway, with the caller's principal and the full
 *   request; ztunnel and sidecars evaluate the policies without `targetRefs` that select the pod
 *   (or the whole namespace); ztunnel sees L4 only (a rule with methods, paths, headers, claims or
 *   request principals never matches there) and, behind a waypoint, the waypoint's principal.
 * - Dry run: a policy annotated `istio.io/dry-run: "true"` is not enforced; the proxy's shadow
 *   engine evaluates the dry-run policies alone (a matching DENY, or ALLOW policies none of which
 *   match, is a would-be denial).
 */

export interface Pod {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly serviceAccount: string;
  /**
   * The trust domain of the pod's identity, for a workload of another cluster (its certificate
   * is verified with the federated bundle).
   */
  readonly trustDomain?: string;
}

export interface Request {
  readonly port: number;
  readonly protocol?: 'TCP' | 'UDP';
  readonly method?: string;
  readonly path?: string;
  /** The end user's JWT, if the request carries one (`Authorization: Bearer ...`). */
  readonly jwt?: Jwt;
  /** Request headers (lower-case names). */
  readonly headers?: Record<string, string>;
}

/** The verifiable content of an end-user JWT. */
export interface Jwt {
  readonly iss: string;
  readonly sub: string;
  readonly aud: string[];
  readonly claims?: Record<string, string | string[]>;
}

type Selector = { matchLabels?: Record<string, string>; matchExpressions?: Array<{ key: string; operator: string; values?: string[] }> };

export function selectorMatches(selector: Selector | undefined, labels: Record<string, string>): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[k] !== v) return false;
  }
  for (const e of selector.matchExpressions ?? []) {
    const has = e.key in labels;
    switch (e.operator) {
      case 'In': if (!has || !(e.values ?? []).includes(labels[e.key])) return false; break;
      case 'NotIn': if (has && (e.values ?? []).includes(labels[e.key])) return false; break;
      case 'Exists': if (!has) return false; break;
      case 'DoesNotExist': if (has) return false; break;
      default: throw new Error(`unknown selector operator ${e.operator}`);
    }
  }
  return true;
}

function istioStringMatch(pattern: string, value: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('*')) return value.startsWith(pattern.slice(0, -1));
  if (pattern.startsWith('*')) return value.endsWith(pattern.slice(1));
  return pattern === value;
}

function istioPathMatch(pattern: string, path: string): boolean {
  if (pattern.includes('{')) {
    const regex = pattern.split('/').map(s => (s === '{**}' ? '.*' : s === '{*}' ? '[^/]+' : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/');
    return new RegExp(`^${regex}$`).test(path);
  }
  return istioStringMatch(pattern, path);
}

export class Cluster {
  public readonly pods: Pod[];
  /** Pods of StatefulSets, DaemonSets, Jobs and CronJobs (found by `pod()`). */
  public readonly otherWorkloadPods: Pod[];
  private readonly namespaceLabels = new Map<string, Record<string, string>>();
  private readonly networkPolicies: any[];
  private readonly authorizationPolicies: any[];
  private readonly peerAuthentications: any[];
  private readonly requestAuthentications: any[];
  private readonly sidecars: any[];
  private readonly serviceEntries: any[];
  private readonly ciliumPolicies: any[];
  private readonly services: any[];
  private readonly waypoints = new Set<string>();

  public constructor(manifests: any[], private readonly trustDomain: string = 'cluster.local') {
    for (const ns of manifests.filter(m => m.kind === 'Namespace')) {
      this.namespaceLabels.set(ns.metadata.name, { ...ns.metadata.labels, 'kubernetes.io/metadata.name': ns.metadata.name });
    }
    // `pods`: Deployments (and gateways); `pod()` also finds the pods of the other workload
    // controllers (StatefulSet, DaemonSet, Job, CronJob through its Job template)
    const podOf = (d: any): Pod => {
      const template = d.kind === 'CronJob' ? d.spec.jobTemplate.spec.template : d.spec.template;
      return {
        namespace: d.metadata.namespace ?? 'default',
        name: d.metadata.name,
        labels: template.metadata?.labels ?? {},
        serviceAccount: template.spec.serviceAccountName ?? template.spec.serviceAccount ?? 'default',
      };
    };
    this.pods = manifests.filter(m => m.kind === 'Deployment').map(podOf);
    this.otherWorkloadPods = manifests.filter(m => ['StatefulSet', 'DaemonSet', 'Job', 'CronJob'].includes(m.kind)).map(podOf);
    // Gateway API gateways of class istio: Istio deploys `<name>-istio` running as ServiceAccount
    // `<name>-istio`, pods labelled with the gateway name
    for (const g of manifests.filter(m => m.kind === 'Gateway' && m.apiVersion.startsWith('gateway.networking.k8s.io/') && m.spec.gatewayClassName === 'istio')) {
      this.pods.push({
        namespace: g.metadata.namespace,
        name: g.metadata.name,
        labels: { 'gateway.networking.k8s.io/gateway-name': g.metadata.name, 'istio.io/gateway-name': g.metadata.name },
        serviceAccount: `${g.metadata.name}-istio`,
      });
    }
    // waypoints (class istio-waypoint): Istio deploys `<name>` running as ServiceAccount `<name>`
    for (const g of manifests.filter(m => m.kind === 'Gateway' && m.apiVersion.startsWith('gateway.networking.k8s.io/') && m.spec.gatewayClassName === 'istio-waypoint')) {
      this.pods.push({
        namespace: g.metadata.namespace,
        name: g.metadata.name,
        labels: { 'gateway.networking.k8s.io/gateway-name': g.metadata.name, 'istio.io/gateway-name': g.metadata.name },
        serviceAccount: g.metadata.name,
      });
      this.waypoints.add(`${g.metadata.namespace}/${g.metadata.name}`);
    }
    this.services = manifests.filter(m => m.kind === 'Service');
    this.requestAuthentications = manifests.filter(m => m.kind === 'RequestAuthentication');
    this.sidecars = manifests.filter(m => m.kind === 'Sidecar');
    this.serviceEntries = manifests.filter(m => m.kind === 'ServiceEntry');
    this.ciliumPolicies = manifests.filter(m => m.kind === 'CiliumNetworkPolicy');
    this.networkPolicies = manifests.filter(m => m.kind === 'NetworkPolicy');
    this.authorizationPolicies = manifests.filter(m => m.kind === 'AuthorizationPolicy');
    this.peerAuthentications = manifests.filter(m => m.kind === 'PeerAuthentication');
  }

  public pod(namespace: string, name: string): Pod {
    const pod = [...this.pods, ...this.otherWorkloadPods].find(p => p.namespace === namespace && p.name === name);
    if (!pod) throw new Error(`no workload (Deployment, StatefulSet, DaemonSet, Job, CronJob) ${namespace}/${name}`);
    return pod;
  }

  public principal(pod: Pod): string {
    return `${pod.trustDomain ?? this.trustDomain}/ns/${pod.namespace}/sa/${pod.serviceAccount}`;
  }

  /** Both NetworkPolicy directions allow a TCP/UDP connection from `from` to `to` on `port`. */
  public networkAllows(from: Pod, to: Pod, port: number, protocol: 'TCP' | 'UDP' = 'TCP'): boolean {
    return this.directionAllows('Egress', from, to, port, protocol) && this.directionAllows('Ingress', to, from, port, protocol);
  }

  /** The callee's AuthorizationPolicies allow the request from the caller's mTLS identity. */
  public meshAllows(from: Pod, to: Pod, request: Request): boolean {
    const policies = this.authorizationPolicies.filter(p => p.metadata.namespace === to.namespace && !p.spec?.targetRefs && !isDryRun(p)
      && selectorMatches(p.spec?.selector, to.labels));
    const principal = this.principal(from);
    const auth = this.requestAuth(to, request.jwt);
    if (auth === 'rejected') return false; // 401: a token no RequestAuthentication of the pod accepts
    const matches = (p: any) => (p.spec?.rules ?? []).some((rule: any) => ruleMatches(rule, principal, from.namespace, request, auth));
    const action = (p: any) => p.spec?.action ?? 'ALLOW';
    for (const p of policies) {
      if (!['ALLOW', 'DENY'].includes(action(p))) throw new Error(`unsupported action ${action(p)}`);
    }
    if (policies.filter(p => action(p) === 'DENY').some(matches)) return false;
    const allows = policies.filter(p => action(p) === 'ALLOW');
    if (allows.length === 0) return true;
    return allows.some(matches);
  }

  /** Whether the request passes every layer. */
  public allows(from: Pod, to: Pod, request: Request): boolean {
    return this.networkAllows(from, to, request.port, request.protocol ?? 'TCP') && this.meshAllows(from, to, request);
  }

  /** The effective mTLS mode for a pod's namespace (no policy: PERMISSIVE). */
  public mtlsMode(pod: Pod): string {
    const policies = this.peerAuthentications.filter(p => p.metadata.namespace === pod.namespace);
    const workload = policies.find(p => p.spec?.selector && selectorMatches(p.spec.selector, pod.labels));
    const namespaceWide = policies.find(p => !p.spec?.selector);
    return workload?.spec?.mtls?.mode ?? namespaceWide?.spec?.mtls?.mode ?? 'PERMISSIVE';
  }

  /**
   * Istio RequestAuthentication: no token, no request principal (accepted); a token is accepted
   * when a jwtRule of a RequestAuthentication selecting the pod has its issuer and (if set) one
   * of its audiences, otherwise the request is rejected (401).
   */
  public requestAuth(to: Pod, jwt?: Jwt): 'rejected' | { principal: string; claims: Record<string, string | string[]> } | undefined {
    if (!jwt) return undefined;
    const rules = this.requestAuthentications.filter(ra => ra.metadata.namespace === to.namespace && selectorMatches(ra.spec?.selector, to.labels))
      .flatMap(ra => ra.spec.jwtRules ?? []);
    const ok = rules.some((r: any) => r.issuer === jwt.iss && (!r.audiences || r.audiences.some((a: string) => jwt.aud.includes(a))));
    return ok ? { principal: `${jwt.iss}/${jwt.sub}`, claims: { ...jwt.claims, iss: jwt.iss, sub: jwt.sub } } : 'rejected';
  }

  /** An outside client at `ip` may open a connection to `to` on `port` (the pod's ingress NetworkPolicies). */
  public networkAllowsFromIp(ip: string, to: Pod, port: number): boolean {
    const selecting = this.networkPolicies.filter(np => np.metadata.namespace === to.namespace
      && selectorMatches(np.spec.podSelector, to.labels) && (np.spec.policyTypes ?? ['Ingress']).includes('Ingress'));
    if (selecting.length === 0) return true;
    return selecting.some(np => (np.spec.ingress ?? []).some((rule: any) =>
      (rule.from === undefined || rule.from.some((peer: any) => peer.ipBlock && ipBlockMatches(peer.ipBlock, ip))) && portsMatch(rule.ports, port, 'TCP')));
  }

  /** `from` may open a TCP connection to the outside address `ip` on `port` (its egress NetworkPolicies). */
  public networkAllowsToIp(from: Pod, ip: string, port: number): boolean {
    const selecting = this.networkPolicies.filter(np => np.metadata.namespace === from.namespace
      && selectorMatches(np.spec.podSelector, from.labels) && (np.spec.policyTypes ?? ['Ingress']).includes('Egress'));
    if (selecting.length === 0) return true;
    return selecting.some(np => (np.spec.egress ?? []).some((rule: any) =>
      (rule.to === undefined || rule.to.some((peer: any) => peer.ipBlock && ipBlockMatches(peer.ipBlock, ip))) && portsMatch(rule.ports, port, 'TCP')));
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
    const entry = this.serviceEntries.find(se => se.spec.hosts.includes(host) && (se.spec.ports ?? []).some((p: any) => p.number === port)
      && (se.spec.exportTo === undefined || se.spec.exportTo.includes('*') || (se.spec.exportTo.includes('.') && se.metadata.namespace === from.namespace)
        || se.spec.exportTo.includes(from.namespace)));
    const visible = entry !== undefined && (!sidecar || (sidecar.spec.egress ?? []).some((e: any) => e.hosts.some((h: string) => {
      const [ns, name] = h.split('/');
      const nsOk = ns === '*' || (ns === '.' ? entry.metadata.namespace === from.namespace : ns === entry.metadata.namespace);
      return nsOk && (name === '*' || name === host);
    })));
    if (visible) return true;
    return mode === 'ALLOW_ANY' && !sidecar;
  }

  /**
   * Cilium allows `from` to reach `host:port` by name: a CiliumNetworkPolicy selecting the pod
   * has a toFQDNs rule for the name on the port AND a DNS rule (L7 `rules.dns`) toward cluster DNS
   * through which the name is resolved — without it Cilium never learns the name's addresses —
   * and, when the name resolves to `address`, no `egressDeny` `toCIDRSet` of those policies
   * contains it.
   */
  public ciliumAllowsFqdn(from: Pod, host: string, port: number, address?: string): boolean {
    const selecting = this.ciliumPolicies
      .filter(p => p.metadata.namespace === from.namespace && selectorMatches(p.spec.endpointSelector, from.labels));
    const rules = selecting.flatMap(p => p.spec.egress ?? []);
    // deny rules win over allow rules (Cilium deny policies); a CIDR rule matches destinations outside the cluster
    const denied = selecting.flatMap(p => p.spec.egressDeny ?? []).some((r: any) => (r.toCIDRSet ?? []).some((c: any) => cidrContains(c.cidr, address ?? '')));
    if (address !== undefined && denied) {
      return false;
    }
    const learnsNames = rules.some((r: any) => (r.toEndpoints ?? []).length > 0 && (r.toPorts ?? []).some((tp: any) =>
      tp.ports.some((pp: any) => pp.port === '53') && (tp.rules?.dns ?? []).some((d: any) => d.matchPattern === '*' || d.matchName === host
        || (d.matchPattern && new RegExp(`^${d.matchPattern.replace(/\./g, '\\.').replace(/\*/g, '[^.]*')}\\.?$`).test(host)))));
    const named = rules.some((r: any) => (r.toFQDNs ?? []).some((f: any) => f.matchName === host) && (r.toPorts ?? []).some((tp: any) =>
      tp.ports.some((pp: any) => Number(pp.port) === port)));
    return learnsNames && named;
  }

  /**
   * Cilium's ingress decision for a request to `to`: allowed when no CiliumNetworkPolicy selecting
   * the pod has ingress rules; otherwise some rule's `fromEndpoints` selects the caller (namespace
   * label `k8s:io.kubernetes.pod.namespace`, pod labels with or without `k8s:`), a `toPorts`
   * entry has the port, and, when it carries `rules.http`, one HTTP rule's method and path regular
   * expressions match the whole method and path (an L4 connection never matches an HTTP rule).
   */
  public ciliumAllowsHttp(from: Pod, to: Pod, request: Request): boolean {
    const selecting = this.ciliumPolicies.filter(p => p.metadata.namespace === to.namespace && selectorMatches(p.spec.endpointSelector, to.labels)
      && p.spec.ingress !== undefined);
    if (selecting.length === 0) return true;
    const rules = selecting.flatMap(p => p.spec.ingress);
    const callerLabels: Record<string, string> = { 'k8s:io.kubernetes.pod.namespace': from.namespace };
    for (const [k, v] of Object.entries(from.labels)) {
      callerLabels[k] = v;
      callerLabels[`k8s:${k}`] = v;
    }
    const full = (re: string, value: string | undefined) => value !== undefined && new RegExp(`^(?:${re})$`).test(value);
    return rules.some((rule: any) => (rule.fromEndpoints ?? []).some((sel: any) => selectorMatches(sel, callerLabels))
      && (rule.toPorts ?? []).some((tp: any) => tp.ports.some((pp: any) => Number(pp.port) === request.port)
        && (!tp.rules?.http || tp.rules.http.some((h: any) => (h.method === undefined || full(h.method, request.method))
          && (h.path === undefined || full(h.path, request.path))
          && (h.headerMatches ?? []).every((hm: any) => request.headers?.[hm.name] === hm.value)
          && (h.method !== undefined || h.path !== undefined || h.headerMatches !== undefined || request.method !== undefined)))));
  }

  /** How a pod joins the mesh: `ambient` (ztunnel), `waypoint`, or `sidecar` (sidecars and gateways). */
  public dataplane(pod: Pod): 'ambient' | 'sidecar' | 'waypoint' {
    if (this.waypoints.has(`${pod.namespace}/${pod.name}`) && pod.labels['gateway.networking.k8s.io/gateway-name'] === pod.name) return 'waypoint';
    const ns = this.namespaceLabels.get(pod.namespace) ?? {};
    return ns['istio.io/dataplane-mode'] === 'ambient' && pod.labels['istio.io/dataplane-mode'] !== 'none' ? 'ambient' : 'sidecar';
  }

  /** The waypoint pod that ztunnel sends traffic for `to` through (its Service's, else its namespace's `istio.io/use-waypoint`). */
  public waypointOf(to: Pod): Pod | undefined {
    const service = this.services.find(sv => sv.metadata.namespace === to.namespace && sv.spec?.selector
      && Object.entries(sv.spec.selector).every(([k, v]) => to.labels[k] === v));
    const name = service?.metadata.labels?.['istio.io/use-waypoint'] ?? this.namespaceLabels.get(to.namespace)?.['istio.io/use-waypoint'];
    if (!name || !this.waypoints.has(`${to.namespace}/${name}`)) return undefined;
    return this.pods.find(p => p.namespace === to.namespace && p.name === name && this.dataplane(p) === 'waypoint');
  }

  /**
   * The request through the data path: which hops the NetworkPolicies must admit (on which
   * port), which proxies evaluate which AuthorizationPolicies, and the dry-run verdicts.
   */
  public request(from: Pod, to: Pod, request: Request): Verdict {
    const callerAmbient = this.dataplane(from) === 'ambient';
    const calleeAmbient = this.dataplane(to) === 'ambient';
    const service = this.services.find(sv => sv.metadata.namespace === to.namespace && sv.spec?.selector
      && Object.entries(sv.spec.selector).every(([k, v]) => to.labels[k] === v));
    const decisions: Decision[] = [];
    let l4: boolean;
    const waypoint = calleeAmbient && callerAmbient ? this.waypointOf(to) : undefined;
    if (waypoint) {
      l4 = this.networkAllows(from, waypoint, HBONE) && this.networkAllows(waypoint, to, HBONE);
      const attached = this.authorizationPolicies.filter(p => p.metadata.namespace === to.namespace && (p.spec?.targetRefs ?? []).some((r: any) =>
        (r.kind === 'Service' && (r.group ?? '') === '' && service && r.name === service.metadata.name)
        || (r.kind === 'Gateway' && r.group === 'gateway.networking.k8s.io' && r.name === waypoint.name)));
      decisions.push(this.decide(attached, this.principal(from), from.namespace, to, request));
      decisions.push(this.decide(this.podPolicies(to), this.principal(waypoint), waypoint.namespace, to, { port: request.port }));
    } else if (calleeAmbient) {
      l4 = this.networkAllows(from, to, HBONE);
      decisions.push(this.decide(this.podPolicies(to), this.principal(from), from.namespace, to, { port: request.port }));
    } else {
      const port = callerAmbient ? HBONE : request.port;
      const cilium = this.ciliumPolicies.some(p => p.metadata.namespace === to.namespace && selectorMatches(p.spec.endpointSelector,
        to.labels) && p.spec.ingress !== undefined);
      if (cilium) {
        // Cilium ORs its own policies with Kubernetes NetworkPolicies; its L7 proxy checks the request
        l4 = this.directionAllows('Egress', from, to, port, 'TCP') && (this.directionAllows('Ingress', to, from, port, 'TCP') || this.ciliumAdmits(from, to, request.port));
        decisions.push({ enforced: this.ciliumAllowsHttp(from, to, request), wouldDeny: false });
      } else {
        l4 = this.networkAllows(from, to, port);
      }
      decisions.push(this.decide(this.podPolicies(to), this.principal(from), from.namespace, to, request));
    }
    const l7 = decisions.every(d => d.enforced);
    return { allowed: l4 && l7, l4, l7, wouldDeny: decisions.some(d => d.wouldDeny), via: waypoint?.name };
  }

  /** Cilium admits the connection at L4: a rule's fromEndpoints select the caller and its toPorts have the port (L7 rules filter the requests later). */
  private ciliumAdmits(from: Pod, to: Pod, port: number): boolean {
    const callerLabels: Record<string, string> = { 'k8s:io.kubernetes.pod.namespace': from.namespace };
    for (const [k, v] of Object.entries(from.labels)) {
      callerLabels[k] = v;
      callerLabels[`k8s:${k}`] = v;
    }
    return this.ciliumPolicies.filter(p => p.metadata.namespace === to.namespace && selectorMatches(p.spec.endpointSelector, to.labels))
      .flatMap(p => p.spec.ingress ?? []).some((rule: any) => (rule.fromEndpoints ?? []).some((sel: any) => selectorMatches(sel, callerLabels))
        && (rule.toPorts ?? []).some((tp: any) => tp.ports.some((pp: any) => Number(pp.port) === port)));
  }

  /** The policies a pod's own proxy (sidecar or ztunnel) evaluates: no targetRefs, selecting the pod or the namespace. */
  private podPolicies(to: Pod): any[] {
    return this.authorizationPolicies.filter(p => p.metadata.namespace === to.namespace && !p.spec?.targetRefs
      && selectorMatches(p.spec?.selector, to.labels));
  }

  /** Istio's ALLOW/DENY semantics over the enforced policies, and the shadow engine's over the dry-run ones. */
  private decide(policies: any[], principal: string, namespace: string, to: Pod, request: Request): Decision {
    const auth = this.requestAuth(to, request.jwt);
    if (auth === 'rejected') return { enforced: false, wouldDeny: false };
    const matches = (p: any) => (p.spec?.rules ?? []).some((rule: any) => ruleMatches(rule, principal, namespace, request, auth));
    const action = (p: any) => p.spec?.action ?? 'ALLOW';
    const verdict = (set: any[]) => {
      if (set.filter(p => action(p) === 'DENY').some(matches)) return false;
      const allows = set.filter(p => action(p) === 'ALLOW');
      return allows.length === 0 || allows.some(matches);
    };
    return { enforced: verdict(policies.filter(p => !isDryRun(p))), wouldDeny: !verdict(policies.filter(isDryRun)) };
  }

  private directionAllows(direction: 'Ingress' | 'Egress', subject: Pod, peer: Pod, port: number, protocol: string): boolean {
    const selecting = this.networkPolicies.filter(np => np.metadata.namespace === subject.namespace
      && selectorMatches(np.spec.podSelector, subject.labels)
      && (np.spec.policyTypes ?? ['Ingress']).includes(direction));
    if (selecting.length === 0) return true; // not isolated
    const rulesKey = direction === 'Ingress' ? 'ingress' : 'egress';
    const peersKey = direction === 'Ingress' ? 'from' : 'to';
    return selecting.some(np => (np.spec[rulesKey] ?? []).some((rule: any) =>
      this.peersMatch(rule[peersKey], subject.namespace, peer) && portsMatch(rule.ports, port, protocol)));
  }

  private peersMatch(peers: any[] | undefined, policyNamespace: string, pod: Pod): boolean {
    if (peers === undefined || peers.length === 0) return true; // all sources/destinations
    return peers.some(peer => {
      if (peer.ipBlock) return false; // pod-to-pod traffic is matched by selectors here
      const nsLabels = this.namespaceLabels.get(pod.namespace) ?? { 'kubernetes.io/metadata.name': pod.namespace };
      const nsOk = peer.namespaceSelector ? selectorMatches(peer.namespaceSelector, nsLabels) : pod.namespace === policyNamespace;
      const podOk = peer.podSelector ? selectorMatches(peer.podSelector, pod.labels) : true;
      return nsOk && podOk;
    });
  }
}

const HBONE = 15008;

/** The outcome of a request through the data path. */
export interface Verdict {
  /** Every hop's NetworkPolicies and every enforcing proxy allow it. */
  readonly allowed: boolean;
  /** The NetworkPolicies of every hop admit it. */
  readonly l4: boolean;
  /** Every proxy on the path (waypoint, ztunnel, sidecar, Cilium) allows it. */
  readonly l7: boolean;
  /** Some proxy's dry-run policies would deny it (observable as a dry-run deny). */
  readonly wouldDeny: boolean;
  /** The waypoint the request went through. */
  readonly via?: string;
}

interface Decision {
  readonly enforced: boolean;
  readonly wouldDeny: boolean;
}

function isDryRun(policy: any): boolean {
  return policy.metadata?.annotations?.['istio.io/dry-run'] === 'true';
}

function portsMatch(ports: any[] | undefined, port: number, protocol: string): boolean {
  if (ports === undefined || ports.length === 0) return true;
  return ports.some(p => (p.protocol ?? 'TCP') === protocol && (p.port === undefined || p.port === port
    || (p.endPort !== undefined && port >= p.port && port <= p.endPort)));
}

type RequestAuth = { principal: string; claims: Record<string, string | string[]> } | undefined;

function ruleMatches(rule: any, principal: string, namespace: string, request: Request, auth?: RequestAuth): boolean {
  const fromOk = !rule.from || rule.from.some((f: any) => sourceMatches(f.source ?? {}, principal, namespace, auth));
  const toOk = !rule.to || rule.to.some((t: any) => operationMatches(t.operation ?? {}, request));
  const whenOk = (rule.when ?? []).every((c: any) => conditionMatches(c, auth, request));
  return fromOk && toOk && whenOk;
}

/**
 * `request.auth.claims[<name>]` conditions (a list claim matches when one element matches; no
 * token never matches) and `request.headers[<name>]` conditions (absent header never matches).
 */
function conditionMatches(condition: any, auth: RequestAuth, request: Request): boolean {
  const header = /^request\.headers\[([^\]]+)\]$/.exec(condition.key);
  const m = /^request\.auth\.claims\[([^\]]+)\]$/.exec(condition.key);
  if (!m && !header) throw new Error(`condition key not evaluated by this test helper: ${condition.key}`);
  const raw = header ? request.headers?.[header[1]] : auth?.claims[m![1]];
  const values = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  if (condition.values && !values.some(v => condition.values.some((p: string) => istioStringMatch(p, v)))) return false;
  if (condition.notValues && values.some(v => condition.notValues.some((p: string) => istioStringMatch(p, v)))) return false;
  return true;
}

function sourceMatches(source: any, principal: string, namespace: string, auth?: RequestAuth): boolean {
  const unsupported = Object.keys(source).filter(k => !['principals', 'notPrincipals', 'namespaces', 'notNamespaces', 'requestPrincipals'].includes(k));
  if (unsupported.length) throw new Error(`source fields not evaluated by this test helper: ${unsupported}`);
  if (source.requestPrincipals && (!auth || !source.requestPrincipals.some((p: string) => istioStringMatch(p, auth.principal)))) return false;
  if (source.principals && !source.principals.some((p: string) => istioStringMatch(p, principal))) return false;
  if (source.notPrincipals?.some((p: string) => istioStringMatch(p, principal))) return false;
  if (source.namespaces && !source.namespaces.some((n: string) => istioStringMatch(n, namespace))) return false;
  if (source.notNamespaces?.some((n: string) => istioStringMatch(n, namespace))) return false;
  return true;
}

function operationMatches(op: any, request: Request): boolean {
  if (op.ports && !op.ports.includes(String(request.port))) return false;
  if (op.notPorts?.includes(String(request.port))) return false;
  // an L4 connection has no method or path: Istio treats HTTP-only fields as not matching it
  if (op.methods && (request.method === undefined || !op.methods.includes(request.method))) return false;
  if (op.notMethods && request.method !== undefined && op.notMethods.includes(request.method)) return false;
  if (op.paths && (request.path === undefined || !op.paths.some((p: string) => istioPathMatch(p, request.path!)))) return false;
  if (op.notPaths && request.path !== undefined && op.notPaths.some((p: string) => istioPathMatch(p, request.path!))) return false;
  if (op.hosts || op.notHosts) throw new Error('hosts are not evaluated by this test helper');
  return true;
}

function ipBlockMatches(block: { cidr: string; except?: string[] }, ip: string): boolean {
  return cidrContains(block.cidr, ip) && !(block.except ?? []).some(e => cidrContains(e, ip));
}

/** The address as a bit string (IPv4: 32 bits, IPv6: 128 bits), or undefined. */
function addressBits(address: string): string | undefined {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(address)) {
    const parts = address.split('.').map(Number);
    return parts.every(n => n <= 255) ? parts.map(n => n.toString(2).padStart(8, '0')).join('') : undefined;
  }
  if (!/^[0-9a-f:]+$/i.test(address)) return undefined;
  const [head, tail] = address.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = address.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  return groups.length === 8 ? groups.map(g => parseInt(g, 16).toString(2).padStart(16, '0')).join('') : undefined;
}

/** Whether `cidr` contains `address` (same family only). */
export function cidrContains(cidr: string, address: string): boolean {
  const [net, len] = cidr.split('/');
  const a = addressBits(address);
  const n = addressBits(net);
  if (!a || !n || a.length !== n.length) return false;
  const bits = len === undefined ? n.length : Number(len);
  return a.slice(0, bits) === n.slice(0, bits);
}
