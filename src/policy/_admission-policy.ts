/**
 * What the CEL admission policy types share: Kubernetes' ValidatingAdmissionPolicy and Kyverno's
 * ValidatingPolicy (a superset of it) take the same `matchConstraints`, `variables`,
 * `validations` and `validationActions`. Both engines render each check from here, so the two
 * differ only in how `variables.params` is bound.
 */
import { CheckDefinition, celValidations, celVariablesOf } from './_check';
import { PolicyMode } from './policy-options';

/** The validation actions of a mode: the stages of a rollout. */
export function validationActionsOf(mode: PolicyMode): string[] {
  switch (mode) {
    case PolicyMode.AUDIT: return ['Audit'];
    // Warn and Deny may not be combined; Warn with Audit also records the violation
    case PolicyMode.WARN: return ['Warn', 'Audit'];
    default: return ['Deny'];
  }
}

/** The API resource a check admits. */
export function resourceRuleOf(check: CheckDefinition): any {
  const operations = ['CREATE', 'UPDATE'];
  switch (check.target) {
    case 'pod': return { apiGroups: [''], apiVersions: ['v1'], operations, resources: ['pods'] };
    case 'namespace': return { apiGroups: [''], apiVersions: ['v1'], operations, resources: ['namespaces'] };
    default: return { apiGroups: ['security.istio.io'], apiVersions: ['*'], operations, resources: ['peerauthentications'] };
  }
}

/** `matchConstraints`: the check's resource, in every namespace but the system ones (for a Namespace, the selector matches the Namespace itself). */
export function matchConstraintsOf(check: CheckDefinition, systemNamespaces: string[]): any {
  return {
    resourceRules: [resourceRuleOf(check)],
    ...(systemNamespaces.length ? {
      namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: [...systemNamespaces] }] },
    } : {}),
  };
}

/**
 * The variables and validations of a check, after the engine's own `anyObject` and `params`
 * variables (Gatekeeper defines both itself; the CEL of every check reads them).
 */
export function celSpecOf(check: CheckDefinition, params: string): { variables: any[]; validations: any[] } {
  return {
    variables: [
      { name: 'anyObject', expression: 'object' },
      { name: 'params', expression: params },
      ...celVariablesOf(check).map(v => ({ name: v.name, expression: v.expression })),
    ],
    validations: celValidations(check.skipUpdate).map(v => ({
      expression: v.expression,
      ...(v.message !== undefined ? { message: v.message } : {}),
      ...(v.messageExpression !== undefined ? { messageExpression: v.messageExpression } : {}),
    })),
  };
}
