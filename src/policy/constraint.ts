import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { ConstraintTemplate } from './constraint-template';
import { guardProps } from '../intent/_guards';
import { checkDns1123Label, invalid } from '../intent/_validation';

/**
 * What Gatekeeper does with a violation of a constraint.
 */
export enum EnforcementAction {
  /** Reject the request (Gatekeeper's default). */
  DENY = 'deny',
  /** Admit the request; report the violation in audit only. */
  DRYRUN = 'dryrun',
  /** Admit the request with a warning to the client; report it in audit. */
  WARN = 'warn',
}

/**
 * Which objects a constraint applies to, by scope.
 */
export enum MatchScope {
  /** Cluster-scoped and namespaced objects. */
  ALL = '*',
  /** Cluster-scoped objects only. */
  CLUSTER = 'Cluster',
  /** Namespaced objects only. */
  NAMESPACED = 'Namespaced',
}

/**
 * API groups and kinds a constraint matches.
 */
export interface MatchKind {
  /** API groups (`''` is the core group). */
  readonly apiGroups: string[];
  /** Kinds. */
  readonly kinds: string[];
}

/**
 * A label selector requirement.
 */
export interface MatchExpression {
  /** The label key. */
  readonly key: string;
  /** `In`, `NotIn`, `Exists` or `DoesNotExist`. */
  readonly operator: string;
  /**
   * The values (for `In` and `NotIn`).
   *
   * @default - none
   */
  readonly values?: string[];
}

/**
 * The objects a constraint applies to. Every criterion given must match.
 */
export interface ConstraintMatch {
  /** The API groups and kinds (at least one kind). */
  readonly kinds: MatchKind[];
  /**
   * Namespaces the constraint applies to (globs with a leading or trailing `*`).
   *
   * @default - every namespace
   */
  readonly namespaces?: string[];
  /**
   * Namespaces the constraint never applies to (globs with a leading or trailing `*`).
   *
   * @default - none
   */
  readonly excludedNamespaces?: string[];
  /**
   * Labels the object must have.
   *
   * @default - any labels
   */
  readonly matchLabels?: { [key: string]: string };
  /**
   * Label requirements the object must meet.
   *
   * @default - none
   */
  readonly matchExpressions?: MatchExpression[];
  /**
   * Cluster-scoped objects, namespaced objects, or both.
   *
   * @default MatchScope.ALL
   */
  readonly scope?: MatchScope;
}

/**
 * Properties of a Constraint.
 */
export interface ConstraintProps {
  /** The template the constraint instantiates. */
  readonly template: ConstraintTemplate;

  /** The objects the constraint applies to. */
  readonly match: ConstraintMatch;

  /**
   * The constraint name.
   *
   * @default - the construct id
   */
  readonly name?: string;

  /**
   * What Gatekeeper does with a violation.
   *
   * @default EnforcementAction.DENY
   */
  readonly enforcementAction?: EnforcementAction;

  /**
   * The parameters, validated by Gatekeeper against the template's parameters schema. Only
   * parameters the template declares are accepted.
   *
   * @default - none
   */
  readonly parameters?: { [name: string]: any };
}

const NAMESPACE_GLOB = /^\*?[-:a-z0-9]*\*?$/;
const OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

/**
 * Defines a Gatekeeper constraint (`constraints.gatekeeper.sh/v1beta1`, kind = the template's
 * kind): where a ConstraintTemplate applies, with which parameters and enforcement action.
 *
 * The match must name at least one kind: a constraint without kinds matches every object of the
 * cluster. The spec is rendered at synthesis time (parameters may be added until then).
 *
 * @see https://open-policy-agent.github.io/gatekeeper/website/docs/howto#constraints
 */
export class Constraint extends Construct {
  /** The constraint name. */
  public readonly constraintName: string;
  /** The template. */
  public readonly template: ConstraintTemplate;
  /** The enforcement action. */
  public readonly enforcementAction: EnforcementAction;
  /** The constraint object. */
  public readonly resource: ApiObject;

  private readonly match: ConstraintMatch;
  private readonly parameters: { [name: string]: any };
  private readonly lazyParameters: Array<() => { [name: string]: any }> = [];

  public constructor(scope: Construct, id: string, props: ConstraintProps) {
    super(scope, id);
    guardProps(this, 'Constraint', props);
    if (!props || typeof props !== 'object' || !(props.template instanceof ConstraintTemplate)) {
      invalid(this, 'template', props?.template, 'must be a ConstraintTemplate of this app');
    }
    this.template = props.template;
    this.constraintName = checkDns1123Label(this, 'name', props.name ?? id);
    this.enforcementAction = props.enforcementAction ?? EnforcementAction.DENY;
    if (!Object.values(EnforcementAction).includes(this.enforcementAction)) {
      invalid(this, 'enforcementAction', this.enforcementAction, `must be one of ${Object.values(EnforcementAction).join(', ')}`,
        'use dryrun to audit, warn to warn clients, deny to enforce');
    }
    this.match = this.checkMatch(props.match);
    this.parameters = { ...(props.parameters ?? {}) };
    this.checkParameters(this.parameters);

    this.resource = new ApiObject(this, 'Resource', {
      apiVersion: 'constraints.gatekeeper.sh/v1beta1',
      kind: this.template.kind,
      metadata: { name: this.constraintName, labels: { 'app.kubernetes.io/managed-by': 'cdk8s-zero-trust' } },
      spec: Lazy.any({ produce: () => this._toKube() }),
    });
    this.resource.addDependency(this.template.resource);
  }

  /**
   * Adds parameters computed at synthesis time (merged over the static ones).
   * @internal
   */
  public _addLazyParameters(produce: () => { [name: string]: any }): void {
    this.lazyParameters.push(produce);
  }

  /** @internal */
  public _toKube(): any {
    const parameters = { ...this.parameters };
    for (const produce of this.lazyParameters) Object.assign(parameters, produce());
    this.checkParameters(parameters);
    const m = this.match;
    const labelSelector = m.matchLabels || m.matchExpressions
      ? {
        ...(m.matchLabels ? { matchLabels: { ...m.matchLabels } } : {}),
        ...(m.matchExpressions
          ? { matchExpressions: m.matchExpressions.map(e => ({ key: e.key, operator: e.operator, ...(e.values ? { values: [...e.values] } : {}) })) }
          : {}),
      }
      : undefined;
    return {
      enforcementAction: this.enforcementAction,
      match: {
        kinds: m.kinds.map(k => ({ apiGroups: [...k.apiGroups], kinds: [...k.kinds] })),
        ...(m.scope ? { scope: m.scope } : {}),
        ...(m.namespaces ? { namespaces: [...m.namespaces] } : {}),
        ...(m.excludedNamespaces?.length ? { excludedNamespaces: [...m.excludedNamespaces] } : {}),
        ...(labelSelector ? { labelSelector } : {}),
      },
      ...(Object.keys(parameters).length > 0 ? { parameters } : {}),
    };
  }

  private checkMatch(match: ConstraintMatch): ConstraintMatch {
    const allowed = 'must name at least one kind, for example [{ apiGroups: [\'\'], kinds: [\'Pod\'] }]: a constraint without kinds applies to every object in the cluster';
    if (!match || typeof match !== 'object' || !Array.isArray(match.kinds) || match.kinds.length === 0) {
      invalid(this, 'match.kinds', match?.kinds, allowed);
    }
    for (const k of match.kinds) {
      if (!k || !Array.isArray(k.apiGroups) || k.apiGroups.length === 0 || !Array.isArray(k.kinds) || k.kinds.length === 0
        || k.kinds.some(kind => typeof kind !== 'string' || kind === '' || kind === '*')) {
        invalid(this, 'match.kinds', k, `${allowed}; each entry needs apiGroups and explicit kinds (no '*')`);
      }
    }
    for (const prop of ['namespaces', 'excludedNamespaces'] as const) {
      const list = match[prop];
      if (list === undefined) continue;
      if (prop === 'namespaces' && list.length === 0) {
        invalid(this, 'match.namespaces', list, 'must not be empty (Gatekeeper would apply the constraint to every namespace)', 'leave namespaces out to mean every namespace');
      }
      for (const ns of list) {
        if (typeof ns !== 'string' || ns === '' || ns === '*' || !NAMESPACE_GLOB.test(ns)) {
          invalid(this, `match.${prop}`, ns, 'each entry must be a namespace name, optionally with a leading or trailing \'*\' (not \'*\' alone)');
        }
      }
    }
    if (match.scope !== undefined && !Object.values(MatchScope).includes(match.scope)) {
      invalid(this, 'match.scope', match.scope, `must be one of ${Object.values(MatchScope).join(', ')}`);
    }
    for (const e of match.matchExpressions ?? []) {
      if (!e || typeof e.key !== 'string' || !OPERATORS.includes(e.operator)) {
        invalid(this, 'match.matchExpressions', e, `each needs a key and an operator of ${OPERATORS.join(', ')}`);
      }
      const needsValues = e.operator === 'In' || e.operator === 'NotIn';
      if (needsValues !== ((e.values ?? []).length > 0)) {
        invalid(this, 'match.matchExpressions', e, 'In and NotIn need values; Exists and DoesNotExist take none');
      }
    }
    return match;
  }

  private checkParameters(parameters: { [name: string]: any }): void {
    const declared = Object.keys(this.template.parameters);
    for (const key of Object.keys(parameters)) {
      if (!declared.includes(key)) {
        invalid(this, 'parameters', key, declared.length > 0
          ? `is not a parameter of ${this.template.kind} (it has ${declared.join(', ')})`
          : `${this.template.kind} takes no parameters`);
      }
    }
  }
}
