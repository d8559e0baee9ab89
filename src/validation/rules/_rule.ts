/** How bad a finding is: errors fail `cdk8s synth --validate`, warnings are reported. @internal */
export type RuleSeverity = 'error' | 'warning';

/** One place an object breaks a rule. @internal */
export interface RuleFinding {
  /** JSON pointer in the object, e.g. `/spec/template/spec/containers/0/securityContext`. */
  readonly pointer: string;
  /** What is wrong there. */
  readonly message: string;
}

/** What a rule may read besides the object: every object of the same validation run. @internal */
export interface RuleContext {
  readonly objects: readonly any[];
}

/**
 * A posture rule (in the spirit of cdk-nag: one rule per file, id = file name, explanation next
 * to the code). `check` returns `undefined` when the rule does not apply to the object (not
 * applicable), `[]` when it complies, and the findings otherwise.
 *
 * @internal
 */
export interface PostureRule {
  readonly id: string;
  readonly severity: RuleSeverity;
  /** Why the rule exists, in zero-trust terms. */
  readonly explanation: string;
  /** How to fix a finding. */
  readonly fix: string;
  check(obj: any, context: RuleContext): RuleFinding[] | undefined;
}

/** The rule id from its file name (`run-as-non-root.ts` -> `run-as-non-root`). @internal */
export function ruleId(filename: string): string {
  return filename.replace(/^.*[\\/]/, '').replace(/\.(ts|js)$/, '');
}
