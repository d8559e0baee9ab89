/** The host checks: host PID/IPC, host network and ports, host paths. */
import { CheckDefinition, EXEMPT_IMAGES_SCHEMA, EXEMPT_WORKLOADS_SCHEMA } from './_check';

export const HOST_CHECKS: CheckDefinition[] = [
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
];
