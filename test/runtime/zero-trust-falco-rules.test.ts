import { ApiObject, Chart, Testing } from 'cdk8s';
import * as yaml from 'yaml';
import { falcoSchemaErrors } from './_falco';
import {
  AppProtocol, FalcoBaseRuleset, IntentGraph, MeshMode, MeshService, Privilege, ZeroTrustFalcoRules, ZeroTrustNamespace,
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
    const items = rulesOf(new ZeroTrustFalcoRules(new Chart(a, 'runtime'), 'falco'));
    const macros = items.filter(i => i.macro?.startsWith('zt_workload_'));
    expect(macros.map(m => [m.macro, m.condition]).sort()).toEqual([
      ['zt_workload_2_ns_a_b', '(k8s.ns.name=ns and k8s.pod.label[app.kubernetes.io/name]="a-b")'],
      ['zt_workload_4_ns_a_b', '(k8s.ns.name=ns-a and k8s.pod.label[app.kubernetes.io/name]="b")'],
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
