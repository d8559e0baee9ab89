/**
 * The Pod Security `restricted` controls the other check groups do not cover: capabilities,
 * seccomp, the ServiceAccount token, and the namespace labels that leave the remaining controls
 * (volume types, /proc mount, sysctls, AppArmor, SELinux, Windows host processes) to the
 * Pod Security admission controller.
 */
import { CheckDefinition, EXEMPT_WORKLOADS_SCHEMA, sc } from './_check';

const caps = (field: string) => `has(c.securityContext) && has(c.securityContext.capabilities) && has(c.securityContext.capabilities.${field})`;

export const POD_SECURITY_CHECKS: CheckDefinition[] = [
  {
    policy: 'capabilities',
    id: 'capabilities',
    kind: 'K8sPSPCapabilities',
    library: true,
    description: 'Every Linux capability is a piece of root: containers drop ALL and add back only NET_BIND_SERVICE (Pod Security restricted); an exempted container may add exactly the capabilities declared for it.',
    target: 'pod',
    parameters: {
      exemptWorkloads: EXEMPT_WORKLOADS_SCHEMA,
      allowedCapabilities: { type: 'array', description: 'Capabilities containers may add.', items: { type: 'string' } },
      requiredDropCapabilities: { type: 'array', description: 'Capabilities containers must drop.', items: { type: 'string' } },
    },
    usesLib: true,
    skipUpdate: true,
    cel: [
      { name: 'allowedCapabilities', expression: 'has(variables.params.allowedCapabilities) ? variables.params.allowedCapabilities : []' },
      { name: 'requiredDrops', expression: 'has(variables.params.requiredDropCapabilities) ? variables.params.requiredDropCapabilities : []' },
      {
        name: 'violations',
        expression: `variables.allContainers.filter(c, !(c.name in variables.exemptContainerNames) && variables.requiredDrops.exists(d, !(${caps('drop')} && d in c.securityContext.capabilities.drop)))`
          + '.map(c, "Container " + c.name + " must drop the capabilities [" + variables.requiredDrops.join(", ") + "]") + '
          + `variables.allContainers.filter(c, ${caps('add')} && c.securityContext.capabilities.add.exists(a, !(a in variables.allowedCapabilities) && !(c.name in variables.exemptContainerNames && variables.podAllowed.exists(l, a in l))))`
          + '.map(c, "Container " + c.name + " adds capabilities beyond [" + variables.allowedCapabilities.join(", ") + "]")',
      },
    ],
    rego: `package k8spspcapabilities

import data.lib.zero_trust

violation[{"msg": msg, "details": {}}] {
	not zero_trust.is_update(input.review)
	c := zero_trust.input_containers[_]
	not zero_trust.exempt_container(c)
	drops := object.get(input.parameters, "requiredDropCapabilities", [])
	d := drops[_]
	not dropped(c, d)
	msg := sprintf("Container %v must drop the capabilities %v", [c.name, drops])
}

violation[{"msg": msg, "details": {}}] {
	not zero_trust.is_update(input.review)
	c := zero_trust.input_containers[_]
	added := c.securityContext.capabilities.add[_]
	not allowed_capability(added)
	not allowed_for_container(c, added)
	msg := sprintf("Container %v adds capabilities beyond %v", [c.name, object.get(input.parameters, "allowedCapabilities", [])])
}

dropped(c, d) {
	c.securityContext.capabilities.drop[_] == d
}

allowed_capability(capability) {
	allowed := object.get(input.parameters, "allowedCapabilities", [])
	allowed[_] == capability
}

allowed_for_container(c, capability) {
	zero_trust.exempt_container(c)
	zero_trust.allowed_for_workload(capability)
}
`,
  },
  {
    policy: 'seccomp-profile',
    id: 'seccomp-profile',
    kind: 'K8sRequiredSeccompProfile',
    library: false,
    description: 'Seccomp filters the system calls a compromised process can make: every container runs with the RuntimeDefault or a Localhost profile, set on the container or inherited from the pod (Pod Security restricted).',
    target: 'pod',
    parameters: { exemptWorkloads: EXEMPT_WORKLOADS_SCHEMA },
    usesLib: true,
    skipUpdate: true,
    cel: [
      {
        name: 'podSeccomp',
        expression: 'has(variables.anyObject.spec.securityContext) && has(variables.anyObject.spec.securityContext.seccompProfile) && has(variables.anyObject.spec.securityContext.seccompProfile.type) ? variables.anyObject.spec.securityContext.seccompProfile.type : ""',
      },
      {
        name: 'violations',
        expression: `variables.checkedContainers.filter(c, !((${sc('seccompProfile')} && has(c.securityContext.seccompProfile.type) ? c.securityContext.seccompProfile.type : variables.podSeccomp) in ["RuntimeDefault", "Localhost"]))`
          + '.map(c, "Container " + c.name + " must run with the seccomp profile RuntimeDefault or Localhost (set securityContext.seccompProfile on the pod or the container)")',
      },
    ],
    rego: `package k8srequiredseccompprofile

import data.lib.zero_trust

violation[{"msg": msg, "details": {}}] {
	not zero_trust.is_update(input.review)
	c := zero_trust.input_containers[_]
	not zero_trust.exempt_container(c)
	not allowed_profile(profile_type(c))
	msg := sprintf("Container %v must run with the seccomp profile RuntimeDefault or Localhost (set securityContext.seccompProfile on the pod or the container)", [c.name])
}

# the container's profile type, else the pod's, else ""
profile_type(c) = t {
	t := c.securityContext.seccompProfile.type
}

profile_type(c) = t {
	not c.securityContext.seccompProfile.type
	t := object.get(object.get(object.get(input.review.object.spec, "securityContext", {}), "seccompProfile", {}), "type", "")
}

allowed_profile("RuntimeDefault")

allowed_profile("Localhost")
`,
  },
  {
    policy: 'service-account-token',
    id: 'service-account-token',
    kind: 'K8sDisallowServiceAccountTokenAutomount',
    library: false,
    description: 'A mounted ServiceAccount token is an API credential anyone who breaks into the pod can use: pods set automountServiceAccountToken: false unless they are declared to call the API (projected tokens with their own audience stay possible).',
    target: 'pod',
    parameters: { exemptWorkloads: EXEMPT_WORKLOADS_SCHEMA },
    usesLib: true,
    skipUpdate: true,
    cel: [{
      name: 'violations',
      expression: '(!has(variables.anyObject.spec.automountServiceAccountToken) || variables.anyObject.spec.automountServiceAccountToken) && size(variables.exemptWorkloads) == 0 '
        + '? ["The pod mounts its ServiceAccount token: set automountServiceAccountToken: false (or declare the workload\'s API access)"] : []',
    }],
    rego: `package k8sdisallowserviceaccounttokenautomount

import data.lib.zero_trust

violation[{"msg": msg, "details": {}}] {
	not zero_trust.is_update(input.review)
	not input.review.object.spec.automountServiceAccountToken == false
	count(zero_trust.exempt_workloads) == 0
	msg := "The pod mounts its ServiceAccount token: set automountServiceAccountToken: false (or declare the workload's API access)"
}
`,
  },
  {
    policy: 'pod-security-labels',
    id: 'pod-security-labels',
    kind: 'K8sRequiredPodSecurityLabels',
    library: false,
    description: 'The Pod Security controls the pack does not check itself (volume types, /proc mount, sysctls, AppArmor, SELinux, Windows host processes) are enforced by the Pod Security admission controller: every namespace enforces the restricted level, or, where declared privileged workloads run, labels its level explicitly.',
    target: 'namespace',
    parameters: {
      exemptNamespaces: { type: 'array', description: 'Namespaces that run declared privileged workloads and may enforce baseline or privileged.', items: { type: 'string' } },
    },
    usesLib: false,
    skipUpdate: false,
    cel: [
      { name: 'labels', expression: 'has(variables.anyObject.metadata.labels) ? variables.anyObject.metadata.labels : {}' },
      { name: 'level', expression: '"pod-security.kubernetes.io/enforce" in variables.labels ? variables.labels["pod-security.kubernetes.io/enforce"] : ""' },
      { name: 'relaxed', expression: 'has(variables.params.exemptNamespaces) && variables.anyObject.metadata.name in variables.params.exemptNamespaces' },
      {
        name: 'violations',
        expression: 'variables.level == "restricted" || (variables.relaxed && variables.level in ["baseline", "privileged"]) ? [] : '
          + '["Namespace " + variables.anyObject.metadata.name + " must enforce Pod Security restricted (label pod-security.kubernetes.io/enforce: restricted)'
          + '; only namespaces of declared privileged workloads may enforce baseline or privileged"]',
      },
    ],
    rego: `package k8srequiredpodsecuritylabels

violation[{"msg": msg, "details": {}}] {
	ns := input.review.object.metadata.name
	level := object.get(object.get(input.review.object.metadata, "labels", {}), "pod-security.kubernetes.io/enforce", "")
	not allowed_level(ns, level)
	msg := sprintf("Namespace %v must enforce Pod Security restricted (label pod-security.kubernetes.io/enforce: restricted); only namespaces of declared privileged workloads may enforce baseline or privileged", [ns])
}

allowed_level(_, "restricted")

allowed_level(ns, level) {
	relaxed := object.get(input.parameters, "exemptNamespaces", [])
	relaxed[_] == ns
	relaxed_level(level)
}

relaxed_level("baseline")

relaxed_level("privileged")
`,
  },
];
