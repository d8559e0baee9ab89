/**
 * The privileges a pod actually uses, read from its spec the way the policy pack's checks read it
 * (written from the Kubernetes Pod Security `restricted` level, not from the library): host
 * namespaces and hostPath volumes for the pod; per container privileged, root (its runAsUser, else
 * the pod's; root unless one of them says non-root), a writable root filesystem, privilege
 * escalation not disabled, added capabilities (beyond NET_BIND_SERVICE), ALL not dropped, no
 * RuntimeDefault or Localhost seccomp profile (its own, else the pod's), a missing CPU or memory
 * request or limit; and for the pod a mounted ServiceAccount token.
 */
import { PrivilegedWorkload } from '../../src';

export interface UsedPrivileges {
  /** Pod-level privileges (host namespaces, host paths). */
  readonly pod: { privileges: string[]; hostPaths: string[] };
  /** Per container (only those that use any), sorted by name. */
  readonly containers: { [name: string]: { privileges: string[]; capabilities: string[] } };
}

export function usedPrivileges(pod: any): UsedPrivileges {
  const spec = pod.spec ?? pod;
  const podPrivileges: string[] = [];
  if (spec.hostPID) podPrivileges.push('host-pid');
  if (spec.hostNetwork) podPrivileges.push('host-network');
  if (spec.hostIPC) podPrivileges.push('host-ipc');
  const hostPaths = [...new Set<string>((spec.volumes ?? []).filter((v: any) => v.hostPath).map((v: any) => v.hostPath.path))].sort();
  if (hostPaths.length) podPrivileges.push('host-path');
  // the ServiceAccount admission plugin mounts the token unless the pod (or its ServiceAccount) says false
  if (spec.automountServiceAccountToken !== false) podPrivileges.push('service-account-token');
  const containers: UsedPrivileges['containers'] = {};
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    const sc = c.securityContext ?? {};
    const psc = spec.securityContext ?? {};
    const privileges: string[] = [];
    if (sc.privileged) privileges.push('privileged-container');
    const user = sc.runAsUser ?? psc.runAsUser;
    const nonRoot = sc.runAsNonRoot ?? psc.runAsNonRoot;
    if (user === 0 || (user === undefined && nonRoot !== true)) privileges.push('run-as-root');
    if (sc.readOnlyRootFilesystem !== true) privileges.push('writable-root-filesystem');
    if (sc.allowPrivilegeEscalation !== false) privileges.push('privilege-escalation');
    const capabilities = [...(sc.capabilities?.add ?? [])].filter((cap: string) => cap !== 'NET_BIND_SERVICE').sort();
    if (capabilities.length) privileges.push('added-capabilities');
    // a privileged container has every capability whatever it drops
    if (!sc.privileged && !(sc.capabilities?.drop ?? []).includes('ALL')) privileges.push('default-capabilities');
    const seccomp = sc.seccompProfile?.type ?? psc.seccompProfile?.type;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') privileges.push('unconfined-seccomp');
    const r = c.resources ?? {};
    if (!r.limits?.cpu || !r.limits?.memory || !r.requests?.cpu || !r.requests?.memory) privileges.push('unbounded-resources');
    if (privileges.length) containers[c.name] = { privileges: privileges.sort(), capabilities };
  }
  return { pod: { privileges: podPrivileges.sort(), hostPaths }, containers };
}

/**
 * The declarations of one workload, in the same shape: the pod-level declaration (no containers)
 * and one entry per declared container. Fails when a declaration names several containers or
 * mixes pod-level and container-level privileges, which would not be exact per container.
 */
export function declaredPrivileges(declarations: PrivilegedWorkload[]): UsedPrivileges {
  const POD = ['host-pid', 'host-network', 'host-ipc', 'host-path', 'service-account-token'];
  let pod = { privileges: [] as string[], hostPaths: [] as string[] };
  const containers: UsedPrivileges['containers'] = {};
  for (const d of declarations) {
    if (d.containers.length === 0) {
      if (d.privileges.some(p => !POD.includes(p))) throw new Error(`${d.key}: container privileges declared for every container`);
      pod = { privileges: [...d.privileges].sort(), hostPaths: [...d.hostPaths].sort() };
      continue;
    }
    if (d.privileges.some(p => POD.includes(p))) throw new Error(`${d.key}: pod privileges declared with containers`);
    for (const name of d.containers) containers[name] = { privileges: [...d.privileges].sort(), capabilities: [...d.capabilities].sort() };
  }
  return { pod, containers };
}
