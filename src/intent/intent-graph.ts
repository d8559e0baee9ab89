import { Construct, IConstruct } from 'constructs';
import { checkCallOptions, claimsMatch, compare, pathMatches } from './_call-checks';
import { guardArgs, guardProps, staticScope } from './_guards';
import { checkPort, checkTrustDomain, invalid } from './_validation';
import { CallIntent, CallOptions, EgressIntent, PlatformEndpoint, principalOf, RequestQuery, workloadKey } from './call-intent';
import { Layer, LayerScopes } from './layer';
import { IMeshWorkload, IZeroTrustNamespace, WorkloadOrigin } from './mesh-workload';
import { PrivilegedWorkload, PrivilegedWorkloadOptions } from './privileged-workload';

// the graph's vocabulary, defined in files of their own and exported from here as before
export { CallIntent, EgressIntent, workloadKey } from './call-intent';
export type { CallOptions, PlatformEndpoint, RequestQuery } from './call-intent';
export { Layer } from './layer';
export type { LayerScopes } from './layer';

/**
 * Properties of the intent graph.
 */
export interface IntentGraphProps {
  /**
   * The mesh trust domain. Workload identities are
   * `spiffe://<trustDomain>/ns/<namespace>/sa/<serviceAccount>` and AuthorizationPolicy
   * principals are `<trustDomain>/ns/<namespace>/sa/<serviceAccount>`. It must equal Istio's
   * `meshConfig.trustDomain` (and SPIRE's trust domain when SPIRE issues the certificates).
   *
   * @default 'cluster.local'
   */
  readonly trustDomain?: string;

  /**
   * Where each layer's objects are placed.
   *
   * @default - every object is placed inside the construct that defines it
   */
  readonly layers?: LayerScopes;
}

const GRAPHS = new WeakMap<IConstruct, IntentGraph>();

/**
 * The intent graph: which workload may call which, with which identity, on which ports,
 * methods and paths. There is one per app.
 *
 * Every enforcement layer is derived from it at synthesis time — Kubernetes NetworkPolicies
 * (ingress on the callee, egress on the caller), Istio AuthorizationPolicies (the caller's
 * principal, ports, methods, paths) — so the layers cannot drift apart. Later layers (SPIFFE
 * registrations, Vault roles, Cilium policies, diagrams, verification) read the same graph
 * through `workloads`, `calls`, `callsTo()`, `callsFrom()` and `toJson()`.
 *
 * The graph is created on first use with the default trust domain. To set the trust domain
 * or place each layer in its own chart, define it explicitly at the app root before any
 * ZeroTrustNamespace:
 *
 * @example
 * const app = new App();
 * new IntentGraph(app, 'IntentGraph', { trustDomain: 'example.org' });
 */
export class IntentGraph extends Construct {
  /**
   * The intent graph of the app `scope` belongs to, created with defaults on first use.
   */
  public static of(scope: IConstruct): IntentGraph {
    guardArgs(staticScope('IntentGraph.of'), 'IntentGraph', 'of', [scope]);
    const root = scope.node.root;
    return GRAPHS.get(root) ?? new IntentGraph(root as Construct, 'IntentGraph');
  }

  /** The intent graph of `scope`'s app, if one was defined (unlike `of()`, never creates one). */
  public static tryOf(scope: IConstruct): IntentGraph | undefined {
    guardArgs(staticScope('IntentGraph.tryOf'), 'IntentGraph', 'tryOf', [scope]);
    return GRAPHS.get(scope.node.root);
  }

  /** The mesh trust domain. */
  public readonly trustDomain: string;

  private readonly layers: LayerScopes;
  private readonly namespacesByName = new Map<string, IZeroTrustNamespace>();
  private readonly workloadsByKey = new Map<string, IMeshWorkload>();
  private readonly workloadsByIdentity = new Map<string, IMeshWorkload>();
  private readonly callsByKey = new Map<string, CallIntent>();
  // indexes kept up to date by _addCall, so rendering a policy costs the workload's degree, not E
  private readonly callsByCallee = new Map<IMeshWorkload, CallIntent[]>();
  private readonly callsByCaller = new Map<IMeshWorkload, CallIntent[]>();
  private sortedCalls?: CallIntent[];
  private sortedWorkloads?: IMeshWorkload[];
  private readonly privilegedByKey = new Map<string, PrivilegedWorkload>();
  private readonly platformEndpoints = new Map<IMeshWorkload, Map<string, PlatformEndpoint>>();
  private readonly callListeners: Array<(call: CallIntent) => void> = [];
  private readonly egressByKey = new Map<string, EgressIntent>();
  private sealedBy?: string;

  public constructor(scope: Construct, id: string, props: IntentGraphProps = {}) {
    super(scope, id);
    guardProps(this, 'IntentGraph', props);
    const root = scope.node.root;
    const existing = GRAPHS.get(root);
    if (existing) {
      throw new Error(`[${this.node.path}] an app has exactly one IntentGraph and ${existing.node.path} already exists; `
        + 'define it before any ZeroTrustNamespace or MeshService, or use IntentGraph.of(scope) to get it');
    }
    this.trustDomain = checkTrustDomain(this, 'trustDomain', props.trustDomain ?? 'cluster.local');
    this.layers = props.layers ?? {};
    GRAPHS.set(root, this);
    // synthesis (App.synth, Chart.toJson, Testing.synth) validates every construct before it
    // renders anything: from then on the graph is what every layer renders, so it is sealed
    this.node.addValidation({ validate: () => { this.sealedBy = 'synthesis'; return []; } });
  }

  /**
   * Throws when synthesis has started: a declaration made then would reach some layers and not
   * others (they render the graph as it was when synthesis began).
   */
  private checkOpen(scope: IConstruct, what: string): void {
    if (this.sealedBy) {
      invalid(scope, what, scope.node.path, 'comes after synthesis started, when every layer has already read the intent graph, so some layers would enforce it and others not',
        'declare every namespace, workload, call and egress before calling app.synth() (or Testing.synth())');
    }
  }

  /** Every workload, sorted by namespace and name. */
  public get workloads(): IMeshWorkload[] {
    // sorted once per change: layers read it per workload and per namespace at synthesis
    this.sortedWorkloads ??= [...this.workloadsByKey.entries()].sort(([a], [b]) => compare(a, b)).map(([, w]) => w);
    return [...this.sortedWorkloads];
  }

  /** Every allowed call, sorted by caller, callee and key. */
  public get calls(): CallIntent[] {
    this.sortedCalls ??= sortByKey([...this.callsByKey.values()]);
    return [...this.sortedCalls];
  }

  /** The calls `callee` accepts, sorted. */
  public callsTo(callee: IMeshWorkload): CallIntent[] {
    guardArgs(this, 'IntentGraph', 'callsTo', [callee]);
    return sortByKey([...this.callsByCallee.get(callee) ?? []]);
  }

  /** The calls `caller` makes, sorted. */
  public callsFrom(caller: IMeshWorkload): CallIntent[] {
    guardArgs(this, 'IntentGraph', 'callsFrom', [caller]);
    return sortByKey([...this.callsByCaller.get(caller) ?? []]);
  }

  /** The workload's Istio principal: `<trustDomain>/ns/<namespace>/sa/<serviceAccount>`. */
  public principalOf(workload: IMeshWorkload): string {
    guardArgs(this, 'IntentGraph', 'principalOf', [workload]);
    return principalOf(this.trustDomain, workload);
  }

  /** The workload's SPIFFE ID: `spiffe://<trustDomain>/ns/<namespace>/sa/<serviceAccount>`. */
  public spiffeIdOf(workload: IMeshWorkload): string {
    guardArgs(this, 'IntentGraph', 'spiffeIdOf', [workload]);
    return `spiffe://${this.principalOf(workload)}`;
  }

  /**
   * Whether the graph allows `caller` to make `request` to `callee`. This is the intent the
   * synthesized NetworkPolicies and AuthorizationPolicies enforce.
   */
  public allows(caller: IMeshWorkload, callee: IMeshWorkload, request: RequestQuery = {}): boolean {
    guardArgs(this, 'IntentGraph', 'allows', [caller, callee, request]);
    return this.callsTo(callee).some(call => call.caller === caller
      && (request.port === undefined || call.ports.includes(request.port))
      && (request.method === undefined || call.methods.length === 0 || call.methods.includes(request.method))
      && (request.path === undefined || call.paths.length === 0 || call.paths.some(p => pathMatches(p, request.path!)))
      && claimsMatch(call.requiredClaims, request.claims)
      && Object.keys(call.requiredHeaders).every(h => request.headers?.[h] === call.requiredHeaders[h]));
  }

  /**
   * The graph as plain data: workloads with their identities and ports, and calls.
   */
  public toJson(): any {
    return {
      trustDomain: this.trustDomain,
      workloads: this.workloads.map(w => ({
        name: w.workloadName,
        namespace: w.zeroTrustNamespace.namespaceName,
        meshMode: w.zeroTrustNamespace.meshMode,
        serviceAccount: w.serviceAccountName,
        spiffeId: this.spiffeIdOf(w),
        ports: w.workloadPorts.map(p => ({ port: p.port, protocol: p.protocol })),
      })),
      calls: this.calls.map(c => ({
        from: workloadKey(c.caller),
        to: workloadKey(c.callee),
        principal: c.sourcePrincipal,
        ports: c.ports,
        ...(c.methods.length ? { methods: c.methods } : {}),
        ...(c.paths.length ? { paths: c.paths } : {}),
        ...(Object.keys(c.requiredClaims).length ? { requireClaims: c.requiredClaims } : {}),
        ...(Object.keys(c.requiredHeaders).length ? { requireHeaders: c.requiredHeaders } : {}),
      })),
      ...(this.egressByKey.size ? { egress: this.egress.map(e => ({ from: workloadKey(e.workload), host: e.host, port: e.port })) } : {}),
    };
  }

  /** Every zero-trust namespace, sorted by name. */
  public get namespaces(): IZeroTrustNamespace[] {
    return [...this.namespacesByName.keys()].sort().map(k => this.namespacesByName.get(k)!);
  }

  /**
   * Declares a workload that needs privileges beyond the `restricted` Pod Security level, with
   * the reason. Constructs that deploy such components (SPIRE agent, SPIFFE CSI driver, Falco)
   * call it; admission policy packs exempt exactly the declared workloads from exactly the
   * declared checks.
   *
   * @param owner the construct that deploys the workload
   * @param options the workload, its privileges and why it needs them
   * @returns the declared exception
   */
  public declarePrivilegedWorkload(owner: IConstruct, options: PrivilegedWorkloadOptions): PrivilegedWorkload {
    guardArgs(Construct.isConstruct(owner) ? owner : this, 'IntentGraph', 'declarePrivilegedWorkload', [owner, options]);
    this.checkOpen(owner, 'declarePrivilegedWorkload()');
    const declared = PrivilegedWorkload._create(owner, options);
    // one workload may be declared once per container (or group of containers), and once for the
    // pod as a whole (host namespaces and paths only): never twice for the same container
    for (const existing of this.privilegedByKey.values()) {
      if (existing.workloadKey !== declared.workloadKey) continue;
      const disjoint = existing.containers.length > 0 && declared.containers.length > 0
        && !existing.containers.some(c => declared.containers.includes(c));
      const podAndContainers = (existing.containers.length === 0 && existing.podLevelOnly && declared.containers.length > 0)
        || (declared.containers.length === 0 && declared.podLevelOnly && existing.containers.length > 0);
      if (!disjoint && !podAndContainers) {
        invalid(owner, 'privilegedWorkload', declared.key, `${existing.owner.node.path} already declared ${existing.key}`,
          'declare each container of a privileged workload once, with every privilege it needs (and the pod-level privileges once, without containers)');
      }
    }
    this.privilegedByKey.set(declared.key, declared);
    return declared;
  }

  /**
   * Declares that `workload`'s injected containers call an in-cluster service outside the graph
   * through the workload's sidecar (idempotent).
   *
   * @param workload the calling workload
   * @param endpoint the service called
   * @returns the endpoint
   */
  public declarePlatformEndpoint(workload: IMeshWorkload, endpoint: PlatformEndpoint): PlatformEndpoint {
    guardArgs(this, 'IntentGraph', 'declarePlatformEndpoint', [workload, endpoint]);
    this.checkOpen(workload, 'declarePlatformEndpoint()');
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\.svc\.cluster\.local$/.test(endpoint.host ?? '')) {
      invalid(workload, 'platformEndpoint.host', endpoint.host, 'must be the fully qualified name of an in-cluster Service (<name>.<namespace>.svc.cluster.local)');
    }
    checkPort(workload, 'platformEndpoint.port', endpoint.port);
    const key = `${endpoint.namespace}/${endpoint.host}:${endpoint.port}`;
    const byKey = this.platformEndpoints.get(workload) ?? new Map<string, PlatformEndpoint>();
    const declared = byKey.get(key) ?? { namespace: endpoint.namespace, host: endpoint.host, port: endpoint.port };
    byKey.set(key, declared);
    this.platformEndpoints.set(workload, byKey);
    return declared;
  }

  /** The platform endpoints `workload` calls, sorted. */
  public platformEndpointsOf(workload: IMeshWorkload): PlatformEndpoint[] {
    guardArgs(this, 'IntentGraph', 'platformEndpointsOf', [workload]);
    const byKey = this.platformEndpoints.get(workload) ?? new Map<string, PlatformEndpoint>();
    return [...byKey.keys()].sort(compare).map(k => byKey.get(k)!);
  }

  /** Every declared privileged workload, sorted by namespace, kind and name. */
  public get privilegedWorkloads(): PrivilegedWorkload[] {
    return [...this.privilegedByKey.keys()].sort(compare).map(k => this.privilegedByKey.get(k)!);
  }

  /**
   * Registers a namespace. Names must be unique.
   * @internal
   */
  public _addNamespace(namespace: IZeroTrustNamespace): void {
    this.checkOpen(namespace, 'namespace');
    const existing = this.namespacesByName.get(namespace.namespaceName);
    if (existing) {
      invalid(namespace, 'name', namespace.namespaceName, `${existing.node.path} already defines this namespace`, 'define each namespace once and pass it to every MeshService in it');
    }
    this.namespacesByName.set(namespace.namespaceName, namespace);
  }

  /**
   * Registers a workload. Names and identities must be unique.
   * @internal
   */
  public _addWorkload(workload: IMeshWorkload): void {
    this.checkOpen(workload, 'workload');
    const key = workloadKey(workload);
    const existing = this.workloadsByKey.get(key);
    if (existing) {
      invalid(workload, 'name', workload.workloadName,
        `${existing.node.path} already defines a workload with this name in namespace ${workload.zeroTrustNamespace.namespaceName}`, 'give each workload of a namespace its own name');
    }
    this.workloadsByKey.set(key, workload);
    this.sortedWorkloads = undefined;
    // an adopted workload's ServiceAccount is read from its manifest at synthesis, where it checks itself
    if (workload.workloadOrigin === WorkloadOrigin.ADOPTED) return;
    const identity = `${workload.zeroTrustNamespace.namespaceName}/${workload.serviceAccountName}`;
    const other = this.workloadsByIdentity.get(identity);
    if (other) {
      this.workloadsByKey.delete(key);
      this.sortedWorkloads = undefined;
      invalid(workload, 'serviceAccountName', workload.serviceAccountName,
        `${other.node.path} already runs as this ServiceAccount, and two workloads sharing an identity cannot be told apart by any policy`,
        'give each workload its own ServiceAccount');
    }
    this.workloadsByIdentity.set(identity, workload);
  }

  /**
   * Adds a call (idempotent: the same call twice returns the first one).
   * @internal
   */
  public _addCall(caller: IMeshWorkload, callee: IMeshWorkload, options: CallOptions = {}): CallIntent {
    if (!caller || !caller.zeroTrustNamespace || this.workloadsByKey.get(workloadKey(caller)) !== caller) {
      invalid(callee, 'caller', caller?.node?.path ?? caller,
        'must be a workload of this app\'s intent graph (a MeshService in a ZeroTrustNamespace)');
    }
    const { ports, methods, paths, claims, headers } = checkCallOptions(caller, callee, options);
    const call = CallIntent._create(this.trustDomain, caller, callee, ports, methods, paths, claims, headers);
    const existing = this.callsByKey.get(call.key);
    if (existing) {
      return existing;
    }
    this.checkOpen(callee, 'allowFrom()');
    CALL_RULES.forEach(rule => rule(this, caller, callee, call));
    this.callsByKey.set(call.key, call);
    this.callsByCallee.set(callee, [...(this.callsByCallee.get(callee) ?? []), call]);
    this.callsByCaller.set(caller, [...(this.callsByCaller.get(caller) ?? []), call]);
    this.sortedCalls = undefined;
    this.callListeners.forEach(listener => listener(call));
    return call;
  }

  /**
   * The scope that receives the objects of `layer` (`IntentGraphProps.layers`), if any.
   */
  public layerScope(layer: Layer): Construct | undefined {
    guardArgs(this, 'IntentGraph', 'layerScope', [layer]);
    return this.layers[layer];
  }

  /**
   * The scope and id for an object of `layer` defined by `owner`.
   * @internal
   */
  public _placement(layer: Layer, owner: Construct, ownerKey: string, id: string): { scope: Construct; id: string } {
    const scope = this.layers[layer];
    return scope ? { scope, id: `${ownerKey}-${id}` } : { scope: owner, id };
  }

  /** Every declared external destination, sorted by workload, host and port. */
  public get egress(): EgressIntent[] {
    return [...this.egressByKey.keys()].sort(compare).map(k => this.egressByKey.get(k)!);
  }

  /** The external destinations `workload` may call, sorted. */
  public egressFrom(workload: IMeshWorkload): EgressIntent[] {
    guardArgs(this, 'IntentGraph', 'egressFrom', [workload]);
    return this.egress.filter(e => e.workload === workload);
  }

  /**
   * Whether the graph allows `workload` to connect to `host:port` outside the cluster.
   */
  public allowsEgress(workload: IMeshWorkload, host: string, port: number): boolean {
    guardArgs(this, 'IntentGraph', 'allowsEgress', [workload, host, port]);
    return this.egressByKey.has(EgressIntent._create(workload, host, port).key);
  }

  /**
   * Calls `listener` for every call added from now on.
   * @internal
   */
  public _onCall(listener: (call: CallIntent) => void): void {
    this.callListeners.push(listener);
  }

  /**
   * Adds an external destination (idempotent). The host and port are validated by the caller.
   * @internal
   */
  public _addEgress(workload: IMeshWorkload, host: string, port: number): EgressIntent {
    if (!workload || !workload.zeroTrustNamespace || this.workloadsByKey.get(workloadKey(workload)) !== workload) {
      invalid(this, 'workload', workload?.node?.path ?? workload, 'must be a workload of this app\'s intent graph');
    }
    const egress = EgressIntent._create(workload, host, port);
    const existing = this.egressByKey.get(egress.key);
    if (existing) {
      return existing;
    }
    this.checkOpen(workload, 'allowEgressTo()');
    this.egressByKey.set(egress.key, egress);
    return egress;
  }
}

/**
 * A check a layer runs on every call before the graph records it (for example: an enforcement
 * point that cannot enforce the call's restrictions, or claims from a caller without end-user
 * tokens). It throws the library's error (`invalid()`) to refuse the call.
 *
 * @internal
 */
export type CallRule = (graph: IntentGraph, caller: IMeshWorkload, callee: IMeshWorkload, call: CallIntent) => void;

const CALL_RULES: CallRule[] = [];

/**
 * Registers a rule every call of every graph must pass. Layers register their rules when their
 * module loads, so the graph runs them without knowing the layers.
 *
 * @internal
 */
export function registerCallRule(rule: CallRule): void {
  if (!CALL_RULES.includes(rule)) CALL_RULES.push(rule);
}

function sortByKey(calls: CallIntent[]): CallIntent[] {
  return calls.map(c => ({ key: c.key, c })).sort((a, b) => compare(a.key, b.key)).map(({ c }) => c);
}
