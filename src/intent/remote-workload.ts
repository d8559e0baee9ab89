import { Construct } from 'constructs';
import { checkPath } from './_call-checks';
import { checkCidrList } from './_cidr';
import { guardArgs, guardProps, staticScope } from './_guards';
import { checkDns1123Label, checkPort, checkTrustDomain, invalid, sortedUnique } from './_validation';
import { CallOptions, workloadKey } from './call-intent';
import { IntentGraph } from './intent-graph';
import { AppProtocol, IMeshWorkload, WorkloadPort } from './mesh-workload';

/**
 * Where the traffic of a workload in another cluster crosses into and out of this cluster.
 */
export interface RemotePathOptions {
  /**
   * The addresses (CIDRs) this cluster's workloads connect to when they call the remote
   * workload: the remote cluster's east-west gateway, or the remote workload itself.
   *
   * @default - calls to the remote workload are not allowed (it may only call in)
   */
  readonly remoteCidrs?: string[];
  /**
   * The port of `remoteCidrs` (for an Istio east-west gateway, its mTLS passthrough port).
   *
   * @default - the remote workload's own ports
   */
  readonly remotePort?: number;
  /**
   * The namespace of this cluster's gateway that calls from the remote workload arrive
   * through.
   *
   * @default - calls arrive from `sourceCidrs` instead
   */
  readonly gatewayNamespace?: string;
  /**
   * Labels selecting the pods of this cluster's gateway in `gatewayNamespace`.
   *
   * @default - none (required with gatewayNamespace)
   */
  readonly gatewayPodLabels?: { [key: string]: string };
  /**
   * The addresses calls from the remote workload come from, when they do not arrive through a
   * gateway of this cluster (flat networks).
   *
   * @default - none
   */
  readonly sourceCidrs?: string[];
}

/**
 * Properties of a workload of another cluster or trust domain.
 */
export interface RemoteWorkloadProps {
  /**
   * The workload's SPIFFE ID in Istio's form: `spiffe://<trust domain>/ns/<namespace>/sa/<serviceAccount>`.
   * Its principal (`<trust domain>/ns/<namespace>/sa/<serviceAccount>`) is what this cluster's
   * AuthorizationPolicies admit.
   */
  readonly spiffeId: string;
  /**
   * The ports the remote workload listens on (for calls to it).
   *
   * @default - none: the remote workload only calls in
   */
  readonly ports?: WorkloadPort[];
  /** How traffic crosses between this cluster and the remote workload. */
  readonly path: RemotePathOptions;
}

/** The path of a remote workload, checked. @internal */
export interface ResolvedRemotePath {
  readonly remoteCidrs: string[];
  readonly remotePort?: number;
  readonly gateway?: { readonly namespace: string; readonly podLabels: { [key: string]: string } };
  readonly sourceCidrs: string[];
}

/**
 * A call between a workload of this cluster and a remote workload, in either direction.
 */
export class RemoteCallIntent {
  /** @internal */
  public static _create(remote: RemoteWorkload, local: IMeshWorkload, inbound: boolean, ports: number[], call: CallOptions): RemoteCallIntent {
    return new RemoteCallIntent(remote, local, inbound, ports, call);
  }

  /** The remote workload. */
  public readonly remote: RemoteWorkload;
  /** The workload of this cluster. */
  public readonly local: IMeshWorkload;
  /** Whether the remote workload calls the local one (true) or the local one calls it (false). */
  public readonly inbound: boolean;
  /** The callee's ports (sorted). */
  public readonly ports: number[];
  /** HTTP methods allowed (sorted); empty means any. Enforced by the callee's cluster. */
  public readonly methods: string[];
  /** Request paths allowed (sorted); empty means any. Enforced by the callee's cluster. */
  public readonly paths: string[];

  private constructor(remote: RemoteWorkload, local: IMeshWorkload, inbound: boolean, ports: number[], call: CallOptions) {
    this.remote = remote;
    this.local = local;
    this.inbound = inbound;
    this.ports = ports;
    this.methods = sortedUnique(call.methods ?? []);
    this.paths = sortedUnique(call.paths ?? []);
  }

  /** A stable, human-readable key. */
  public get key(): string {
    const l7 = this.methods.length || this.paths.length ? ` ${this.methods.join(',') || '*'} ${this.paths.join(',') || '*'}` : '';
    return this.inbound
      ? `${this.remote.spiffeId} -> ${workloadKey(this.local)}:${this.ports.join(',')}${l7}`
      : `${workloadKey(this.local)} -> ${this.remote.spiffeId}:${this.ports.join(',')}${l7}`;
  }
}

const REMOTE_CALL_HOOKS: Array<(graph: IntentGraph, call: RemoteCallIntent) => void> = [];

/**
 * Registers what a layer does when a remote call is added to any graph (for example defining
 * the NetworkPolicy that will render it). Layers register once, when their module loads.
 * @internal
 */
export function onRemoteCall(hook: (graph: IntentGraph, call: RemoteCallIntent) => void): void {
  REMOTE_CALL_HOOKS.push(hook);
}

/**
 * The remote calls of `graph` that `local` makes (outbound) or accepts (inbound), sorted by key.
 * @internal
 */
export function remoteCallsOf(graph: IntentGraph, local: IMeshWorkload, inbound: boolean): RemoteCallIntent[] {
  const state = REMOTE.get(graph);
  if (!state) return [];
  return [...state.calls.keys()].sort().map(k => state.calls.get(k)!).filter(c => c.local === local && c.inbound === inbound);
}

const HTTP_METHODS = ['CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'TRACE'];
const SPIFFE_ID = /^spiffe:\/\/([^/]+)\/ns\/([^/]+)\/sa\/([^/]+)$/;
interface RemoteState {
  readonly workloads: Map<string, RemoteWorkload>;
  readonly calls: Map<string, RemoteCallIntent>;
}
const REMOTE = new WeakMap<IntentGraph, RemoteState>();

function remoteState(graph: IntentGraph): RemoteState {
  let state = REMOTE.get(graph);
  if (!state) {
    state = { workloads: new Map(), calls: new Map() };
    REMOTE.set(graph, state);
  }
  return state;
}

/**
 * Defines a workload of another cluster or trust domain in this app's intent graph: identified
 * by its SPIFFE ID, reached through an east-west gateway or a declared address. It can call
 * workloads of this cluster (`mayCall()`) and be called by them (`allowFrom()`); every layer of
 * this cluster renders its side of those calls (AuthorizationPolicies name the remote
 * principal, NetworkPolicies admit the gateway path only). The remote cluster renders the other
 * side from its own graph.
 *
 * It synthesizes no object by itself.
 *
 * @example
 * const ledger = new RemoteWorkload(chart, 'ledger', {
 *   spiffeId: 'spiffe://cluster-b.example.org/ns/ledger/sa/ledger',
 *   ports: [{ port: 8443 }],
 *   path: { remoteCidrs: ['203.0.113.10/32'], remotePort: 15443, gatewayNamespace: 'istio-system', gatewayPodLabels: { istio: 'eastwestgateway' } },
 * });
 * ledger.allowFrom(orders, { ports: [8443] });
 */
export class RemoteWorkload extends Construct {
  /** The remote calls of the app `scope` belongs to, sorted by key. */
  public static callsOf(scope: Construct): RemoteCallIntent[] {
    guardArgs(staticScope('RemoteWorkload.callsOf'), 'RemoteWorkload', 'callsOf', [scope]);
    const state = remoteState(IntentGraph.of(scope));
    return [...state.calls.keys()].sort().map(k => state.calls.get(k)!);
  }

  /** Every remote workload of the app `scope` belongs to, sorted by SPIFFE ID. */
  public static of(scope: Construct): RemoteWorkload[] {
    guardArgs(staticScope('RemoteWorkload.of'), 'RemoteWorkload', 'of', [scope]);
    const state = remoteState(IntentGraph.of(scope));
    return [...state.workloads.keys()].sort().map(k => state.workloads.get(k)!);
  }

  /** The SPIFFE ID. */
  public readonly spiffeId: string;
  /** The trust domain. */
  public readonly trustDomain: string;
  /** The namespace in its own cluster. */
  public readonly remoteNamespace: string;
  /** The ServiceAccount in its own cluster. */
  public readonly serviceAccountName: string;
  /** The principal this cluster's AuthorizationPolicies name: `<trust domain>/ns/<namespace>/sa/<serviceAccount>`. */
  public readonly principal: string;
  /** The ports it listens on. */
  public readonly workloadPorts: WorkloadPort[];
  /** @internal */
  public readonly _path: ResolvedRemotePath;

  private readonly graph: IntentGraph;

  public constructor(scope: Construct, id: string, props: RemoteWorkloadProps) {
    super(scope, id);
    guardProps(this, 'RemoteWorkload', props);
    this.graph = IntentGraph.of(this);
    // guardProps has checked the types: props and path are objects, spiffeId a string, ports
    // WorkloadPort objects with an AppProtocol, gatewayPodLabels a map of strings
    const match = SPIFFE_ID.exec(props.spiffeId);
    if (!match) {
      invalid(this, 'spiffeId', props.spiffeId, 'must be an Istio workload SPIFFE ID: spiffe://<trust domain>/ns/<namespace>/sa/<serviceAccount>',
        'for example \'spiffe://cluster-b.example.org/ns/ledger/sa/ledger\'');
    }
    this.trustDomain = checkTrustDomain(this, 'spiffeId', match[1]);
    this.remoteNamespace = checkDns1123Label(this, 'spiffeId (namespace)', match[2]);
    this.serviceAccountName = checkDns1123Label(this, 'spiffeId (serviceAccount)', match[3]);
    this.spiffeId = props.spiffeId;
    this.principal = props.spiffeId.slice('spiffe://'.length);
    if (this.trustDomain === this.graph.trustDomain) {
      invalid(this, 'spiffeId', props.spiffeId, `is in this cluster's trust domain ${this.graph.trustDomain}`,
        'declare workloads of this trust domain as MeshServices; a RemoteWorkload belongs to another trust domain');
    }
    this.workloadPorts = (props.ports ?? []).map(p => {
      checkPort(this, 'ports', p.port);
      return { port: p.port, protocol: p.protocol ?? AppProtocol.HTTP };
    });
    this._path = this.resolvePath(props.path);
    const state = remoteState(this.graph);
    const existing = state.workloads.get(this.spiffeId);
    if (existing) {
      invalid(this, 'spiffeId', this.spiffeId, `${existing.node.path} already declares this remote workload`, 'declare each remote workload once');
    }
    state.workloads.set(this.spiffeId, this);
  }

  /**
   * Allows this remote workload to call `callee` of this cluster (idempotent). The callee's
   * AuthorizationPolicy admits the remote principal on the ports (and methods and paths), and
   * its ingress NetworkPolicy admits the gateway path only: the gateway's pods, or
   * `sourceCidrs`.
   *
   * @param callee the workload of this cluster
   * @param options ports, methods and paths
   * @returns the call
   */
  public mayCall(callee: IMeshWorkload, options: CallOptions = {}): RemoteCallIntent {
    guardArgs(this, 'RemoteWorkload', 'mayCall', [callee, options]);
    if (!this._path.gateway && this._path.sourceCidrs.length === 0) {
      invalid(this, 'path', this._path, 'says neither which gateway of this cluster the remote calls arrive through nor where they come from',
        'set path.gatewayNamespace and path.gatewayPodLabels, or path.sourceCidrs');
    }
    return this.add(callee, true, options, callee.workloadPorts);
  }

  /**
   * Allows `caller` of this cluster to call this remote workload (idempotent). The caller's
   * egress NetworkPolicy admits `remoteCidrs` on `remotePort` (or the remote ports) only; the
   * remote cluster authorizes the call by the caller's principal.
   *
   * @param caller the workload of this cluster
   * @param options ports (of the remote workload), methods and paths
   * @returns the call
   */
  public allowFrom(caller: IMeshWorkload, options: CallOptions = {}): RemoteCallIntent {
    guardArgs(this, 'RemoteWorkload', 'allowFrom', [caller, options]);
    if (this._path.remoteCidrs.length === 0) {
      invalid(this, 'path.remoteCidrs', this._path.remoteCidrs, 'must name where this cluster reaches the remote workload before local workloads may call it',
        'set path.remoteCidrs to the remote east-west gateway\'s (or the workload\'s) addresses');
    }
    if (this.workloadPorts.length === 0) {
      invalid(this, 'ports', this.workloadPorts, 'must list the ports the remote workload listens on before local workloads may call it');
    }
    return this.add(caller, false, options, this.workloadPorts);
  }

  private add(local: IMeshWorkload, inbound: boolean, options: CallOptions, calleePorts: WorkloadPort[]): RemoteCallIntent {
    if (!local || !local.zeroTrustNamespace || !this.graph.workloads.includes(local)) {
      invalid(this, inbound ? 'callee' : 'caller', (local as any)?.node?.path ?? local, 'must be a workload of this app\'s intent graph (a MeshService in a ZeroTrustNamespace)');
    }
    const ports = this.checkCall(options ?? {}, calleePorts, inbound ? workloadKey(local) : this.spiffeId);
    const call = RemoteCallIntent._create(this, local, inbound, ports, options ?? {});
    const state = remoteState(this.graph);
    const existing = state.calls.get(call.key);
    if (existing) {
      return existing;
    }
    state.calls.set(call.key, call);
    REMOTE_CALL_HOOKS.forEach(hook => hook(this.graph, call));
    return call;
  }

  private checkCall(options: CallOptions, calleePorts: WorkloadPort[], callee: string): number[] {
    if (options.requireClaims !== undefined || options.requireHeaders !== undefined) {
      invalid(this, 'requireClaims/requireHeaders', { requireClaims: options.requireClaims, requireHeaders: options.requireHeaders },
        'are not supported on calls across clusters', 'restrict the call by ports, methods and paths');
    }
    const all = calleePorts.map(p => p.port);
    const ports = sortedUnique(options.ports ?? all);
    if (ports.length === 0) {
      invalid(this, 'ports', options.ports, `must name at least one port of ${callee} (${all.join(', ')})`);
    }
    for (const port of ports) {
      checkPort(this, 'ports', port);
      if (!all.includes(port)) {
        invalid(this, 'ports', port, `${callee} listens on ${all.join(', ')} only`);
      }
    }
    const methods = options.methods ?? [];
    if (options.methods !== undefined && methods.length === 0) {
      invalid(this, 'methods', methods, 'must not be empty', 'leave methods out to allow any method');
    }
    for (const method of methods) {
      if (!HTTP_METHODS.includes(method)) {
        invalid(this, 'methods', method, `must be one of ${HTTP_METHODS.join(', ')} (upper case)`);
      }
    }
    if (options.paths !== undefined && options.paths.length === 0) {
      invalid(this, 'paths', options.paths, 'must not be empty', 'leave paths out to allow any path');
    }
    (options.paths ?? []).forEach(path => checkPath(this, path));
    if (methods.length > 0 || (options.paths ?? []).length > 0) {
      const opaque = calleePorts.filter(p => ports.includes(p.port) && p.protocol === AppProtocol.TCP).map(p => p.port);
      if (opaque.length > 0) {
        invalid(this, 'methods/paths', { methods, paths: options.paths }, `port ${opaque.join(', ')} of ${callee} is plain TCP, where no HTTP method or path can be seen`,
          'restrict the call to the HTTP ports with `ports`, or drop methods and paths');
      }
    }
    return ports;
  }

  private resolvePath(path: RemotePathOptions): ResolvedRemotePath {
    const remoteCidrs = path.remoteCidrs === undefined ? [] : checkCidrList(this, 'path.remoteCidrs', path.remoteCidrs, { minPrefix4: 8, minPrefix6: 16 });
    const sourceCidrs = path.sourceCidrs === undefined ? [] : checkCidrList(this, 'path.sourceCidrs', path.sourceCidrs, { minPrefix4: 8, minPrefix6: 16 });
    const remotePort = path.remotePort === undefined ? undefined : checkPort(this, 'path.remotePort', path.remotePort);
    let gateway: ResolvedRemotePath['gateway'];
    if (path.gatewayNamespace !== undefined || path.gatewayPodLabels !== undefined) {
      const namespace = checkDns1123Label(this, 'path.gatewayNamespace', path.gatewayNamespace as string);
      const labels = path.gatewayPodLabels;
      if (!labels || Object.keys(labels).length === 0) {
        invalid(this, 'path.gatewayPodLabels', labels, 'must select the gateway\'s pods with at least one label', 'for example { istio: \'eastwestgateway\' }');
      }
      for (const [k, v] of Object.entries(labels)) {
        if (!/^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/.test(k)
          || !/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/.test(v)) {
          invalid(this, 'path.gatewayPodLabels', { [k]: v }, 'must be Kubernetes label keys and values');
        }
      }
      gateway = { namespace, podLabels: { ...labels } };
    }
    if (gateway && sourceCidrs.length > 0) {
      invalid(this, 'path.sourceCidrs', sourceCidrs, 'cannot be combined with a gateway: calls arrive either through the gateway or from these addresses',
        'keep the gateway (its pods are the only source the callee admits) or the addresses');
    }
    return { remoteCidrs, remotePort, gateway, sourceCidrs };
  }
}

