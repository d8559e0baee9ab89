import { Lazy, Yaml } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { ConditionError, ConditionRefs, FIELD, IDENTIFIER, parseCondition, parseOutput, unquote } from './_falco-condition';
import { STABLE_RULESET } from './_stable-ruleset';
import { FalcoBaseRuleset } from './falco-base-ruleset';
import { checkDns1123Label, invalid } from '../intent/_validation';
import { IntentGraph, Layer } from '../intent/intent-graph';
import { OutputFile } from '../intent/output-file';
import { Privilege } from '../intent/privileged-workload';

/**
 * A Falco rule priority (the rules file's `priority`).
 */
export enum FalcoPriority {
  /** System is unusable. */
  EMERGENCY = 'EMERGENCY',
  /** Action must be taken immediately. */
  ALERT = 'ALERT',
  /** Critical conditions. */
  CRITICAL = 'CRITICAL',
  /** Error conditions. */
  ERROR = 'ERROR',
  /** Warning conditions. */
  WARNING = 'WARNING',
  /** Normal but significant. */
  NOTICE = 'NOTICE',
  /** Informational. */
  INFORMATIONAL = 'INFORMATIONAL',
  /** Debug. */
  DEBUG = 'DEBUG',
}

/** How an override changes a key of an existing rule, macro or list (Falco ≥0.37). */
export enum FalcoOverrideMode {
  /** Append to the existing value (condition, output, desc, tags, exceptions, list items). */
  APPEND = 'append',
  /** Replace the existing value. */
  REPLACE = 'replace',
}

/**
 * How Falco's driver runs, which decides the privileges of the Falco DaemonSet the chart
 * installs (falcosecurity/charts `falco` 9.x, `driver.kind`).
 */
export enum FalcoDriver {
  /**
   * `auto` (the chart's default: the driver loader picks modern_ebpf on recent kernels, else
   * kmod): a privileged `falco` container and a privileged `falco-driver-loader` init
   * container; mounts `/dev` and `/sys/module` too.
   */
  AUTO = 'auto',
  /** `modern_ebpf` (kernels ≥5.8, BTF): a privileged `falco` container. */
  MODERN_EBPF = 'modern_ebpf',
  /**
   * `modern_ebpf` with `driver.modernEbpf.leastPrivileged: true`: not privileged, but adds the
   * BPF, PERFMON, SYS_RESOURCE and SYS_PTRACE capabilities.
   */
  MODERN_EBPF_LEAST_PRIVILEGED = 'modern_ebpf-least-privileged',
  /** `kmod`: the kernel module, loaded by the privileged driver loader; a privileged `falco` container. */
  KMOD = 'kmod',
}

/**
 * An exception of a rule: events whose `fields` compare (`comps`) to one of the `values`
 * tuples do not fire the rule.
 *
 * @see https://falco.org/docs/rules/exceptions/
 */
export interface FalcoRuleException {
  /** The exception name, unique in the rule. */
  readonly name: string;
  /** The fields compared (for example `['k8s.ns.name', 'proc.name']`). */
  readonly fields: string[];
  /**
   * The comparison operator of each field.
   *
   * @default - `=` for every field
   */
  readonly comps?: string[];
  /**
   * The value tuples: each has one value per field.
   *
   * @default - none (values can be appended later by an override)
   */
  readonly values?: string[][];
}

/**
 * A Falco rule.
 *
 * @see https://falco.org/docs/reference/rules/rule-fields/
 */
export interface FalcoRuleOptions {
  /** The rule name, unique in the loaded rules. */
  readonly name: string;
  /** What the rule detects. */
  readonly desc: string;
  /** The filter condition. */
  readonly condition: string;
  /** The output message, with `%field` placeholders. */
  readonly output: string;
  /** The priority. */
  readonly priority: FalcoPriority;
  /**
   * Tags (for example `mitre_execution`, `T1059`).
   *
   * @default - none
   */
  readonly tags?: string[];
  /**
   * Whether the rule is enabled.
   *
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * Exceptions.
   *
   * @default - none
   */
  readonly exceptions?: FalcoRuleException[];
  /**
   * The event source (`syscall`, `k8s_audit` or a plugin's source). Field names are checked
   * against the syscall field classes only for `syscall`.
   *
   * @default 'syscall'
   */
  readonly source?: string;
  /**
   * Whether Falco warns when the condition does not restrict event types.
   *
   * @default true
   */
  readonly warnEvttypes?: boolean;
  /**
   * Whether the rule is skipped (instead of failing the load) when a field is unknown.
   *
   * @default false
   */
  readonly skipIfUnknownFilter?: boolean;
  /**
   * Whether a capture file is written when the rule fires (Falco ≥0.41 capture feature).
   *
   * @default false
   */
  readonly capture?: boolean;
  /**
   * Capture duration in milliseconds, with `capture`.
   *
   * @default - Falco's configured default
   */
  readonly captureDuration?: number;
}

/** A Falco macro: a named condition fragment. */
export interface FalcoMacroOptions {
  /** The macro name (letters, digits, '_'). */
  readonly name: string;
  /** The condition. */
  readonly condition: string;
}

/** A Falco list: named items for `in`, `intersects` and `pmatch`. */
export interface FalcoListOptions {
  /** The list name (letters, digits, '_'). */
  readonly name: string;
  /**
   * The items; integers (`'443'`) are written as YAML integers, other items as strings.
   * An item that names another list is replaced by its items.
   */
  readonly items: string[];
}

/** A change to a rule defined earlier (in the base ruleset or this set): Falco's `override`. */
export interface FalcoRuleOverrideOptions {
  /** The rule to change. */
  readonly rule: string;
  /**
   * A condition fragment to append (`and not ...`) or a replacement condition.
   *
   * @default - unchanged
   */
  readonly condition?: string;
  /**
   * How `condition` applies.
   *
   * @default FalcoOverrideMode.APPEND
   */
  readonly conditionMode?: FalcoOverrideMode;
  /**
   * Exceptions to append (or replace with).
   *
   * @default - unchanged
   */
  readonly exceptions?: FalcoRuleException[];
  /**
   * How `exceptions` apply.
   *
   * @default FalcoOverrideMode.APPEND
   */
  readonly exceptionsMode?: FalcoOverrideMode;
  /**
   * Tags to append.
   *
   * @default - unchanged
   */
  readonly tags?: string[];
  /**
   * A replacement output.
   *
   * @default - unchanged
   */
  readonly output?: string;
  /**
   * A replacement priority.
   *
   * @default - unchanged
   */
  readonly priority?: FalcoPriority;
  /**
   * Enables or disables the rule.
   *
   * @default - unchanged
   */
  readonly enabled?: boolean;
}

/** An alternative plugin that satisfies a requirement. */
export interface FalcoPluginAlternative {
  /** The plugin name. */
  readonly name: string;
  /** The minimum version (semver). */
  readonly version: string;
}

/** A plugin the rules need (`required_plugin_versions`). */
export interface FalcoPluginRequirement {
  /** The plugin name, for example `container`. */
  readonly name: string;
  /** The minimum version (semver). */
  readonly version: string;
  /**
   * Plugins that may be loaded instead.
   *
   * @default - none
   */
  readonly alternatives?: FalcoPluginAlternative[];
}

/**
 * Properties of a FalcoRuleSet.
 */
export interface FalcoRuleSetProps {
  /**
   * The rules file name: the key of the chart's `customRules` and of the ConfigMap, loaded
   * from `/etc/falco/rules.d/<fileName>` after the stable `falco_rules.yaml`.
   *
   * @default 'zero-trust-rules.yaml'
   */
  readonly fileName?: string;
  /**
   * The rules Falco loads before this set: references to macros, lists and rules outside the
   * set must be defined there.
   *
   * @default FalcoBaseRuleset.STABLE
   */
  readonly baseRuleset?: FalcoBaseRuleset;
  /**
   * `required_engine_version` (semver).
   *
   * @default - the stable ruleset's ('0.57.0')
   */
  readonly requiredEngineVersion?: string;
  /**
   * `required_plugin_versions`.
   *
   * @default - the container plugin (0.4.0, as the stable ruleset) when a condition or output
   * uses `container.*` or `k8s.*` fields, else none
   */
  readonly requiredPluginVersions?: FalcoPluginRequirement[];
  /**
   * The namespace of the Falco chart installation.
   *
   * @default 'falco'
   */
  readonly namespace?: string;
  /**
   * The Helm release name (the chart's ConfigMap is `<releaseName>-rules` when the release
   * name contains the chart name `falco`, as `falco` does).
   *
   * @default 'falco'
   */
  readonly releaseName?: string;
  /**
   * Where the Helm values (`customRules`, metrics) are written, relative to the output directory.
   *
   * @default 'helm/falco-values.yaml'
   */
  readonly helmValuesPath?: string;
  /**
   * The driver the Falco chart is installed with, which decides the privileges declared for
   * the Falco DaemonSet.
   *
   * @default FalcoDriver.AUTO (the chart's default)
   */
  readonly driver?: FalcoDriver;
  /**
   * Whether a bare snake_case item of an `in`/`intersects`/`pmatch` list on a string field
   * must be a defined list. Falco compares an undefined list name as the literal string, so a
   * typo or a missing list silently disables the check; with this on, literal values of that
   * shape must be quoted (`proc.name in ("my_proc")`). Turn it off only for rules written for
   * another engine (the stable ruleset itself has four such bare literals).
   *
   * @default true
   */
  readonly strictListNames?: boolean;
}

const PRIORITIES = Object.values(FalcoPriority) as string[];
/** The FalcoRuleSets of each Falco release (`<namespace>/<release>`), per app. */
const RELEASES = new WeakMap<object, Map<string, FalcoRuleSet[]>>();
const SEMVER = /^\d+\.\d+\.\d+$/;
/** Field classes of the syscall source (libsinsp and the container/k8smeta plugins). */
const SYSCALL_FIELD_CLASSES = ['evt', 'evtin', 'proc', 'thread', 'user', 'group', 'fd', 'fdlist', 'fs', 'syscall', 'span', 'container', 'k8s', 'k8smeta'];
const PORT_FIELDS = ['fd.port', 'fd.sport', 'fd.dport', 'fd.cport', 'fd.lport', 'fd.rport'];
const NUMERIC_FIELDS = [...PORT_FIELDS, 'fd.num', 'proc.pid', 'proc.ppid', 'proc.vpid', 'proc.pvpid', 'proc.sid', 'proc.vpgid',
  'user.uid', 'user.loginuid', 'group.gid', 'evt.num', 'evt.rawres', 'thread.tid', 'thread.vtid'];
const IP_FIELDS = ['fd.ip', 'fd.sip', 'fd.cip', 'fd.rip', 'fd.lip', 'fd.net', 'fd.snet', 'fd.cnet', 'fd.rnet', 'fd.lnet'];
/** Fields whose values are event names, not list names (`evt.type in (init_module, ...)`). */
const EVENT_NAME_FIELDS = ['evt.type', 'evt.asynctype'];
const SNAKE_CASE = /^[a-z][a-z0-9]*(_[a-z0-9]+)+$/;
const COMPARISON_OPS = ['=', '==', '!=', '<', '<=', '>', '>=', 'contains', 'icontains', 'bcontains', 'startswith', 'bstartswith', 'endswith', 'glob', 'iglob', 'regex', 'in', 'intersects', 'pmatch'];
const IPV4_CIDR = /^(\d{1,3})(\.\d{1,3}){3}(\/\d{1,2})?$/;
const IPV6_CIDR = /^[0-9a-fA-F:]+(\/\d{1,3})?$/;

interface Item { readonly kind: 'rule' | 'macro' | 'list' | 'override-rule' | 'append-list' | 'override-macro'; readonly name: string; readonly yaml: any; readonly options: any }

/**
 * Defines a Falco rules file: typed rules, macros, lists, exceptions and overrides, checked at
 * synthesis time so that Falco loads it.
 *
 * Checks (each failure is an error naming the rule, the prop, the bad value and the fix):
 * - the rules file validates against Falco's rules schema;
 * - every condition parses: balanced parentheses and quotes, `class.name[arg]` field names of
 *   known field classes, known operators; every output's `%field`s are field names;
 * - every macro a condition references is defined in the set or in `baseRuleset` (Falco
 *   refuses to start on an undefined macro: "Undefined macro ... used in filter");
 * - every bare snake_case item of an `in`/`intersects`/`pmatch` list is a defined list (Falco
 *   silently compares an undefined list name as a literal string; quote it if you mean one);
 * - lists used on port and numeric fields hold only integers and IP fields only addresses or
 *   CIDRs (an undefined list on `fd.sport` makes Falco exit with "unrecognized protocol");
 * - a rule, macro or list name is defined once, and never redefines the base ruleset's
 *   (use `overrideRule()` / `appendToList()` / `overrideMacro()`);
 * - overrides target names that exist.
 *
 * Synthesizes the ConfigMap `<releaseName>-rules` in `namespace`, exactly the object the Falco
 * chart renders from `customRules` and mounts at `/etc/falco/rules.d`, labelled and annotated
 * for the Helm release so `helm upgrade` adopts it; and writes the equivalent Helm values
 * (`customRules`, `metrics.enabled: true` for the Prometheus alerts) to `helmValuesPath`
 * with `OutputFile.synthAll()`. Install the chart with those values.
 *
 * Declares the Falco DaemonSet as a privileged workload (per `driver`) so admission policies
 * exempt exactly it.
 */
export class FalcoRuleSet extends Construct {
  /** The rules file name. */
  public readonly fileName: string;
  /** The base ruleset. */
  public readonly baseRuleset: FalcoBaseRuleset;
  /** The namespace of the Falco installation. */
  public readonly namespace: string;
  /** The Helm release name. */
  public readonly releaseName: string;
  /**
   * The ConfigMap (`<releaseName>-rules`) holding the rules files of every FalcoRuleSet of this
   * release (one key per file), defined by the first of them.
   */
  public readonly configMap: k8s.KubeConfigMap;
  /** The Helm values file of this release (shared like the ConfigMap). */
  public readonly helmValues: OutputFile;
  /** The driver the chart is installed with. */
  public readonly driver: FalcoDriver;

  private readonly items: Item[] = [];
  private readonly props: FalcoRuleSetProps;
  private readonly producers: Array<() => void> = [];
  private produced = false;

  public constructor(scope: Construct, id: string, props: FalcoRuleSetProps = {}) {
    super(scope, id);
    this.props = props;
    this.fileName = props.fileName ?? 'zero-trust-rules.yaml';
    if (!/^[a-zA-Z0-9][a-zA-Z0-9._-]*\.ya?ml$/.test(this.fileName)) {
      invalid(this, 'fileName', this.fileName, 'must be a file name ending in .yaml or .yml (letters, digits, \'.\', \'_\', \'-\')');
    }
    this.baseRuleset = props.baseRuleset ?? FalcoBaseRuleset.STABLE;
    this.namespace = checkDns1123Label(this, 'namespace', props.namespace ?? 'falco');
    this.releaseName = checkDns1123Label(this, 'releaseName', props.releaseName ?? 'falco');
    if (props.requiredEngineVersion !== undefined && !SEMVER.test(props.requiredEngineVersion)) {
      invalid(this, 'requiredEngineVersion', props.requiredEngineVersion, 'must be a semver version such as \'0.57.0\'');
    }
    for (const p of props.requiredPluginVersions ?? []) {
      for (const v of [p, ...p.alternatives ?? []]) {
        if (!IDENTIFIER.test(v.name ?? '') || !SEMVER.test(v.version ?? '')) {
          invalid(this, 'requiredPluginVersions', v, 'each needs a plugin name (letters, digits, \'_\') and a semver version such as \'0.4.0\'');
        }
      }
    }
    const driver = props.driver ?? FalcoDriver.AUTO;
    if (!Object.values(FalcoDriver).includes(driver)) {
      invalid(this, 'driver', driver, `must be one of ${Object.values(FalcoDriver).join(', ')}`);
    }
    this.driver = driver;

    // every rules file of one Falco release goes into one ConfigMap and one values file
    const releases = RELEASES.get(this.node.root) ?? new Map<string, FalcoRuleSet[]>();
    RELEASES.set(this.node.root, releases);
    const releaseKey = `${this.namespace}/${this.releaseName}`;
    const siblings = releases.get(releaseKey) ?? [];
    const owner = siblings[0];
    for (const other of siblings) {
      if (other.fileName === this.fileName) {
        invalid(this, 'fileName', this.fileName, `${other.node.path} already writes this rules file for Falco release ${releaseKey}`, 'give each FalcoRuleSet its own fileName');
      }
    }
    if (owner && owner.driver !== driver) {
      invalid(this, 'driver', driver, `${owner.node.path} declared driver ${owner.driver} for Falco release ${releaseKey}`, 'use the same driver for every FalcoRuleSet of a release');
    }
    releases.set(releaseKey, [...siblings, this]);
    if (owner) {
      this.configMap = owner.configMap;
      this.helmValues = owner.helmValues;
      return;
    }

    const graph = IntentGraph.of(this);
    const at = graph._placement(Layer.RUNTIME, this, `falco-${this.fileName.replace(/\.ya?ml$/, '')}`, 'ConfigMap');
    const configMapName = this.releaseName.includes('falco') ? `${this.releaseName}-rules` : `${this.releaseName}-falco-rules`;
    this.configMap = new k8s.KubeConfigMap(at.scope, at.id, {
      metadata: {
        name: configMapName,
        namespace: this.namespace,
        labels: {
          'app.kubernetes.io/name': 'falco',
          'app.kubernetes.io/instance': this.releaseName,
          // Helm adopts an existing object only when it carries the release's ownership metadata
          'app.kubernetes.io/managed-by': 'Helm',
        },
        annotations: {
          'meta.helm.sh/release-name': this.releaseName,
          'meta.helm.sh/release-namespace': this.namespace,
        },
      },
      data: Lazy.any({ produce: () => this.renderRelease() }),
    });
    this.helmValues = new FalcoHelmValues(this, 'HelmValues', props.helmValuesPath ?? 'helm/falco-values.yaml', this);

    this.declareFalco(graph, driver);
  }

  /**
   * Adds a rule (idempotent: the same rule twice is one rule).
   *
   * @returns the rule's name
   */
  public addRule(rule: FalcoRuleOptions): string {
    const name = this.checkName('rule', rule?.name, false);
    const prop = `rules[${JSON.stringify(name)}]`;
    if (typeof rule.desc !== 'string' || rule.desc.trim() === '') {
      invalid(this, `${prop}.desc`, rule.desc, 'must say what the rule detects');
    }
    this.checkPriority(`${prop}.priority`, rule.priority);
    const source = rule.source ?? 'syscall';
    this.checkCondition(`${prop}.condition`, rule.condition, source);
    this.checkOutput(`${prop}.output`, rule.output, source);
    for (const e of rule.exceptions ?? []) this.checkException(`${prop}.exceptions`, e, source);
    if (rule.captureDuration !== undefined && (!Number.isInteger(rule.captureDuration) || rule.captureDuration < 1)) {
      invalid(this, `${prop}.captureDuration`, rule.captureDuration, 'must be a positive integer (milliseconds)');
    }
    const yaml = {
      rule: name,
      desc: rule.desc,
      condition: rule.condition,
      output: rule.output,
      priority: rule.priority,
      ...(rule.source !== undefined ? { source: rule.source } : {}),
      ...(rule.enabled !== undefined ? { enabled: rule.enabled } : {}),
      ...(rule.tags?.length ? { tags: [...rule.tags] } : {}),
      ...(rule.exceptions?.length ? { exceptions: rule.exceptions.map(renderException) } : {}),
      ...(rule.warnEvttypes !== undefined ? { warn_evttypes: rule.warnEvttypes } : {}),
      ...(rule.skipIfUnknownFilter !== undefined ? { 'skip-if-unknown-filter': rule.skipIfUnknownFilter } : {}),
      ...(rule.capture !== undefined ? { capture: rule.capture } : {}),
      ...(rule.captureDuration !== undefined ? { capture_duration: rule.captureDuration } : {}),
    };
    return this.define('rule', name, yaml, rule);
  }

  /**
   * Adds a macro (idempotent).
   *
   * @returns the macro's name
   */
  public addMacro(macro: FalcoMacroOptions): string {
    const name = this.checkName('macro', macro?.name, true);
    this.checkCondition(`macros[${JSON.stringify(name)}].condition`, macro.condition, 'syscall');
    return this.define('macro', name, { macro: name, condition: macro.condition }, macro);
  }

  /**
   * Adds a list (idempotent).
   *
   * @returns the list's name
   */
  public addList(list: FalcoListOptions): string {
    const name = this.checkName('list', list?.name, true);
    this.checkItems(`lists[${JSON.stringify(name)}].items`, list.items);
    return this.define('list', name, { list: name, items: list.items.map(renderItem) }, list);
  }

  /**
   * Appends items to a list defined in the base ruleset or this set (`override: {items: append}`).
   */
  public appendToList(name: string, items: string[]): void {
    this.checkItems(`appendToList[${JSON.stringify(name)}].items`, items);
    this.items.push({ kind: 'append-list', name, yaml: { list: name, items: items.map(renderItem), override: { items: 'append' } }, options: { items } });
  }

  /**
   * Appends to (or replaces) the condition of a macro defined in the base ruleset or this set.
   */
  public overrideMacro(name: string, condition: string, mode: FalcoOverrideMode = FalcoOverrideMode.REPLACE): void {
    this.checkCondition(`overrideMacro[${JSON.stringify(name)}].condition`, condition, 'syscall', mode === FalcoOverrideMode.APPEND);
    this.checkMode(`overrideMacro[${JSON.stringify(name)}].mode`, mode);
    this.items.push({ kind: 'override-macro', name, yaml: { macro: name, condition, override: { condition: mode } }, options: { condition } });
  }

  /**
   * Changes a rule defined in the base ruleset or this set (Falco's `override`), for example
   * to add exceptions to a stable rule or to disable it.
   */
  public overrideRule(options: FalcoRuleOverrideOptions): void {
    const prop = `overrideRule[${JSON.stringify(options?.rule)}]`;
    const yaml: any = { rule: options.rule };
    const override: any = {};
    if (options.condition !== undefined) {
      const mode = options.conditionMode ?? FalcoOverrideMode.APPEND;
      this.checkMode(`${prop}.conditionMode`, mode);
      this.checkCondition(`${prop}.condition`, options.condition, 'syscall', mode === FalcoOverrideMode.APPEND);
      yaml.condition = options.condition;
      override.condition = mode;
    }
    if (options.exceptions !== undefined) {
      const mode = options.exceptionsMode ?? FalcoOverrideMode.APPEND;
      this.checkMode(`${prop}.exceptionsMode`, mode);
      options.exceptions.forEach(e => this.checkException(`${prop}.exceptions`, e, 'syscall'));
      yaml.exceptions = options.exceptions.map(renderException);
      override.exceptions = mode;
    }
    if (options.tags !== undefined) {
      yaml.tags = [...options.tags];
      override.tags = 'append';
    }
    if (options.output !== undefined) {
      this.checkOutput(`${prop}.output`, options.output, 'syscall');
      yaml.output = options.output;
      override.output = 'replace';
    }
    if (options.priority !== undefined) {
      this.checkPriority(`${prop}.priority`, options.priority);
      yaml.priority = options.priority;
      override.priority = 'replace';
    }
    if (options.enabled !== undefined) {
      yaml.enabled = options.enabled;
      override.enabled = 'replace';
    }
    if (Object.keys(override).length === 0) {
      invalid(this, prop, options, 'must change at least one of condition, exceptions, tags, output, priority, enabled');
    }
    yaml.override = override;
    this.items.push({ kind: 'override-rule', name: options.rule, yaml, options });
  }

  /** The names of the rules this set defines, in order. */
  public get ruleNames(): string[] {
    return this.items.filter(i => i.kind === 'rule').map(i => i.name);
  }

  /**
   * The rules file as data (the YAML list Falco loads), after checking every reference.
   */
  public toRulesFile(): any[] {
    if (!this.produced) {
      this.produced = true;
      this.producers.forEach(produce => produce());
    }
    this.checkReferences();
    const refs = this.items.filter(i => i.options.condition !== undefined).map(i => parseCondition(parsable(i)).fields);
    const outputs = this.items.filter(i => i.options.output).map(i => parseOutput(i.options.output));
    const usesContainer = [...refs.flat(), ...outputs.flat()].some(f => /^(container|k8s)\./.test(f));
    const pluginSource = this.items.find(i => i.kind === 'rule' && (i.options.source ?? 'syscall') !== 'syscall');
    if (pluginSource && this.props.requiredPluginVersions === undefined) {
      invalid(this, `rules[${JSON.stringify(pluginSource.name)}].source`, pluginSource.options.source,
        'is an event source that a plugin provides, and requiredPluginVersions does not declare it',
        'list the plugin in requiredPluginVersions (for k8s_audit: { name: \'k8saudit\', version: \'0.16.0\' } or the version you load), so Falco refuses the file when the plugin is missing');
    }
    const plugins: FalcoPluginRequirement[] = this.props.requiredPluginVersions
      ?? (usesContainer ? STABLE_RULESET.requiredPluginVersions.map(p => ({ name: p.name, version: p.version })) : []);
    const order = { 'list': 0, 'append-list': 1, 'macro': 2, 'override-macro': 3, 'rule': 4, 'override-rule': 5 };
    const macros = sortMacros(this.items.filter(i => i.kind === 'macro'));
    const rest = this.items.filter(i => i.kind !== 'macro');
    const sorted = [...rest, ...macros].map((item, index) => ({ item, index }))
      .sort((a, b) => order[a.item.kind] - order[b.item.kind] || (a.item.kind === 'macro' ? macros.indexOf(a.item) - macros.indexOf(b.item) : a.index - b.index))
      .map(x => x.item.yaml);
    return [
      { required_engine_version: this.props.requiredEngineVersion ?? STABLE_RULESET.requiredEngineVersion },
      ...(plugins.length ? [{ required_plugin_versions: plugins.map(renderPlugin) }] : []),
      ...sorted,
    ];
  }

  /** The rules file as YAML text. */
  public renderRulesFile(): string {
    return Yaml.stringify(this.toRulesFile());
  }

  /**
   * The rules files of every FalcoRuleSet of this release, by file name; a rule name defined
   * in two of them is an error (Falco would let the later file redefine it).
   * @internal
   */
  public _renderRelease(): { [file: string]: string } {
    return this.renderRelease();
  }

  private renderRelease(): { [file: string]: string } {
    const sets = (RELEASES.get(this.node.root)?.get(`${this.namespace}/${this.releaseName}`) ?? [this])
      .slice().sort((a, b) => (a.fileName < b.fileName ? -1 : 1));
    const files: { [file: string]: string } = {};
    const definedBy = new Map<string, FalcoRuleSet>();
    for (const set of sets) {
      files[set.fileName] = set.renderRulesFile();
      for (const rule of set.ruleNames) {
        const other = definedBy.get(rule);
        if (other) {
          invalid(set, 'rules', rule, `${other.node.path} (${other.fileName}) already defines this rule for the same Falco release`, 'give each rule its own name, or change the other with overrideRule()');
        }
        definedBy.set(rule, set);
      }
    }
    return files;
  }

  /**
   * Runs `produce` once, before the rules file is first rendered: for rules derived from
   * state that is complete only at synthesis time (the intent graph).
   * @internal
   */
  public _addProducer(produce: () => void): void {
    this.producers.push(produce);
  }

  private define(kind: 'rule' | 'macro' | 'list', name: string, yaml: any, options: any): string {
    const existing = this.items.find(i => i.kind === kind && i.name === name);
    if (existing) {
      if (JSON.stringify(existing.yaml) === JSON.stringify(yaml)) return name;
      invalid(this, `${kind}s`, name, `a different ${kind} with this name is already defined in this set`, `give each ${kind} its own name`);
    }
    const base = kind === 'rule' ? this.baseRuleset.rules : kind === 'macro' ? this.baseRuleset.macros : Object.keys(this.baseRuleset.lists);
    if (base.includes(name)) {
      const fix = kind === 'rule' ? 'use overrideRule() to change it, or choose another name'
        : kind === 'macro' ? 'use overrideMacro() to change it, or choose another name' : 'use appendToList() to add items, or choose another name';
      invalid(this, `${kind}s`, name, `${this.baseRuleset.name} already defines this ${kind}, and redefining it would silently change the rules that use it`, fix);
    }
    this.items.push({ kind, name, yaml, options });
    return name;
  }

  private checkName(kind: string, name: unknown, identifier: boolean): string {
    if (typeof name !== 'string' || name.trim() === '' || (identifier && !IDENTIFIER.test(name))) {
      invalid(this, `${kind}.name`, name, identifier ? 'must be letters, digits and \'_\', not starting with a digit' : 'must be a non-empty string');
    }
    return name;
  }

  private checkPriority(prop: string, priority: unknown): void {
    if (!PRIORITIES.includes(priority as string)) {
      invalid(this, prop, priority, `must be one of ${PRIORITIES.join(', ')}`, 'use the FalcoPriority enum');
    }
  }

  private checkMode(prop: string, mode: unknown): void {
    if (!Object.values(FalcoOverrideMode).includes(mode as FalcoOverrideMode)) {
      invalid(this, prop, mode, `must be one of ${Object.values(FalcoOverrideMode).join(', ')}`);
    }
  }

  private checkItems(prop: string, items: unknown): void {
    if (!Array.isArray(items) || items.some(i => typeof i !== 'string' || i.length === 0 || /[\s(),]/.test(unquote(i)) && !/^(["']).*\1$/s.test(i))) {
      invalid(this, prop, items, 'must be an array of non-empty strings; quote items with spaces, parentheses or commas (\'"a b"\')');
    }
  }

  private checkCondition(prop: string, condition: unknown, source: string, fragment = false): ConditionRefs {
    if (typeof condition !== 'string' || condition.trim() === '') {
      invalid(this, prop, condition, 'must be a non-empty Falco condition');
    }
    // an appended fragment starts with `and`/`or`: parse it as if something came before
    const text = fragment ? appendable(condition) : condition;
    let refs: ConditionRefs;
    try {
      refs = parseCondition(text);
    } catch (e) {
      if (!(e instanceof ConditionError)) throw e;
      invalid(this, prop, condition, `is not a valid Falco condition: ${e.message}`);
    }
    this.checkFields(prop, refs.fields, source);
    return refs;
  }

  private checkOutput(prop: string, output: unknown, source: string): void {
    if (typeof output !== 'string' || output.trim() === '') {
      invalid(this, prop, output, 'must be a non-empty output string');
    }
    let fields: string[];
    try {
      fields = parseOutput(output);
    } catch (e) {
      if (!(e instanceof ConditionError)) throw e;
      invalid(this, prop, output, `is not a valid Falco output: ${e.message}`);
    }
    this.checkFields(prop, fields, source);
  }

  private checkFields(prop: string, fields: string[], source: string): void {
    for (const field of fields) {
      if (!FIELD.test(field) || (source === 'syscall' && !SYSCALL_FIELD_CLASSES.includes(field.split('.')[0]))) {
        invalid(this, prop, field, `is not a field of the ${source} source: fields are <class>.<name>[<arg>] with class one of ${SYSCALL_FIELD_CLASSES.join(', ')}`,
          'see https://falco.org/docs/reference/rules/supported-fields/');
      }
    }
  }

  private checkException(prop: string, e: FalcoRuleException, source: string): void {
    if (!e || !IDENTIFIER.test(e.name ?? '')) {
      invalid(this, `${prop}.name`, e?.name, 'must be letters, digits and \'_\'');
    }
    if (!Array.isArray(e.fields) || e.fields.length === 0) {
      invalid(this, `${prop}[${e.name}].fields`, e.fields, 'must list at least one field');
    }
    this.checkFields(`${prop}[${e.name}].fields`, e.fields, source);
    const comps = e.comps ?? e.fields.map(() => '=');
    if (comps.length !== e.fields.length || comps.some(c => !COMPARISON_OPS.includes(c))) {
      invalid(this, `${prop}[${e.name}].comps`, e.comps, `must have one operator per field, each one of ${COMPARISON_OPS.join(' ')}`);
    }
    for (const tuple of e.values ?? []) {
      if (!Array.isArray(tuple) || tuple.length !== e.fields.length) {
        invalid(this, `${prop}[${e.name}].values`, tuple, `each value tuple must have one value per field (${e.fields.length})`);
      }
    }
  }

  /** Every reference is defined; typed fields get typed lists. */
  private checkReferences(): void {
    const setLists = new Map<string, string[]>();
    for (const i of this.items.filter(x => x.kind === 'list' || x.kind === 'append-list')) {
      setLists.set(i.name, [...setLists.get(i.name) ?? [], ...i.options.items]);
    }
    const lists = new Map<string, string[]>(Object.entries(this.baseRuleset.lists));
    for (const [k, v] of setLists) lists.set(k, [...lists.get(k) ?? [], ...v]);
    const macros = new Set([...this.baseRuleset.macros, ...this.items.filter(i => i.kind === 'macro').map(i => i.name)]);
    const rules = new Set([...this.baseRuleset.rules, ...this.ruleNames]);
    const where = `this set nor ${this.baseRuleset.name}`;

    for (const item of this.items) {
      const prop = `${item.kind === 'rule' ? 'rules' : item.kind === 'macro' ? 'macros' : item.kind === 'list' ? 'lists' : item.kind}[${JSON.stringify(item.name)}]`;
      if (item.kind === 'append-list' && !this.items.some(i => i.kind === 'list' && i.name === item.name) && !(item.name in this.baseRuleset.lists)) {
        invalid(this, prop, item.name, `is a list defined neither in ${where}`, 'define it with addList()');
      }
      for (const e of (item.options.exceptions ?? []) as FalcoRuleException[]) {
        this.checkExceptionValues(`${prop}.exceptions[${e.name}].values`, e, lists, where);
      }
      if (item.kind === 'override-macro' && !macros.has(item.name)) {
        invalid(this, prop, item.name, `is a macro defined neither in ${where}`, 'define it with addMacro()');
      }
      if (item.kind === 'override-rule' && !rules.has(item.name)) {
        invalid(this, prop, item.name, `is a rule defined neither in ${where}`, 'check the rule name (rules are matched exactly, case-sensitive)');
      }
      const condition: string | undefined = item.options.condition;
      if (condition === undefined) continue;
      const refs = parseCondition(parsable(item));
      for (const m of refs.macros) {
        if (!macros.has(m)) {
          const hint = m === 'container_started'
            ? 'container_started exists only in the incubating and sandbox rules; use `spawned_process and container and proc.vpid=1` (or declare those rules in baseRuleset)'
            : 'define it with addMacro(), or declare the ruleset that defines it in baseRuleset';
          invalid(this, `${prop}.condition`, m, `is a macro defined neither in ${where} (Falco would refuse to start: "Undefined macro")`, hint);
        }
      }
      for (const use of refs.lists) {
        this.checkListUse(`${prop}.condition`, use.field, use.items, lists, where);
      }
    }
  }

  /**
   * Exception values: a field compared with `in`/`intersects`/`pmatch` takes a list, which must
   * be defined; a port or numeric field compared with a single value takes an integer.
   */
  private checkExceptionValues(prop: string, e: FalcoRuleException, lists: Map<string, string[]>, where: string): void {
    const comps = e.comps ?? e.fields.map(() => '=');
    for (const tuple of e.values ?? []) {
      tuple.forEach((value, i) => {
        if (['in', 'intersects', 'pmatch'].includes(comps[i])) {
          if (!lists.has(value)) {
            invalid(this, prop, value, `is compared with '${comps[i]}' on ${e.fields[i]}, so it must name a list, but it is a list defined neither in ${where}`, 'define the list with addList()');
          }
          this.checkListUse(prop, e.fields[i], [value], lists, where);
        } else if (NUMERIC_FIELDS.includes(e.fields[i]) && !/^-?\d+$/.test(value)) {
          invalid(this, prop, value, `is not an integer, but ${e.fields[i]} is a numeric field`);
        }
      });
    }
  }

  private checkListUse(prop: string, field: string, items: string[], lists: Map<string, string[]>, where: string): void {
    const bare = (i: string) => !/^["']/.test(i);
    const expand = (values: string[], seen: string[]): string[] =>
      values.flatMap(v => (bare(v) && lists.has(v) && !seen.includes(v) ? expand(lists.get(v)!, [...seen, v]) : [v]));
    const stringField = !EVENT_NAME_FIELDS.includes(field) && !NUMERIC_FIELDS.includes(field) && !IP_FIELDS.includes(field);
    for (const item of items) {
      if (this.props.strictListNames !== false && stringField && bare(item) && !lists.has(item) && SNAKE_CASE.test(item)) {
        invalid(this, prop, item, `is used as a list on ${field} but is a list defined neither in ${where}; Falco would compare ${field} with the literal string "${item}"`,
          `define the list with addList(), or quote it ('"${item}"') if you mean the literal value`);
      }
    }
    const values = expand(items, []);
    if (NUMERIC_FIELDS.includes(field)) {
      const bad = values.filter(v => !/^-?\d+$/.test(unquote(String(v))));
      if (bad.length > 0) {
        const undefinedList = bad.find(v => items.includes(v) && bare(v));
        invalid(this, prop, undefinedList ?? bad[0], undefinedList
          ? `is used as a list on the ${PORT_FIELDS.includes(field) ? 'port' : 'numeric'} field ${field} but is a list defined neither in ${where}; Falco would fail to load the rules ("unrecognized protocol")`
          : `is not an integer, but the list is used on the ${PORT_FIELDS.includes(field) ? 'port' : 'numeric'} field ${field}`,
        undefinedList ? 'define the list with addList() (integers only)' : 'keep only integers in lists used on port and numeric fields');
      }
    }
    if (IP_FIELDS.includes(field)) {
      const bad = values.filter(v => !IPV4_CIDR.test(unquote(String(v))) && !IPV6_CIDR.test(unquote(String(v))));
      if (bad.length > 0) {
        invalid(this, prop, bad[0], `is not an IP address or CIDR, but is used on the address field ${field}`, 'define the list with addList() holding addresses such as \'"10.0.0.0/8"\'');
      }
    }
  }

  private declareFalco(graph: IntentGraph, driver: FalcoDriver): void {
    const leastPrivileged = driver === FalcoDriver.MODERN_EBPF_LEAST_PRIVILEGED;
    const loader = driver === FalcoDriver.AUTO || driver === FalcoDriver.KMOD;
    // falcosecurity/charts falco 9.x templates/pod-template.tpl: securityContext per driver.kind,
    // hostPath volumes (driver enabled; /dev and /sys/module for auto and kmod) and the
    // container plugin's default engine sockets
    graph.declarePrivilegedWorkload(this, {
      namespace: this.namespace,
      kind: 'DaemonSet',
      name: this.releaseName,
      podLabels: { 'app.kubernetes.io/name': 'falco', 'app.kubernetes.io/instance': this.releaseName },
      privileges: [
        ...(leastPrivileged ? [Privilege.ADDED_CAPABILITIES] : [Privilege.PRIVILEGED_CONTAINER]),
        Privilege.RUN_AS_ROOT, Privilege.HOST_PATH, Privilege.WRITABLE_ROOT_FILESYSTEM,
      ],
      ...(leastPrivileged ? { capabilities: ['BPF', 'PERFMON', 'SYS_PTRACE', 'SYS_RESOURCE'] } : {}),
      hostPaths: [
        '/proc', '/boot', '/lib/modules', '/usr', '/etc',
        ...(loader ? ['/dev', '/sys/module'] : []),
        '/var/run/docker.sock', '/run/podman/podman.sock', '/run/containerd/containerd.sock', '/run/crio/crio.sock',
      ],
      reason: `Falco (driver ${driver}) reads every syscall of the node through the kernel${loader ? ' (its driver loader builds or loads the driver)' : ''}, `
        + 'and the host\'s /proc, /etc and container runtime sockets for process and container metadata',
    });
  }
}

class FalcoHelmValues extends OutputFile {
  private readonly ruleSet: FalcoRuleSet;

  public constructor(scope: Construct, id: string, path: string, ruleSet: FalcoRuleSet) {
    super(scope, id, { path });
    this.ruleSet = ruleSet;
  }

  public renderContents(): string {
    return [
      `# Helm values for falcosecurity/charts falco 9.x (Falco 0.44), release ${this.ruleSet.releaseName} in namespace ${this.ruleSet.namespace}:`,
      `#   helm upgrade --install ${this.ruleSet.releaseName} falcosecurity/falco -n ${this.ruleSet.namespace} -f falco-values.yaml`,
      '# customRules becomes the ConfigMap mounted at /etc/falco/rules.d (loaded after the stable',
      '# falco_rules.yaml that falcoctl installs); metrics.enabled exposes falcosecurity_falco_rules_matches_total',
      '# on :8765/metrics for the Prometheus alerts; driver.kind matches the privileges declared for the',
      '# Falco DaemonSet (IntentGraph.privilegedWorkloads). Generated by cdk8s-zero-trust; do not edit.',
      Yaml.stringify({
        driver: {
          kind: this.ruleSet.driver === FalcoDriver.MODERN_EBPF_LEAST_PRIVILEGED ? FalcoDriver.MODERN_EBPF : this.ruleSet.driver,
          ...(this.ruleSet.driver === FalcoDriver.MODERN_EBPF_LEAST_PRIVILEGED ? { modernEbpf: { leastPrivileged: true } } : {}),
        },
        customRules: this.ruleSet._renderRelease(),
        metrics: { enabled: true, rulesCountersEnabled: true },
      }),
    ].join('\n');
  }
}

/** The item's condition as a whole condition (an appended fragment gets a neutral left side). */
function parsable(item: Item): string {
  const condition: string = item.options.condition;
  return item.yaml.override?.condition === 'append' ? appendable(condition) : condition;
}

function appendable(fragment: string): string {
  return `evt.num>=0 ${/^\s*(and|or)\b/.test(fragment) ? '' : 'and '}${fragment}`;
}

function renderPlugin(p: FalcoPluginRequirement): any {
  const alternatives = (p.alternatives ?? []).map(a => ({ name: a.name, version: a.version }));
  return { name: p.name, version: p.version, ...(alternatives.length ? { alternatives } : {}) };
}

function renderItem(item: string): string | number {
  return /^\d+$/.test(item) && item.length < 10 ? Number(item) : item;
}

function renderException(e: FalcoRuleException): any {
  return {
    name: e.name,
    fields: [...e.fields],
    comps: e.comps ? [...e.comps] : e.fields.map(() => '='),
    ...(e.values ? { values: e.values.map(t => [...t]) } : {}),
  };
}

/** Macros ordered so that each comes after the macros its condition uses. */
function sortMacros(macros: Item[]): Item[] {
  const byName = new Map(macros.map(m => [m.name, m]));
  const done = new Set<string>();
  const out: Item[] = [];
  const visit = (m: Item, stack: string[]) => {
    if (done.has(m.name) || stack.includes(m.name)) return;
    for (const dep of parseCondition(m.options.condition).macros) {
      const d = byName.get(dep);
      if (d) visit(d, [...stack, m.name]);
    }
    done.add(m.name);
    out.push(m);
  };
  macros.forEach(m => visit(m, []));
  return out;
}
