import { Lazy } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { MANAGED_BY } from './_k8s';
import { guardArgs, guardProps } from '../intent/_guards';
import { invalid } from '../intent/_validation';
import { IntentGraph, Layer } from '../intent/intent-graph';
import { requireZeroTrustNamespace, ZeroTrustNamespace } from '../segmentation/zero-trust-namespace';

/**
 * Properties of NamespaceAccess.
 */
export interface NamespaceAccessProps {
  /** The zero-trust namespace people get access to. */
  readonly namespace: ZeroTrustNamespace;

  /**
   * The prefix the API server adds to OIDC group claims (`--oidc-groups-prefix`, or the
   * `claimMappings.groups.prefix` of a structured authentication configuration).
   *
   * @default '' (no prefix)
   */
  readonly groupPrefix?: string;
}

const READ_ONLY_RULES: k8s.PolicyRule[] = [
  { apiGroups: [''], resources: ['configmaps', 'endpoints', 'events', 'persistentvolumeclaims', 'pods', 'pods/log', 'serviceaccounts', 'services'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['apps'], resources: ['daemonsets', 'deployments', 'replicasets', 'statefulsets'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['batch'], resources: ['cronjobs', 'jobs'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['security.istio.io'], resources: ['authorizationpolicies', 'peerauthentications', 'requestauthentications'], verbs: ['get', 'list', 'watch'] },
];

const DEPLOYER_RULES: k8s.PolicyRule[] = [
  ...READ_ONLY_RULES,
  { apiGroups: ['apps'], resources: ['deployments'], verbs: ['create', 'patch', 'update'] },
  { apiGroups: ['apps'], resources: ['deployments/scale'], verbs: ['get', 'patch', 'update'] },
  { apiGroups: [''], resources: ['configmaps'], verbs: ['create', 'delete', 'patch', 'update'] },
  { apiGroups: [''], resources: ['pods'], verbs: ['delete'] },
  { apiGroups: ['batch'], resources: ['jobs'], verbs: ['create', 'delete', 'patch', 'update'] },
];

const ACCESS_BY_APP = new WeakMap<object, Map<string, NamespaceAccess>>();

/**
 * The built-in roles NamespaceAccess binds.
 */
export enum AccessLevel {
  /**
   * Read the namespace's workloads, pods and logs, Services, ConfigMaps, events and policies.
   * Never Secrets, never `pods/exec`, `pods/attach` or `pods/portforward`.
   */
  READ_ONLY = 'read-only',
  /**
   * Read-only, plus roll out: create and change Deployments (and their scale), ConfigMaps and
   * Jobs, delete pods. Never Secrets, RBAC, ServiceAccounts or policies (those come from the
   * intent graph), never exec.
   */
  DEPLOYER = 'deployer',
}

/**
 * Defines least-privilege access for people, by OIDC group, to one ZeroTrustNamespace: a Role
 * per access level (created on first use) and one RoleBinding per level listing its groups.
 * Never a ClusterRole, never `cluster-admin`, never `*` verbs or resources, no Secrets.
 *
 * @example
 * const access = new NamespaceAccess(chart, 'production-access', { namespace: production, groupPrefix: 'oidc:' });
 * access.grantReadOnly('sre');
 * access.grantDeployer('team-orders');
 */
export class NamespaceAccess extends Construct {
  /** The namespace. */
  public readonly zeroTrustNamespace: ZeroTrustNamespace;
  /** The OIDC group prefix. */
  public readonly groupPrefix: string;

  private readonly groups = new Map<AccessLevel, Set<string>>();
  private readonly bindings = new Map<AccessLevel, k8s.KubeRoleBinding>();

  public constructor(scope: Construct, id: string, props: NamespaceAccessProps) {
    super(scope, id);
    guardProps(this, 'NamespaceAccess', props);
    this.zeroTrustNamespace = requireZeroTrustNamespace(this, props?.namespace);
    this.groupPrefix = props.groupPrefix ?? '';
    if (typeof this.groupPrefix !== 'string' || /[\s\u0000-\u001f\u007f-\u009f]/.test(this.groupPrefix) || /^system:/i.test(this.groupPrefix)) {
      invalid(this, 'groupPrefix', this.groupPrefix, 'must be the API server\'s OIDC groups prefix: no spaces, not \'system:\'');
    }
    const byNamespace = ACCESS_BY_APP.get(this.node.root) ?? new Map<string, NamespaceAccess>();
    const other = byNamespace.get(this.zeroTrustNamespace.namespaceName);
    if (other) {
      invalid(this, 'namespace', this.zeroTrustNamespace.namespaceName, `${other.node.path} already defines access to this namespace`,
        'define one NamespaceAccess per namespace and grant every group through it');
    }
    byNamespace.set(this.zeroTrustNamespace.namespaceName, this);
    ACCESS_BY_APP.set(this.node.root, byNamespace);
  }

  /**
   * Lets members of the OIDC group `group` read the namespace (see `AccessLevel.READ_ONLY`).
   * Granting the same group again changes nothing.
   *
   * @param group the OIDC group claim, without the API server's prefix
   * @returns the RoleBinding of the read-only Role
   */
  public grantReadOnly(group: string): k8s.KubeRoleBinding {
    guardArgs(this, 'NamespaceAccess', 'grantReadOnly', [group]);
    return this.grant(AccessLevel.READ_ONLY, group);
  }

  /**
   * Lets members of the OIDC group `group` roll out workloads (see `AccessLevel.DEPLOYER`).
   * Granting the same group again changes nothing.
   *
   * @param group the OIDC group claim, without the API server's prefix
   * @returns the RoleBinding of the deployer Role
   */
  public grantDeployer(group: string): k8s.KubeRoleBinding {
    guardArgs(this, 'NamespaceAccess', 'grantDeployer', [group]);
    return this.grant(AccessLevel.DEPLOYER, group);
  }

  /** The groups granted `level` (with the prefix, as the API server sees them), sorted. */
  public groupsWith(level: AccessLevel): string[] {
    guardArgs(this, 'NamespaceAccess', 'groupsWith', [level]);
    return [...this.groups.get(level) ?? []].sort();
  }

  private grant(level: AccessLevel, group: string): k8s.KubeRoleBinding {
    if (typeof group !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._:@/-]*$/.test(group) || group.startsWith('system:')) {
      invalid(this, 'group', group,
        'must be an OIDC group name (letters, digits, \'.\', \'_\', \':\', \'@\', \'/\', \'-\'), never a \'system:\' group such as system:masters or system:authenticated',
        'pass the group claim as your identity provider issues it');
    }
    // the API server sees prefix + group: check the subject it will match, not only its parts
    const subject = `${this.groupPrefix}${group}`;
    if (/^system:/i.test(subject)) {
      invalid(this, 'group', subject,
        `is the subject the RoleBinding would name (groupPrefix ${JSON.stringify(this.groupPrefix)} + group ${JSON.stringify(group)}), and it is a 'system:' group that Kubernetes gives to users and ServiceAccounts it authenticates itself`,
        'use your identity provider\'s group claim with the API server\'s --oidc-groups-prefix');
    }
    const set = this.groups.get(level) ?? new Set<string>();
    set.add(subject);
    this.groups.set(level, set);
    const existing = this.bindings.get(level);
    if (existing) return existing;

    const graph = IntentGraph.of(this);
    const namespace = this.zeroTrustNamespace.namespaceName;
    const name = `zero-trust-${level}`;
    const metadata = { name, namespace, labels: { ...MANAGED_BY } };
    const idPrefix = level === AccessLevel.READ_ONLY ? 'ReadOnly' : 'Deployer';
    let at = graph._placement(Layer.IDENTITY, this, `${namespace}-access`, `${idPrefix}Role`);
    new k8s.KubeRole(at.scope, at.id, { metadata, rules: level === AccessLevel.READ_ONLY ? READ_ONLY_RULES : DEPLOYER_RULES });
    at = graph._placement(Layer.IDENTITY, this, `${namespace}-access`, `${idPrefix}RoleBinding`);
    const binding = new k8s.KubeRoleBinding(at.scope, at.id, {
      metadata,
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: Lazy.any({ produce: () => this.groupsWith(level).map(g => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: g })) }),
    });
    this.bindings.set(level, binding);
    return binding;
  }
}
