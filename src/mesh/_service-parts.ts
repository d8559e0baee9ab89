import { ApiObject, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { MeshServiceProps } from './mesh-service-props';
import { WritableDirectory } from './writable-directory';
import { checkImageRef } from '../intent/_image';
import { checkDns1035Label, checkDns1123Label, checkPort, invalid } from '../intent/_validation';
import { AppProtocol, WorkloadPort } from '../intent/mesh-workload';

const ISTIO_RESERVED_PORTS = [15000, 15001, 15004, 15006, 15008, 15009, 15020, 15021, 15053, 15090];
const DEFAULT_UID = 10001;
const ISTIO_PROXY_UID = 1337;
export const MANAGED_BY = 'cdk8s-zero-trust';

/** The props every form of a mesh service shares (all of MeshServiceProps but the namespace). @internal */
export type ServicePropsLike = Omit<MeshServiceProps, 'namespace'>;

/** A mesh service's props, checked. @internal */
export interface ResolvedService {
  readonly workloadName: string;
  readonly serviceAccountName: string;
  readonly podSelectorLabels: { [key: string]: string };
  readonly workloadPorts: WorkloadPort[];
  readonly replicas: number;
  readonly user: number;
  readonly group: number;
}

/** Checks a mesh service's props (everything but the namespace). @internal */
export function resolveService(scope: Construct, id: string, props: ServicePropsLike, defaultReplicas: number): ResolvedService {
  const workloadName = checkDns1035Label(scope, 'name', props.name ?? id);
  const serviceAccountName = checkDns1123Label(scope, 'serviceAccountName', props.serviceAccountName ?? workloadName);
  const workloadPorts = resolvePorts(scope, props);
  checkImageRef(scope, 'image', props.image, 'ghcr.io/acme/orders:1.4.2');
  const replicas = props.replicas ?? defaultReplicas;
  if (!Number.isInteger(replicas) || replicas < 0) {
    invalid(scope, 'replicas', replicas, 'must be a non-negative integer');
  }
  const user = props.user ?? DEFAULT_UID;
  const group = props.group ?? DEFAULT_UID;
  for (const [prop, value] of [['user', user], ['group', group]] as const) {
    if (!Number.isInteger(value) || value < 1 || value > 2147483647) {
      invalid(scope, prop, value, 'must be an integer between 1 and 2147483647 (0 is root)');
    }
  }
  if (user === ISTIO_PROXY_UID) {
    invalid(scope, 'user', user, 'must not be 1337: Istio exempts that user\'s traffic from the sidecar, so the app would bypass mTLS and policy');
  }
  // a wrong type (42 from JavaScript or another jsii language) gets the same error as a wrong value
  if (props.healthCheckPath !== undefined && (typeof props.healthCheckPath !== 'string' || !/^\/[\x21-\x7e]*$/.test(props.healthCheckPath)
    || props.healthCheckPath.split(/[?#]/)[0].split('/').some(seg => seg === '.' || seg === '..'))) {
    invalid(scope, 'healthCheckPath', props.healthCheckPath,
      'must be an HTTP path starting with \'/\': printable ASCII without spaces or control characters, no \'.\' or \'..\' segments', 'for example \'/healthz\'');
  }
  if (props.healthCheckPath !== undefined && !workloadPorts.some(p => p.protocol !== AppProtocol.TCP)) {
    invalid(scope, 'healthCheckPath', props.healthCheckPath, 'needs an HTTP port, but every port of this service is TCP', 'leave healthCheckPath out for TCP probes');
  }
  return { workloadName, serviceAccountName, podSelectorLabels: { 'app.kubernetes.io/name': workloadName }, workloadPorts, replicas, user, group };
}

/**
 * The props a Deployment and a StatefulSet share: the hardened pod (non-root user and group,
 * read-only root filesystem, no privilege escalation, probes, resources, the writable
 * directories as emptyDir volumes). @internal
 */
export function podWorkloadProps(scope: Construct, namespace: string, props: ServicePropsLike, r: ResolvedService,
  serviceAccount: kplus.ServiceAccount, extraMounts: kplus.VolumeMount[] = []): kplus.WorkloadProps {
  const metadata = { name: r.workloadName, namespace, labels: { 'app.kubernetes.io/name': r.workloadName, 'app.kubernetes.io/managed-by': MANAGED_BY } };
  const httpPort = r.workloadPorts.find(p => p.protocol !== AppProtocol.TCP);
  const probe = props.healthCheckPath !== undefined
    ? kplus.Probe.fromHttpGet(props.healthCheckPath, { port: httpPort!.port })
    : kplus.Probe.fromTcpSocket({ port: r.workloadPorts[0].port });
  const mounts = [...writableMounts(scope, props.writableDirectories), ...extraMounts];
  return {
    metadata,
    // select by the stable name label, not by the construct path: a selector is immutable
    select: false,
    serviceAccount,
    automountServiceAccountToken: props.automountServiceAccountToken ?? false,
    securityContext: { ensureNonRoot: true, user: r.user, group: r.group, fsGroup: r.group },
    podMetadata: {
      labels: r.podSelectorLabels,
      annotations: {
        // Istio rewrites probes to the sidecar's health port; never let them hit the app through mTLS
        'sidecar.istio.io/rewriteAppHTTPProbers': 'true',
        'kubectl.kubernetes.io/default-container': 'app',
      },
    },
    containers: [{
      name: 'app',
      image: props.image,
      args: props.args,
      envVariables: Object.fromEntries(Object.entries(props.env ?? {}).map(([k, v]) => [k, kplus.EnvValue.fromValue(v)])),
      ports: r.workloadPorts.map(wp => ({ number: wp.port, name: portName(wp), protocol: kplus.Protocol.TCP })),
      securityContext: {
        ensureNonRoot: true,
        user: r.user,
        group: r.group,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        privileged: false,
      },
      resources: props.resources ?? {
        cpu: { request: kplus.Cpu.millis(100), limit: kplus.Cpu.millis(500) },
        memory: { request: Size.mebibytes(128), limit: Size.mebibytes(256) },
      },
      readiness: probe,
      liveness: probe,
      ...(mounts.length ? { volumeMounts: mounts } : {}),
    }],
  };
}

/** emptyDir volumes for the writable directories, checked. */
function writableMounts(scope: Construct, dirs: WritableDirectory[] | undefined): kplus.VolumeMount[] {
  if (dirs === undefined) return [];
  if (!Array.isArray(dirs) || dirs.some(d => d === null || typeof d !== 'object')) {
    invalid(scope, 'writableDirectories', dirs, 'must be a list of { mountPath, sizeLimit? }', 'for example [{ mountPath: \'/tmp\' }]');
  }
  const seen = new Set<string>();
  return dirs.map((d, i) => {
    checkMountPath(scope, `writableDirectories[${i}].mountPath`, d.mountPath);
    if (seen.has(d.mountPath)) invalid(scope, `writableDirectories[${i}].mountPath`, d.mountPath, 'is listed twice');
    seen.add(d.mountPath);
    const name = `writable-${i}`;
    const volume = kplus.Volume.fromEmptyDir(scope, `Writable${i}`, name, { sizeLimit: d.sizeLimit ?? Size.mebibytes(64) });
    return { path: d.mountPath, volume };
  });
}

/** An absolute directory path without `.`/`..` segments, printable ASCII. @internal */
export function checkMountPath(scope: Construct, prop: string, value: unknown): string {
  if (typeof value !== 'string' || !/^\/[A-Za-z0-9._@+-]+(\/[A-Za-z0-9._@+-]+)*$/.test(value) || value.split('/').some(s => s === '.' || s === '..')) {
    invalid(scope, prop, value, 'must be an absolute directory path of letters, digits, \'.\', \'_\', \'@\', \'+\' or \'-\' segments, without \'.\' or \'..\' segments',
      'for example \'/var/lib/postgresql/data\'');
  }
  return value;
}

/**
 * cdk8s-plus-27 has neither a seccomp prop nor an `ALL` capability: Pod Security `restricted`
 * requires the RuntimeDefault (or Localhost) profile and `drop: [ALL]`. @internal
 */
export function addRestrictedPatches(workload: kplus.Workload): void {
  ApiObject.of(workload).addJsonPatch(
    JsonPatch.add('/spec/template/spec/securityContext/seccompProfile', { type: 'RuntimeDefault' }),
    JsonPatch.add('/spec/template/spec/containers/0/securityContext/capabilities', { drop: ['ALL'] }),
  );
}

/** The Service ports of a mesh service (name prefix = Istio protocol). @internal */
export function servicePorts(r: ResolvedService): kplus.ServicePort[] {
  return r.workloadPorts.map(wp => ({ name: portName(wp), port: wp.servicePort ?? wp.port, targetPort: wp.port, protocol: kplus.Protocol.TCP }));
}

function resolvePorts(scope: Construct, props: ServicePropsLike): WorkloadPort[] {
  if (props.port !== undefined && props.ports !== undefined) {
    invalid(scope, 'port', props.port, 'cannot be combined with `ports`', 'give either port (and protocol) or ports');
  }
  if (props.protocol !== undefined && props.ports !== undefined) {
    invalid(scope, 'protocol', props.protocol, 'cannot be combined with `ports`', 'set the protocol of each entry of ports');
  }
  if (props.ports !== undefined && (!Array.isArray(props.ports) || props.ports.some(p => p === null || typeof p !== 'object'))) {
    invalid(scope, 'ports', props.ports, 'must be a list of WorkloadPort objects', 'for example [{ port: 8080 }]');
  }
  const ports: WorkloadPort[] = props.ports ?? (props.port !== undefined ? [{ port: props.port, protocol: props.protocol }] : []);
  if (ports.length === 0) {
    invalid(scope, 'port', props.port, 'a MeshService needs a port', 'set port (for example 8080) or ports');
  }
  const seen = new Set<number>();
  const seenService = new Set<number>();
  return ports.map(wp => {
    checkPort(scope, 'port', wp.port);
    if (ISTIO_RESERVED_PORTS.includes(wp.port)) {
      invalid(scope, 'port', wp.port, `is reserved by the Istio sidecar (${ISTIO_RESERVED_PORTS.join(', ')})`, 'choose another container port');
    }
    if (seen.has(wp.port)) {
      invalid(scope, 'ports', wp.port, 'is listed twice');
    }
    seen.add(wp.port);
    const servicePort = checkPort(scope, 'servicePort', wp.servicePort ?? wp.port);
    if (seenService.has(servicePort)) {
      invalid(scope, 'servicePort', servicePort, 'is listed twice');
    }
    seenService.add(servicePort);
    const protocol = wp.protocol ?? AppProtocol.HTTP;
    if (!Object.values(AppProtocol).includes(protocol)) {
      invalid(scope, 'protocol', protocol, `must be one of ${Object.values(AppProtocol).join(', ')}`);
    }
    return { port: wp.port, protocol, servicePort: wp.servicePort };
  });
}

/** Istio selects the protocol from the Service port name prefix (`http-`, `grpc-`, `tcp-`). */
export function portName(wp: WorkloadPort): string {
  return `${wp.protocol}-${wp.port}`;
}
