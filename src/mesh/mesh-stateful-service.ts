import { ApiObject, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { addRestrictedPatches, checkMountPath, MANAGED_BY, podWorkloadProps, resolveService, servicePorts } from './_service-parts';
import { GraphWorkload } from './graph-workload';
import { MeshServiceProps } from './mesh-service-props';
import { guardProps } from '../intent/_guards';
import { checkDns1123Label, invalid } from '../intent/_validation';
import { Layer } from '../intent/intent-graph';
import { WorkloadOrigin } from '../intent/mesh-workload';
import { requireZeroTrustNamespace } from '../segmentation/zero-trust-namespace';

/**
 * A persistent volume of each pod of a MeshStatefulService: a `volumeClaimTemplates` entry,
 * mounted in the application container.
 */
export interface VolumeClaim {
  /** The claim's name (a DNS-1123 label): each pod gets the PersistentVolumeClaim `<name>-<service>-<ordinal>`. */
  readonly name: string;
  /** Where the application container mounts it, for example `/var/lib/postgresql/data`. */
  readonly mountPath: string;
  /** The storage each pod requests. */
  readonly storage: Size;
  /**
   * The StorageClass.
   *
   * @default - the cluster's default StorageClass
   */
  readonly storageClassName?: string;
}

/**
 * Properties of a MeshStatefulService.
 */
export interface MeshStatefulServiceProps extends MeshServiceProps {
  /** The persistent volumes of each pod (at least one). */
  readonly volumeClaims: VolumeClaim[];
}

/**
 * Defines a stateful workload of the mesh: a StatefulSet (cdk8s-plus-27) with a persistent
 * volume per pod, its headless Service (stable per-pod names
 * `<service>-<ordinal>.<service>.<namespace>.svc.cluster.local`) and a dedicated ServiceAccount,
 * hardened as a MeshService is: non-root user and group (`fsGroup`, so the claims are writable),
 * read-only root filesystem with `writableDirectories` as `emptyDir` volumes, no privilege
 * escalation, `drop: [ALL]`, RuntimeDefault seccomp, limits, no token.
 *
 * Its pods share one mesh identity (the ServiceAccount), so calls are authorized per service,
 * never per pod. Calls are declared with `allowFrom()` exactly as for a MeshService.
 *
 * @example
 * const db = new MeshStatefulService(chart, 'database', {
 *   namespace: data, image: 'docker.io/library/postgres:17.6', port: 5432, protocol: AppProtocol.TCP,
 *   user: 999, group: 999, env: { PGDATA: '/var/lib/postgresql/data/pgdata' },
 *   volumeClaims: [{ name: 'data', mountPath: '/var/lib/postgresql/data', storage: Size.gibibytes(10) }],
 *   writableDirectories: [{ mountPath: '/var/run/postgresql' }, { mountPath: '/tmp' }],
 * });
 */
export class MeshStatefulService extends GraphWorkload {
  /** The StatefulSet. Escape hatch: `ApiObject.of(service.statefulSet)` for JSON patches. */
  public readonly statefulSet: kplus.StatefulSet;
  /** The headless Service (`clusterIP: None`), the StatefulSet's `serviceName`. */
  public readonly service: kplus.Service;
  /** The dedicated ServiceAccount. */
  public readonly serviceAccount: kplus.ServiceAccount;
  /** The persistent volumes of each pod. */
  public readonly volumeClaims: VolumeClaim[];

  public constructor(scope: Construct, id: string, props: MeshStatefulServiceProps) {
    super(scope, id);
    guardProps(this, 'MeshStatefulService', props);
    if (!props || typeof props !== 'object') {
      invalid(this, 'props', props, 'must be an object with at least namespace, image, port and volumeClaims');
    }
    const zeroTrustNamespace = requireZeroTrustNamespace(this, props.namespace);
    const r = resolveService(this, id, props, 1);
    this.volumeClaims = this.checkClaims(props);
    const statefulSet = () => ApiObject.of(this.statefulSet);
    this._join({ ...r, zeroTrustNamespace, workloadOrigin: WorkloadOrigin.LIBRARY, get workloadObject() { return statefulSet(); } }, props.rollout);
    const namespace = zeroTrustNamespace.namespaceName;
    const place = (childId: string) => this._graph._placement(Layer.WORKLOADS, this, `${namespace}-${this.workloadName}`, childId);
    const metadata = { name: this.workloadName, namespace, labels: { 'app.kubernetes.io/name': this.workloadName, 'app.kubernetes.io/managed-by': MANAGED_BY } };

    let p = place('ServiceAccount');
    this.serviceAccount = new kplus.ServiceAccount(p.scope, p.id, {
      metadata: { ...metadata, name: this.serviceAccountName },
      automountToken: props.automountServiceAccountToken ?? false,
    });

    p = place('Service');
    this.service = new kplus.Service(p.scope, p.id, { metadata, clusterIP: 'None', ports: servicePorts(r) });
    this.service.selectLabel('app.kubernetes.io/name', this.workloadName);

    p = place('StatefulSet');
    this.statefulSet = new kplus.StatefulSet(p.scope, p.id, {
      ...podWorkloadProps(this, namespace, props, r, this.serviceAccount),
      replicas: r.replicas,
      service: this.service,
    });
    this.statefulSet.select(kplus.LabelSelector.of({ labels: this.podSelectorLabels }));
    addRestrictedPatches(this.statefulSet);
    // cdk8s-plus-27's StatefulSet makes its Service select a label derived from the construct
    // path (and stamps it on the pods): select by the stable name label only, like MeshService
    ApiObject.of(this.service).addJsonPatch(JsonPatch.remove('/spec/selector/cdk8s.io~1metadata.addr'));
    ApiObject.of(this.statefulSet).addJsonPatch(JsonPatch.remove('/spec/template/metadata/labels/cdk8s.io~1metadata.addr'));
    const mounts = this.volumeClaims.map(c => ({ name: c.name, mountPath: c.mountPath }));
    const hasMounts = (props.writableDirectories ?? []).length > 0;
    ApiObject.of(this.statefulSet).addJsonPatch(
      JsonPatch.add('/spec/volumeClaimTemplates', this.volumeClaims.map(c => ({
        metadata: { name: c.name, labels: { 'app.kubernetes.io/name': this.workloadName } },
        spec: {
          accessModes: ['ReadWriteOnce'],
          ...(c.storageClassName ? { storageClassName: c.storageClassName } : {}),
          // the patch goes through the generated KubeStatefulSet's converter, which reads a Quantity's `value`
          resources: { requests: { storage: kplus.k8s.Quantity.fromString(quantity(c.storage)) } },
        },
      }))),
      ...(hasMounts
        ? mounts.map(m => JsonPatch.add('/spec/template/spec/containers/0/volumeMounts/-', m))
        : [JsonPatch.add('/spec/template/spec/containers/0/volumeMounts', mounts)]),
    );

    props.cloudIdentity?._bind(this, this.serviceAccount, this.statefulSet);
  }

  /** The in-cluster DNS name of the headless Service (every ready pod's address). */
  public get host(): string {
    return `${this.workloadName}.${this.zeroTrustNamespace.namespaceName}.svc.cluster.local`;
  }

  /**
   * The stable DNS name of one pod: `<service>-<ordinal>.<service>.<namespace>.svc.cluster.local`.
   *
   * @param ordinal the pod's ordinal (0 for the first pod)
   */
  public podHost(ordinal: number): string {
    if (!Number.isInteger(ordinal) || ordinal < 0) {
      invalid(this, 'podHost(ordinal)', ordinal, 'must be a non-negative integer');
    }
    return `${this.workloadName}-${ordinal}.${this.host}`;
  }

  private checkClaims(props: MeshStatefulServiceProps): VolumeClaim[] {
    const claims = props.volumeClaims;
    if (!Array.isArray(claims) || claims.length === 0 || claims.some(c => c === null || typeof c !== 'object')) {
      invalid(this, 'volumeClaims', claims, 'must list at least one { name, mountPath, storage }',
        'for example [{ name: \'data\', mountPath: \'/var/lib/postgresql/data\', storage: Size.gibibytes(10) }]; a workload without state is a MeshService');
    }
    const names = new Set<string>();
    const paths = new Set<string>((props.writableDirectories ?? []).map(d => d?.mountPath));
    return claims.map((c, i) => {
      checkDns1123Label(this, `volumeClaims[${i}].name`, c.name);
      if (names.has(c.name)) invalid(this, `volumeClaims[${i}].name`, c.name, 'is listed twice');
      names.add(c.name);
      checkMountPath(this, `volumeClaims[${i}].mountPath`, c.mountPath);
      if (paths.has(c.mountPath)) invalid(this, `volumeClaims[${i}].mountPath`, c.mountPath, 'is mounted twice (by another claim or a writable directory)');
      paths.add(c.mountPath);
      if (!c.storage || typeof (c.storage as any).toMebibytes !== 'function' || !(c.storage.toMebibytes() >= 1)) {
        invalid(this, `volumeClaims[${i}].storage`, c.storage, 'must be a Size of at least 1 MiB', 'for example Size.gibibytes(10)');
      }
      if (c.storageClassName !== undefined && (typeof c.storageClassName !== 'string' || c.storageClassName.length > 253
        || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(c.storageClassName))) {
        invalid(this, `volumeClaims[${i}].storageClassName`, c.storageClassName, 'must be a StorageClass name (a DNS-1123 subdomain)', 'for example \'gp3\'');
      }
      return { name: c.name, mountPath: c.mountPath, storage: c.storage, storageClassName: c.storageClassName };
    });
  }
}

/** A Kubernetes quantity of a Size: whole GiB as `<n>Gi`, else MiB. */
function quantity(size: Size): string {
  const mib = size.toMebibytes();
  return mib % 1024 === 0 ? `${mib / 1024}Gi` : `${Math.ceil(mib)}Mi`;
}
