import { Construct } from 'constructs';
import { allowCall } from './_calls';
import { checkWorkloadPorts } from './_workload-manifest';
import { AllowFromOptions } from './graph-workload';
import { guardArgs, guardProps } from '../intent/_guards';
import { checkDns1123Label, checkLabels, invalid } from '../intent/_validation';
import { CallIntent, IntentGraph } from '../intent/intent-graph';
import { IMeshWorkload, IZeroTrustNamespace, MeshMode, WorkloadOrigin, WorkloadPort } from '../intent/mesh-workload';

/**
 * Properties of an ExternalWorkload.
 */
export interface ExternalWorkloadProps {
  /** The namespace the workload runs in (created outside this app, or a ZeroTrustNamespace of it). */
  readonly namespace: string;

  /**
   * The workload's name in the intent graph (a DNS-1123 label; it names its policies).
   *
   * @default - the construct id
   */
  readonly name?: string;

  /** Labels selecting exactly the workload's pods in `namespace` (at least one). */
  readonly podSelector: { [key: string]: string };

  /** The ServiceAccount the pods run as: the workload's mesh identity. Never `default`. */
  readonly serviceAccountName: string;

  /**
   * The container ports the workload listens on.
   *
   * @default - none: the workload only calls
   */
  readonly ports?: WorkloadPort[];

  /**
   * How the workload's pods join the mesh (its namespace's injection or ambient label). A
   * workload outside the mesh has no identity: declare it as a `ClusterPeer` instead.
   *
   * @default - the mode of the app's ZeroTrustNamespace of that name, else MeshMode.SIDECAR
   */
  readonly meshMode?: MeshMode;
}

/** The namespace of an external workload when the app does not define it. */
class ExternalNamespace extends Construct implements IZeroTrustNamespace {
  public constructor(scope: Construct, id: string, public readonly namespaceName: string, public readonly meshMode: MeshMode) {
    super(scope, id);
  }
}

/**
 * References a workload this app does not deploy (installed by Helm or another team) in the
 * intent graph, by namespace, pod selector, ServiceAccount and ports, so that it can call the
 * app's workloads (`callee.allowFrom(external)`) and be called (`external.allowFrom(caller)`).
 *
 * For calls to it the app defines its ingress NetworkPolicy, its AuthorizationPolicy and (when
 * its namespace is not a ZeroTrustNamespace of the app) a STRICT PeerAuthentication of its
 * pods, all in its namespace: once it is called from the graph, every caller must be declared.
 * Its own egress is not restricted (its namespace's DNS and API server access are not the
 * app's to define); the callees' ingress policies admit it by pod selector and identity.
 *
 * @example
 * const ingress = new ExternalWorkload(chart, 'ingress-gateway', {
 *   namespace: 'istio-ingress', podSelector: { istio: 'ingressgateway' }, serviceAccountName: 'istio-ingressgateway',
 * });
 * shop.allowFrom(ingress, { ports: [8080] });
 */
export class ExternalWorkload extends Construct implements IMeshWorkload {
  /** The workload's name in the intent graph. */
  public readonly workloadName: string;
  /** The workload's namespace. */
  public readonly zeroTrustNamespace: IZeroTrustNamespace;
  /** The ServiceAccount (mesh identity). */
  public readonly serviceAccountName: string;
  /** Labels selecting the workload's pods. */
  public readonly podSelectorLabels: { [key: string]: string };
  /** The ports it listens on. */
  public readonly workloadPorts: WorkloadPort[];
  /** Where the workload comes from: `WorkloadOrigin.EXTERNAL`. */
  public readonly workloadOrigin?: WorkloadOrigin = WorkloadOrigin.EXTERNAL;

  private readonly graph: IntentGraph;

  public constructor(scope: Construct, id: string, props: ExternalWorkloadProps) {
    super(scope, id);
    guardProps(this, 'ExternalWorkload', props);
    this.graph = IntentGraph.of(this);
    if (!props || typeof props !== 'object') {
      invalid(this, 'props', props, 'must be an object with namespace, podSelector and serviceAccountName');
    }
    const namespace = checkDns1123Label(this, 'namespace', props.namespace);
    this.workloadName = checkDns1123Label(this, 'name', props.name ?? id);
    this.podSelectorLabels = checkLabels(this, 'podSelector', props.podSelector, { nonEmpty: true });
    this.serviceAccountName = checkDns1123Label(this, 'serviceAccountName', props.serviceAccountName);
    if (this.serviceAccountName === 'default') {
      invalid(this, 'serviceAccountName', 'default', 'is the namespace\'s default ServiceAccount, an identity every workload without its own shares',
        'reference a workload that runs as its own ServiceAccount');
    }
    if (props.meshMode !== undefined && !Object.values(MeshMode).includes(props.meshMode)) {
      invalid(this, 'meshMode', props.meshMode, `must be one of ${Object.values(MeshMode).join(', ')}`);
    }
    const own = this.graph.namespaces.find(ns => ns.namespaceName === namespace);
    if (own && props.meshMode !== undefined && props.meshMode !== own.meshMode) {
      invalid(this, 'meshMode', props.meshMode, `namespace ${namespace} is the app's ZeroTrustNamespace ${own.node.path}, in ${own.meshMode} mode`, 'leave meshMode out');
    }
    this.zeroTrustNamespace = own ?? new ExternalNamespace(this, 'Namespace', namespace, props.meshMode ?? MeshMode.SIDECAR);
    this.workloadPorts = checkWorkloadPorts(this, props.ports ?? []);
    this.graph._addWorkload(this);
  }

  /**
   * Allows `caller` to call this workload (idempotent): its ingress NetworkPolicy and
   * AuthorizationPolicy (in its namespace) admit the caller's pods and identity on the ports,
   * methods and paths given, and the caller's egress admits it.
   *
   * @param caller the workload that may call this one
   * @param options ports, methods and paths
   * @returns the call added to the intent graph
   */
  public allowFrom(caller: IMeshWorkload, options: AllowFromOptions = {}): CallIntent {
    guardArgs(this, 'ExternalWorkload', 'allowFrom', [caller, options]);
    return allowCall(this.graph, this, caller, options);
  }

  /** The workload's SPIFFE ID. */
  public get spiffeId(): string {
    return this.graph.spiffeIdOf(this);
  }
}
