import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { container, ENGINES, goodPod, pack, pod, rejectedBy, review } from './_pack';
import { HostNamespace, IntentGraph, PolicyEngine, Privilege, ZeroTrustPolicy } from '../../src';
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
