import { IConstruct } from 'constructs';
import { cidrProblem, parseCidr } from './_cidr';
import { guardArgs, staticScope } from './_guards';
import { invalid, labelKeyProblem, labelValueProblem, sortedUnique } from './_validation';
import { workloadKey } from './call-intent';
import {
  CidrPeerOptions, ClusterPeerKind, Cni, IngressControllerPeerOptions, KubernetesApiServerPeerOptions, MonitoringPeerOptions,
  NodesPeerOptions, PeerCallOptions, PodsPeerOptions,
} from './cluster-peer-options';
import { IntentGraph } from './intent-graph';
import { IMeshWorkload, MeshMode } from './mesh-workload';

/** Sidecar ports Istio does not redirect: health (15021), merged metrics (15020), Envoy stats (15090). */
export const UNCAPTURED_SIDECAR_PORTS = [15020, 15021, 15090];
/** The cloud instance metadata addresses (AWS, GCP, Azure, OpenStack; AWS IPv6). */
export const CLOUD_METADATA_CIDRS = ['169.254.169.254/32', 'fd00:ec2::254/128'];

/**
 * A peer outside the intent graph that workloads call or are called by: the Kubernetes API
 * server, the nodes (kubelet, load balancer health checks), cluster monitoring, an ingress
 * controller, addresses by CIDR, the cloud metadata endpoint. Peers have no mesh identity, so
 * they are enforced at L4 (Kubernetes NetworkPolicy, or a CiliumNetworkPolicy for Cilium's
 * entities).
 *
 * A call to a peer (`allowFrom(caller)`) opens the caller's egress; a call from a peer
 * (`mayCall(callee)`) opens the callee's ingress. Calls from a peer into a workload in the mesh
 * are only possible on ports the sidecar does not capture (15020, 15021, 15090): STRICT mTLS
 * refuses the peer's plaintext on every other port (declare a caller that is in the mesh as an
 * `ExternalWorkload` instead, with its identity).
 *
 * Cloud metadata endpoints stay closed unless `ClusterPeer.cloudMetadata()` is declared: a CIDR
 * peer covering them gets them as exceptions.
 *
 * @example
 * ClusterPeer.kubernetesApiServer({ cni: Cni.CILIUM }).allowFrom(operator);
 * ClusterPeer.kubernetesApiServer({ addresses: ['172.18.0.2/32'], ports: [6443] }).allowFrom(operator);
 */
export class ClusterPeer {
  /**
   * The Kubernetes API server: for workloads that call it (controllers, operators), and for the
   * control plane calling admission webhooks.
   *
   * On Cilium it is the `kube-apiserver` entity. On managed control planes (AKS, EKS, GKE) the
   * API server's calls to webhooks may arrive NATed from a node address, where the entity does
   * not match them: declare `ClusterPeer.nodes({ cni: Cni.CILIUM })` on the webhook port too.
   * Elsewhere it is the addresses you give, with the caveat documented on `addresses`.
   */
  public static kubernetesApiServer(options: KubernetesApiServerPeerOptions = {}): ClusterPeer {
    guardArgs(staticScope('ClusterPeer.kubernetesApiServer'), 'ClusterPeer', 'kubernetesApiServer', [options]);
    const where = 'ClusterPeer.kubernetesApiServer';
    const cni = checkCni(where, options.cni);
    const ports = checkPorts(where, 'ports', options.ports ?? [443, 6443]);
    if (cni === Cni.CILIUM) {
      if (options.addresses !== undefined) {
        fail(where, 'addresses', options.addresses, 'must be left out with Cni.CILIUM, which matches the API server by its kube-apiserver entity', 'remove addresses, or use Cni.GENERIC');
      }
      return new ClusterPeer(ClusterPeerKind.KUBERNETES_API_SERVER, 'kubernetes-api-server', cni, [], ['kube-apiserver'], undefined, ports);
    }
    if (options.addresses === undefined) {
      fail(where, 'addresses', options.addresses, 'must list the API server\'s endpoint addresses: Kubernetes NetworkPolicy matches addresses only',
        'run kubectl get endpointslices -l kubernetes.io/service-name=kubernetes and list them, for example [\'172.18.0.2/32\'], or use cni: Cni.CILIUM');
    }
    return new ClusterPeer(ClusterPeerKind.KUBERNETES_API_SERVER, 'kubernetes-api-server', cni, checkCidrList(where, 'addresses', options.addresses), [], undefined, ports);
  }

  /**
   * The cluster's nodes: kubelet (probes come from the pod's own node, which NetworkPolicy
   * always allows), load balancer health checks and NodePort traffic forwarded by other nodes.
   * On Cilium the `host` and `remote-node` entities; elsewhere the node addresses.
   */
  public static nodes(options: NodesPeerOptions = {}): ClusterPeer {
    guardArgs(staticScope('ClusterPeer.nodes'), 'ClusterPeer', 'nodes', [options]);
    const where = 'ClusterPeer.nodes';
    const cni = checkCni(where, options.cni);
    if (cni === Cni.CILIUM) {
      if (options.cidrs !== undefined) {
        fail(where, 'cidrs', options.cidrs, 'must be left out with Cni.CILIUM, which matches nodes by the host and remote-node entities', 'remove cidrs, or use Cni.GENERIC');
      }
      return new ClusterPeer(ClusterPeerKind.NODES, 'nodes', cni, [], ['host', 'remote-node'], undefined, []);
    }
    if (options.cidrs === undefined) {
      fail(where, 'cidrs', options.cidrs, 'must list the node addresses: Kubernetes NetworkPolicy matches addresses only', 'for example [\'10.0.0.0/16\'] (the nodes\' subnet), or use cni: Cni.CILIUM');
    }
    return new ClusterPeer(ClusterPeerKind.NODES, 'nodes', cni, checkCidrList(where, 'cidrs', options.cidrs), [], undefined, []);
  }

  /**
   * Cluster monitoring (Prometheus) scraping workloads. In sidecar mode scrape the merged
   * metrics port 15020 or Envoy's 15090, which Istio leaves outside mTLS.
   */
  public static monitoring(options: MonitoringPeerOptions = {}): ClusterPeer {
    guardArgs(staticScope('ClusterPeer.monitoring'), 'ClusterPeer', 'monitoring', [options]);
    return ClusterPeer.podsOf('ClusterPeer.monitoring', 'monitoring', options.namespace ?? 'monitoring', options.podLabels ?? { 'app.kubernetes.io/name': 'prometheus' });
  }

  /**
   * An ingress controller outside the mesh (ingress-nginx by default). An ingress controller in
   * the mesh has an identity: declare it as an `ExternalWorkload`.
   */
  public static ingressController(options: IngressControllerPeerOptions = {}): ClusterPeer {
    guardArgs(staticScope('ClusterPeer.ingressController'), 'ClusterPeer', 'ingressController', [options]);
    return ClusterPeer.podsOf('ClusterPeer.ingressController', 'ingress-controller', options.namespace ?? 'ingress-nginx',
      options.podLabels ?? { 'app.kubernetes.io/name': 'ingress-nginx', 'app.kubernetes.io/component': 'controller' });
  }

  /** Pods outside the intent graph (and outside the mesh), by namespace and labels. */
  public static pods(options: PodsPeerOptions): ClusterPeer {
    guardArgs(staticScope('ClusterPeer.pods'), 'ClusterPeer', 'pods', [options]);
    if (!options || typeof options !== 'object') fail('ClusterPeer.pods', 'options', options, 'must be an object with namespace and podLabels');
    return ClusterPeer.podsOf('ClusterPeer.pods', 'pods', options.namespace, options.podLabels);
  }

  /**
   * Addresses outside the cluster. A range covering a cloud metadata address gets it as an
   * exception (declare `ClusterPeer.cloudMetadata()` to reach it).
   */
  public static addresses(options: CidrPeerOptions): ClusterPeer {
    guardArgs(staticScope('ClusterPeer.addresses'), 'ClusterPeer', 'addresses', [options]);
    const where = 'ClusterPeer.addresses';
    if (!options || typeof options !== 'object') fail(where, 'options', options, 'must be an object with cidrs');
    const name = options.name ?? 'cidrs';
    if (typeof name !== 'string' || !/^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$/.test(name)) {
      fail(where, 'name', name, 'must be 1-40 lower-case letters, digits or \'-\', starting and ending with a letter or digit', 'for example \'partner-vpn\'');
    }
    const cidrs = checkCidrList(where, 'cidrs', options.cidrs);
    for (const cidr of cidrs) {
      if (CLOUD_METADATA_CIDRS.includes(cidr)) {
        fail(where, 'cidrs', cidr, 'is the cloud metadata endpoint, which hands out the node\'s cloud credentials', 'declare ClusterPeer.cloudMetadata() instead, so the exception is explicit');
      }
    }
    return new ClusterPeer(ClusterPeerKind.CIDRS, name, Cni.GENERIC, cidrs, [], undefined, []);
  }

  /**
   * The cloud instance metadata endpoint (169.254.169.254 and AWS's fd00:ec2::254), port 80. It
   * hands out the node's cloud credentials: every workload is denied it unless it declares this
   * peer. Prefer a cloud workload identity (`CloudWorkloadIdentity`).
   */
  public static cloudMetadata(): ClusterPeer {
    return new ClusterPeer(ClusterPeerKind.CLOUD_METADATA, 'cloud-metadata', Cni.GENERIC, [...CLOUD_METADATA_CIDRS], [], undefined, [80]);
  }

  private static podsOf(where: string, name: string, namespace: string, podLabels: { [key: string]: string }): ClusterPeer {
    if (typeof namespace !== 'string' || namespace.length > 63 || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(namespace)) {
      fail(where, 'namespace', namespace, 'must be a DNS-1123 label (a namespace name)');
    }
    if (podLabels === null || typeof podLabels !== 'object' || Array.isArray(podLabels) || Object.keys(podLabels).length === 0) {
      fail(where, 'podLabels', podLabels, 'must select the pods with at least one label', 'an empty selector would admit every pod of the namespace');
    }
    for (const [k, v] of Object.entries(podLabels)) {
      const problem = labelKeyProblem(k) ?? labelValueProblem(v);
      if (problem) fail(where, `podLabels[${JSON.stringify(k)}]`, v, `is not a Kubernetes label: it ${problem}`);
    }
    return new ClusterPeer(ClusterPeerKind.PODS, name, Cni.GENERIC, [], [], { namespace, podLabels: { ...podLabels } }, []);
  }

  /** The peer's short name (`kubernetes-api-server`, `nodes`, `monitoring`, ...). */
  public readonly name: string;
  /** What the peer is. */
  public readonly kind: ClusterPeerKind;
  /** The network plugin the peer is written for. */
  public readonly cni: Cni;
  /** The peer's addresses (sorted), for address peers. */
  public readonly cidrs: string[];
  /**
   * Addresses inside `cidrs` that stay closed (cloud metadata endpoints a range covers).
   */
  public readonly exceptCidrs: string[];
  /** Cilium entities (`kube-apiserver`, `host`, `remote-node`), with `Cni.CILIUM`. */
  public readonly ciliumEntities: string[];
  /** The pods' namespace, for pod peers. */
  public readonly namespace?: string;
  /** The pods' labels, for pod peers. */
  public readonly podLabels?: { [key: string]: string };
  /** The peer's own ports (for calls to it when the call names none). */
  public readonly ports: number[];

  private constructor(kind: ClusterPeerKind, name: string, cni: Cni, cidrs: string[], entities: string[],
    pods: { namespace: string; podLabels: { [key: string]: string } } | undefined, ports: number[]) {
    this.kind = kind;
    this.name = name;
    this.cni = cni;
    this.cidrs = cidrs;
    this.exceptCidrs = kind === ClusterPeerKind.CLOUD_METADATA ? []
      : sortedUnique(cidrs.flatMap(c => CLOUD_METADATA_CIDRS.filter(m => m !== c && covers(c, m))));
    this.ciliumEntities = entities;
    this.namespace = pods?.namespace;
    this.podLabels = pods?.podLabels;
    this.ports = ports;
  }

  /**
   * Allows this peer to call `callee` (idempotent): the callee's ingress NetworkPolicy (or its
   * peer CiliumNetworkPolicy for Cilium entities) admits the peer on the ports.
   *
   * @param callee a workload of the intent graph
   * @param options the callee's ports
   * @returns the call
   */
  public mayCall(callee: IMeshWorkload, options: PeerCallOptions = {}): PeerCall {
    guardArgs(staticScope('ClusterPeer.mayCall'), 'ClusterPeer', 'mayCall', [callee, options]);
    return addPeerCall(this, callee, true, options);
  }

  /**
   * Allows `caller` to call this peer (idempotent): the caller's egress NetworkPolicy (or its
   * peer CiliumNetworkPolicy for Cilium entities) admits the peer on the ports.
   *
   * @param caller a workload of the intent graph
   * @param options the peer's ports
   * @returns the call
   */
  public allowFrom(caller: IMeshWorkload, options: PeerCallOptions = {}): PeerCall {
    guardArgs(staticScope('ClusterPeer.allowFrom'), 'ClusterPeer', 'allowFrom', [caller, options]);
    return addPeerCall(this, caller, false, options);
  }

  /** A stable key: kind, name and what it matches. */
  public get key(): string {
    const what = this.podLabels ? `${this.namespace}/${Object.entries(this.podLabels).map(([k, v]) => `${k}=${v}`).sort().join(',')}`
      : [...this.ciliumEntities, ...this.cidrs].join(',');
    return `${this.kind}:${this.name}(${what})`;
  }
}

/**
 * A call between a workload of the intent graph and a ClusterPeer, in either direction.
 */
export class PeerCall {
  /** @internal */
  public static _create(peer: ClusterPeer, workload: IMeshWorkload, inbound: boolean, ports: number[]): PeerCall {
    return new PeerCall(peer, workload, inbound, ports);
  }

  /** The peer. */
  public readonly peer: ClusterPeer;
  /** The workload of the intent graph. */
  public readonly workload: IMeshWorkload;
  /** Whether the peer calls the workload (true) or the workload calls the peer (false). */
  public readonly inbound: boolean;
  /** The callee's ports (sorted). */
  public readonly ports: number[];

  private constructor(peer: ClusterPeer, workload: IMeshWorkload, inbound: boolean, ports: number[]) {
    this.peer = peer;
    this.workload = workload;
    this.inbound = inbound;
    this.ports = ports;
  }

  /** A stable, human-readable key. */
  public get key(): string {
    return this.inbound
      ? `${this.peer.key} -> ${workloadKey(this.workload)}:${this.ports.join(',')}`
      : `${workloadKey(this.workload)} -> ${this.peer.key}:${this.ports.join(',')}`;
  }
}

const STATE = new WeakMap<IntentGraph, Map<string, PeerCall>>();
const HOOKS: Array<(graph: IntentGraph, call: PeerCall) => void> = [];

/**
 * Registers what a layer does when a peer call is added to any graph (define the policy that
 * will render it). Layers register once, when their module loads.
 * @internal
 */
export function onPeerCall(hook: (graph: IntentGraph, call: PeerCall) => void): void {
  if (!HOOKS.includes(hook)) HOOKS.push(hook);
}

/** Every peer call of `scope`'s app, sorted by key. */
export function peerCallsOfApp(scope: IConstruct): PeerCall[] {
  const calls = STATE.get(IntentGraph.of(scope)) ?? new Map<string, PeerCall>();
  return [...calls.keys()].sort().map(k => calls.get(k)!);
}

/**
 * The peer calls of `graph` that `workload` accepts (inbound) or makes (outbound), sorted by key.
 * @internal
 */
export function peerCallsOf(graph: IntentGraph, workload: IMeshWorkload, inbound: boolean): PeerCall[] {
  const calls = STATE.get(graph);
  if (!calls) return [];
  return [...calls.keys()].sort().map(k => calls.get(k)!).filter(c => c.workload === workload && c.inbound === inbound);
}

function addPeerCall(peer: ClusterPeer, workload: IMeshWorkload, inbound: boolean, options: PeerCallOptions): PeerCall {
  const prop = inbound ? 'callee' : 'caller';
  if (!workload || typeof workload !== 'object' || !workload.node || !workload.zeroTrustNamespace) {
    fail(`ClusterPeer(${peer.name}).${inbound ? 'mayCall' : 'allowFrom'}`, prop, workload, 'must be a workload of the intent graph (a MeshService, AdoptedWorkload or ExternalWorkload)');
  }
  const graph = IntentGraph.of(workload);
  if (!graph.workloads.includes(workload)) {
    invalid(workload, prop, workload.node.path, 'must be a workload of this app\'s intent graph');
  }
  if (options === null || typeof options !== 'object') {
    invalid(workload, 'peer call options', options, 'must be an object (PeerCallOptions: ports)');
  }
  if (peer.kind === ClusterPeerKind.CLOUD_METADATA && inbound) {
    invalid(workload, 'peer', peer.name, 'never calls workloads', 'use ClusterPeer.cloudMetadata().allowFrom(workload)');
  }
  const workloadPorts = workload.workloadPorts.map(p => p.port);
  const defaults = inbound ? workloadPorts : peer.ports;
  const ports = sortedUnique(checkPorts(`${workload.node.path}`, 'ports', options.ports ?? defaults));
  if (ports.length === 0) {
    invalid(workload, 'ports', options.ports, `must name at least one port ${inbound ? `of ${workloadKey(workload)}` : `of the peer ${peer.name}`}`, 'for example { ports: [10250] }');
  }
  if (inbound) {
    const mesh = workload.zeroTrustNamespace.meshMode;
    for (const port of ports) {
      const uncaptured = mesh === MeshMode.SIDECAR && UNCAPTURED_SIDECAR_PORTS.includes(port);
      if (!uncaptured && !workloadPorts.includes(port)) {
        invalid(workload, 'ports', port, `${workloadKey(workload)} listens on ${workloadPorts.join(', ')} only`);
      }
      if (!uncaptured) {
        invalid(workload, 'ports', port,
          `${workloadKey(workload)} is in the mesh (${mesh}) with STRICT mTLS, which refuses the plaintext of ${peer.name} (a peer without mesh identity) on port ${port}`,
          (mesh === MeshMode.SIDECAR
            ? 'scrape the sidecar\'s merged metrics port 15020 or Envoy\'s 15090 instead, or declare a caller that runs in the mesh as an ExternalWorkload (with its ServiceAccount)'
            : 'declare a caller that runs in the mesh as an ExternalWorkload (with its ServiceAccount); ztunnel admits kubelet probes on its own')
          + '; to give the caller an identity, enrol its namespace in the mesh (sidecar injection or istio.io/dataplane-mode=ambient). '
          + 'The library never opens a plaintext port on a workload in the mesh: a port-level PERMISSIVE mode would admit every source the L4 policy lets through with no identity for any AuthorizationPolicy to check');
      }
    }
  }
  const call = PeerCall._create(peer, workload, inbound, ports);
  let calls = STATE.get(graph);
  if (!calls) {
    calls = new Map();
    STATE.set(graph, calls);
  }
  const existing = calls.get(call.key);
  if (existing) return existing;
  calls.set(call.key, call);
  HOOKS.forEach(hook => hook(graph, call));
  return call;
}

function checkCni(where: string, cni: Cni | undefined): Cni {
  const value = cni ?? Cni.GENERIC;
  if (!Object.values(Cni).includes(value)) fail(where, 'cni', value, `must be one of ${Object.values(Cni).join(', ')}`);
  return value;
}

function checkPorts(where: string, prop: string, ports: unknown): number[] {
  if (!Array.isArray(ports)) fail(where, prop, ports, 'must be a list of TCP ports');
  for (const port of ports) {
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
      fail(where, prop, port, 'must be an integer between 1 and 65535');
    }
  }
  return sortedUnique(ports as number[]);
}

function checkCidrList(where: string, prop: string, values: unknown): string[] {
  if (!Array.isArray(values) || values.length === 0) {
    fail(where, prop, values, 'must be a non-empty array of CIDR strings', 'for example [\'203.0.113.0/24\']');
  }
  values.forEach((cidr, i) => {
    const problem = cidrProblem(cidr, { minPrefix4: 8, minPrefix6: 16 });
    if (problem) {
      fail(where, `${prop}[${i}]`, cidr, `must be an IPv4 CIDR of /8 to /32 or an IPv6 CIDR of /16 to /128 with no host bits set (never a catch-all such as 0.0.0.0/0), but it ${problem}`,
        'for example \'203.0.113.0/24\' or \'2001:db8::/32\'');
    }
  });
  return sortedUnique(values as string[]);
}

/** Whether the (valid) range `outer` contains the range `inner`. */
function covers(outer: string, inner: string): boolean {
  const a = parseCidr(outer)!;
  const b = parseCidr(inner)!;
  if (a.family !== b.family || b.prefix < a.prefix) return false;
  return a.bytes.every((byte, i) => {
    const kept = Math.max(0, Math.min(8, a.prefix - 8 * i));
    return Math.floor(byte / 2 ** (8 - kept)) === Math.floor(b.bytes[i] / 2 ** (8 - kept));
  });
}

/** The library's error for a bad argument of a value class (no construct path: the factory's name). */
function fail(where: string, prop: string, value: unknown, allowed: string, fix?: string): never {
  let shown: string;
  try {
    shown = JSON.stringify(value) ?? String(value);
  } catch {
    shown = String(value);
  }
  throw new Error(`[${where}] invalid ${prop} ${shown}: ${allowed}${fix ? `; ${fix}` : ''}`);
}
