import { Lazy, Yaml } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { checkCondition, checkException, checkExceptionValues, checkItems, checkListUse, checkMode, checkName, checkOutput, checkPriority, checkTags, FalcoScope } from './_falco-checks';
import { IDENTIFIER, parseCondition, parseOutput } from './_falco-condition';
import { declareFalco, FalcoHelmValues } from './_falco-release';
import { Item, parsable, renderException, renderItem, renderPlugin, sortMacros } from './_falco-render';
import { STABLE_RULESET } from './_stable-ruleset';
import { FalcoBaseRuleset } from './falco-base-ruleset';
import { FalcoDriver, FalcoListOptions, FalcoMacroOptions, FalcoOverrideMode, FalcoPluginRequirement, FalcoRuleException, FalcoRuleOptions, FalcoRuleOverrideOptions } from './falco-rule-types';
import { guardArgs, guardProps } from '../intent/_guards';
import { checkDns1123Label, checkType, invalid } from '../intent/_validation';
import { IntentGraph, Layer } from '../intent/intent-graph';
import { checkOutputPath, OutputFile } from '../intent/output-file';

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

/** The FalcoRuleSets of each Falco release (`<namespace>/<release>`), per app. */
const RELEASES = new WeakMap<object, Map<string, FalcoRuleSet[]>>();
const SEMVER = /^\d+\.\d+\.\d+$/;

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
    guardProps(this, 'FalcoRuleSet', props);
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
    this.helmValues = new FalcoHelmValues(this, 'HelmValues', checkOutputPath(this, 'helmValuesPath', props.helmValuesPath ?? 'helm/falco-values.yaml'), this);

    declareFalco(this, this.namespace, this.releaseName, driver);
  }

  /**
   * Adds a rule (idempotent: the same rule twice is one rule).
   *
   * @returns the rule's name
   */
  public addRule(rule: FalcoRuleOptions): string {
    guardArgs(this, 'FalcoRuleSet', 'addRule', [rule]);
    checkType(this, 'addRule(rule)', rule, 'object', 'FalcoRuleOptions with name, desc, condition, output and priority');
    const name = checkName(this, 'rule', rule?.name, false);
    const prop = `rules[${JSON.stringify(name)}]`;
    if (typeof rule.desc !== 'string' || rule.desc.trim() === '') {
      invalid(this, `${prop}.desc`, rule.desc, 'must say what the rule detects');
    }
    checkPriority(this, `${prop}.priority`, rule.priority);
    checkTags(this, `${prop}.tags`, rule.tags);
    if (rule.exceptions !== undefined && !Array.isArray(rule.exceptions)) invalid(this, `${prop}.exceptions`, rule.exceptions, 'must be an array of FalcoRuleException');
    for (const [key, value] of [['enabled', rule.enabled], ['warnEvttypes', rule.warnEvttypes], ['skipIfUnknownFilter', rule.skipIfUnknownFilter], ['capture', rule.capture]] as const) {
      if (value !== undefined) checkType(this, `${prop}.${key}`, value, 'boolean');
    }
    if (rule.source !== undefined && (typeof rule.source !== 'string' || !/^[a-z0-9_]+$/.test(rule.source))) {
      invalid(this, `${prop}.source`, rule.source, 'must be an event source name (lower-case letters, digits, \'_\'), for example \'syscall\' or \'k8s_audit\'');
    }
    const source = rule.source ?? 'syscall';
    checkCondition(this, `${prop}.condition`, rule.condition, source);
    checkOutput(this, `${prop}.output`, rule.output, source);
    for (const e of rule.exceptions ?? []) checkException(this, `${prop}.exceptions`, e, source);
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
    guardArgs(this, 'FalcoRuleSet', 'addMacro', [macro]);
    checkType(this, 'addMacro(macro)', macro, 'object', 'FalcoMacroOptions with name and condition');
    const name = checkName(this, 'macro', macro?.name, true);
    checkCondition(this, `macros[${JSON.stringify(name)}].condition`, macro.condition, 'syscall');
    return this.define('macro', name, { macro: name, condition: macro.condition }, macro);
  }

  /**
   * Adds a list (idempotent).
   *
   * @returns the list's name
   */
  public addList(list: FalcoListOptions): string {
    guardArgs(this, 'FalcoRuleSet', 'addList', [list]);
    checkType(this, 'addList(list)', list, 'object', 'FalcoListOptions with name and items');
    const name = checkName(this, 'list', list?.name, true);
    checkItems(this, `lists[${JSON.stringify(name)}].items`, list.items);
    return this.define('list', name, { list: name, items: list.items.map(renderItem) }, list);
  }

  /**
   * Appends items to a list defined in the base ruleset or this set (`override: {items: append}`).
   */
  public appendToList(name: string, items: string[]): void {
    guardArgs(this, 'FalcoRuleSet', 'appendToList', [name, items]);
    checkName(this, 'appendToList(name)', name, true);
    checkItems(this, `appendToList[${JSON.stringify(name)}].items`, items);
    this.items.push({ kind: 'append-list', name, yaml: { list: name, items: items.map(renderItem), override: { items: 'append' } }, options: { items } });
  }

  /**
   * Appends to (or replaces) the condition of a macro defined in the base ruleset or this set.
   */
  public overrideMacro(name: string, condition: string, mode: FalcoOverrideMode = FalcoOverrideMode.REPLACE): void {
    guardArgs(this, 'FalcoRuleSet', 'overrideMacro', [name, condition, mode]);
    checkName(this, 'overrideMacro(name)', name, true);
    checkCondition(this, `overrideMacro[${JSON.stringify(name)}].condition`, condition, 'syscall', mode === FalcoOverrideMode.APPEND);
    checkMode(this, `overrideMacro[${JSON.stringify(name)}].mode`, mode);
    this.items.push({ kind: 'override-macro', name, yaml: { macro: name, condition, override: { condition: mode } }, options: { condition } });
  }

  /**
   * Changes a rule defined in the base ruleset or this set (Falco's `override`), for example
   * to add exceptions to a stable rule or to disable it.
   */
  public overrideRule(options: FalcoRuleOverrideOptions): void {
    guardArgs(this, 'FalcoRuleSet', 'overrideRule', [options]);
    checkType(this, 'overrideRule(options)', options, 'object', 'FalcoRuleOverrideOptions with the rule name and what to change');
    checkName(this, 'overrideRule(options).rule', options.rule, false);
    const prop = `overrideRule[${JSON.stringify(options?.rule)}]`;
    const yaml: any = { rule: options.rule };
    const override: any = {};
    if (options.condition !== undefined) {
      const mode = options.conditionMode ?? FalcoOverrideMode.APPEND;
      checkMode(this, `${prop}.conditionMode`, mode);
      checkCondition(this, `${prop}.condition`, options.condition, 'syscall', mode === FalcoOverrideMode.APPEND);
      yaml.condition = options.condition;
      override.condition = mode;
    }
    if (options.exceptions !== undefined) {
      const mode = options.exceptionsMode ?? FalcoOverrideMode.APPEND;
      checkMode(this, `${prop}.exceptionsMode`, mode);
      options.exceptions.forEach(e => checkException(this, `${prop}.exceptions`, e, 'syscall'));
      yaml.exceptions = options.exceptions.map(renderException);
      override.exceptions = mode;
    }
    if (options.exceptions !== undefined && !Array.isArray(options.exceptions)) invalid(this, `${prop}.exceptions`, options.exceptions, 'must be an array of FalcoRuleException');
    if (options.enabled !== undefined) checkType(this, `${prop}.enabled`, options.enabled, 'boolean');
    checkTags(this, `${prop}.tags`, options.tags);
    if (options.tags !== undefined) {
      yaml.tags = [...options.tags];
      override.tags = 'append';
    }
    if (options.output !== undefined) {
      checkOutput(this, `${prop}.output`, options.output, 'syscall');
      yaml.output = options.output;
      override.output = 'replace';
    }
    if (options.priority !== undefined) {
      checkPriority(this, `${prop}.priority`, options.priority);
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
    const scope: FalcoScope = { lists, where, strictListNames: this.props.strictListNames !== false };

    for (const item of this.items) {
      const prop = `${item.kind === 'rule' ? 'rules' : item.kind === 'macro' ? 'macros' : item.kind === 'list' ? 'lists' : item.kind}[${JSON.stringify(item.name)}]`;
      if (item.kind === 'append-list' && !this.items.some(i => i.kind === 'list' && i.name === item.name) && !(item.name in this.baseRuleset.lists)) {
        invalid(this, prop, item.name, `is a list defined neither in ${where}`, 'define it with addList()');
      }
      for (const e of (item.options.exceptions ?? []) as FalcoRuleException[]) {
        checkExceptionValues(this, `${prop}.exceptions[${e.name}].values`, e, scope);
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
        checkListUse(this, `${prop}.condition`, use.field, use.items, scope);
      }
    }
  }
}
