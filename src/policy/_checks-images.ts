/** The image checks: allowed registries, pinned tags. */
import { CheckDefinition, EXEMPT_IMAGES_SCHEMA, EXEMPT_WORKLOADS_SCHEMA } from './_check';

/**
 * An image pinned by a well-formed digest (`<name>[:<tag>]@<algorithm>:<hex>`, the algorithm as
 * the OCI image spec writes it). CEL `matches` and Rego `regex.match` are both RE2: one pattern,
 * one verdict on every input, malformed ones included.
 */
export const PINNED_BY_DIGEST = '^[^@]+@[A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9A-Fa-f]{32,}$';
/**
 * An image whose last path segment is `<name>:<tag>` with a well-formed tag (a registry port is
 * not a tag; `repo:1.0:x` and `repo:` have none). The tag is then what follows the last `:`.
 */
export const TAGGED = '^([^@]*/)?[^/:@]+:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$';

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
        expression: `variables.checkedContainers.filter(c, !c.image.matches("${PINNED_BY_DIGEST}") && (!c.image.matches("${TAGGED}") || c.image.substring(c.image.lastIndexOf(":") + 1) in variables.tags))`
          + '.map(c, "container <" + c.name + "> uses a disallowed tag or no tag <" + c.image + ">; disallowed tags are [" + variables.tags.join(", ") + "]: pin a version or a digest")',
      },
    ],
    rego: `package k8sdisallowedtags

import data.lib.zero_trust

violation[{"msg": msg, "details": {}}] {
	c := zero_trust.input_containers[_]
	not zero_trust.exempt_container(c)
	not regex.match(\`${PINNED_BY_DIGEST}\`, c.image)
	tag_disallowed(c.image)
	msg := sprintf("container <%v> uses a disallowed tag or no tag <%v>; disallowed tags are %v: pin a version or a digest", [c.name, c.image, object.get(input.parameters, "tags", [])])
}

# no well-formed tag (a registry port is not a tag; repo:1.0:x has none)
tag_disallowed(image) {
	not regex.match(\`${TAGGED}\`, image)
}

tag_disallowed(image) {
	regex.match(\`${TAGGED}\`, image)
	parts := split(image, ":")
	tags := object.get(input.parameters, "tags", [])
	parts[count(parts) - 1] == tags[_]
}
`,
  },
];
