import * as fs from 'fs';
import { Chart, Testing } from 'cdk8s';
import * as yaml from 'yaml';
import { reference, referenceApp } from './_reference';
import { AccessProxy, AppProtocol, ClusterPeer, IntentGraph, MeshMode, MeshService, OutputFile, ReferenceArchitecture, ZeroTrustNamespace } from '../../src';
import { factsMetricNames, parsePromQL } from '../monitoring/_promql';
import { falcoSchemaErrors } from '../runtime/_falco';
import { Cluster, Jwt, Pod } from '../support/reachability';
import { expectValidManifests } from '../support/schemas';
import { find, ofKind, synthAppValid, synthCharts } from '../support/synth';

const IDENTITY_OBJECTS = 29;
const SPIRE_NETWORK_POLICIES = 4;
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'];
const PATHS = ['/', '/api', '/api/orders/42', '/api/orders', '/api/inventory/7', '/api/v1/charge', '/api/v1/refund', '/admin', '/healthz'];
/** A verified end user of the shop: a customer on a managed device. */
const CUSTOMER_CLAIMS = { groups: ['customers'], device_trust: ['managed'] };
const CUSTOMER: Jwt = { iss: 'https://login.example.com', sub: 'alice', aud: ['shop'], claims: CUSTOMER_CLAIMS };
const INTERNET: Pod = { namespace: '', name: 'browser', labels: {}, serviceAccount: '' };

describe('ReferenceArchitecture', () => {
  test.each(['namespaces', 'policy-templates', 'policy', 'identity', 'network', 'edge', 'mesh', 'secrets', 'monitoring', 'runtime', 'workloads'])('layer %s: snapshot', layer => {
    const { layers } = reference();
    const manifests = layers.get(layer)!;
    // constraint kinds exist only with their templates: validate the policy layer with them
    const templates = layer === 'policy' ? layers.get('policy-templates')! : [];
    expectValidManifests([...templates, ...manifests]);
    expect(manifests).toMatchSnapshot();
  });

  test('synthesizes one numbered file per layer, applied in order', () => {
    const { app } = referenceApp();
    app.synth();
    expect(fs.readdirSync(app.outdir).sort()).toEqual([
      '0000-namespaces.k8s.yaml', '0001-policy-templates.k8s.yaml', '0002-policy.k8s.yaml', '0003-identity.k8s.yaml',
      '0004-network.k8s.yaml', '0005-edge.k8s.yaml', '0006-mesh.k8s.yaml', '0007-secrets.k8s.yaml', '0008-monitoring.k8s.yaml',
      '0009-runtime.k8s.yaml', '0010-workloads.k8s.yaml',
    ]);
    const objects = fs.readdirSync(app.outdir).sort()
      .flatMap(f => yaml.parseAllDocuments(fs.readFileSync(`${app.outdir}/${f}`, 'utf8')).map(d => d.toJSON()));
    expectValidManifests(objects);
    // the ambient namespace insights: Namespace, 3 namespace NetworkPolicies, PeerAuthentication and allow-nothing, 2 services x
    // (ServiceAccount, Deployment, Service), catalog's ingress and recommendations' egress NetworkPolicies, catalog's AuthorizationPolicy
    // and ztunnel policy, the waypoint's Gateway, allow-nothing and NetworkPolicy
    const INSIGHTS_OBJECTS = 1 + 3 + 2 + 6 + 2 + 2 + 3;
    // one ingress NetworkPolicy per workload of the declared platform components: istiod, istio-cni, ztunnel,
    // Gatekeeper (2 Deployments, 2 hook Jobs), the Vault injector, Falco, the Prometheus Operator (Deployment, 2 hook Jobs)
    // and, on Cilium, a CiliumNetworkPolicy admitting the kube-apiserver entity on each webhook (istiod, Gatekeeper, Vault injector, Prometheus Operator)
    // and one letting each workload that calls the API server reach the entity (istiod, istio-cni, Gatekeeper's 4, the injector, the operator's 3),
    // and the SPIRE server's CiliumNetworkPolicy for the same entity
    const PLATFORM_NETWORK_POLICIES = 3 + 4 + 1 + 1 + 3 + 4 + (1 + 1 + 4 + 1 + 3) + 1;
    expect(objects).toHaveLength(4 + 2 + (17 + 1) + 17 + IDENTITY_OBJECTS + 24 + SPIRE_NETWORK_POLICIES + 14 + 11 + 2 + 13 + 1 + 18
      + INSIGHTS_OBJECTS + PLATFORM_NETWORK_POLICIES);
    // templates (and the Config syncing what the default-deny check reads) before constraints
    const firstConstraint = objects.findIndex(o => o.apiVersion.startsWith('constraints.gatekeeper.sh/'));
    expect(objects.map(o => o.kind).lastIndexOf('ConstraintTemplate')).toBeLessThan(firstConstraint);
    expect(objects.findIndex(o => o.kind === 'Config')).toBeLessThan(firstConstraint);
  });

  test('layers hold only their own kinds', () => {
    const { layers } = reference();
    const kinds = (id: string) => [...new Set(layers.get(id)!.map(m => m.kind))].sort();
    expect(kinds('namespaces')).toEqual(['Namespace']);
    expect(kinds('policy-templates')).toEqual(['Config', 'ConstraintTemplate']);
    expect(kinds('policy')).toEqual([
      'K8sAllowedRepos', 'K8sDisallowDefaultServiceAccount', 'K8sDisallowServiceAccountTokenAutomount', 'K8sDisallowedTags', 'K8sIstioDefaultDenyAuthz',
      'K8sPSPAllowPrivilegeEscalationContainer', 'K8sPSPAllowedUsers', 'K8sPSPCapabilities', 'K8sPSPHostFilesystem', 'K8sPSPHostNamespace', 'K8sPSPHostNetworkingPorts',
      'K8sPSPPrivilegedContainer', 'K8sPSPReadOnlyRootFilesystem', 'K8sPeerAuthnStrictMtls', 'K8sRequiredPodSecurityLabels', 'K8sRequiredResources', 'K8sRequiredSeccompProfile',
    ]);
    expect(kinds('network')).toEqual(['CiliumNetworkPolicy', 'NetworkPolicy']);
    // the network layer's CiliumNetworkPolicies are the platform webhooks' only: the API server's entity on the webhook port
    const networkCnps = ofKind(layers.get('network')!, 'CiliumNetworkPolicy');
    // the controllers reach the API server's entity on its ports, and nothing else through Cilium
    expect(networkCnps.filter(c => c.metadata.name.endsWith('-api-server')).map(c => c.spec.egress))
      .toEqual(Array(11).fill([{ toEntities: ['kube-apiserver'], toPorts: [{ ports: [{ port: '443', protocol: 'TCP' }, { port: '6443', protocol: 'TCP' }] }] }]));
    expect(networkCnps.filter(c => !c.metadata.name.endsWith('-api-server')).map(c => [c.metadata.namespace, c.metadata.name, c.spec.ingress])).toEqual([
      ['istio-system', 'platform-deployment-istiod-webhooks', [{ fromEntities: ['kube-apiserver'], toPorts: [{ ports: [{ port: '15017', protocol: 'TCP' }] }] }]],
      ['gatekeeper-system', 'platform-deployment-gatekeeper-controller-manager-webhooks', [{ fromEntities: ['kube-apiserver'], toPorts: [{ ports: [{ port: '8443', protocol: 'TCP' }] }] }]],
      ['vault', 'platform-deployment-vault-agent-injector-webhooks', [{ fromEntities: ['kube-apiserver'], toPorts: [{ ports: [{ port: '8080', protocol: 'TCP' }] }] }]],
      ['monitoring', 'platform-deployment-kube-prometheus-stack-operator-webhooks', [{ fromEntities: ['kube-apiserver'], toPorts: [{ ports: [{ port: '10250', protocol: 'TCP' }] }] }]],
    ]);
    expect(kinds('mesh')).toEqual(['AuthorizationPolicy', 'Gateway', 'PeerAuthentication']);
    expect(kinds('edge')).toEqual(['AuthorizationPolicy', 'CiliumNetworkPolicy', 'ConfigMap', 'Gateway', 'HTTPRoute', 'NetworkPolicy', 'RequestAuthentication', 'ServiceEntry', 'Sidecar']);
    expect(kinds('secrets')).toEqual(['NetworkPolicy']);
    expect(kinds('monitoring')).toEqual(['NetworkPolicy', 'PodMonitor', 'PrometheusRule', 'Telemetry']);
    expect(kinds('runtime')).toEqual(['ConfigMap']);
    expect(kinds('workloads')).toEqual(['Deployment', 'Service', 'ServiceAccount', 'StatefulSet']);
    expect(kinds('identity')).toEqual([
      'CSIDriver', 'ClusterRole', 'ClusterRoleBinding', 'ClusterSPIFFEID', 'ConfigMap', 'DaemonSet', 'Role', 'RoleBinding',
      'Service', 'ServiceAccount', 'StatefulSet', 'ValidatingWebhookConfiguration',
    ]);
  });

  test('every namespace is default-deny, STRICT and allow-nothing', () => {
    const { manifests } = reference();
    for (const ns of ['web', 'production', 'data', 'edge']) {
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
    expect(workloads).toHaveLength(9);
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
          // L4: the NetworkPolicies on both sides agree with the graph (with HBONE on the path they
          // see port 15008 only, and ztunnel enforces the port: checked with the requests below)
          const hbone = [caller, callee].some(w => w.zeroTrustNamespace.meshMode === MeshMode.AMBIENT);
          if (!hbone) {
            expect({ caller: caller.node.path, callee: callee.node.path, port, l4: cluster.request(from, to, { port }).l4 })
              .toEqual({ caller: caller.node.path, callee: callee.node.path, port, l4: intendedL4 });
          }
          if (!listens) continue;
          const tcp = callee.workloadPorts.find(p => p.port === port)!.protocol === AppProtocol.TCP;
          const requests = tcp ? [{ port }] : METHODS.flatMap(method => PATHS.map(path => ({ port, method, path })));
          // calls from the access proxy carry the end user's token (a customer on a managed device)
          const token = AccessProxy.endUserTokenIssuersOf(caller).length > 0;
          for (const request of requests) {
            const intended = ref.graph.allows(caller, callee, token ? { ...request, claims: CUSTOMER_CLAIMS } : request);
            const verdict = cluster.request(from, to, token ? { ...request, jwt: CUSTOMER } : request);
            const allowedByCluster = verdict.allowed;
            expect({ ...request, caller: caller.node.path, callee: callee.node.path, allowed: allowedByCluster })
              .toEqual({ ...request, caller: caller.node.path, callee: callee.node.path, allowed: intended });
            // L7 is enforced on its own too: the mesh refuses what the graph does not declare
            if (!intended) {
              expect({ ...request, caller: caller.node.path, callee: callee.node.path, l7: verdict.l7 }).toEqual({
                ...request,
                caller: caller.node.path,
                callee: callee.node.path,
                l7: false,
              });
            }
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
    // Istio creates the ServiceAccount `<name>-istio` of each Gateway API gateway it deploys
    // (`<name>` for a waypoint, class istio-waypoint)
    ofKind(manifests, 'Gateway').forEach(g => accounts.add(`cluster.local/ns/${g.metadata.namespace}/sa/${g.metadata.name}${g.spec.gatewayClassName === 'istio-waypoint' ? '' : '-istio'}`));
    const principals = ofKind(manifests, 'AuthorizationPolicy')
      .flatMap(p => (p.spec.rules ?? []).flatMap((r: any) => r.from.flatMap((f: any) => f.source.principals ?? [])));
    expect(principals.length).toBe(12);
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
      'edge/access-proxy -> web/frontend:8080 GET /,/assets/*,/products/*',
      'edge/access-proxy -> web/frontend:8080 GET,POST /account/* [device_trust=managed,groups=customers]',
      'insights/recommendations -> insights/catalog:8080 GET /api/catalog/*',
      'insights/recommendations -> production/inventory-service:8080 GET /api/inventory/*',
      'production/payment-service -> data/database:5432',
      'web/frontend -> production/api-gateway:8080 GET,POST /api/*',
    ].sort());
    expect(ref.graph.egress.map(e => e.key)).toEqual(['production/payment-service -> api.stripe.com:443']);
  });

  test('synthesis is deterministic: same bytes twice', () => {
    const a = referenceApp().app.synthYaml();
    const b = referenceApp().app.synthYaml();
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
    const principals = ofKind(manifests, 'AuthorizationPolicy').flatMap(p => (p.spec.rules ?? []).flatMap((r: any) => r.from[0].source.principals ?? []));
    expect(principals.every((p: string) => p.startsWith('example.org/ns/'))).toBe(true);
    expect(ref.graph).toBe(IntentGraph.of(app));
  });

  test('monitoring: alerts parse and use exported metrics, components and sidecars are scraped, access logs are on', () => {
    const { ref, manifests } = reference();
    const known = factsMetricNames();
    const rule = find(manifests, 'PrometheusRule', 'zero-trust-alerts', 'monitoring');
    const alerts = rule.spec.groups.flatMap((g: any) => g.rules);
    expect(alerts.map((a: any) => a.alert)).toEqual(['ZeroTrustPlaintextTraffic', 'ZeroTrustAuthorizationDenialSpike',
      'IstioCACertificateExpiring', 'IstioCACertificateExpiryImminent', 'GatekeeperAuditViolations', 'GatekeeperAuditStale',
      'FalcoCriticalEvents', 'ZeroTrustFalcoWarnings', 'FalcoDroppingEvents']);
    for (const alert of alerts) {
      const parsed = parsePromQL(alert.expr);
      const unknown = parsed.metrics.filter(m => !known.has(m));
      expect({ alert: alert.alert, error: parsed.error, unknown }).toEqual({ alert: alert.alert, error: false, unknown: [] });
      expect(alert.annotations.runbook_url).toMatch(/^https:\/\/.*#[a-z]+$/);
    }
    expect(alerts[0].expr).toContain('destination_workload_namespace=~"data|edge|insights|production|web"');
    expect(ofKind(manifests, 'PodMonitor').map(m => `${m.metadata.namespace}/${m.metadata.name}`).sort()).toEqual([
      'data/envoy-stats', 'edge/envoy-stats', 'falco/falco', 'gatekeeper-system/gatekeeper', 'istio-system/istiod', 'production/envoy-stats', 'web/envoy-stats',
    ]);
    for (const ns of ['web', 'production', 'data', 'edge']) {
      expect(find(manifests, 'NetworkPolicy', 'allow-prometheus-scrape', ns).spec.ingress[0].ports).toEqual([{ protocol: 'TCP', port: 15020 }, { protocol: 'TCP', port: 15090 }]);
    }
    expect(find(manifests, 'Telemetry', 'mesh-default', 'istio-system').spec.accessLogging[0].providers).toEqual([{ name: ref.accessLogging.providerName }]);
  });

  test('runtime: the Falco rules load against the stable ruleset and follow the intent graph', () => {
    // its own app: it writes the output files (the objects are those reference() validates)
    const { app, ref } = referenceApp();
    const manifests = synthCharts(app);
    const text = find(manifests, 'ConfigMap', 'falco-rules', 'falco').data['zero-trust-rules.yaml'];
    expect(falcoSchemaErrors(text)).toEqual([]);
    const items = yaml.parse(text);
    expect(items.filter((i: any) => i.rule).map((i: any) => i.rule)).toEqual(ref.falcoRules.ruleNames);
    expect(ref.falcoRules.ruleNames).toHaveLength(6);
    // order-service calls payment-service (8080) and the database (5432); DNS and istiod from the namespace's egress
    // policies (other layers' egress policies for it, e.g. to Vault, add their ports)
    expect(items.find((i: any) => i.list === 'zt_allowed_ports_10_production_order_service').items).toEqual(expect.arrayContaining([53, 5432, 8080, 15012]));
    // payment-service: its database, DNS, istiod, Vault (8200) and its declared exit api.stripe.com:443, which Cilium
    // enforces by name (no NetworkPolicy opens 443 for it), so the rule reads it from the intent graph
    expect(items.find((i: any) => i.list === 'zt_allowed_ports_10_production_payment_service').items).toEqual([53, 443, 5432, 8200, 15012]);
    expect(items.find((i: any) => i.list === 'zt_allowed_ports_3_web_frontend').items).toEqual([53, 8080, 15012]);
    // the readers the app deploys, each where it runs: the sidecar in sidecar namespaces, Vault agents in the pods
    // Vault injects, never a container name alone (every MeshService names its container app)
    const readers = items.find((i: any) => i.macro === 'zt_token_reader').condition;
    expect(readers).toContain('container.name = istio-proxy');
    expect(readers).toMatch(/\(k8s\.ns\.name="production" and k8s\.pod\.label\[[^\]]+\]="[^"]+"( and k8s\.pod\.label\[[^\]]+\]="[^"]+")* and container\.name in \("vault-agent", "vault-agent-init"\)\)/);
    expect(items.find((i: any) => i.list === 'zt_token_reader_containers').items).not.toContain('app');
    expect(ref.graph.privilegedWorkloads.map(w => w.key)).toContain('falco/DaemonSet/falco');
    expect(OutputFile.synthAll(app)).toEqual(expect.arrayContaining(['helm/falco-values.yaml', 'istio/mesh-config-access-log.yaml']));
    const values = yaml.parse(fs.readFileSync(`${app.outdir}-files/helm/falco-values.yaml`, 'utf8'));
    expect(values.customRules['zero-trust-rules.yaml']).toBe(text);
  });

  describe('edge layer', () => {
    test('an unauthenticated request is rejected at the edge; an authenticated one reaches only the declared routes', () => {
      const { manifests } = reference();
      const c = new Cluster(manifests);
      const proxy = c.pod('edge', 'access-proxy');
      const frontend = c.pod('web', 'frontend');
      const visitor: Jwt = { ...CUSTOMER, claims: { groups: ['visitors'] } };
      expect(c.networkAllowsFromIp('203.0.113.9', proxy, 443)).toBe(true);
      for (const path of ['/', '/assets/app.js', '/products/7', '/account/orders']) {
        expect(c.meshAllows(INTERNET, proxy, { port: 443, method: 'GET', path })).toBe(false);
      }
      expect(c.meshAllows(INTERNET, proxy, { port: 443, method: 'GET', path: '/products/7', jwt: visitor })).toBe(true);
      expect(c.meshAllows(INTERNET, proxy, { port: 443, method: 'GET', path: '/account/orders', jwt: visitor })).toBe(false);
      expect(c.meshAllows(INTERNET, proxy, { port: 443, method: 'POST', path: '/account/orders', jwt: CUSTOMER })).toBe(true);
      expect(c.meshAllows(INTERNET, proxy, { port: 443, method: 'DELETE', path: '/account/orders', jwt: CUSTOMER })).toBe(false);
      expect(c.meshAllows(INTERNET, proxy, { port: 443, method: 'GET', path: '/admin', jwt: CUSTOMER })).toBe(false);
      expect(c.meshAllows(INTERNET, proxy, { port: 443, method: 'GET', path: '/', jwt: { ...CUSTOMER, aud: ['other'] } })).toBe(false);
      // behind the gateway: the frontend admits only the gateway, with a verified token
      expect(c.allows(proxy, frontend, { port: 8080, method: 'GET', path: '/', jwt: visitor })).toBe(true);
      expect(c.allows(proxy, frontend, { port: 8080, method: 'GET', path: '/' })).toBe(false);
      expect(c.networkAllowsFromIp('203.0.113.9', frontend, 8080)).toBe(false);
      // the gateway reaches nothing but the frontend
      for (const pod of c.pods.filter(p => p !== frontend && p !== proxy)) {
        for (const port of [8080, 5432]) expect(c.networkAllows(proxy, pod, port)).toBe(false);
      }
    });

    test('FQDN egress includes its DNS rule; the only external destination is api.stripe.com:443, at the network and mesh layers', () => {
      const { manifests } = reference();
      const c = new Cluster(manifests);
      const payments = c.pod('production', 'payment-service');
      const cnp = find(manifests, 'CiliumNetworkPolicy', 'payment-service-cilium', 'production');
      expect(cnp.spec.egress[0].toPorts[0].rules).toEqual({ dns: [{ matchPattern: '*' }] });
      expect(c.ciliumAllowsFqdn(payments, 'api.stripe.com', 443)).toBe(true);
      for (const pod of c.pods) {
        for (const [host, port] of [['api.stripe.com', 443], ['api.stripe.com', 80], ['evil.example.com', 443], ['login.example.com', 443]] as const) {
          const intended = pod === payments && host === 'api.stripe.com' && port === 443;
          expect({ pod: pod.name, host, port, cilium: c.ciliumAllowsFqdn(pod, host, port), mesh: c.meshAllowsExternal(pod, host, port, 'REGISTRY_ONLY') })
            .toEqual({ pod: pod.name, host, port, cilium: intended, mesh: intended });
        }
        // by address, nothing leaves the cluster through a Kubernetes NetworkPolicy: Cilium matches the name
        expect(c.networkAllowsToIp(pod, '34.200.1.1', 443)).toBe(false);
      }
    });

    test('without Cilium the network layer opens 443 to public addresses for payment-service only', () => {
      const app = Testing.app();
      new ReferenceArchitecture(app, 'zt', { cilium: false, kubernetesApiServer: ClusterPeer.kubernetesApiServer({ addresses: ['172.18.0.2/32'] }) });
      const manifests = synthAppValid(app);
      expect(ofKind(manifests, 'CiliumNetworkPolicy')).toHaveLength(0);
      const c = new Cluster(manifests);
      for (const pod of c.pods) {
        const isPayments = pod.name === 'payment-service';
        expect(c.networkAllowsToIp(pod, '34.200.1.1', 443)).toBe(isPayments);
        expect(c.networkAllowsToIp(pod, '10.0.0.1', 443)).toBe(false);
        expect(c.networkAllowsToIp(pod, '169.254.169.254', 80)).toBe(false);
        expect(c.meshAllowsExternal(pod, 'api.stripe.com', 443, 'REGISTRY_ONLY')).toBe(isPayments);
      }
    });
  });
});
