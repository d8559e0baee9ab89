import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import { IMeshWorkload, IPodWorkload } from './mesh-workload';

/** A synthesized workload's pod template, as its controller stamps it into pods. */
export interface PodTemplate {
  /** The workload object (JSON). */
  readonly object: any;
  /** The pod template's metadata (the Pod's own metadata for a Pod). */
  readonly metadata: any;
  /** The pod spec. */
  readonly spec: any;
}

const WORKLOAD_KINDS = new Set(['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob']);

/** The pod template of a workload object's JSON, or undefined for other kinds. */
export function podTemplateOf(kind: string, json: any): { metadata: any; spec: any } | undefined {
  switch (kind) {
    case 'Pod':
      return { metadata: json.metadata, spec: json.spec };
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'ReplicaSet':
    case 'Job':
      return json.spec?.template ? { metadata: json.spec.template.metadata, spec: json.spec.template.spec } : undefined;
    case 'CronJob': {
      const template = json.spec?.jobTemplate?.spec?.template;
      return template ? { metadata: template.metadata, spec: template.spec } : undefined;
    }
    default:
      return undefined;
  }
}

/** Every pod template the app rooted at `root` synthesizes (rendered now: call it at synthesis time). */
export function podTemplatesOf(root: IConstruct): PodTemplate[] {
  const templates: PodTemplate[] = [];
  for (const c of root.node.findAll()) {
    if (!ApiObject.isApiObject(c) || !WORKLOAD_KINDS.has(c.kind)) continue;
    const json = c.toJson();
    const template = podTemplateOf(c.kind, json);
    if (template?.spec) templates.push({ object: json, metadata: template.metadata ?? {}, spec: template.spec });
  }
  return templates;
}

/** A change to a rendered pod template (`metadata` always present). */
export type PodTemplateAmendment = (template: { metadata: any; spec: any }) => void;

const AMENDMENTS = new WeakMap<ApiObject, PodTemplateAmendment[]>();

/**
 * Amends the pod template of `object` as it renders: `amend` runs on every `toJson()` result,
 * after the object's own JSON patches (and its cdk8s-plus or generated converter), so the
 * output and every reader (policy pack, Falco rules, evidence) see the same amended template,
 * and changes made to the object after this call still count. Amendments run in the order they
 * were added; the objects they change get their keys sorted, as cdk8s sorts them.
 *
 * It works on any workload object of any cdk8s-plus version or a plain `ApiObject`, which is
 * why the layers use it instead of a cdk8s-plus API.
 */
export function amendPodTemplate(object: ApiObject, amend: PodTemplateAmendment): void {
  let amendments = AMENDMENTS.get(object);
  if (!amendments) {
    const list: PodTemplateAmendment[] = amendments = [];
    AMENDMENTS.set(object, list);
    const render = object.toJson.bind(object);
    Object.defineProperty(object, 'toJson', {
      configurable: true,
      writable: true,
      enumerable: false,
      value: function amendedToJson() {
        const json = render();
        const template = mutableTemplateOf(json);
        if (template) {
          list.forEach(a => a(template));
          sortTemplate(template);
        }
        return json;
      },
    });
  }
  amendments.push(amend);
}

/** The pod template object inside a workload's JSON (created metadata included), to change in place. */
function mutableTemplateOf(json: any): { metadata: any; spec: any } | undefined {
  const holder = json?.kind === 'CronJob' ? json.spec?.jobTemplate?.spec : json?.kind === 'Pod' ? undefined : json?.spec;
  const template = holder?.template;
  if (!template || typeof template !== 'object' || !template.spec) return undefined;
  template.metadata = template.metadata ?? {};
  return template;
}

/** Sorts the keys of the template's objects (arrays keep their order), as cdk8s renders them. */
function sortTemplate(value: any): any {
  if (process.env.CDK8S_DISABLE_SORT) return value;
  if (Array.isArray(value)) {
    value.forEach(sortTemplate);
  } else if (value && typeof value === 'object') {
    const entries = Object.keys(value).sort().map(k => [k, value[k]] as const);
    entries.forEach(([k]) => delete value[k]);
    entries.forEach(([k, v]) => {
      value[k] = v;
      sortTemplate(v);
    });
  }
  return value;
}

/** The container of a rendered pod spec named `container` (the first one when undefined). */
export function containerOf(spec: any, container: string | undefined): any {
  const containers: any[] = Array.isArray(spec?.containers) ? spec.containers : [];
  return container === undefined ? containers[0] : containers.find(c => c?.name === container);
}

/** Whether `workload` renders its pods in this app (it exposes its workload object). */
export function isPodWorkload(workload: IMeshWorkload): workload is IPodWorkload {
  return ApiObject.isApiObject((workload as Partial<IPodWorkload>)?.workloadObject);
}
