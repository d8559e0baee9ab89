import * as fs from 'fs';
import { App, Chart, Testing, YamlOutputType } from 'cdk8s';
import * as yaml from 'yaml';
import { AppProtocol, IntentGraph, MeshService, PolicyEngine, ReferenceArchitecture, ZeroTrustNamespace } from '../../src';
import { admissionObjects, gatekeeperReview, kyvernoReview } from '../support/policy-engine';
import { Cluster } from '../support/reachability';
import { expectValidManifests } from '../support/schemas';
import { find, ofKind, synthAppValid } from '../support/synth';

function reference(): { app: App; ref: ReferenceArchitecture; manifests: any[] } {
  const app = Testing.app({ yamlOutputType: YamlOutputType.FILE_PER_CHART });
  const ref = new ReferenceArchitecture(app, 'zero-trust');
  return { app, ref, manifests: synthAppValid(app) };
}

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'];
const PATHS = ['/', '/api', '/api/orders/42', '/api/orders', '/api/inventory/7', '/api/v1/charge', '/api/v1/refund', '/admin', '/healthz'];

describe('ReferenceArchitecture', () => {
  test.each(['namespaces', 'policy-templates', 'policy', 'network', 'mesh', 'workloads'])('layer %s: snapshot', layer => {
    const { app } = reference();
    const chart = app.charts.find(c => c.node.id === layer)!;
    const manifests = Testing.synth(chart);
    // constraint kinds exist only with their templates: validate the policy layer with them
    const templates = layer === 'policy' ? Testing.synth(app.charts.find(c => c.node.id === 'policy-templates')!) : [];
    expectValidManifests([...templates, ...manifests]);
    expect(manifests).toMatchSnapshot();
  });

  test('synthesizes one numbered file per layer, applied in order', () => {
    const { app } = reference();
    app.synth();
    expect(fs.readdirSync(app.outdir).sort()).toEqual([
      '0000-namespaces.k8s.yaml', '0001-policy-templates.k8s.yaml', '0002-policy.k8s.yaml', '0003-network.k8s.yaml',
      '0004-mesh.k8s.yaml', '0005-workloads.k8s.yaml',
    ]);
    const objects = fs.readdirSync(app.outdir).sort()
      .flatMap(f => yaml.parseAllDocuments(fs.readFileSync(`${app.outdir}/${f}`, 'utf8')).map(d => d.toJSON()));
    expectValidManifests(objects);
    expect(objects).toHaveLength(3 + (13 + 1) + 13 + 19 + 11 + 18);
    // templates (and the Config syncing what the default-deny check reads) before constraints
    const firstConstraint = objects.findIndex(o => o.apiVersion.startsWith('constraints.gatekeeper.sh/'));
    expect(objects.map(o => o.kind).lastIndexOf('ConstraintTemplate')).toBeLessThan(firstConstraint);
    expect(objects.findIndex(o => o.kind === 'Config')).toBeLessThan(firstConstraint);
  });

  test('layers hold only their own kinds', () => {
    const { app } = reference();
    const kinds = (id: string) => [...new Set(Testing.synth(app.charts.find(c => c.node.id === id)!).map(m => m.kind))].sort();
    expect(kinds('namespaces')).toEqual(['Namespace']);
    expect(kinds('policy-templates')).toEqual(['Config', 'ConstraintTemplate']);
    expect(kinds('policy')).toEqual([
      'K8sAllowedRepos', 'K8sDisallowDefaultServiceAccount', 'K8sDisallowedTags', 'K8sIstioDefaultDenyAuthz', 'K8sPSPAllowPrivilegeEscalationContainer',
      'K8sPSPAllowedUsers', 'K8sPSPHostFilesystem', 'K8sPSPHostNamespace', 'K8sPSPHostNetworkingPorts', 'K8sPSPPrivilegedContainer',
      'K8sPSPReadOnlyRootFilesystem', 'K8sPeerAuthnStrictMtls', 'K8sRequiredResources',
    ]);
    expect(kinds('network')).toEqual(['NetworkPolicy']);
    expect(kinds('mesh')).toEqual(['AuthorizationPolicy', 'PeerAuthentication']);
    expect(kinds('workloads')).toEqual(['Deployment', 'Service', 'ServiceAccount']);
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
});

describe.each([PolicyEngine.GATEKEEPER, PolicyEngine.KYVERNO])('ReferenceArchitecture passes its own %s policy pack', engine => {
  const app = Testing.app();
  const ref = new ReferenceArchitecture(app, 'zero-trust', { policyEngine: engine });
  const manifests = synthAppValid(app);
  const review = engine === PolicyEngine.GATEKEEPER ? gatekeeperReview : kyvernoReview;
  // generic: every object every chart synthesizes (later layers included) and the Pod of every pod template
  const admitted = admissionObjects(manifests);

  test('no policy rejects any object or pod, and every policy was evaluated', () => {
    const evaluated = new Set<string>();
    let pods = 0;
    for (const obj of admitted) {
      const r = review(manifests, obj);
      expect({ object: `${obj.kind}/${obj.metadata.namespace}/${obj.metadata.name}`, violations: r.violations })
        .toEqual({ object: `${obj.kind}/${obj.metadata.namespace}/${obj.metadata.name}`, violations: [] });
      r.evaluated.forEach(p => evaluated.add(p));
      if (obj.kind === 'Pod') {
        pods++;
        // admission sees the pod with Istio's sidecar, injected before validating webhooks run
        expect(obj.spec.containers.map((c: any) => c.name)).toContain('istio-proxy');
        // every pod check ran on every pod (the default-deny check is Rego-only / generate)
        expect(r.evaluated).toHaveLength(11);
      }
    }
    expect(pods).toBe(ofKind(manifests, 'Deployment').length);
    expect(pods).toBeGreaterThan(0);
    expect(evaluated.size).toBe(12);
  });

  test('the pack enforces, allows the reference registry (and the repositories of the app\'s own images) and polices every namespace but the system ones', () => {
    expect(ref.policyPack.engine).toBe(engine);
    expect(ref.policyPack.allowedRegistries).toEqual(['ghcr.io/cdk8s-zero-trust/demo/']);
    expect(ref.policyPack.systemNamespaces).toEqual(engine === PolicyEngine.GATEKEEPER ? ['gatekeeper-system', 'kube-system'] : ['kube-system', 'kyverno']);
    if (engine === PolicyEngine.GATEKEEPER) {
      const constraints = manifests.filter(m => m.apiVersion.startsWith('constraints.gatekeeper.sh/'));
      expect(new Set(constraints.map(c => c.spec.enforcementAction))).toEqual(new Set(['deny']));
      // every image the app deploys is admitted by the registry prefix or by its exact repository
      expect(find(manifests, 'K8sAllowedRepos', 'zero-trust-allowed-registries').spec.parameters.repos).toEqual(['docker.io/istio/proxyv2:', 'ghcr.io/cdk8s-zero-trust/demo/']);
    } else {
      const rules = ofKind(manifests, 'ClusterPolicy').flatMap(p => p.spec.rules.filter((r: any) => r.validate));
      expect(new Set(rules.map((r: any) => r.validate.failureAction))).toEqual(new Set(['Enforce']));
    }
  });

  test('every enrolled namespace has the allow-nothing AuthorizationPolicy the default-deny check requires', () => {
    const enrolled = ofKind(manifests, 'Namespace').filter(n => n.metadata.labels['istio-injection'] === 'enabled'
      || n.metadata.labels['istio.io/rev'] !== undefined || n.metadata.labels['istio.io/dataplane-mode'] === 'ambient');
    expect(enrolled.map(n => n.metadata.name).sort()).toEqual(['data', 'production', 'web']);
    for (const ns of enrolled) {
      if (engine === PolicyEngine.GATEKEEPER) {
        // the Rego's allow_nothing(spec): ALLOW, no rules, no selector, no targetRef(s)
        const allowNothing = ofKind(manifests, 'AuthorizationPolicy').filter(p => p.metadata.namespace === ns.metadata.name
          && (p.spec.action ?? 'ALLOW') === 'ALLOW' && (p.spec.rules ?? []).length === 0 && !p.spec.selector && !p.spec.targetRef && !p.spec.targetRefs);
        expect(allowNothing).toHaveLength(1);
        const pod = admitted.find(o => o.kind === 'Pod' && o.metadata.namespace === ns.metadata.name);
        expect(gatekeeperReview(manifests, pod).regoOnly).toEqual(['K8sIstioDefaultDenyAuthz/zero-trust-default-deny-authorization']);
      } else {
        const generated = kyvernoReview(manifests, ns).generated;
        expect(generated.map(g => [g.object.metadata.namespace, g.object.spec])).toEqual([[ns.metadata.name, {}]]);
        expectValidManifests(generated.map(g => g.object));
      }
    }
  });
});
