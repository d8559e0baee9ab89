/**
 * The shape of a check of the zero-trust policy pack and what every check shares (the Rego
 * library, the CEL variables pod checks start with). Each check is written once and rendered for
 * every engine:
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
  /** What the check admits: Pods, Istio PeerAuthentications, or Namespaces. */
  readonly target: 'pod' | 'peerauthentication' | 'namespace';
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

export const EXEMPT_WORKLOADS_SCHEMA = {
  type: 'array',
  description: 'Workloads exempted from this check: pods in `namespace` that carry every `podLabels` entry (`key=value`); only `containers` (all when empty); `allowed` lists the host namespaces or host paths they may use.',
  items: {
    type: 'object',
    properties: {
      namespace: { type: 'string' },
      podLabels: { type: 'array', items: { type: 'string' } },
      containers: { type: 'array', items: { type: 'string' } },
      allowed: { type: 'array', items: { type: 'string' } },
      reason: { type: 'string' },
    },
  },
};

export const EXEMPT_IMAGES_SCHEMA = {
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

# the pod's labels as key=value (neither keys nor values of labels can hold '=')
pod_label_pairs := {pair | v := pod_labels[k]; pair := concat("=", [k, v])}

# the exemptWorkloads entries that select this pod: same namespace, every label present
exempt_workloads[w] {
	workloads := object.get(params, "exemptWorkloads", [])
	w := workloads[_]
	w.namespace == review_namespace
	mismatched := [l | l := w.podLabels[_]; not pod_label_pairs[l]]
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

export const has = (path: string) => {
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
  // key=value: neither keys nor values of labels can hold '=', so the pairs are exact
  { name: 'podLabelPairs', expression: 'variables.podLabels.map(k, k + "=" + variables.podLabels[k])' },
  {
    name: 'exemptWorkloads',
    expression: '(has(variables.params.exemptWorkloads) ? variables.params.exemptWorkloads : []).filter(w, w.namespace == variables.podNamespace && w.podLabels.all(l, l in variables.podLabelPairs))',
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

/** `has(c.securityContext.<field>)`, guarded. */
export const sc = (field: string) => `has(c.securityContext) && has(c.securityContext.${field})`;
