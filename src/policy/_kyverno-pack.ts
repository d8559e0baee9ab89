/**
 * The pack for Kyverno 1.19: one ClusterPolicy per policy with `validate.cel` rules (the same CEL
 * Gatekeeper runs), each with its own `failureAction`, and in ENFORCE mode a generate rule that
 * keeps an allow-nothing AuthorizationPolicy in every enrolled namespace.
 */
import { k8s } from 'cdk8s-plus-27';
import { CheckDefinition, celValidations, celVariablesOf } from './_check';
import { celLiteral } from './_cel-literal';
import { CHECKS } from './_checks';
import { PackView } from './_pack-view';
import { FailureAction, KyvernoPolicy } from './kyverno-policy';
import { PolicyMode, ZeroTrustPolicy } from './policy-options';
import { MANAGED_BY } from '../intent/_labels';
import { Layer } from '../intent/intent-graph';

export const GENERATED_POLICY_NAME = 'zero-trust-allow-nothing';

/** Renders the Kyverno pack; returns the policies. */
export function renderKyverno(view: PackView): KyvernoPolicy[] {
  const policies: KyvernoPolicy[] = [];
  const byPolicy = new Map<string, CheckDefinition[]>();
  for (const check of CHECKS) byPolicy.set(check.policy, [...(byPolicy.get(check.policy) ?? []), check]);
  for (const [policy, checks] of byPolicy) {
    const mode = view.modeOf(policy as ZeroTrustPolicy);
    // the generate rule creates policies, which changes traffic: that is enforcing, never auditing
    if (checks.every(c => !c.cel) && mode !== PolicyMode.ENFORCE) continue;
    const at = view.place(Layer.POLICY, `ClusterPolicy-${policy}`);
    const kp = new KyvernoPolicy(at.scope, at.id, {
      name: `zero-trust-${policy}`,
      description: checks.map(c => c.description).join(' '),
      emitWarning: mode === PolicyMode.WARN,
    });
    for (const check of checks) {
      if (!check.cel) {
        addDefaultDenyGenerateRule(view, kp, check);
        continue;
      }
      const target = check.target === 'pod' ? 'Pod' : 'security.istio.io/*/PeerAuthentication';
      kp._addCelRule({
        name: check.id,
        // the object is checked when it is created or changed (never on DELETE: object is null)
        match: [{ kinds: [target], operations: ['CREATE', 'UPDATE'] }],
        exclude: view.systemNamespaces.length ? [{ kinds: [target], namespaces: view.systemNamespaces }] : [],
        variables: celVariablesOf(check),
        expressions: celValidations(check.skipUpdate),
        failureAction: mode === PolicyMode.ENFORCE ? FailureAction.ENFORCE : FailureAction.AUDIT,
      }, () => {
        const params = {
          ...view.staticParameters(check),
          ...(check.parameters.exemptWorkloads ? { exemptWorkloads: [] } : {}),
          ...view.lazyParameters(check),
        };
        // the same variables Gatekeeper defines for K8sNativeValidation, so the same CEL runs
        return [{ name: 'anyObject', expression: 'object' }, { name: 'params', expression: celLiteral(params) }];
      });
    }
    policies.push(kp);
  }
  return policies;
}

/**
 * Kyverno cannot see other objects from a CEL rule; instead of checking that the allow-nothing
 * AuthorizationPolicy exists, it creates it in every enrolled namespace and keeps it there
 * (`synchronize`: a deleted or edited copy is restored). Creating it changes traffic, so the
 * rule exists in ENFORCE mode only: in AUDIT and WARN the Kyverno pack has no default-deny
 * policy (Gatekeeper audits it).
 */
function addDefaultDenyGenerateRule(view: PackView, kp: KyvernoPolicy, check: CheckDefinition): void {
  kp.addGenerateRule({
    name: check.id,
    match: [
      { kinds: ['Namespace'], matchLabels: { 'istio-injection': 'enabled' } },
      { kinds: ['Namespace'], labelKeys: ['istio.io/rev'] },
      { kinds: ['Namespace'], matchLabels: { 'istio.io/dataplane-mode': 'ambient' } },
    ],
    exclude: view.systemNamespaces.length ? [{ kinds: ['Namespace'], names: view.systemNamespaces }] : [],
    apiVersion: 'security.istio.io/v1',
    kind: 'AuthorizationPolicy',
    generatedName: GENERATED_POLICY_NAME,
    generatedNamespace: '{{request.object.metadata.name}}',
    // ALLOW (the default action) with no rules matches nothing: nothing is allowed until an
    // ALLOW policy of the workload says so. Never action DENY, which would override every ALLOW.
    data: { metadata: { labels: { ...MANAGED_BY } }, spec: {} },
  });
  // Kyverno's background controller creates the policies: grant it that, and nothing more
  const at = view.place(Layer.POLICY, 'KyvernoGenerateRbac');
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
