import { IConstruct } from 'constructs';
import { checkDns1123Label, checkLabels, invalid, sortedUnique } from './_validation';

/**
 * A privilege a pod needs beyond the `restricted` Pod Security level.
 */
export enum Privilege {
  /** A container runs with `privileged: true`. */
  PRIVILEGED_CONTAINER = 'privileged-container',
  /** The pod shares the node's PID namespace (`hostPID: true`). */
  HOST_PID = 'host-pid',
  /** The pod shares the node's network namespace (`hostNetwork: true`). */
  HOST_NETWORK = 'host-network',
  /** The pod shares the node's IPC namespace (`hostIPC: true`). */
  HOST_IPC = 'host-ipc',
  /** The pod mounts `hostPath` volumes (listed in `hostPaths`). */
  HOST_PATH = 'host-path',
  /** A container runs as user 0. */
  RUN_AS_ROOT = 'run-as-root',
  /** A container's root filesystem is writable. */
  WRITABLE_ROOT_FILESYSTEM = 'writable-root-filesystem',
  /** A container adds Linux capabilities (listed in `capabilities`). */
  ADDED_CAPABILITIES = 'added-capabilities',
  /** A container may gain more privileges than its parent (`allowPrivilegeEscalation: true`). */
  PRIVILEGE_ESCALATION = 'privilege-escalation',
  /**
   * The pod mounts its ServiceAccount token (`automountServiceAccountToken` not false) to call
   * the Kubernetes API.
   */
  SERVICE_ACCOUNT_TOKEN = 'service-account-token',
  /**
   * A container runs without a CPU or memory request or limit (a chart's default leaves them
   * unset), so it can starve its neighbours.
   */
  UNBOUNDED_RESOURCES = 'unbounded-resources',
  /**
   * A container runs without the RuntimeDefault or a Localhost seccomp profile (neither it nor
   * its pod sets one).
   */
  UNCONFINED_SECCOMP = 'unconfined-seccomp',
  /**
   * A container keeps the container runtime's default capabilities: it does not drop ALL.
   */
  DEFAULT_CAPABILITIES = 'default-capabilities',
}

/** The privileges that concern the pod as a whole, not one of its containers. */
const POD_PRIVILEGES: readonly Privilege[] = [
  Privilege.HOST_PID, Privilege.HOST_NETWORK, Privilege.HOST_IPC, Privilege.HOST_PATH, Privilege.SERVICE_ACCOUNT_TOKEN,
];

/**
 * A workload that needs documented privileges, declared by the construct that deploys it.
 */
export interface PrivilegedWorkloadOptions {
  /** The namespace the workload runs in. */
  readonly namespace: string;
  /** The workload kind, for example `DaemonSet`. */
  readonly kind: string;
  /** The workload name. */
  readonly name: string;
  /** Labels that select exactly this workload's pods. */
  readonly podLabels: { [key: string]: string };
  /** The privileges the workload needs (at least one). */
  readonly privileges: Privilege[];
  /**
   * The containers (and init containers) that hold the privileges. A workload whose containers
   * need different privileges is declared once per container (or group of containers with the
   * same privileges), so that each exemption covers exactly the container that needs it.
   *
   * @default - every container of the pod
   */
  readonly containers?: string[];
  /**
   * The host paths mounted, required with `Privilege.HOST_PATH`.
   *
   * @default - none
   */
  readonly hostPaths?: string[];
  /**
   * The Linux capabilities added, required with `Privilege.ADDED_CAPABILITIES`.
   *
   * @default - none
   */
  readonly capabilities?: string[];
  /** Why the workload needs these privileges: shown in the exemptions policy layers derive. */
  readonly reason: string;
}

const WORKLOAD_KINDS = ['DaemonSet', 'Deployment', 'StatefulSet', 'Job', 'CronJob', 'Pod'];

/**
 * A documented privilege exception: one workload, exactly the privileges it needs, and why.
 *
 * Constructs that deploy privileged components (the SPIRE agent, the SPIFFE CSI driver, Falco)
 * declare them with `IntentGraph.declarePrivilegedWorkload()`; admission policy packs read
 * `IntentGraph.privilegedWorkloads` and exempt exactly these workloads from exactly these checks,
 * never a whole namespace or cluster.
 */
export class PrivilegedWorkload {
  /** @internal */
  public static _create(owner: IConstruct, options: PrivilegedWorkloadOptions): PrivilegedWorkload {
    return new PrivilegedWorkload(owner, options);
  }

  /** The construct that declared the exception. */
  public readonly owner: IConstruct;
  /** The namespace. */
  public readonly namespace: string;
  /** The workload kind. */
  public readonly kind: string;
  /** The workload name. */
  public readonly name: string;
  /** Labels selecting the workload's pods. */
  public readonly podLabels: { [key: string]: string };
  /** The privileges (sorted). */
  public readonly privileges: Privilege[];
  /** The containers that hold the privileges (sorted); empty means every container. */
  public readonly containers: string[];
  /** The host paths mounted (sorted). */
  public readonly hostPaths: string[];
  /** The capabilities added (sorted). */
  public readonly capabilities: string[];
  /** Why. */
  public readonly reason: string;

  private constructor(owner: IConstruct, o: PrivilegedWorkloadOptions) {
    if (!o || typeof o !== 'object') {
      invalid(owner, 'privilegedWorkload', o, 'must be an object with namespace, kind, name, podLabels, privileges and reason');
    }
    this.owner = owner;
    this.namespace = checkDns1123Label(owner, 'privilegedWorkload.namespace', o.namespace);
    if (!WORKLOAD_KINDS.includes(o.kind)) {
      invalid(owner, 'privilegedWorkload.kind', o.kind, `must be one of ${WORKLOAD_KINDS.join(', ')}`);
    }
    this.kind = o.kind;
    this.name = checkDns1123Label(owner, 'privilegedWorkload.name', o.name);
    if (!o.podLabels || typeof o.podLabels !== 'object' || Object.keys(o.podLabels).length === 0) {
      invalid(owner, 'privilegedWorkload.podLabels', o.podLabels, 'must select the workload\'s pods with at least one label', 'an exemption without a selector would cover every pod of the namespace');
    }
    this.podLabels = checkLabels(owner, 'privilegedWorkload.podLabels', o.podLabels);
    const privileges = sortedUnique(o.privileges ?? []);
    if (privileges.length === 0) {
      invalid(owner, 'privilegedWorkload.privileges', o.privileges, 'must list at least one Privilege', 'a workload without privileges needs no exception');
    }
    for (const p of privileges) {
      if (!Object.values(Privilege).includes(p)) {
        invalid(owner, 'privilegedWorkload.privileges', p, `must be one of ${Object.values(Privilege).join(', ')}`);
      }
    }
    this.privileges = privileges;
    this.containers = sortedUnique(o.containers ?? []);
    this.hostPaths = sortedUnique(o.hostPaths ?? []);
    this.capabilities = sortedUnique(o.capabilities ?? []);
    if (privileges.includes(Privilege.HOST_PATH) !== (this.hostPaths.length > 0)) {
      invalid(owner, 'privilegedWorkload.hostPaths', o.hostPaths, 'must list the mounted host paths exactly when Privilege.HOST_PATH is declared');
    }
    if (this.hostPaths.some(p => !isCleanAbsolutePath(p))) {
      invalid(owner, 'privilegedWorkload.hostPaths', o.hostPaths, 'must be absolute, normalized paths (no \'.\' or \'..\' segments, no \'//\', no control characters)',
        'a \'..\' would exempt more of the node than it names');
    }
    if (privileges.includes(Privilege.ADDED_CAPABILITIES) !== (this.capabilities.length > 0)) {
      invalid(owner, 'privilegedWorkload.capabilities', o.capabilities, 'must list the added capabilities exactly when Privilege.ADDED_CAPABILITIES is declared');
    }
    if (typeof o.reason !== 'string' || o.reason.trim().length < 10) {
      invalid(owner, 'privilegedWorkload.reason', o.reason, 'must say why the workload needs these privileges (at least 10 characters)');
    }
    this.reason = o.reason.trim();
  }

  /** `<namespace>/<kind>/<name>` */
  public get workloadKey(): string {
    return `${this.namespace}/${this.kind}/${this.name}`;
  }

  /** `<namespace>/<kind>/<name>`, then `[<containers>]` when the declaration names containers. */
  public get key(): string {
    return this.containers.length ? `${this.workloadKey}[${this.containers.join(',')}]` : this.workloadKey;
  }

  /** Whether every declared privilege concerns the pod as a whole (host namespaces, host paths). */
  public get podLevelOnly(): boolean {
    return this.privileges.every(p => POD_PRIVILEGES.includes(p));
  }
}

/**
 * An absolute path without `.`/`..` segments, empty segments or control characters: what the
 * admission checks compare host paths with (as prefixes), so `/var/log/../../etc` cannot pass as
 * a path below `/var/log`.
 * @internal
 */
export function isCleanAbsolutePath(p: unknown): boolean {
  return typeof p === 'string' && p.startsWith('/') && !/[\u0000-\u001f\u007f]/.test(p)
    && (p === '/' || p.slice(1).split('/').every(seg => seg !== '' && seg !== '.' && seg !== '..'));
}
