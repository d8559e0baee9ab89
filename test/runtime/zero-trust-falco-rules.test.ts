import { ApiObject, Chart, Testing } from 'cdk8s';
import * as yaml from 'yaml';
import { falcoSchemaErrors } from './_falco';
import {
  AppProtocol, ExternalWorkload, FalcoBaseRuleset, FalcoDriver, IntentGraph, MeshMode, MeshService, Privilege, ZeroTrustFalcoRules,
  ZeroTrustNamespace,
} from '../../src';
import { parseCondition } from '../../src/runtime/_falco-condition';
import { STABLE_RULESET } from '../../src/runtime/_stable-ruleset';
import { find, synthValid } from '../support/synth';

/** web/frontend -> production/api (8080, Service port 80) -> data/db (5432). */
function app(meshMode = MeshMode.SIDECAR) {
  const a = Testing.app();
  const chart = new Chart(a, 'app');
  const web = new ZeroTrustNamespace(chart, 'web', { meshMode });
  const production = new ZeroTrustNamespace(chart, 'production', { meshMode });
  const data = new ZeroTrustNamespace(chart, 'data', { meshMode });
  const frontend = new MeshService(chart, 'frontend', { namespace: web, image: 'r/frontend:1', port: 8080 });
  const api = new MeshService(chart, 'api', { namespace: production, image: 'r/api:1', ports: [{ port: 8080, servicePort: 80 }] });
  const db = new MeshService(chart, 'db', { namespace: data, image: 'r/db:1', port: 5432, protocol: AppProtocol.TCP, replicas: 1 });
  api.allowFrom(frontend);
  db.allowFrom(api);
  const runtime = new Chart(a, 'runtime');
  return { a, chart, runtime, frontend, api, db };
}

function rulesOf(rules: ZeroTrustFalcoRules): any[] {
  return yaml.parse(rules.renderRulesFile());
}
const item = (items: any[], key: string, name: string) => items.find(i => i[key] === name);

describe('ZeroTrustFalcoRules', () => {
  test('derives the rules from the intent graph; Falco\'s schema accepts them and they reference only defined names', () => {
    // GIVEN
    const { runtime } = app();
    const rules = new ZeroTrustFalcoRules(runtime, 'falco');

    // WHEN
    const manifests = synthValid(runtime);
    const items = rulesOf(rules);

    // THEN
    expect(manifests).toMatchSnapshot();
    expect(falcoSchemaErrors(find(manifests, 'ConfigMap', 'falco-rules', 'falco').data['zero-trust-rules.yaml'])).toEqual([]);
    expect(items.filter(i => i.rule).map(i => [i.rule, i.priority])).toEqual([
      ['Zero trust: privileged container started', 'CRITICAL'],
      ['Zero trust: unauthorized ServiceAccount token read', 'CRITICAL'],
      ['Zero trust: unexpected outbound connection', 'CRITICAL'],
      ['Zero trust: shell in container', 'WARNING'],
      ['Zero trust: network tool in container', 'WARNING'],
      ['Zero trust: package manager in container', 'WARNING'],
    ]);
    expect(items.filter(i => i.rule).every(i => i.tags.includes('zero_trust'))).toBe(true);
    // only stable or own names: no container_started, and the RFC1918-blind `outbound` is never used
    const own = new Set(items.filter(i => i.macro).map(i => i.macro));
    const used = items.filter(i => i.condition).flatMap(i => parseCondition(i.condition).macros);
    expect(used.filter(m => !own.has(m) && !STABLE_RULESET.macros.includes(m)).sort()).toEqual([]);
    expect(used).not.toContain('container_started');
    expect(used).not.toContain('outbound');
    expect(items[1]).toEqual({ required_plugin_versions: [{ name: 'container', version: '0.4.0' }] });
  });

  test('outbound: each workload may reach its callees\' container and Service ports and DNS only, pod-to-pod included', () => {
    const { runtime, frontend } = app();
    const rules = new ZeroTrustFalcoRules(runtime, 'falco');
    rules.allowOutbound(frontend, [443]);
    const items = rulesOf(rules);
    // 53 and 15012: the namespace's allow-dns and allow-istiod egress policies; 80 the api Service port
    expect(item(items, 'list', 'zt_allowed_ports_3_web_frontend').items).toEqual([53, 80, 443, 8080, 15012]);
    expect(item(items, 'list', 'zt_allowed_ports_10_production_api').items).toEqual([53, 5432, 15012]);
    expect(item(items, 'list', 'zt_allowed_ports_4_data_db').items).toEqual([53, 15012]);
    expect(item(items, 'macro', 'zt_workload_10_production_api').condition).toBe('(k8s.ns.name=production and k8s.pod.label[app.kubernetes.io/name]="api")');
    const connect = item(items, 'macro', 'zt_connect').condition;
    expect(connect).toContain('evt.type = connect');
    expect(connect).not.toContain('rfc_1918_addresses');
    const outbound = item(items, 'rule', 'Zero trust: unexpected outbound connection').condition;
    expect(outbound).toContain('(zt_workload_3_web_frontend and not fd.sport in (zt_allowed_ports_3_web_frontend))');
    expect(outbound).toContain('(not zt_graph_workload and not fd.sport in (zt_dns_ports))');
    expect(outbound).toMatch(/^zt_connect and zt_app_container and /);
  });

  test('outbound: exits opened by other layers\' egress NetworkPolicies are allowed; an any-port exit disables the check', () => {
    const { chart, runtime } = app();
    const egress = (name: string, namespace: string, podSelector: any, egressRules: any[]) => new ApiObject(chart, name, {
      apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace }, spec: { podSelector, policyTypes: ['Egress'], egress: egressRules },
    });
    egress('api-exit', 'production', { matchLabels: { 'app.kubernetes.io/name': 'api' } }, [{ to: [{ ipBlock: { cidr: '203.0.113.0/24' } }], ports: [{ protocol: 'TCP', port: 443 }, { protocol: 'TCP', port: 8000, endPort: 8002 }] }]);
    egress('db-anything', 'data', { matchExpressions: [{ key: 'app.kubernetes.io/name', operator: 'In', values: ['db'] }] }, [{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }] }]);
    egress('other-pods', 'production', { matchLabels: { 'app.kubernetes.io/name': 'other' } }, [{ ports: [{ protocol: 'TCP', port: 9999 }] }]);
    const items = rulesOf(new ZeroTrustFalcoRules(runtime, 'falco'));
    expect(item(items, 'list', 'zt_allowed_ports_10_production_api').items).toEqual([53, 443, 5432, 8000, 8001, 8002, 15012]);
    expect(item(items, 'list', 'zt_allowed_ports_4_data_db')).toBeUndefined();
    const outbound = item(items, 'rule', 'Zero trust: unexpected outbound connection').condition;
    expect(outbound).not.toContain('zt_workload_4_data_db and');
    expect(item(items, 'macro', 'zt_graph_workload').condition).toContain('zt_workload_4_data_db');
    expect(falcoSchemaErrors(yaml.stringify(items))).toEqual([]);
  });

  test('token readers: istio-proxy in sidecar namespaces, Vault agents and token-mounting pods where deployed, each keyed on namespace + pod labels + container', () => {
    const { chart, runtime } = app();
    // a pod with the Vault agent injected, and one that mounts a token on purpose
    new ApiObject(chart, 'vaulted', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'vaulted', namespace: 'production' },
      spec: { template: { metadata: { labels: { app: 'vaulted' }, annotations: { 'vault.hashicorp.com/agent-inject': 'true' } }, spec: { containers: [{ name: 'app' }] } } },
    });
    new ApiObject(chart, 'operator', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'operator', namespace: 'production' },
      spec: { template: { metadata: { labels: { app: 'operator', tier: 'control' } }, spec: { automountServiceAccountToken: true, containers: [{ name: 'operator' }, { name: 'app' }] } } },
    });
    // a projected token mounted into one container only: only that container reads it
    new ApiObject(chart, 'projected', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'projected', namespace: 'web' },
      spec: {
        template: {
          metadata: { labels: { app: 'projected' } },
          spec: {
            containers: [{ name: 'app' }, { name: 'uploader', volumeMounts: [{ name: 'aws-token', mountPath: '/var/run/secrets/tokens' }] }],
            volumes: [{ name: 'aws-token', projected: { sources: [{ serviceAccountToken: { audience: 'sts.amazonaws.com', path: 'token' } }] } }],
          },
        },
      },
    });
    // outside the zero-trust namespaces nothing is derived
    new ApiObject(chart, 'other', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'other', namespace: 'kube-system' },
      spec: { template: { spec: { automountServiceAccountToken: true, containers: [{ name: 'controller' }] } } },
    });
    const rules = new ZeroTrustFalcoRules(runtime, 'falco', { tokenReaders: ['spire-agent'] });
    rules.allowTokenReader('spire-agent');
    const items = rulesOf(rules);
    // by name only what the user names explicitly
    expect(item(items, 'list', 'zt_token_reader_containers').items).toEqual(['spire-agent']);
    // the derived readers: where they run, never a container name alone (the operator pod's `app`
    // container may read its token, every other `app` container may not)
    expect(item(items, 'macro', 'zt_token_reader').condition).toBe('(container.name in (zt_token_reader_containers)'
      + ' or (k8s.ns.name in (data, production, web) and container.name = istio-proxy)'
      + ' or (k8s.ns.name="production" and k8s.pod.label[app]="vaulted" and container.name in ("vault-agent", "vault-agent-init"))'
      + ' or (k8s.ns.name="production" and k8s.pod.label[app]="operator" and k8s.pod.label[tier]="control" and container.name in ("app", "operator"))'
      + ' or (k8s.ns.name="web" and k8s.pod.label[app]="projected" and container.name in ("uploader")))');
    expect(item(items, 'list', 'zt_infrastructure_containers').items).toEqual(['istio-proxy', 'vault-agent', 'vault-agent-init']);
    expect(item(items, 'list', 'zt_namespaces').items).toEqual(['data', 'production', 'web']);
    expect(item(items, 'rule', 'Zero trust: unauthorized ServiceAccount token read').condition)
      .toBe('open_read and container and zt_namespace and zt_token_file and not zt_token_reader');
    expect(item(items, 'macro', 'zt_token_file').condition).toContain('fd.name startswith /var/run/secrets/kubernetes.io/serviceaccount/');
    expect(falcoSchemaErrors(yaml.stringify(items))).toEqual([]);
  });

  test('generated macro names are collision-free: namespace ns + service a-b and ns-a + b', () => {
    const a = Testing.app();
    const chart = new Chart(a, 'app');
    const ns = new ZeroTrustNamespace(chart, 'ns');
    const nsA = new ZeroTrustNamespace(chart, 'ns-a');
    new MeshService(chart, 'a-b', { namespace: ns, image: 'r/x:1', port: 8080 });
    new MeshService(chart, 'b', { namespace: nsA, image: 'r/x:1', port: 8080 });
    new MeshService(chart, 'x-y-z', { namespace: new ZeroTrustNamespace(chart, 'ns-b-c'), image: 'r/x:1', port: 8080 });
    const items = rulesOf(new ZeroTrustFalcoRules(new Chart(a, 'runtime'), 'falco'));
    const macros = items.filter(i => i.macro?.startsWith('zt_workload_'));
    expect(macros.map(m => [m.macro, m.condition]).sort()).toEqual([
      ['zt_workload_2_ns_a_b', '(k8s.ns.name=ns and k8s.pod.label[app.kubernetes.io/name]="a-b")'],
      ['zt_workload_4_ns_a_b', '(k8s.ns.name=ns-a and k8s.pod.label[app.kubernetes.io/name]="b")'],
      ['zt_workload_6_ns_b_c_x_y_z', '(k8s.ns.name=ns-b-c and k8s.pod.label[app.kubernetes.io/name]="x-y-z")'],
    ]);
  });

  test('ambient namespaces have no sidecar to allow', () => {
    const { runtime } = app(MeshMode.AMBIENT);
    const items = rulesOf(new ZeroTrustFalcoRules(runtime, 'falco'));
    expect(item(items, 'list', 'zt_token_reader_containers').items).toEqual([]);
    expect(item(items, 'macro', 'zt_token_reader').condition).toBe('(container.name in (zt_token_reader_containers))');
    expect(falcoSchemaErrors(yaml.stringify(items))).toEqual([]);
  });

  test('privileged containers: all but exactly the declared privileged workloads', () => {
    const { runtime } = app();
    const rules = new ZeroTrustFalcoRules(runtime, 'falco');
    IntentGraph.of(runtime).declarePrivilegedWorkload(runtime, {
      namespace: 'spire-system',
      kind: 'DaemonSet',
      name: 'spire-agent',
      podLabels: { app: 'spire-agent' },
      privileges: [Privilege.HOST_PID],
      reason: 'attests workloads through the node\'s process table',
    });
    IntentGraph.of(runtime).declarePrivilegedWorkload(runtime, {
      namespace: 'kube-system',
      kind: 'DaemonSet',
      name: 'csi-node',
      podLabels: { 'app.kubernetes.io/name': 'csi-node' },
      privileges: [Privilege.PRIVILEGED_CONTAINER],
      reason: 'mounts volumes into pods on the node',
    });
    const items = rulesOf(rules);
    const rule = item(items, 'rule', 'Zero trust: privileged container started');
    expect(rule.condition).toBe('spawned_process and container and container_entrypoint and container.privileged=true and not zt_declared_privileged_workloads');
    expect(rule.exceptions).toBeUndefined();
    // exactly the workloads declared privileged, selected like the admission exemptions (the SPIRE agent only shares the host PID namespace)
    // and, for Falco (declared per container), exactly its privileged containers
    const falco = 'k8s.ns.name=falco and k8s.pod.label[app.kubernetes.io/instance]="falco" and k8s.pod.label[app.kubernetes.io/name]="falco"';
    expect(item(items, 'macro', 'zt_declared_privileged_workloads').condition).toBe(`((${falco} and container.name in ("falco-driver-loader")) or (${falco} and container.name in ("falco")) `
      + 'or (k8s.ns.name=kube-system and k8s.pod.label[app.kubernetes.io/name]="csi-node"))');
  });

  test('without zero-trust namespaces only the cluster-wide privileged rule is emitted', () => {
    const chart = Testing.chart();
    const items = rulesOf(new ZeroTrustFalcoRules(chart, 'falco'));
    expect(items.filter(i => i.rule || i.macro || i.list).map(i => i.rule ?? i.macro ?? i.list))
      .toEqual(['zt_declared_privileged_workloads', 'Zero trust: privileged container started']);
  });

  test('loads against an extended base ruleset too', () => {
    const { runtime } = app();
    const rules = new ZeroTrustFalcoRules(runtime, 'falco', { baseRuleset: FalcoBaseRuleset.STABLE.extend({ name: 'stable + incubating', macros: ['container_started'] }) });
    expect(rulesOf(rules).filter(i => i.rule)).toHaveLength(6);
  });

  describe('errors', () => {
    test('throws on a bad token reader or infrastructure container', () => {
      const { runtime } = app();
      expect(() => new ZeroTrustFalcoRules(runtime, 'a', { tokenReaders: ['Vault Agent'] }))
        .toThrow(/^\[runtime\/a\] invalid tokenReaders "Vault Agent": must be a container name \(a DNS-1123 label\)$/);
      expect(() => new ZeroTrustFalcoRules(runtime, 'b', { fileName: 'b.yaml', infrastructureContainers: ['-x'] }))
        .toThrow(/^\[runtime\/b\] invalid infrastructureContainers "-x"/);
    });

    test('throws on bad network tools and outbound ports', () => {
      const { runtime, frontend } = app();
      expect(() => new ZeroTrustFalcoRules(runtime, 'a', { networkTools: ['a very long tool name'] }))
        .toThrow(/^\[runtime\/a\] invalid networkTools \["a very long tool name"\]: must be non-empty process names/);
      const rules = new ZeroTrustFalcoRules(runtime, 'b', { fileName: 'b.yaml' });
      expect(() => rules.allowOutbound(frontend, [])).toThrow(/^\[runtime\/b\] invalid allowOutbound\.ports \[\]: must list at least one port$/);
      expect(() => rules.allowOutbound(frontend, [70000])).toThrow(/^\[runtime\/b\] invalid allowOutbound\.ports 70000: must be an integer between 1 and 65535$/);
    });
  });
});

// Mutation testing (issue 18): explicit assertions on what Falco loads and users rely on.
describe('ZeroTrustFalcoRules: exact rules, macros and lists', () => {
  const TAGS = ['zero_trust', 'maturity_stable', 'container'];
  const OUTPUT_TAIL = 'container=%container.name namespace=%k8s.ns.name pod=%k8s.pod.name';

  test('every rule: exact condition, output, priority, tags and description', () => {
    const items = rulesOf(new ZeroTrustFalcoRules(app().runtime, 'falco'));
    expect(items.filter(i => i.rule)).toEqual([
      {
        rule: 'Zero trust: privileged container started',
        desc: 'A container started with privileged: true (full access to the node). Only the workloads declared with IntentGraph.declarePrivilegedWorkload() may do this.',
        condition: 'spawned_process and container and container_entrypoint and container.privileged=true and not zt_declared_privileged_workloads',
        output: 'Privileged container started | container=%container.name image=%container.image.repository namespace=%k8s.ns.name pod=%k8s.pod.name process=%proc.name command=%proc.cmdline',
        priority: 'CRITICAL',
        tags: [...TAGS, 'mitre_privilege_escalation', 'T1611'],
      },
      {
        rule: 'Zero trust: unauthorized ServiceAccount token read',
        desc: 'A process of a zero-trust namespace read a ServiceAccount token although its container is not one that needs it (sidecar proxy, Vault agent, a pod that mounts a token on purpose): stolen tokens are the usual way from a compromised pod to the Kubernetes API.',
        condition: 'open_read and container and zt_namespace and zt_token_file and not zt_token_reader',
        output: 'ServiceAccount token read by a container that is not an allowed reader | file=%fd.name process=%proc.name command=%proc.cmdline '
          + 'container=%container.name image=%container.image.repository namespace=%k8s.ns.name pod=%k8s.pod.name user=%user.name',
        priority: 'CRITICAL',
        tags: [...TAGS, 'filesystem', 'mitre_credential_access', 'T1528'],
      },
      {
        rule: 'Zero trust: unexpected outbound connection',
        desc: 'An application container of a zero-trust namespace connected to a port its intent-graph calls do not allow (the NetworkPolicies should have blocked it: this detects policy gaps and compromised workloads). Unlike the stable outbound macro, zt_connect includes RFC1918 (pod and Service) destinations.',
        condition: 'zt_connect and zt_app_container and ('
          + '(zt_workload_4_data_db and not fd.sport in (zt_allowed_ports_4_data_db))'
          + ' or (zt_workload_10_production_api and not fd.sport in (zt_allowed_ports_10_production_api))'
          + ' or (zt_workload_3_web_frontend and not fd.sport in (zt_allowed_ports_3_web_frontend))'
          + ' or (not zt_graph_workload and not fd.sport in (zt_dns_ports)))',
        output: `Unexpected outbound connection from a zero-trust workload | connection=%fd.name port=%fd.sport process=%proc.name command=%proc.cmdline ${OUTPUT_TAIL}`,
        priority: 'CRITICAL',
        tags: [...TAGS, 'network', 'mitre_command_and_control', 'TA0011'],
      },
      {
        rule: 'Zero trust: shell in container',
        desc: 'A shell ran in an application container of a zero-trust namespace (with or without a terminal): immutable workloads never need one.',
        condition: 'spawned_process and zt_app_container and shell_procs',
        output: `Shell in a zero-trust container | shell=%proc.name command=%proc.cmdline parent=%proc.pname terminal=%proc.tty ${OUTPUT_TAIL} user=%user.name`,
        priority: 'WARNING',
        tags: [...TAGS, 'shell', 'process', 'mitre_execution', 'T1059'],
      },
      {
        rule: 'Zero trust: network tool in container',
        desc: 'A network reconnaissance or tunnelling tool ran in an application container of a zero-trust namespace.',
        condition: 'spawned_process and zt_app_container and proc.name in (zt_network_tools)',
        output: `Network tool in a zero-trust container | process=%proc.name command=%proc.cmdline ${OUTPUT_TAIL}`,
        priority: 'WARNING',
        tags: [...TAGS, 'network', 'process', 'mitre_discovery', 'T1046'],
      },
      {
        rule: 'Zero trust: package manager in container',
        desc: 'A package manager ran in an application container of a zero-trust namespace: containers are immutable, so this is drift or an attacker installing tools.',
        condition: 'spawned_process and zt_app_container and proc.name in (package_mgmt_binaries)',
        output: `Package manager in a zero-trust container | process=%proc.name command=%proc.cmdline ${OUTPUT_TAIL}`,
        priority: 'WARNING',
        tags: [...TAGS, 'process', 'software_mgmt', 'mitre_persistence', 'TA0003'],
      },
    ]);
  });

  test('fixed macros and lists: token files, namespaces, application containers, connect events, DNS and network tools', () => {
    const items = rulesOf(new ZeroTrustFalcoRules(app().runtime, 'falco'));
    const macros = Object.fromEntries(items.filter(i => i.macro).map(i => [i.macro, i.condition]));
    expect(macros).toMatchObject({
      zt_token_file: '(fd.name startswith /var/run/secrets/kubernetes.io/serviceaccount/ or fd.name startswith /run/secrets/kubernetes.io/serviceaccount/'
        + ' or fd.name startswith /var/run/secrets/tokens/ or fd.name startswith /run/secrets/tokens/)',
      zt_namespace: '(k8s.ns.name in (zt_namespaces))',
      zt_app_container: '(container and zt_namespace and not container.name in (zt_infrastructure_containers))',
      zt_connect: '(evt.type = connect and (fd.typechar = 4 or fd.typechar = 6) and fd.ip != "0.0.0.0" and fd.net != "127.0.0.0/8" and (evt.rawres >= 0 or evt.res = EINPROGRESS))',
      zt_graph_workload: '(zt_workload_4_data_db or zt_workload_10_production_api or zt_workload_3_web_frontend)',
      zt_workload_4_data_db: '(k8s.ns.name=data and k8s.pod.label[app.kubernetes.io/name]="db")',
      zt_workload_3_web_frontend: '(k8s.ns.name=web and k8s.pod.label[app.kubernetes.io/name]="frontend")',
    });
    const lists = Object.fromEntries(items.filter(i => i.list).map(i => [i.list, i.items]));
    expect(lists).toEqual({
      zt_namespaces: ['data', 'production', 'web'],
      zt_infrastructure_containers: ['istio-proxy'],
      zt_token_reader_containers: [],
      zt_dns_ports: [53],
      zt_allowed_ports_4_data_db: [53, 15012],
      zt_allowed_ports_10_production_api: [53, 5432, 15012],
      zt_allowed_ports_3_web_frontend: [53, 80, 8080, 15012],
      zt_network_tools: ['nc', 'ncat', 'netcat', 'nmap', 'socat', 'tcpdump', 'telnet', 'tshark'],
    });
  });
});

describe('ZeroTrustFalcoRules: props and methods', () => {
  /** One zero-trust namespace `ns` with one MeshService `svc` (8080). */
  function small() {
    const a = Testing.app();
    const chart = new Chart(a, 'app');
    const ns = new ZeroTrustNamespace(chart, 'ns');
    const svc = new MeshService(chart, 'svc', { namespace: ns, image: 'r/svc:1', port: 8080 });
    return { a, chart, runtime: new Chart(a, 'runtime'), svc };
  }
  const lists = (items: any[]) => Object.fromEntries(items.filter(i => i.list).map(i => [i.list, i.items]));

  test.each([
    [['a'.repeat(15), 'g++', 'python3.1', 'x_y', 'a-b', 'A']],
    [['nc']],
  ])('network tools %j are accepted', tools => {
    expect(() => new ZeroTrustFalcoRules(small().runtime, 'falco', { networkTools: tools })).not.toThrow();
  });

  test.each([
    [[], '[]'],
    [['a'.repeat(16)], `["${'a'.repeat(16)}"]`],
    [[' nc'], '[" nc"]'],
    [['nc '], '["nc "]'],
    [['nc', ''], '["nc",""]'],
    [['nc', 'a/b'], '["nc","a/b"]'],
  ])('network tools %j are refused with the clear error', (tools, shown) => {
    expect(() => new ZeroTrustFalcoRules(small().runtime, 'falco', { networkTools: tools }))
      .toThrow(`[runtime/falco] invalid networkTools ${shown}: must be non-empty process names (Falco's proc.name: at most 15 characters, no spaces)`);
  });

  test('custom network tools are listed sorted and once each', () => {
    const items = rulesOf(new ZeroTrustFalcoRules(small().runtime, 'falco', { networkTools: ['socat', 'nc', 'socat'] }));
    expect(lists(items).zt_network_tools).toEqual(['nc', 'socat']);
  });

  test.each(['a', '0', 'a-b', 'a'.repeat(63)])('container name %s is accepted', name => {
    expect(() => new ZeroTrustFalcoRules(small().runtime, 'falco', { tokenReaders: [name], infrastructureContainers: [name] })).not.toThrow();
  });

  test.each(['a'.repeat(64), 'A', 'a-', '-a', 'a_b', '', 'a b', 'x\na'])('container name %j is refused for tokenReaders, infrastructureContainers and allowTokenReader', name => {
    const { runtime } = small();
    const fix = 'must be a container name (a DNS-1123 label)';
    expect(() => new ZeroTrustFalcoRules(runtime, 'a', { tokenReaders: [name] })).toThrow(`[runtime/a] invalid tokenReaders ${JSON.stringify(name)}: ${fix}`);
    expect(() => new ZeroTrustFalcoRules(runtime, 'b', { fileName: 'b.yaml', infrastructureContainers: [name] }))
      .toThrow(`[runtime/b] invalid infrastructureContainers ${JSON.stringify(name)}: ${fix}`);
    const rules = new ZeroTrustFalcoRules(runtime, 'c', { fileName: 'c.yaml' });
    expect(() => rules.allowTokenReader(name)).toThrow(`[runtime/c] invalid tokenReaders ${JSON.stringify(name)}: ${fix}`);
  });

  test('named token readers and infrastructure containers: allowed by name, sorted, once each; infrastructure is excluded from the application rules', () => {
    const rules = new ZeroTrustFalcoRules(small().runtime, 'falco', { tokenReaders: ['spire-agent', 'b-reader'], infrastructureContainers: ['log-shipper', 'a-proxy'] });
    rules.allowTokenReader('spire-agent');
    rules.allowTokenReader('c-reader');
    rules.allowTokenReader('a-proxy');
    const l = lists(rulesOf(rules));
    expect(l.zt_token_reader_containers).toEqual(['a-proxy', 'b-reader', 'c-reader', 'log-shipper', 'spire-agent']);
    expect(l.zt_infrastructure_containers).toEqual(['a-proxy', 'istio-proxy', 'log-shipper']);
  });

  test('allowOutbound: ports of several calls are merged, deduplicated and sorted numerically', () => {
    const { runtime, svc } = small();
    const rules = new ZeroTrustFalcoRules(runtime, 'falco');
    rules.allowOutbound(svc, [9000, 443]);
    rules.allowOutbound(svc, [10000, 443, 9]);
    expect(lists(rulesOf(rules)).zt_allowed_ports_2_ns_svc).toEqual([9, 53, 443, 9000, 10000, 15012]);
  });

  test.each([
    [[0], '0: must be an integer between 1 and 65535'],
    [[443, 1.5], '1.5: must be an integer between 1 and 65535'],
  ])('allowOutbound refuses ports %j', (ports, message) => {
    const { runtime, svc } = small();
    const rules = new ZeroTrustFalcoRules(runtime, 'falco');
    expect(() => rules.allowOutbound(svc, ports)).toThrow(`[runtime/falco] invalid allowOutbound.ports ${message}`);
  });

  test('without a privileged Falco container (least-privileged modern eBPF) and no declared workload, every privileged container is reported', () => {
    const items = rulesOf(new ZeroTrustFalcoRules(Testing.chart(), 'falco', { driver: FalcoDriver.MODERN_EBPF_LEAST_PRIVILEGED }));
    expect(items.filter(i => i.macro)).toEqual([]);
    expect(item(items, 'rule', 'Zero trust: privileged container started').condition)
      .toBe('spawned_process and container and container_entrypoint and container.privileged=true');
  });

  test('a workload declared with other privileges only (host PID) is not exempt from the privileged rule', () => {
    const chart = Testing.chart();
    const rules = new ZeroTrustFalcoRules(chart, 'falco', { driver: FalcoDriver.MODERN_EBPF_LEAST_PRIVILEGED });
    IntentGraph.of(chart).declarePrivilegedWorkload(chart, {
      namespace: 'spire-system', kind: 'DaemonSet', name: 'spire-agent', podLabels: { app: 'spire-agent' }, privileges: [Privilege.HOST_PID], reason: 'attests workloads',
    });
    IntentGraph.of(chart).declarePrivilegedWorkload(chart, {
      namespace: 'storage',
      kind: 'DaemonSet',
      name: 'csi',
      podLabels: { b: '2', a: '1' },
      containers: ['plugin', 'registrar'],
      privileges: [Privilege.PRIVILEGED_CONTAINER, Privilege.HOST_PID],
      reason: 'mounts volumes',
    });
    expect(item(rulesOf(rules), 'macro', 'zt_declared_privileged_workloads').condition)
      .toBe('((k8s.ns.name=storage and k8s.pod.label[a]="1" and k8s.pod.label[b]="2" and container.name in ("plugin", "registrar")))');
  });
});

describe('ZeroTrustFalcoRules: guards, label order, ambient and external workloads', () => {
  test('props and arguments of the wrong type get the guard\'s error naming this API', () => {
    const { runtime, frontend } = app();
    expect(() => new ZeroTrustFalcoRules(runtime, 'a', { networkTools: 'nc' as any }))
      .toThrow('[runtime/a] invalid networkTools "nc": must be an array of strings or undefined, got string; see ZeroTrustFalcoRulesProps.networkTools in the API reference (API.md)');
    const rules = new ZeroTrustFalcoRules(runtime, 'b', { fileName: 'b.yaml' });
    expect(() => rules.allowTokenReader(42 as any))
      .toThrow('[runtime/b] invalid containerName 42: must be a string, got number; see ZeroTrustFalcoRules.allowTokenReader() containerName in the API reference (API.md)');
    expect(() => rules.allowOutbound(frontend, 443 as any))
      .toThrow('[runtime/b] invalid ports 443: must be an array of numbers, got number; see ZeroTrustFalcoRules.allowOutbound() ports in the API reference (API.md)');
  });

  test('pod labels are compared sorted by key, whatever order they were declared in', () => {
    const chart = Testing.chart();
    const rules = new ZeroTrustFalcoRules(chart, 'falco', { driver: FalcoDriver.MODERN_EBPF_LEAST_PRIVILEGED });
    IntentGraph.of(chart).declarePrivilegedWorkload(chart, {
      namespace: 'storage', kind: 'DaemonSet', name: 'csi', podLabels: { b: '2', c: '3', a: '1' }, privileges: [Privilege.PRIVILEGED_CONTAINER], reason: 'mounts volumes',
    });
    expect(item(rulesOf(rules), 'macro', 'zt_declared_privileged_workloads').condition)
      .toBe('((k8s.ns.name=storage and k8s.pod.label[a]="1" and k8s.pod.label[b]="2" and k8s.pod.label[c]="3"))');
  });

  test('a declared privileged container name that cannot be written into a condition is refused with the clear error', () => {
    const chart = Testing.chart();
    const rules = new ZeroTrustFalcoRules(chart, 'falco', { driver: FalcoDriver.MODERN_EBPF_LEAST_PRIVILEGED });
    IntentGraph.of(chart).declarePrivilegedWorkload(chart, {
      namespace: 'storage', kind: 'DaemonSet', name: 'csi', podLabels: { app: 'csi' }, containers: ['a"b'], privileges: [Privilege.PRIVILEGED_CONTAINER], reason: 'mounts volumes',
    });
    expect(() => rules.renderRulesFile())
      .toThrow('[test/falco] invalid containers "a\\"b": cannot be written into a Falco condition as one string: it contains a double quote or a backslash');
  });

  test('ambient namespaces only: no istio-proxy is infrastructure', () => {
    const items = rulesOf(new ZeroTrustFalcoRules(app(MeshMode.AMBIENT).runtime, 'falco'));
    expect(item(items, 'list', 'zt_infrastructure_containers').items).toEqual([]);
  });

  test('an external workload outside the zero-trust namespaces is not checked for outbound connections', () => {
    const { a, chart } = app();
    new ExternalWorkload(chart, 'gateway', { namespace: 'istio-ingress', podSelector: { istio: 'ingressgateway' }, serviceAccountName: 'istio-ingressgateway' });
    const items = rulesOf(new ZeroTrustFalcoRules(new Chart(a, 'runtime2'), 'falco'));
    expect(items.filter(i => i.macro?.includes('gateway') || i.list?.includes('gateway'))).toEqual([]);
    expect(item(items, 'macro', 'zt_graph_workload').condition).toBe('(zt_workload_4_data_db or zt_workload_10_production_api or zt_workload_3_web_frontend)');
  });
});
