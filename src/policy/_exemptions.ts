/**
 * Exemptions of the zero-trust policy pack: the policies each declared privilege needs an
 * exemption from, and the checks of a user's exemption.
 */
import { Construct } from 'constructs';
import { HostNamespace, PolicyExemption, PolicyExemptionOptions, ZeroTrustPolicy } from './policy-options';
import { checkDns1123Label, checkLabels, invalid, sortedUnique } from '../intent/_validation';
import { isCleanAbsolutePath, Privilege, PrivilegedWorkload } from '../intent/privileged-workload';

const HOST_PATH = /^\/[A-Za-z0-9._\/-]*$/;

/**
 * Policies that apply to other objects than pods, and those objects: no workload can be exempted
 * from them.
 */
const NOT_POD_POLICIES: Partial<Record<ZeroTrustPolicy, string>> = {
  [ZeroTrustPolicy.STRICT_MTLS]: 'PeerAuthentications',
  [ZeroTrustPolicy.POD_SECURITY_LABELS]: 'Namespaces',
};

/**
 * The policies that are Pod Security controls: a namespace running a workload exempted from one
 * of them cannot enforce `restricted`, and may label a lower level.
 */
export const POD_SECURITY_POLICIES: string[] = [
  ZeroTrustPolicy.PRIVILEGED_CONTAINERS, ZeroTrustPolicy.PRIVILEGE_ESCALATION, ZeroTrustPolicy.RUN_AS_NON_ROOT,
  ZeroTrustPolicy.HOST_NAMESPACES, ZeroTrustPolicy.HOST_FILESYSTEM, ZeroTrustPolicy.CAPABILITIES, ZeroTrustPolicy.SECCOMP_PROFILE,
];

/** Which policies each declared privilege needs an exemption from. */
export const PRIVILEGE_POLICIES: Record<Privilege, ZeroTrustPolicy[]> = {
  // the API server rejects allowPrivilegeEscalation: false together with privileged: true
  // a privileged container has every capability whatever it drops or adds
  [Privilege.PRIVILEGED_CONTAINER]: [ZeroTrustPolicy.PRIVILEGED_CONTAINERS, ZeroTrustPolicy.PRIVILEGE_ESCALATION, ZeroTrustPolicy.CAPABILITIES],
  [Privilege.PRIVILEGE_ESCALATION]: [ZeroTrustPolicy.PRIVILEGE_ESCALATION],
  [Privilege.RUN_AS_ROOT]: [ZeroTrustPolicy.RUN_AS_NON_ROOT],
  [Privilege.WRITABLE_ROOT_FILESYSTEM]: [ZeroTrustPolicy.READ_ONLY_ROOT_FILESYSTEM],
  [Privilege.HOST_PID]: [ZeroTrustPolicy.HOST_NAMESPACES],
  [Privilege.HOST_IPC]: [ZeroTrustPolicy.HOST_NAMESPACES],
  [Privilege.HOST_NETWORK]: [ZeroTrustPolicy.HOST_NAMESPACES],
  [Privilege.HOST_PATH]: [ZeroTrustPolicy.HOST_FILESYSTEM],
  [Privilege.ADDED_CAPABILITIES]: [ZeroTrustPolicy.CAPABILITIES],
  [Privilege.SERVICE_ACCOUNT_TOKEN]: [ZeroTrustPolicy.SERVICE_ACCOUNT_TOKEN],
  [Privilege.UNBOUNDED_RESOURCES]: [ZeroTrustPolicy.REQUIRED_RESOURCES],
  [Privilege.UNCONFINED_SECCOMP]: [ZeroTrustPolicy.SECCOMP_PROFILE],
  [Privilege.DEFAULT_CAPABILITIES]: [ZeroTrustPolicy.CAPABILITIES],
};
const PRIVILEGE_HOST_NAMESPACE: Partial<Record<Privilege, HostNamespace>> = {
  [Privilege.HOST_PID]: HostNamespace.HOST_PID,
  [Privilege.HOST_IPC]: HostNamespace.HOST_IPC,
  [Privilege.HOST_NETWORK]: HostNamespace.HOST_NETWORK,
};

/** The exemption a declared privileged workload gets (every privilege is checked by one policy or more). */
export function exemptionOf(w: PrivilegedWorkload): PolicyExemption {
  const policies = sortedUnique(w.privileges.flatMap(p => PRIVILEGE_POLICIES[p]));
  const hostNamespaces = sortedUnique(w.privileges.map(p => PRIVILEGE_HOST_NAMESPACE[p]).filter((h): h is HostNamespace => h !== undefined));
  return {
    namespace: w.namespace,
    podLabels: { ...w.podLabels },
    policies,
    containers: [...w.containers],
    hostNamespaces,
    hostPaths: [...w.hostPaths],
    capabilities: [...w.capabilities],
    reason: `${w.kind} ${w.name}: ${w.reason}`,
    source: w.owner.node.path,
  };
}

export function checkExemption(scope: Construct, o: PolicyExemptionOptions): PolicyExemption {
  if (!o || typeof o !== 'object') invalid(scope, 'exemption', o, 'must be an object with namespace, podLabels, policies and reason');
  if (typeof o.reason !== 'string' || o.reason.trim().length < 10) {
    invalid(scope, 'exemption.reason', o.reason, 'must say why the workload needs the exemption (at least 10 characters)', 'an exemption without a reason cannot be reviewed');
  }
  checkDns1123Label(scope, 'exemption.namespace', o.namespace);
  if (!o.podLabels || typeof o.podLabels !== 'object' || Object.keys(o.podLabels).length === 0) {
    invalid(scope, 'exemption.podLabels', o.podLabels, 'must select the workload\'s pods with at least one label', 'an exemption without a selector would cover every pod of the namespace');
  }
  // a pod carries only valid labels: an invalid one would match nothing
  const podLabels = checkLabels(scope, 'exemption.podLabels', o.podLabels);
  const policies = sortedUnique(o.policies ?? []);
  if (policies.length === 0) invalid(scope, 'exemption.policies', o.policies, 'must list at least one ZeroTrustPolicy');
  for (const p of policies) {
    if (!Object.values(ZeroTrustPolicy).includes(p)) invalid(scope, 'exemption.policies', p, `must be one of ${Object.values(ZeroTrustPolicy).join(', ')}`);
    const objects = NOT_POD_POLICIES[p];
    if (objects) invalid(scope, 'exemption.policies', p, `applies to ${objects}, not to pods: a workload cannot be exempted from it`);
  }
  const hostNamespaces = sortedUnique(o.hostNamespaces ?? []);
  if (policies.includes(ZeroTrustPolicy.HOST_NAMESPACES) !== (hostNamespaces.length > 0)) {
    invalid(scope, 'exemption.hostNamespaces', o.hostNamespaces, 'must list the host namespaces exactly when ZeroTrustPolicy.HOST_NAMESPACES is exempted');
  }
  for (const h of hostNamespaces) {
    if (!Object.values(HostNamespace).includes(h)) invalid(scope, 'exemption.hostNamespaces', h, `must be one of ${Object.values(HostNamespace).join(', ')}`);
  }
  const hostPaths = sortedUnique(o.hostPaths ?? []);
  if (policies.includes(ZeroTrustPolicy.HOST_FILESYSTEM) !== (hostPaths.length > 0)) {
    invalid(scope, 'exemption.hostPaths', o.hostPaths, 'must list the host paths exactly when ZeroTrustPolicy.HOST_FILESYSTEM is exempted');
  }
  if (hostPaths.some(p => !isCleanAbsolutePath(p) || !HOST_PATH.test(p))) {
    invalid(scope, 'exemption.hostPaths', o.hostPaths,
      'must be absolute, normalized paths of letters, digits and . _ - / (no spaces or commas, no \'.\' or \'..\' segments, no \'//\')');
  }
  for (const c of o.containers ?? []) checkDns1123Label(scope, 'exemption.containers', c);
  const capabilities = sortedUnique(o.capabilities ?? []);
  if (capabilities.length > 0 && !policies.includes(ZeroTrustPolicy.CAPABILITIES)) {
    invalid(scope, 'exemption.capabilities', o.capabilities, 'are only read with ZeroTrustPolicy.CAPABILITIES', 'add ZeroTrustPolicy.CAPABILITIES to policies or remove capabilities');
  }
  if (capabilities.some(c => typeof c !== 'string' || !/^(?!CAP_)[A-Z][A-Z_]*$/.test(c))) {
    invalid(scope, 'exemption.capabilities', o.capabilities, 'must be Linux capability names without the CAP_ prefix, for example NET_ADMIN');
  }
  return {
    namespace: o.namespace,
    podLabels,
    policies,
    containers: sortedUnique(o.containers ?? []),
    hostNamespaces,
    hostPaths,
    capabilities,
    reason: o.reason.trim(),
    source: scope.node.path,
  };
}
