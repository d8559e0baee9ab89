/**
 * The vocabulary of the zero-trust policy pack, shared by the pack and its engine renderers:
 * engines, rollout modes, policies, exemptions.
 */

/**
 * The admission controller that enforces the pack.
 */
export enum PolicyEngine {
  /** OPA Gatekeeper 3.23: ConstraintTemplates (CEL and Rego) and constraints. */
  GATEKEEPER = 'gatekeeper',
  /** Kyverno 1.19: `policies.kyverno.io/v1` ValidatingPolicies (CEL) and a GeneratingPolicy. */
  KYVERNO = 'kyverno',
  /**
   * Kubernetes itself (1.30+, nothing to install): ValidatingAdmissionPolicies with their
   * bindings and parameter ConfigMaps. The referential default-deny check has no native form.
   */
  KUBERNETES = 'kubernetes',
}

/**
 * How violations are handled: the stages of a rollout.
 */
export enum PolicyMode {
  /** Admit, report in audit (Gatekeeper `dryrun`; Kyverno and Kubernetes `validationActions: [Audit]`). */
  AUDIT = 'audit',
  /** Admit with a warning to the client, report in audit (Gatekeeper `warn`; Kyverno and Kubernetes `[Warn, Audit]`). */
  WARN = 'warn',
  /** Reject (Gatekeeper `deny`; Kyverno and Kubernetes `[Deny]`). */
  ENFORCE = 'enforce',
}

/**
 * The policies of the zero-trust pack.
 */
export enum ZeroTrustPolicy {
  /**
   * Every PeerAuthentication sets mTLS mode STRICT (port-level modes STRICT or UNSET).
   *
   * Why: identity on every connection. PERMISSIVE (Istio's default, and what UNSET inherits) and
   * DISABLE accept plaintext, which carries no peer identity any AuthorizationPolicy can check.
   */
  STRICT_MTLS = 'strict-mtls',
  /**
   * No privileged containers (`K8sPSPPrivilegedContainer`).
   *
   * Why: a privileged container has every capability and device of the node; one compromised
   * workload owns the node and every workload identity on it.
   */
  PRIVILEGED_CONTAINERS = 'privileged-containers',
  /**
   * Containers set `allowPrivilegeEscalation: false` (`K8sPSPAllowPrivilegeEscalationContainer`).
   *
   * Why: setuid binaries and file capabilities turn a foothold into root; assume breach, limit
   * the blast radius.
   */
  PRIVILEGE_ESCALATION = 'privilege-escalation',
  /**
   * Containers run as non-root (`K8sPSPAllowedUsers` with `runAsUser.rule: MustRunAsNonRoot`;
   * there is no `k8spsprunasnonroot` template).
   *
   * Why: root in a container is root on the node as soon as any isolation layer fails.
   */
  RUN_AS_NON_ROOT = 'run-as-non-root',
  /**
   * Containers set CPU and memory requests and limits (`K8sRequiredResources`).
   *
   * Why: availability is part of trust; a workload without limits can starve its neighbours
   * across trust boundaries.
   */
  REQUIRED_RESOURCES = 'required-resources',
  /**
   * Images come from the allowed registries only (`K8sAllowedRepos`).
   *
   * Why: code is an identity too; only images from registries the platform trusts (scans,
   * signs) may run.
   */
  ALLOWED_REGISTRIES = 'allowed-registries',
  /**
   * Images name a version tag or a digest, never `latest` or nothing (`K8sDisallowedTags`).
   *
   * Why: a mutable tag means the code that runs is not the code that was reviewed.
   */
  DISALLOWED_TAGS = 'disallowed-tags',
  /**
   * No host PID, IPC or network namespace (`K8sPSPHostNamespace`, `K8sPSPHostNetworkingPorts`).
   *
   * Why: host PID and IPC expose every process of the node; the host network bypasses
   * NetworkPolicies and the mesh, so traffic has neither a pod identity nor mTLS.
   */
  HOST_NAMESPACES = 'host-namespaces',
  /**
   * No hostPath volumes (`K8sPSPHostFilesystem`).
   *
   * Why: a hostPath reaches past the container onto the node: kubelet credentials, other pods'
   * secrets, the container runtime socket.
   */
  HOST_FILESYSTEM = 'host-filesystem',
  /**
   * Read-only root filesystems (`K8sPSPReadOnlyRootFilesystem`).
   *
   * Why: an attacker who cannot write to the container cannot drop tools or persist.
   */
  READ_ONLY_ROOT_FILESYSTEM = 'read-only-root-filesystem',
  /**
   * Pods run as a dedicated ServiceAccount, never `default` (`K8sDisallowDefaultServiceAccount`).
   *
   * Why: the ServiceAccount is the workload's identity (SPIFFE ID, mTLS principal, Vault role);
   * pods sharing `default` cannot be told apart by any policy.
   */
  DEDICATED_SERVICE_ACCOUNT = 'dedicated-service-account',
  /**
   * Every mesh-enrolled namespace has an allow-nothing AuthorizationPolicy (Gatekeeper: no pod
   * starts there without one, `K8sIstioDefaultDenyAuthz` on synced data; Kyverno: a
   * GeneratingPolicy creates and keeps it; Kubernetes: no native form, the namespace layer
   * defines the policy).
   *
   * Why: deny by default; only what is declared is reachable.
   */
  DEFAULT_DENY_AUTHORIZATION = 'default-deny-authorization',
  /**
   * Containers drop ALL capabilities and add back only NET_BIND_SERVICE (`K8sPSPCapabilities`).
   *
   * Why: every capability is a piece of root (Pod Security restricted).
   */
  CAPABILITIES = 'capabilities',
  /**
   * Containers run with the RuntimeDefault or a Localhost seccomp profile, their own or the
   * pod's (`K8sRequiredSeccompProfile`).
   *
   * Why: seccomp limits the system calls a compromised process can make (Pod Security restricted).
   */
  SECCOMP_PROFILE = 'seccomp-profile',
  /**
   * Pods set `automountServiceAccountToken: false` unless declared to call the API
   * (`K8sDisallowServiceAccountTokenAutomount`).
   *
   * Why: a mounted token is an API credential for whoever breaks into the pod.
   */
  SERVICE_ACCOUNT_TOKEN = 'service-account-token',
  /**
   * Every policed namespace enforces Pod Security `restricted`, or (namespaces of declared
   * privileged workloads) labels its level explicitly (`K8sRequiredPodSecurityLabels`).
   *
   * Why: the Pod Security controls the pack does not check itself (volume types, /proc mount,
   * sysctls, AppArmor, SELinux, Windows host processes) are left to the Pod Security admission
   * controller, which acts on these labels.
   */
  POD_SECURITY_LABELS = 'pod-security-labels',
}

/**
 * A host namespace a pod may share with the node.
 */
export enum HostNamespace {
  /** `hostPID: true`. */
  HOST_PID = 'hostPID',
  /** `hostIPC: true`. */
  HOST_IPC = 'hostIPC',
  /** `hostNetwork: true`. */
  HOST_NETWORK = 'hostNetwork',
}

/**
 * An exemption of one workload from some policies of the pack.
 */
export interface PolicyExemptionOptions {
  /** The workload's namespace. */
  readonly namespace: string;
  /** Labels selecting exactly the workload's pods (at least one). */
  readonly podLabels: { [key: string]: string };
  /** The policies the workload is exempted from (pod policies only). */
  readonly policies: ZeroTrustPolicy[];
  /**
   * The containers exempted from container checks.
   *
   * @default - every container of the pod
   */
  readonly containers?: string[];
  /**
   * The host namespaces the workload may share, required with `ZeroTrustPolicy.HOST_NAMESPACES`.
   *
   * @default - none
   */
  readonly hostNamespaces?: HostNamespace[];
  /**
   * The host paths the workload may mount, required with `ZeroTrustPolicy.HOST_FILESYSTEM`.
   *
   * @default - none
   */
  readonly hostPaths?: string[];
  /**
   * The Linux capabilities the workload's containers may add, with `ZeroTrustPolicy.CAPABILITIES`
   * (without them, the exempted containers need not drop ALL but may add nothing beyond
   * NET_BIND_SERVICE).
   *
   * @default - none
   */
  readonly capabilities?: string[];
  /** Why the workload needs the exemption (at least 10 characters). */
  readonly reason: string;
}

/**
 * An exemption in effect: given by the user, or derived from a declared privileged workload.
 */
export interface PolicyExemption extends PolicyExemptionOptions {
  /** The construct path that declared it. */
  readonly source: string;
}
