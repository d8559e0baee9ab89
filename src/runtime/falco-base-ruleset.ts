import { STABLE_RULESET } from './_stable-ruleset';
import { guardArgs, staticScope } from '../intent/_guards';

/**
 * A ruleset Falco loads before a FalcoRuleSet: the names it defines.
 */
export interface FalcoBaseRulesetOptions {
  /** A name for error messages, for example `falco-rules 5.1.0 + falco-incubating-rules 5.0.0`. */
  readonly name: string;
  /**
   * The macros it defines.
   *
   * @default - none
   */
  readonly macros?: string[];
  /**
   * The lists it defines, with their items (items of a list used on a port or numeric field
   * are checked).
   *
   * @default - none
   */
  readonly lists?: { [name: string]: string[] };
  /**
   * The rules it defines.
   *
   * @default - none
   */
  readonly rules?: string[];
}

/**
 * The rules files Falco loads before a FalcoRuleSet (the Falco chart loads
 * `/etc/falco/falco_rules.yaml`, then `/etc/falco/falco_rules.local.yaml`, then the files of
 * `/etc/falco/rules.d`). A FalcoRuleSet may reference and override only the macros, lists and
 * rules defined here or in the set itself.
 */
export class FalcoBaseRuleset {
  /**
   * The stable falco-rules (5.1.0 names), which the Falco chart's falcoctl installs and
   * follows by default (`falco-rules:5`). It does not define `container_started` (only the
   * incubating and sandbox rules do).
   */
  public static readonly STABLE = new FalcoBaseRuleset(
    `falco-rules ${STABLE_RULESET.version} (stable)`,
    [...STABLE_RULESET.macros],
    Object.fromEntries(Object.entries(STABLE_RULESET.lists).map(([k, v]) => [k, v.map(String)])),
    [...STABLE_RULESET.rules],
  );

  /** No base ruleset: the FalcoRuleSet must define everything it references. */
  public static readonly NONE = new FalcoBaseRuleset('no base ruleset', [], {}, []);

  /**
   * A base ruleset of your own: for example the stable names plus the incubating ruleset's
   * names, when your Falco installation loads `falco-incubating-rules` too.
   */
  public static custom(options: FalcoBaseRulesetOptions): FalcoBaseRuleset {
    guardArgs(staticScope('FalcoBaseRuleset.custom'), 'FalcoBaseRuleset', 'custom', [options]);
    return new FalcoBaseRuleset(options.name, options.macros ?? [], options.lists ?? {}, options.rules ?? []);
  }

  /** The name, for error messages. */
  public readonly name: string;
  /** The macro names. */
  public readonly macros: string[];
  /** The lists and their items. */
  public readonly lists: { [name: string]: string[] };
  /** The rule names. */
  public readonly rules: string[];

  private constructor(name: string, macros: string[], lists: { [name: string]: string[] }, rules: string[]) {
    this.name = name;
    this.macros = macros;
    this.lists = lists;
    this.rules = rules;
  }

  /**
   * This ruleset plus more names (for example the incubating rules' `container_started`).
   */
  public extend(options: FalcoBaseRulesetOptions): FalcoBaseRuleset {
    guardArgs(staticScope('FalcoBaseRuleset.extend'), 'FalcoBaseRuleset', 'extend', [options]);
    const lists: { [name: string]: string[] } = { ...this.lists };
    for (const [k, v] of Object.entries(options.lists ?? {})) {
      lists[k] = [...(lists[k] ?? []), ...v];
    }
    return new FalcoBaseRuleset(options.name, [...new Set([...this.macros, ...options.macros ?? []])], lists,
      [...new Set([...this.rules, ...options.rules ?? []])]);
  }
}
