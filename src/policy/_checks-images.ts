/** The image checks: allowed registries, pinned tags. */
import { CheckDefinition, EXEMPT_IMAGES_SCHEMA, EXEMPT_WORKLOADS_SCHEMA } from './_check';

export const IMAGE_CHECKS: CheckDefinition[] = [
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
];
