/** A pod spec inside a workload object, and where it is. @internal */
export interface PodSpecAt {
  readonly spec: any;
  readonly pointer: string;
}

/** A container (or init/ephemeral container) of a pod spec, and where it is. @internal */
export interface ContainerAt {
  readonly container: any;
  readonly pointer: string;
}

const TEMPLATE_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController', 'Job']);

function isObject(x: unknown): x is Record<string, any> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/**
 * The pod spec of a Pod, a pod template, a workload (Deployment, StatefulSet, DaemonSet,
 * ReplicaSet, ReplicationController, Job) or a CronJob; undefined for anything else.
 *
 * @internal
 */
export function podSpecOf(obj: any): PodSpecAt | undefined {
  if (!isObject(obj)) return undefined;
  let at: PodSpecAt | undefined;
  if (obj.kind === 'Pod') at = { spec: obj.spec, pointer: '/spec' };
  else if (obj.kind === 'PodTemplate') at = { spec: obj.template?.spec, pointer: '/template/spec' };
  else if (TEMPLATE_KINDS.has(obj.kind)) at = { spec: obj.spec?.template?.spec, pointer: '/spec/template/spec' };
  else if (obj.kind === 'CronJob') at = { spec: obj.spec?.jobTemplate?.spec?.template?.spec, pointer: '/spec/jobTemplate/spec/template/spec' };
  return at && isObject(at.spec) ? at : undefined;
}

/** Every container of a pod spec: init containers, containers, ephemeral containers. @internal */
export function containersOf(pod: PodSpecAt): ContainerAt[] {
  const out: ContainerAt[] = [];
  for (const field of ['initContainers', 'containers', 'ephemeralContainers']) {
    const list = pod.spec[field];
    if (!Array.isArray(list)) continue;
    list.forEach((container, i) => {
      if (isObject(container)) out.push({ container, pointer: `${pod.pointer}/${field}/${i}` });
    });
  }
  return out;
}

/** `name` of a container, for messages. @internal */
export function containerName(c: ContainerAt): string {
  return typeof c.container.name === 'string' ? c.container.name : '<unnamed>';
}
