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
