/**
 * The cluster as the enforcement points see it, read from synthesized manifests only: pods
 * (from the workload controllers that create them), namespace labels, Services and the
 * upstream matching rules shared by every engine (label selectors, Istio string matching).
 *
 * Written from the upstream documents, never from this library's renderers:
 * - label selectors: kubernetes.io "Labels and Selectors" (matchLabels AND matchExpressions;
 *   `In`, `NotIn`, `Exists`, `DoesNotExist`; an empty selector selects everything);
 * - the `kubernetes.io/metadata.name` label every namespace carries (set by the API server);
 * - Istio string matching (authorization_policy.proto: exact, prefix `abc*`, suffix `*abc`,
 *   presence `*`) and path templates (`{*}` one segment, `{**}` the rest).
 */

/** A pod template placed in the cluster by a workload controller (or a Gateway). */
export interface Pod {
  readonly namespace: string;
  /** The controller's name (the Gateway's name for a gateway or waypoint). */
  readonly name: string;
  /** The controller kind (Deployment, StatefulSet, DaemonSet, ... or Gateway). @default 'Pod' */
  readonly kind?: string;
  readonly labels: Record<string, string>;
  readonly serviceAccount: string;
  /** Container ports: protocol and number, with their names. @default none */
  readonly ports?: ReadonlyArray<{ readonly port: number; readonly protocol: string; readonly name?: string }>;
  /** How the pod joins the mesh: an Envoy next to it, ztunnel (ambient), or not at all. @default 'sidecar' (a mesh proxy) */
  readonly mesh?: 'sidecar' | 'ambient' | 'none';
  /** The gateway class when the pod is a Gateway's proxy (`istio`, `istio-waypoint`). */
  readonly gatewayClass?: string;
  /**
   * The trust domain of the pod's identity, for a workload of another cluster (its certificate
   * is verified with the federated bundle); the pod its traffic arrives from in this cluster
   * (an east-west gateway) is a `Pod` of its own.
   */
  readonly trustDomain?: string;
}

/** A request (or connection) to evaluate. */
export interface Request {
  readonly port: number;
  readonly protocol?: 'TCP' | 'UDP' | 'SCTP';
  /** HTTP method; absent for an opaque TCP connection. */
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

export type Selector = {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
};

export function selectorMatches(selector: Selector | undefined | null, labels: Record<string, string>): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[k] !== v) return false;
  }
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    switch (e.operator) {
      case 'In': if (!has || !(e.values ?? []).includes(labels[e.key])) return false; break;
      case 'NotIn': if (has && (e.values ?? []).includes(labels[e.key])) return false; break;
      case 'Exists': if (!has) return false; break;
      case 'DoesNotExist': if (has) return false; break;
      default: throw new Error(`unknown label selector operator '${e.operator}' (allowed: In, NotIn, Exists, DoesNotExist)`);
    }
  }
  return true;
}

/** Istio string match: exact, prefix `abc*`, suffix `*abc`, or `*` (any non-empty value). */
export function istioStringMatch(pattern: string, value: string | undefined): boolean {
  if (value === undefined) return false;
  if (pattern === '*') return value.length > 0;
  if (pattern.endsWith('*')) return value.startsWith(pattern.slice(0, -1));
  if (pattern.startsWith('*')) return value.endsWith(pattern.slice(1));
  return pattern === value;
}

/** Istio path match: string match, or a path template with whole-segment `{*}` / final `{**}`. */
export function istioPathMatch(pattern: string, path: string): boolean {
  if (pattern.includes('{')) {
    const regex = pattern.split('/').map(s => (s === '{**}' ? '.*' : s === '{*}' ? '[^/]+' : escapeRegex(s))).join('/');
    return new RegExp(`^${regex}$`).test(path);
  }
  return istioStringMatch(pattern, path);
}

/** A concrete path that `pattern` matches (used to probe what a policy allows). */
export function samplePath(pattern: string): string {
  if (pattern.includes('{')) return pattern.split('/').map(s => (s === '{**}' ? 'zz/zz' : s === '{*}' ? 'zz' : s)).join('/');
  if (pattern === '*') return '/zz';
  if (pattern.endsWith('*')) return `${pattern.slice(0, -1)}zz`;
  if (pattern.startsWith('*')) return `/zz${pattern.slice(1)}`;
  return pattern;
}

export function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The kinds the evaluator reads (workload controllers, Namespaces, Services, Gateways and the
 * network and mesh policies): the effect check resolves only these, not the app's other objects
 * (admission templates, rules, config maps), which cost as much again as the synthesis itself.
 */
export const EVALUATED_KINDS: ReadonlySet<string> = new Set([
  'Namespace', 'Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'ReplicationController',
  'Service', 'Gateway', 'NetworkPolicy', 'CiliumNetworkPolicy', 'CiliumClusterwideNetworkPolicy',
  'AuthorizationPolicy', 'PeerAuthentication', 'RequestAuthentication', 'Sidecar', 'ServiceEntry',
]);

/** The `spec.template` of a workload controller, or undefined for other kinds. */
function podTemplate(m: any): any {
  switch (m.kind) {
    case 'Deployment': case 'StatefulSet': case 'DaemonSet': case 'ReplicaSet': case 'Job': case 'ReplicationController':
      return m.spec?.template;
    case 'CronJob':
      return m.spec?.jobTemplate?.spec?.template;
    case 'Pod':
      return m;
    default:
      return undefined;
  }
}

/** The Istio root namespace: its policies without selector apply to the whole mesh. */
export const ISTIO_ROOT_NAMESPACE = 'istio-system';

/**
 * Reads namespaces (with the automatic name label) and pods from manifests. A Gateway API
 * Gateway of class `istio` is deployed by Istio as `<name>-istio` (ServiceAccount `<name>-istio`),
 * one of class `istio-waypoint` as `<name>` (ServiceAccount `<name>`); both label their pods
 * `gateway.networking.k8s.io/gateway-name: <name>` (istio.io gateway and waypoint deployment docs).
 */
export function readWorkloads(manifests: any[]): { namespaceLabels: Map<string, Record<string, string>>; pods: Pod[] } {
  const namespaceLabels = new Map<string, Record<string, string>>();
  for (const ns of manifests.filter(m => m?.kind === 'Namespace' && m.apiVersion === 'v1')) {
    namespaceLabels.set(ns.metadata.name, { ...ns.metadata.labels, 'kubernetes.io/metadata.name': ns.metadata.name });
  }
  const nsLabels = (ns: string) => namespaceLabels.get(ns) ?? { 'kubernetes.io/metadata.name': ns };
  const pods: Pod[] = [];
  for (const m of manifests) {
    const template = podTemplate(m);
    if (!template) continue;
    const namespace = m.metadata?.namespace ?? 'default';
    const labels: Record<string, string> = template.metadata?.labels ?? {};
    const annotations: Record<string, string> = template.metadata?.annotations ?? {};
    const spec = template.spec ?? {};
    const ports = [...spec.containers ?? [], ...(spec.initContainers ?? []).filter((c: any) => c.restartPolicy === 'Always')]
      .flatMap((c: any) => c.ports ?? [])
      .map((p: any) => ({ port: p.containerPort, protocol: p.protocol ?? 'TCP', ...(p.name ? { name: p.name } : {}) }));
    pods.push({
      namespace,
      name: m.metadata.name,
      kind: m.kind,
      labels,
      serviceAccount: spec.serviceAccountName ?? spec.serviceAccount ?? 'default',
      ports,
      mesh: meshMode(nsLabels(namespace), labels, annotations, spec.hostNetwork === true),
    });
  }
  for (const g of manifests.filter(m => m?.kind === 'Gateway' && String(m.apiVersion).startsWith('gateway.networking.k8s.io/'))) {
    const cls = g.spec?.gatewayClassName;
    if (cls !== 'istio' && cls !== 'istio-waypoint') continue;
    const name = g.metadata.name;
    pods.push({
      namespace: g.metadata.namespace ?? 'default',
      name,
      kind: 'Gateway',
      labels: { 'gateway.networking.k8s.io/gateway-name': name, 'istio.io/gateway-name': name },
      serviceAccount: cls === 'istio' ? `${name}-istio` : name,
      ports: (g.spec.listeners ?? []).map((l: any) => ({ port: l.port, protocol: 'TCP', name: l.name })),
      mesh: 'sidecar',
      gatewayClass: cls,
    });
  }
  return { namespaceLabels, pods };
}

/**
 * Sidecar injection (namespace `istio-injection: enabled` or `istio.io/rev`, pod label
 * `sidecar.istio.io/inject`) or ambient enrolment (`istio.io/dataplane-mode: ambient` on the
 * namespace, `none` on the pod opts out). Host-network pods are never in the mesh.
 */
function meshMode(ns: Record<string, string>, labels: Record<string, string>, annotations: Record<string, string>, hostNetwork: boolean): Pod['mesh'] {
  if (hostNetwork) return 'none';
  const inject = labels['sidecar.istio.io/inject'] ?? annotations['sidecar.istio.io/inject'];
  if (inject === 'false') return ambientOrNone(ns, labels);
  if (inject === 'true' || ns['istio-injection'] === 'enabled' || (ns['istio.io/rev'] !== undefined && ns['istio-injection'] !== 'disabled')) return 'sidecar';
  return ambientOrNone(ns, labels);
}

function ambientOrNone(ns: Record<string, string>, labels: Record<string, string>): Pod['mesh'] {
  const mode = labels['istio.io/dataplane-mode'] ?? ns['istio.io/dataplane-mode'];
  return mode === 'ambient' ? 'ambient' : 'none';
}

/** `<namespace>/<name>[<Kind>]`, np-guard netpol-analyzer's workload notation. */
export function podRef(pod: Pod): string {
  return `${pod.namespace}/${pod.name}[${pod.kind ?? 'Pod'}]`;
}

/**
 * An index of pods by label (and namespace) that turns "which pods does this selector select"
 * into a lookup proportional to the answer, keeping the effect check linear in the app's size.
 */
export class PodIndex {
  private readonly byNamespace = new Map<string, Pod[]>();
  private readonly byLabel = new Map<string, Pod[]>();

  public constructor(public readonly pods: Pod[]) {
    for (const pod of pods) {
      push(this.byNamespace, pod.namespace, pod);
      for (const [k, v] of Object.entries(pod.labels)) push(this.byLabel, `${k}=${v}`, pod);
    }
  }

  public inNamespace(namespace: string): Pod[] {
    return this.byNamespace.get(namespace) ?? [];
  }

  /** Pods `selector` selects, restricted to `namespace` when given. */
  public select(selector: Selector | undefined, namespace?: string): Pod[] {
    const entries = Object.entries(selector?.matchLabels ?? {});
    let candidates: Pod[];
    if (entries.length > 0) {
      candidates = entries.map(([k, v]) => this.byLabel.get(`${k}=${v}`) ?? [])
        .reduce((a, b) => (b.length < a.length ? b : a));
    } else {
      candidates = namespace !== undefined ? this.inNamespace(namespace) : this.pods;
    }
    return candidates.filter(p => (namespace === undefined || p.namespace === namespace) && selectorMatches(selector, p.labels));
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/**
 * Policies indexed by the first `matchLabels` pair of their selector (and their namespace), so
 * finding the policies that select a pod costs the pod's label count plus the answer, not the
 * number of policies. Results are memoized per pod.
 */
export class SelectorIndex<T> {
  private readonly buckets = new Map<string, Array<{ item: T; namespace?: string; selector?: Selector }>>();
  private readonly memo = new WeakMap<object, T[]>();

  public add(item: T, namespace: string | undefined, selector: Selector | undefined): void {
    const first = Object.entries(selector?.matchLabels ?? {})[0];
    push(this.buckets, first ? `${first[0]}=${first[1]}` : '', { item, namespace, selector });
  }

  /** Items whose namespace (if any) is `namespace` and whose selector matches `labels`, in insertion-stable order. */
  public lookup(key: object, namespace: string, labels: Record<string, string>): T[] {
    const cached = this.memo.get(key);
    if (cached) return cached;
    const keys = ['', ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)];
    const out: T[] = [];
    for (const k of keys) {
      for (const e of this.buckets.get(k) ?? []) {
        if ((e.namespace === undefined || e.namespace === namespace) && selectorMatches(e.selector, labels)) out.push(e.item);
      }
    }
    this.memo.set(key, out);
    return out;
  }
}
