import { IConstruct } from 'constructs';
import { checkPort, invalid, labelKeyProblem, labelValueProblem } from '../intent/_validation';
import { AppProtocol, WorkloadPort } from '../intent/mesh-workload';

/** The workload kinds that can be adopted. */
export const ADOPTABLE_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'];

/** What the intent graph reads from an adopted workload's manifest. */
export interface WorkloadManifest {
  readonly kind: string;
  readonly namespace?: string;
  /** Labels selecting the workload's pods (the controller's selector, or the pod template's labels for Jobs). */
  readonly selector: { [key: string]: string };
  /** The pod template's labels. */
  readonly podLabels: { [key: string]: string };
  readonly serviceAccountName: string;
  /** TCP container ports (named ports keep their names). */
  readonly ports: Array<{ port: number; name?: string }>;
  readonly template: { metadata: any; spec: any };
}

const DNS1123_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** A container port name (Kubernetes IANA_SVC_NAME). */
const IANA_SVC_NAME = /^(?!.*--)[a-z0-9]([-a-z0-9]{0,13}[a-z0-9])?$/;

/**
 * Whether Istio's injector leaves a pod without a sidecar for this `sidecar.istio.io/inject`
 * value: it lower-cases the value and injects for `y`, `yes`, `true`, `on` (and the namespace
 * default for an empty value); any other value (`false`, `False`, `no`, `off`, `0`, ...) opts out.
 */
function optsOutOfInjection(value: unknown): boolean {
  return value !== undefined && !['', 'y', 'yes', 'true', 'on'].includes(String(value).toLowerCase());
}

/** The pod template of a workload manifest. */
function templateOf(kind: string, json: any): { metadata: any; spec: any } | undefined {
  const template = kind === 'CronJob' ? json?.spec?.jobTemplate?.spec?.template : json?.spec?.template;
  return template && typeof template === 'object' ? { metadata: template.metadata ?? {}, spec: template.spec ?? {} } : undefined;
}

/**
 * Reads and checks an adopted workload's manifest: a pod template with labels, a selector
 * (matchLabels only, matching the template), a ServiceAccount, pods in the mesh.
 *
 * @param scope the adopting construct (for errors)
 * @param json the workload object, as synthesized
 */
export function readWorkloadManifest(scope: IConstruct, json: any): WorkloadManifest {
  const kind = json?.kind;
  if (!ADOPTABLE_KINDS.includes(kind)) {
    invalid(scope, 'workload', kind, `must be a workload object of kind ${ADOPTABLE_KINDS.join(', ')}`, 'adopt the Deployment (or StatefulSet, DaemonSet, Job, CronJob) itself');
  }
  const template = templateOf(kind, json);
  if (!template || !template.spec || !Array.isArray(template.spec.containers) || template.spec.containers.length === 0) {
    invalid(scope, 'workload', json?.metadata?.name, `has no pod template with containers (${kind === 'CronJob' ? 'spec.jobTemplate.spec.template' : 'spec.template'})`,
      'add the containers before synthesis');
  }
  const podLabels: { [key: string]: string } = template.metadata?.labels ?? {};
  if (Object.keys(podLabels).length === 0) {
    invalid(scope, 'workload.podTemplate.labels', podLabels, 'must label the pods: NetworkPolicies and AuthorizationPolicies select pods by label, and an unlabelled pod template cannot be told apart',
      'give the pod template a label such as app.kubernetes.io/name: <name> (and select it)');
  }
  let selector: { [key: string]: string };
  if (kind === 'Job' || kind === 'CronJob') {
    // the Job controller adds its own uid selector; the template's labels are what policies can select
    selector = { ...podLabels };
  } else {
    const sel = json.spec?.selector ?? {};
    if (sel.matchExpressions !== undefined && sel.matchExpressions.length > 0) {
      invalid(scope, 'workload.spec.selector.matchExpressions', sel.matchExpressions, 'cannot be adopted: policies select the workload\'s pods by matchLabels',
        'select the pods with matchLabels only');
    }
    selector = { ...sel.matchLabels ?? {} };
    if (Object.keys(selector).length === 0) {
      invalid(scope, 'workload.spec.selector', sel, 'must select the pods with matchLabels', 'select the pod template\'s labels, for example { matchLabels: { \'app.kubernetes.io/name\': \'web\' } }');
    }
    for (const [k, v] of Object.entries(selector)) {
      if (podLabels[k] !== v) {
        invalid(scope, 'workload.spec.selector', selector, `does not match the pod template's labels (${k}=${v} is missing), so the controller owns no pod`, 'select labels the pod template carries');
      }
    }
  }
  for (const [k, v] of Object.entries(selector)) {
    const problem = labelKeyProblem(k) ?? labelValueProblem(v);
    if (problem) invalid(scope, `workload selector[${JSON.stringify(k)}]`, v, `is not a Kubernetes label: it ${problem}`);
  }
  // every label of the template: they decide which policies, registrations and exemptions match the pods
  for (const [k, v] of Object.entries(podLabels)) {
    const problem = labelKeyProblem(k) ?? labelValueProblem(v);
    if (problem) invalid(scope, `workload.podTemplate.labels[${JSON.stringify(k)}]`, v, `is not a Kubernetes label: it ${problem}`, 'Kubernetes would refuse the workload');
  }
  const spec = template.spec;
  if (spec.hostNetwork === true) {
    invalid(scope, 'workload.podTemplate.hostNetwork', true, 'puts the pods on the node\'s network, outside every NetworkPolicy and the mesh', 'adopt only pod-network workloads');
  }
  const annotations = template.metadata?.annotations ?? {};
  const inject = podLabels['sidecar.istio.io/inject'] ?? annotations['sidecar.istio.io/inject'];
  if (optsOutOfInjection(inject) || podLabels['istio.io/dataplane-mode'] === 'none') {
    invalid(scope, 'workload.podTemplate.labels', { 'sidecar.istio.io/inject': inject, 'istio.io/dataplane-mode': podLabels['istio.io/dataplane-mode'] },
      'take the pods out of the mesh, so calls to them carry no verified identity', 'remove the opt-out label or annotation');
  }
  const serviceAccountName: unknown = spec.serviceAccountName ?? spec.serviceAccount ?? 'default';
  // the mesh identity every AuthorizationPolicy names (cluster.local/ns/<ns>/sa/<name>): a '*' or
  // a '/' would widen or change the principal
  if (typeof serviceAccountName !== 'string' || !DNS1123_SUBDOMAIN.test(serviceAccountName)) {
    invalid(scope, 'workload.podTemplate.serviceAccountName', serviceAccountName,
      'must be a ServiceAccount name (a DNS-1123 subdomain: lower-case alphanumerics, \'-\' and \'.\', at most 253 characters); it becomes the workload\'s mesh identity in every AuthorizationPolicy',
      'give the pod template the name of its own ServiceAccount');
  }
  const ports: Array<{ port: number; name?: string }> = [];
  for (const c of [...spec.containers, ...(spec.initContainers ?? []).filter((i: any) => i.restartPolicy === 'Always')]) {
    for (const p of c.ports ?? []) {
      if ((p.protocol ?? 'TCP') !== 'TCP') continue;
      checkPort(scope, `workload container ${JSON.stringify(c.name)} containerPort`, p.containerPort);
      if (p.name !== undefined && (typeof p.name !== 'string' || !IANA_SVC_NAME.test(p.name) || !/[a-z]/.test(p.name))) {
        invalid(scope, `workload container ${JSON.stringify(c.name)} port name`, p.name,
          'must be an IANA service name (1-15 lower-case alphanumerics or \'-\', with a letter, no \'--\', not starting or ending with \'-\'): Istio reads the protocol from its prefix (http-, grpc-, tcp-)',
          'for example \'http-web\'');
      }
      ports.push({ port: p.containerPort, ...(p.name ? { name: p.name } : {}) });
    }
  }
  return { kind, namespace: json.metadata?.namespace, selector, podLabels, serviceAccountName: serviceAccountName as string, ports, template };
}

/**
 * The workload ports of container ports: the protocol from the port name's Istio prefix
 * (`http`, `http2`, `grpc`, `tcp`, `-`-suffixed), opaque TCP otherwise (no method or path can be
 * restricted until the port is declared with its protocol).
 */
export function portsFromContainers(ports: Array<{ port: number; name?: string }>): WorkloadPort[] {
  const seen = new Set<number>();
  const out: WorkloadPort[] = [];
  for (const p of ports) {
    if (seen.has(p.port)) continue;
    seen.add(p.port);
    const prefix = /^(http2|http|grpc|tcp)(-|$)/.exec(p.name ?? '')?.[1];
    const protocol = prefix === 'http' ? AppProtocol.HTTP : prefix === 'http2' ? AppProtocol.HTTP2 : prefix === 'grpc' ? AppProtocol.GRPC : AppProtocol.TCP;
    out.push({ port: p.port, protocol });
  }
  return out.sort((a, b) => a.port - b.port);
}

/**
 * Checks declared workload ports: a list of `{ port, protocol? }`, each port once, the
 * protocol HTTP unless given.
 */
export function checkWorkloadPorts(scope: IConstruct, ports: WorkloadPort[]): WorkloadPort[] {
  if (!Array.isArray(ports) || ports.some(p => p === null || typeof p !== 'object')) {
    invalid(scope, 'ports', ports, 'must be a list of WorkloadPort objects', 'for example [{ port: 8080 }]');
  }
  const seen = new Set<number>();
  return ports.map(p => {
    checkPort(scope, 'ports', p.port);
    if (seen.has(p.port)) invalid(scope, 'ports', p.port, 'is listed twice');
    seen.add(p.port);
    const protocol = p.protocol ?? AppProtocol.HTTP;
    if (!Object.values(AppProtocol).includes(protocol)) {
      invalid(scope, 'protocol', protocol, `must be one of ${Object.values(AppProtocol).join(', ')}`);
    }
    return { port: p.port, protocol };
  });
}
