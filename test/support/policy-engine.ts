/**
 * Admission review of synthesized objects by the policies of the same synthesis, without a
 * cluster: the CEL each policy carries is evaluated exactly (`@bufbuild/cel` with the CEL strings
 * extension, as Kubernetes enables it), with the bindings each engine provides.
 *
 * - Gatekeeper: for every constraint whose template is in the set and whose `match` selects the
 *   object (kinds, scope, namespaces / excludedNamespaces globs, labelSelector), the template's
 *   `K8sNativeValidation` source runs with `variables.anyObject` (the object) and
 *   `variables.params` (the constraint's `spec.parameters`) defined first, then the template's
 *   variables in order, then its validations; `request` carries operation, namespace, name and
 *   kind. Templates without a CEL source (Rego only) are reported as `regoOnly`, never passed.
 * - Expressions are compiled like Kubernetes compiles them in one more respect: list and map
 *   literals must be homogeneous (`cel.HomogeneousAggregateLiterals()`), checked on the AST.
 * - Kyverno: for every ClusterPolicy / Policy rule whose `match.any` selects the object and whose
 *   `exclude.any` does not (kinds with `group/version/Kind` wildcards, namespaces, names,
 *   selector), `validate.cel` runs with `object`, `oldObject`, `request` and its variables.
 *   Generate rules report the object they would generate.
 *
 * Pods are what the admission controllers see: `admissionObjects()` turns every pod template of a
 * workload (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob) into the Pod its
 * controller creates, after the mutating steps that run before validating webhooks: the
 * ServiceAccount admission plugin (`serviceAccountName: default` where it was missing) and, in
 * sidecar namespaces, Istio's sidecar injection (`injectIstioSidecar`), and in pods annotated
 * `vault.hashicorp.com/agent-inject: "true"`, the Vault agent injector's containers
 * (`injectVaultAgent`).
 */
import { describe, evaluate, gatekeeperGlob, groupVersion, requestOf, runCel, selectorMatches, variablesMap } from './admission-cel';
import type { Decision, Review, ReviewOptions } from './admission-cel';
import { toCel } from './cel';

export type { Decision, Review, ReviewOptions } from './admission-cel';

const WORKLOAD_TEMPLATE: Record<string, (o: any) => any> = {
  Deployment: o => o.spec?.template,
  StatefulSet: o => o.spec?.template,
  DaemonSet: o => o.spec?.template,
  ReplicaSet: o => o.spec?.template,
  Job: o => o.spec?.template,
  CronJob: o => o.spec?.jobTemplate?.spec?.template,
};

/** The Pod a pod template becomes (before admission plugins; see `admissionObjects`). */
export function podOf(workload: any): any {
  const template = WORKLOAD_TEMPLATE[workload.kind]?.(workload);
  if (!template) throw new Error(`podOf: ${workload.kind}/${workload.metadata?.name} has no pod template`);
  const spec = structuredClone(template.spec ?? {});
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...structuredClone(template.metadata ?? {}),
      name: `${workload.metadata.name}-pod`,
      ...(workload.metadata.namespace ? { namespace: workload.metadata.namespace } : {}),
    },
    spec,
  };
}

/** The Istio version whose sidecar injection `injectIstioSidecar` models. */
export const ISTIO_PROXY_IMAGE = 'docker.io/istio/proxyv2:1.30.3';

/**
 * What Istio's injection webhook (a mutating webhook: it runs before validating admission) adds
 * to a pod of a sidecar namespace, with the default values of the `istiod` chart and the CNI
 * plugin (which ZeroTrustNamespace requires for sidecar mode): the `istio-validation` init
 * container (image `<hub>/proxyv2`, UID 1337, `global.proxy_init.resources`) and the
 * `istio-proxy` container (UID 1337, read-only root filesystem, `global.proxy.resources`).
 * Source: istio/istio `manifests/charts/istio-control/istio-discovery/files/injection-template.yaml`.
 */
export function injectIstioSidecar(pod: any): any {
  const securityContext = {
    allowPrivilegeEscalation: false,
    privileged: false,
    capabilities: { drop: ['ALL'] },
    readOnlyRootFilesystem: true,
    runAsGroup: 1337,
    runAsUser: 1337,
    runAsNonRoot: true,
  };
  return {
    ...pod,
    spec: {
      ...pod.spec,
      initContainers: [...(pod.spec.initContainers ?? []), {
        name: 'istio-validation',
        image: ISTIO_PROXY_IMAGE,
        args: ['istio-iptables', '--run-validation', '--skip-rule-apply'],
        resources: { limits: { cpu: '2000m', memory: '1024Mi' }, requests: { cpu: '10m', memory: '10Mi' } },
        securityContext,
      }],
      containers: [...pod.spec.containers, {
        name: 'istio-proxy',
        image: ISTIO_PROXY_IMAGE,
        args: ['proxy', 'sidecar'],
        ports: [{ containerPort: 15090, protocol: 'TCP', name: 'http-envoy-prom' }],
        resources: { limits: { cpu: '2000m', memory: '1024Mi' }, requests: { cpu: '100m', memory: '128Mi' } },
        securityContext,
      }],
    },
  };
}

/**
 * The Vault agent injector's mutation (hashicorp/vault-k8s `agent-inject/agent`): an init
 * container `vault-agent-init` (unless `agent-pre-populate: "false"`) and a sidecar `vault-agent`
 * (unless `agent-pre-populate-only: "true"`), with the image, user, group and resources of the
 * annotations (defaults from `agent.go`), and with `agent-set-security-context` (default true)
 * the container securityContext `container_sidecar.go` sets: non-root, read-only root
 * filesystem, no privilege escalation, all capabilities dropped (no seccomp profile: the pod's
 * applies).
 */
export function injectVaultAgent(pod: any): any {
  const a: Record<string, string> = pod.metadata?.annotations ?? {};
  const v = (key: string, fallback: string) => a[`vault.hashicorp.com/${key}`] ?? fallback;
  const securityContext = v('agent-set-security-context', 'true') === 'true' ? {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
    readOnlyRootFilesystem: true,
    runAsGroup: Number(v('agent-run-as-group', '1000')),
    runAsUser: Number(v('agent-run-as-user', '100')),
    runAsNonRoot: true,
  } : undefined;
  const container = (name: string) => ({
    name,
    image: v('agent-image', 'hashicorp/vault:1.20.4'),
    resources: {
      limits: { cpu: v('agent-limits-cpu', '500m'), memory: v('agent-limits-mem', '128Mi') },
      requests: { cpu: v('agent-requests-cpu', '250m'), memory: v('agent-requests-mem', '64Mi') },
    },
    ...(securityContext ? { securityContext } : {}),
  });
  const init = v('agent-pre-populate', 'true') === 'true';
  const sidecar = v('agent-pre-populate-only', 'false') !== 'true';
  return {
    ...pod,
    spec: {
      ...pod.spec,
      initContainers: [...(pod.spec.initContainers ?? []), ...(init ? [container('vault-agent-init')] : [])],
      containers: [...pod.spec.containers, ...(sidecar ? [container('vault-agent')] : [])],
    },
  };
}

/** Whether Istio injects a sidecar into `pod` in a namespace with `labels`. */
function injected(pod: any, labels: Record<string, string>): boolean {
  const enrolled = labels['istio-injection'] === 'enabled' || (labels['istio-injection'] === undefined && labels['istio.io/rev'] !== undefined);
  return enrolled && pod.metadata?.annotations?.['sidecar.istio.io/inject'] !== 'false' && pod.metadata?.labels?.['sidecar.istio.io/inject'] !== 'false';
}

/**
 * What admission reviews when the manifests are applied: every object as is, plus one Pod per
 * pod template, each as validating admission sees it: after the ServiceAccount admission plugin
 * and, in sidecar namespaces (labels of the Namespaces in `manifests`), after Istio's sidecar
 * injection. Policy objects themselves are left out.
 */
export function admissionObjects(manifests: any[]): any[] {
  const namespaceLabels = new Map<string, Record<string, string>>(
    manifests.filter(m => m.kind === 'Namespace' && m.apiVersion === 'v1').map(n => [n.metadata.name, n.metadata.labels ?? {}]));
  const asAdmitted = (pod: any) => {
    const withAccount = { ...pod, spec: { ...pod.spec, serviceAccountName: pod.spec?.serviceAccountName ?? pod.spec?.serviceAccount ?? 'default' } };
    const meshed = injected(withAccount, namespaceLabels.get(pod.metadata?.namespace) ?? {}) ? injectIstioSidecar(withAccount) : withAccount;
    return meshed.metadata?.annotations?.['vault.hashicorp.com/agent-inject'] === 'true' ? injectVaultAgent(meshed) : meshed;
  };
  const out: any[] = [];
  for (const m of manifests) {
    if (m.kind === 'Pod' && m.apiVersion === 'v1') {
      out.push(asAdmitted(m));
      continue;
    }
    out.push(m);
    if (WORKLOAD_TEMPLATE[m.kind]) out.push(asAdmitted(podOf(m)));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Gatekeeper
// ---------------------------------------------------------------------------------------------

function gatekeeperMatches(match: any, obj: any): boolean {
  const { group } = groupVersion(obj);
  const kinds = match?.kinds ?? [];
  if (!kinds.some((k: any) => (k.apiGroups ?? []).some((g: string) => g === '*' || g === group) && (k.kinds ?? []).some((kind: string) => kind === '*' || kind === obj.kind))) return false;
  const ns = obj.metadata?.namespace;
  if (match.scope === 'Cluster' && ns) return false;
  if (match.scope === 'Namespaced' && !ns) return false;
  if (ns !== undefined) {
    if (match.namespaces && !match.namespaces.some((p: string) => gatekeeperGlob(p, ns))) return false;
    if ((match.excludedNamespaces ?? []).some((p: string) => gatekeeperGlob(p, ns))) return false;
  }
  return selectorMatches(match.labelSelector, obj.metadata?.labels ?? {}, false);
}

/** Reviews `obj` with every Gatekeeper constraint of `objects`. */
export function gatekeeperReview(objects: any[], obj: any, options: ReviewOptions = {}): Review {
  const operation = options.operation ?? 'CREATE';
  const templates = new Map<string, any>();
  for (const t of objects.filter(o => o.kind === 'ConstraintTemplate')) templates.set(t.spec.crd.spec.names.kind, t);
  const violations: Decision[] = [];
  const evaluated: string[] = [];
  const regoOnly: string[] = [];
  const object = toCel(obj, undefined, '');
  for (const c of objects.filter(o => o.apiVersion?.startsWith('constraints.gatekeeper.sh/'))) {
    const template = templates.get(c.kind);
    if (!template) throw new Error(`gatekeeperReview: constraint ${c.kind}/${c.metadata.name} has no template in the set`);
    if (!gatekeeperMatches(c.spec?.match, obj)) continue;
    const name = `${c.kind}/${c.metadata.name}`;
    const cel = template.spec.targets.flatMap((t: any) => t.code ?? []).find((code: any) => code.engine === 'K8sNativeValidation');
    if (!cel) {
      regoOnly.push(name);
      continue;
    }
    evaluated.push(name);
    const params = toCel(c.spec?.parameters ?? {}, undefined, '');
    const messages = runCel(cel.source, { object, oldObject: null, request: requestOf(obj, operation) }, [['anyObject', object], ['params', params]], `${name} on ${describe(obj)}`);
    for (const message of messages) violations.push({ engine: 'gatekeeper', policy: name, object: describe(obj), message });
  }
  return { violations, evaluated, regoOnly, generated: [] };
}

// ---------------------------------------------------------------------------------------------
// CEL admission policies: Kyverno ValidatingPolicy / GeneratingPolicy, Kubernetes VAP
// ---------------------------------------------------------------------------------------------

/** The labels of `namespace` as the API server sees them (it sets `kubernetes.io/metadata.name` on every namespace). */
function namespaceLabelsOf(objects: any[], namespace: string): Record<string, string> {
  const ns = objects.find(o => o.kind === 'Namespace' && o.apiVersion === 'v1' && o.metadata?.name === namespace);
  return { ...(ns?.metadata?.labels ?? {}), 'kubernetes.io/metadata.name': namespace };
}

/** The Namespace object of `namespace` (from `objects`, else a bare one), as `namespaceObject` binds it. */
function namespaceObjectOf(objects: any[], namespace: string | undefined): any {
  if (!namespace) return null;
  const ns = objects.find(o => o.kind === 'Namespace' && o.apiVersion === 'v1' && o.metadata?.name === namespace);
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels: namespaceLabelsOf(objects, namespace) }, ...(ns?.spec ? { spec: ns.spec } : {}) };
}

/** The plural resource name of a kind, as `resourceRules` name it. */
function resourceOf(kind: string): string {
  const lower = kind.toLowerCase();
  return lower.endsWith('y') ? `${lower.slice(0, -1)}ies` : `${lower}s`;
}

/** Whether `matchConstraints` (resourceRules, namespaceSelector, objectSelector) select `obj`. */
function matchConstraintsSelect(mc: any, obj: any, operation: string, objects: any[]): boolean {
  const { group, version } = groupVersion(obj);
  const resource = resourceOf(obj.kind);
  const ruleMatches = (r: any) => (r.apiGroups ?? []).some((g: string) => g === '*' || g === group)
    && (r.apiVersions ?? []).some((v: string) => v === '*' || v === version)
    && (r.operations ?? []).some((o: string) => o === '*' || o === operation)
    && (r.resources ?? []).some((x: string) => x === '*' || x === resource);
  if (!(mc?.resourceRules ?? []).some(ruleMatches)) return false;
  if ((mc?.excludeResourceRules ?? []).some(ruleMatches)) return false;
  // for a Namespace, the namespace selector is evaluated against the Namespace itself
  const ns = obj.kind === 'Namespace' ? obj.metadata?.name : obj.metadata?.namespace;
  if (mc?.namespaceSelector && ns !== undefined) {
    const labels = obj.kind === 'Namespace' ? { ...(obj.metadata?.labels ?? {}), 'kubernetes.io/metadata.name': ns } : namespaceLabelsOf(objects, ns);
    if (!selectorMatches(mc.namespaceSelector, labels, false)) return false;
  }
  return selectorMatches(mc?.objectSelector, obj.metadata?.labels ?? {}, false);
}

interface CelPolicyRun {
  /** Whether the policy selected the object (matchConstraints and matchConditions). */
  readonly selected: boolean;
  /** The messages of the failed validations. */
  readonly messages: string[];
  /** The evaluated variables. */
  readonly variables: Map<string, unknown>;
}

/**
 * Runs a ValidatingAdmissionPolicy-shaped spec (`matchConstraints`, `matchConditions`,
 * `variables`, `validations`) on `obj` with the bindings both engines provide: `object`,
 * `oldObject` (null: the object is being created or changed), `request`, `namespaceObject`,
 * `params` (the param resource, or null).
 */
function runCelPolicy(spec: any, obj: any, operation: string, objects: any[], params: any, what: string): CelPolicyRun {
  if (!matchConstraintsSelect(spec.matchConstraints, obj, operation, objects)) return { selected: false, messages: [], variables: new Map() };
  const object = toCel(obj, undefined, '');
  const bindings = {
    object,
    oldObject: null,
    request: requestOf(obj, operation),
    // null for cluster-scoped objects (a Namespace included)
    namespaceObject: obj.metadata?.namespace ? toCel(namespaceObjectOf(objects, obj.metadata.namespace), undefined, '') : null,
    params: params === null ? null : toCel(params, undefined, ''),
  };
  for (const c of spec.matchConditions ?? []) {
    // matchConditions see no variables (they run before them)
    const ok = evaluate(c.expression, { ...bindings, variables: variablesMap(new Map()) }, `${what} matchCondition ${c.name}`);
    if (ok === false) return { selected: false, messages: [], variables: new Map() };
  }
  const values = new Map<string, unknown>();
  for (const v of spec.variables ?? []) {
    values.set(v.name, evaluate(v.expression, { ...bindings, variables: variablesMap(new Map(values)) }, `${what} variable ${v.name}`));
  }
  const messages = runCel({ validations: spec.validations ?? [] }, bindings, [...values], what);
  return { selected: true, messages, variables: values };
}

/** Reviews `obj` with every Kyverno ValidatingPolicy and GeneratingPolicy of `objects`. */
export function kyvernoReview(objects: any[], obj: any, options: ReviewOptions = {}): Review {
  const operation = options.operation ?? 'CREATE';
  const violations: Decision[] = [];
  const evaluated: string[] = [];
  const generated: Array<{ policy: string; object: any }> = [];
  for (const p of objects.filter(o => o.apiVersion === 'policies.kyverno.io/v1')) {
    const name = `${p.kind}/${p.metadata.name}`;
    if (p.kind === 'ValidatingPolicy') {
      if (p.spec.autogen?.podControllers?.controllers?.length !== 0) throw new Error(`kyvernoReview: ${name} has autogen on; this harness models Pods only`);
      const run = runCelPolicy(p.spec, obj, operation, objects, null, `${name} on ${describe(obj)}`);
      if (!run.selected) continue;
      evaluated.push(name);
      for (const message of run.messages) violations.push({ engine: 'kyverno', policy: name, object: describe(obj), message });
    } else if (p.kind === 'GeneratingPolicy') {
      const run = runCelPolicy({ ...p.spec, validations: [] }, obj, operation, objects, null, `${name} on ${describe(obj)}`);
      if (!run.selected) continue;
      // generator.Apply(namespace, [objects]): each object is created in the namespace
      for (const g of p.spec.generate ?? []) {
        const m = /^generator\.Apply\(variables\.(\w+), \[variables\.(\w+)\]\)$/.exec(g.expression ?? '');
        if (!m) throw new Error(`kyvernoReview: ${name}: this harness models generator.Apply(variables.<ns>, [variables.<object>]) only, got ${g.expression}`);
        const downstream = fromCel(run.variables.get(m[2]));
        const namespace = fromCel(run.variables.get(m[1]));
        generated.push({ policy: name, object: { ...downstream, metadata: { ...downstream.metadata, namespace } } });
      }
    } else {
      throw new Error(`kyvernoReview: ${name} is not modelled`);
    }
  }
  return { violations, evaluated, regoOnly: [], generated };
}

/** Reviews `obj` with every ValidatingAdmissionPolicyBinding of `objects` (the policy it binds, with its param resource). */
export function kubernetesReview(objects: any[], obj: any, options: ReviewOptions = {}): Review {
  const operation = options.operation ?? 'CREATE';
  const violations: Decision[] = [];
  const evaluated: string[] = [];
  const policies = new Map(objects.filter(o => o.kind === 'ValidatingAdmissionPolicy').map(p => [p.metadata.name, p]));
  for (const b of objects.filter(o => o.kind === 'ValidatingAdmissionPolicyBinding')) {
    const policy = policies.get(b.spec.policyName);
    if (!policy) throw new Error(`kubernetesReview: binding ${b.metadata.name} names the policy ${b.spec.policyName}, which is not in the set`);
    if (b.spec.matchResources) throw new Error('kubernetesReview: binding matchResources are not modelled');
    let params: any = null;
    if (policy.spec.paramKind) {
      const ref = b.spec.paramRef;
      params = objects.find(o => o.apiVersion === policy.spec.paramKind.apiVersion && o.kind === policy.spec.paramKind.kind
        && o.metadata.name === ref?.name && o.metadata.namespace === ref?.namespace) ?? null;
      if (!params && ref?.parameterNotFoundAction !== 'Deny') throw new Error('kubernetesReview: a missing param resource with parameterNotFoundAction Allow is not modelled');
    }
    const name = `ValidatingAdmissionPolicy/${policy.metadata.name}`;
    if (policy.spec.paramKind && !params) {
      if (matchConstraintsSelect(policy.spec.matchConstraints, obj, operation, objects)) {
        evaluated.push(name);
        violations.push({ engine: 'kubernetes', policy: name, object: describe(obj), message: `no params found for binding ${b.metadata.name}` });
      }
      continue;
    }
    const run = runCelPolicy(policy.spec, obj, operation, objects, params, `${name} on ${describe(obj)}`);
    if (!run.selected) continue;
    evaluated.push(name);
    for (const message of run.messages) violations.push({ engine: 'kubernetes', policy: name, object: describe(obj), message });
  }
  return { violations, evaluated, regoOnly: [], generated: [] };
}

/** A CEL value as plain JSON. */
function fromCel(value: any): any {
  if (value === null || value === undefined) return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(fromCel);
  if (typeof value[Symbol.iterator] === 'function' && typeof value.get === 'function' && typeof value.has === 'function') {
    const out: any = {};
    for (const k of value.keys ? value.keys() : []) out[String(k)] = fromCel(value.get(k));
    return out;
  }
  if (typeof value[Symbol.iterator] === 'function') return [...value].map(fromCel);
  return value;
}
