import { Chart, Testing } from 'cdk8s';
import { checkIds, container, ENGINES, goodPod, namespace, pack, peerAuthentication, pod, rejectedBy, review } from './_pack';
import { PolicyEngine, PolicyMode, ZeroTrustPolicy, ZeroTrustPolicyPack, ZeroTrustPolicyPackProps } from '../../src';
import { injectIstioSidecar, kyvernoReview } from '../support/policy-engine';
import { readmeSnippet, runReadmeApp } from '../support/readme';
import { expectValidManifests } from '../support/schemas';
import { find, ofKind, synthValid } from '../support/synth';

/** Known-bad samples, each with the checks meant to reject it (and no other). */
const BAD: Array<[string, any, string[]]> = [
  ['a privileged container (which cannot disable privilege escalation)', pod(p => { container(p).securityContext.privileged = true; delete container(p).securityContext.allowPrivilegeEscalation; }), ['privilege-escalation', 'privileged-containers']],
  ['allowPrivilegeEscalation: true', pod(p => { container(p).securityContext.allowPrivilegeEscalation = true; }), ['privilege-escalation']],
  ['allowPrivilegeEscalation unset', pod(p => { delete container(p).securityContext.allowPrivilegeEscalation; }), ['privilege-escalation']],
  ['runAsUser: 0 on the container', pod(p => { container(p).securityContext.runAsUser = 0; }), ['run-as-non-root']],
  ['runAsUser: 0 on the pod, none on the container', pod(p => { delete container(p).securityContext.runAsUser; p.spec.securityContext.runAsUser = 0; }), ['run-as-non-root']],
  ['neither runAsUser nor runAsNonRoot', pod(p => { delete container(p).securityContext.runAsUser; delete p.spec.securityContext.runAsNonRoot; }), ['run-as-non-root']],
  ['runAsNonRoot: false on the container overriding the pod', pod(p => { delete container(p).securityContext.runAsUser; container(p).securityContext.runAsNonRoot = false; }), ['run-as-non-root']],
  ['an init container running as root', pod(p => { p.spec.initContainers = [{ ...structuredClone(container(p)), name: 'init', securityContext: { ...container(p).securityContext, runAsUser: 0 } }]; }), ['run-as-non-root']],
  ['no limits', pod(p => { delete container(p).resources.limits; }), ['required-resources']],
  ['no memory request', pod(p => { delete container(p).resources.requests.memory; }), ['required-resources']],
  ['an image from another registry', pod(p => { container(p).image = 'docker.io/library/nginx:1.27.0'; }), ['allowed-registries']],
  ['an image from a look-alike repository', pod(p => { container(p).image = 'ghcr.io/acme-evil/app:1.2.3'; }), ['allowed-registries']],
  ['the latest tag', pod(p => { container(p).image = 'ghcr.io/acme/app:latest'; }), ['disallowed-tags']],
  ['no tag', pod(p => { container(p).image = 'ghcr.io/acme/app'; }), ['disallowed-tags']],
  ['hostPID', pod(p => { p.spec.hostPID = true; }), ['host-pid-ipc']],
  ['hostIPC', pod(p => { p.spec.hostIPC = true; }), ['host-pid-ipc']],
  ['hostNetwork', pod(p => { p.spec.hostNetwork = true; }), ['host-network']],
  ['a hostPath volume', pod(p => { p.spec.volumes = [{ name: 'docker', hostPath: { path: '/var/run/docker.sock' } }]; }), ['host-filesystem']],
  ['a writable root filesystem', pod(p => { container(p).securityContext.readOnlyRootFilesystem = false; }), ['read-only-root-filesystem']],
  ['readOnlyRootFilesystem unset', pod(p => { delete container(p).securityContext.readOnlyRootFilesystem; }), ['read-only-root-filesystem']],
  ['the default ServiceAccount', pod(p => { p.spec.serviceAccountName = 'default'; }), ['dedicated-service-account']],
  ['mTLS PERMISSIVE', peerAuthentication({ mtls: { mode: 'PERMISSIVE' } }), ['strict-mtls']],
  ['mTLS unset (inherits PERMISSIVE)', peerAuthentication({}), ['strict-mtls']],
  ['no spec at all', (({ spec: _spec, ...rest }) => rest)(peerAuthentication({})), ['strict-mtls']],
  ['STRICT with a port in DISABLE', peerAuthentication({ mtls: { mode: 'STRICT' }, portLevelMtls: { 8080: { mode: 'DISABLE' } } }), ['strict-mtls']],
  // malformed image references: CEL and Rego read them with one RE2 pattern
  ['a malformed tag (repo:1.0:x)', pod(p => { container(p).image = 'ghcr.io/acme/app:1.0:x'; }), ['disallowed-tags']],
  ['an empty tag (repo:)', pod(p => { container(p).image = 'ghcr.io/acme/app:'; }), ['disallowed-tags']],
  ['a malformed digest', pod(p => { container(p).image = 'ghcr.io/acme/app@sha256:zz'; }), ['disallowed-tags']],
  ['a registry port but no tag', pod(p => { container(p).image = 'localhost:5000/app'; }), ['allowed-registries', 'disallowed-tags']],
  // Pod Security restricted
  ['capabilities not dropped', pod(p => { container(p).securityContext.capabilities = { drop: ['NET_RAW'] }; }), ['capabilities']],
  ['an added capability', pod(p => { container(p).securityContext.capabilities.add = ['NET_ADMIN']; }), ['capabilities']],
  ['no seccomp profile', pod(p => { delete p.spec.securityContext.seccompProfile; }), ['seccomp-profile']],
  ['seccomp Unconfined on the pod', pod(p => { p.spec.securityContext.seccompProfile = { type: 'Unconfined' }; }), ['seccomp-profile']],
  ['seccomp Unconfined on a container overriding the pod', pod(p => { container(p).securityContext.seccompProfile = { type: 'Unconfined' }; }), ['seccomp-profile']],
  ['a host port', pod(p => { container(p).ports = [{ containerPort: 8080, hostPort: 8080 }]; }), ['host-network']],
  ['the ServiceAccount token automounted (unset)', pod(p => { delete p.spec.automountServiceAccountToken; }), ['service-account-token']],
  ['the ServiceAccount token automounted (true)', pod(p => { p.spec.automountServiceAccountToken = true; }), ['service-account-token']],
  ['a namespace without Pod Security labels', namespace({}), ['pod-security-labels']],
  ['a namespace enforcing baseline', namespace({ 'pod-security.kubernetes.io/enforce': 'baseline' }), ['pod-security-labels']],
];

const GOOD: Array<[string, any]> = [
  ['the hardened pod', goodPod()],
  ['an image pinned by digest', pod(p => { container(p).image = `ghcr.io/acme/app@sha256:${'a'.repeat(64)}`; })],
  ['a tag on an image from a registry with a port', pod(p => { container(p).image = 'ghcr.io/acme/app:1.2.3'; })],
  ['runAsNonRoot on the pod only', pod(p => { delete container(p).securityContext.runAsUser; })],
  ['a non-root user on the pod only', pod(p => { delete container(p).securityContext.runAsUser; delete p.spec.securityContext.runAsNonRoot; p.spec.securityContext.runAsUser = 1000; })],
  ['an emptyDir volume', pod(p => { p.spec.volumes = [{ name: 'tmp', emptyDir: {} }]; })],
  ['the hardened pod with the Istio sidecar injected', injectIstioSidecar(goodPod())],
  ['STRICT mTLS', peerAuthentication({ mtls: { mode: 'STRICT' } })],
  ['STRICT with a port UNSET (inherits STRICT)', peerAuthentication({ mtls: { mode: 'STRICT' }, portLevelMtls: { 8080: { mode: 'UNSET' } } })],
  ['a tag and a digest', pod(p => { container(p).image = `ghcr.io/acme/app:1.2.3@sha256:${'b'.repeat(64)}`; })],
  ['NET_BIND_SERVICE added back', pod(p => { container(p).securityContext.capabilities.add = ['NET_BIND_SERVICE']; })],
  ['a Localhost seccomp profile on the container', pod(p => { delete p.spec.securityContext.seccompProfile; container(p).securityContext.seccompProfile = { type: 'Localhost', localhostProfile: 'app.json' }; })],
  ['a container port without a host port', pod(p => { container(p).ports = [{ containerPort: 8080 }]; })],
  ['a namespace enforcing restricted', namespace({ 'pod-security.kubernetes.io/enforce': 'restricted' })],
];

describe('ZeroTrustPolicyPack', () => {
  test.each(ENGINES)('%s: snapshot; every object validates', engine => {
    const { objs } = pack(engine);
    expect(objs).toMatchSnapshot();
  });

  test('gatekeeper: one template per check with the gatekeeper-library kinds, one constraint each, templates before constraints', () => {
    const { objs } = pack(PolicyEngine.GATEKEEPER);
    const kinds = ofKind(objs, 'ConstraintTemplate').map(t => t.spec.crd.spec.names.kind).sort();
    expect(kinds).toEqual([
      'K8sAllowedRepos', 'K8sDisallowDefaultServiceAccount', 'K8sDisallowServiceAccountTokenAutomount', 'K8sDisallowedTags', 'K8sIstioDefaultDenyAuthz',
      'K8sPSPAllowPrivilegeEscalationContainer', 'K8sPSPAllowedUsers', 'K8sPSPCapabilities', 'K8sPSPHostFilesystem', 'K8sPSPHostNamespace', 'K8sPSPHostNetworkingPorts',
      'K8sPSPPrivilegedContainer', 'K8sPSPReadOnlyRootFilesystem', 'K8sPeerAuthnStrictMtls', 'K8sRequiredPodSecurityLabels', 'K8sRequiredResources', 'K8sRequiredSeccompProfile',
    ]);
    expect(kinds).not.toContain('K8sPSPRunAsNonRoot');
    const constraints = objs.filter(o => o.apiVersion === 'constraints.gatekeeper.sh/v1beta1');
    expect(constraints).toHaveLength(17);
    // run as non-root is K8sPSPAllowedUsers with MustRunAsNonRoot (there is no k8spsprunasnonroot)
    expect(find(objs, 'K8sPSPAllowedUsers', 'zero-trust-run-as-non-root').spec.parameters).toEqual({ runAsUser: { rule: 'MustRunAsNonRoot' } });
    // the configured prefix, and Istio's sidecar image (injected before validating admission)
    expect(find(objs, 'K8sAllowedRepos', 'zero-trust-allowed-registries').spec.parameters.repos).toEqual(['docker.io/istio/proxyv2:', 'docker.io/istio/proxyv2@', 'ghcr.io/acme/']);
    expect(find(objs, 'K8sRequiredResources', 'zero-trust-required-resources').spec.parameters).toEqual({ limits: ['cpu', 'memory'], requests: ['cpu', 'memory'] });
    expect(find(objs, 'K8sDisallowedTags', 'zero-trust-disallowed-tags').spec.parameters.tags).toEqual(['latest']);
    for (const c of constraints) {
      expect(c.spec.enforcementAction).toBe('dryrun');
      expect(c.spec.match.excludedNamespaces).toEqual(['gatekeeper-system', 'kube-system']);
      expect(objs.indexOf(ofKind(objs, 'ConstraintTemplate').find(t => t.spec.crd.spec.names.kind === c.kind))).toBeLessThan(objs.indexOf(c));
    }
    expect(find(objs, 'K8sPeerAuthnStrictMtls', 'zero-trust-strict-mtls').spec.match.kinds).toEqual([{ apiGroups: ['security.istio.io'], kinds: ['PeerAuthentication'] }]);
  });

  test('gatekeeper: pod templates carry CEL before Rego v0; the default-deny check is Rego only, on synced data', () => {
    const { objs } = pack(PolicyEngine.GATEKEEPER);
    for (const t of ofKind(objs, 'ConstraintTemplate')) {
      const engines = t.spec.targets[0].code.map((c: any) => c.engine);
      expect(t.spec.targets[0].target).toBe('admission.k8s.gatekeeper.sh');
      expect(engines).toEqual(t.metadata.name === 'k8sistiodefaultdenyauthz' ? ['Rego'] : ['K8sNativeValidation', 'Rego']);
      const rego = t.spec.targets[0].code.find((c: any) => c.engine === 'Rego').source;
      expect(rego.version).toBeUndefined(); // v0: the default of every Gatekeeper version and of gator
      expect(t.spec.targets[0].rego).toBeUndefined(); // Rego in one place only
    }
    const config = find(objs, 'Config', 'config', 'gatekeeper-system');
    expect(config.spec.sync.syncOnly).toEqual([
      { group: '', version: 'v1', kind: 'Namespace' },
      { group: 'security.istio.io', version: 'v1', kind: 'AuthorizationPolicy' },
    ]);
    // every inventory path the Rego reads is synced by the Config
    const rego = find(objs, 'ConstraintTemplate', 'k8sistiodefaultdenyauthz').spec.targets[0].code[0].source.rego;
    expect(rego).toContain('data.inventory.cluster.v1.Namespace[ns]');
    expect(rego).toContain('data.inventory.namespace[ns]["security.istio.io/v1"].AuthorizationPolicy[_]');
    expect([...rego.matchAll(/data\.inventory[^\s]*/g)].map(m => m[0])).toHaveLength(2);
  });

  test('kyverno: one ValidatingPolicy per check (policies.kyverno.io/v1, no legacy ClusterPolicy), validationActions, autogen off, system namespaces excluded', () => {
    const { objs } = pack(PolicyEngine.KYVERNO, { mode: PolicyMode.ENFORCE });
    expect(objs.filter(o => o.apiVersion === 'kyverno.io/v1')).toEqual([]);
    const policies = ofKind(objs, 'ValidatingPolicy');
    expect(policies.map(p => p.metadata.name).sort()).toEqual(checkIds(PolicyEngine.GATEKEEPER, pack(PolicyEngine.GATEKEEPER).objs)
      .filter(id => id !== 'default-deny-authorization').map(id => `zero-trust-${id}`).sort());
    for (const p of policies) {
      expect(p.apiVersion).toBe('policies.kyverno.io/v1');
      expect(p.spec.validationActions).toEqual(['Deny']);
      expect(p.spec.autogen).toEqual({ podControllers: { controllers: [] } });
      expect(p.spec.matchConstraints.namespaceSelector).toEqual({ matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', 'kyverno'] }] });
      expect(p.spec.variables.slice(0, 2).map((v: any) => v.name)).toEqual(['anyObject', 'params']);
    }
  });

  test('kubernetes: per check a ValidatingAdmissionPolicy, its binding and its parameter ConfigMap; nothing to install', () => {
    const { objs } = pack(PolicyEngine.KUBERNETES, { mode: PolicyMode.ENFORCE });
    const policies = ofKind(objs, 'ValidatingAdmissionPolicy');
    const bindings = ofKind(objs, 'ValidatingAdmissionPolicyBinding');
    expect(policies).toHaveLength(16);
    expect(bindings.map(b => b.spec.policyName).sort()).toEqual(policies.map(p => p.metadata.name).sort());
    for (const p of policies) {
      expect(p.spec.failurePolicy).toBe('Fail');
      expect(p.spec.paramKind).toEqual({ apiVersion: 'v1', kind: 'ConfigMap' });
      expect(p.spec.matchConstraints.namespaceSelector.matchExpressions[0].values).toEqual(['kube-system']);
    }
    for (const b of bindings) {
      expect(b.spec.validationActions).toEqual(['Deny']);
      expect(b.spec.paramRef).toEqual({ name: b.spec.policyName, namespace: 'kube-system', parameterNotFoundAction: 'Deny' });
      expect(find(objs, 'ConfigMap', b.spec.policyName, 'kube-system')).toBeDefined();
    }
    // every object is core Kubernetes: no CRD, no engine
    expect(objs.every(o => ['v1', 'admissionregistration.k8s.io/v1'].includes(o.apiVersion))).toBe(true);
    expect(find(objs, 'ConfigMap', 'zero-trust-allowed-registries', 'kube-system').data.repos).toBe('docker.io/istio/proxyv2:\ndocker.io/istio/proxyv2@\nghcr.io/acme/');
  });

  test('kubernetes: a missing parameter ConfigMap denies rather than admits', () => {
    const { objs } = pack(PolicyEngine.KUBERNETES);
    const without = objs.filter(o => !(o.kind === 'ConfigMap' && o.metadata.name === 'zero-trust-allowed-registries'));
    expect(rejectedBy(PolicyEngine.KUBERNETES, without, goodPod())).toEqual(['allowed-registries']);
  });

  test('kyverno: the default-deny GeneratingPolicy creates an allow-nothing AuthorizationPolicy in every enrolled namespace, and the RBAC to do it', () => {
    const { objs } = pack(PolicyEngine.KYVERNO, { policyModes: { [ZeroTrustPolicy.DEFAULT_DENY_AUTHORIZATION]: PolicyMode.ENFORCE } });
    const policy = find(objs, 'GeneratingPolicy', 'zero-trust-default-deny-authorization');
    expect(policy.spec.evaluation).toEqual({ generateExisting: { enabled: true }, synchronize: { enabled: true } });
    const ns = (name: string, labels: Record<string, string>) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
    const generatedFor = (n: any) => kyvernoReview(objs, n).generated.map(g => g.object);
    for (const enrolled of [ns('a', { 'istio-injection': 'enabled' }), ns('b', { 'istio.io/rev': 'canary' }), ns('c', { 'istio.io/dataplane-mode': 'ambient' })]) {
      const generated = generatedFor(enrolled);
      expect(generated).toHaveLength(1);
      expect(generated[0].metadata).toMatchObject({ name: 'zero-trust-allow-nothing', namespace: enrolled.metadata.name });
      expect(generated[0].spec).toEqual({}); // ALLOW with no rules: allows nothing; never action DENY
      expectValidManifests(generated);
    }
    expect(generatedFor(ns('plain', {}))).toEqual([]);
    expect(generatedFor(ns('sidecar-off', { 'istio-injection': 'disabled' }))).toEqual([]);
    expect(generatedFor(ns('kube-system', { 'istio-injection': 'enabled' }))).toEqual([]);
    const role = ofKind(objs, 'ClusterRole')[0];
    expect(role.metadata.labels['rbac.kyverno.io/aggregate-to-background-controller']).toBe('true');
    expect(role.rules).toEqual([{ apiGroups: ['security.istio.io'], resources: ['authorizationpolicies'], verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'] }]);
  });

  test.each([PolicyMode.AUDIT, PolicyMode.WARN])('kyverno: in %s mode nothing generates policies (that would change traffic)', mode => {
    const { objs } = pack(PolicyEngine.KYVERNO, { mode });
    expect(ofKind(objs, 'GeneratingPolicy')).toEqual([]);
    expect(ofKind(objs, 'ClusterRole')).toEqual([]);
    expect(ofKind(objs, 'ValidatingPolicy')).toHaveLength(16);
  });

  describe.each(ENGINES)('%s: known-bad samples', engine => {
    const { objs } = pack(engine);
    test.each(BAD)('rejects %s', (_name, obj, expected) => {
      expect(rejectedBy(engine, objs, obj)).toEqual(expected);
    });
    test.each(GOOD)('admits %s', (_name, obj) => {
      expect(review(engine, objs, obj).violations).toEqual([]);
      expect(review(engine, objs, obj).evaluated.length).toBeGreaterThan(0);
    });
    test('every check has a known-bad sample', () => {
      const rejecting = new Set(BAD.flatMap(([, , ids]) => ids));
      const ids = checkIds(engine, objs);
      // the default-deny check reads other objects: see the Gatekeeper Rego and Kyverno generate tests
      expect(ids.filter(id => id !== 'default-deny-authorization').every(id => rejecting.has(id))).toBe(true);
    });
    test('UPDATE of an immutable pod field is not re-judged; images are', () => {
      expect(rejectedBy(engine, objs, BAD[1][1], 'UPDATE')).toEqual([]);
      expect(rejectedBy(engine, objs, BAD[10][1], 'UPDATE')).toEqual(['allowed-registries']);
    });
    test('system namespaces are not policed, every other namespace is', () => {
      const bad = pod(p => { p.spec.hostNetwork = true; });
      expect(rejectedBy(engine, objs, { ...bad, metadata: { ...bad.metadata, namespace: 'kube-system' } })).toEqual([]);
      expect(rejectedBy(engine, objs, { ...bad, metadata: { ...bad.metadata, namespace: 'kube-systemx' } })).toEqual(['host-network']);
    });
  });

  describe('modes', () => {
    test.each([
      [PolicyMode.AUDIT, 'dryrun', ['Audit']],
      [PolicyMode.WARN, 'warn', ['Warn', 'Audit']],
      [PolicyMode.ENFORCE, 'deny', ['Deny']],
    ])('%s: Gatekeeper %s, Kyverno and Kubernetes validationActions %j', (mode, action, actions) => {
      const gk = pack(PolicyEngine.GATEKEEPER, { mode }).objs.filter(o => o.apiVersion.startsWith('constraints.'));
      expect(new Set(gk.map(c => c.spec.enforcementAction))).toEqual(new Set([action]));
      for (const p of ofKind(pack(PolicyEngine.KYVERNO, { mode }).objs, 'ValidatingPolicy')) expect(p.spec.validationActions).toEqual(actions);
      for (const b of ofKind(pack(PolicyEngine.KUBERNETES, { mode }).objs, 'ValidatingAdmissionPolicyBinding')) expect(b.spec.validationActions).toEqual(actions);
    });

    test('a policy overrides the pack mode', () => {
      const props = {
        mode: PolicyMode.AUDIT,
        policyModes: { [ZeroTrustPolicy.PRIVILEGED_CONTAINERS]: PolicyMode.ENFORCE, [ZeroTrustPolicy.ALLOWED_REGISTRIES]: PolicyMode.WARN },
      };
      const gk = pack(PolicyEngine.GATEKEEPER, props);
      expect(find(gk.objs, 'K8sPSPPrivilegedContainer', 'zero-trust-privileged-containers').spec.enforcementAction).toBe('deny');
      expect(find(gk.objs, 'K8sAllowedRepos', 'zero-trust-allowed-registries').spec.enforcementAction).toBe('warn');
      expect(find(gk.objs, 'K8sPSPAllowedUsers', 'zero-trust-run-as-non-root').spec.enforcementAction).toBe('dryrun');
      expect(gk.pack.modeOf(ZeroTrustPolicy.PRIVILEGED_CONTAINERS)).toBe(PolicyMode.ENFORCE);
      const ky = pack(PolicyEngine.KYVERNO, props).objs;
      expect(find(ky, 'ValidatingPolicy', 'zero-trust-privileged-containers').spec.validationActions).toEqual(['Deny']);
      expect(find(ky, 'ValidatingPolicy', 'zero-trust-allowed-registries').spec.validationActions).toEqual(['Warn', 'Audit']);
      expect(find(ky, 'ValidatingPolicy', 'zero-trust-run-as-non-root').spec.validationActions).toEqual(['Audit']);
      const native = pack(PolicyEngine.KUBERNETES, props).objs;
      expect(find(native, 'ValidatingAdmissionPolicyBinding', 'zero-trust-privileged-containers').spec.validationActions).toEqual(['Deny']);
      expect(find(native, 'ValidatingAdmissionPolicyBinding', 'zero-trust-run-as-non-root').spec.validationActions).toEqual(['Audit']);
    });
  });

  test('the README example runs and does what it says', () => {
    const app = runReadmeApp(readmeSnippet('### Policy layer'));
    const chart = app.node.findChild('policy') as Chart;
    const objs = synthValid(chart);
    expect((chart.node.findChild('zero-trust') as ZeroTrustPolicyPack).engine).toBe(PolicyEngine.GATEKEEPER);
    expect(find(objs, 'K8sPSPPrivilegedContainer', 'zero-trust-privileged-containers').spec.enforcementAction).toBe('deny');
    expect(find(objs, 'K8sPSPReadOnlyRootFilesystem', 'zero-trust-read-only-root-filesystem').spec).toMatchObject({
      enforcementAction: 'warn',
      parameters: { exemptWorkloads: [{ namespace: 'legacy', podLabels: ['app=billing'], reason: expect.stringContaining('OPS-1234') }] },
    });
  });

  describe('bad input', () => {
    const build = (props: Partial<ZeroTrustPolicyPackProps>) => () => pack(PolicyEngine.GATEKEEPER, props);

    test('fails when an exemption has no reason', () => {
      expect(build({ exemptions: [{ namespace: 'apps', podLabels: { app: 'x' }, policies: [ZeroTrustPolicy.RUN_AS_NON_ROOT], reason: '' }] }))
        .toThrow('[c/pack] invalid exemption.reason "": must say why the workload needs the exemption (at least 10 characters); an exemption without a reason cannot be reviewed');
    });

    test('fails when an exemption selects no pods', () => {
      expect(build({ exemptions: [{ namespace: 'apps', podLabels: {}, policies: [ZeroTrustPolicy.RUN_AS_NON_ROOT], reason: 'a reason long enough' }] }))
        .toThrow('[c/pack] invalid exemption.podLabels {}: must select the workload\'s pods with at least one label');
    });

    test('fails when an exemption names the PeerAuthentication policy', () => {
      expect(build({ exemptions: [{ namespace: 'apps', podLabels: { app: 'x' }, policies: [ZeroTrustPolicy.STRICT_MTLS], reason: 'a reason long enough' }] }))
        .toThrow('[c/pack] invalid exemption.policies "strict-mtls": applies to PeerAuthentications, not to pods');
    });

    test('fails when a host namespaces exemption does not say which', () => {
      expect(build({ exemptions: [{ namespace: 'apps', podLabels: { app: 'x' }, policies: [ZeroTrustPolicy.HOST_NAMESPACES], reason: 'a reason long enough' }] }))
        .toThrow('[c/pack] invalid exemption.hostNamespaces undefined: must list the host namespaces exactly when ZeroTrustPolicy.HOST_NAMESPACES is exempted');
    });

    test('fails when a registry prefix does not end with a slash', () => {
      expect(build({ allowedRegistries: ['ghcr.io/acme'] }))
        .toThrow('[c/pack] invalid allowedRegistries "ghcr.io/acme": each entry must be a registry (and path) ending with \'/\'');
      expect(build({ allowedRegistries: ['ghcr.io/acme'] })).toThrow('write \'ghcr.io/acme/\'');
      expect(build({ allowedRegistries: [] })).toThrow('[c/pack] invalid allowedRegistries []: must list at least one image prefix ending with \'/\'');
    });

    test('fails on an injected image that is not a prefix', () => {
      expect(build({ injectedImages: ['docker.io/istio/proxyv2'] })).toThrow(
        '[c/pack] invalid injectedImages "docker.io/istio/proxyv2": each entry must be a registry path ending with \'/\', or a repository ending with \':\' or \'@\'; for example \'docker.io/istio/proxyv2:\'');
    });

    test('fails on a second pack of the same engine in one app', () => {
      const app = Testing.app();
      new ZeroTrustPolicyPack(new Chart(app, 'a'), 'pack', { engine: PolicyEngine.KYVERNO, allowedRegistries: ['ghcr.io/acme/'] });
      expect(() => new ZeroTrustPolicyPack(new Chart(app, 'b'), 'pack', { engine: PolicyEngine.KYVERNO, allowedRegistries: ['ghcr.io/acme/'] })).toThrow(
        '[b/pack] invalid engine "kyverno": a/pack already defines the kyverno pack of this app, and its policies are cluster-wide names; define one pack per engine and stage single policies with policyModes');
    });

    test('fails on an unknown mode or policy', () => {
      expect(build({ mode: 'block' as PolicyMode })).toThrow('[c/pack] invalid mode "block": must be a PolicyMode (PolicyMode.AUDIT = "audit", PolicyMode.WARN = "warn", PolicyMode.ENFORCE = "enforce")');
      expect(build({ policyModes: { 'no-root': PolicyMode.ENFORCE } })).toThrow('[c/pack] invalid policyModes "no-root": keys must be policies of the pack');
      expect(build({ engine: 'opa' as PolicyEngine })).toThrow('[c/pack] invalid engine "opa": must be a PolicyEngine (PolicyEngine.GATEKEEPER = "gatekeeper", PolicyEngine.KYVERNO = "kyverno", PolicyEngine.KUBERNETES = "kubernetes")');
    });
  });
});
