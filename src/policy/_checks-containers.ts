/** The container checks: privileged, privilege escalation, non-root, resources, read-only root filesystem. */
import { CheckDefinition, EXEMPT_IMAGES_SCHEMA, EXEMPT_WORKLOADS_SCHEMA, has, sc } from './_check';

export const CONTAINER_CHECKS: CheckDefinition[] = [
  {
    policy: 'privileged-containers',
    id: 'privileged-containers',
    kind: 'K8sPSPPrivilegedContainer',
    library: true,
    description: 'A privileged container has every capability and every device of the node: one compromised workload owns the node, and with it every identity on it.',
    target: 'pod',
    parameters: { exemptImages: EXEMPT_IMAGES_SCHEMA, exemptWorkloads: EXEMPT_WORKLOADS_SCHEMA },
    usesLib: true,
    skipUpdate: true,
    cel: [{
      name: 'violations',
      expression: `variables.checkedContainers.filter(c, ${sc('privileged')} && c.securityContext.privileged).map(c, "Privileged container is not allowed: " + c.name)`,
    }],
    rego: `package k8spspprivilegedcontainer

import data.lib.zero_trust

violation[{"msg": msg, "details": {}}] {
	not zero_trust.is_update(input.review)
	c := zero_trust.input_containers[_]
	c.securityContext.privileged == true
	not zero_trust.exempt_container(c)
	msg := sprintf("Privileged container is not allowed: %v", [c.name])
}
`,
  },
  {
    policy: 'privilege-escalation',
    id: 'privilege-escalation',
    kind: 'K8sPSPAllowPrivilegeEscalationContainer',
    library: true,
    description: 'A process that may gain privileges (setuid binaries, file capabilities) turns a foothold into root: containers must set allowPrivilegeEscalation: false.',
    target: 'pod',
    parameters: { exemptImages: EXEMPT_IMAGES_SCHEMA, exemptWorkloads: EXEMPT_WORKLOADS_SCHEMA },
    usesLib: true,
    skipUpdate: true,
    cel: [{
      name: 'violations',
      expression: `variables.checkedContainers.filter(c, !(${sc('allowPrivilegeEscalation')}) || c.securityContext.allowPrivilegeEscalation).map(c, "Privilege escalation container is not allowed: " + c.name + " (set securityContext.allowPrivilegeEscalation: false)")`,
    }],
    rego: `package k8spspallowprivilegeescalationcontainer

import data.lib.zero_trust

violation[{"msg": msg, "details": {}}] {
	not zero_trust.is_update(input.review)
	c := zero_trust.input_containers[_]
	not c.securityContext.allowPrivilegeEscalation == false
	not zero_trust.exempt_container(c)
	msg := sprintf("Privilege escalation container is not allowed: %v (set securityContext.allowPrivilegeEscalation: false)", [c.name])
}
`,
  },
  {
    policy: 'run-as-non-root',
    id: 'run-as-non-root',
    kind: 'K8sPSPAllowedUsers',
    library: true,
    description: 'Root in a container is root on the node once any isolation fails: containers must run as a non-zero user (runAsUser != 0, or runAsNonRoot: true), container settings overriding the pod\'s.',
    target: 'pod',
    parameters: {
      exemptImages: EXEMPT_IMAGES_SCHEMA,
      exemptWorkloads: EXEMPT_WORKLOADS_SCHEMA,
      runAsUser: {
        type: 'object',
        description: 'Which users containers may run as. This template implements the MustRunAsNonRoot and RunAsAny rules of the gatekeeper-library template.',
        properties: { rule: { type: 'string', enum: ['MustRunAsNonRoot', 'RunAsAny'] } },
      },
    },
    usesLib: true,
    skipUpdate: true,
    cel: [
      { name: 'podRunAsUser', expression: `${has('variables.anyObject.spec.securityContext.runAsUser')} ? variables.anyObject.spec.securityContext.runAsUser : -1` },
      { name: 'podRunAsNonRoot', expression: `${has('variables.anyObject.spec.securityContext.runAsNonRoot')} && variables.anyObject.spec.securityContext.runAsNonRoot` },
      {
        name: 'violations',
        expression: 'has(variables.params.runAsUser) && has(variables.params.runAsUser.rule) && variables.params.runAsUser.rule == "MustRunAsNonRoot" ? '
          + `variables.checkedContainers.filter(c, ${sc('runAsUser')} ? c.securityContext.runAsUser == 0 : (variables.podRunAsUser == 0 || (variables.podRunAsUser == -1 && !(${sc('runAsNonRoot')} ? c.securityContext.runAsNonRoot : variables.podRunAsNonRoot))))`
          + '.map(c, "Container " + c.name + " is attempting to run as root: set securityContext.runAsNonRoot: true or a runAsUser other than 0") : []',
      },
    ],
    rego: `package k8spspallowedusers

import data.lib.zero_trust

violation[{"msg": msg, "details": {}}] {
	not zero_trust.is_update(input.review)
	input.parameters.runAsUser.rule == "MustRunAsNonRoot"
	c := zero_trust.input_containers[_]
	not zero_trust.exempt_container(c)
	runs_as_root(c)
	msg := sprintf("Container %v is attempting to run as root: set securityContext.runAsNonRoot: true or a runAsUser other than 0", [c.name])
}

# the container's runAsUser, else the pod's
run_as_user(c) = user {
	user := c.securityContext.runAsUser
}

run_as_user(c) = user {
	object.get(object.get(c, "securityContext", {}), "runAsUser", null) == null
	user := input.review.object.spec.securityContext.runAsUser
}

# the container's runAsNonRoot, else the pod's
run_as_non_root(c) {
	c.securityContext.runAsNonRoot == true
}

run_as_non_root(c) {
	object.get(object.get(c, "securityContext", {}), "runAsNonRoot", null) == null
	input.review.object.spec.securityContext.runAsNonRoot == true
}

runs_as_root(c) {
	run_as_user(c) == 0
}

runs_as_root(c) {
	not run_as_user(c)
	not run_as_non_root(c)
}
`,
  },
  {
    policy: 'required-resources',
    id: 'required-resources',
    kind: 'K8sRequiredResources',
    library: true,
    description: 'A pod without limits can starve its neighbours, a denial of service across trust boundaries; without requests the scheduler cannot place it safely.',
    target: 'pod',
    parameters: {
      exemptImages: EXEMPT_IMAGES_SCHEMA,
      exemptWorkloads: EXEMPT_WORKLOADS_SCHEMA,
      limits: { type: 'array', description: 'Limits every container must set.', items: { type: 'string', enum: ['cpu', 'memory'] } },
      requests: { type: 'array', description: 'Requests every container must set.', items: { type: 'string', enum: ['cpu', 'memory'] } },
    },
    usesLib: true,
    skipUpdate: false,
    cel: [
      { name: 'requiredLimits', expression: 'has(variables.params.limits) ? variables.params.limits : []' },
      { name: 'requiredRequests', expression: 'has(variables.params.requests) ? variables.params.requests : []' },
      {
        name: 'violations',
        // ephemeral containers cannot set resources
        expression: '(variables.containers + variables.initContainers).filter(c, !(c.name in variables.exemptContainerNames)).filter(c, '
          + 'variables.requiredLimits.exists(r, !(has(c.resources) && has(c.resources.limits) && r in c.resources.limits)) || '
          + 'variables.requiredRequests.exists(r, !(has(c.resources) && has(c.resources.requests) && r in c.resources.requests)))'
          + '.map(c, "Container " + c.name + " must set resource limits [" + variables.requiredLimits.join(", ") + "] and requests [" + variables.requiredRequests.join(", ") + "]")',
      },
    ],
    rego: `package k8srequiredresources

import data.lib.zero_trust

violation[{"msg": msg, "details": {}}] {
	c := resource_containers[_]
	not zero_trust.exempt_container(c)
	limits := object.get(input.parameters, "limits", [])
	r := limits[_]
	not c.resources.limits[r]
	msg := sprintf("Container %v must set resource limits %v and requests %v", [c.name, object.get(input.parameters, "limits", []), object.get(input.parameters, "requests", [])])
}

violation[{"msg": msg, "details": {}}] {
	c := resource_containers[_]
	not zero_trust.exempt_container(c)
	requests := object.get(input.parameters, "requests", [])
	r := requests[_]
	not c.resources.requests[r]
	msg := sprintf("Container %v must set resource limits %v and requests %v", [c.name, object.get(input.parameters, "limits", []), object.get(input.parameters, "requests", [])])
}

# ephemeral containers cannot set resources
resource_containers[c] {
	c := input.review.object.spec.containers[_]
}

resource_containers[c] {
	c := input.review.object.spec.initContainers[_]
}
`,
  },
  {
    policy: 'read-only-root-filesystem',
    id: 'read-only-root-filesystem',
    kind: 'K8sPSPReadOnlyRootFilesystem',
    library: true,
    description: 'An attacker who cannot write to the container\'s filesystem cannot drop tools or persist: root filesystems are read-only, writable paths are explicit volumes.',
    target: 'pod',
    parameters: { exemptImages: EXEMPT_IMAGES_SCHEMA, exemptWorkloads: EXEMPT_WORKLOADS_SCHEMA },
    usesLib: true,
    skipUpdate: true,
    cel: [{
      name: 'violations',
      expression: `variables.checkedContainers.filter(c, !(${sc('readOnlyRootFilesystem')}) || !c.securityContext.readOnlyRootFilesystem).map(c, "only read-only root filesystem container is allowed: " + c.name)`,
    }],
    rego: `package k8spspreadonlyrootfilesystem

import data.lib.zero_trust

violation[{"msg": msg, "details": {}}] {
	not zero_trust.is_update(input.review)
	c := zero_trust.input_containers[_]
	not zero_trust.exempt_container(c)
	not c.securityContext.readOnlyRootFilesystem == true
	msg := sprintf("only read-only root filesystem container is allowed: %v", [c.name])
}
`,
  },
];
