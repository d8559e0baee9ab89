import * as fs from 'fs';
import { App, Chart, Testing, YamlOutputType } from 'cdk8s';
import * as yaml from 'yaml';
import { AppProtocol, IntentGraph, MeshService, ReferenceArchitecture, ZeroTrustNamespace } from '../../src';
import { Cluster } from '../support/reachability';
import { expectValidManifests } from '../support/schemas';
import { find, ofKind, synthAppValid } from '../support/synth';

function reference(): { app: App; ref: ReferenceArchitecture; manifests: any[] } {
  const app = Testing.app({ yamlOutputType: YamlOutputType.FILE_PER_CHART });
  const ref = new ReferenceArchitecture(app, 'zero-trust');
  return { app, ref, manifests: synthAppValid(app) };
}

const IDENTITY_OBJECTS = 29;
const SPIRE_NETWORK_POLICIES = 4;
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'];
const PATHS = ['/', '/api', '/api/orders/42', '/api/orders', '/api/inventory/7', '/api/v1/charge', '/api/v1/refund', '/admin', '/healthz'];

describe('ReferenceArchitecture', () => {
  test.each(['namespaces', 'identity', 'network', 'mesh', 'workloads'])('layer %s: snapshot', layer => {
    const { app } = reference();
    const chart = app.charts.find(c => c.node.id === layer)!;
    const manifests = Testing.synth(chart);
    expectValidManifests(manifests);
    expect(manifests).toMatchSnapshot();
  });

  test('synthesizes one numbered file per layer, applied in order', () => {
    const { app } = reference();
    app.synth();
    expect(fs.readdirSync(app.outdir).sort()).toEqual([
      '0000-namespaces.k8s.yaml', '0001-identity.k8s.yaml', '0002-network.k8s.yaml', '0003-mesh.k8s.yaml', '0004-workloads.k8s.yaml',
    ]);
    const objects = fs.readdirSync(app.outdir).sort()
      .flatMap(f => yaml.parseAllDocuments(fs.readFileSync(`${app.outdir}/${f}`, 'utf8')).map(d => d.toJSON()));
    expectValidManifests(objects);
    expect(objects).toHaveLength(5 + IDENTITY_OBJECTS + 19 + SPIRE_NETWORK_POLICIES + 11 + 18);
  });

  test('layers hold only their own kinds', () => {
    const { app } = reference();
    const kinds = (id: string) => [...new Set(Testing.synth(app.charts.find(c => c.node.id === id)!).map(m => m.kind))].sort();
    expect(kinds('namespaces')).toEqual(['Namespace']);
    expect(kinds('network')).toEqual(['NetworkPolicy']);
    expect(kinds('mesh')).toEqual(['AuthorizationPolicy', 'PeerAuthentication']);
    expect(kinds('workloads')).toEqual(['Deployment', 'Service', 'ServiceAccount']);
    expect(kinds('identity')).toEqual([
      'CSIDriver', 'ClusterRole', 'ClusterRoleBinding', 'ClusterSPIFFEID', 'ConfigMap', 'DaemonSet', 'Role', 'RoleBinding',
      'Service', 'ServiceAccount', 'StatefulSet', 'ValidatingWebhookConfiguration',
    ]);
  });

  test('every namespace is default-deny, STRICT and allow-nothing', () => {
    const { manifests } = reference();
    for (const ns of ['web', 'production', 'data']) {
      expect(find(manifests, 'NetworkPolicy', 'default-deny', ns).spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
      expect(find(manifests, 'PeerAuthentication', 'default', ns).spec).toEqual({ mtls: { mode: 'STRICT' } });
      expect(find(manifests, 'AuthorizationPolicy', 'allow-nothing', ns).spec).toEqual({});
    }
    const cluster = new Cluster(manifests);
    for (const pod of cluster.pods) {
      expect(cluster.mtlsMode(pod)).toBe('STRICT');
    }
  });

  test('the synthesized policies allow exactly the intent graph, at L4 and at L7', () => {
    const { ref, manifests } = reference();
    const cluster = new Cluster(manifests, ref.graph.trustDomain);
    const workloads = ref.graph.workloads;
    expect(workloads).toHaveLength(6);
    let checked = 0;
    let allowed = 0;
    for (const caller of workloads) {
      for (const callee of workloads) {
        if (caller === callee) continue;
        const from = cluster.pod(caller.zeroTrustNamespace.namespaceName, caller.workloadName);
        const to = cluster.pod(callee.zeroTrustNamespace.namespaceName, callee.workloadName);
        const declared = ref.graph.callsTo(callee).some(c => c.caller === caller);
        for (const port of [8080, 5432, 9090]) {
          const listens = callee.workloadPorts.some(p => p.port === port);
          const intendedL4 = declared && listens && ref.graph.allows(caller, callee, { port });
          // L4: the NetworkPolicies on both sides agree with the graph
          expect({ caller: caller.node.path, callee: callee.node.path, port, l4: cluster.networkAllows(from, to, port) })
            .toEqual({ caller: caller.node.path, callee: callee.node.path, port, l4: intendedL4 });
          if (!listens) continue;
          const tcp = callee.workloadPorts.find(p => p.port === port)!.protocol === AppProtocol.TCP;
          const requests = tcp ? [{ port }] : METHODS.flatMap(method => PATHS.map(path => ({ port, method, path })));
          for (const request of requests) {
            const intended = ref.graph.allows(caller, callee, request);
            expect({ ...request, caller: caller.node.path, callee: callee.node.path, allowed: cluster.allows(from, to, request) })
              .toEqual({ ...request, caller: caller.node.path, callee: callee.node.path, allowed: intended });
            // L7 is enforced on its own too: the mesh refuses what the graph does not declare
            if (!intended) expect(cluster.meshAllows(from, to, request)).toBe(false);
            checked++;
            if (intended) allowed++;
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(1000);
    expect(allowed).toBeGreaterThan(0);
  });

  test('the frontend never reaches the database, at any layer', () => {
    const { ref, manifests } = reference();
    const cluster = new Cluster(manifests);
    const frontend = cluster.pod('web', 'frontend');
    const database = cluster.pod('data', 'database');
    expect(ref.graph.allows(ref.frontend, ref.database)).toBe(false);
    expect(cluster.networkAllows(frontend, database, 5432)).toBe(false);
    expect(cluster.meshAllows(frontend, database, { port: 5432 })).toBe(false);
  });

  test('declared calls work end to end, undeclared methods and paths do not', () => {
    const { manifests } = reference();
    const c = new Cluster(manifests);
    const [fe, gw, order, inv, pay, db] = [['web', 'frontend'], ['production', 'api-gateway'], ['production', 'order-service'],
      ['production', 'inventory-service'], ['production', 'payment-service'], ['data', 'database']].map(([ns, n]) => c.pod(ns, n));
    expect(c.allows(fe, gw, { port: 8080, method: 'GET', path: '/api/orders/1' })).toBe(true);
    expect(c.allows(fe, gw, { port: 8080, method: 'DELETE', path: '/api/orders/1' })).toBe(false);
    expect(c.allows(fe, order, { port: 8080, method: 'GET', path: '/api/orders/1' })).toBe(false);
    expect(c.allows(gw, order, { port: 8080, method: 'POST', path: '/api/orders/1' })).toBe(true);
    expect(c.allows(inv, order, { port: 8080, method: 'GET', path: '/api/orders/1' })).toBe(true);
    expect(c.allows(gw, inv, { port: 8080, method: 'GET', path: '/api/inventory/1' })).toBe(true);
    expect(c.allows(gw, inv, { port: 8080, method: 'POST', path: '/api/inventory/1' })).toBe(false);
    expect(c.allows(order, pay, { port: 8080, method: 'POST', path: '/api/v1/charge' })).toBe(true);
    expect(c.allows(order, pay, { port: 8080, method: 'POST', path: '/api/v1/refund' })).toBe(false);
    expect(c.allows(gw, pay, { port: 8080, method: 'POST', path: '/api/v1/charge' })).toBe(false);
    expect(c.allows(order, db, { port: 5432 })).toBe(true);
    expect(c.allows(pay, db, { port: 5432 })).toBe(true);
    expect(c.allows(inv, db, { port: 5432 })).toBe(false);
    expect(c.allows(db, order, { port: 8080, method: 'GET', path: '/api/orders/1' })).toBe(false);
  });

  test('every principal names an existing ServiceAccount in the trust domain', () => {
    const { manifests } = reference();
    const accounts = new Set(ofKind(manifests, 'ServiceAccount').map(sa => `cluster.local/ns/${sa.metadata.namespace}/sa/${sa.metadata.name}`));
    const principals = ofKind(manifests, 'AuthorizationPolicy')
      .flatMap(p => (p.spec.rules ?? []).flatMap((r: any) => r.from.flatMap((f: any) => f.source.principals)));
    expect(principals.length).toBe(7);
    for (const principal of principals) expect(accounts).toContain(principal);
  });

  test('the intent graph exposes the topology as data', () => {
    const { ref } = reference();
    expect(ref.graph.toJson()).toMatchSnapshot();
    expect(ref.graph.calls.map(c => c.key)).toEqual([
      'production/api-gateway -> production/inventory-service:8080 GET /api/inventory/*',
      'production/api-gateway -> production/order-service:8080 GET,POST /api/orders/*',
      'production/inventory-service -> production/order-service:8080 GET,POST /api/orders/*',
      'production/order-service -> data/database:5432',
      'production/order-service -> production/payment-service:8080 POST /api/v1/charge',
      'production/payment-service -> data/database:5432',
      'web/frontend -> production/api-gateway:8080 GET,POST /api/*',
    ]);
  });

  test('synthesis is deterministic: same bytes twice', () => {
    const a = reference().app.synthYaml();
    const b = reference().app.synthYaml();
    expect(a).toEqual(b);
  });

  test('names and objects do not depend on the order services are declared in', () => {
    const build = (order: string[]) => {
      const app = Testing.app();
      const chart = new Chart(app, 'c');
      const ns = new ZeroTrustNamespace(chart, 'production');
      const services = new Map<string, MeshService>();
      for (const name of order) services.set(name, new MeshService(chart, name, { namespace: ns, image: 'ghcr.io/acme/s:1', port: 8080 }));
      const edges: Array<[string, string, string]> = [['a', 'b', '/x'], ['c', 'b', '/y'], ['b', 'd', '/z'], ['a', 'd', '/w']];
      const ordered = order[0] === 'a' ? edges : [...edges].reverse();
      for (const [caller, callee, path] of ordered) services.get(callee)!.allowFrom(services.get(caller)!, { paths: [path] });
      const manifests = Testing.synth(chart);
      expectValidManifests(manifests);
      return manifests.map(m => JSON.stringify(m)).sort();
    };
    expect(build(['d', 'c', 'b', 'a'])).toEqual(build(['a', 'b', 'c', 'd']));
  });

  test('a custom trust domain reaches every principal', () => {
    const app = Testing.app();
    const ref = new ReferenceArchitecture(app, 'zt', { trustDomain: 'example.org' });
    const manifests = synthAppValid(app);
    const principals = ofKind(manifests, 'AuthorizationPolicy').flatMap(p => (p.spec.rules ?? []).flatMap((r: any) => r.from[0].source.principals));
    expect(principals.every((p: string) => p.startsWith('example.org/ns/'))).toBe(true);
    expect(ref.graph).toBe(IntentGraph.of(app));
  });

  test('identity: every workload has exactly one SPIFFE registration, whose ID is the principal its callers are allowed as', () => {
    const { ref, manifests } = reference();
    const namespaces = new Map(ofKind(manifests, 'Namespace').map(n => [n.metadata.name, { ...n.metadata.labels, 'kubernetes.io/metadata.name': n.metadata.name }]));
    const registrations = ofKind(manifests, 'ClusterSPIFFEID');
    const controllerManager = yaml.parse(find(manifests, 'ConfigMap', 'spire-controller-manager', 'spire-server').data['controller-manager-config.yaml']);
    const principals = new Set(ofKind(manifests, 'AuthorizationPolicy')
      .flatMap(p => (p.spec.rules ?? []).flatMap((r: any) => r.from.flatMap((f: any) => f.source.principals))));
    expect(ref.graph.workloads).toHaveLength(6);
    for (const w of ref.graph.workloads) {
      const deployment = find(manifests, 'Deployment', w.workloadName, w.zeroTrustNamespace.namespaceName);
      const pod = {
        namespace: deployment.metadata.namespace,
        labels: deployment.spec.template.metadata.labels,
        serviceAccountName: deployment.spec.template.spec.serviceAccountName,
      };
      // the controller manager reconciles only its class, and ignores some namespaces
      const matching = registrations.filter(r => r.spec.className === controllerManager.className
        && !controllerManager.ignoreNamespaces.includes(pod.namespace)
        && selects(r.spec.namespaceSelector, namespaces.get(pod.namespace)!)
        && selects(r.spec.podSelector, pod.labels));
      expect({ workload: w.node.path, registrations: matching.length }).toEqual({ workload: w.node.path, registrations: 1 });
      const id = renderTemplate(matching[0].spec.spiffeIDTemplate, { trustDomain: controllerManager.trustDomain, ...pod });
      expect(id).toBe(ref.graph.spiffeIdOf(w));
      expect(id).toBe(`spiffe://${ref.graph.principalOf(w)}`);
      if (ref.graph.callsFrom(w).length > 0) expect(principals).toContain(ref.graph.principalOf(w));
    }
    expect(controllerManager.trustDomain).toBe(ref.graph.trustDomain);
  });

  test('identity: SPIRE runs hardened except for the declared agent and CSI driver', () => {
    const { ref, manifests } = reference();
    const declared = ref.graph.privilegedWorkloads.map(p => p.key);
    expect(declared).toEqual(['spire-system/DaemonSet/spiffe-csi-driver', 'spire-system/DaemonSet/spire-agent']);
    const server = find(manifests, 'StatefulSet', 'spire-server', 'spire-server');
    expect(server.spec.replicas).toBe(1);
    expect(JSON.parse(find(manifests, 'ConfigMap', 'spire-server', 'spire-server').data['server.conf']).plugins.DataStore[0].sql.plugin_data.database_type).toBe('sqlite3');
    for (const c of server.spec.template.spec.containers) {
      expect(c.securityContext).toEqual(expect.objectContaining({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } }));
    }
    const agentConf = JSON.parse(find(manifests, 'ConfigMap', 'spire-agent', 'spire-system').data['agent.conf']);
    expect(agentConf.plugins.WorkloadAttestor[0].k8s.plugin_data.skip_kubelet_verification).toBe(false);
    expect(find(manifests, 'RoleBinding', 'zero-trust-read-only', 'production').subjects).toEqual([{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'sre' }]);
  });
});

/** Kubernetes label selector semantics, written independently of the library. */
function selects(selector: any, labels: { [key: string]: string }): boolean {
  if (!selector) return true;
  const labelsOk = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const exprOk = (selector.matchExpressions ?? []).every((e: any) => {
    switch (e.operator) {
      case 'In': return e.key in labels && e.values.includes(labels[e.key]);
      case 'NotIn': return !(e.key in labels) || !e.values.includes(labels[e.key]);
      case 'Exists': return e.key in labels;
      case 'DoesNotExist': return !(e.key in labels);
      default: throw new Error(`unknown operator ${e.operator}`);
    }
  });
  return labelsOk && exprOk;
}

/** The spire-controller-manager's Go template, for the fields the reference uses. */
function renderTemplate(template: string, pod: { trustDomain: string; namespace: string; serviceAccountName: string }): string {
  const fields: { [key: string]: string } = {
    '.TrustDomain': pod.trustDomain, '.PodMeta.Namespace': pod.namespace, '.PodSpec.ServiceAccountName': pod.serviceAccountName,
  };
  return template.replace(/\{\{\s*([.\w]+)\s*\}\}/g, (_, f: string) => {
    if (!(f in fields)) throw new Error(`unsupported template field ${f}`);
    return fields[f];
  });
}
