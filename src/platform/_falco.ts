/**
 * Falco as the falcosecurity/falco chart 9.1.0 (Falco 0.44.1; falcosecurity/charts charts/falco,
 * templates/pod-template.tpl and templates/_helpers.tpl) deploys it with default values and the
 * given `driver.kind`.
 */
import { dns, internetHttps } from './_egress';
import { checkDigestsUsed, imageRenderer, invalidOption, label } from './_images';
import type { FalcoComponentOptions, PlatformContainer, _ComponentData } from './platform-workload';
import { PlatformPeer } from './platform-workload';
import { Privilege } from '../intent/privileged-workload';
import { FalcoDriver } from '../runtime/falco-rule-types';

export const FALCO_CHART_VERSION = '9.1.0';
export const FALCO_VERSION = '0.44.1';
export const FALCOCTL_VERSION = '0.13.0';

/** The container engine sockets of `collectors.containerEngine.engines`, deduplicated by mount path as the chart does. */
export const FALCO_CONTAINER_ENGINE_SOCKETS = [
  '/var/run/docker.sock', '/run/podman/podman.sock', '/run/host-containerd/containerd.sock',
  '/run/containerd/containerd.sock', '/run/crio/crio.sock', '/run/k3s/containerd/containerd.sock',
];

const UNSET_CONTEXT = [Privilege.PRIVILEGE_ESCALATION, Privilege.RUN_AS_ROOT, Privilege.WRITABLE_ROOT_FILESYSTEM, Privilege.UNCONFINED_SECCOMP];

export function falcoDescription(options: FalcoComponentOptions): _ComponentData {
  const driver = options.driver ?? FalcoDriver.AUTO;
  if (!Object.values(FalcoDriver).includes(driver)) {
    invalidOption('falco', 'driver', driver, `must be one of ${Object.values(FalcoDriver).join(', ')}`);
  }
  const namespace = label('falco', 'namespace', options.namespace, 'falco');
  const release = label('falco', 'releaseName', options.releaseName, 'falco');
  const image = imageRenderer('falco', options);
  const falcoImage = image('docker.io/falcosecurity/falco', FALCO_VERSION);
  const falcoctl = image('docker.io/falcosecurity/falcoctl', FALCOCTL_VERSION);
  const loaderImage = image('docker.io/falcosecurity/falco-driver-loader', FALCO_VERSION);
  const loader = driver === FalcoDriver.AUTO || driver === FalcoDriver.KMOD;
  const leastPrivileged = driver === FalcoDriver.MODERN_EBPF_LEAST_PRIVILEGED;
  checkDigestsUsed('falco', image);
  const containers: PlatformContainer[] = [
    {
      name: 'falco',
      image: falcoImage,
      privileges: leastPrivileged ? [Privilege.ADDED_CAPABILITIES, ...UNSET_CONTEXT] : [Privilege.PRIVILEGED_CONTAINER, ...UNSET_CONTEXT],
      ...(leastPrivileged ? { capabilities: ['BPF', 'PERFMON', 'SYS_PTRACE', 'SYS_RESOURCE'] } : {}),
      reason: leastPrivileged
        ? 'reads every syscall of the node through the modern eBPF probe with BPF, PERFMON, SYS_RESOURCE and SYS_PTRACE; the chart sets no other securityContext (root, writable root filesystem)'
        : `reads every syscall of the node through the kernel (driver ${driver}) as a privileged container; the chart sets no other securityContext`,
    },
    {
      name: 'falcoctl-artifact-follow',
      image: falcoctl,
      privileges: [...UNSET_CONTEXT, Privilege.DEFAULT_CAPABILITIES, Privilege.UNBOUNDED_RESOURCES],
      reason: 'keeps the rules and plugins up to date; the chart sets neither a securityContext nor resources (values `falcoctl.artifact.follow`)',
    },
    {
      name: 'falcoctl-artifact-install',
      image: falcoctl,
      init: true,
      privileges: [...UNSET_CONTEXT, Privilege.DEFAULT_CAPABILITIES, Privilege.UNBOUNDED_RESOURCES],
      reason: 'installs the rules and plugins before Falco starts; the chart sets neither a securityContext nor resources (values `falcoctl.artifact.install`)',
    },
    ...(loader ? [{
      name: 'falco-driver-loader',
      image: loaderImage,
      init: true,
      privileges: [Privilege.PRIVILEGED_CONTAINER, ...UNSET_CONTEXT, Privilege.UNBOUNDED_RESOURCES],
      reason: 'builds or loads the kernel driver as a privileged container; the chart sets no resources (values `driver.loader.initContainer.resources`)',
    }] : []),
  ];
  const hostPaths = [
    '/boot', '/etc', '/lib/modules', '/proc', '/usr',
    ...(loader ? ['/dev', '/sys/module'] : []),
    // driver.sysfsMountPath, mounted for auto and modern_ebpf (driver.modernEbpf.sysfsMount: true)
    ...(driver !== FalcoDriver.KMOD ? ['/sys/kernel'] : []),
    ...FALCO_CONTAINER_ENGINE_SOCKETS,
  ];
  return {
    name: 'falco',
    chart: { repository: 'https://falcosecurity.github.io/charts', chart: 'falco', version: FALCO_CHART_VERSION },
    appVersion: FALCO_VERSION,
    namespace,
    workloads: [{
      kind: 'DaemonSet',
      name: release,
      namespace,
      podLabels: { 'app.kubernetes.io/name': 'falco', 'app.kubernetes.io/instance': release },
      serviceAccount: release,
      containers,
      podPrivileges: [Privilege.HOST_PATH, Privilege.SERVICE_ACCOUNT_TOKEN],
      hostPaths: [...new Set(hostPaths)].sort(),
      reason: 'the host\'s /proc, /etc, /usr, /boot and kernel modules for the driver and process metadata, the container engine sockets for container metadata, '
        + 'and its ServiceAccount token',
      ports: [{ port: 8765, name: 'web', from: [PlatformPeer.MONITORING] }],
      // Falco itself writes its alerts to stdout by default (no http_output, falcosidekick.enabled: false)
      // and does not call the API server (collectors.kubernetes.enabled: false)
      egress: [
        dns('the artifact index, registry and driver hosts', 'falco chart values falcoctl.config.indexes, driver.loader'),
        internetHttps(`falcoctl pulls and follows the rules artifact from ghcr.io/falcosecurity (index falcosecurity.github.io/falcoctl)${loader ? ' and the driver loader downloads a prebuilt driver from download.falco.org' : ''}`,
          'falco chart values falcoctl.artifact.install/follow, falcoctl.config.indexes'),
      ],
    }],
    webhooks: [],
  };
}
