import { Construct, IConstruct } from 'constructs';
import { checkPort, checkTrustDomain, invalid, sortedUnique } from './_validation';
import { AppProtocol, IMeshWorkload, IZeroTrustNamespace, MeshMode } from './mesh-workload';
import { PrivilegedWorkload, PrivilegedWorkloadOptions } from './privileged-workload';

/**
 * The enforcement layers the intent graph renders into. Each layer's objects can be placed in
 * a scope of their own (for example one Chart per layer) with `IntentGraphProps.layers`.
 */
export enum Layer {
  /** Namespaces and their Pod Security labels. */
  NAMESPACES = 'namespaces',
  /** Kubernetes NetworkPolicies (L3/L4). */
  NETWORK = 'network',
  /** Istio PeerAuthentication and AuthorizationPolicies (identity and L7). */
  MESH = 'mesh',
  /** ServiceAccounts, Deployments and Services. */
  WORKLOADS = 'workloads',
  /** Workload identity: SPIRE, SPIFFE registrations, cloud identity, human access RBAC. */
  IDENTITY = 'identity',
  /** Admission policy templates (Gatekeeper ConstraintTemplates), applied before their constraints. */
  POLICY_TEMPLATES = 'policyTemplates',
  /** Admission policies (Gatekeeper constraints, Kyverno policies). */
  POLICY = 'policy',
  /** The edge and the exits: ingress gateway, request authentication, egress, Cilium policies. */
  EDGE = 'edge',
  /** Secrets delivery: Vault injection, Secrets Store CSI, External Secrets. */
  SECRETS = 'secrets',
  /** Monitoring: Prometheus rules and monitors, access logging. */
  MONITORING = 'monitoring',
  /** Runtime detection: Falco rules. */
  RUNTIME = 'runtime',
}

/**
 * Scopes that receive the objects of each layer.
 *
 * Any layer left out is rendered inside the construct that defines it.
 */
export interface LayerScopes {
  /**
   * Scope for Namespace objects.
   *
   * @default - inside each ZeroTrustNamespace
   */
  readonly namespaces?: Construct;
  /**
   * Scope for NetworkPolicy objects.
   *
   * @default - inside each ZeroTrustNamespace and MeshService
   */
  readonly network?: Construct;
  /**
   * Scope for Istio PeerAuthentication and AuthorizationPolicy objects.
   *
   * @default - inside each ZeroTrustNamespace and MeshService
   */
  readonly mesh?: Construct;
  /**
   * Scope for ServiceAccounts, Deployments and Services.
   *
   * @default - inside each MeshService
   */
  readonly workloads?: Construct;
  /**
   * Scope for identity objects (SPIRE, ClusterSPIFFEIDs, RBAC for people).
   *
   * @default - inside the construct that defines them
   */
  readonly identity?: Construct;
  /**
   * Scope for admission policy templates (applied before the policies that use them).
   *
   * @default - inside the construct that defines them
   */
  readonly policyTemplates?: Construct;
  /**
   * Scope for admission policies.
   *
   * @default - inside the construct that defines them
   */
  readonly policy?: Construct;
  /**
   * Scope for edge and egress objects.
   *
   * @default - inside the construct that defines them
   */
  readonly edge?: Construct;
  /**
   * Scope for secrets delivery objects.
   *
   * @default - inside the construct that defines them
   */
  readonly secrets?: Construct;
  /**
   * Scope for monitoring objects.
   *
   * @default - inside the construct that defines them
   */
  readonly monitoring?: Construct;
  /**
   * Scope for runtime detection objects.
   *
   * @default - inside the construct that defines them
   */
  readonly runtime?: Construct;
}

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

/**
 * Restrictions of an allowed call.
 */
export interface CallOptions {
  /**
   * Container ports of the callee the caller may reach.
   *
   * @default - every port of the callee
   */
  readonly ports?: number[];

  /**
   * HTTP methods the caller may use (upper case, for example `GET`). Only for HTTP, HTTP/2
   * and gRPC ports.
   *
   * @default - any method
   */
  readonly methods?: string[];

  /**
   * Request paths the caller may use, in Istio syntax: exact (`/api/v1/charge`), prefix
   * (`/api/orders/*`), suffix (`*.json`) or a path template (`/api/{*}/items`, `/static/{**}`).
   * Only for HTTP, HTTP/2 and gRPC ports.
   *
   * @default - any path
   */
  readonly paths?: string[];

  /**
   * JWT claims the end user's token must carry, `claim name -> accepted values` (any one value
   * per claim; every claim listed). For a list claim such as `groups`, one element must match.
   * Only valid when the caller verifies end-user tokens (an `AccessProxy` with its
   * RequestAuthentication): the caller's gateway and the callee both check the claims, as
   * `when` conditions on `request.auth.claims[<name>]`.
   *
   * @example { groups: ['shop-users'], device_trust: ['managed'] }
   * @default - no claim is required (a verified token is still required when the caller is an AccessProxy)
   */
  readonly requireClaims?: { [claim: string]: string[] };

  /**
   * HTTP request headers the caller must send, `lower-case name -> exact value` (every header
   * listed). Rendered as `when: request.headers[<name>]` in Istio, `headerMatches` in Cilium
   * HTTP rules and header matches of the access proxy's routes. Only for HTTP, HTTP/2 and gRPC
   * ports. Headers are set by the caller: use them to pin an API version or a tenant, never as
   * proof of identity.
   *
   * @example { 'x-api-version': 'v1' }
   * @default - no header is required
   */
  readonly requireHeaders?: { [name: string]: string };
}

/**
 * A request to check against the intent graph with `IntentGraph.allows()`.
 */
export interface RequestQuery {
  /**
   * The callee's container port.
   *
   * @default - any one port of the callee is enough
   */
  readonly port?: number;
  /**
   * The HTTP method.
   *
   * @default - the method is not checked (an L4 connection)
   */
  readonly method?: string;
  /**
   * The request path.
   *
   * @default - the path is not checked (an L4 connection)
   */
  readonly path?: string;

  /**
   * The claims of the end user's verified token (`claim -> values`).
   *
   * @default - no token: calls that require claims are not allowed
   */
  readonly claims?: { [claim: string]: string[] };

  /**
   * The request headers (`lower-case name -> value`).
   *
   * @default - no headers: calls that require headers are not allowed
   */
  readonly headers?: { [name: string]: string };
}

/**
 * One allowed call of the intent graph: `caller` may call `callee` on `ports`, restricted to
 * `methods` and `paths` when they are not empty.
 */
export class CallIntent {
  /** @internal */
  public static _create(graph: IntentGraph, caller: IMeshWorkload, callee: IMeshWorkload,
    ports: number[], methods: string[], paths: string[], claims: { [claim: string]: string[] } = {},
    headers: { [name: string]: string } = {}): CallIntent {
    return new CallIntent(graph, caller, callee, ports, methods, paths, claims, headers);
  }

  /** The calling workload. */
  public readonly caller: IMeshWorkload;
  /** The called workload. */
  public readonly callee: IMeshWorkload;
  /** The callee's container ports the caller may reach (sorted, never empty). */
  public readonly ports: number[];
  /** The HTTP methods allowed (sorted); empty means any method. */
  public readonly methods: string[];
  /** The request paths allowed (sorted); empty means any path. */
  public readonly paths: string[];
  /** JWT claims the end user's token must carry (claim -> accepted values, sorted); empty means none. */
  public readonly requiredClaims: { [claim: string]: string[] };
  /** HTTP headers the request must carry (lower-case name -> exact value); empty means none. */
  public readonly requiredHeaders: { [name: string]: string };

  private readonly graph: IntentGraph;

  private constructor(graph: IntentGraph, caller: IMeshWorkload, callee: IMeshWorkload, ports: number[], methods: string[], paths: string[],
    claims: { [claim: string]: string[] }, headers: { [name: string]: string }) {
    this.graph = graph;
    this.requiredClaims = claims;
    this.requiredHeaders = headers;
    this.caller = caller;
    this.callee = callee;
    this.ports = ports;
    this.methods = methods;
    this.paths = paths;
  }

  /** The caller's identity as an Istio source principal (`<trustDomain>/ns/<ns>/sa/<sa>`). */
  public get sourcePrincipal(): string {
    return this.graph.principalOf(this.caller);
  }

  /** Whether the call is restricted at L7 (by method, path or header). */
  public get isL7(): boolean {
    return this.methods.length > 0 || this.paths.length > 0 || Object.keys(this.requiredHeaders).length > 0;
  }

  /** A stable, human-readable key of the call. */
  public get key(): string {
    const l7 = this.isL7 ? ` ${this.methods.join(',') || '*'} ${this.paths.join(',') || '*'}` : '';
    const claims = Object.keys(this.requiredClaims).map(c => `${c}=${this.requiredClaims[c].join('|')}`).join(',');
    const headers = Object.keys(this.requiredHeaders).map(h => `${h}: ${this.requiredHeaders[h]}`).join(',');
    return `${workloadKey(this.caller)} -> ${workloadKey(this.callee)}:${this.ports.join(',')}${l7}${claims ? ` [${claims}]` : ''}${headers ? ` {${headers}}` : ''}`;
  }

  /** The JWT issuers whose verified tokens the caller forwards (empty unless the caller is an AccessProxy). */
  public get requestIssuers(): string[] {
    return this.graph._carriesEndUserToken(this) ? this.graph.requestIssuersOf(this.caller) : [];
  }
}

/**
 * A destination outside the cluster a workload may call: `workload` may open connections to
 * `host` on `port`. Recorded with `MeshService.allowEgressTo()`.
 */
/**
 * An in-cluster service outside the intent graph that a workload's injected containers call
 * through its sidecar (for example the Vault agent calling Vault). Layers that restrict what a
 * sidecar may reach (Istio `Sidecar` egress hosts) keep it reachable.
 */
export interface PlatformEndpoint {
  /** The namespace of the service. */
  readonly namespace: string;
  /** The service's fully qualified host name, for example `vault.vault.svc.cluster.local`. */
  readonly host: string;
  /** The port called. */
  readonly port: number;
}

export class EgressIntent {
  /** @internal */
  public static _create(workload: IMeshWorkload, host: string, port: number): EgressIntent {
    return new EgressIntent(workload, host, port);
  }

  /** The workload that may call out. */
  public readonly workload: IMeshWorkload;
  /** The external host name (exact, lower case). */
  public readonly host: string;
  /** The TCP port. */
  public readonly port: number;

  private constructor(workload: IMeshWorkload, host: string, port: number) {
    this.workload = workload;
    this.host = host;
    this.port = port;
  }

  /** A stable, human-readable key of the egress. */
  public get key(): string {
    return `${workloadKey(this.workload)} -> ${this.host}:${this.port}`;
  }
}

const GRAPHS = new WeakMap<IConstruct, IntentGraph>();
const CLAIM_NAME = /^[A-Za-z0-9_.:\/-]{1,128}$/;
const HEADER_NAME = /^[a-z0-9][a-z0-9_.-]{0,127}$/;
/** Headers a call may not be restricted by: set by proxies, carrying credentials, or hop-by-hop. */
const PSEUDO_OR_HOP = ['host', 'authorization', 'cookie', 'connection', 'keep-alive', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade',
  'x-forwarded-client-cert'];
const HTTP_METHODS = ['CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'TRACE'];

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
    const root = scope.node.root;
    return GRAPHS.get(root) ?? new IntentGraph(root as Construct, 'IntentGraph');
  }

  /** The intent graph of `scope`'s app, if one was defined (unlike `of()`, never creates one). */
  public static tryOf(scope: IConstruct): IntentGraph | undefined {
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
  private readonly privilegedByKey = new Map<string, PrivilegedWorkload>();
  private readonly platformEndpoints = new Map<IMeshWorkload, Map<string, PlatformEndpoint>>();
  private readonly requestIssuersByWorkload = new Map<IMeshWorkload, string[]>();
  private readonly callListeners: Array<(call: CallIntent) => void> = [];
  private readonly egressByKey = new Map<string, EgressIntent>();
  private readonly callsWithoutEndUserToken = new Set<CallIntent>();
  private readonly ciliumHttpWorkloads = new Set<IMeshWorkload>();

  public constructor(scope: Construct, id: string, props: IntentGraphProps = {}) {
    super(scope, id);
    const root = scope.node.root;
    const existing = GRAPHS.get(root);
    if (existing) {
      throw new Error(`[${this.node.path}] an app has exactly one IntentGraph and ${existing.node.path} already exists; `
        + 'define it before any ZeroTrustNamespace or MeshService, or use IntentGraph.of(scope) to get it');
    }
    this.trustDomain = checkTrustDomain(this, 'trustDomain', props.trustDomain ?? 'cluster.local');
    this.layers = props.layers ?? {};
    GRAPHS.set(root, this);
  }

  /** Every workload, sorted by namespace and name. */
  public get workloads(): IMeshWorkload[] {
    return [...this.workloadsByKey.entries()].sort(([a], [b]) => compare(a, b)).map(([, w]) => w);
  }

  /** Every allowed call, sorted by caller, callee and key. */
  public get calls(): CallIntent[] {
    this.sortedCalls ??= sortByKey([...this.callsByKey.values()]);
    return [...this.sortedCalls];
  }

  /** The calls `callee` accepts, sorted. */
  public callsTo(callee: IMeshWorkload): CallIntent[] {
    return sortByKey([...this.callsByCallee.get(callee) ?? []]);
  }

  /** The calls `caller` makes, sorted. */
  public callsFrom(caller: IMeshWorkload): CallIntent[] {
    return sortByKey([...this.callsByCaller.get(caller) ?? []]);
  }

  /** The workload's Istio principal: `<trustDomain>/ns/<namespace>/sa/<serviceAccount>`. */
  public principalOf(workload: IMeshWorkload): string {
    return `${this.trustDomain}/ns/${workload.zeroTrustNamespace.namespaceName}/sa/${workload.serviceAccountName}`;
  }

  /** The workload's SPIFFE ID: `spiffe://<trustDomain>/ns/<namespace>/sa/<serviceAccount>`. */
  public spiffeIdOf(workload: IMeshWorkload): string {
    return `spiffe://${this.principalOf(workload)}`;
  }

  /**
   * Whether the graph allows `caller` to make `request` to `callee`. This is the intent the
   * synthesized NetworkPolicies and AuthorizationPolicies enforce.
   */
  public allows(caller: IMeshWorkload, callee: IMeshWorkload, request: RequestQuery = {}): boolean {
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
    const declared = PrivilegedWorkload._create(owner, options);
    const existing = this.privilegedByKey.get(declared.key);
    if (existing) {
      invalid(owner, 'privilegedWorkload', declared.key, `${existing.owner.node.path} already declared this workload`, 'declare each privileged workload once, with every privilege it needs');
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
    const key = workloadKey(workload);
    const existing = this.workloadsByKey.get(key);
    if (existing) {
      invalid(workload, 'name', workload.workloadName,
        `${existing.node.path} already defines a workload with this name in namespace ${workload.zeroTrustNamespace.namespaceName}`, 'give each workload of a namespace its own name');
    }
    const identity = `${workload.zeroTrustNamespace.namespaceName}/${workload.serviceAccountName}`;
    const other = this.workloadsByIdentity.get(identity);
    if (other) {
      invalid(workload, 'serviceAccountName', workload.serviceAccountName,
        `${other.node.path} already runs as this ServiceAccount, and two workloads sharing an identity cannot be told apart by any policy`,
        'give each workload its own ServiceAccount');
    }
    this.workloadsByKey.set(key, workload);
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
    if (caller === callee) {
      invalid(callee, 'caller', caller.node.path,
        'a workload cannot allow calls from itself: traffic inside a pod never leaves it, and traffic between replicas is not a declared call',
        'remove this allowFrom() call');
    }
    const calleePorts = callee.workloadPorts.map(p => p.port);
    const ports = sortedUnique(options.ports ?? calleePorts);
    if (ports.length === 0) {
      invalid(callee, 'ports', options.ports, `must name at least one port of ${workloadKey(callee)} (${calleePorts.join(', ')})`, 'or leave ports out to allow every port');
    }
    for (const port of ports) {
      checkPort(callee, 'ports', port);
      if (!calleePorts.includes(port)) {
        invalid(callee, 'ports', port, `${workloadKey(callee)} listens on ${calleePorts.join(', ')} only`);
      }
    }
    const methods = sortedUnique(options.methods ?? []);
    for (const method of methods) {
      if (!HTTP_METHODS.includes(method)) {
        invalid(callee, 'methods', method, `must be one of ${HTTP_METHODS.join(', ')} (upper case)`, 'leave methods out to allow any method');
      }
    }
    if (options.methods && methods.length === 0) {
      invalid(callee, 'methods', options.methods, 'must not be empty', 'leave methods out to allow any method');
    }
    const paths = sortedUnique(options.paths ?? []);
    for (const path of paths) {
      checkPath(callee, path);
    }
    if (options.paths && paths.length === 0) {
      invalid(callee, 'paths', options.paths, 'must not be empty', 'leave paths out to allow any path');
    }
    if (methods.length > 0 || paths.length > 0) {
      const opaque = callee.workloadPorts.filter(p => ports.includes(p.port) && p.protocol === AppProtocol.TCP).map(p => p.port);
      if (opaque.length > 0) {
        invalid(callee, 'methods/paths', { methods, paths },
          `port ${opaque.join(', ')} of ${workloadKey(callee)} is plain TCP, where Istio cannot see HTTP methods or paths`,
          'restrict the call to the HTTP ports with `ports`, or drop methods and paths for TCP');
      }
      if (callee.zeroTrustNamespace.meshMode === MeshMode.AMBIENT) {
        invalid(callee, 'methods/paths', { methods, paths },
          `namespace ${callee.zeroTrustNamespace.namespaceName} is in ambient mode, where ztunnel enforces L4 only and drops all traffic of an ALLOW policy with HTTP rules`,
          'drop methods and paths (identity and port are still enforced), or use MeshMode.SIDECAR for this namespace');
      }
    }
    const claims = this.checkClaims(caller, callee, options.requireClaims);
    const headers = this.checkHeaders(callee, ports, options.requireHeaders);
    const call = CallIntent._create(this, caller, callee, ports, methods, paths, claims, headers);
    const existing = this.callsByKey.get(call.key);
    if (existing) {
      return existing;
    }
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

  /** The JWT issuers whose verified end-user tokens `workload` forwards (an AccessProxy's issuers), sorted. */
  public requestIssuersOf(workload: IMeshWorkload): string[] {
    return [...this.requestIssuersByWorkload.get(workload) ?? []];
  }

  /** Every declared external destination, sorted by workload, host and port. */
  public get egress(): EgressIntent[] {
    return [...this.egressByKey.keys()].sort(compare).map(k => this.egressByKey.get(k)!);
  }

  /** The external destinations `workload` may call, sorted. */
  public egressFrom(workload: IMeshWorkload): EgressIntent[] {
    return this.egress.filter(e => e.workload === workload);
  }

  /**
   * Whether the graph allows `workload` to connect to `host:port` outside the cluster.
   */
  public allowsEgress(workload: IMeshWorkload, host: string, port: number): boolean {
    return this.egressByKey.has(EgressIntent._create(workload, host, port).key);
  }

  /**
   * Records that `workload` verifies end-user JWTs of `issuers` and forwards them: its calls may
   * then require claims.
   * @internal
   */
  public _registerRequestAuthenticator(workload: IMeshWorkload, issuers: string[]): void {
    this.requestIssuersByWorkload.set(workload, sortedUnique(issuers));
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
    this.egressByKey.set(egress.key, egress);
    return egress;
  }

  /**
   * Marks a call a token-verifying caller makes on its own behalf (for example a gateway
   * fetching JWKS), which carries no end-user token.
   * @internal
   */
  public _withoutEndUserToken(call: CallIntent): void {
    if (Object.keys(call.requiredClaims).length > 0) {
      invalid(call.callee, 'requireClaims', call.requiredClaims, 'a call without an end-user token cannot require claims');
    }
    this.callsWithoutEndUserToken.add(call);
  }

  /** @internal */
  public _carriesEndUserToken(call: CallIntent): boolean {
    return !this.callsWithoutEndUserToken.has(call);
  }

  /**
   * Records that Cilium, not Istio, authorizes the HTTP requests `workload` receives (one
   * enforcement point per workload): its AuthorizationPolicy then opens its declared ports to
   * any source and its Kubernetes ingress NetworkPolicy admits nothing (Cilium admits the callers).
   * @internal
   */
  public _enforceHttpWithCilium(workload: IMeshWorkload): void {
    this.ciliumHttpWorkloads.add(workload);
  }

  /** Whether Cilium authorizes the HTTP requests `workload` receives (`HttpEnforcement.CILIUM`). */
  public httpEnforcedByCilium(workload: IMeshWorkload): boolean {
    return this.ciliumHttpWorkloads.has(workload);
  }

  private checkHeaders(callee: IMeshWorkload, ports: number[], requireHeaders?: { [name: string]: string }): { [name: string]: string } {
    if (requireHeaders === undefined) {
      return {};
    }
    if (typeof requireHeaders !== 'object' || requireHeaders === null || Object.keys(requireHeaders).length === 0) {
      invalid(callee, 'requireHeaders', requireHeaders, 'must name at least one header', 'leave requireHeaders out to require none');
    }
    const result: { [name: string]: string } = {};
    for (const name of Object.keys(requireHeaders).sort(compare)) {
      if (!HEADER_NAME.test(name) || PSEUDO_OR_HOP.includes(name)) {
        invalid(callee, 'requireHeaders', name, 'header names are lower-case HTTP tokens (letters, digits, \'-\', \'_\', \'.\'), not :pseudo, host, authorization, cookie or hop-by-hop headers',
          'require claims (requireClaims) for identity, and methods, paths or ordinary headers for routing');
      }
      const value = requireHeaders[name];
      if (typeof value !== 'string' || value.length === 0 || value.length > 256 || /[\r\n*]/.test(value)) {
        invalid(callee, `requireHeaders.${name}`, value, 'must be an exact, non-empty value of at most 256 characters (no \'*\', no line breaks)');
      }
      result[name] = value;
    }
    const opaque = callee.workloadPorts.filter(p => ports.includes(p.port) && p.protocol === AppProtocol.TCP).map(p => p.port);
    if (opaque.length > 0) {
      invalid(callee, 'requireHeaders', result, `port ${opaque.join(', ')} of ${workloadKey(callee)} is plain TCP, where no HTTP header can be seen`,
        'restrict the call to the HTTP ports with `ports`');
    }
    if (callee.zeroTrustNamespace.meshMode === MeshMode.AMBIENT) {
      invalid(callee, 'requireHeaders', result, `namespace ${callee.zeroTrustNamespace.namespaceName} is in ambient mode, where ztunnel enforces L4 only`,
        'drop requireHeaders, or use MeshMode.SIDECAR for this namespace');
    }
    return result;
  }

  private checkClaims(caller: IMeshWorkload, callee: IMeshWorkload, requireClaims?: { [claim: string]: string[] }): { [claim: string]: string[] } {
    if (requireClaims === undefined) {
      return {};
    }
    if (this.requestIssuersOf(caller).length === 0) {
      invalid(callee, 'requireClaims', requireClaims,
        `the caller ${workloadKey(caller)} does not verify end-user tokens, so there are no claims to check`,
        'require claims only on calls from an AccessProxy (it defines the RequestAuthentication), or drop requireClaims');
    }
    if (typeof requireClaims !== 'object' || requireClaims === null || Object.keys(requireClaims).length === 0) {
      invalid(callee, 'requireClaims', requireClaims, 'must name at least one claim', 'leave requireClaims out to require only a verified token');
    }
    const result: { [claim: string]: string[] } = {};
    for (const claim of Object.keys(requireClaims).sort(compare)) {
      if (!CLAIM_NAME.test(claim)) {
        invalid(callee, 'requireClaims', claim, 'claim names are 1-128 characters of letters, digits, \'_\', \'-\', \'.\', \':\' or \'/\' (no brackets or spaces)');
      }
      const values = requireClaims[claim];
      if (!Array.isArray(values) || values.length === 0 || values.some(v => typeof v !== 'string' || v.length === 0 || v.includes('*'))) {
        invalid(callee, `requireClaims.${claim}`, values, 'must be a non-empty list of exact, non-empty values (no \'*\')');
      }
      result[claim] = sortedUnique(values);
    }
    return result;
  }
}

/** `<namespace>/<name>` @internal */
export function workloadKey(workload: IMeshWorkload): string {
  return `${workload.zeroTrustNamespace.namespaceName}/${workload.workloadName}`;
}

function sortByKey(calls: CallIntent[]): CallIntent[] {
  return calls.map(c => ({ key: c.key, c })).sort((a, b) => compare(a.key, b.key)).map(({ c }) => c);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const PATH_TEMPLATE_SEGMENT = /^\{\*\*?\}$/;

/**
 * Istio path syntax: exact, prefix (`/a/*`), suffix (`*.json`) or path templates (`{*}`,
 * `{**}` as whole segments, `{**}` last), without query or fragment.
 */
function checkPath(scope: IConstruct, path: string): void {
  const allowed = 'must be an Istio path: exact (\'/api/v1/charge\'), prefix (\'/api/orders/*\'), suffix (\'*.json\') or a template with whole-segment {*} or a final {**} (\'/api/{*}/items\'); no spaces, \'?\' or \'#\'';
  if (typeof path !== 'string' || path.length === 0 || /[\s?#]/.test(path)) {
    invalid(scope, 'paths', path, allowed);
  }
  if (path === '*') {
    invalid(scope, 'paths', path, allowed, 'leave paths out to allow any path');
  }
  const stars = (path.match(/\*/g) ?? []).length;
  if (path.includes('{')) {
    const segments = path.split('/');
    const templates = segments.filter(s => s.includes('{') || s.includes('}'));
    const valid = path.startsWith('/')
      && templates.every(s => PATH_TEMPLATE_SEGMENT.test(s))
      && segments.filter(s => s === '{**}').length <= 1
      && (!segments.includes('{**}') || segments[segments.length - 1] === '{**}')
      && stars === templates.reduce((n, s) => n + s.length - 2, 0);
    if (!valid) {
      invalid(scope, 'paths', path, allowed);
    }
    return;
  }
  const prefix = path.startsWith('/') && (stars === 0 || (stars === 1 && path.endsWith('*')));
  const suffix = path.startsWith('*') && stars === 1 && path.length > 1;
  if (!prefix && !suffix) {
    invalid(scope, 'paths', path, allowed);
  }
}

/** Istio's path matching for `paths` (used by `allows()`). */
function pathMatches(pattern: string, path: string): boolean {
  if (pattern.includes('{')) {
    const regex = pattern.split('/').map(s => (s === '{**}' ? '.*' : s === '{*}' ? '[^/]+' : escapeRegex(s))).join('/');
    return new RegExp(`^${regex}$`).test(path);
  }
  if (pattern.endsWith('*')) {
    return path.startsWith(pattern.slice(0, -1));
  }
  if (pattern.startsWith('*')) {
    return path.endsWith(pattern.slice(1));
  }
  return path === pattern;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Every required claim has one of its accepted values among the token's values. */
function claimsMatch(required: { [claim: string]: string[] }, claims?: { [claim: string]: string[] }): boolean {
  return Object.keys(required).every(c => (claims?.[c] ?? []).some(v => required[c].includes(v)));
}
