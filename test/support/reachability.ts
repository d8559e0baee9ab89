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
 *   Namespace objects plus the automatic `kubernetes.io/metadata.name` label.
 */

export interface Pod {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly serviceAccount: string;
}

export interface Request {
  readonly port: number;
  readonly protocol?: 'TCP' | 'UDP';
  readonly method?: string;
  readonly path?: string;
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
  private readonly namespaceLabels = new Map<string, Record<string, string>>();
  private readonly networkPolicies: any[];
  private readonly authorizationPolicies: any[];
  private readonly peerAuthentications: any[];

  public constructor(manifests: any[], private readonly trustDomain: string = 'cluster.local') {
    for (const ns of manifests.filter(m => m.kind === 'Namespace')) {
      this.namespaceLabels.set(ns.metadata.name, { ...ns.metadata.labels, 'kubernetes.io/metadata.name': ns.metadata.name });
    }
    this.pods = manifests.filter(m => m.kind === 'Deployment').map(d => ({
      namespace: d.metadata.namespace,
      name: d.metadata.name,
      labels: d.spec.template.metadata.labels ?? {},
      serviceAccount: d.spec.template.spec.serviceAccountName ?? 'default',
    }));
    this.networkPolicies = manifests.filter(m => m.kind === 'NetworkPolicy');
    this.authorizationPolicies = manifests.filter(m => m.kind === 'AuthorizationPolicy');
    this.peerAuthentications = manifests.filter(m => m.kind === 'PeerAuthentication');
  }

  public pod(namespace: string, name: string): Pod {
    const pod = this.pods.find(p => p.namespace === namespace && p.name === name);
    if (!pod) throw new Error(`no Deployment ${namespace}/${name}`);
    return pod;
  }

  public principal(pod: Pod): string {
    return `${this.trustDomain}/ns/${pod.namespace}/sa/${pod.serviceAccount}`;
  }

  /** Both NetworkPolicy directions allow a TCP/UDP connection from `from` to `to` on `port`. */
  public networkAllows(from: Pod, to: Pod, port: number, protocol: 'TCP' | 'UDP' = 'TCP'): boolean {
    return this.directionAllows('Egress', from, to, port, protocol) && this.directionAllows('Ingress', to, from, port, protocol);
  }

  /** The callee's AuthorizationPolicies allow the request from the caller's mTLS identity. */
  public meshAllows(from: Pod, to: Pod, request: Request): boolean {
    const policies = this.authorizationPolicies.filter(p => p.metadata.namespace === to.namespace
      && selectorMatches(p.spec?.selector, to.labels));
    const principal = this.principal(from);
    const matches = (p: any) => (p.spec?.rules ?? []).some((rule: any) => ruleMatches(rule, principal, from.namespace, request));
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

function portsMatch(ports: any[] | undefined, port: number, protocol: string): boolean {
  if (ports === undefined || ports.length === 0) return true;
  return ports.some(p => (p.protocol ?? 'TCP') === protocol && (p.port === undefined || p.port === port
    || (p.endPort !== undefined && port >= p.port && port <= p.endPort)));
}

function ruleMatches(rule: any, principal: string, namespace: string, request: Request): boolean {
  const fromOk = !rule.from || rule.from.some((f: any) => sourceMatches(f.source ?? {}, principal, namespace));
  const toOk = !rule.to || rule.to.some((t: any) => operationMatches(t.operation ?? {}, request));
  if (rule.when) throw new Error('conditions are not evaluated by this test helper');
  return fromOk && toOk;
}

function sourceMatches(source: any, principal: string, namespace: string): boolean {
  const unsupported = Object.keys(source).filter(k => !['principals', 'notPrincipals', 'namespaces', 'notNamespaces'].includes(k));
  if (unsupported.length) throw new Error(`source fields not evaluated by this test helper: ${unsupported}`);
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
