import { ApiObject, Chart, JsonPatch, Testing } from 'cdk8s';
import { AppProtocol, IntentGraph, MeshMode, MeshService, WaypointScope, ZeroTrustNamespace } from '../../src';
import { Cluster } from '../support/reachability';
import { find, ofKind, synthValid } from '../support/synth';

function setup(): { chart: Chart; web: ZeroTrustNamespace; prod: ZeroTrustNamespace } {
  const chart = Testing.chart();
  const web = new ZeroTrustNamespace(chart, 'web');
  const prod = new ZeroTrustNamespace(chart, 'prod', { name: 'production' });
  return { chart, web, prod };
}

describe('MeshService', () => {
  test('a lone service: snapshot, and nothing may reach it', () => {
    // GIVEN
    const { chart, prod } = setup();
    // WHEN
    new MeshService(chart, 'orders', { namespace: prod, image: 'ghcr.io/acme/orders:1.4.2', port: 8080 });
    // THEN
    const manifests = synthValid(chart);
    expect(manifests).toMatchSnapshot();
    expect(ofKind(manifests, 'AuthorizationPolicy').map(p => p.metadata.name)).toEqual(['allow-nothing', 'allow-nothing']);
    expect(ofKind(manifests, 'NetworkPolicy').filter(p => p.metadata.namespace === 'production').map(p => p.metadata.name))
      .toEqual(['default-deny', 'allow-dns', 'allow-istiod']);
  });

  test('secure defaults: non-root (not 1337), read-only root, no escalation, drop ALL, RuntimeDefault, limits, no token', () => {
    const { chart, prod } = setup();
    new MeshService(chart, 'orders', { namespace: prod, image: 'ghcr.io/acme/orders:1.4.2', port: 8080 });
    const manifests = synthValid(chart);
    const deployment = find(manifests, 'Deployment', 'orders', 'production');
    const pod = deployment.spec.template.spec;
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.serviceAccountName).toBe('orders');
    expect(pod.securityContext).toEqual(expect.objectContaining({
      runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' },
    }));
    expect(pod.containers).toHaveLength(1);
    const container = pod.containers[0];
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      privileged: false,
      readOnlyRootFilesystem: true,
      runAsGroup: 10001,
      runAsNonRoot: true,
      runAsUser: 10001,
    });
    expect(container.resources).toEqual({ requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } });
    expect(find(manifests, 'ServiceAccount', 'orders', 'production').automountServiceAccountToken).toBe(false);
  });

  test('probes stay working under STRICT mTLS: Istio probe rewrite is explicitly on', () => {
    const { chart, prod } = setup();
    new MeshService(chart, 'orders', { namespace: prod, image: 'ghcr.io/acme/orders:1.4.2', port: 8080, healthCheckPath: '/healthz' });
    const deployment = find(synthValid(chart), 'Deployment', 'orders');
    expect(deployment.spec.template.metadata.annotations['sidecar.istio.io/rewriteAppHTTPProbers']).toBe('true');
    const container = deployment.spec.template.spec.containers[0];
    expect(container.readinessProbe.httpGet).toEqual({ path: '/healthz', port: 8080, scheme: 'HTTP' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 8080, scheme: 'HTTP' });
  });

  test('selectors use the stable name label, not the construct path', () => {
    const { chart, prod } = setup();
    new MeshService(chart, 'orders', { namespace: prod, image: 'ghcr.io/acme/orders:1.4.2', port: 8080 });
    const manifests = synthValid(chart);
    expect(find(manifests, 'Deployment', 'orders').spec.selector).toEqual({ matchLabels: { 'app.kubernetes.io/name': 'orders' } });
    expect(find(manifests, 'Service', 'orders').spec.selector).toEqual({ 'app.kubernetes.io/name': 'orders' });
  });

  test('Service ports are named for Istio protocol selection', () => {
    const { chart, prod } = setup();
    new MeshService(chart, 'api', {
      namespace: prod,
      image: 'ghcr.io/acme/api:1',
      ports: [
        { port: 8080 }, { port: 9090, protocol: AppProtocol.GRPC, servicePort: 90 }, { port: 6379, protocol: AppProtocol.TCP },
      ],
    });
    const svc = find(synthValid(chart), 'Service', 'api');
    expect(svc.spec.ports).toEqual([
      { name: 'http-8080', port: 8080, protocol: 'TCP', targetPort: 8080 },
      { name: 'grpc-9090', port: 90, protocol: 'TCP', targetPort: 9090 },
      { name: 'tcp-6379', port: 6379, protocol: 'TCP', targetPort: 6379 },
    ]);
  });

  describe('allowFrom', () => {
    test('one call: ingress on the callee, egress on the caller, ALLOW by principal, port, method, path', () => {
      const { chart, web, prod } = setup();
      const frontend = new MeshService(chart, 'frontend', { namespace: web, image: 'ghcr.io/acme/fe:1', port: 8080 });
      const gateway = new MeshService(chart, 'api-gateway', { namespace: prod, image: 'ghcr.io/acme/gw:1', port: 8080 });
      gateway.allowFrom(frontend, { methods: ['POST', 'GET'], paths: ['/api/*'] });
      const manifests = synthValid(chart);
      expect(manifests).toMatchSnapshot();

      expect(find(manifests, 'NetworkPolicy', 'api-gateway-ingress', 'production').spec).toEqual({
        podSelector: { matchLabels: { 'app.kubernetes.io/name': 'api-gateway' } },
        policyTypes: ['Ingress'],
        ingress: [{
          from: [{
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'web' } },
            podSelector: { matchLabels: { 'app.kubernetes.io/name': 'frontend' } },
          }],
          ports: [{ protocol: 'TCP', port: 8080 }],
        }],
      });
      expect(find(manifests, 'NetworkPolicy', 'frontend-egress', 'web').spec).toEqual({
        podSelector: { matchLabels: { 'app.kubernetes.io/name': 'frontend' } },
        policyTypes: ['Egress'],
        egress: [{
          to: [{
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'production' } },
            podSelector: { matchLabels: { 'app.kubernetes.io/name': 'api-gateway' } },
          }],
          ports: [{ protocol: 'TCP', port: 8080 }],
        }],
      });
      expect(find(manifests, 'AuthorizationPolicy', 'api-gateway', 'production').spec).toEqual({
        selector: { matchLabels: { 'app.kubernetes.io/name': 'api-gateway' } },
        action: 'ALLOW',
        rules: [{
          from: [{ source: { principals: ['cluster.local/ns/web/sa/frontend'] } }],
          to: [{ operation: { ports: ['8080'], methods: ['GET', 'POST'], paths: ['/api/*'] } }],
        }],
      });
    });

    test('is idempotent and returns what it defined', () => {
      const { chart, web, prod } = setup();
      const frontend = new MeshService(chart, 'frontend', { namespace: web, image: 'ghcr.io/acme/fe:1', port: 8080 });
      const gateway = new MeshService(chart, 'api-gateway', { namespace: prod, image: 'ghcr.io/acme/gw:1', port: 8080 });
      const first = gateway.allowFrom(frontend, { methods: ['GET', 'POST'], paths: ['/api/*'] });
      const once = JSON.stringify(Testing.synth(chart));
      const second = gateway.allowFrom(frontend, { methods: ['POST', 'GET'], paths: ['/api/*'] });
      expect(second).toBe(first);
      expect(JSON.stringify(Testing.synth(chart))).toEqual(once);
      expect(first.caller).toBe(frontend);
      expect(first.callee).toBe(gateway);
      expect(first.ports).toEqual([8080]);
      expect(first.methods).toEqual(['GET', 'POST']);
      expect(first.paths).toEqual(['/api/*']);
      expect(first.sourcePrincipal).toBe('cluster.local/ns/web/sa/frontend');
      expect(gateway.allowedCalls).toEqual([first]);
    });

    test('objects grow with services, not calls: one ingress, one egress, one AuthorizationPolicy each', () => {
      const { chart, prod } = setup();
      const services = Array.from({ length: 6 }, (_, i) => new MeshService(chart, `s${i}`, { namespace: prod, image: 'ghcr.io/acme/s:1', port: 8080 }));
      for (const callee of services) {
        for (const caller of services) {
          if (caller !== callee) callee.allowFrom(caller, { methods: ['GET'] });
        }
      }
      const manifests = synthValid(chart);
      const policies = ofKind(manifests, 'NetworkPolicy').filter(p => p.metadata.name.startsWith('s'));
      expect(policies).toHaveLength(12);
      expect(ofKind(manifests, 'AuthorizationPolicy')).toHaveLength(6 + 2);
      // callers with the same operation share one rule
      expect(find(manifests, 'AuthorizationPolicy', 's0').spec.rules).toHaveLength(1);
      expect(find(manifests, 'AuthorizationPolicy', 's0').spec.rules[0].from[0].source.principals).toHaveLength(5);
    });

    test('plain TCP (a database): identity and port only, no L7 fields', () => {
      const { chart, prod } = setup();
      const data = new ZeroTrustNamespace(chart, 'data');
      const orders = new MeshService(chart, 'orders', { namespace: prod, image: 'ghcr.io/acme/orders:1', port: 8080 });
      const db = new MeshService(chart, 'database', { namespace: data, image: 'ghcr.io/acme/pg:16', port: 5432, protocol: AppProtocol.TCP });
      db.allowFrom(orders);
      const manifests = synthValid(chart);
      expect(find(manifests, 'AuthorizationPolicy', 'database', 'data').spec.rules).toEqual([{
        from: [{ source: { principals: ['cluster.local/ns/production/sa/orders'] } }],
        to: [{ operation: { ports: ['5432'] } }],
      }]);
      expect(find(manifests, 'NetworkPolicy', 'database-ingress', 'data').spec.ingress[0].ports).toEqual([{ protocol: 'TCP', port: 5432 }]);
    });

    test('ports option restricts the call to some ports', () => {
      const { chart, prod } = setup();
      const a = new MeshService(chart, 'a', { namespace: prod, image: 'ghcr.io/acme/a:1', port: 8080 });
      const b = new MeshService(chart, 'b', { namespace: prod, image: 'ghcr.io/acme/b:1', ports: [{ port: 8080 }, { port: 9000, protocol: AppProtocol.TCP }] });
      b.allowFrom(a, { ports: [9000] });
      const manifests = synthValid(chart);
      const cluster = new Cluster(manifests);
      expect(cluster.allows(cluster.pod('production', 'a'), cluster.pod('production', 'b'), { port: 9000 })).toBe(true);
      expect(cluster.allows(cluster.pod('production', 'a'), cluster.pod('production', 'b'), { port: 8080, method: 'GET', path: '/' })).toBe(false);
    });

    test('trust domain flows into every principal', () => {
      const app = Testing.app();
      new IntentGraph(app, 'IntentGraph', { trustDomain: 'example.org' });
      const chart = new Chart(app, 'test');
      const ns = new ZeroTrustNamespace(chart, 'ns');
      const a = new MeshService(chart, 'a', { namespace: ns, image: 'ghcr.io/acme/a:1', port: 8080 });
      const b = new MeshService(chart, 'b', { namespace: ns, image: 'ghcr.io/acme/b:1', port: 8080 });
      b.allowFrom(a);
      expect(find(synthValid(chart), 'AuthorizationPolicy', 'b').spec.rules[0].from[0].source.principals).toEqual(['example.org/ns/ns/sa/a']);
      expect(a.spiffeId).toBe('spiffe://example.org/ns/ns/sa/a');
    });

    test('ambient callee: HBONE 15008 is opened with the app port, L4 AuthorizationPolicy', () => {
      const chart = Testing.chart();
      const amb = new ZeroTrustNamespace(chart, 'amb', { meshMode: MeshMode.AMBIENT });
      const a = new MeshService(chart, 'a', { namespace: amb, image: 'ghcr.io/acme/a:1', port: 8080 });
      const b = new MeshService(chart, 'b', { namespace: amb, image: 'ghcr.io/acme/b:1', port: 8080 });
      b.allowFrom(a);
      const manifests = synthValid(chart);
      expect(find(manifests, 'NetworkPolicy', 'b-ingress').spec.ingress[0].ports).toEqual([{ protocol: 'TCP', port: 8080 }, { protocol: 'TCP', port: 15008 }]);
      expect(find(manifests, 'NetworkPolicy', 'a-egress').spec.egress[0].ports).toEqual([{ protocol: 'TCP', port: 8080 }, { protocol: 'TCP', port: 15008 }]);
      expect(find(manifests, 'AuthorizationPolicy', 'b').spec.rules[0].to).toEqual([{ operation: { ports: ['8080'] } }]);
    });
  });

  test('escape hatches: deployment, service, serviceAccount and JSON patches', () => {
    const { chart, prod } = setup();
    const svc = new MeshService(chart, 'orders', { namespace: prod, image: 'ghcr.io/acme/orders:1', port: 8080 });
    ApiObject.of(svc.deployment).addJsonPatch(JsonPatch.add('/spec/template/spec/priorityClassName', 'critical'));
    const deployment = find(synthValid(chart), 'Deployment', 'orders');
    expect(deployment.spec.template.spec.priorityClassName).toBe('critical');
    expect(svc.service.name).toBe('orders');
    expect(svc.serviceAccount.name).toBe('orders');
    expect(svc.host).toBe('orders.production.svc.cluster.local');
  });

  test('automountServiceAccountToken: true is the explicit opt-in, on the ServiceAccount and the pod', () => {
    const { chart, prod } = setup();
    new MeshService(chart, 'orders', { namespace: prod, image: 'ghcr.io/acme/orders:1', port: 8080, automountServiceAccountToken: true });
    const manifests = synthValid(chart);
    expect(find(manifests, 'ServiceAccount', 'orders', 'production').automountServiceAccountToken).toBe(true);
    expect(find(manifests, 'Deployment', 'orders', 'production').spec.template.spec.automountServiceAccountToken).toBe(true);
  });

  test('workloadObject is the Deployment (the object other layers amend: SPIRE, Vault injection)', () => {
    const { chart, prod } = setup();
    const svc = new MeshService(chart, 'orders', { namespace: prod, image: 'ghcr.io/acme/orders:1', port: 8080 });
    expect(svc.workloadObject).toBe(ApiObject.of(svc.deployment));
    expect(svc.workloadObject.kind).toBe('Deployment');
  });

  test('a workloads layer scope holds the objects of same-named services of two namespaces, apart', () => {
    const app = Testing.app();
    const workloads = new Chart(app, 'workloads');
    new IntentGraph(app, 'IntentGraph', { layers: { workloads } });
    const chart = new Chart(app, 'apps');
    for (const ns of ['web', 'shop']) {
      new MeshService(chart, `orders-${ns}`, { namespace: new ZeroTrustNamespace(chart, ns), name: 'orders', image: 'ghcr.io/acme/orders:1', port: 8080 });
    }
    expect(workloads.node.children.map(c => c.node.id).sort()).toEqual([
      'shop-orders-Deployment', 'shop-orders-Service', 'shop-orders-ServiceAccount',
      'web-orders-Deployment', 'web-orders-Service', 'web-orders-ServiceAccount',
    ]);
    const placed = Testing.synth(workloads).map(m => `${m.kind} ${m.metadata.namespace}/${m.metadata.name}`).sort();
    expect(placed).toEqual([
      'Deployment shop/orders', 'Deployment web/orders', 'Service shop/orders', 'Service web/orders',
      'ServiceAccount shop/orders', 'ServiceAccount web/orders',
    ]);
  });

  describe('fails on bad input, naming the path, prop, value and what is allowed', () => {
    const image = 'ghcr.io/acme/x:1';

    test.each([undefined, null, 'orders', []])('throws on props that are not an object: %p', props => {
      expect(() => new MeshService(Testing.chart(), 'x', props as any))
        .toThrow(/^\[test\/x\] invalid props .*: must be a MeshServiceProps object, got .*; see MeshService props in the API reference/);
    });

    test('throws without a ZeroTrustNamespace', () => {
      const chart = Testing.chart();
      expect(() => new MeshService(chart, 'x', { namespace: undefined as any, image, port: 8080 }))
        .toThrow(/^\[test\/x\] invalid namespace undefined: must be a ZeroTrustNamespace \(new ZeroTrustNamespace\(...\)\), got undefined/);
      const plain = new Chart(Testing.app(), 'other');
      expect(() => new MeshService(chart, 'y', { namespace: plain as any, image, port: 8080 }))
        .toThrow(/\[test\/y\] invalid namespace construct other: must be a ZeroTrustNamespace/);
    });

    test('throws on a name that is not a DNS-1035 label', () => {
      const { chart, prod } = setup();
      expect(() => new MeshService(chart, 'x', { namespace: prod, name: '1orders', image, port: 8080 }))
        .toThrow(/\[test\/x\] invalid name "1orders": must be a DNS-1035 label/);
    });

    test('throws on bad ports', () => {
      const { chart, prod } = setup();
      expect(() => new MeshService(chart, 'a', { namespace: prod, image, port: 70000 })).toThrow(/\[test\/a\] invalid port 70000: must be an integer between 1 and 65535/);
      expect(() => new MeshService(chart, 'b', { namespace: prod, image, port: 15006 })).toThrow(/\[test\/b\] invalid port 15006: is reserved by the Istio sidecar/);
      expect(() => new MeshService(chart, 'c', { namespace: prod, image })).toThrow(/\[test\/c\] invalid port undefined: a MeshService needs a port/);
      expect(() => new MeshService(chart, 'd', { namespace: prod, image, port: 80, ports: [{ port: 81 }] })).toThrow(/\[test\/d\] invalid port 80: cannot be combined with `ports`/);
      expect(() => new MeshService(chart, 'e', { namespace: prod, image, ports: [{ port: 81 }, { port: 81 }] })).toThrow(/\[test\/e\] invalid ports 81: is listed twice/);
    });

    test('throws when running as root or as the Istio proxy user', () => {
      const { chart, prod } = setup();
      expect(() => new MeshService(chart, 'a', { namespace: prod, image, port: 8080, user: 0 })).toThrow(/\[test\/a\] invalid user 0: .*0 is root/);
      expect(() => new MeshService(chart, 'b', { namespace: prod, image, port: 8080, user: 1337 })).toThrow(/\[test\/b\] invalid user 1337: must not be 1337/);
    });

    test('throws on a bad image or health check path', () => {
      const { chart, prod } = setup();
      expect(() => new MeshService(chart, 'a', { namespace: prod, image: 'my image', port: 8080 })).toThrow(/\[test\/a\] invalid image "my image"/);
      expect(() => new MeshService(chart, 'b', { namespace: prod, image, port: 8080, healthCheckPath: 'healthz' })).toThrow(/\[test\/b\] invalid healthCheckPath "healthz"/);
      // a wrong type from JavaScript or another jsii language: the same clear error, no TypeError
      expect(() => new MeshService(chart, 'd', { namespace: prod, image, port: 8080, healthCheckPath: 42 as any }))
        .toThrow(/^\[test\/d\] invalid healthCheckPath 42: must be a string or undefined, got number/);
      expect(() => new MeshService(chart, 'e', { namespace: prod, image, port: 8080, healthCheckPath: '/../admin' })).toThrow(/\[test\/e\] invalid healthCheckPath/);
      expect(() => new MeshService(chart, 'f', { namespace: prod, image, port: 8080, healthCheckPath: '/h\u0000' })).toThrow(/\[test\/f\] invalid healthCheckPath/);
      expect(() => new MeshService(chart, 'g', { namespace: prod, image, ports: 8080 as any })).toThrow(/^\[test\/g\] invalid ports 8080: must be an array of WorkloadPort objects/);
      expect(() => new MeshService(chart, 'c', { namespace: prod, image, port: 5432, protocol: AppProtocol.TCP, healthCheckPath: '/h' })).toThrow(/needs an HTTP port/);
    });

    test('throws when two services share a name or an identity in a namespace', () => {
      const { chart, prod } = setup();
      new MeshService(chart, 'a', { namespace: prod, image, port: 8080 });
      expect(() => new MeshService(chart, 'a2', { namespace: prod, name: 'a', image, port: 8080 }))
        .toThrow(/\[test\/a2\] invalid name "a": test\/a already defines a workload with this name in namespace production/);
      expect(() => new MeshService(chart, 'b', { namespace: prod, image, port: 8080, serviceAccountName: 'a' }))
        .toThrow(/\[test\/b\] invalid serviceAccountName "a": test\/a already runs as this ServiceAccount/);
    });

    test('throws when a service allows itself', () => {
      const { chart, prod } = setup();
      const a = new MeshService(chart, 'a', { namespace: prod, image, port: 8080 });
      expect(() => a.allowFrom(a)).toThrow(/\[test\/a\] invalid caller "test\/a": a workload cannot allow calls from itself/);
    });

    test('throws on bad methods, paths and ports in allowFrom', () => {
      const { chart, prod } = setup();
      const a = new MeshService(chart, 'a', { namespace: prod, image, port: 8080 });
      const b = new MeshService(chart, 'b', { namespace: prod, image, port: 8080 });
      expect(() => b.allowFrom(a, { methods: ['get'] })).toThrow(/\[test\/b\] invalid methods "get": must be one of CONNECT, DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT, TRACE \(upper case\)/);
      expect(() => b.allowFrom(a, { methods: [] })).toThrow(/invalid methods \[\]: must not be empty/);
      expect(() => b.allowFrom(a, { paths: ['api/orders'] })).toThrow(/\[test\/b\] invalid paths "api\/orders": must be an Istio path/);
      expect(() => b.allowFrom(a, { paths: ['/api/*/items'] })).toThrow(/invalid paths "\/api\/\*\/items"/);
      expect(() => b.allowFrom(a, { paths: ['/a?b=1'] })).toThrow(/invalid paths "\/a\?b=1"/);
      expect(() => b.allowFrom(a, { paths: ['/{**}/x'] })).toThrow(/invalid paths "\/\{\*\*\}\/x"/);
      expect(() => b.allowFrom(a, { paths: ['*'] })).toThrow(/invalid paths "\*".*leave paths out to allow any path/);
      expect(() => b.allowFrom(a, { ports: [9090] })).toThrow(/\[test\/b\] invalid ports 9090: production\/b listens on 8080 only/);
      expect(() => b.allowFrom(a, { ports: [] })).toThrow(/invalid ports \[\]: must name at least one port/);
      // valid forms are accepted
      b.allowFrom(a, { paths: ['/api/{*}/items', '/static/{**}', '*.json', '/exact'] });
    });

    test('throws on methods or paths for a TCP port', () => {
      const { chart, prod } = setup();
      const a = new MeshService(chart, 'a', { namespace: prod, image, port: 8080 });
      const db = new MeshService(chart, 'db', { namespace: prod, image, port: 5432, protocol: AppProtocol.TCP });
      expect(() => db.allowFrom(a, { methods: ['GET'] }))
        .toThrow(/\[test\/db\] invalid methods\/paths .*port 5432 of production\/db is plain TCP.*drop methods and paths for TCP/);
    });

    test('throws on L7 rules for an ambient callee without waypoints (ztunnel would drop all traffic)', () => {
      const chart = Testing.chart();
      const amb = new ZeroTrustNamespace(chart, 'amb', { meshMode: MeshMode.AMBIENT, waypoint: WaypointScope.NONE });
      const a = new MeshService(chart, 'a', { namespace: amb, image, port: 8080 });
      const b = new MeshService(chart, 'b', { namespace: amb, image, port: 8080 });
      expect(() => b.allowFrom(a, { paths: ['/x'] })).toThrow(/\[test\/b\] invalid methods\/paths .*ambient mode.*drops all traffic/);
    });

    test('throws on a caller from another app', () => {
      const { chart, prod } = setup();
      const b = new MeshService(chart, 'b', { namespace: prod, image, port: 8080 });
      const other = Testing.chart();
      const ns = new ZeroTrustNamespace(other, 'production');
      const foreign = new MeshService(other, 'a', { namespace: ns, image, port: 8080 });
      expect(() => b.allowFrom(foreign)).toThrow(/\[test\/b\] invalid caller "test\/a": must be a workload of this app's intent graph/);
    });
  });
});
