import { ApiObject, Chart, Testing } from 'cdk8s';
import * as yaml from 'yaml';
import { AdoptedWorkload, CiliumWorkloadPolicy, ExternalWorkload, MeshMode, MeshService, ZeroTrustFalcoRules, ZeroTrustNamespace } from '../../src';

// ZeroTrustFalcoRules (src/runtime/zero-trust-falco-rules.ts), continued from zero-trust-falco-rules.test.ts: what the
// rules derive from the app's synthesized pods and egress NetworkPolicies, asserted exactly (issue 18, mutation testing).

function rulesOf(rules: ZeroTrustFalcoRules): any[] {
  return yaml.parse(rules.renderRulesFile());
}
const item = (items: any[], key: string, name: string) => items.find(i => i[key] === name);

describe('ZeroTrustFalcoRules: readers and exits derived from the synthesized objects', () => {
  /** Zero-trust namespaces `ns` (sidecar) and `amb` (ambient) with one MeshService `svc` (8080) in `ns`. */
  function small() {
    const a = Testing.app();
    const chart = new Chart(a, 'app');
    const ns = new ZeroTrustNamespace(chart, 'ns', { meshMode: MeshMode.SIDECAR });
    new ZeroTrustNamespace(chart, 'amb', { meshMode: MeshMode.AMBIENT });
    const svc = new MeshService(chart, 'svc', { namespace: ns, image: 'r/svc:1', port: 8080 });
    return { a, chart, ns, runtime: new Chart(a, 'runtime'), svc };
  }
  const workload = (chart: Chart, id: string, kind: string, metadata: any, template: any) => new ApiObject(chart, id, {
    apiVersion: kind === 'Pod' ? 'v1' : 'apps/v1', kind, metadata: { name: id, ...metadata }, ...(kind === 'Pod' ? { spec: template.spec } : { spec: { template } }),
  });
  const readers = (rules: ZeroTrustFalcoRules) => item(rulesOf(rules), 'macro', 'zt_token_reader').condition;

  test('token readers of pods: automount (init containers too), projected token mounts only, bare Pods by name; Vault agents only where annotated "true"', () => {
    const { chart, runtime } = small();
    workload(chart, 'auto', 'Deployment', { namespace: 'amb' }, {
      metadata: { labels: { z: '1', a: '2' } },
      spec: { automountServiceAccountToken: true, initContainers: [{ name: 'init' }], containers: [{ name: 'main' }] },
    });
    workload(chart, 'bare', 'Pod', { namespace: 'ns' }, {
      spec: {
        containers: [{ name: 'main', volumeMounts: [{ name: 'cfg' }] }, { name: 'reader', volumeMounts: [{ name: 'cfg' }, { name: 'tok' }] }],
        volumes: [
          { name: 'cfg', projected: { sources: [{ configMap: { name: 'x' } }] } },
          { name: 'tok', projected: { sources: [{ configMap: { name: 'y' } }, { serviceAccountToken: { path: 't' } }] } },
          { name: 'empty', emptyDir: {} },
          { name: 'no-sources', projected: {} },
        ],
      },
    });
    workload(chart, 'unlabelled', 'Deployment', { namespace: 'ns' }, { spec: { automountServiceAccountToken: true, containers: [{ name: 'main' }] } });
    workload(chart, 'no-containers', 'Deployment', { namespace: 'ns' }, { metadata: { labels: { app: 'none' } }, spec: { automountServiceAccountToken: true } });
    workload(chart, 'not-auto', 'Deployment', { namespace: 'ns' }, { metadata: { labels: { app: 'x' } }, spec: { automountServiceAccountToken: 'true', containers: [{ name: 'main' }] } });
    workload(chart, 'vault-false', 'Deployment', { namespace: 'ns' }, { metadata: { labels: { app: 'v' }, annotations: { 'vault.hashicorp.com/agent-inject': 'false' } }, spec: { containers: [{ name: 'main' }] } });
    workload(chart, 'vault-elsewhere', 'Deployment', { namespace: 'other' }, { metadata: { labels: { app: 'v' }, annotations: { 'vault.hashicorp.com/agent-inject': 'true' } }, spec: { containers: [{ name: 'main' }] } });
    const rules = new ZeroTrustFalcoRules(runtime, 'falco');
    expect(readers(rules)).toBe('(container.name in (zt_token_reader_containers)'
      + ' or (k8s.ns.name in (ns) and container.name = istio-proxy)'
      + ' or (k8s.ns.name="amb" and k8s.pod.label[a]="2" and k8s.pod.label[z]="1" and container.name in ("init", "main"))'
      + ' or (k8s.ns.name="ns" and k8s.pod.name="bare" and container.name in ("reader"))'
      + ' or (k8s.ns.name="ns" and container.name in ("main")))');
    // a Vault agent outside the zero-trust namespaces or not injected ("false") is no infrastructure
    expect(item(rulesOf(rules), 'list', 'zt_infrastructure_containers').items).toEqual(['istio-proxy']);
  });

  test('an object without a namespace runs in "default", a zero-trust namespace here', () => {
    const a = Testing.app();
    const chart = new Chart(a, 'app');
    new ZeroTrustNamespace(chart, 'default', { meshMode: MeshMode.AMBIENT });
    new ApiObject(chart, 'bare', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bare' }, spec: { automountServiceAccountToken: true, containers: [{ name: 'main' }] } });
    expect(readers(new ZeroTrustFalcoRules(new Chart(a, 'runtime'), 'falco')))
      .toBe('(container.name in (zt_token_reader_containers) or (k8s.ns.name="default" and k8s.pod.name="bare" and container.name in ("main")))');
  });

  test('two pods with the same selector and readers give one clause', () => {
    const { chart, runtime } = small();
    for (const id of ['one', 'two']) {
      workload(chart, id, 'Deployment', { namespace: 'amb' }, { metadata: { labels: { app: 'same' } }, spec: { automountServiceAccountToken: true, containers: [{ name: 'main' }] } });
    }
    expect(readers(new ZeroTrustFalcoRules(runtime, 'falco')))
      .toBe('(container.name in (zt_token_reader_containers) or (k8s.ns.name in (ns) and container.name = istio-proxy) or (k8s.ns.name="amb" and k8s.pod.label[app]="same" and container.name in ("main")))');
  });

  test.each([
    ['a pod label value', { labels: { app: 'a"b' } }, 'pod labels "a\\"b": cannot be written into a Falco condition as one string: it contains a double quote or a backslash'],
    ['a pod label key', { labels: { 'a]b': 'x' } }, 'pod labels "a]b": cannot be written into a Falco condition as a pod label key; use a Kubernetes label key'],
  ])('%s that cannot be written into a condition is refused with the clear error', (_, metadata, message) => {
    const { chart, runtime } = small();
    workload(chart, 'hostile', 'Deployment', { namespace: 'ns' }, { metadata, spec: { automountServiceAccountToken: true, containers: [{ name: 'main' }] } });
    const rules = new ZeroTrustFalcoRules(runtime, 'falco');
    expect(() => rules.renderRulesFile()).toThrow(`[runtime/falco] invalid ${message}`);
  });

  test('a zero-trust namespace without workloads: its pods may connect to DNS only', () => {
    const a = Testing.app();
    new ZeroTrustNamespace(new Chart(a, 'app'), 'empty');
    const items = rulesOf(new ZeroTrustFalcoRules(new Chart(a, 'runtime'), 'falco'));
    expect(item(items, 'macro', 'zt_graph_workload')).toBeUndefined();
    expect(item(items, 'rule', 'Zero trust: unexpected outbound connection').condition).toBe('zt_connect and zt_app_container and ((not fd.sport in (zt_dns_ports)))');
  });

  const policy = (chart: Chart, name: string, spec: any, namespace = 'ns') => new ApiObject(chart, name, {
    apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace }, spec,
  });
  const egress = (podSelector: any, ports?: any[]) => ({ podSelector, policyTypes: ['Egress'], egress: [ports ? { ports } : {}] });
  const allowed = (runtime: Chart) => item(rulesOf(new ZeroTrustFalcoRules(runtime, 'falco')), 'list', 'zt_allowed_ports_2_ns_svc')?.items;

  test('an egress policy opens its ports to exactly the workloads its pod selector selects (Kubernetes selector semantics)', () => {
    const { chart, runtime } = small();
    const cases: [string, any, boolean][] = [
      ['matchLabels selecting it', { matchLabels: { 'app.kubernetes.io/name': 'svc' } }, true],
      ['matchLabels of another pod', { matchLabels: { 'app.kubernetes.io/name': 'other' } }, false],
      ['matchLabels with an extra label', { matchLabels: { 'app.kubernetes.io/name': 'svc', 'tier': 'x' } }, false],
      ['In', { matchExpressions: [{ key: 'app.kubernetes.io/name', operator: 'In', values: ['x', 'svc'] }] }, true],
      ['In other values', { matchExpressions: [{ key: 'app.kubernetes.io/name', operator: 'In', values: ['x'] }] }, false],
      ['In without values', { matchExpressions: [{ key: 'app.kubernetes.io/name', operator: 'In' }] }, false],
      ['In on a missing key', { matchExpressions: [{ key: 'tier', operator: 'In', values: ['svc'] }] }, false],
      ['NotIn other values', { matchExpressions: [{ key: 'app.kubernetes.io/name', operator: 'NotIn', values: ['x'] }] }, true],
      ['NotIn without values', { matchExpressions: [{ key: 'app.kubernetes.io/name', operator: 'NotIn' }] }, true],
      ['NotIn its value', { matchExpressions: [{ key: 'app.kubernetes.io/name', operator: 'NotIn', values: ['svc'] }] }, false],
      ['NotIn on a missing key', { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['svc'] }] }, true],
      ['Exists', { matchExpressions: [{ key: 'app.kubernetes.io/name', operator: 'Exists' }] }, true],
      ['Exists on a missing key', { matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, false],
      ['DoesNotExist on a missing key', { matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }, true],
      ['DoesNotExist', { matchExpressions: [{ key: 'app.kubernetes.io/name', operator: 'DoesNotExist' }] }, false],
      ['an unknown operator', { matchExpressions: [{ key: 'app.kubernetes.io/name', operator: 'Gt', values: ['1'] }] }, false],
      ['both matchLabels and matchExpressions, one failing', { matchLabels: { 'app.kubernetes.io/name': 'svc' }, matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, false],
      ['the empty selector (every pod)', {}, true],
    ];
    // each policy opens its own port (20000 + its index)
    cases.forEach(([, podSelector], i) => policy(chart, `exit-${i}`, egress(podSelector, [{ port: 20000 + i }])));
    const opened = allowed(runtime).filter((p: number) => p >= 20000).map((p: number) => cases[p - 20000][0]);
    expect(opened).toEqual(cases.filter(([, , selects]) => selects).map(([name]) => name));
  });

  test('egress policies: without podSelector every pod; other namespaces and ingress-only policies do not count', () => {
    const { chart, runtime } = small();
    policy(chart, 'no-selector', { policyTypes: ['Egress'], egress: [{ ports: [{ port: 1000 }] }] });
    policy(chart, 'other-ns', egress({}, [{ port: 2000 }]), 'amb');
    policy(chart, 'ingress', { podSelector: {}, policyTypes: ['Ingress'], egress: [{ ports: [{ port: 3000 }] }] });
    policy(chart, 'no-rules', { podSelector: {}, policyTypes: ['Egress'] });
    policy(chart, 'second', egress({}, [{ port: 4000, protocol: 'UDP' }]));
    expect(allowed(runtime)).toEqual([53, 1000, 4000, 15012]);
  });

  test('port ranges up to 64 above the first port are listed; a wider range, a named port, a rule without ports or with an empty list allow every port', () => {
    const { chart, ns, runtime } = small();
    const cases: [string, any, number[] | undefined][] = [
      ['range65', { ports: [{ port: 100, endPort: 164 }] }, [53, ...Array.from({ length: 65 }, (_, i) => 100 + i), 15012]],
      ['range1', { ports: [{ port: 100, endPort: 100 }] }, [53, 100, 15012]],
      ['range66', { ports: [{ port: 100, endPort: 165 }] }, undefined],
      ['named', { ports: [{ port: 'redis' }] }, undefined],
      ['protocol', { ports: [{ protocol: 'TCP' }] }, undefined],
      ['empty', { ports: [] }, undefined],
      ['any', {}, undefined],
    ];
    for (const [name, rule] of cases) {
      new MeshService(chart, name, { namespace: ns, image: 'r/x:1', port: 8080 });
      policy(chart, `exit-${name}`, { podSelector: { matchLabels: { 'app.kubernetes.io/name': name } }, policyTypes: ['Egress'], egress: [rule] });
    }
    const items = rulesOf(new ZeroTrustFalcoRules(runtime, 'falco'));
    const outbound = item(items, 'rule', 'Zero trust: unexpected outbound connection').condition;
    for (const [name, , expected] of cases) {
      const id = `2_ns_${name}`;
      expect([name, item(items, 'list', `zt_allowed_ports_${id}`)?.items]).toEqual([name, expected]);
      expect([name, outbound.includes(`(zt_workload_${id} and not fd.sport in (zt_allowed_ports_${id}))`)]).toEqual([name, expected !== undefined]);
      expect(item(items, 'macro', 'zt_graph_workload').condition).toContain(`zt_workload_${id}`);
    }
  });
});

describe('ZeroTrustFalcoRules: egress policies without policyTypes', () => {
  test('without policyTypes (absent or empty) a policy with egress rules restricts egress, as the API server defaults it; Ingress-only policies do not count', () => {
    const a = Testing.app();
    const chart = new Chart(a, 'app');
    const ns = new ZeroTrustNamespace(chart, 'ns');
    const cases: [string, any, number[]][] = [
      ['absent', { egress: [{ ports: [{ port: 6379 }] }] }, [53, 6379, 15012]],
      ['empty', { policyTypes: [], egress: [{ ports: [{ port: 6379 }] }] }, [53, 6379, 15012]],
      ['empty-egress', { egress: [] }, [53, 15012]],
      ['no-egress', {}, [53, 15012]],
      ['ingress', { policyTypes: ['Ingress'], egress: [{}] }, [53, 15012]],
      ['both', { policyTypes: ['Ingress', 'Egress'], egress: [{ ports: [{ port: 6379 }] }] }, [53, 6379, 15012]],
    ];
    for (const [name, spec] of cases) {
      new MeshService(chart, name, { namespace: ns, image: 'r/x:1', port: 8080 });
      new ApiObject(chart, `exit-${name}`, {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: `exit-${name}`, namespace: 'ns' },
        spec: { podSelector: { matchLabels: { 'app.kubernetes.io/name': name } }, ...spec },
      });
    }
    const items = rulesOf(new ZeroTrustFalcoRules(new Chart(a, 'runtime'), 'falco'));
    expect(cases.map(([name]) => [name, item(items, 'list', `zt_allowed_ports_2_ns_${name.replace(/-/g, '_')}`)?.items])).toEqual(cases.map(([name, , e]) => [name, e]));
  });
});

describe('ZeroTrustFalcoRules: egress policies select a workload by the labels its pods carry', () => {
  /** An adopted Deployment `legacy` (selector app=legacy, pods also tier=backend) and an external workload `ext` (app=ext) in `ns`. */
  function adopted() {
    const a = Testing.app();
    const chart = new Chart(a, 'app');
    const namespace = new ZeroTrustNamespace(chart, 'ns');
    const workload = new ApiObject(chart, 'legacy', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'legacy', namespace: 'ns' },
      spec: {
        selector: { matchLabels: { app: 'legacy' } },
        template: { metadata: { labels: { app: 'legacy', tier: 'backend' } }, spec: { serviceAccountName: 'legacy', containers: [{ name: 'app', image: 'r/legacy:1', ports: [{ containerPort: 8080 }] }] } },
      },
    });
    new AdoptedWorkload(chart, 'adopted', { workload, namespace });
    new ExternalWorkload(chart, 'ext', { namespace: 'ns', podSelector: { app: 'ext' }, serviceAccountName: 'ext' });
    return { a, chart };
  }
  const policy = (chart: Chart, name: string, podSelector: any, port: number) => new ApiObject(chart, name, {
    apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace: 'ns' }, spec: { podSelector, policyTypes: ['Egress'], egress: [{ ports: [{ port }] }] },
  });

  test('a pod template label outside the selector counts (and one its pods carry is not missing); an external workload is known by its selector', () => {
    const { a, chart } = adopted();
    policy(chart, 'by-tier', { matchLabels: { tier: 'backend' } }, 6379);
    policy(chart, 'without-tier', { matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }, 7000);
    const items = rulesOf(new ZeroTrustFalcoRules(new Chart(a, 'runtime'), 'falco'));
    expect(item(items, 'list', 'zt_allowed_ports_2_ns_legacy').items).toEqual([53, 6379, 15012]);
    expect(item(items, 'list', 'zt_allowed_ports_2_ns_ext').items).toEqual([53, 7000, 15012]);
    expect(item(items, 'macro', 'zt_workload_2_ns_legacy').condition).toBe('(k8s.ns.name=ns and k8s.pod.label[app]="legacy")');
  });
});

describe('ZeroTrustFalcoRules: allowed ports of calls and declared exits; hostile names in synthesized pods', () => {
  function small() {
    const a = Testing.app();
    const chart = new Chart(a, 'app');
    const ns = new ZeroTrustNamespace(chart, 'ns');
    const svc = new MeshService(chart, 'svc', { namespace: ns, image: 'r/svc:1', port: 8080 });
    return { a, chart, ns, svc, runtime: new Chart(a, 'runtime') };
  }

  test('a call to some ports of a callee allows those (container and Service port), not its others; a declared exit allows its port', () => {
    const { chart, ns, svc, runtime } = small();
    const multi = new MeshService(chart, 'multi', { namespace: ns, image: 'r/multi:1', ports: [{ port: 9000, servicePort: 90 }, { port: 9100, servicePort: 91 }, { port: 9200 }] });
    multi.allowFrom(svc, { ports: [9100, 9200] });
    svc.allowEgressTo('api.example.com', { port: 8443 });
    const items = rulesOf(new ZeroTrustFalcoRules(runtime, 'falco'));
    expect(item(items, 'list', 'zt_allowed_ports_2_ns_svc').items).toEqual([53, 91, 8443, 9100, 9200, 15012]);
  });

  test('a declared exit Cilium enforces by name (toFQDNs, no NetworkPolicy for it) allows its port too', () => {
    const { chart, svc, runtime } = small();
    svc.allowEgressTo('api.example.com', { port: 8443 });
    new CiliumWorkloadPolicy(chart, 'svc-cilium', { workload: svc });
    const items = rulesOf(new ZeroTrustFalcoRules(runtime, 'falco'));
    expect(item(items, 'list', 'zt_allowed_ports_2_ns_svc').items).toEqual([53, 8443, 15012]);
  });

  test('other objects with egress-like specs are not NetworkPolicies; a NetworkPolicy without spec restricts nothing', () => {
    const { chart, runtime } = small();
    new ApiObject(chart, 'calico', {
      apiVersion: 'crd.projectcalico.org/v1',
      kind: 'GlobalNetworkPolicy',
      metadata: { name: 'calico', namespace: 'ns' },
      spec: { podSelector: {}, policyTypes: ['Egress'], egress: [{ ports: [{ port: 6379 }] }] },
    });
    new ApiObject(chart, 'bare', { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'bare', namespace: 'ns' } });
    const items = rulesOf(new ZeroTrustFalcoRules(runtime, 'falco'));
    expect(item(items, 'list', 'zt_allowed_ports_2_ns_svc').items).toEqual([53, 15012]);
  });

  test.each([
    ['a bare Pod\'s name', { kind: 'Pod', name: 'a"b', container: 'main' }, 'pod name "a\\"b": cannot be written into a Falco condition as one string: it contains a double quote or a backslash'],
    ['a container name', { kind: 'Deployment', name: 'x', container: 'a\\b' }, 'pod containers "a\\\\b": cannot be written into a Falco condition as one string: it contains a double quote or a backslash'],
  ])('%s that cannot be written into a condition is refused with the clear error', (_, o, message) => {
    const { chart, runtime } = small();
    const spec = { automountServiceAccountToken: true, containers: [{ name: o.container }] };
    new ApiObject(chart, 'hostile', {
      apiVersion: o.kind === 'Pod' ? 'v1' : 'apps/v1', kind: o.kind, metadata: { name: o.name, namespace: 'ns' }, spec: o.kind === 'Pod' ? spec : { template: { metadata: { labels: { app: 'x' } }, spec } },
    });
    const rules = new ZeroTrustFalcoRules(runtime, 'falco');
    expect(() => rules.renderRulesFile()).toThrow(`[runtime/falco] invalid ${message}`);
  });
});

describe('ZeroTrustFalcoRules: adopted workloads that cannot be selected', () => {
  test.each([
    ['without pod template labels', { template: { spec: { serviceAccountName: 'legacy', containers: [{ name: 'app', image: 'r/l:1' }] } } }, 'invalid workload.podTemplate.labels {}: must label the pods'],
    ['without a pod template', {}, 'invalid workload "legacy": has no pod template with containers (spec.template)'],
  ])('an adopted Deployment %s gets the adoption\'s clear error', (_, spec, message) => {
    const a = Testing.app();
    const chart = new Chart(a, 'app');
    const namespace = new ZeroTrustNamespace(chart, 'ns');
    const workload = new ApiObject(chart, 'legacy', {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'legacy', namespace: 'ns' }, spec: { selector: { matchLabels: { app: 'legacy' } }, ...spec },
    });
    new AdoptedWorkload(chart, 'adopted', { workload, namespace });
    const rules = new ZeroTrustFalcoRules(new Chart(a, 'runtime'), 'falco');
    expect(() => rules.renderRulesFile()).toThrow(`[app/adopted] ${message}`);
  });
});
