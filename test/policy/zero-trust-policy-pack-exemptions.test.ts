import { Testing } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { container, ENGINES, goodPod, pack, pod, rejectedBy, review } from './_pack';
import { HostNamespace, IntentGraph, PolicyEngine, Privilege, ZeroTrustPolicy } from '../../src';
import { checkExemption, exemptionOf, POD_SECURITY_POLICIES } from '../../src/policy/_exemptions';
import { injectIstioSidecar } from '../support/policy-engine';
import { find } from '../support/synth';

/** The pack's exemptions (split from zero-trust-policy-pack.test.ts; same test names). */
describe('ZeroTrustPolicyPack', () => {
  describe.each(ENGINES)('%s: exemptions', engine => {
    const agentLabels = { 'app.kubernetes.io/name': 'spire-agent' };
    const declare = (chart: Construct) => IntentGraph.of(chart).declarePrivilegedWorkload(new Construct(chart, 'Spire'), {
      namespace: 'spire',
      kind: 'DaemonSet',
      name: 'spire-agent',
      podLabels: agentLabels,
      privileges: [Privilege.HOST_PID, Privilege.HOST_PATH, Privilege.RUN_AS_ROOT],
      hostPaths: ['/run/spire/agent-sockets'],
      containers: ['spire-agent'],
      reason: 'attests workloads by PID through the kernel and serves the Workload API socket on the node',
    });
    const agent = (mutate: (p: any) => void = () => undefined) => pod(p => {
      p.metadata = { name: 'spire-agent-x', namespace: 'spire', labels: { ...agentLabels, extra: 'label' } };
      p.spec.serviceAccountName = 'spire-agent';
      p.spec.hostPID = true;
      p.spec.volumes = [{ name: 'sockets', hostPath: { path: '/run/spire/agent-sockets' } }];
      container(p).name = 'spire-agent';
      container(p).securityContext.runAsUser = 0;
      delete p.spec.securityContext.runAsNonRoot;
      mutate(p);
    });

    test('a declared privileged workload is exempted from exactly its checks, read at synthesis time', () => {
      // declared AFTER the pack: the pack reads the intent graph lazily
      const { objs, pack: p } = pack(engine, {}, chart => declare(chart));
      expect(review(engine, objs, agent()).violations).toEqual([]);
      expect(p.exemptions).toEqual([expect.objectContaining({
        namespace: 'spire',
        podLabels: agentLabels,
        policies: ['host-filesystem', 'host-namespaces', 'run-as-non-root'],
        hostNamespaces: ['hostPID'],
        hostPaths: ['/run/spire/agent-sockets'],
        containers: ['spire-agent'],
        source: 'c/Spire',
      })]);
    });

    test('the exemption is no broader than the workload', () => {
      const { objs } = pack(engine, {}, chart => declare(chart));
      // another namespace, other labels
      expect(rejectedBy(engine, objs, agent(p => { p.metadata.namespace = 'apps'; }))).toEqual(['host-filesystem', 'host-pid-ipc', 'run-as-non-root']);
      expect(rejectedBy(engine, objs, agent(p => { p.metadata.labels = { 'app.kubernetes.io/name': 'spire-agent-2' }; }))).toEqual(['host-filesystem', 'host-pid-ipc', 'run-as-non-root']);
      // undeclared privileges of the declared workload
      expect(rejectedBy(engine, objs, agent(p => { p.spec.hostNetwork = true; }))).toEqual(['host-network']);
      expect(rejectedBy(engine, objs, agent(p => { p.spec.hostIPC = true; }))).toEqual(['host-pid-ipc']);
      expect(rejectedBy(engine, objs, agent(p => { p.spec.volumes.push({ name: 'docker', hostPath: { path: '/var/run/docker.sock' } }); }))).toEqual(['host-filesystem']);
      expect(rejectedBy(engine, objs, agent(p => { container(p).securityContext.privileged = true; }))).toEqual(['privileged-containers']);
      // another container of the workload
      expect(rejectedBy(engine, objs, agent(p => { p.spec.containers.push({ ...structuredClone(container(p)), name: 'helper' }); }))).toEqual(['run-as-non-root']);
    });

    test('two privileged workloads of one namespace keep their own exemptions', () => {
      const csiLabels = { 'app.kubernetes.io/name': 'spiffe-csi-driver' };
      const { objs } = pack(engine, {}, chart => {
        declare(chart);
        IntentGraph.of(chart).declarePrivilegedWorkload(new Construct(chart, 'Csi'), {
          namespace: 'spire',
          kind: 'DaemonSet',
          name: 'spiffe-csi-driver',
          podLabels: csiLabels,
          privileges: [Privilege.PRIVILEGED_CONTAINER, Privilege.HOST_PATH, Privilege.RUN_AS_ROOT, Privilege.WRITABLE_ROOT_FILESYSTEM],
          hostPaths: ['/var/lib/kubelet/pods'],
          containers: ['driver'],
          reason: 'mounts the Workload API socket into pods through kubelet (bidirectional mount propagation)',
        });
      });
      const csi = (mutate: (p: any) => void = () => undefined) => pod(p => {
        p.metadata = { name: 'csi-x', namespace: 'spire', labels: csiLabels };
        p.spec.serviceAccountName = 'spiffe-csi-driver';
        p.spec.volumes = [{ name: 'pods', hostPath: { path: '/var/lib/kubelet/pods' } }];
        container(p).name = 'driver';
        container(p).securityContext = { privileged: true, runAsUser: 0, readOnlyRootFilesystem: false };
        mutate(p);
      });
      expect(review(engine, objs, csi()).violations).toEqual([]);
      expect(review(engine, objs, agent()).violations).toEqual([]);
      // each keeps only its own privileges
      expect(rejectedBy(engine, objs, csi(p => { p.spec.hostPID = true; }))).toEqual(['host-pid-ipc']);
      expect(rejectedBy(engine, objs, csi(p => { p.spec.volumes.push({ name: 'sockets', hostPath: { path: '/run/spire/agent-sockets' } }); }))).toEqual(['host-filesystem']);
      expect(rejectedBy(engine, objs, agent(p => { container(p).securityContext.privileged = true; }))).toEqual(['privileged-containers']);
      expect(rejectedBy(engine, objs, agent(p => { container(p).securityContext.readOnlyRootFilesystem = false; }))).toEqual(['read-only-root-filesystem']);
    });

    test('a user exemption needs a reason and applies to its workload only', () => {
      const { objs, pack: p } = pack(engine, {
        exemptions: [{
          namespace: 'legacy',
          podLabels: { app: 'billing' },
          policies: [ZeroTrustPolicy.READ_ONLY_ROOT_FILESYSTEM, ZeroTrustPolicy.HOST_NAMESPACES],
          hostNamespaces: [HostNamespace.HOST_NETWORK],
          reason: 'vendor image writes to /opt at start; network agent until the vendor ships 3.x',
        }],
      });
      const billing = (ns: string) => pod(q => {
        q.metadata = { name: 'billing', namespace: ns, labels: { app: 'billing' } };
        container(q).securityContext.readOnlyRootFilesystem = false;
        q.spec.hostNetwork = true;
      });
      expect(rejectedBy(engine, objs, billing('legacy'))).toEqual([]);
      expect(rejectedBy(engine, objs, billing('apps'))).toEqual(['host-network', 'read-only-root-filesystem']);
      expect(p.exemptions[0]).toMatchObject({ source: 'c/pack', reason: expect.stringContaining('vendor image') });
    });

    test('exemptions are written to the policies with their reason', () => {
      const { objs } = pack(engine, {}, chart => declare(chart));
      const text = JSON.stringify(objs);
      expect(text).toContain('attests workloads by PID');
      expect(text).toContain('/run/spire/agent-sockets');
    });
  });

  test.each(ENGINES)('%s: allowAppImages admits exactly the repositories the app deploys', engine => {
    const { objs } = pack(engine, { allowAppImages: true }, chart => {
      new k8s.KubeDaemonSet(chart, 'falco', {
        metadata: { name: 'falco', namespace: 'falco' },
        spec: {
          selector: { matchLabels: { app: 'falco' } },
          template: { metadata: { labels: { app: 'falco' } }, spec: { containers: [{ name: 'falco', image: 'docker.io/falcosecurity/falco:0.44.1' }] } },
        },
      });
      new k8s.KubeDeployment(chart, 'app', {
        metadata: { name: 'app', namespace: 'apps' },
        spec: {
          selector: { matchLabels: { app: 'app' } },
          template: { metadata: { labels: { app: 'app' } }, spec: { containers: [{ name: 'app', image: 'ghcr.io/acme/app:1.2.3' }] } },
        },
      });
    });
    if (engine === PolicyEngine.GATEKEEPER) {
      // the configured registry, and the one repository outside it
      expect(find(objs, 'K8sAllowedRepos', 'zero-trust-allowed-registries').spec.parameters.repos).toEqual(['docker.io/falcosecurity/falco:', 'docker.io/istio/proxyv2:', 'docker.io/istio/proxyv2@', 'ghcr.io/acme/']);
    }
    const image = (ref: string) => pod(p => { container(p).image = ref; });
    expect(rejectedBy(engine, objs, image('docker.io/falcosecurity/falco:0.44.1'))).toEqual([]);
    expect(rejectedBy(engine, objs, image('docker.io/falcosecurity/falco-exporter:0.9.0'))).toEqual(['allowed-registries']);
    expect(rejectedBy(engine, objs, image('docker.io/falcosecurity/other:1.0.0'))).toEqual(['allowed-registries']);
  });

  test('allowAppImages never admits a whole registry: an image without a repository path is refused', () => {
    // `registry.example.com:5000` is repository registry.example.com with tag 5000, and its
    // prefix `registry.example.com:` would admit `registry.example.com:5000/anything`
    for (const image of ['registry.example.com:5000', 'nginx:1.25']) {
      expect(() => pack(PolicyEngine.GATEKEEPER, { allowAppImages: true }, chart => {
        new k8s.KubeDeployment(chart, 'app', {
          metadata: { name: 'app', namespace: 'apps' },
          spec: { selector: { matchLabels: { app: 'app' } }, template: { metadata: { labels: { app: 'app' } }, spec: { containers: [{ name: 'app', image }] } } },
        });
      })).toThrow(new RegExp(`\\[c\\/pack\\] invalid allowAppImages "${image.replace(/\./g, '\\.')}": is an image without a repository path`));
    }
  });

  test('exemption host paths are normalized absolute paths', () => {
    const base = { namespace: 'agents', podLabels: { app: 'agent' }, policies: [ZeroTrustPolicy.HOST_FILESYSTEM], reason: 'reads the node logs for the test' };
    for (const hostPaths of [['/var/log/../../etc'], ['/var/log/./x'], ['/var//log'], ['/var/log\u0000']]) {
      expect(() => pack(PolicyEngine.GATEKEEPER, {}, (_c, p) => p.addExemption({ ...base, hostPaths } as any)))
        .toThrow(/invalid exemption\.hostPaths .*must be absolute, normalized paths/);
    }
  });

  test.each(ENGINES)('%s: without the injected sidecar image, every injected pod would be rejected', engine => {
    const { objs } = pack(engine, { injectedImages: [] });
    expect(rejectedBy(engine, objs, injectIstioSidecar(goodPod()))).toEqual(['allowed-registries']);
    expect(rejectedBy(engine, objs, goodPod())).toEqual([]);
  });
});

/** The exemption checks and the exemption of each declared privilege, called directly. */
describe('exemption checks (_exemptions)', () => {
  const base = { namespace: 'legacy', podLabels: { app: 'billing' }, policies: [ZeroTrustPolicy.RUN_AS_NON_ROOT], reason: '  runs as root until 2.0  ' };
  const check = (o: any) => checkExemption(Testing.chart(), o);

  test('a user exemption is exactly what it declares, sorted and without duplicates', () => {
    expect(check(base)).toEqual({
      namespace: 'legacy',
      podLabels: { app: 'billing' },
      policies: ['run-as-non-root'],
      containers: [],
      hostNamespaces: [],
      hostPaths: [],
      capabilities: [],
      reason: 'runs as root until 2.0',
      source: 'test',
    });
    expect(check({
      ...base,
      podLabels: { 'app.kubernetes.io/name': 'agent', 'tier': '' },
      policies: [ZeroTrustPolicy.HOST_NAMESPACES, ZeroTrustPolicy.CAPABILITIES, ZeroTrustPolicy.HOST_FILESYSTEM, ZeroTrustPolicy.CAPABILITIES],
      hostNamespaces: [HostNamespace.HOST_PID, HostNamespace.HOST_NETWORK, HostNamespace.HOST_PID],
      hostPaths: ['/var/log', '/run/A_b.c-9', '/var/log'],
      containers: ['b', 'a', 'b'],
      capabilities: ['SYS_ADMIN', 'NET_ADMIN', 'SYS_ADMIN'],
      reason: 'abcdefghij',
    })).toEqual({
      namespace: 'legacy',
      podLabels: { 'app.kubernetes.io/name': 'agent', 'tier': '' },
      policies: ['capabilities', 'host-filesystem', 'host-namespaces'],
      containers: ['a', 'b'],
      hostNamespaces: ['hostNetwork', 'hostPID'],
      hostPaths: ['/run/A_b.c-9', '/var/log'],
      capabilities: ['NET_ADMIN', 'SYS_ADMIN'],
      reason: 'abcdefghij',
      source: 'test',
    });
  });

  const SHAPE = 'must be an object with namespace, podLabels, policies and reason';
  const REASON = 'must say why the workload needs the exemption (at least 10 characters); an exemption without a reason cannot be reviewed';
  const NO_SELECTOR = 'must select the workload\'s pods with at least one label; an exemption without a selector would cover every pod of the namespace';
  const PATHS = 'must be absolute, normalized paths of letters, digits and . _ - / (no spaces or commas, no \'.\' or \'..\' segments, no \'//\')';
  const CAPS = 'must be Linux capability names without the CAP_ prefix, for example NET_ADMIN';
  const hostNs = { policies: [ZeroTrustPolicy.HOST_NAMESPACES], hostNamespaces: [HostNamespace.HOST_PID] };
  const hostFs = (hostPaths: unknown[]) => ({ policies: [ZeroTrustPolicy.HOST_FILESYSTEM], hostPaths });
  const caps = (capabilities: unknown[]) => ({ policies: [ZeroTrustPolicy.CAPABILITIES], capabilities });
  test.each<[string, any, string]>([
    ['no object', undefined, `invalid exemption undefined: ${SHAPE}`],
    ['a string', 'legacy', `invalid exemption "legacy": ${SHAPE}`],
    ['a reason that is no string', { ...base, reason: 42 }, `invalid exemption.reason 42: ${REASON}`],
    ['a reason of 9 characters in spaces', { ...base, reason: '   abcdefghi   ' }, `invalid exemption.reason "   abcdefghi   ": ${REASON}`],
    ['a namespace that is no DNS label', { ...base, namespace: 'Legacy' }, 'invalid exemption.namespace "Legacy": must be a DNS-1123 label'],
    ['no pod labels', { ...base, podLabels: undefined }, `invalid exemption.podLabels undefined: ${NO_SELECTOR}`],
    ['null pod labels', { ...base, podLabels: null }, `invalid exemption.podLabels null: ${NO_SELECTOR}`],
    ['pod labels as a string', { ...base, podLabels: 'app=billing' }, `invalid exemption.podLabels "app=billing": ${NO_SELECTOR}`],
    ['empty pod labels', { ...base, podLabels: {} }, `invalid exemption.podLabels {}: ${NO_SELECTOR}`],
    ['an invalid label key', { ...base, podLabels: { 'bad key': 'x' } }, 'invalid exemption.podLabels key "bad key": is not a Kubernetes label key'],
    ['an invalid label value', { ...base, podLabels: { app: 'bad value' } }, 'invalid exemption.podLabels["app"] "bad value": is not a Kubernetes label value'],
    ['no policies', { ...base, policies: undefined }, 'invalid exemption.policies undefined: must list at least one ZeroTrustPolicy'],
    ['empty policies', { ...base, policies: [] }, 'invalid exemption.policies []: must list at least one ZeroTrustPolicy'],
    ['an unknown policy', { ...base, policies: ['no-root'] }, `invalid exemption.policies "no-root": must be one of ${Object.values(ZeroTrustPolicy).join(', ')}`],
    ['the mTLS policy', { ...base, policies: [ZeroTrustPolicy.STRICT_MTLS] },
      'invalid exemption.policies "strict-mtls": applies to PeerAuthentications, not to pods: a workload cannot be exempted from it'],
    ['the namespace labels policy', { ...base, policies: [ZeroTrustPolicy.RUN_AS_NON_ROOT, ZeroTrustPolicy.POD_SECURITY_LABELS] },
      'invalid exemption.policies "pod-security-labels": applies to Namespaces, not to pods: a workload cannot be exempted from it'],
    ['host namespaces without the policy', { ...base, hostNamespaces: [HostNamespace.HOST_PID] },
      'invalid exemption.hostNamespaces ["hostPID"]: must list the host namespaces exactly when ZeroTrustPolicy.HOST_NAMESPACES is exempted'],
    ['the host namespaces policy without host namespaces', { ...base, ...hostNs, hostNamespaces: [] },
      'invalid exemption.hostNamespaces []: must list the host namespaces exactly when ZeroTrustPolicy.HOST_NAMESPACES is exempted'],
    ['an unknown host namespace', { ...base, ...hostNs, hostNamespaces: ['hostUTS'] }, 'invalid exemption.hostNamespaces "hostUTS": must be one of hostPID, hostIPC, hostNetwork'],
    ['host paths without the policy', { ...base, hostPaths: ['/var/log'] },
      'invalid exemption.hostPaths ["/var/log"]: must list the host paths exactly when ZeroTrustPolicy.HOST_FILESYSTEM is exempted'],
    ['the host filesystem policy without host paths', { ...base, ...hostFs([]) },
      'invalid exemption.hostPaths []: must list the host paths exactly when ZeroTrustPolicy.HOST_FILESYSTEM is exempted'],
    ['a relative host path', { ...base, ...hostFs(['/var/log', 'var/log']) }, `invalid exemption.hostPaths ["/var/log","var/log"]: ${PATHS}`],
    ['a host path with a space', { ...base, ...hostFs(['/var/a b']) }, `invalid exemption.hostPaths ["/var/a b"]: ${PATHS}`],
    ['a host path with a space before a clean tail', { ...base, ...hostFs(['/a b/c']) }, `invalid exemption.hostPaths ["/a b/c"]: ${PATHS}`],
    ['a host path with a comma', { ...base, ...hostFs(['/var/a,b']) }, `invalid exemption.hostPaths ["/var/a,b"]: ${PATHS}`],
    ['a host path climbing out', { ...base, ...hostFs(['/var/log/../../etc']) }, `invalid exemption.hostPaths ["/var/log/../../etc"]: ${PATHS}`],
    ['a host path that is no string', { ...base, ...hostFs([{ toString: () => '/var/log' }]) }, `invalid exemption.hostPaths [{}]: ${PATHS}`],
    ['a container that is no DNS label', { ...base, containers: ['app', 'App'] }, 'invalid exemption.containers "App": must be a DNS-1123 label'],
    ['capabilities without the policy', { ...base, capabilities: ['NET_ADMIN'] },
      'invalid exemption.capabilities ["NET_ADMIN"]: are only read with ZeroTrustPolicy.CAPABILITIES; add ZeroTrustPolicy.CAPABILITIES to policies or remove capabilities'],
    ['a lower-case capability', { ...caps(['NET_ADMIN', 'net_admin']) }, `invalid exemption.capabilities ["NET_ADMIN","net_admin"]: ${CAPS}`],
    ['a capability with the CAP_ prefix', { ...caps(['CAP_NET_ADMIN']) }, `invalid exemption.capabilities ["CAP_NET_ADMIN"]: ${CAPS}`],
    ['a capability starting with _', { ...caps(['_NET']) }, `invalid exemption.capabilities ["_NET"]: ${CAPS}`],
    ['a capability with a space', { ...caps(['NET ADMIN']) }, `invalid exemption.capabilities ["NET ADMIN"]: ${CAPS}`],
    ['a capability that is no string', { ...caps([{ toString: () => 'NET_ADMIN' }]) }, `invalid exemption.capabilities [{}]: ${CAPS}`],
  ])('refuses %s', (_name, o, message) => {
    expect(() => check(o && typeof o === 'object' ? { ...base, ...o } : o)).toThrow(`[test] ${message}`);
  });

  test('accepts every capability name of capital letters and _, and host paths of letters, digits and . _ - /', () => {
    expect(check({ ...base, ...caps(['AUDIT_READ', 'B', 'NET_BIND_SERVICE']) }).capabilities).toEqual(['AUDIT_READ', 'B', 'NET_BIND_SERVICE']);
    expect(check({ ...base, ...hostFs(['/', '/var/lib/kubelet/pods', '/Run/.x_y-9']) }).hostPaths).toEqual(['/', '/Run/.x_y-9', '/var/lib/kubelet/pods']);
  });

  const workload = (privileges: Privilege[], more: object = {}) => {
    const chart = Testing.chart();
    return IntentGraph.of(chart).declarePrivilegedWorkload(new Construct(chart, 'Agent'), {
      namespace: 'agents', kind: 'DaemonSet', name: 'agent', podLabels: { app: 'agent' }, privileges, reason: '  reads the node state  ', ...more,
    });
  };
  test.each<[Privilege, string[], string[]]>([
    [Privilege.PRIVILEGED_CONTAINER, ['capabilities', 'privilege-escalation', 'privileged-containers'], []],
    [Privilege.PRIVILEGE_ESCALATION, ['privilege-escalation'], []],
    [Privilege.RUN_AS_ROOT, ['run-as-non-root'], []],
    [Privilege.WRITABLE_ROOT_FILESYSTEM, ['read-only-root-filesystem'], []],
    [Privilege.HOST_PID, ['host-namespaces'], ['hostPID']],
    [Privilege.HOST_IPC, ['host-namespaces'], ['hostIPC']],
    [Privilege.HOST_NETWORK, ['host-namespaces'], ['hostNetwork']],
    [Privilege.HOST_PATH, ['host-filesystem'], []],
    [Privilege.ADDED_CAPABILITIES, ['capabilities'], []],
    [Privilege.SERVICE_ACCOUNT_TOKEN, ['service-account-token'], []],
    [Privilege.UNBOUNDED_RESOURCES, ['required-resources'], []],
    [Privilege.UNCONFINED_SECCOMP, ['seccomp-profile'], []],
    [Privilege.DEFAULT_CAPABILITIES, ['capabilities'], []],
  ])('the privilege %s is exempted from exactly %j', (privilege, policies, hostNamespaces) => {
    const more = privilege === Privilege.HOST_PATH ? { hostPaths: ['/var/log'] } : privilege === Privilege.ADDED_CAPABILITIES ? { capabilities: ['NET_ADMIN'] } : {};
    expect(exemptionOf(workload([privilege], more))).toEqual({
      namespace: 'agents',
      podLabels: { app: 'agent' },
      policies,
      containers: [],
      hostNamespaces,
      hostPaths: [],
      capabilities: [],
      ...more,
      reason: 'DaemonSet agent: reads the node state',
      source: 'test/Agent',
    });
  });

  test('a workload with several privileges is exempted from the union of their policies, for its containers only', () => {
    expect(exemptionOf(workload([Privilege.HOST_NETWORK, Privilege.HOST_PID, Privilege.ADDED_CAPABILITIES, Privilege.DEFAULT_CAPABILITIES], {
      capabilities: ['SYS_PTRACE', 'NET_ADMIN'], containers: ['main', 'init'],
    }))).toMatchObject({ policies: ['capabilities', 'host-namespaces'], hostNamespaces: ['hostNetwork', 'hostPID'], capabilities: ['NET_ADMIN', 'SYS_PTRACE'], containers: ['init', 'main'] });
  });

  test('the Pod Security controls: an exemption from one lets its namespace label a lower level, no other does', () => {
    expect([...POD_SECURITY_POLICIES].sort()).toEqual([
      'capabilities', 'host-filesystem', 'host-namespaces', 'privilege-escalation', 'privileged-containers', 'run-as-non-root', 'seccomp-profile',
    ]);
    const relaxed = (policies: ZeroTrustPolicy[]) => find(pack(PolicyEngine.GATEKEEPER, { exemptions: [{ ...base, policies }] }).objs,
      'K8sRequiredPodSecurityLabels', 'zero-trust-pod-security-labels').spec.parameters?.exemptNamespaces;
    expect(relaxed([ZeroTrustPolicy.RUN_AS_NON_ROOT])).toEqual(['legacy']);
    expect(relaxed([ZeroTrustPolicy.READ_ONLY_ROOT_FILESYSTEM, ZeroTrustPolicy.REQUIRED_RESOURCES])).toBeUndefined();
  });
});
