import { ApiObject } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { addRestrictedPatches, MANAGED_BY, podWorkloadProps, resolveService, servicePorts } from './_service-parts';
import { GraphWorkload } from './graph-workload';
import { MeshServiceProps } from './mesh-service-props';
import { guardProps } from '../intent/_guards';
import { Layer } from '../intent/intent-graph';
import { WorkloadOrigin } from '../intent/mesh-workload';
import { requireZeroTrustNamespace } from '../segmentation/zero-trust-namespace';

/**
 * Defines a workload of the mesh: a Deployment (cdk8s-plus-27), its Service and a dedicated
 * ServiceAccount, hardened by default, in a ZeroTrustNamespace where nothing may reach it
 * until `allowFrom()` says so.
 *
 * Containers run as a non-root user (never root, never Istio's 1337) with a read-only root
 * filesystem, no privilege escalation, all capabilities dropped, the RuntimeDefault seccomp
 * profile, resource requests and limits, and no ServiceAccount token. Probes are rewritten by
 * Istio to the sidecar's health port, so they keep working under STRICT mTLS and
 * deny-by-default.
 *
 * Each call allowed with `allowFrom()` becomes, at synthesis time, part of one ingress
 * NetworkPolicy and one AuthorizationPolicy on this service and one egress NetworkPolicy on the
 * caller: objects grow with services, not with calls.
 *
 * @example
 * const order = new MeshService(chart, 'order-service', { namespace: prod, image: 'ghcr.io/acme/order:1.4.2', port: 8080 });
 * order.allowFrom(gateway, { methods: ['GET', 'POST'], paths: ['/api/orders/*'] });
 */
export class MeshService extends GraphWorkload {
  /** The Deployment. Escape hatch: `ApiObject.of(service.deployment)` for JSON patches. */
  public readonly deployment: kplus.Deployment;
  /** The Service. */
  public readonly service: kplus.Service;
  /** The dedicated ServiceAccount. */
  public readonly serviceAccount: kplus.ServiceAccount;

  public constructor(scope: Construct, id: string, props: MeshServiceProps) {
    super(scope, id);
    // guardProps rejects props that are not a MeshServiceProps object (undefined, null, a string, an array)
    guardProps(this, 'MeshService', props);
    const zeroTrustNamespace = requireZeroTrustNamespace(this, props.namespace);
    const r = resolveService(this, id, props, 2);
    const deployment = () => ApiObject.of(this.deployment);
    this._join({ ...r, zeroTrustNamespace, workloadOrigin: WorkloadOrigin.LIBRARY, get workloadObject() { return deployment(); } }, props.rollout);
    const namespace = this.zeroTrustNamespace.namespaceName;
    const place = (childId: string) => this._graph._placement(Layer.WORKLOADS, this, `${namespace}-${this.workloadName}`, childId);
    const labels = { 'app.kubernetes.io/name': this.workloadName, 'app.kubernetes.io/managed-by': MANAGED_BY };
    const metadata = { name: this.workloadName, namespace, labels };

    let p = place('ServiceAccount');
    this.serviceAccount = new kplus.ServiceAccount(p.scope, p.id, {
      metadata: { ...metadata, name: this.serviceAccountName },
      automountToken: props.automountServiceAccountToken ?? false,
    });

    p = place('Deployment');
    this.deployment = new kplus.Deployment(p.scope, p.id, {
      ...podWorkloadProps(this, namespace, props, r, this.serviceAccount),
      replicas: r.replicas,
    });
    this.deployment.select(kplus.LabelSelector.of({ labels: this.podSelectorLabels }));
    addRestrictedPatches(this.deployment);

    p = place('Service');
    this.service = new kplus.Service(p.scope, p.id, { metadata, ports: servicePorts(r) });
    this.service.selectLabel('app.kubernetes.io/name', this.workloadName);

    props.cloudIdentity?._bind(this, this.serviceAccount, this.deployment);
  }

  /** The in-cluster DNS name of the Service. */
  public get host(): string {
    return `${this.workloadName}.${this.zeroTrustNamespace.namespaceName}.svc.cluster.local`;
  }
}
