import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { CheckDefinition } from './_check';
import { CHECKS } from './_checks';
import { POD_SECURITY_POLICIES, checkExemption, exemptionOf } from './_exemptions';
import { renderGatekeeper } from './_gatekeeper-pack';
import { renderKubernetes } from './_kubernetes-pack';
import { renderKyverno } from './_kyverno-pack';
import { checkObjectName, PackView } from './_pack-view';
import { addPolicyTestSuites } from './_policy-test-suites';
import { Constraint } from './constraint';
import { ConstraintTemplate } from './constraint-template';
import { PolicyEngine, PolicyExemption, PolicyExemptionOptions, PolicyMode, ZeroTrustPolicy } from './policy-options';
import { guardArgs, guardProps } from '../intent/_guards';
import { podTemplatesOf } from '../intent/_pod-templates';
import { checkDns1123Label, invalid, sortedUnique } from '../intent/_validation';
import { IntentGraph, Layer } from '../intent/intent-graph';
import { PlatformComponents } from '../platform/platform-components';

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
   * The namespace the policy engine runs in (Gatekeeper's `Config` lives there; with
   * `PolicyEngine.KUBERNETES` the ConfigMaps that hold the policies' parameters).
   *
   * @default 'gatekeeper-system' for Gatekeeper, 'kyverno' for Kyverno, 'kube-system' for Kubernetes (the parameter ConfigMaps go there)
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
   * ending with `:` (which admits the repository pinned by digest, `<repository>@sha256:...`,
   * too). Set `[]` when nothing is injected. The images of the platform components declared with
   * `PlatformComponents` are admitted exactly, without being listed here.
   *
   * @default ['docker.io/istio/proxyv2:'] (Istio's default `global.hub` and proxy image)
   */
  readonly injectedImages?: string[];

  /**
   * Whether to write, next to the manifests (`OutputFile`s under `policy-tests/<engine>/`), test
   * suites in the engine's own format: a `gator verify` Suite, a `kyverno test` file, or
   * AdmissionReview cases with expected verdicts for the native engine. Their cases are the
   * pack's samples (each with the checks that reject it) and the app's own Pods,
   * PeerAuthentications and Namespaces (which every check admits).
   *
   * @default true
   */
  readonly testSuites?: boolean;
}

/** The images the Vault agent injector adds to a pod whose template pins them. */
function injectedImagesOf(annotations: { [key: string]: string }): string[] {
  const vaultAgent = annotations['vault.hashicorp.com/agent-inject'] === 'true' ? annotations['vault.hashicorp.com/agent-image'] : undefined;
  return vaultAgent ? [vaultAgent] : [];
}
/** The pack of each engine in each app (its templates and policies are cluster-wide names). */
const ENGINE_NAMESPACE: Record<PolicyEngine, string> = {
  [PolicyEngine.GATEKEEPER]: 'gatekeeper-system',
  [PolicyEngine.KYVERNO]: 'kyverno',
  [PolicyEngine.KUBERNETES]: 'kube-system',
};
const PACKS = new WeakMap<object, Map<PolicyEngine, ZeroTrustPolicyPack>>();

/**
 * Defines the zero-trust admission policy pack for Gatekeeper, Kyverno or Kubernetes' own
 * ValidatingAdmissionPolicy: the baseline every workload of the cluster must meet, including what
 * other teams deploy by hand.
 *
 * Policies (`ZeroTrustPolicy`): STRICT mTLS on every PeerAuthentication; no privileged
 * containers; no privilege escalation; non-root; CPU and memory requests and limits; images from
 * the allowed registries only; no `latest` (or missing) tag; no host PID, IPC or network; no
 * hostPath volumes; read-only root filesystems; a dedicated ServiceAccount; and an allow-nothing
 * AuthorizationPolicy in every mesh-enrolled namespace.
 *
 * Each check is written once, in CEL (and Rego, kept equal, for Gatekeeper without CEL), and
 * rendered to every engine with the same expressions; only the binding of `variables.anyObject`
 * and `variables.params` differs:
 * - Gatekeeper: one ConstraintTemplate per check (gatekeeper-library kinds and parameters where
 *   the library has the check; CEL `K8sNativeValidation` first, Rego v0 second), one constraint
 *   per check, and the `Config` that syncs Namespaces and AuthorizationPolicies for the
 *   referential default-deny check;
 * - Kyverno: one `policies.kyverno.io/v1` ValidatingPolicy per check (parameters as a CEL
 *   literal), and in ENFORCE mode a GeneratingPolicy that creates and keeps an allow-nothing
 *   AuthorizationPolicy in every enrolled namespace (it changes traffic);
 * - Kubernetes: one ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding and parameter
 *   ConfigMap per check; the default-deny check, which reads other objects, has no native form.
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
  /** Kyverno: the ValidatingPolicies and the GeneratingPolicy (empty for the other engines). */
  public readonly kyvernoPolicies: ApiObject[] = [];
  /** Kubernetes: the ValidatingAdmissionPolicies (empty for the other engines). */
  public readonly admissionPolicies: ApiObject[] = [];
  /** Kubernetes: the ValidatingAdmissionPolicyBindings (empty for the other engines). */
  public readonly admissionPolicyBindings: ApiObject[] = [];
  /** Kubernetes: the ConfigMaps holding each policy's parameters (empty for the other engines). */
  public readonly admissionPolicyParameters: ApiObject[] = [];

  private readonly policyModes: Map<string, PolicyMode>;
  private readonly userExemptions: PolicyExemption[] = [];
  private readonly disallowedTags: string[];
  private readonly allowAppImages: boolean;
  private readonly injectedImages: string[];

  public constructor(scope: Construct, id: string, props: ZeroTrustPolicyPackProps) {
    super(scope, id);
    guardProps(this, 'ZeroTrustPolicyPack', props);
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
      invalid(this, 'engine', this.engine, `${existing.node.path} already defines the ${this.engine} pack of this app, and its policies are cluster-wide names`,
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
      props.engineNamespace ?? ENGINE_NAMESPACE[this.engine]);
    this.systemNamespaces = sortedUnique(props.systemNamespaces ?? ['kube-system', this.engineNamespace]);
    for (const ns of this.systemNamespaces) checkDns1123Label(this, 'systemNamespaces', ns);
    for (const e of props.exemptions ?? []) this.addExemption(e);

    const view: PackView = {
      systemNamespaces: this.systemNamespaces,
      engineNamespace: this.engineNamespace,
      modeOf: policy => this.modeOf(policy),
      staticParameters: check => this.parametersOf(check),
      lazyParameters: check => this.lazyParametersOf(check),
      place: (layer, childId) => this.place(layer, childId),
    };
    if (this.engine === PolicyEngine.GATEKEEPER) {
      const { templates, constraints } = renderGatekeeper(view, props.gatekeeperConfig ?? true);
      this.templates.push(...templates);
      this.constraints.push(...constraints);
    } else if (this.engine === PolicyEngine.KYVERNO) {
      this.kyvernoPolicies.push(...renderKyverno(view));
    } else {
      const native = renderKubernetes(view, (what, value, why) => invalid(this, what, value, why));
      this.admissionPolicies.push(...native.policies);
      this.admissionPolicyBindings.push(...native.bindings);
      this.admissionPolicyParameters.push(...native.parameters);
    }
    if (props.testSuites ?? true) {
      const byName = (objects: ApiObject[], check: CheckDefinition) => objects.filter(o => o.name === checkObjectName(check));
      addPolicyTestSuites(this, {
        engine: this.engine,
        folder: this.engine,
        systemNamespaces: this.systemNamespaces,
        registry: this.allowedRegistries[0],
        checks: () => CHECKS.filter(c => this.engine === PolicyEngine.GATEKEEPER || c.cel !== undefined),
        objectsOf: check => {
          switch (this.engine) {
            case PolicyEngine.GATEKEEPER: {
              const i = this.constraints.findIndex(c => c.constraintName === checkObjectName(check));
              return [this.templates[i].resource, this.constraints[i].resource];
            }
            case PolicyEngine.KYVERNO: return byName(this.kyvernoPolicies, check).filter(o => o.kind === 'ValidatingPolicy');
            default: {
              const native = [this.admissionPolicies, this.admissionPolicyBindings, this.admissionPolicyParameters];
              return native.flatMap(objects => byName(objects, check));
            }
          }
        },
      });
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
    guardArgs(this, 'ZeroTrustPolicyPack', 'addExemption', [options]);
    const exemption = checkExemption(this, options);
    this.userExemptions.push(exemption);
    return exemption;
  }

  /**
   * Every exemption in effect: the declared privileged workloads of the app's intent graph (read
   * now; the pack reads them again at synthesis time) and the user's.
   */
  public get exemptions(): PolicyExemption[] {
    const derived = IntentGraph.of(this).privilegedWorkloads.map(exemptionOf);
    return [...derived, ...this.userExemptions];
  }

  /** The mode of `policy`: its override, or the pack's mode. */
  public modeOf(policy: ZeroTrustPolicy): PolicyMode {
    guardArgs(this, 'ZeroTrustPolicyPack', 'modeOf', [policy]);
    return this.policyModes.get(policy) ?? this.mode;
  }

  /** The static parameters of a check (before exemptions). */
  private parametersOf(check: CheckDefinition): { [name: string]: any } {
    switch (check.kind) {
      case 'K8sPSPAllowedUsers': return { runAsUser: { rule: 'MustRunAsNonRoot' } };
      case 'K8sRequiredResources': return { limits: ['cpu', 'memory'], requests: ['cpu', 'memory'] };
      case 'K8sAllowedRepos': return { repos: this.staticRepos() };
      case 'K8sDisallowedTags': return { tags: [...this.disallowedTags] };
      // hostPort 0 is no host port (Pod Security baseline: no host ports)
      case 'K8sPSPHostNetworkingPorts': return { hostNetwork: false, min: 0, max: 0 };
      case 'K8sPSPCapabilities': return { allowedCapabilities: ['NET_BIND_SERVICE'], requiredDropCapabilities: ['ALL'] };
      case 'K8sPSPHostFilesystem': return { allowedHostPaths: [] };
      default: return {};
    }
  }

  /** Parameters known only at synthesis time: exemptions, and the app's image repositories. */
  private lazyParametersOf(check: CheckDefinition): { [name: string]: any } {
    const exempt = check.parameters.exemptWorkloads ? this.exemptWorkloadsOf(check) : [];
    const relaxed = check.parameters.exemptNamespaces
      ? sortedUnique(this.exemptions.filter(e => e.policies.some(p => POD_SECURITY_POLICIES.includes(p))).map(e => e.namespace)) : [];
    return {
      ...(exempt.length ? { exemptWorkloads: exempt } : {}),
      ...(relaxed.length ? { exemptNamespaces: relaxed } : {}),
      ...(check.kind === 'K8sAllowedRepos' ? { repos: this.reposAtSynthesis() } : {}),
    };
  }

  /** The allowed registries and the injected images. */
  private staticRepos(): string[] {
    // a repository ending with ':' also admits the same repository pinned by digest
    const injected = this.injectedImages.flatMap(i => (i.endsWith(':') ? [i, `${i.slice(0, -1)}@`] : [i]));
    return sortedUnique([...this.allowedRegistries, ...injected]);
  }

  /**
   * The allowed image prefixes at synthesis: the static ones, exactly the images of the declared
   * platform components, and (with `allowAppImages`) the app's image repositories.
   */
  private reposAtSynthesis(): string[] {
    const platform = PlatformComponents.of(this).flatMap(c => c.allowedImagePrefixes)
      .filter(p => !this.staticRepos().some(r => p.startsWith(r)));
    return sortedUnique([...this.staticRepos(), ...platform, ...(this.allowAppImages ? this.appImageRepositories() : [])]);
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
        if (end <= 0) {
          // admitted by '<repository>:' or '<repository>@' only: an image without a tag or digest
          // (Docker reads it as ':latest') would be rejected at admission, after a green synth
          invalid(this, 'allowAppImages', image, 'is an image without a tag or digest, which the admission checks (prefix \'<repository>:\' or \'<repository>@\') never admit',
            'pin the image by tag or digest, for example \'ghcr.io/acme/app:1.0.0\'');
        }
        // the admission checks compare prefixes: `<repo>:` of a repository without '/' (an image
        // written as `registry:5000` or `nginx:1.25`) also matches `registry:5000/anything`, a
        // whole other registry. Only a digest (`@`) or a repository with a path is exact
        if (image[end] === ':' && !image.slice(0, end).includes('/')) {
          invalid(this, 'allowAppImages', image,
            'is an image without a repository path, so admitting its repository would admit a whole registry (\'<name>:\' is also the prefix of \'<name>:<port>/...\')',
            'write the image fully qualified (\'docker.io/library/nginx:1.25\', \'registry.example.com:5000/team/app:1.0\') or pin it by digest');
        }
        prefixes.push(image.slice(0, end + 1));
      }
    }
    // what an allowed registry already admits is not listed again
    return sortedUnique(prefixes).filter(p => !this.staticRepos().some(r => p.startsWith(r)));
  }

  /** The `exemptWorkloads` parameter of a check, from the exemptions in effect at synthesis. */
  private exemptWorkloadsOf(check: CheckDefinition): any[] {
    return this.exemptions.filter(e => e.policies.includes(check.policy as ZeroTrustPolicy)).map(e => {
      const allowed = check.policy === ZeroTrustPolicy.HOST_NAMESPACES ? e.hostNamespaces ?? []
        : check.policy === ZeroTrustPolicy.HOST_FILESYSTEM ? e.hostPaths ?? []
          : check.policy === ZeroTrustPolicy.CAPABILITIES ? e.capabilities ?? [] : [];
      return {
        namespace: e.namespace,
        podLabels: Object.entries(e.podLabels).map(([k, v]) => `${k}=${v}`).sort(),
        ...(e.containers?.length ? { containers: [...e.containers] } : {}),
        ...(allowed.length ? { allowed: [...allowed] } : {}),
        reason: `${e.reason} (${e.source})`,
      };
    });
  }

  private place(layer: Layer, id: string): { scope: Construct; id: string } {
    return IntentGraph.of(this)._placement(layer, this, this.node.id, id);
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
}
