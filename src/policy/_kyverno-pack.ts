/**
 * The pack for Kyverno 1.19 with its CEL policy types (`policies.kyverno.io/v1`; the legacy
 * `ClusterPolicy` is refused from Kyverno 1.20):
 *
 * - one `ValidatingPolicy` per check, with the check's CEL and `variables.params` bound to the
 *   check's parameters (exemptions included) as a CEL literal, the rollout stage in
 *   `validationActions`, and autogen off (the policy admits Pods as the API server sees them);
 * - in ENFORCE mode a `GeneratingPolicy` that creates and keeps an allow-nothing
 *   AuthorizationPolicy in every mesh-enrolled namespace (creating policies changes traffic).
 */
import { ApiObject, Lazy } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { celSpecOf, matchConstraintsOf, validationActionsOf } from './_admission-policy';
import { celLiteral } from './_cel-literal';
import { CheckDefinition } from './_check';
import { CHECKS } from './_checks';
import { PackView, checkObjectName } from './_pack-view';
import { PolicyMode, ZeroTrustPolicy } from './policy-options';
import * as kyverno from '../imports/kyverno';
import { MANAGED_BY } from '../intent/_labels';
import { Layer } from '../intent/intent-graph';

export const GENERATED_POLICY_NAME = 'zero-trust-allow-nothing';

/** The CEL that says whether a Namespace is enrolled in the mesh (sidecar or ambient). */
export const ENROLLED_NAMESPACE_CEL = 'has(object.metadata.labels) && ('
  + '(("istio-injection" in object.metadata.labels) && object.metadata.labels["istio-injection"] == "enabled") || '
  + '("istio.io/rev" in object.metadata.labels) || '
  + '(("istio.io/dataplane-mode" in object.metadata.labels) && object.metadata.labels["istio.io/dataplane-mode"] == "ambient"))';

/** The parameters of a check as Kyverno binds them: every declared parameter, exemptions included. */
export function kyvernoParams(view: PackView, check: CheckDefinition): { [name: string]: any } {
  return {
    ...view.staticParameters(check),
    ...(check.parameters.exemptWorkloads ? { exemptWorkloads: [] } : {}),
    ...view.lazyParameters(check),
  };
}

/** Renders the Kyverno pack; returns the policies (ValidatingPolicies, then the GeneratingPolicy). */
export function renderKyverno(view: PackView): ApiObject[] {
  const policies: ApiObject[] = [];
  for (const check of CHECKS) {
    const mode = view.modeOf(check.policy as ZeroTrustPolicy);
    if (!check.cel) {
      // the generating policy creates policies, which changes traffic: that is enforcing, never auditing
      if (mode === PolicyMode.ENFORCE) policies.push(renderDefaultDeny(view, check));
      continue;
    }
    const at = view.place(Layer.POLICY, `ValidatingPolicy-${check.id}`);
    policies.push(new ApiObject(at.scope, at.id, {
      ...kyverno.ValidatingPolicy.GVK,
      metadata: {
        name: checkObjectName(check),
        labels: { ...MANAGED_BY },
        annotations: { 'policies.kyverno.io/description': check.description },
      },
      spec: Lazy.any({
        produce: () => ({
          validationActions: validationActionsOf(mode),
          // autogen would rewrite the CEL for Deployments & co.; Pods are what admission sees
          autogen: { podControllers: { controllers: [] } },
          matchConstraints: matchConstraintsOf(check, view.systemNamespaces),
          // the same variables Gatekeeper defines for K8sNativeValidation, so the same CEL runs
          ...celSpecOf(check, celLiteral(kyvernoParams(view, check))),
        }),
      }),
    }));
  }
  return policies;
}

/**
 * Kyverno cannot see other objects from a validating policy's CEL without an API call per
 * request; instead of checking that the allow-nothing AuthorizationPolicy exists, a
 * GeneratingPolicy creates it in every enrolled namespace and keeps it there (`synchronize`: a
 * deleted or edited copy is restored; `generateExisting`: namespaces enrolled before the policy
 * get one too). In AUDIT and WARN the Kyverno pack has no default-deny policy (Gatekeeper audits
 * it).
 */
function renderDefaultDeny(view: PackView, check: CheckDefinition): ApiObject {
  // ALLOW (the default action) with no rules matches nothing: nothing is allowed until an
  // ALLOW policy of the workload says so. Never action DENY, which would override every ALLOW.
  const downstream = {
    apiVersion: 'security.istio.io/v1',
    kind: 'AuthorizationPolicy',
    metadata: { name: GENERATED_POLICY_NAME, labels: { ...MANAGED_BY } },
    spec: {},
  };
  const at = view.place(Layer.POLICY, `GeneratingPolicy-${check.id}`);
  const policy = new ApiObject(at.scope, at.id, {
    ...kyverno.GeneratingPolicy.GVK,
    metadata: {
      name: checkObjectName(check),
      labels: { ...MANAGED_BY },
      annotations: { 'policies.kyverno.io/description': check.description },
    },
    spec: {
      evaluation: { generateExisting: { enabled: true }, synchronize: { enabled: true } },
      matchConstraints: {
        resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['namespaces'] }],
      },
      matchConditions: [
        { name: 'enrolled-in-the-mesh', expression: ENROLLED_NAMESPACE_CEL },
        ...(view.systemNamespaces.length ? [{ name: 'not-a-system-namespace', expression: `!(object.metadata.name in ${celLiteral(view.systemNamespaces)})` }] : []),
      ],
      variables: [
        { name: 'namespace', expression: 'object.metadata.name' },
        { name: 'allowNothing', expression: celLiteral(downstream) },
      ],
      generate: [{ expression: 'generator.Apply(variables.namespace, [variables.allowNothing])' }],
    },
  });
  // Kyverno's background controller creates the policies: grant it that, and nothing more
  const rbac = view.place(Layer.POLICY, 'KyvernoGenerateRbac');
  new k8s.KubeClusterRole(rbac.scope, rbac.id, {
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
  return policy;
}
