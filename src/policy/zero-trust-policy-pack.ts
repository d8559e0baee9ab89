import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { CHECKS, CheckDefinition, ZERO_TRUST_LIB, celValidations, celVariablesOf } from './_checks';
import { Constraint, EnforcementAction } from './constraint';
import { ConstraintTemplate, RegoVersion } from './constraint-template';
import { FailureAction, KyvernoPolicy } from './kyverno-policy';
import * as gkconfig from '../imports/gatekeeper-config';
import { MANAGED_BY } from '../intent/_labels';
import { podTemplatesOf } from '../intent/_pod-templates';
import { checkDns1123Label, invalid, sortedUnique } from '../intent/_validation';
import { IntentGraph, Layer } from '../intent/intent-graph';
import { Privilege } from '../intent/privileged-workload';

/**
 * The admission controller that enforces the pack.
 */
export enum PolicyEngine {
  /** OPA Gatekeeper 3.23: ConstraintTemplates (CEL and Rego) and constraints. */
  GATEKEEPER = 'gatekeeper',
  /** Kyverno 1.19: ClusterPolicies with CEL validate rules and a generate rule. */
  KYVERNO = 'kyverno',
}

/**
 * How violations are handled: the stages of a rollout.
 */
export enum PolicyMode {
  /** Admit, report in audit (Gatekeeper `dryrun`, Kyverno `Audit`). */
  AUDIT = 'audit',
  /** Admit with a warning to the client, report in audit (Gatekeeper `warn`, Kyverno `Audit` with `emitWarning`). */
  WARN = 'warn',
  /** Reject (Gatekeeper `deny`, Kyverno `Enforce`). */
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
   * starts there without one, `K8sIstioDefaultDenyAuthz` on synced data; Kyverno: a generate
   * rule creates and keeps it).
   *
   * Why: deny by default; only what is declared is reachable.
   */
  DEFAULT_DENY_AUTHORIZATION = 'default-deny-authorization',
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

/**
 * Properties of a ZeroTrustPolicyPack.
 */
export interface ZeroTrustPolicyPackProps {
  /** The admission controller. */
  readonly engine: PolicyEngine;

  /**
   * Image prefixes pods may use, each ending with `/` (for example `ghcr.io/acme/`), so that a
   * prefix never admits a look-alike repository (`ghcr.io/acme-evil/`).
   */
  readonly allowedRegistries: string[];

  /**
   * How violations are handled, for every policy without an entry in `policyModes`.
   *
   * @default PolicyMode.AUDIT
   */
  readonly mode?: PolicyMode;

  /**
   * Per-policy modes (keys: `ZeroTrustPolicy` values), overriding `mode`.
   *
   * @default - every policy in `mode`
   */
  readonly policyModes?: { [policy: string]: PolicyMode };

  /**
   * Namespaces the pack does not police. The default is the namespaces whose pods the
   * cluster's own distribution and the policy engine run, which this library can neither
   * describe workload by workload nor fix when blocked: `kube-system` (kube-proxy, CNI and CSI
   * node plugins use the host network and host paths by design) and the engine's namespace (an
   * admission controller that blocks its own pods cannot recover). Components this library
   * deploys are never excluded this way: they declare their privileges and are exempted
   * workload by workload.
   *
   * @default ['kube-system', engineNamespace]
   */
  readonly systemNamespaces?: string[];

  /**
   * The namespace the policy engine runs in (Gatekeeper's `Config` lives there).
   *
   * @default 'gatekeeper-system' for Gatekeeper, 'kyverno' for Kyverno
   */
  readonly engineNamespace?: string;

  /**
   * Workloads exempted by the user, each with a reason. Privileged workloads declared with
   * `IntentGraph.declarePrivilegedWorkload()` are exempted automatically.
   *
   * @default - none
   */
  readonly exemptions?: PolicyExemptionOptions[];

  /**
   * Image tags that are never allowed (an image without a tag or digest is rejected too).
   *
   * @default ['latest']
   */
  readonly disallowedTags?: string[];

  /**
   * Gatekeeper only: whether to define Gatekeeper's `Config` (`gatekeeper-system/config`) that
   * syncs Namespaces and AuthorizationPolicies, which the default-deny check reads. Turn it off
   * when you manage that singleton yourself, and sync both kinds there.
   *
   * @default true
   */
  readonly gatekeeperConfig?: boolean;

  /**
   * Whether the image repositories of every workload this app synthesizes (Deployments,
   * StatefulSets, DaemonSets, Jobs, CronJobs, Pods; read at synthesis time) are allowed too, each
   * exactly (`<repository>:` or `<repository>@`, never its whole registry). Use it when the app
   * deploys the platform's own components, whose images are trusted by construction.
   *
   * @default false
   */
  readonly allowAppImages?: boolean;

  /**
   * Image prefixes of the containers mutating webhooks inject into pods before validating
   * admission sees them, which must therefore be allowed: Istio's sidecar (`istio-proxy`, and
   * with the CNI plugin the `istio-validation` init container) in every pod of a sidecar
   * namespace; add the Vault agent's (`hashicorp/vault:`, the injector's default image) when
   * pods use the Vault agent injector. Same form as `allowedRegistries`, or a whole repository
   * ending with `:`. Set `[]` when nothing is injected.
   *
   * @default ['docker.io/istio/proxyv2:'] (Istio's default `global.hub` and proxy image)
   */
  readonly injectedImages?: string[];
}

const POD_KIND = { apiGroups: [''], kinds: ['Pod'] };
/** The images the Vault agent injector adds to a pod whose template pins them. */
function injectedImagesOf(annotations: { [key: string]: string }): string[] {
  const vaultAgent = annotations['vault.hashicorp.com/agent-inject'] === 'true' ? annotations['vault.hashicorp.com/agent-image'] : undefined;
  return vaultAgent ? [vaultAgent] : [];
}
const PEER_AUTHN_KIND = { apiGroups: ['security.istio.io'], kinds: ['PeerAuthentication'] };
const ENFORCEMENT: Record<PolicyMode, EnforcementAction> = {
  [PolicyMode.AUDIT]: EnforcementAction.DRYRUN,
  [PolicyMode.WARN]: EnforcementAction.WARN,
  [PolicyMode.ENFORCE]: EnforcementAction.DENY,
};
const NOT_POD_POLICIES: string[] = [ZeroTrustPolicy.STRICT_MTLS];
/** The pack of each engine in each app (its templates and policies are cluster-wide names). */
const PACKS = new WeakMap<object, Map<PolicyEngine, ZeroTrustPolicyPack>>();
const GENERATED_POLICY_NAME = 'zero-trust-allow-nothing';

/** Which policies each declared privilege needs an exemption from. */
const PRIVILEGE_POLICIES: Record<Privilege, ZeroTrustPolicy[]> = {
  // the API server rejects allowPrivilegeEscalation: false together with privileged: true
  [Privilege.PRIVILEGED_CONTAINER]: [ZeroTrustPolicy.PRIVILEGED_CONTAINERS, ZeroTrustPolicy.PRIVILEGE_ESCALATION],
  [Privilege.PRIVILEGE_ESCALATION]: [ZeroTrustPolicy.PRIVILEGE_ESCALATION],
  [Privilege.RUN_AS_ROOT]: [ZeroTrustPolicy.RUN_AS_NON_ROOT],
  [Privilege.WRITABLE_ROOT_FILESYSTEM]: [ZeroTrustPolicy.READ_ONLY_ROOT_FILESYSTEM],
  [Privilege.HOST_PID]: [ZeroTrustPolicy.HOST_NAMESPACES],
  [Privilege.HOST_IPC]: [ZeroTrustPolicy.HOST_NAMESPACES],
  [Privilege.HOST_NETWORK]: [ZeroTrustPolicy.HOST_NAMESPACES],
  [Privilege.HOST_PATH]: [ZeroTrustPolicy.HOST_FILESYSTEM],
  // the pack has no capabilities check (Pod Security `restricted` enforces drop ALL)
  [Privilege.ADDED_CAPABILITIES]: [],
};
const PRIVILEGE_HOST_NAMESPACE: Partial<Record<Privilege, HostNamespace>> = {
  [Privilege.HOST_PID]: HostNamespace.HOST_PID,
  [Privilege.HOST_IPC]: HostNamespace.HOST_IPC,
  [Privilege.HOST_NETWORK]: HostNamespace.HOST_NETWORK,
};

/**
 * Defines the zero-trust admission policy pack for Gatekeeper or Kyverno: the baseline every
 * workload of the cluster must meet, including what other teams deploy by hand.
 *
 * Policies (`ZeroTrustPolicy`): STRICT mTLS on every PeerAuthentication; no privileged
 * containers; no privilege escalation; non-root; CPU and memory requests and limits; images from
 * the allowed registries only; no `latest` (or missing) tag; no host PID, IPC or network; no
 * hostPath volumes; read-only root filesystems; a dedicated ServiceAccount; and an allow-nothing
 * AuthorizationPolicy in every mesh-enrolled namespace.
 *
 * With Gatekeeper it synthesizes one ConstraintTemplate per check (gatekeeper-library kinds and
 * parameters where the library has the check, with the CEL `K8sNativeValidation` source
 * Gatekeeper 3.18+ evaluates and Rego v0 for engines without CEL), one constraint per check, and
 * the `Config` that syncs Namespaces and AuthorizationPolicies for the referential default-deny
 * check. With Kyverno it synthesizes one ClusterPolicy per policy with `validate.cel` rules (the
 * same CEL), each with its own `failureAction`, and (in ENFORCE mode for that policy: it changes
 * traffic) a generate rule that creates and keeps an allow-nothing AuthorizationPolicy in every
 * enrolled namespace.
 *
 * Exemptions are exact: each workload declared with `IntentGraph.declarePrivilegedWorkload()`
 * (read at synthesis time) is exempted, by namespace and pod labels (and containers), from the
 * checks matching its declared privileges only — host namespaces and host paths by name. Users
 * add their own with `addExemption()` and a reason. Nothing exempts a namespace or the cluster,
 * except the `systemNamespaces` the pack does not police at all.
 *
 * Roll out with `mode`: AUDIT, then WARN, then ENFORCE; `policyModes` overrides single policies.
 */
export class ZeroTrustPolicyPack extends Construct {
  /** The engine. */
  public readonly engine: PolicyEngine;
  /** The default mode. */
  public readonly mode: PolicyMode;
  /** The allowed image prefixes. */
  public readonly allowedRegistries: string[];
  /** Namespaces the pack does not police. */
  public readonly systemNamespaces: string[];
  /** The namespace of the policy engine. */
  public readonly engineNamespace: string;
  /** Gatekeeper: the ConstraintTemplates (empty for Kyverno). */
  public readonly templates: ConstraintTemplate[] = [];
  /** Gatekeeper: the constraints (empty for Kyverno). */
  public readonly constraints: Constraint[] = [];
  /** Kyverno: the ClusterPolicies (empty for Gatekeeper). */
  public readonly kyvernoPolicies: KyvernoPolicy[] = [];

  private readonly policyModes: Map<string, PolicyMode>;
  private readonly userExemptions: PolicyExemption[] = [];
  private readonly disallowedTags: string[];
  private readonly allowAppImages: boolean;
  private readonly injectedImages: string[];

  public constructor(scope: Construct, id: string, props: ZeroTrustPolicyPackProps) {
    super(scope, id);
    if (!props || typeof props !== 'object') {
      invalid(this, 'props', props, 'must be an object with at least engine and allowedRegistries');
    }
    this.engine = props.engine;
    if (!Object.values(PolicyEngine).includes(this.engine)) {
      invalid(this, 'engine', this.engine, `must be one of ${Object.values(PolicyEngine).join(', ')}`);
    }
    const packs = PACKS.get(this.node.root) ?? new Map<PolicyEngine, ZeroTrustPolicyPack>();
    const existing = packs.get(this.engine);
    if (existing) {
      invalid(this, 'engine', this.engine, `${existing.node.path} already defines the ${this.engine} pack of this app, and its ConstraintTemplates, constraints and ClusterPolicies are cluster-wide names`,
        'define one pack per engine and stage single policies with policyModes');
    }
    packs.set(this.engine, this);
    PACKS.set(this.node.root, packs);
    this.mode = this.checkMode('mode', props.mode ?? PolicyMode.AUDIT);
    this.policyModes = new Map();
    for (const [policy, mode] of Object.entries(props.policyModes ?? {})) {
      if (!Object.values(ZeroTrustPolicy).includes(policy as ZeroTrustPolicy)) {
        invalid(this, 'policyModes', policy, `keys must be policies of the pack: ${Object.values(ZeroTrustPolicy).join(', ')}`);
      }
      this.policyModes.set(policy, this.checkMode(`policyModes.${policy}`, mode));
    }
    this.allowedRegistries = this.checkRegistries(props.allowedRegistries);
    this.allowAppImages = props.allowAppImages ?? false;
    this.injectedImages = sortedUnique(props.injectedImages ?? ['docker.io/istio/proxyv2:']);
    for (const image of this.injectedImages) {
      if (typeof image !== 'string' || !/^[a-z0-9][a-z0-9.:-]*(\/[a-z0-9._-]+)+[/:@]$/.test(image)) {
        invalid(this, 'injectedImages', image, 'each entry must be a registry path ending with \'/\', or a repository ending with \':\' or \'@\'', 'for example \'docker.io/istio/proxyv2:\'');
      }
    }
    this.disallowedTags = sortedUnique(props.disallowedTags ?? ['latest']);
    if (this.disallowedTags.length === 0 || this.disallowedTags.some(t => typeof t !== 'string' || !/^[\w][\w.-]{0,127}$/.test(t))) {
      invalid(this, 'disallowedTags', props.disallowedTags, 'must list at least one image tag (letters, digits, \'_\', \'.\', \'-\')');
    }
    this.engineNamespace = checkDns1123Label(this, 'engineNamespace',
      props.engineNamespace ?? (this.engine === PolicyEngine.GATEKEEPER ? 'gatekeeper-system' : 'kyverno'));
    this.systemNamespaces = sortedUnique(props.systemNamespaces ?? ['kube-system', this.engineNamespace]);
    for (const ns of this.systemNamespaces) checkDns1123Label(this, 'systemNamespaces', ns);
    for (const e of props.exemptions ?? []) this.addExemption(e);

    if (this.engine === PolicyEngine.GATEKEEPER) {
      this.renderGatekeeper(props.gatekeeperConfig ?? true);
    } else {
      this.renderKyverno();
    }
  }

  /**
   * Exempts one workload from some policies, with a reason. The exemption applies to pods in
   * `namespace` whose labels include every `podLabels` entry, and (for container checks) only to
   * `containers` when given.
   *
   * @returns the exemption in effect
   */
  public addExemption(options: PolicyExemptionOptions): PolicyExemption {
    const exemption = this.checkExemption(options);
    this.userExemptions.push(exemption);
    return exemption;
  }

  /**
   * Every exemption in effect: the declared privileged workloads of the app's intent graph (read
   * now; the pack reads them again at synthesis time) and the user's.
   */
  public get exemptions(): PolicyExemption[] {
    const derived = IntentGraph.of(this).privilegedWorkloads.map(w => {
      const policies = sortedUnique(w.privileges.flatMap(p => PRIVILEGE_POLICIES[p]));
      const hostNamespaces = sortedUnique(w.privileges.map(p => PRIVILEGE_HOST_NAMESPACE[p]).filter((h): h is HostNamespace => h !== undefined));
      return {
        namespace: w.namespace,
        podLabels: { ...w.podLabels },
        policies,
        containers: [...w.containers],
        hostNamespaces,
        hostPaths: [...w.hostPaths],
        reason: `${w.kind} ${w.name}: ${w.reason}`,
        source: w.owner.node.path,
      };
    }).filter(e => e.policies.length > 0);
    return [...derived, ...this.userExemptions];
  }

  /** The mode of `policy`: its override, or the pack's mode. */
  public modeOf(policy: ZeroTrustPolicy): PolicyMode {
    return this.policyModes.get(policy) ?? this.mode;
  }

  /** The static parameters of a check (before exemptions). */
  private parametersOf(check: CheckDefinition): { [name: string]: any } {
    switch (check.kind) {
      case 'K8sPSPAllowedUsers': return { runAsUser: { rule: 'MustRunAsNonRoot' } };
      case 'K8sRequiredResources': return { limits: ['cpu', 'memory'], requests: ['cpu', 'memory'] };
      case 'K8sAllowedRepos': return { repos: this.staticRepos() };
      case 'K8sDisallowedTags': return { tags: [...this.disallowedTags] };
      case 'K8sPSPHostNetworkingPorts': return { hostNetwork: false };
      case 'K8sPSPHostFilesystem': return { allowedHostPaths: [] };
      default: return {};
    }
  }

  /** Parameters known only at synthesis time: exemptions, and the app's image repositories. */
  private lazyParametersOf(check: CheckDefinition): { [name: string]: any } {
    const exempt = check.parameters.exemptWorkloads ? this.exemptWorkloadsOf(check) : [];
    return {
      ...(exempt.length ? { exemptWorkloads: exempt } : {}),
      ...(check.kind === 'K8sAllowedRepos' && this.allowAppImages ? { repos: sortedUnique([...this.staticRepos(), ...this.appImageRepositories()]) } : {}),
    };
  }

  /** The allowed registries and the injected images. */
  private staticRepos(): string[] {
    return sortedUnique([...this.allowedRegistries, ...this.injectedImages]);
  }

  /** `<repository>:` / `<repository>@` of every container image of the app's workloads. */
  private appImageRepositories(): string[] {
    const prefixes: string[] = [];
    for (const { metadata, spec } of podTemplatesOf(this.node.root)) {
      // images a mutating webhook injects as the pod template pins them (the Vault agent)
      const injected = injectedImagesOf(metadata.annotations ?? {});
      for (const image of [...(spec.containers ?? []), ...(spec.initContainers ?? [])].map((x: any) => x.image ?? '').concat(injected)) {
        const digest = image.indexOf('@');
        const tag = image.lastIndexOf(':') > image.lastIndexOf('/') ? image.lastIndexOf(':') : -1;
        const end = digest >= 0 ? digest : tag;
        if (end > 0) prefixes.push(image.slice(0, end + 1));
      }
    }
    // what an allowed registry already admits is not listed again
    return sortedUnique(prefixes).filter(p => !this.staticRepos().some(r => p.startsWith(r)));
  }

  /** The `exemptWorkloads` parameter of a check, from the exemptions in effect at synthesis. */
  private exemptWorkloadsOf(check: CheckDefinition): any[] {
    return this.exemptions.filter(e => e.policies.includes(check.policy as ZeroTrustPolicy)).map(e => {
      const allowed = check.policy === ZeroTrustPolicy.HOST_NAMESPACES ? e.hostNamespaces ?? []
        : check.policy === ZeroTrustPolicy.HOST_FILESYSTEM ? e.hostPaths ?? [] : [];
      return {
        namespace: e.namespace,
        podLabels: { ...e.podLabels },
        ...(e.containers?.length ? { containers: [...e.containers] } : {}),
        ...(allowed.length ? { allowed: [...allowed] } : {}),
        reason: `${e.reason} (${e.source})`,
      };
    });
  }

  private place(layer: Layer, id: string): { scope: Construct; id: string } {
    return IntentGraph.of(this)._placement(layer, this, this.node.id, id);
  }

  private renderGatekeeper(config: boolean): void {
    if (config) {
      const at = this.place(Layer.POLICY_TEMPLATES, 'GatekeeperConfig');
      new gkconfig.Config(at.scope, at.id, {
        metadata: { name: 'config', namespace: this.engineNamespace, labels: { ...MANAGED_BY } },
        spec: {
          sync: {
            syncOnly: [
              { group: '', version: 'v1', kind: 'Namespace' },
              { group: 'security.istio.io', version: 'v1', kind: 'AuthorizationPolicy' },
            ],
          },
        },
      });
    }
    for (const check of CHECKS) {
      const t = this.place(Layer.POLICY_TEMPLATES, check.kind);
      const template = new ConstraintTemplate(t.scope, t.id, {
        kind: check.kind,
        description: check.description,
        rego: check.rego,
        regoVersion: RegoVersion.V0,
        libs: check.usesLib ? [ZERO_TRUST_LIB] : undefined,
        parameters: check.parameters,
        celVariables: check.cel ? celVariablesOf(check) : undefined,
        celValidations: check.cel ? celValidations(check.skipUpdate) : undefined,
      });
      this.templates.push(template);
      const c = this.place(Layer.POLICY, `Constraint-${check.id}`);
      const constraint = new Constraint(c.scope, c.id, {
        template,
        name: `zero-trust-${check.id}`,
        enforcementAction: ENFORCEMENT[this.modeOf(check.policy as ZeroTrustPolicy)],
        match: {
          kinds: [check.target === 'pod' ? POD_KIND : PEER_AUTHN_KIND],
          ...(this.systemNamespaces.length ? { excludedNamespaces: this.systemNamespaces } : {}),
        },
        parameters: this.parametersOf(check),
      });
      constraint._addLazyParameters(() => this.lazyParametersOf(check));
      this.constraints.push(constraint);
    }
  }

  private renderKyverno(): void {
    const byPolicy = new Map<string, CheckDefinition[]>();
    for (const check of CHECKS) byPolicy.set(check.policy, [...(byPolicy.get(check.policy) ?? []), check]);
    for (const [policy, checks] of byPolicy) {
      const mode = this.modeOf(policy as ZeroTrustPolicy);
      // the generate rule creates policies, which changes traffic: that is enforcing, never auditing
      if (checks.every(c => !c.cel) && mode !== PolicyMode.ENFORCE) continue;
      const at = this.place(Layer.POLICY, `ClusterPolicy-${policy}`);
      const kp = new KyvernoPolicy(at.scope, at.id, {
        name: `zero-trust-${policy}`,
        description: checks.map(c => c.description).join(' '),
        emitWarning: mode === PolicyMode.WARN,
      });
      for (const check of checks) {
        if (!check.cel) {
          this.addDefaultDenyGenerateRule(kp, check);
          continue;
        }
        const target = check.target === 'pod' ? 'Pod' : 'security.istio.io/*/PeerAuthentication';
        kp._addCelRule({
          name: check.id,
          // the object is checked when it is created or changed (never on DELETE: object is null)
          match: [{ kinds: [target], operations: ['CREATE', 'UPDATE'] }],
          exclude: this.systemNamespaces.length ? [{ kinds: [target], namespaces: this.systemNamespaces }] : [],
          variables: celVariablesOf(check),
          expressions: celValidations(check.skipUpdate),
          failureAction: mode === PolicyMode.ENFORCE ? FailureAction.ENFORCE : FailureAction.AUDIT,
        }, () => {
          const params = {
            ...this.parametersOf(check),
            ...(check.parameters.exemptWorkloads ? { exemptWorkloads: [] } : {}),
            ...this.lazyParametersOf(check),
          };
          // the same variables Gatekeeper defines for K8sNativeValidation, so the same CEL runs
          return [{ name: 'anyObject', expression: 'object' }, { name: 'params', expression: celLiteral(params) }];
        });
      }
      this.kyvernoPolicies.push(kp);
    }
  }

  /**
   * Kyverno cannot see other objects from a CEL rule; instead of checking that the allow-nothing
   * AuthorizationPolicy exists, it creates it in every enrolled namespace and keeps it there
   * (`synchronize`: a deleted or edited copy is restored). Creating it changes traffic, so the
   * rule exists in ENFORCE mode only: in AUDIT and WARN the Kyverno pack has no default-deny
   * policy (Gatekeeper audits it).
   */
  private addDefaultDenyGenerateRule(kp: KyvernoPolicy, check: CheckDefinition): void {
    kp.addGenerateRule({
      name: check.id,
      match: [
        { kinds: ['Namespace'], matchLabels: { 'istio-injection': 'enabled' } },
        { kinds: ['Namespace'], labelKeys: ['istio.io/rev'] },
        { kinds: ['Namespace'], matchLabels: { 'istio.io/dataplane-mode': 'ambient' } },
      ],
      exclude: this.systemNamespaces.length ? [{ kinds: ['Namespace'], names: this.systemNamespaces }] : [],
      apiVersion: 'security.istio.io/v1',
      kind: 'AuthorizationPolicy',
      generatedName: GENERATED_POLICY_NAME,
      generatedNamespace: '{{request.object.metadata.name}}',
      // ALLOW (the default action) with no rules matches nothing: nothing is allowed until an
      // ALLOW policy of the workload says so. Never action DENY, which would override every ALLOW.
      data: { metadata: { labels: { ...MANAGED_BY } }, spec: {} },
    });
    // Kyverno's background controller creates the policies: grant it that, and nothing more
    const at = this.place(Layer.POLICY, 'KyvernoGenerateRbac');
    new k8s.KubeClusterRole(at.scope, at.id, {
      metadata: {
        name: 'kyverno:zero-trust-generate-authorizationpolicies',
        labels: { ...MANAGED_BY, 'rbac.kyverno.io/aggregate-to-background-controller': 'true' },
      },
      rules: [{
        apiGroups: ['security.istio.io'],
        resources: ['authorizationpolicies'],
        verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
      }],
    });
  }

  private checkMode(prop: string, mode: PolicyMode): PolicyMode {
    if (!Object.values(PolicyMode).includes(mode)) {
      invalid(this, prop, mode, `must be one of ${Object.values(PolicyMode).join(', ')}`, 'roll out with audit, then warn, then enforce');
    }
    return mode;
  }

  private checkRegistries(registries: string[]): string[] {
    if (!Array.isArray(registries) || registries.length === 0) {
      invalid(this, 'allowedRegistries', registries, 'must list at least one image prefix ending with \'/\'', 'for example [\'ghcr.io/acme/\']');
    }
    for (const r of registries) {
      if (typeof r !== 'string' || !/^[a-z0-9][a-z0-9.:-]*(\/[a-z0-9._-]+)*\/$/.test(r)) {
        invalid(this, 'allowedRegistries', r, 'each entry must be a registry (and path) ending with \'/\', without wildcards, so that a prefix never admits a look-alike (\'ghcr.io/acme\' admits \'ghcr.io/acme-evil/x\')',
          `write '${typeof r === 'string' ? r.replace(/\*+$/, '').replace(/\/?$/, '/') : 'registry.example/'}'`);
      }
    }
    return sortedUnique(registries);
  }

  private checkExemption(o: PolicyExemptionOptions): PolicyExemption {
    if (!o || typeof o !== 'object') invalid(this, 'exemption', o, 'must be an object with namespace, podLabels, policies and reason');
    if (typeof o.reason !== 'string' || o.reason.trim().length < 10) {
      invalid(this, 'exemption.reason', o.reason, 'must say why the workload needs the exemption (at least 10 characters)', 'an exemption without a reason cannot be reviewed');
    }
    checkDns1123Label(this, 'exemption.namespace', o.namespace);
    if (!o.podLabels || typeof o.podLabels !== 'object' || Object.keys(o.podLabels).length === 0) {
      invalid(this, 'exemption.podLabels', o.podLabels, 'must select the workload\'s pods with at least one label', 'an exemption without a selector would cover every pod of the namespace');
    }
    const policies = sortedUnique(o.policies ?? []);
    if (policies.length === 0) invalid(this, 'exemption.policies', o.policies, 'must list at least one ZeroTrustPolicy');
    for (const p of policies) {
      if (!Object.values(ZeroTrustPolicy).includes(p)) invalid(this, 'exemption.policies', p, `must be one of ${Object.values(ZeroTrustPolicy).join(', ')}`);
      if (NOT_POD_POLICIES.includes(p)) invalid(this, 'exemption.policies', p, 'applies to PeerAuthentications, not to pods: a workload cannot be exempted from it');
    }
    const hostNamespaces = sortedUnique(o.hostNamespaces ?? []);
    if (policies.includes(ZeroTrustPolicy.HOST_NAMESPACES) !== (hostNamespaces.length > 0)) {
      invalid(this, 'exemption.hostNamespaces', o.hostNamespaces, 'must list the host namespaces exactly when ZeroTrustPolicy.HOST_NAMESPACES is exempted');
    }
    for (const h of hostNamespaces) {
      if (!Object.values(HostNamespace).includes(h)) invalid(this, 'exemption.hostNamespaces', h, `must be one of ${Object.values(HostNamespace).join(', ')}`);
    }
    const hostPaths = sortedUnique(o.hostPaths ?? []);
    if (policies.includes(ZeroTrustPolicy.HOST_FILESYSTEM) !== (hostPaths.length > 0)) {
      invalid(this, 'exemption.hostPaths', o.hostPaths, 'must list the host paths exactly when ZeroTrustPolicy.HOST_FILESYSTEM is exempted');
    }
    if (hostPaths.some(p => typeof p !== 'string' || !p.startsWith('/'))) invalid(this, 'exemption.hostPaths', o.hostPaths, 'must be absolute paths');
    return {
      namespace: o.namespace,
      podLabels: { ...o.podLabels },
      policies,
      containers: sortedUnique(o.containers ?? []),
      hostNamespaces,
      hostPaths,
      reason: o.reason.trim(),
      source: this.node.path,
    };
  }
}

/**
 * A JSON value as a CEL literal (maps, lists, strings, numbers, booleans). Kubernetes compiles CEL
 * with homogeneous aggregate literals, so every map value and list element is wrapped in `dyn()`.
 */
function celLiteral(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(v => `dyn(${celLiteral(v)})`).join(', ')}]`;
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'object') {
    return `{${Object.keys(value as object).sort().map(k => `${JSON.stringify(k)}: dyn(${celLiteral((value as any)[k])})`).join(', ')}}`;
  }
  if (typeof value === 'number' && !Number.isInteger(value)) return `${value}`;
  return JSON.stringify(value);
}
