import { ApiObject } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { hardenPodSpec } from './_harden';
import { ADOPTABLE_KINDS, checkWorkloadPorts, portsFromContainers, readWorkloadManifest, WorkloadManifest } from './_workload-manifest';
import { GraphWorkload } from './graph-workload';
import { Rollout } from '../enforcement/enforcement-points';
import { guardProps } from '../intent/_guards';
import { amendPodTemplate, podTemplatesOf } from '../intent/_pod-templates';
import { oncePerSynthesis, trackSynthesis } from '../intent/_synthesis-memo';
import { checkDns1123Label, invalid } from '../intent/_validation';
import { WorkloadOrigin, WorkloadPort } from '../intent/mesh-workload';
import { requireZeroTrustNamespace, ZeroTrustNamespace } from '../segmentation/zero-trust-namespace';

/**
 * Properties of an AdoptedWorkload.
 */
export interface AdoptedWorkloadProps {
  /**
   * The workload to adopt: a Deployment, StatefulSet, DaemonSet, Job or CronJob of this app,
   * as a plain `ApiObject` or any construct exposing one as `apiObject` (cdk8s-plus of any
   * version). It is not rewritten: its selector, ServiceAccount and ports are read from its
   * manifest at synthesis, so changes made after adoption count.
   */
  readonly workload: IConstruct;

  /**
   * The zero-trust namespace the workload runs in. Its `metadata.namespace` must name it.
   */
  readonly namespace: ZeroTrustNamespace;

  /**
   * The workload's name in the intent graph (a DNS-1123 label of at most 63 characters; it
   * names the workload's policies).
   *
   * @default - the object's `metadata.name`
   */
  readonly name?: string;

  /**
   * The ports the workload listens on, with their protocols.
   *
   * @default - the pod template's TCP container ports, with the protocol of the port name's Istio prefix (`http-`, `http2-`, `grpc-`, `tcp-`), TCP otherwise
   */
  readonly ports?: WorkloadPort[];

  /**
   * Whether the pods may run as the namespace's `default` ServiceAccount. Every workload using
   * it shares one mesh identity, which no policy can tell apart.
   *
   * @default false
   */
  readonly allowDefaultServiceAccount?: boolean;

  /**
   * Whether the library hardens the pod template where it says nothing: `runAsNonRoot`, the
   * RuntimeDefault seccomp profile and no ServiceAccount token for the pod;
   * `allowPrivilegeEscalation: false`, `readOnlyRootFilesystem: true` and `drop: [ALL]` for
   * every container. A value the template sets explicitly to the contrary is a synth-time
   * error (a privilege exception is the workload's to declare, not the library's to override).
   *
   * @default false
   */
  readonly harden?: boolean;

  /**
   * Whether the workload's traffic policies enforce or only audit (see `MeshServiceProps.rollout`).
   *
   * @default - the namespace's rollout
   */
  readonly rollout?: Rollout;
}

/**
 * Adopts a workload of the app that the library did not build into the intent graph, without
 * rewriting it: a cdk8s-plus (any version) Deployment, StatefulSet, DaemonSet, Job or CronJob,
 * or a plain `ApiObject` of those kinds.
 *
 * The workload then gets what a MeshService gets: its ingress and egress NetworkPolicies and
 * its AuthorizationPolicy from the calls declared with `allowFrom()` (and its own calls to
 * others), SPIFFE registration (SPIRE selects the graph's namespaces), Falco rules of its
 * declared ports, the admission policy pack of its namespace, and, with `harden: true`, a
 * hardened pod template.
 *
 * Its selector, ServiceAccount and ports are read from its manifest at synthesis (and when a
 * call is declared), and checked: a pod template without labels, a selector with
 * `matchExpressions` or not matching the template, the `default` ServiceAccount (without
 * `allowDefaultServiceAccount`), host networking, a mesh opt-out, a selector that also selects
 * another workload's pods, or a ServiceAccount another workload runs as are errors.
 *
 * @example
 * const web = new kplus.Deployment(chart, 'web', { ... }); // cdk8s-plus-33
 * const adopted = new AdoptedWorkload(chart, 'web-adopted', { workload: web, namespace: shop });
 * adopted.allowFrom(gateway, { methods: ['GET'] });
 */
export class AdoptedWorkload extends GraphWorkload {
  /** The adopted object. Escape hatch: JSON patches. */
  public readonly apiObject: ApiObject;

  private readonly declaredPorts?: WorkloadPort[];
  private readonly allowDefaultServiceAccount: boolean;
  private readonly harden: boolean;

  public constructor(scope: Construct, id: string, props: AdoptedWorkloadProps) {
    super(scope, id);
    guardProps(this, 'AdoptedWorkload', props);
    if (!props || typeof props !== 'object') {
      invalid(this, 'props', props, 'must be an object with workload and namespace');
    }
    const zeroTrustNamespace = requireZeroTrustNamespace(this, props.namespace);
    this.apiObject = resolveApiObject(this, props.workload);
    if (!ADOPTABLE_KINDS.includes(this.apiObject.kind)) {
      invalid(this, 'workload', `${this.apiObject.kind} ${this.apiObject.node.path}`, `must be a workload object of kind ${ADOPTABLE_KINDS.join(', ')}`);
    }
    const namespace = this.apiObject.metadata.namespace;
    if (namespace !== zeroTrustNamespace.namespaceName) {
      invalid(this, 'workload.metadata.namespace', namespace ?? null, `must be the zero-trust namespace ${zeroTrustNamespace.namespaceName}`,
        `create the workload with metadata: { namespace: '${zeroTrustNamespace.namespaceName}' }`);
    }
    const workloadName = checkDns1123Label(this, props.name === undefined ? 'name (the object\'s metadata.name; set name to choose another)' : 'name',
      props.name ?? this.apiObject.name);
    this.declaredPorts = props.ports === undefined ? undefined : checkWorkloadPorts(this, props.ports);
    this.allowDefaultServiceAccount = props.allowDefaultServiceAccount ?? false;
    this.harden = props.harden ?? false;

    // the selector, ServiceAccount and ports are read from the manifest when asked (at synthesis)
    const self = this;
    this._join({
      workloadName,
      zeroTrustNamespace,
      workloadOrigin: WorkloadOrigin.ADOPTED,
      workloadObject: this.apiObject,
      get podSelectorLabels() { return { ...self.manifest().selector }; },
      get serviceAccountName() { return self.manifest().serviceAccountName; },
      get workloadPorts() { return (self.declaredPorts ?? portsFromContainers(self.manifest().ports)).map(p => ({ ...p })); },
    }, props.rollout);
    if (this.harden) {
      // at rendering, on the template as it is then (a template with a contrary value is left
      // as it is: the validation reports it)
      amendPodTemplate(this.apiObject, t => {
        if (hardenPodSpec(t.spec, false).length === 0) hardenPodSpec(t.spec, true);
      });
    }
    trackSynthesis(this);
    this.node.addValidation({ validate: () => oncePerSynthesis(this, `AdoptedWorkload.check ${this.node.addr}`, () => this.check()) });
  }

  /**
   * The manifest as it renders (hardening included), read once per synthesis (the intent
   * graph is sealed while it runs) and on every call outside one.
   */
  private manifest(): WorkloadManifest {
    return oncePerSynthesis(this, `AdoptedWorkload.manifest ${this.node.addr}`, () => {
      let json: any;
      try {
        json = this.apiObject.toJson();
      } catch (e) {
        invalid(this, 'workload', this.apiObject.node.path, `cannot be read yet: ${(e as Error).message}`, 'define its containers before declaring calls, or declare ports with the ports prop');
      }
      const manifest = readWorkloadManifest(this, json);
      if (manifest.serviceAccountName === 'default' && !this.allowDefaultServiceAccount) {
        invalid(this, 'workload.serviceAccountName', 'default', 'is the namespace\'s default ServiceAccount, a mesh identity every workload without its own shares, so no policy could tell this workload apart',
          'give the workload its own ServiceAccount (automountToken: false), or set allowDefaultServiceAccount: true');
      }
      return manifest;
    });
  }

  /** The synthesis-time checks of the manifest as it renders. Reads only: changes nothing. */
  private check(): string[] {
    const manifest = this.manifest();
    const errors: string[] = [];
    const path = (this.apiObject.node.path);
    for (const other of this._graph.workloads) {
      if (other === this || other.zeroTrustNamespace.namespaceName !== this.zeroTrustNamespace.namespaceName) continue;
      if (other.serviceAccountName === manifest.serviceAccountName) {
        errors.push(`invalid workload.serviceAccountName ${JSON.stringify(manifest.serviceAccountName)}: ${other.node.path} runs as this ServiceAccount too, and two workloads sharing an identity cannot be told apart by any policy; give each workload its own ServiceAccount`);
      }
    }
    for (const t of podTemplatesOf(this.node.root)) {
      const itself = t.object.kind === manifest.kind && t.object.metadata?.name === this.apiObject.name;
      if (itself || t.object.metadata?.namespace !== manifest.namespace) continue;
      const labels = t.metadata?.labels ?? {};
      if (Object.entries(manifest.selector).every(([k, v]) => labels[k] === v)) {
        errors.push(`invalid workload selector ${JSON.stringify(manifest.selector)}: it also selects the pods of ${t.object.kind} ${t.object.metadata?.name}, so its policies would apply to them; select this workload's pods only (add a label only its pod template carries)`);
      }
    }
    const containerPorts = manifest.ports.map(p => p.port);
    for (const p of this.declaredPorts ?? []) {
      if (!containerPorts.includes(p.port)) {
        errors.push(`invalid ports ${p.port}: ${path} declares no container port ${p.port}; list only ports its containers declare (containerPort)`);
      }
    }
    // the rendered template is hardened already where it was silent: what is left is contrary
    if (this.harden && errors.length === 0) errors.push(...hardenPodSpec(manifest.template.spec, false));
    return errors;
  }
}

/** The ApiObject of `workload`: itself, or its `apiObject` (cdk8s-plus resources of any version). */
function resolveApiObject(scope: IConstruct, workload: unknown): ApiObject {
  if (ApiObject.isApiObject(workload)) return workload;
  const inner = workload !== null && typeof workload === 'object' ? (workload as any).apiObject : undefined;
  if (ApiObject.isApiObject(inner)) return inner;
  const shown = workload !== null && typeof workload === 'object' && 'node' in (workload as object) ? (workload as IConstruct).node.path : workload;
  return invalid(scope, 'workload', shown, 'must be an ApiObject or a construct exposing one as apiObject (a cdk8s-plus workload of any version)',
    'pass the Deployment (StatefulSet, DaemonSet, Job, CronJob) construct or its ApiObject.of(...)');
}
