/**
 * The pack for OPA Gatekeeper 3.23: one ConstraintTemplate per check (CEL `K8sNativeValidation`
 * first, Rego v0 as the fallback for engines without CEL), one constraint per check, and the
 * `Config` that syncs what the referential default-deny check reads.
 */
import { ZERO_TRUST_LIB, celValidations, celVariablesOf } from './_check';
import { CHECKS } from './_checks';
import { PackView, checkObjectName } from './_pack-view';
import { Constraint, EnforcementAction } from './constraint';
import { ConstraintTemplate, RegoVersion } from './constraint-template';
import { PolicyMode, ZeroTrustPolicy } from './policy-options';
import * as gkconfig from '../imports/gatekeeper-config';
import { MANAGED_BY } from '../intent/_labels';
import { Layer } from '../intent/intent-graph';

const POD_KIND = { apiGroups: [''], kinds: ['Pod'] };
const PEER_AUTHN_KIND = { apiGroups: ['security.istio.io'], kinds: ['PeerAuthentication'] };
const NAMESPACE_KIND = { apiGroups: [''], kinds: ['Namespace'] };
const TARGET_KINDS = { pod: POD_KIND, peerauthentication: PEER_AUTHN_KIND, namespace: NAMESPACE_KIND };
const ENFORCEMENT: Record<PolicyMode, EnforcementAction> = {
  [PolicyMode.AUDIT]: EnforcementAction.DRYRUN,
  [PolicyMode.WARN]: EnforcementAction.WARN,
  [PolicyMode.ENFORCE]: EnforcementAction.DENY,
};

/** Renders the Gatekeeper pack; returns the templates and constraints. */
export function renderGatekeeper(view: PackView, config: boolean): { templates: ConstraintTemplate[]; constraints: Constraint[] } {
  if (config) {
    const at = view.place(Layer.POLICY_TEMPLATES, 'GatekeeperConfig');
    new gkconfig.Config(at.scope, at.id, {
      metadata: { name: 'config', namespace: view.engineNamespace, labels: { ...MANAGED_BY } },
      spec: {
        sync: {
          syncOnly: [
            { group: '', version: 'v1', kind: 'Namespace' },
            { group: 'security.istio.io', version: 'v1', kind: 'AuthorizationPolicy' },
          ],
        },
      },
    });
  }
  const templates: ConstraintTemplate[] = [];
  const constraints: Constraint[] = [];
  for (const check of CHECKS) {
    const t = view.place(Layer.POLICY_TEMPLATES, check.kind);
    const template = new ConstraintTemplate(t.scope, t.id, {
      kind: check.kind,
      description: check.description,
      rego: check.rego,
      regoVersion: RegoVersion.V0,
      libs: check.usesLib ? [ZERO_TRUST_LIB] : undefined,
      parameters: check.parameters,
      celVariables: check.cel ? celVariablesOf(check) : undefined,
      celValidations: check.cel ? celValidations(check.skipUpdate) : undefined,
    });
    templates.push(template);
    const c = view.place(Layer.POLICY, `Constraint-${check.id}`);
    const constraint = new Constraint(c.scope, c.id, {
      template,
      name: checkObjectName(check),
      enforcementAction: ENFORCEMENT[view.modeOf(check.policy as ZeroTrustPolicy)],
      match: {
        // for a Namespace, excludedNamespaces is matched against its own name
        kinds: [TARGET_KINDS[check.target]],
        ...(view.systemNamespaces.length ? { excludedNamespaces: view.systemNamespaces } : {}),
      },
      parameters: view.staticParameters(check),
    });
    constraint._addLazyParameters(() => view.lazyParameters(check));
    constraints.push(constraint);
  }
  return { templates, constraints };
}
