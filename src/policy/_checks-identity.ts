/** The identity checks: a dedicated ServiceAccount, STRICT mTLS, an allow-nothing AuthorizationPolicy. */
import { CheckDefinition, EXEMPT_WORKLOADS_SCHEMA, has } from './_check';

export const IDENTITY_CHECKS: CheckDefinition[] = [
  {
    policy: 'dedicated-service-account',
    id: 'dedicated-service-account',
    kind: 'K8sDisallowDefaultServiceAccount',
    library: false,
    description: 'The ServiceAccount is the workload\'s identity (its SPIFFE ID, its mTLS principal, its Vault role): pods sharing `default` cannot be told apart by any policy.',
    target: 'pod',
    parameters: { exemptWorkloads: EXEMPT_WORKLOADS_SCHEMA },
    usesLib: true,
    skipUpdate: true,
    cel: [{
      name: 'violations',
      expression: '(!has(variables.anyObject.spec.serviceAccountName) || variables.anyObject.spec.serviceAccountName == "default") && size(variables.exemptWorkloads) == 0 '
        + '? ["The pod runs as the namespace\'s default ServiceAccount: give each workload a dedicated ServiceAccount (its mesh identity)"] : []',
    }],
    rego: `package k8sdisallowdefaultserviceaccount

import data.lib.zero_trust

violation[{"msg": msg, "details": {}}] {
	not zero_trust.is_update(input.review)
	service_account == "default"
	count(zero_trust.exempt_workloads) == 0
	msg := "The pod runs as the namespace's default ServiceAccount: give each workload a dedicated ServiceAccount (its mesh identity)"
}

service_account = sa {
	sa := input.review.object.spec.serviceAccountName
}

service_account = "default" {
	not input.review.object.spec.serviceAccountName
}
`,
  },
  {
    policy: 'strict-mtls',
    id: 'strict-mtls',
    kind: 'K8sPeerAuthnStrictMtls',
    library: false,
    description: 'Identity on every connection: a PeerAuthentication that is not STRICT (Istio\'s default is PERMISSIVE) accepts plaintext, which carries no identity any AuthorizationPolicy can check.',
    target: 'peerauthentication',
    parameters: {},
    usesLib: false,
    skipUpdate: false,
    cel: [
      {
        name: 'portModes',
        expression: 'has(variables.anyObject.spec) && has(variables.anyObject.spec.portLevelMtls) ? variables.anyObject.spec.portLevelMtls.map(p, variables.anyObject.spec.portLevelMtls[p]) : []',
      },
      {
        name: 'violations',
        expression: `(${has('variables.anyObject.spec.mtls.mode')} && variables.anyObject.spec.mtls.mode == "STRICT" ? [] : ["PeerAuthentication must set spec.mtls.mode: STRICT (UNSET inherits PERMISSIVE by default, PERMISSIVE and DISABLE accept plaintext)"]) + `
          + 'variables.portModes.filter(m, has(m.mode) && !(m.mode in ["STRICT", "UNSET"])).map(m, "portLevelMtls must not weaken mTLS: mode " + m.mode + " is not allowed")',
      },
    ],
    rego: `package k8speerauthnstrictmtls

violation[{"msg": msg, "details": {}}] {
	not input.review.object.spec.mtls.mode == "STRICT"
	msg := "PeerAuthentication must set spec.mtls.mode: STRICT (UNSET inherits PERMISSIVE by default, PERMISSIVE and DISABLE accept plaintext)"
}

violation[{"msg": msg, "details": {}}] {
	mode := input.review.object.spec.portLevelMtls[_].mode
	not port_mode_allowed(mode)
	msg := sprintf("portLevelMtls must not weaken mTLS: mode %v is not allowed", [mode])
}

port_mode_allowed("STRICT")

port_mode_allowed("UNSET")
`,
  },
  {
    policy: 'default-deny-authorization',
    id: 'default-deny-authorization',
    kind: 'K8sIstioDefaultDenyAuthz',
    library: false,
    description: 'Deny by default: in a namespace enrolled in the mesh, no pod may start until an allow-nothing AuthorizationPolicy (ALLOW, no selector, no rules) exists, so that only what is declared is reachable.',
    target: 'pod',
    parameters: { exemptWorkloads: EXEMPT_WORKLOADS_SCHEMA },
    usesLib: true,
    skipUpdate: true,
    // referential (needs the synced Namespaces and AuthorizationPolicies): Rego only
    cel: undefined,
    rego: `package k8sistiodefaultdenyauthz

import data.lib.zero_trust

# needs Gatekeeper's Config to sync v1 Namespace and security.istio.io/v1 AuthorizationPolicy
violation[{"msg": msg, "details": {}}] {
	not zero_trust.is_update(input.review)
	ns := zero_trust.review_namespace
	enrolled(ns)
	count(zero_trust.exempt_workloads) == 0
	not has_allow_nothing(ns)
	msg := sprintf("namespace %v is enrolled in the mesh but has no allow-nothing AuthorizationPolicy (action ALLOW, no selector, no rules): create it before any pod", [ns])
}

namespace_labels(ns) := labels {
	labels := object.get(data.inventory.cluster.v1.Namespace[ns].metadata, "labels", {})
}

enrolled(ns) {
	labels := namespace_labels(ns)
	labels["istio-injection"] == "enabled"
}

enrolled(ns) {
	labels := namespace_labels(ns)
	labels["istio.io/rev"]
}

enrolled(ns) {
	labels := namespace_labels(ns)
	labels["istio.io/dataplane-mode"] == "ambient"
}

has_allow_nothing(ns) {
	policy := data.inventory.namespace[ns]["security.istio.io/v1"].AuthorizationPolicy[_]
	allow_nothing(object.get(policy, "spec", {}))
}

allow_nothing(spec) {
	object.get(spec, "action", "ALLOW") == "ALLOW"
	count(object.get(spec, "rules", [])) == 0
	object.get(spec, "selector", null) == null
	object.get(spec, "targetRef", null) == null
	object.get(spec, "targetRefs", null) == null
}
`,
  },
];
