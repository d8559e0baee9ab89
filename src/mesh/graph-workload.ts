import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { allowCall } from './_calls';
import { WorkloadIdentity } from './_workload-identity';
import { addExternalEgress } from '../edge/_egress';
import { EnforcementPoints, Rollout } from '../enforcement/enforcement-points';
import { guardArgs } from '../intent/_guards';
import { invalid } from '../intent/_validation';
import { CallIntent, CallOptions, EgressIntent, IntentGraph } from '../intent/intent-graph';
import { IMeshWorkload, IPodWorkload, IZeroTrustNamespace, WorkloadOrigin, WorkloadPort } from '../intent/mesh-workload';
import { ensureAuditNetworkPolicy } from '../network/_network-policies';

/**
 * Restrictions of a call allowed with `allowFrom()`: ports, methods and paths.
 */
export interface AllowFromOptions extends CallOptions {}

/**
 * Options of `allowEgressTo()`.
 */
export interface AllowEgressToOptions {
  /**
   * The TCP port of the external host. Port 80 is declared to the mesh as HTTP, every other
   * port as TLS (matched by SNI, never decrypted).
   *
   * @default 443
   */
  readonly port?: number;
}

/**
 * A workload of the app in the intent graph: its pods are the app's, so it gets every layer's
 * policies, calls others and is called (`allowFrom()`), and reaches hosts outside the cluster
 * only as declared (`allowEgressTo()`).
 *
 * `MeshService`, `MeshStatefulService` and `AdoptedWorkload` are graph workloads; they differ
 * in where their pods come from (a Deployment or StatefulSet the library builds, or a workload
 * object of the app adopted as it is). A workload outside the app is an `ExternalWorkload`.
 */
export abstract class GraphWorkload extends Construct implements IPodWorkload {
  /** @internal */
  protected readonly _graph: IntentGraph;
  private identity?: WorkloadIdentity;

  /**
   * Only the library's workload kinds extend this class: each adds itself to the intent graph
   * with what it knows about its pods.
   *
   * @param scope the construct scope
   * @param id the construct id
   */
  protected constructor(scope: Construct, id: string) {
    super(scope, id);
    this._graph = IntentGraph.of(this);
  }

  /** The workload's name, unique in its namespace. */
  public get workloadName(): string {
    return this.known().workloadName;
  }

  /** The zero-trust namespace. */
  public get zeroTrustNamespace(): IZeroTrustNamespace {
    return this.known().zeroTrustNamespace;
  }

  /** The ServiceAccount the pods run as (the workload's mesh identity). */
  public get serviceAccountName(): string {
    return this.known().serviceAccountName;
  }

  /** Labels selecting the workload's pods. */
  public get podSelectorLabels(): { [key: string]: string } {
    return this.known().podSelectorLabels;
  }

  /** The ports the workload listens on. */
  public get workloadPorts(): WorkloadPort[] {
    return this.known().workloadPorts;
  }

  /** Where the workload comes from: `LIBRARY` (built by the library) or `ADOPTED`. */
  public get workloadOrigin(): WorkloadOrigin | undefined {
    return this.known().workloadOrigin;
  }

  /**
   * The object whose pod template makes the workload's pods (its Deployment, StatefulSet,
   * DaemonSet, Job or CronJob). Escape hatch: JSON patches.
   */
  public get workloadObject(): ApiObject {
    return this.known().workloadObject;
  }

  /** The calls this workload accepts, from the intent graph. */
  public get allowedCalls(): CallIntent[] {
    return this._graph.callsTo(this);
  }

  /** The workload's SPIFFE ID: `spiffe://<trustDomain>/ns/<namespace>/sa/<serviceAccount>` (shared by every pod). */
  public get spiffeId(): string {
    return this._graph.spiffeIdOf(this);
  }

  /**
   * Allows `caller` to call this workload, and nothing else that was not allowed already.
   *
   * At synthesis time the call becomes: an ingress rule on this workload's NetworkPolicy (from
   * the caller's pods, on the container ports; plus HBONE 15008 in ambient namespaces), an
   * egress rule on the caller's NetworkPolicy, and an ALLOW rule on this workload's
   * AuthorizationPolicy whose source is the caller's mTLS principal
   * (`<trustDomain>/ns/<namespace>/sa/<serviceAccount>`), restricted to the ports, methods and
   * paths given. Callers may be in other namespaces. Calling it again with the same arguments
   * changes nothing and returns the same call.
   *
   * @param caller the workload that may call this one
   * @param options ports, methods and paths the caller may use
   * @returns the call added to the intent graph
   *
   * @example
   * orders.allowFrom(gateway, { methods: ['GET', 'POST'], paths: ['/api/orders/*'] });
   * database.allowFrom(orders); // plain TCP: identity and port only
   */
  public allowFrom(caller: IMeshWorkload, options: AllowFromOptions = {}): CallIntent {
    guardArgs(this, 'GraphWorkload', 'allowFrom', [caller, options]);
    return allowCall(this._graph, this, caller, options);
  }

  /**
   * Allows this workload to call `host` outside the cluster, and nothing else outside it.
   *
   * The egress is recorded in the intent graph and rendered at every layer: a ServiceEntry
   * (MESH_EXTERNAL, visible in this namespace only) and this workload's Sidecar (egress hosts =
   * its declared callees and external hosts, outbound traffic policy REGISTRY_ONLY) for the
   * mesh; for the network, an egress NetworkPolicy to the port on public addresses only
   * (Kubernetes NetworkPolicy cannot match host names: private, link-local and metadata ranges
   * stay closed), replaced by a Cilium `toFQDNs` rule when a `CiliumWorkloadPolicy` covers
   * this workload. Calling it again with the same arguments changes nothing.
   *
   * @param host the exact external DNS name, for example `api.stripe.com` (no wildcard, IP or cluster name)
   * @param options the port
   * @returns the egress added to the intent graph
   *
   * @example
   * payments.allowEgressTo('api.stripe.com', { port: 443 });
   */
  public allowEgressTo(host: string, options: AllowEgressToOptions = {}): EgressIntent {
    guardArgs(this, 'GraphWorkload', 'allowEgressTo', [host, options]);
    if (options === null || typeof options !== 'object') {
      invalid(this, 'allowEgressTo(options)', options, 'must be an object (AllowEgressToOptions: port)');
    }
    return addExternalEgress(this._graph, this, host, options.port);
  }

  /**
   * Adds this workload to the intent graph with what its kind knows about it, and its own
   * rollout (an AUDIT workload in an enforcing namespace gets an allow-all NetworkPolicy of
   * its pods, selected as they are at synthesis).
   *
   * @internal
   */
  protected _join(identity: WorkloadIdentity, rollout?: Rollout): void {
    this.identity = identity;
    this._graph._addWorkload(this);
    if (rollout === undefined) return;
    if (!Object.values(Rollout).includes(rollout)) {
      invalid(this, 'rollout', rollout, `must be one of ${Object.values(Rollout).join(', ')}`);
    }
    const points = EnforcementPoints.of(this);
    points._declareRollout(this, rollout);
    if (rollout === Rollout.AUDIT && points.forNamespace(identity.zeroTrustNamespace).rollout === Rollout.ENFORCE) {
      const namespace = identity.zeroTrustNamespace.namespaceName;
      ensureAuditNetworkPolicy(this._graph, this, `${namespace}-${identity.workloadName}`, namespace, `${identity.workloadName}-audit-allow-all`,
        undefined, () => this.podSelectorLabels);
    }
  }

  private known(): WorkloadIdentity {
    if (!this.identity) {
      throw new Error(`${this.node.path}: a GraphWorkload is read before its constructor joined it to the intent graph (a subclass must call _join() first)`);
    }
    return this.identity;
  }
}
