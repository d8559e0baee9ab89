/**
 * The checks of the zero-trust policy pack (src/policy/_check*.ts), one at a time and without a
 * chart: each check's CEL (the common pod variables, its own variables, the final validation) is
 * evaluated with @bufbuild/cel exactly as Gatekeeper binds it (`variables.anyObject`,
 * `variables.params`, `request`), on objects and parameters chosen to reach every branch, with the
 * exact messages a user sees. The Rego of each check is tied to its CEL (same UPDATE handling,
 * same library use), and the parameter schemas are checked as Gatekeeper reads them.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { isCelList } from '@bufbuild/cel';
import Ajv from 'ajv';
import { goodPod } from './_good-pod';
import { celLiteral } from '../../src/policy/_cel-literal';
import { CheckDefinition, celValidations, celVariablesOf, has, sc, ZERO_TRUST_LIB } from '../../src/policy/_check';
import { CHECKS } from '../../src/policy/_checks';
import { evaluate, requestOf, runCel, variablesMap } from '../support/admission-cel';
import { toCel } from '../support/cel';

const ajv = new Ajv({ strict: true });

const byId = (id: string): CheckDefinition => {
  const found = CHECKS.find(c => c.id === id);
  if (!found) throw new Error(`no check ${id}`);
  return found;
};

function bindings(obj: any, operation: string) {
  const object = toCel(obj, undefined, '');
  return { object, oldObject: null, request: requestOf(obj, operation) };
}

/** The violations a check's CEL computes for `obj` (its `variables.violations`). */
function violations(id: string, obj: any, params: any = {}, operation = 'CREATE'): string[] {
  const check = byId(id);
  const b = bindings(obj, operation);
  const values = new Map<string, unknown>([['anyObject', b.object], ['params', toCel(params, undefined, '')]]);
  for (const v of celVariablesOf(check)) {
    values.set(v.name, evaluate(v.expression, { ...b, variables: variablesMap(new Map(values)) }, `${id} variable ${v.name}`));
  }
  const result = values.get('violations');
  if (!isCelList(result)) throw new Error(`${id}: violations is not a list`);
  return [...result] as string[];
}

/** The messages of the failed validations (Gatekeeper's decision) for `obj`. */
function decision(id: string, obj: any, params: any = {}, operation = 'CREATE'): string[] {
  const check = byId(id);
  const b = bindings(obj, operation);
  return runCel({ variables: celVariablesOf(check), validations: celValidations(check.skipUpdate) }, b,
    [['anyObject', b.object], ['params', toCel(params, undefined, '')]], id);
}

/** A pod that meets every check, with one container `app`; `mutate` changes it. */
function pod(mutate: (p: any, c: any) => void = () => {}): any {
  const p = goodPod();
  p.metadata = { name: 'web', namespace: 'apps', labels: { app: 'web', tier: 'front' } };
  p.spec.serviceAccountName = 'web';
  mutate(p, p.spec.containers[0]);
  return p;
}

function sidecar(p: any, name: string, mutate: (c: any) => void = () => {}): any {
  const c = structuredClone(p.spec.containers[0]);
  c.name = name;
  mutate(c);
  return c;
}

describe('_check.ts: what every check shares', () => {
  test('has() guards every level below variables.anyObject', () => {
    expect(has('variables.anyObject.spec.mtls.mode')).toBe('has(variables.anyObject.spec) && has(variables.anyObject.spec.mtls) && has(variables.anyObject.spec.mtls.mode)');
    expect(has('variables.anyObject.spec')).toBe('has(variables.anyObject.spec)');
  });

  test('sc() guards the securityContext', () => {
    expect(sc('privileged')).toBe('has(c.securityContext) && has(c.securityContext.privileged)');
  });

  test('celValidations: no violations; UPDATE admitted only where the check skips it; the message joins the violations', () => {
    expect(celValidations(false)).toEqual([{ expression: 'size(variables.violations) == 0', messageExpression: 'variables.violations.join("; ")' }]);
    expect(celValidations(true)).toEqual([{
      expression: '(has(request.operation) && request.operation == "UPDATE") || size(variables.violations) == 0',
      messageExpression: 'variables.violations.join("; ")',
    }]);
  });

  test('celVariablesOf: pod checks start with the pod variables (exemptImages read only where declared), other checks with their own', () => {
    const names = (id: string) => celVariablesOf(byId(id)).map(v => v.name);
    const common = ['containers', 'initContainers', 'ephemeralContainers', 'allContainers', 'podNamespace', 'podLabels', 'podLabelPairs', 'exemptWorkloads', 'exemptImages', 'exemptContainerNames', 'checkedContainers', 'podAllowed'];
    expect(names('privileged-containers')).toEqual([...common, 'violations']);
    expect(names('strict-mtls')).toEqual(['portModes', 'violations']);
    expect(names('pod-security-labels')).toEqual(['labels', 'level', 'relaxed', 'violations']);
    const exemptImages = (id: string) => celVariablesOf(byId(id)).find(v => v.name === 'exemptImages')!.expression;
    expect(exemptImages('privileged-containers')).toBe('has(variables.params.exemptImages) ? variables.params.exemptImages : []');
    expect(exemptImages('host-pid-ipc')).toBe('[]');
    // a Rego-only check has no CEL of its own: the pod variables alone
    expect(byId('default-deny-authorization').cel).toBeUndefined();
    expect(names('default-deny-authorization')).toStrictEqual(common);
  });

  test('the pod variables: containers of every kind, the namespace of the request when the pod has none, exemptions by namespace, labels, containers and images', () => {
    const p = pod((q, c) => {
      c.securityContext.privileged = true;
      q.spec.initContainers = [sidecar(q, 'init', x => { x.image = 'ghcr.io/acme/init:1'; })];
      q.spec.ephemeralContainers = [sidecar(q, 'debug', x => { x.image = 'ghcr.io/tools/debug:1'; })];
    });
    const all = ['Privileged container is not allowed: app', 'Privileged container is not allowed: init', 'Privileged container is not allowed: debug'];
    expect(violations('privileged-containers', p)).toEqual(all);
    const workload = (w: any) => ({ exemptWorkloads: [{ namespace: 'apps', podLabels: ['app=web'], ...w }] });
    expect(violations('privileged-containers', p, workload({}))).toEqual([]);
    expect(violations('privileged-containers', p, workload({ containers: [] }))).toEqual([]);
    expect(violations('privileged-containers', p, workload({ containers: ['init'] }))).toEqual([all[0], all[2]]);
    expect(violations('privileged-containers', p, workload({ namespace: 'other' }))).toEqual(all);
    expect(violations('privileged-containers', p, workload({ podLabels: ['app=web', 'tier=back'] }))).toEqual(all);
    // no namespace on the pod: the request's (absent here, so no workload of a namespace matches)
    const { namespace: _ns, ...meta } = p.metadata;
    expect(violations('privileged-containers', { ...p, metadata: meta }, workload({}))).toEqual(all);
    const { labels: _labels, ...bare } = meta;
    expect(violations('privileged-containers', { ...p, metadata: bare }, { exemptWorkloads: [{ namespace: '', podLabels: [] }] })).toEqual([]);
    // images: exact, or a prefix ending in '*'
    expect(violations('privileged-containers', p, { exemptImages: ['ghcr.io/acme/app:1.2.3'] })).toEqual([all[1], all[2]]);
    expect(violations('privileged-containers', p, { exemptImages: ['ghcr.io/acme/*'] })).toEqual([all[2]]);
    expect(violations('privileged-containers', p, { exemptImages: ['ghcr.io/acme/'] })).toEqual(all);
  });

  test('the Rego library: the review namespace, label pairs, exempted workloads, containers and images, every container kind', () => {
    for (const rule of ['is_update(review)', 'review_namespace = ns', 'pod_label_pairs :=', 'exempt_workloads[w]', 'exempt_container(container)', 'allowed_for_workload(value)', 'input_containers[c]']) {
      expect(ZERO_TRUST_LIB).toContain(`\n${rule}`);
    }
    expect(ZERO_TRUST_LIB.split('\n')[0]).toBe('package lib.zero_trust');
    for (const kind of ['containers', 'initContainers', 'ephemeralContainers']) expect(ZERO_TRUST_LIB).toContain(`c := input.review.object.spec.${kind}[_]`);
  });
});

describe('_checks.ts: every check, in rendering order, tied to its Rego', () => {
  test('the rendering order', () => {
    expect(CHECKS.map(c => c.id)).toEqual(['privileged-containers', 'privilege-escalation', 'run-as-non-root', 'required-resources', 'allowed-registries',
      'disallowed-tags', 'host-pid-ipc', 'host-network', 'host-filesystem', 'read-only-root-filesystem', 'capabilities', 'seccomp-profile',
      'dedicated-service-account', 'service-account-token', 'strict-mtls', 'default-deny-authorization', 'pod-security-labels']);
  });

  test('policy, kind and target of every check', () => {
    expect(CHECKS.map(c => [c.id, c.policy, c.kind, c.target])).toEqual([
      ['privileged-containers', 'privileged-containers', 'K8sPSPPrivilegedContainer', 'pod'],
      ['privilege-escalation', 'privilege-escalation', 'K8sPSPAllowPrivilegeEscalationContainer', 'pod'],
      ['run-as-non-root', 'run-as-non-root', 'K8sPSPAllowedUsers', 'pod'],
      ['required-resources', 'required-resources', 'K8sRequiredResources', 'pod'],
      ['allowed-registries', 'allowed-registries', 'K8sAllowedRepos', 'pod'],
      ['disallowed-tags', 'disallowed-tags', 'K8sDisallowedTags', 'pod'],
      ['host-pid-ipc', 'host-namespaces', 'K8sPSPHostNamespace', 'pod'],
      ['host-network', 'host-namespaces', 'K8sPSPHostNetworkingPorts', 'pod'],
      ['host-filesystem', 'host-filesystem', 'K8sPSPHostFilesystem', 'pod'],
      ['read-only-root-filesystem', 'read-only-root-filesystem', 'K8sPSPReadOnlyRootFilesystem', 'pod'],
      ['capabilities', 'capabilities', 'K8sPSPCapabilities', 'pod'],
      ['seccomp-profile', 'seccomp-profile', 'K8sRequiredSeccompProfile', 'pod'],
      ['dedicated-service-account', 'dedicated-service-account', 'K8sDisallowDefaultServiceAccount', 'pod'],
      ['service-account-token', 'service-account-token', 'K8sDisallowServiceAccountTokenAutomount', 'pod'],
      ['strict-mtls', 'strict-mtls', 'K8sPeerAuthnStrictMtls', 'peerauthentication'],
      ['default-deny-authorization', 'default-deny-authorization', 'K8sIstioDefaultDenyAuthz', 'pod'],
      ['pod-security-labels', 'pod-security-labels', 'K8sRequiredPodSecurityLabels', 'namespace'],
    ]);
  });

  test('the kinds and parameters of the gatekeeper-library are reused where it has the check (open-policy-agent/gatekeeper-library, library/)', () => {
    // the library's kinds with (one of) their parameters
    const upstream: Record<string, string[]> = {
      K8sPSPPrivilegedContainer: ['exemptImages'],
      K8sPSPAllowPrivilegeEscalationContainer: ['exemptImages'],
      K8sPSPAllowedUsers: ['runAsUser'],
      K8sRequiredResources: ['limits', 'requests'],
      K8sAllowedRepos: ['repos'],
      K8sDisallowedTags: ['tags'],
      K8sPSPHostNamespace: [],
      K8sPSPHostNetworkingPorts: ['hostNetwork', 'min', 'max'],
      K8sPSPHostFilesystem: ['allowedHostPaths'],
      K8sPSPReadOnlyRootFilesystem: ['exemptImages'],
      K8sPSPCapabilities: ['allowedCapabilities', 'requiredDropCapabilities'],
    };
    expect(CHECKS.filter(c => c.library).map(c => c.kind).sort()).toEqual(Object.keys(upstream).sort());
    for (const c of CHECKS.filter(x => x.library)) {
      for (const p of upstream[c.kind]) expect({ kind: c.kind, p, declared: p in c.parameters }).toEqual({ kind: c.kind, p, declared: true });
    }
  });

  test.each(CHECKS.map(c => [c.id, c] as const))('%s: the Rego package is the template name, the library is imported iff used, UPDATE skipped in Rego iff in CEL', (_id, c) => {
    expect(c.rego.split('\n')[0]).toBe(`package ${c.kind.toLowerCase()}`);
    expect(c.rego).toMatch(/^violation\[\{"msg": msg, "details": \{\}\}\] \{$/m);
    expect(c.usesLib).toBe(c.rego.includes('\nimport data.lib.zero_trust\n'));
    expect(c.skipUpdate).toBe(c.rego.includes('not zero_trust.is_update(input.review)'));
  });

  test.each(CHECKS.map(c => [c.id, c] as const))('%s: a description for policy reports, and one for every parameter, in a schema Gatekeeper accepts', (_id, c) => {
    expect(c.description.length).toBeGreaterThan(60);
    for (const [name, schema] of Object.entries(c.parameters)) {
      expect({ name, description: typeof schema.description === 'string' && schema.description.length > 10 }).toEqual({ name, description: true });
      expect(ajv.validateSchema(schema)).toBe(true);
      expect(['array', 'object', 'boolean', 'integer']).toContain(schema.type);
    }
  });

  test('the parameters each constraint kind accepts: exemptImages where a check judges containers one by one, exemptWorkloads on every pod check', () => {
    expect(Object.fromEntries(CHECKS.map(c => [c.id, Object.keys(c.parameters).sort()]))).toEqual({
      'privileged-containers': ['exemptImages', 'exemptWorkloads'],
      'privilege-escalation': ['exemptImages', 'exemptWorkloads'],
      'run-as-non-root': ['exemptImages', 'exemptWorkloads', 'runAsUser'],
      'required-resources': ['exemptImages', 'exemptWorkloads', 'limits', 'requests'],
      'allowed-registries': ['exemptImages', 'exemptWorkloads', 'repos'],
      'disallowed-tags': ['exemptImages', 'exemptWorkloads', 'tags'],
      'host-pid-ipc': ['exemptWorkloads'],
      'host-network': ['exemptImages', 'exemptWorkloads', 'hostNetwork', 'max', 'min'],
      'host-filesystem': ['allowedHostPaths', 'exemptWorkloads'],
      'read-only-root-filesystem': ['exemptImages', 'exemptWorkloads'],
      'capabilities': ['allowedCapabilities', 'exemptWorkloads', 'requiredDropCapabilities'],
      'seccomp-profile': ['exemptWorkloads'],
      'dedicated-service-account': ['exemptWorkloads'],
      'service-account-token': ['exemptWorkloads'],
      'strict-mtls': [],
      'default-deny-authorization': ['exemptWorkloads'],
      'pod-security-labels': ['exemptNamespaces'],
    });
  });

  test('the parameter schemas refuse what the checks do not implement', () => {
    const validators = new Map<string, (params: any) => boolean>();
    const valid = (id: string, params: any) => {
      if (!validators.has(id)) validators.set(id, ajv.compile({ type: 'object', properties: byId(id).parameters }));
      return validators.get(id)!(params);
    };
    expect(valid('run-as-non-root', { runAsUser: { rule: 'MustRunAsNonRoot' } })).toBe(true);
    expect(valid('run-as-non-root', { runAsUser: { rule: 'RunAsAny' } })).toBe(true);
    expect(valid('run-as-non-root', { runAsUser: { rule: 'MustRunAs' } })).toBe(false);
    expect(valid('required-resources', { limits: ['cpu', 'memory'], requests: ['memory'] })).toBe(true);
    expect(valid('required-resources', { limits: ['memory'], requests: ['cpu'] })).toBe(true);
    expect(valid('required-resources', { limits: ['gpu'] })).toBe(false);
    expect(valid('required-resources', { requests: ['ephemeral-storage'] })).toBe(false);
    expect(valid('required-resources', { exemptImages: ['ghcr.io/acme/*'] })).toBe(true);
    expect(valid('required-resources', { exemptImages: [1] })).toBe(false);
    expect(valid('host-network', { hostNetwork: false, min: 0, max: 0 })).toBe(true);
    expect(valid('host-network', { hostNetwork: 'no' })).toBe(false);
    expect(valid('host-network', { min: 1.5 })).toBe(false);
    expect(valid('host-network', { max: '80' })).toBe(false);
    expect(valid('host-filesystem', { allowedHostPaths: [{ pathPrefix: '/var/log', readOnly: true }] })).toBe(true);
    expect(valid('host-filesystem', { allowedHostPaths: [{ pathPrefix: 1 }] })).toBe(false);
    expect(valid('host-filesystem', { allowedHostPaths: [{ pathPrefix: '/var/log', readOnly: 'yes' }] })).toBe(false);
    expect(valid('capabilities', { allowedCapabilities: ['NET_BIND_SERVICE'], requiredDropCapabilities: ['ALL'] })).toBe(true);
    expect(valid('capabilities', { allowedCapabilities: [1] })).toBe(false);
    expect(valid('capabilities', { requiredDropCapabilities: 'ALL' })).toBe(false);
    expect(valid('capabilities', { requiredDropCapabilities: [1] })).toBe(false);
    expect(valid('allowed-registries', { repos: ['ghcr.io/acme/'] })).toBe(true);
    expect(valid('allowed-registries', { repos: [1] })).toBe(false);
    expect(valid('disallowed-tags', { tags: ['latest'] })).toBe(true);
    expect(valid('disallowed-tags', { tags: [1] })).toBe(false);
    expect(valid('pod-security-labels', { exemptNamespaces: ['spire'] })).toBe(true);
    expect(valid('pod-security-labels', { exemptNamespaces: [1] })).toBe(false);
    const workload = { namespace: 'apps', podLabels: ['app=web'], containers: ['app'], allowed: ['hostPID'], reason: 'why' };
    expect(valid('host-pid-ipc', { exemptWorkloads: [workload] })).toBe(true);
    for (const field of ['namespace', 'reason']) expect(valid('host-pid-ipc', { exemptWorkloads: [{ ...workload, [field]: 1 }] })).toBe(false);
    for (const field of ['podLabels', 'containers', 'allowed']) expect(valid('host-pid-ipc', { exemptWorkloads: [{ ...workload, [field]: [1] }] })).toBe(false);
    expect(valid('host-pid-ipc', { exemptWorkloads: ['apps'] })).toBe(false);
  });

  test('UPDATE: only the checks of fields a pod can change (images, resources) and of other kinds judge it', () => {
    expect(CHECKS.filter(c => !c.skipUpdate).map(c => c.id)).toEqual(['required-resources', 'allowed-registries', 'disallowed-tags', 'strict-mtls', 'pod-security-labels']);
    const bad = pod((_p, c) => { c.securityContext.privileged = true; });
    expect(decision('privileged-containers', bad, {}, 'UPDATE')).toEqual([]);
    expect(decision('privileged-containers', bad)).toEqual(['Privileged container is not allowed: app']);
    const foreign = pod((_p, c) => { c.image = 'docker.io/library/nginx:1.27.0'; });
    expect(decision('allowed-registries', foreign, { repos: ['ghcr.io/acme/'] }, 'UPDATE')).toEqual([
      'container <app> has an invalid image repo <docker.io/library/nginx:1.27.0>, allowed repos are [ghcr.io/acme/]',
    ]);
  });
});

const NON_ROOT = { runAsUser: { rule: 'MustRunAsNonRoot' } };
const RESOURCES = { limits: ['cpu', 'memory'], requests: ['cpu', 'memory'] };
const CAPS = { allowedCapabilities: ['NET_BIND_SERVICE'], requiredDropCapabilities: ['ALL'] };
const ESCALATION = (n: string) => `Privilege escalation container is not allowed: ${n} (set securityContext.allowPrivilegeEscalation: false)`;
const ROOT = (n: string) => `Container ${n} is attempting to run as root: set securityContext.runAsNonRoot: true or a runAsUser other than 0`;
const NO_RESOURCES = (n: string) => `Container ${n} must set resource limits [cpu, memory] and requests [cpu, memory]`;
const TAG = (image: string, tags = 'latest') => `container <app> uses a disallowed tag or no tag <${image}>; disallowed tags are [${tags}]: pin a version or a digest`;
const SECCOMP = 'Container app must run with the seccomp profile RuntimeDefault or Localhost (set securityContext.seccompProfile on the pod or the container)';
const HOST_PATH = 'HostPath volume host (/var/log/app) is not allowed';
const exempt = (w: any = {}) => ({ exemptWorkloads: [{ namespace: 'apps', podLabels: ['app=web'], ...w }] });
const hostPathPod = (hostPath: string, readOnly?: boolean, mount = true) => pod((p, c) => {
  p.spec.volumes = [{ name: 'tmp', emptyDir: {} }, { name: 'host', hostPath: { path: hostPath } }];
  if (mount) c.volumeMounts = [{ name: 'tmp', mountPath: '/tmp' }, { name: 'host', mountPath: '/host', ...(readOnly === undefined ? {} : { readOnly }) }];
});
const peer = (spec?: any) => ({ apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'default', namespace: 'apps' }, ...(spec ? { spec } : {}) });
const ns = (labels?: Record<string, string>) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'apps', ...(labels ? { labels } : {}) } });
const ENFORCE = 'pod-security.kubernetes.io/enforce';
const LABELS_MESSAGE = 'Namespace apps must enforce Pod Security restricted (label pod-security.kubernetes.io/enforce: restricted); only namespaces of declared privileged workloads may enforce baseline or privileged';

/** [check, case, object, parameters, expected violations] */
const CASES: Array<[string, string, any, any, string[]]> = [
  // _checks-containers.ts
  ['privileged-containers', 'privileged: true', pod((_p, c) => { c.securityContext.privileged = true; }), {}, ['Privileged container is not allowed: app']],
  ['privileged-containers', 'privileged: false', pod((_p, c) => { c.securityContext.privileged = false; }), {}, []],
  ['privilege-escalation', 'the hardened pod', pod(), {}, []],
  ['privilege-escalation', 'allowPrivilegeEscalation: true', pod((_p, c) => { c.securityContext.allowPrivilegeEscalation = true; }), {}, [ESCALATION('app')]],
  ['privilege-escalation', 'allowPrivilegeEscalation unset', pod((_p, c) => { delete c.securityContext.allowPrivilegeEscalation; }), {}, [ESCALATION('app')]],
  ['privilege-escalation', 'no securityContext, in an init container', pod(p => { p.spec.initContainers = [sidecar(p, 'init', c => { delete c.securityContext; })]; }), {}, [ESCALATION('init')]],
  ['privilege-escalation', 'an exempted image', pod((_p, c) => { c.securityContext.allowPrivilegeEscalation = true; }), { exemptImages: ['ghcr.io/acme/app:1.2.3'] }, []],
  ['run-as-non-root', 'the hardened pod', pod(), NON_ROOT, []],
  ['run-as-non-root', 'runAsUser 0 on the container, runAsNonRoot on the pod', pod((_p, c) => { c.securityContext.runAsUser = 0; }), NON_ROOT, [ROOT('app')]],
  ['run-as-non-root', 'runAsUser 0 on the pod, none on the container', pod((p, c) => { delete c.securityContext.runAsUser; p.spec.securityContext.runAsUser = 0; }), NON_ROOT, [ROOT('app')]],
  ['run-as-non-root', 'runAsUser 1000 on the pod, no runAsNonRoot', pod((p, c) => { delete c.securityContext.runAsUser; delete p.spec.securityContext.runAsNonRoot; p.spec.securityContext.runAsUser = 1000; }), NON_ROOT, []],
  ['run-as-non-root', 'runAsNonRoot on the pod only', pod((_p, c) => { delete c.securityContext.runAsUser; }), NON_ROOT, []],
  ['run-as-non-root', 'neither runAsUser nor runAsNonRoot', pod((p, c) => { delete c.securityContext.runAsUser; delete p.spec.securityContext.runAsNonRoot; }), NON_ROOT, [ROOT('app')]],
  ['run-as-non-root', 'runAsNonRoot: false on the container overriding the pod', pod((_p, c) => { delete c.securityContext.runAsUser; c.securityContext.runAsNonRoot = false; }), NON_ROOT, [ROOT('app')]],
  ['run-as-non-root', 'runAsNonRoot: true on the container overriding the pod', pod((p, c) => { delete c.securityContext.runAsUser; c.securityContext.runAsNonRoot = true; p.spec.securityContext.runAsNonRoot = false; }), NON_ROOT, []],
  ['run-as-non-root', 'no securityContext anywhere', pod((p, c) => { delete c.securityContext; delete p.spec.securityContext; }), NON_ROOT, [ROOT('app')]],
  ['run-as-non-root', 'root under the rule RunAsAny', pod((_p, c) => { c.securityContext.runAsUser = 0; }), { runAsUser: { rule: 'RunAsAny' } }, []],
  ['run-as-non-root', 'root without a rule', pod((_p, c) => { c.securityContext.runAsUser = 0; }), { runAsUser: {} }, []],
  ['run-as-non-root', 'root without parameters', pod((_p, c) => { c.securityContext.runAsUser = 0; }), {}, []],
  ['required-resources', 'the hardened pod', pod(), RESOURCES, []],
  ['required-resources', 'no limits', pod((_p, c) => { delete c.resources.limits; }), RESOURCES, [NO_RESOURCES('app')]],
  ['required-resources', 'no memory limit', pod((_p, c) => { delete c.resources.limits.memory; }), RESOURCES, [NO_RESOURCES('app')]],
  ['required-resources', 'no requests', pod((_p, c) => { delete c.resources.requests; }), RESOURCES, [NO_RESOURCES('app')]],
  ['required-resources', 'no cpu request', pod((_p, c) => { delete c.resources.requests.cpu; }), RESOURCES, [NO_RESOURCES('app')]],
  ['required-resources', 'no resources in an init container', pod(p => { p.spec.initContainers = [sidecar(p, 'init', c => { delete c.resources; })]; }), RESOURCES, [NO_RESOURCES('init')]],
  ['required-resources', 'an ephemeral container (which cannot set resources)', pod(p => { p.spec.ephemeralContainers = [sidecar(p, 'debug', c => { delete c.resources; })]; }), RESOURCES, []],
  ['required-resources', 'an exempted workload', pod((_p, c) => { delete c.resources; }), { ...RESOURCES, ...exempt() }, []],
  ['required-resources', 'only limits required', pod((_p, c) => { delete c.resources.requests; }), { limits: ['memory'] }, []],
  ['required-resources', 'without parameters', pod((_p, c) => { delete c.resources; }), {}, []],
  ['read-only-root-filesystem', 'the hardened pod', pod(), {}, []],
  ['read-only-root-filesystem', 'readOnlyRootFilesystem: false', pod((_p, c) => { c.securityContext.readOnlyRootFilesystem = false; }), {}, ['only read-only root filesystem container is allowed: app']],
  ['read-only-root-filesystem', 'readOnlyRootFilesystem unset', pod((_p, c) => { delete c.securityContext.readOnlyRootFilesystem; }), {}, ['only read-only root filesystem container is allowed: app']],
  ['read-only-root-filesystem', 'an exempted container', pod((_p, c) => { delete c.securityContext; }), exempt({ containers: ['app'] }), []],
  // _checks-images.ts
  ['allowed-registries', 'an allowed registry', pod(), { repos: ['ghcr.io/acme/'] }, []],
  ['allowed-registries', 'another registry', pod((_p, c) => { c.image = 'docker.io/library/nginx:1.27.0'; }), { repos: ['ghcr.io/acme/', 'quay.io/acme/'] },
    ['container <app> has an invalid image repo <docker.io/library/nginx:1.27.0>, allowed repos are [ghcr.io/acme/, quay.io/acme/]']],
  ['allowed-registries', 'a look-alike repository', pod((_p, c) => { c.image = 'ghcr.io/acme-evil/app:1'; }), { repos: ['ghcr.io/acme/'] },
    ['container <app> has an invalid image repo <ghcr.io/acme-evil/app:1>, allowed repos are [ghcr.io/acme/]']],
  ['allowed-registries', 'no repos at all', pod(), {}, ['container <app> has an invalid image repo <ghcr.io/acme/app:1.2.3>, allowed repos are []']],
  ['allowed-registries', 'an exempted image prefix', pod((_p, c) => { c.image = 'docker.io/istio/proxyv2:1.30.3'; }), { repos: ['ghcr.io/acme/'], exemptImages: ['docker.io/istio/*'] }, []],
  ['disallowed-tags', 'a version tag', pod(), { tags: ['latest'] }, []],
  ['disallowed-tags', 'the latest tag', pod((_p, c) => { c.image = 'ghcr.io/acme/app:latest'; }), { tags: ['latest'] }, [TAG('ghcr.io/acme/app:latest')]],
  ['disallowed-tags', 'a disallowed tag among several', pod((_p, c) => { c.image = 'ghcr.io/acme/app:dev'; }), { tags: ['latest', 'dev'] }, [TAG('ghcr.io/acme/app:dev', 'latest, dev')]],
  ['disallowed-tags', 'no tag', pod((_p, c) => { c.image = 'ghcr.io/acme/app'; }), { tags: ['latest'] }, [TAG('ghcr.io/acme/app')]],
  ['disallowed-tags', 'a registry port but no tag', pod((_p, c) => { c.image = 'localhost:5000/app'; }), { tags: ['latest'] }, [TAG('localhost:5000/app')]],
  ['disallowed-tags', 'a registry port and a tag', pod((_p, c) => { c.image = 'localhost:5000/app:1.0'; }), { tags: ['latest'] }, []],
  ['disallowed-tags', 'a malformed tag', pod((_p, c) => { c.image = 'ghcr.io/acme/app:1.0:x'; }), { tags: ['latest'] }, [TAG('ghcr.io/acme/app:1.0:x')]],
  ['disallowed-tags', 'a digest', pod((_p, c) => { c.image = `ghcr.io/acme/app@sha256:${'a'.repeat(64)}`; }), { tags: ['latest'] }, []],
  ['disallowed-tags', 'latest with a digest', pod((_p, c) => { c.image = `ghcr.io/acme/app:latest@sha256:${'a'.repeat(64)}`; }), { tags: ['latest'] }, []],
  ['disallowed-tags', 'a malformed digest', pod((_p, c) => { c.image = 'ghcr.io/acme/app@sha256:zz'; }), { tags: ['latest'] }, [TAG('ghcr.io/acme/app@sha256:zz')]],
  ['disallowed-tags', 'latest without disallowed tags', pod((_p, c) => { c.image = 'ghcr.io/acme/app:latest'; }), {}, []],
  ['disallowed-tags', 'no tag without disallowed tags', pod((_p, c) => { c.image = 'ghcr.io/acme/app'; }), {}, [TAG('ghcr.io/acme/app', '')]],
  ['disallowed-tags', 'an exempted image', pod((_p, c) => { c.image = 'ghcr.io/acme/app'; }), { tags: ['latest'], exemptImages: ['ghcr.io/acme/app'] }, []],
  // _checks-host.ts
  ['host-pid-ipc', 'the hardened pod', pod(p => { p.spec.hostPID = false; p.spec.hostIPC = false; }), {}, []],
  ['host-pid-ipc', 'hostPID', pod(p => { p.spec.hostPID = true; }), {}, ['Sharing the host namespace is not allowed: hostPID']],
  ['host-pid-ipc', 'hostIPC', pod(p => { p.spec.hostIPC = true; }), {}, ['Sharing the host namespace is not allowed: hostIPC']],
  ['host-pid-ipc', 'both', pod(p => { p.spec.hostPID = true; p.spec.hostIPC = true; }), {}, ['Sharing the host namespace is not allowed: hostPID', 'Sharing the host namespace is not allowed: hostIPC']],
  ['host-pid-ipc', 'both, hostPID allowed for the workload', pod(p => { p.spec.hostPID = true; p.spec.hostIPC = true; }), exempt({ allowed: ['hostPID'] }), ['Sharing the host namespace is not allowed: hostIPC']],
  ['host-pid-ipc', 'both, hostIPC allowed for the workload', pod(p => { p.spec.hostPID = true; p.spec.hostIPC = true; }), exempt({ allowed: ['hostIPC'] }), ['Sharing the host namespace is not allowed: hostPID']],
  ['host-pid-ipc', 'hostPID, allowed to another workload', pod(p => { p.spec.hostPID = true; }), exempt({ podLabels: ['app=agent'], allowed: ['hostPID'] }), ['Sharing the host namespace is not allowed: hostPID']],
  ['host-network', 'the hardened pod', pod(p => { p.spec.hostNetwork = false; }), { hostNetwork: false, min: 0, max: 0 }, []],
  ['host-network', 'hostNetwork', pod(p => { p.spec.hostNetwork = true; }), { hostNetwork: false, min: 0, max: 0 }, ['The pod shares the host network namespace, which is not allowed']],
  ['host-network', 'hostNetwork, allowed by the parameters', pod(p => { p.spec.hostNetwork = true; }), { hostNetwork: true }, []],
  ['host-network', 'hostNetwork, allowed for the workload', pod(p => { p.spec.hostNetwork = true; }), exempt({ allowed: ['hostNetwork'] }), []],
  ['host-network', 'hostNetwork, other host namespaces allowed for the workload', pod(p => { p.spec.hostNetwork = true; }), exempt({ allowed: ['hostPID'] }), ['The pod shares the host network namespace, which is not allowed']],
  ['host-network', 'a host port', pod((_p, c) => { c.ports = [{ containerPort: 8080 }, { containerPort: 8443, hostPort: 8443 }]; }), { hostNetwork: false, min: 0, max: 0 }, ['Container app uses a hostPort outside the allowed range']],
  ['host-network', 'a container port only', pod((_p, c) => { c.ports = [{ containerPort: 8080 }]; }), { hostNetwork: false, min: 0, max: 0 }, []],
  ['host-network', 'a host port in the range', pod((_p, c) => { c.ports = [{ containerPort: 8080, hostPort: 8080 }]; }), { min: 8000, max: 9000 }, []],
  ['host-network', 'a host port below the range', pod((_p, c) => { c.ports = [{ containerPort: 80, hostPort: 80 }]; }), { min: 8000, max: 9000 }, ['Container app uses a hostPort outside the allowed range']],
  ['host-network', 'a host port above the range', pod((_p, c) => { c.ports = [{ containerPort: 80, hostPort: 9001 }]; }), { min: 8000, max: 9000 }, ['Container app uses a hostPort outside the allowed range']],
  ['host-network', 'a host port without a range', pod((_p, c) => { c.ports = [{ containerPort: 80, hostPort: 80 }]; }), {}, []],
  ['host-network', 'a host port of an exempted image', pod((_p, c) => { c.ports = [{ containerPort: 80, hostPort: 80 }]; }), { min: 0, max: 0, exemptImages: ['ghcr.io/acme/*'] }, []],
  ['host-filesystem', 'an emptyDir', pod(p => { p.spec.volumes = [{ name: 'tmp', emptyDir: {} }]; }), { allowedHostPaths: [] }, []],
  ['host-filesystem', 'a hostPath', hostPathPod('/var/log/app'), { allowedHostPaths: [] }, [HOST_PATH]],
  ['host-filesystem', 'a hostPath without parameters', hostPathPod('/var/log/app'), {}, [HOST_PATH]],
  ['host-filesystem', 'a hostPath allowed for the workload', hostPathPod('/var/log/app'), exempt({ allowed: ['/var/log/app'] }), []],
  ['host-filesystem', 'a hostPath, another one allowed for the workload', hostPathPod('/var/log/app'), exempt({ allowed: ['/var/log'] }), [HOST_PATH]],
  ['host-filesystem', 'under an allowed prefix', hostPathPod('/var/log/app'), { allowedHostPaths: [{ pathPrefix: '/var/log' }] }, []],
  ['host-filesystem', 'under an allowed prefix ending in /', hostPathPod('/var/log/app'), { allowedHostPaths: [{ pathPrefix: '/var/log/' }] }, []],
  ['host-filesystem', 'the allowed prefix itself', hostPathPod('/var/log/app'), { allowedHostPaths: [{ pathPrefix: '/var/log/app' }] }, []],
  ['host-filesystem', 'a look-alike of the prefix', hostPathPod('/var/log/app'), { allowedHostPaths: [{ pathPrefix: '/var/log/ap' }] }, [HOST_PATH]],
  ['host-filesystem', 'read-only required, mounted read-only', hostPathPod('/var/log/app', true), { allowedHostPaths: [{ pathPrefix: '/var/log', readOnly: true }] }, []],
  ['host-filesystem', 'read-only required, mounted writable', hostPathPod('/var/log/app', false), { allowedHostPaths: [{ pathPrefix: '/var/log', readOnly: true }] }, [HOST_PATH]],
  ['host-filesystem', 'read-only required, mounted without readOnly', hostPathPod('/var/log/app'), { allowedHostPaths: [{ pathPrefix: '/var/log', readOnly: true }] }, [HOST_PATH]],
  ['host-filesystem', 'read-only not required, mounted writable', hostPathPod('/var/log/app', false), { allowedHostPaths: [{ pathPrefix: '/var/log', readOnly: false }] }, []],
  ['host-filesystem', 'read-only required, not mounted', hostPathPod('/var/log/app', undefined, false), { allowedHostPaths: [{ pathPrefix: '/var/log', readOnly: true }] }, []],
  // _checks-pod-security.ts
  ['capabilities', 'the hardened pod', pod(), CAPS, []],
  ['capabilities', 'NET_RAW dropped instead of ALL', pod((_p, c) => { c.securityContext.capabilities = { drop: ['NET_RAW'] }; }), CAPS, ['Container app must drop the capabilities [ALL]']],
  ['capabilities', 'no capabilities', pod((_p, c) => { delete c.securityContext.capabilities; }), CAPS, ['Container app must drop the capabilities [ALL]']],
  ['capabilities', 'an added capability', pod((_p, c) => { c.securityContext.capabilities.add = ['NET_BIND_SERVICE', 'NET_ADMIN']; }), CAPS, ['Container app adds capabilities beyond [NET_BIND_SERVICE]']],
  ['capabilities', 'both', pod((_p, c) => { c.securityContext.capabilities = { add: ['SYS_ADMIN'] }; }), CAPS,
    ['Container app must drop the capabilities [ALL]', 'Container app adds capabilities beyond [NET_BIND_SERVICE]']],
  ['capabilities', 'NET_BIND_SERVICE added back', pod((_p, c) => { c.securityContext.capabilities.add = ['NET_BIND_SERVICE']; }), CAPS, []],
  ['capabilities', 'a capability allowed for the exempted container', pod((_p, c) => { c.securityContext.capabilities = { add: ['NET_ADMIN'] }; }), { ...CAPS, ...exempt({ containers: ['app'], allowed: ['NET_ADMIN'] }) }, []],
  ['capabilities', 'a capability allowed for another container of the workload', pod((_p, c) => { c.securityContext.capabilities.add = ['NET_ADMIN']; }), { ...CAPS, ...exempt({ containers: ['init'], allowed: ['NET_ADMIN'] }) },
    ['Container app adds capabilities beyond [NET_BIND_SERVICE]']],
  ['capabilities', 'another capability than the one allowed for the container', pod((_p, c) => { c.securityContext.capabilities.add = ['SYS_ADMIN']; }), { ...CAPS, ...exempt({ containers: ['app'], allowed: ['NET_ADMIN'] }) },
    ['Container app adds capabilities beyond [NET_BIND_SERVICE]']],
  ['capabilities', 'without parameters', pod((_p, c) => { c.securityContext.capabilities = { add: ['NET_ADMIN'] }; }), {}, ['Container app adds capabilities beyond []']],
  ['seccomp-profile', 'RuntimeDefault on the pod', pod(), {}, []],
  ['seccomp-profile', 'no profile', pod(p => { delete p.spec.securityContext.seccompProfile; }), {}, [SECCOMP]],
  ['seccomp-profile', 'no pod securityContext', pod(p => { delete p.spec.securityContext; }), {}, [SECCOMP]],
  ['seccomp-profile', 'Unconfined on the pod', pod(p => { p.spec.securityContext.seccompProfile = { type: 'Unconfined' }; }), {}, [SECCOMP]],
  ['seccomp-profile', 'Unconfined on the container overriding the pod', pod((_p, c) => { c.securityContext.seccompProfile = { type: 'Unconfined' }; }), {}, [SECCOMP]],
  ['seccomp-profile', 'Localhost on the container, none on the pod', pod((p, c) => { delete p.spec.securityContext.seccompProfile; c.securityContext.seccompProfile = { type: 'Localhost', localhostProfile: 'app.json' }; }), {}, []],
  ['seccomp-profile', 'RuntimeDefault on the container, Unconfined on the pod', pod((p, c) => { p.spec.securityContext.seccompProfile = { type: 'Unconfined' }; c.securityContext.seccompProfile = { type: 'RuntimeDefault' }; }), {}, []],
  ['seccomp-profile', 'an exempted workload', pod(p => { delete p.spec.securityContext; }), exempt(), []],
  ['service-account-token', 'automount false', pod(), {}, []],
  ['service-account-token', 'automount true', pod(p => { p.spec.automountServiceAccountToken = true; }), {},
    ['The pod mounts its ServiceAccount token: set automountServiceAccountToken: false (or declare the workload\'s API access)']],
  ['service-account-token', 'automount unset', pod(p => { delete p.spec.automountServiceAccountToken; }), {},
    ['The pod mounts its ServiceAccount token: set automountServiceAccountToken: false (or declare the workload\'s API access)']],
  ['service-account-token', 'automount, an exempted workload', pod(p => { delete p.spec.automountServiceAccountToken; }), exempt(), []],
  ['pod-security-labels', 'restricted', ns({ [ENFORCE]: 'restricted' }), {}, []],
  ['pod-security-labels', 'no labels', ns(), {}, [LABELS_MESSAGE]],
  ['pod-security-labels', 'baseline', ns({ [ENFORCE]: 'baseline' }), {}, [LABELS_MESSAGE]],
  ['pod-security-labels', 'baseline, exempted', ns({ [ENFORCE]: 'baseline' }), { exemptNamespaces: ['apps'] }, []],
  ['pod-security-labels', 'privileged, exempted', ns({ [ENFORCE]: 'privileged' }), { exemptNamespaces: ['apps'] }, []],
  ['pod-security-labels', 'unlabelled, exempted', ns({ other: 'x' }), { exemptNamespaces: ['apps'] }, [LABELS_MESSAGE]],
  ['pod-security-labels', 'baseline, another namespace exempted', ns({ [ENFORCE]: 'baseline' }), { exemptNamespaces: ['spire'] }, [LABELS_MESSAGE]],
  // _checks-identity.ts
  ['dedicated-service-account', 'a dedicated ServiceAccount', pod(), {}, []],
  ['dedicated-service-account', 'default', pod(p => { p.spec.serviceAccountName = 'default'; }), {},
    ['The pod runs as the namespace\'s default ServiceAccount: give each workload a dedicated ServiceAccount (its mesh identity)']],
  ['dedicated-service-account', 'none (the ServiceAccount admission plugin sets default)', pod(p => { delete p.spec.serviceAccountName; }), {},
    ['The pod runs as the namespace\'s default ServiceAccount: give each workload a dedicated ServiceAccount (its mesh identity)']],
  ['dedicated-service-account', 'default, an exempted workload', pod(p => { p.spec.serviceAccountName = 'default'; }), exempt(), []],
  ['strict-mtls', 'STRICT', peer({ mtls: { mode: 'STRICT' } }), {}, []],
  ['strict-mtls', 'PERMISSIVE', peer({ mtls: { mode: 'PERMISSIVE' } }), {},
    ['PeerAuthentication must set spec.mtls.mode: STRICT (UNSET inherits PERMISSIVE by default, PERMISSIVE and DISABLE accept plaintext)']],
  ['strict-mtls', 'mtls without a mode', peer({ mtls: {} }), {},
    ['PeerAuthentication must set spec.mtls.mode: STRICT (UNSET inherits PERMISSIVE by default, PERMISSIVE and DISABLE accept plaintext)']],
  ['strict-mtls', 'no spec', peer(), {},
    ['PeerAuthentication must set spec.mtls.mode: STRICT (UNSET inherits PERMISSIVE by default, PERMISSIVE and DISABLE accept plaintext)']],
  ['strict-mtls', 'STRICT, ports STRICT, UNSET or without a mode', peer({ mtls: { mode: 'STRICT' }, portLevelMtls: { 8080: { mode: 'UNSET' }, 8081: { mode: 'STRICT' }, 8082: {} } }), {}, []],
  ['strict-mtls', 'STRICT, a port PERMISSIVE and one DISABLE', peer({ mtls: { mode: 'STRICT' }, portLevelMtls: { 8080: { mode: 'PERMISSIVE' }, 8081: { mode: 'DISABLE' } } }), {},
    ['portLevelMtls must not weaken mTLS: mode PERMISSIVE is not allowed', 'portLevelMtls must not weaken mTLS: mode DISABLE is not allowed']],
  ['strict-mtls', 'ports only', peer({ portLevelMtls: { 8080: { mode: 'DISABLE' } } }), {},
    ['PeerAuthentication must set spec.mtls.mode: STRICT (UNSET inherits PERMISSIVE by default, PERMISSIVE and DISABLE accept plaintext)', 'portLevelMtls must not weaken mTLS: mode DISABLE is not allowed']],
];

describe('each check\'s CEL, on the objects it judges', () => {
  test.each(CASES)('%s: %s', (id, _name, obj, params, expected) => {
    expect(violations(id, obj, params)).toEqual(expected);
    expect(decision(id, obj, params)).toEqual(expected.length ? [expected.join('; ')] : []);
  });

  test('every check with CEL has cases that admit and cases that reject', () => {
    for (const c of CHECKS.filter(x => x.cel)) {
      const mine = CASES.filter(([id]) => id === c.id);
      const seen = { id: c.id, admits: mine.some(x => x[4].length === 0), rejects: mine.some(x => x[4].length > 0) };
      expect(seen).toEqual({ id: c.id, admits: true, rejects: true });
    }
  });
});

describe('_cel-literal.ts: parameters as CEL literals', () => {
  const run = (expression: string) => evaluate(expression, {}, 'literal');

  test('maps with sorted keys, lists, every value wrapped in dyn() (Kubernetes compiles CEL with homogeneous aggregate literals)', () => {
    expect(celLiteral({ b: 1, a: ['x', true, null, 1.5, -2, { c: false }] }))
      .toBe('{"a": dyn([dyn("x"), dyn(true), dyn(null), dyn(1.5), dyn(-2), dyn({"c": dyn(false)})]), "b": dyn(1)}');
    expect(celLiteral([])).toBe('[]');
    expect(celLiteral({})).toBe('{}');
    expect(celLiteral('a "quoted"\nline \\ ${x}')).toBe('"a \\"quoted\\"\\nline \\\\ ${x}"');
    expect(run(celLiteral('a "quoted"\nline \\ ${x}'))).toBe('a "quoted"\nline \\ ${x}');
    expect(run(`${celLiteral({ n: 3, f: 0.25 })}.n + 1 == 4 && ${celLiteral({ n: 3, f: 0.25 })}.f == 0.25`)).toBe(true);
  });

  test('like JSON (and the Gatekeeper parameters): an undefined entry is left out, an undefined element or value is null', () => {
    expect(celLiteral({ a: undefined, b: [undefined] })).toBe('{"b": dyn([dyn(null)])}');
    expect(celLiteral(undefined)).toBe('null');
    expect(run(`has(${celLiteral({ exemptImages: undefined, repos: [] })}.exemptImages)`)).toBe(false);
  });

  test.each([NaN, Infinity, -Infinity])('a number without a literal (%s) is refused', n => {
    expect(() => celLiteral({ min: n })).toThrow(`celLiteral: ${n} has no CEL literal (nor a JSON one)`);
  });
});

/**
 * The same cases against the real Gatekeeper engine (`gator test`, once with its CEL driver, once
 * with Rego only): runs when GATOR names a gator binary built outside the repository, for example
 * `GATOR=/work/tools/gator npx jest test/policy/checks.test.ts -t gator`.
 */
(process.env.GATOR ? describe : describe.skip)('gator: each check\'s CEL and Rego on the same cases', () => {
  const KINDS: Record<string, any> = {
    pod: { apiGroups: [''], kinds: ['Pod'] },
    namespace: { apiGroups: [''], kinds: ['Namespace'] },
    peerauthentication: { apiGroups: ['security.istio.io'], kinds: ['PeerAuthentication'] },
  };
  let dir: string;
  beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'checks-gator-')); });

  function gator(cel: boolean, id: string, obj: any, params: any): string[] {
    // loaded here: the suite is skipped without GATOR
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { Testing, Yaml } = require('cdk8s') as typeof import('cdk8s');
    const { ConstraintTemplate, RegoVersion } = require('../../src/policy/constraint-template') as typeof import('../../src/policy/constraint-template');
    /* eslint-enable @typescript-eslint/no-require-imports */
    const check = byId(id);
    const chart = Testing.chart();
    new ConstraintTemplate(chart, 't', {
      kind: check.kind,
      rego: check.rego,
      regoVersion: RegoVersion.V0,
      libs: check.usesLib ? [ZERO_TRUST_LIB] : undefined,
      parameters: check.parameters,
      celVariables: celVariablesOf(check),
      celValidations: celValidations(check.skipUpdate),
    });
    const spec = { match: { kinds: [KINDS[check.target]] }, ...(Object.keys(params).length ? { parameters: params } : {}) };
    const constraint = { apiVersion: 'constraints.gatekeeper.sh/v1beta1', kind: check.kind, metadata: { name: 'c' }, spec };
    const file = path.join(dir, 'all.yaml');
    fs.writeFileSync(file, Yaml.stringify(...Testing.synth(chart), constraint, obj));
    const run = spawnSync(process.env.GATOR!, ['test', `--enable-k8s-native-validation=${cel}`, '-o', 'json', '-f', file], { encoding: 'utf8' });
    if (run.stderr) throw new Error(`gator: ${run.stderr}`);
    const results = JSON.parse(run.stdout || '[]') ?? [];
    return results.map((r: any) => r.msg).sort();
  }

  test.each(CASES)('%s: %s', (id, _name, obj, params, expected) => {
    expect({ cel: gator(true, id, obj, params) }).toEqual({ cel: expected.length ? [expected.join('; ')] : [] });
    // Rego prints lists as JSON (["a", "b"]), CEL joins them ([a, b])
    const rego = gator(false, id, obj, params).map(m => m.replace(/\[((?:"[^"]*"(?:, )?)*)\]/g, (_l, items: string) => `[${items.replace(/"/g, '')}]`));
    expect({ rego }).toEqual({ rego: [...new Set(expected)].sort() });
  });
});
