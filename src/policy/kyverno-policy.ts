import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { CelValidation, CelVariable } from './constraint-template';
import * as kyverno from '../imports/kyverno';
import { checkDns1123Label, invalid } from '../intent/_validation';

/**
 * What Kyverno does with a violation of a validate rule (`validate.failureAction`, per rule since
 * Kyverno 1.13; the policy-level `validationFailureAction` is deprecated).
 */
export enum FailureAction {
  /** Admit the request and report the violation in a policy report. */
  AUDIT = 'Audit',
  /** Reject the request. */
  ENFORCE = 'Enforce',
}

/**
 * A resource filter of a Kyverno rule (`match.any[].resources` / `exclude.any[].resources`).
 * Every criterion given must match.
 */
export interface KyvernoResourceFilter {
  /** Kinds: `Pod`, or `<group>/<version>/<Kind>` for other groups. */
  readonly kinds: string[];
  /**
   * Namespaces (wildcards `*` and `?` allowed).
   *
   * @default - any namespace
   */
  readonly namespaces?: string[];
  /**
   * Object names (wildcards `*` and `?` allowed).
   *
   * @default - any name
   */
  readonly names?: string[];
  /**
   * Labels the object must have.
   *
   * @default - any labels
   */
  readonly matchLabels?: { [key: string]: string };
  /**
   * Label keys the object must have (any value).
   *
   * @default - none
   */
  readonly labelKeys?: string[];
  /**
   * Admission operations (`CREATE`, `UPDATE`, `DELETE`, `CONNECT`).
   *
   * @default - every operation the rule type applies to
   */
  readonly operations?: string[];
}

/**
 * A validate rule whose logic is CEL (`validate.cel`, Kyverno 1.11+).
 */
export interface KyvernoCelRuleOptions {
  /** The rule name (a DNS-1123 label). */
  readonly name: string;
  /** The objects the rule applies to (any filter). */
  readonly match: KyvernoResourceFilter[];
  /**
   * Objects the rule never applies to (any filter).
   *
   * @default - none
   */
  readonly exclude?: KyvernoResourceFilter[];
  /**
   * CEL variables, read as `variables.<name>`.
   *
   * @default - none
   */
  readonly variables?: CelVariable[];
  /** CEL validations (at least one); false means a violation. */
  readonly expressions: CelValidation[];
  /**
   * What Kyverno does with a violation.
   *
   * @default FailureAction.AUDIT
   */
  readonly failureAction?: FailureAction;
}

/**
 * A generate rule that creates (and with `synchronize`, keeps) an object for each matching
 * trigger object.
 */
export interface KyvernoGenerateRuleOptions {
  /** The rule name (a DNS-1123 label). */
  readonly name: string;
  /** The trigger objects (any filter). */
  readonly match: KyvernoResourceFilter[];
  /**
   * Trigger objects the rule never applies to (any filter).
   *
   * @default - none
   */
  readonly exclude?: KyvernoResourceFilter[];
  /** The generated object's apiVersion. */
  readonly apiVersion: string;
  /** The generated object's kind. */
  readonly kind: string;
  /** The generated object's name. */
  readonly generatedName: string;
  /**
   * The generated object's namespace (Kyverno variables allowed, for example
   * `{{request.object.metadata.name}}` for a Namespace trigger).
   *
   * @default - cluster-scoped
   */
  readonly generatedNamespace?: string;
  /** The generated object's content (metadata labels, spec). */
  readonly data: { [key: string]: any };
  /**
   * Whether Kyverno keeps the object as `data` says: changes are reverted, a deleted object is
   * recreated.
   *
   * @default true
   */
  readonly synchronize?: boolean;
  /**
   * Whether the rule also runs for trigger objects that existed before the policy.
   *
   * @default true
   */
  readonly generateExisting?: boolean;
}

/**
 * Properties of a KyvernoPolicy.
 */
export interface KyvernoPolicyProps {
  /**
   * The policy name.
   *
   * @default - the construct id
   */
  readonly name?: string;
  /**
   * The namespace of a namespaced `Policy`; without it, a `ClusterPolicy` is defined.
   *
   * @default - a ClusterPolicy
   */
  readonly namespace?: string;
  /**
   * Whether Kyverno also scans existing objects (background scan) and reports them.
   *
   * @default true
   */
  readonly background?: boolean;
  /**
   * Whether audit violations are returned to the client as warnings (`spec.emitWarning`).
   *
   * @default false
   */
  readonly emitWarning?: boolean;
  /**
   * Whether Kyverno generates rules for Pod controllers (Deployments, DaemonSets, ...) from
   * rules that match Pods. Autogen rewrites selectors and exclusions to the controller's own
   * labels, so it is off by default: rules apply to Pods, exactly as written.
   *
   * @default false
   */
  readonly autogen?: boolean;
  /**
   * A description, written to the `policies.kyverno.io/description` annotation.
   *
   * @default - none
   */
  readonly description?: string;
}

const CEL_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Defines a Kyverno ClusterPolicy (or a namespaced Policy) with CEL validate rules, each with its
 * own failure action (`validate.failureAction`), and generate rules.
 *
 * Rules are added with `addCelRule()` and `addGenerateRule()` and rendered at synthesis time.
 *
 * @see https://kyverno.io/docs/policy-types/cluster-policy/validate/#common-expression-language-cel
 */
export class KyvernoPolicy extends Construct {
  /** The policy name. */
  public readonly policyName: string;
  /** The ClusterPolicy (or Policy) object. */
  public readonly resource: ApiObject;

  private readonly rules: Array<{ name: string; render: () => any }> = [];

  public constructor(scope: Construct, id: string, props: KyvernoPolicyProps = {}) {
    super(scope, id);
    this.policyName = checkDns1123Label(this, 'name', props.name ?? id);
    const annotations: { [key: string]: string } = {};
    if (!(props.autogen ?? false)) annotations['pod-policies.kyverno.io/autogen-controllers'] = 'none';
    if (props.description) annotations['policies.kyverno.io/description'] = props.description;
    const metadata = {
      name: this.policyName,
      labels: { 'app.kubernetes.io/managed-by': 'cdk8s-zero-trust' },
      ...(Object.keys(annotations).length ? { annotations } : {}),
    };
    const spec = Lazy.any({
      produce: () => ({
        background: props.background ?? true,
        ...(props.emitWarning ? { emitWarning: true } : {}),
        rules: this.rules.map(r => r.render()),
      }),
    });
    if (props.namespace !== undefined) {
      checkDns1123Label(this, 'namespace', props.namespace);
      this.resource = new kyverno.Policy(this, 'Resource', { metadata: { ...metadata, namespace: props.namespace }, spec });
    } else {
      this.resource = new kyverno.ClusterPolicy(this, 'Resource', { metadata, spec });
    }
    this.node.addValidation({ validate: () => (this.rules.length === 0 ? ['a Kyverno policy needs at least one rule: call addCelRule() or addGenerateRule()'] : []) });
  }

  /**
   * Adds a validate rule whose logic is CEL. Idempotent for the same name.
   *
   * @returns the rule name
   */
  public addCelRule(options: KyvernoCelRuleOptions): string {
    return this._addCelRule(options, () => []);
  }

  /**
   * Adds a CEL rule whose leading variables are computed at synthesis time.
   * @internal
   */
  public _addCelRule(options: KyvernoCelRuleOptions, lazyVariables: () => CelVariable[]): string {
    const name = this.checkRuleName(options?.name);
    if (this.rules.some(r => r.name === name)) return name;
    const match = this.checkFilters('match', options.match, true);
    const exclude = this.checkFilters('exclude', options.exclude ?? [], false);
    const failureAction = options.failureAction ?? FailureAction.AUDIT;
    if (!Object.values(FailureAction).includes(failureAction)) {
      invalid(this, `${name}.failureAction`, failureAction, `must be one of ${Object.values(FailureAction).join(', ')}`);
    }
    if (!Array.isArray(options.expressions) || options.expressions.length === 0) {
      invalid(this, `${name}.expressions`, options.expressions, 'must list at least one CEL validation');
    }
    for (const e of options.expressions) {
      if (!e || typeof e.expression !== 'string' || e.expression.trim() === '') invalid(this, `${name}.expressions`, e, 'each needs a CEL expression');
      if (e.message === undefined && e.messageExpression === undefined) invalid(this, `${name}.expressions`, e.expression, 'needs a message or a messageExpression');
    }
    for (const v of options.variables ?? []) {
      if (!v || !CEL_IDENTIFIER.test(v.name ?? '')) invalid(this, `${name}.variables`, v?.name, 'each name must be a CEL identifier');
    }
    this.rules.push({
      name,
      render: () => {
        const variables = [...lazyVariables(), ...(options.variables ?? [])];
        return {
          name,
          match: { any: match },
          ...(exclude.length ? { exclude: { any: exclude } } : {}),
          validate: {
            failureAction,
            cel: {
              ...(variables.length ? { variables: variables.map(v => ({ name: v.name, expression: v.expression })) } : {}),
              expressions: options.expressions.map(e => ({
                expression: e.expression,
                ...(e.message !== undefined ? { message: e.message } : {}),
                ...(e.messageExpression !== undefined ? { messageExpression: e.messageExpression } : {}),
              })),
            },
          },
        };
      },
    });
    return name;
  }

  /**
   * Adds a generate rule. Idempotent for the same name.
   *
   * @returns the rule name
   */
  public addGenerateRule(options: KyvernoGenerateRuleOptions): string {
    const name = this.checkRuleName(options?.name);
    if (this.rules.some(r => r.name === name)) return name;
    const match = this.checkFilters('match', options.match, true);
    const exclude = this.checkFilters('exclude', options.exclude ?? [], false);
    for (const prop of ['apiVersion', 'kind', 'generatedName'] as const) {
      if (typeof options[prop] !== 'string' || options[prop].trim() === '') invalid(this, `${name}.${prop}`, options[prop], 'must be a non-empty string');
    }
    if (!options.data || typeof options.data !== 'object') invalid(this, `${name}.data`, options.data, 'must be the generated object\'s content');
    this.rules.push({
      name,
      render: () => ({
        name,
        match: { any: match },
        ...(exclude.length ? { exclude: { any: exclude } } : {}),
        generate: {
          apiVersion: options.apiVersion,
          kind: options.kind,
          name: options.generatedName,
          ...(options.generatedNamespace ? { namespace: options.generatedNamespace } : {}),
          synchronize: options.synchronize ?? true,
          generateExisting: options.generateExisting ?? true,
          data: options.data,
        },
      }),
    });
    return name;
  }

  /** The names of the rules, in order. */
  public get ruleNames(): string[] {
    return this.rules.map(r => r.name);
  }

  private checkRuleName(name: string): string {
    if (typeof name !== 'string' || name.length > 63 || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name)) {
      invalid(this, 'rule.name', name, 'must be a DNS-1123 label of at most 63 characters');
    }
    return name;
  }

  private checkFilters(prop: string, filters: KyvernoResourceFilter[], required: boolean): any[] {
    if (!Array.isArray(filters) || (required && filters.length === 0)) {
      invalid(this, prop, filters, 'must list at least one resource filter with kinds: a rule without a match applies to nothing Kyverno can select');
    }
    return filters.map(f => {
      if (!f || !Array.isArray(f.kinds) || f.kinds.length === 0 || f.kinds.some(k => typeof k !== 'string' || k === '' || k === '*')) {
        invalid(this, `${prop}.kinds`, f?.kinds, 'each filter needs explicit kinds (no \'*\')');
      }
      const selector = f.matchLabels || f.labelKeys?.length
        ? {
          ...(f.matchLabels ? { matchLabels: { ...f.matchLabels } } : {}),
          ...(f.labelKeys?.length ? { matchExpressions: f.labelKeys.map(key => ({ key, operator: 'Exists' })) } : {}),
        }
        : undefined;
      for (const op of f.operations ?? []) {
        if (!['CREATE', 'UPDATE', 'DELETE', 'CONNECT'].includes(op)) invalid(this, `${prop}.operations`, op, 'must be one of CREATE, UPDATE, DELETE, CONNECT');
      }
      return {
        resources: {
          kinds: [...f.kinds],
          ...(f.operations?.length ? { operations: [...f.operations] } : {}),
          ...(f.namespaces?.length ? { namespaces: [...f.namespaces] } : {}),
          ...(f.names?.length ? { names: [...f.names] } : {}),
          ...(selector ? { selector } : {}),
        },
      };
    });
  }
}
