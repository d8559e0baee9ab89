/**
 * The checks of the zero-trust policy pack, each written once and rendered for both engines:
 *
 * - a Gatekeeper ConstraintTemplate with the gatekeeper-library kind and parameters where the
 *   library has one (plus `exemptWorkloads`), carrying CEL (`K8sNativeValidation`, evaluated by
 *   Gatekeeper 3.18+) and Rego v0 (for engines without CEL);
 * - a Kyverno `validate.cel` rule evaluating the SAME CEL, with `variables.anyObject` and
 *   `variables.params` defined as Gatekeeper defines them (the object, and the parameters as a
 *   CEL literal).
 *
 * Exemptions are data (`params.exemptWorkloads`: namespace, pod labels, containers, allowed host
 * namespaces or paths), never a namespace-wide or cluster-wide exclusion.
 */
import { CelValidation, CelVariable } from './constraint-template';

/** One check: one ConstraintTemplate + Constraint, or one Kyverno rule. */
export interface CheckDefinition {
  /** The pack policy (ZeroTrustPolicy value) the check belongs to. */
  readonly policy: string;
  /** Constraint / rule name suffix. */
  readonly id: string;
  /** The Gatekeeper constraint kind. */
  readonly kind: string;
  /** Whether the kind is the gatekeeper-library's own (same kind and parameters). */
  readonly library: boolean;
  readonly description: string;
  /** What the check admits: Pods, or Istio PeerAuthentications. */
  readonly target: 'pod' | 'peerauthentication';
  /** Parameters schema properties. */
  readonly parameters: { [name: string]: any };
  /** The Rego module (v0). */
  readonly rego: string;
  /** Whether the Rego uses lib.zero_trust. */
  readonly usesLib: boolean;
  /** CEL variables after the common ones; undefined: the check is Rego only (referential). */
  readonly cel?: CelVariable[];
  /** Whether UPDATE requests are skipped (fields immutable on Pods). */
  readonly skipUpdate: boolean;
}

const EXEMPT_WORKLOADS_SCHEMA = {
  type: 'array',
  description: 'Workloads exempted from this check: pods in `namespace` whose labels include every `podLabels` entry; only `containers` (all when empty); `allowed` lists the host namespaces or host paths they may use.',
  items: {
    type: 'object',
    properties: {
      namespace: { type: 'string' },
      podLabels: { type: 'object', additionalProperties: { type: 'string' } },
      containers: { type: 'array', items: { type: 'string' } },
      allowed: { type: 'array', items: { type: 'string' } },
      reason: { type: 'string' },
    },
  },
};

const EXEMPT_IMAGES_SCHEMA = {
  type: 'array',
  description: 'Images exempted from this check (exact, or a prefix ending in `*`). Prefer exemptWorkloads: anyone may run an image.',
  items: { type: 'string' },
};

/** The Rego library every pod check imports. */
export const ZERO_TRUST_LIB = `package lib.zero_trust

is_update(review) {
	review.operation == "UPDATE"
}

params := object.get(input, "parameters", {})

review_namespace = ns {
	ns := input.review.object.metadata.namespace
}

review_namespace = ns {
	not input.review.object.metadata.namespace
	ns := input.review.namespace
}

pod_labels := object.get(input.review.object.metadata, "labels", {})

# the exemptWorkloads entries that select this pod: same namespace, every label present
exempt_workloads[w] {
	workloads := object.get(params, "exemptWorkloads", [])
	w := workloads[_]
	w.namespace == review_namespace
	mismatched := [k | v := w.podLabels[k]; object.get(pod_labels, k, null) != v]
	count(mismatched) == 0
}

exempt_container(_) {
	w := exempt_workloads[_]
	count(object.get(w, "containers", [])) == 0
}

exempt_container(container) {
	w := exempt_workloads[_]
	w.containers[_] == container.name
}

exempt_container(container) {
	exempt_images := object.get(params, "exemptImages", [])
	exemption := exempt_images[_]
	not endswith(exemption, "*")
	container.image == exemption
}

exempt_container(container) {
	exempt_images := object.get(params, "exemptImages", [])
	exemption := exempt_images[_]
	endswith(exemption, "*")
	startswith(container.image, trim_suffix(exemption, "*"))
}

# a host namespace or host path an exempted workload may use
allowed_for_workload(value) {
	w := exempt_workloads[_]
	w.allowed[_] == value
}

input_containers[c] {
	c := input.review.object.spec.containers[_]
}

input_containers[c] {
	c := input.review.object.spec.initContainers[_]
}

input_containers[c] {
	c := input.review.object.spec.ephemeralContainers[_]
}
`;

const has = (path: string) => {
  // has(a.b.c) guarded at each level: has(a.b) && has(a.b.c)
  const parts = path.split('.');
  const guards: string[] = [];
  for (let i = 2; i < parts.length; i++) guards.push(`has(${parts.slice(0, i + 1).join('.')})`);
  return guards.join(' && ');
};

/** CEL variables every pod check starts with (after Gatekeeper's anyObject and params). */
export const POD_CEL_VARIABLES: CelVariable[] = [
  { name: 'containers', expression: 'has(variables.anyObject.spec.containers) ? variables.anyObject.spec.containers : []' },
  { name: 'initContainers', expression: 'has(variables.anyObject.spec.initContainers) ? variables.anyObject.spec.initContainers : []' },
  { name: 'ephemeralContainers', expression: 'has(variables.anyObject.spec.ephemeralContainers) ? variables.anyObject.spec.ephemeralContainers : []' },
  { name: 'allContainers', expression: 'variables.containers + variables.initContainers + variables.ephemeralContainers' },
  { name: 'podNamespace', expression: 'has(variables.anyObject.metadata.namespace) ? variables.anyObject.metadata.namespace : (has(request.namespace) ? request.namespace : "")' },
  { name: 'podLabels', expression: 'has(variables.anyObject.metadata.labels) ? variables.anyObject.metadata.labels : {}' },
  {
    name: 'exemptWorkloads',
    expression: '(has(variables.params.exemptWorkloads) ? variables.params.exemptWorkloads : []).filter(w, w.namespace == variables.podNamespace && w.podLabels.all(k, k in variables.podLabels && variables.podLabels[k] == w.podLabels[k]))',
  },
  { name: 'exemptImages', expression: 'has(variables.params.exemptImages) ? variables.params.exemptImages : []' },
  {
    name: 'exemptContainerNames',
    expression: 'variables.allContainers.filter(c, variables.exemptImages.exists(i, i.endsWith("*") ? c.image.startsWith(i.substring(0, i.size() - 1)) : c.image == i) || variables.exemptWorkloads.exists(w, !has(w.containers) || size(w.containers) == 0 || c.name in w.containers)).map(c, c.name)',
  },
  { name: 'checkedContainers', expression: 'variables.allContainers.filter(c, !(c.name in variables.exemptContainerNames))' },
  // the host namespaces and host paths the exempted workloads selecting this pod may use
  { name: 'podAllowed', expression: 'variables.exemptWorkloads.filter(w, has(w.allowed)).map(w, w.allowed)' },
];

/**
 * The CEL variables a check starts with: the pod ones for pod checks (reading `exemptImages` only
 * where the check declares that parameter), then its own.
 */
export function celVariablesOf(check: CheckDefinition): CelVariable[] {
  const pod = check.target !== 'pod' ? [] : POD_CEL_VARIABLES.map(v => (v.name === 'exemptImages' && !check.parameters.exemptImages ? { name: v.name, expression: '[]' } : v));
  return [...pod, ...(check.cel ?? [])];
}

/** The validation every check ends with: no violations (UPDATE skipped where fields are immutable). */
export function celValidations(skipUpdate: boolean): CelValidation[] {
  return [{
    expression: skipUpdate ? '(has(request.operation) && request.operation == "UPDATE") || size(variables.violations) == 0' : 'size(variables.violations) == 0',
    messageExpression: 'variables.violations.join("; ")',
  }];
}

const sc = (field: string) => `has(c.securityContext) && has(c.securityContext.${field})`;

export const CHECKS: CheckDefinition[] = [
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
    policy: 'allowed-registries',
    id: 'allowed-registries',
    kind: 'K8sAllowedRepos',
    library: true,
    description: 'Code is an identity too: only images from registries the platform trusts (and scans and signs) may run. Entries are prefixes and end with \'/\', so \'ghcr.io/acme/\' does not admit \'ghcr.io/acme-evil/\'.',
    target: 'pod',
    parameters: {
      exemptImages: EXEMPT_IMAGES_SCHEMA,
      exemptWorkloads: EXEMPT_WORKLOADS_SCHEMA,
      repos: { type: 'array', description: 'Allowed image prefixes.', items: { type: 'string' } },
    },
    usesLib: true,
    skipUpdate: false,
    cel: [
      { name: 'repos', expression: 'has(variables.params.repos) ? variables.params.repos : []' },
      {
        name: 'violations',
        expression: 'variables.checkedContainers.filter(c, !variables.repos.exists(r, c.image.startsWith(r))).map(c, "container <" + c.name + "> has an invalid image repo <" + c.image + ">, allowed repos are [" + variables.repos.join(", ") + "]")',
      },
    ],
    rego: `package k8sallowedrepos

import data.lib.zero_trust

violation[{"msg": msg, "details": {}}] {
	c := zero_trust.input_containers[_]
	not zero_trust.exempt_container(c)
	not allowed_image(c.image)
	msg := sprintf("container <%v> has an invalid image repo <%v>, allowed repos are %v", [c.name, c.image, object.get(input.parameters, "repos", [])])
}

allowed_image(image) {
	repos := object.get(input.parameters, "repos", [])
	startswith(image, repos[_])
}
`,
  },
  {
    policy: 'disallowed-tags',
    id: 'disallowed-tags',
    kind: 'K8sDisallowedTags',
    library: true,
    description: 'A mutable tag (`latest`, or no tag) means the code that runs is not the code that was reviewed: images must name a version tag or a digest.',
    target: 'pod',
    parameters: {
      exemptImages: EXEMPT_IMAGES_SCHEMA,
      exemptWorkloads: EXEMPT_WORKLOADS_SCHEMA,
      tags: { type: 'array', description: 'Disallowed tags; an image without a tag or digest is rejected too.', items: { type: 'string' } },
    },
    usesLib: true,
    skipUpdate: false,
    cel: [
      { name: 'tags', expression: 'has(variables.params.tags) ? variables.params.tags : []' },
      {
        name: 'violations',
        expression: 'variables.checkedContainers.filter(c, !c.image.contains("@") && (c.image.lastIndexOf(":") <= c.image.lastIndexOf("/") || c.image.substring(c.image.lastIndexOf(":") + 1) in variables.tags))'
          + '.map(c, "container <" + c.name + "> uses a disallowed tag or no tag <" + c.image + ">; disallowed tags are [" + variables.tags.join(", ") + "]: pin a version or a digest")',
      },
    ],
    rego: `package k8sdisallowedtags

import data.lib.zero_trust

violation[{"msg": msg, "details": {}}] {
	c := zero_trust.input_containers[_]
	not zero_trust.exempt_container(c)
	not contains(c.image, "@")
	tag_disallowed(c.image)
	msg := sprintf("container <%v> uses a disallowed tag or no tag <%v>; disallowed tags are %v: pin a version or a digest", [c.name, c.image, object.get(input.parameters, "tags", [])])
}

# the tag follows the last ':' of the last path segment (a registry port is not a tag)
image_tag(image) := tag {
	segments := split(image, "/")
	last := count(segments) - 1
	name := split(segments[last], ":")
	count(name) == 2
	tag := name[1]
}

tag_disallowed(image) {
	not image_tag(image)
}

tag_disallowed(image) {
	tags := object.get(input.parameters, "tags", [])
	image_tag(image) == tags[_]
}
`,
  },
  {
    policy: 'host-namespaces',
    id: 'host-pid-ipc',
    kind: 'K8sPSPHostNamespace',
    library: true,
    description: 'Sharing the node\'s PID or IPC namespace lets a pod see and signal every process of the node, other tenants\' included.',
    target: 'pod',
    parameters: { exemptWorkloads: EXEMPT_WORKLOADS_SCHEMA },
    usesLib: true,
    skipUpdate: true,
    cel: [
      {
        name: 'violations',
        expression: '(has(variables.anyObject.spec.hostPID) && variables.anyObject.spec.hostPID && !variables.podAllowed.exists(a, "hostPID" in a) ? ["Sharing the host namespace is not allowed: hostPID"] : []) + '
          + '(has(variables.anyObject.spec.hostIPC) && variables.anyObject.spec.hostIPC && !variables.podAllowed.exists(a, "hostIPC" in a) ? ["Sharing the host namespace is not allowed: hostIPC"] : [])',
      },
    ],
    rego: `package k8spsphostnamespace

import data.lib.zero_trust

violation[{"msg": msg, "details": {}}] {
	not zero_trust.is_update(input.review)
	fields := ["hostPID", "hostIPC"]
	field := fields[_]
	input.review.object.spec[field] == true
	not zero_trust.allowed_for_workload(field)
	msg := sprintf("Sharing the host namespace is not allowed: %v", [field])
}
`,
  },
  {
    policy: 'host-namespaces',
    id: 'host-network',
    kind: 'K8sPSPHostNetworkingPorts',
    library: true,
    description: 'A pod on the host network bypasses NetworkPolicies and the mesh: its traffic has neither a pod identity nor mTLS.',
    target: 'pod',
    parameters: {
      exemptImages: EXEMPT_IMAGES_SCHEMA,
      exemptWorkloads: EXEMPT_WORKLOADS_SCHEMA,
      hostNetwork: { type: 'boolean', description: 'Whether pods may use the host network.' },
      min: { type: 'integer', description: 'The lowest allowed hostPort.' },
      max: { type: 'integer', description: 'The highest allowed hostPort.' },
    },
    usesLib: true,
    skipUpdate: true,
    cel: [
      {
        name: 'violations',
        expression: '(!(has(variables.params.hostNetwork) && variables.params.hostNetwork) && has(variables.anyObject.spec.hostNetwork) && variables.anyObject.spec.hostNetwork && !variables.podAllowed.exists(a, "hostNetwork" in a) ? ["The pod shares the host network namespace, which is not allowed"] : []) + '
          + 'variables.checkedContainers.filter(c, has(c.ports) && c.ports.exists(p, has(p.hostPort) && ((has(variables.params.min) && p.hostPort < variables.params.min) || (has(variables.params.max) && p.hostPort > variables.params.max))))'
          + '.map(c, "Container " + c.name + " uses a hostPort outside the allowed range")',
      },
    ],
    rego: `package k8spsphostnetworkingports

import data.lib.zero_trust

violation[{"msg": msg, "details": {}}] {
	not zero_trust.is_update(input.review)
	input.review.object.spec.hostNetwork == true
	not input.parameters.hostNetwork == true
	not zero_trust.allowed_for_workload("hostNetwork")
	msg := "The pod shares the host network namespace, which is not allowed"
}

violation[{"msg": msg, "details": {}}] {
	not zero_trust.is_update(input.review)
	c := zero_trust.input_containers[_]
	not zero_trust.exempt_container(c)
	port := c.ports[_].hostPort
	out_of_range(port)
	msg := sprintf("Container %v uses a hostPort outside the allowed range", [c.name])
}

out_of_range(port) {
	port < input.parameters.min
}

out_of_range(port) {
	port > input.parameters.max
}
`,
  },
  {
    policy: 'host-filesystem',
    id: 'host-filesystem',
    kind: 'K8sPSPHostFilesystem',
    library: true,
    description: 'A hostPath volume reaches past the container onto the node: kubelet credentials, other pods\' secrets, the container runtime socket.',
    target: 'pod',
    parameters: {
      exemptWorkloads: EXEMPT_WORKLOADS_SCHEMA,
      allowedHostPaths: {
        type: 'array',
        description: 'Host path prefixes every pod may mount; readOnly requires every mount of the volume to be read-only.',
        items: { type: 'object', properties: { pathPrefix: { type: 'string' }, readOnly: { type: 'boolean' } } },
      },
    },
    usesLib: true,
    skipUpdate: true,
    cel: [
      { name: 'hostPathVolumes', expression: 'has(variables.anyObject.spec.volumes) ? variables.anyObject.spec.volumes.filter(v, has(v.hostPath)) : []' },
      { name: 'allowedHostPaths', expression: 'has(variables.params.allowedHostPaths) ? variables.params.allowedHostPaths : []' },
      {
        name: 'violations',
        expression: 'variables.hostPathVolumes.filter(v, !variables.podAllowed.exists(a, v.hostPath.path in a) && !variables.allowedHostPaths.exists(a, '
          + '(v.hostPath.path == a.pathPrefix || v.hostPath.path.startsWith(a.pathPrefix.endsWith("/") ? a.pathPrefix : a.pathPrefix + "/")) && '
          + '(!has(a.readOnly) || !a.readOnly || variables.allContainers.all(c, !has(c.volumeMounts) || c.volumeMounts.all(m, m.name != v.name || (has(m.readOnly) && m.readOnly))))))'
          + '.map(v, "HostPath volume " + v.name + " (" + v.hostPath.path + ") is not allowed")',
      },
    ],
    rego: `package k8spsphostfilesystem

import data.lib.zero_trust

violation[{"msg": msg, "details": {}}] {
	not zero_trust.is_update(input.review)
	volume := input.review.object.spec.volumes[_]
	path := volume.hostPath.path
	not zero_trust.allowed_for_workload(path)
	not allowed_path(volume)
	msg := sprintf("HostPath volume %v (%v) is not allowed", [volume.name, path])
}

allowed_path(volume) {
	allowed_paths := object.get(input.parameters, "allowedHostPaths", [])
	allowed := allowed_paths[_]
	path_matches(allowed.pathPrefix, volume.hostPath.path)
	not read_only_violated(allowed, volume)
}

path_matches(prefix, path) {
	path == prefix
}

path_matches(prefix, path) {
	startswith(path, concat("", [trim_suffix(prefix, "/"), "/"]))
}

read_only_violated(allowed, volume) {
	allowed.readOnly == true
	c := zero_trust.input_containers[_]
	mount := c.volumeMounts[_]
	mount.name == volume.name
	not mount.readOnly == true
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
