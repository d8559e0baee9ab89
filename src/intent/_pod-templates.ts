import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';

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
