import { Chart, Testing } from 'cdk8s';
import { AppProtocol, CiliumWorkloadPolicy, IntentGraph, MeshMode, MeshService, ZeroTrustNamespace } from '../../src';
import { IANA_NON_PUBLIC_IPV4, IANA_NON_PUBLIC_IPV6, NON_PUBLIC_SAMPLES, PUBLIC_SAMPLES } from '../support/iana-ranges';
import { Cluster } from '../support/reachability';
import { find, ofKind, synthValid } from '../support/synth';

function setup() {
  const app = Testing.app();
  const chart = new Chart(app, 'egress-test');
  const production = new ZeroTrustNamespace(chart, 'production');
  const data = new ZeroTrustNamespace(chart, 'data');
  const payments = new MeshService(chart, 'payment-service', { namespace: production, image: 'ghcr.io/acme/payments:1.0.0', port: 8080 });
  const orders = new MeshService(chart, 'order-service', { namespace: production, image: 'ghcr.io/acme/orders:1.0.0', port: 8080 });
  const database = new MeshService(chart, 'database', { namespace: data, image: 'postgres:16', port: 5432, protocol: AppProtocol.TCP });
  database.allowFrom(payments);
  return { app, chart, production, payments, orders, database };
}

describe('MeshService.allowEgressTo', () => {
  test('snapshot: ServiceEntry, Sidecar and NetworkPolicy', () => {
    const { chart, payments } = setup();
    payments.allowEgressTo('api.stripe.com', { port: 443 });
    expect(synthValid(chart).filter(m => ['ServiceEntry', 'Sidecar'].includes(m.kind) || m.metadata.name.endsWith('external-egress'))).toMatchSnapshot();
  });

  test('mesh: a MESH_EXTERNAL ServiceEntry visible in the namespace only, and a REGISTRY_ONLY Sidecar with exactly the declared hosts', () => {
    const { chart, payments } = setup();
    const egress = payments.allowEgressTo('api.stripe.com', { port: 443 });
    expect(egress.key).toBe('production/payment-service -> api.stripe.com:443');
    const manifests = synthValid(chart);
    expect(find(manifests, 'ServiceEntry', 'api.stripe.com', 'production').spec).toEqual({
      hosts: ['api.stripe.com'],
      exportTo: ['.'],
      location: 'MESH_EXTERNAL',
      resolution: 'DNS',
      ports: [{ number: 443, name: 'tls-443', protocol: 'TLS' }],
    });
    expect(find(manifests, 'Sidecar', 'payment-service', 'production').spec).toEqual({
      workloadSelector: { labels: { 'app.kubernetes.io/name': 'payment-service' } },
      // the declared callee stays reachable: a Sidecar's egress hosts are all the proxy knows
      egress: [{ hosts: ['./api.stripe.com', 'data/database.data.svc.cluster.local', 'istio-system/*'] }],
      outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' },
    });
    // the entry is visible namespace-wide: the namespace's default Sidecar hides it from the other workloads
    expect(find(manifests, 'Sidecar', 'default', 'production').spec).toEqual({
      egress: [{ hosts: ['istio-system/*'] }],
      outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' },
    });
  });

  test('the namespace default Sidecar keeps the other workloads\' declared callees visible', () => {
    const { chart, payments, orders } = setup();
    payments.allowEgressTo('api.stripe.com');
    payments.allowFrom(orders, { methods: ['POST'], paths: ['/api/v1/charge'] });
    const manifests = synthValid(chart);
    expect(find(manifests, 'Sidecar', 'default', 'production').spec.egress).toEqual([
      { hosts: ['istio-system/*', 'production/payment-service.production.svc.cluster.local'] },
    ]);
  });

  test('network: the port on public addresses only (no private, link-local or metadata ranges)', () => {
    const { chart, payments } = setup();
    payments.allowEgressTo('api.stripe.com');
    const policy = find(synthValid(chart), 'NetworkPolicy', 'payment-service-external-egress', 'production');
    expect(policy.spec).toEqual({
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'payment-service' } },
      policyTypes: ['Egress'],
      egress: [{
        to: [
          { ipBlock: { cidr: '0.0.0.0/0', except: IANA_NON_PUBLIC_IPV4 } },
          { ipBlock: { cidr: '::/0', except: IANA_NON_PUBLIC_IPV6 } },
        ],
        ports: [{ protocol: 'TCP', port: 443 }],
      }],
    });
  });

  test('evaluated: only the declared destination is reachable, at the network and mesh layers', () => {
    const { chart, payments } = setup();
    payments.allowEgressTo('api.stripe.com', { port: 443 });
    const c = new Cluster(synthValid(chart));
    const pay = c.pod('production', 'payment-service');
    const orders = c.pod('production', 'order-service');
    // network (addresses): public 443 only
    expect(c.networkAllowsToIp(pay, '34.200.1.1', 443)).toBe(true);
    expect(c.networkAllowsToIp(pay, '34.200.1.1', 80)).toBe(false);
    expect(c.networkAllowsToIp(pay, '10.12.0.5', 443)).toBe(false);
    expect(c.networkAllowsToIp(pay, '169.254.169.254', 443)).toBe(false);
    expect(c.networkAllowsToIp(pay, '192.168.1.1', 443)).toBe(false);
    for (const address of NON_PUBLIC_SAMPLES) expect([address, c.networkAllowsToIp(pay, address, 443)]).toEqual([address, false]);
    for (const address of PUBLIC_SAMPLES) expect([address, c.networkAllowsToIp(pay, address, 443)]).toEqual([address, true]);
    expect(c.networkAllowsToIp(orders, '34.200.1.1', 443)).toBe(false);
    // mesh (names): the declared host and port only, even with the mesh default ALLOW_ANY
    expect(c.meshAllowsExternal(pay, 'api.stripe.com', 443)).toBe(true);
    expect(c.meshAllowsExternal(pay, 'api.stripe.com', 80)).toBe(false);
    expect(c.meshAllowsExternal(pay, 'evil.example.com', 443)).toBe(false);
    // the namespace's other workloads: their sidecars do not see the entry, whatever the mesh default
    expect(c.meshAllowsExternal(orders, 'api.stripe.com', 443, 'ALLOW_ANY')).toBe(false);
    expect(c.meshAllowsExternal(orders, 'evil.example.com', 443, 'ALLOW_ANY')).toBe(false);
    expect(c.networkAllows(pay, c.pod('data', 'database'), 5432)).toBe(true);
  });

  test('the graph records the egress; a second call changes nothing; ports accumulate per host', () => {
    const { chart, payments, orders } = setup();
    const first = payments.allowEgressTo('api.stripe.com');
    expect(payments.allowEgressTo('api.stripe.com', { port: 443 })).toBe(first);
    orders.allowEgressTo('api.stripe.com', { port: 8443 });
    const graph = IntentGraph.of(chart);
    expect(graph.egress.map(e => e.key)).toEqual(['production/order-service -> api.stripe.com:8443', 'production/payment-service -> api.stripe.com:443']);
    expect(graph.allowsEgress(payments, 'api.stripe.com', 443)).toBe(true);
    expect(graph.allowsEgress(payments, 'api.stripe.com', 8443)).toBe(false);
    expect(graph.toJson().egress).toEqual([
      { from: 'production/order-service', host: 'api.stripe.com', port: 8443 },
      { from: 'production/payment-service', host: 'api.stripe.com', port: 443 },
    ]);
    const manifests = synthValid(chart);
    expect(ofKind(manifests, 'ServiceEntry')).toHaveLength(1);
    expect(find(manifests, 'ServiceEntry', 'api.stripe.com').spec.ports).toEqual([
      { number: 443, name: 'tls-443', protocol: 'TLS' }, { number: 8443, name: 'tls-8443', protocol: 'TLS' },
    ]);
  });

  test('port 80 is declared to the mesh as HTTP', () => {
    const { chart, payments } = setup();
    payments.allowEgressTo('status.example.com', { port: 80 });
    expect(find(synthValid(chart), 'ServiceEntry', 'status.example.com').spec.ports).toEqual([{ number: 80, name: 'http-80', protocol: 'HTTP' }]);
  });

  test('ServiceEntry ports: the declared ports of that host in that namespace only', () => {
    const { chart, payments, database } = setup();
    payments.allowEgressTo('api.stripe.com');
    payments.allowEgressTo('hooks.slack.com', { port: 8443 });
    database.allowEgressTo('api.stripe.com', { port: 9443 });
    const manifests = synthValid(chart);
    expect(find(manifests, 'ServiceEntry', 'api.stripe.com', 'production').spec.ports).toEqual([{ number: 443, name: 'tls-443', protocol: 'TLS' }]);
    expect(find(manifests, 'ServiceEntry', 'hooks.slack.com', 'production').spec.ports).toEqual([{ number: 8443, name: 'tls-8443', protocol: 'TLS' }]);
    expect(find(manifests, 'ServiceEntry', 'api.stripe.com', 'data').spec.ports).toEqual([{ number: 9443, name: 'tls-9443', protocol: 'TLS' }]);
  });

  test('Sidecars keep the declared platform endpoints (Vault) visible; the namespace default Sidecar lists this namespace\'s workloads only', () => {
    const { chart, payments, orders, database } = setup();
    const graph = IntentGraph.of(chart);
    graph.declarePlatformEndpoint(payments, { namespace: 'vault', host: 'vault.vault.svc.cluster.local', port: 8200 });
    graph.declarePlatformEndpoint(orders, { namespace: 'vault', host: 'vault.vault.svc.cluster.local', port: 8200 });
    // a workload of another namespace, with a platform endpoint and a call: not this namespace's business
    graph.declarePlatformEndpoint(database, { namespace: 'cache', host: 'redis.cache.svc.cluster.local', port: 6379 });
    payments.allowFrom(database);
    payments.allowEgressTo('api.stripe.com');
    const manifests = synthValid(chart);
    expect(find(manifests, 'Sidecar', 'payment-service', 'production').spec.egress).toEqual([
      { hosts: ['./api.stripe.com', 'data/database.data.svc.cluster.local', 'istio-system/*', 'vault/vault.vault.svc.cluster.local'] },
    ]);
    expect(find(manifests, 'Sidecar', 'default', 'production').spec.egress).toEqual([
      { hosts: ['istio-system/*', 'vault/vault.vault.svc.cluster.local'] },
    ]);
  });

  test('an edge layer scope holds each workload\'s Sidecar and NetworkPolicy, also for same-named workloads of two namespaces', () => {
    const app = Testing.app();
    const edge = new Chart(app, 'edge');
    new IntentGraph(app, 'IntentGraph', { layers: { edge } });
    const chart = new Chart(app, 'apps');
    const [nsA, nsB] = ['a', 'b'].map(ns => new ZeroTrustNamespace(chart, ns));
    const [a, b] = [nsA, nsB].map(namespace => new MeshService(chart, `api-${namespace.node.id}`, { namespace, name: 'api', image: 'ghcr.io/acme/api:1', port: 8080 }));
    const c = new MeshService(chart, 'other', { namespace: nsA, image: 'ghcr.io/acme/api:1', port: 8080 });
    for (const w of [a, b, c]) w.allowEgressTo('api.stripe.com');
    // Cilium enforces c by name: its ipBlock policy leaves the edge scope, the others stay
    new CiliumWorkloadPolicy(chart, 'other-cilium', { workload: c });
    const placed = Testing.synth(edge).map(m => `${m.kind} ${m.metadata.namespace}/${m.metadata.name}`).sort();
    expect(placed).toEqual([
      'CiliumNetworkPolicy a/other-cilium',
      'NetworkPolicy a/api-external-egress', 'NetworkPolicy b/api-external-egress',
      'ServiceEntry a/api.stripe.com', 'ServiceEntry b/api.stripe.com',
      'Sidecar a/api', 'Sidecar a/default', 'Sidecar a/other', 'Sidecar b/api', 'Sidecar b/default',
    ]);
  });

  describe('bad input', () => {
    const cases: Array<[string, string, RegExp]> = [
      ['wildcard pattern', '*.stripe.com', /wildcard patterns are not allowed/],
      ['private IP address', '10.0.0.1', /IP addresses are not allowed/],
      ['IPv6 address', 'fd00::1', /IP addresses are not allowed/],
      ['localhost', 'localhost', /names a destination inside the cluster or the private network/],
      ['cluster service name', 'database.data.svc.cluster.local', /names a destination inside the cluster/],
      ['wildcard cluster name', '*.svc.cluster.local', /wildcard patterns are not allowed/],
      ['service.namespace name', 'database.data', /names a destination inside the cluster/],
      ['internal suffix', 'metadata.google.internal', /names a destination inside the cluster/],
      ['single label', 'stripe', /names a destination inside the cluster/],
      ['scheme', 'https://api.stripe.com', /must be an exact, fully qualified public DNS name/],
      ['upper case', 'API.stripe.com', /must be an exact, fully qualified public DNS name/],
      ['trailing dot', 'api.stripe.com.', /must be an exact, fully qualified public DNS name/],
      ['bad label', 'api-.stripe.com', /must be an exact, fully qualified public DNS name/],
      ['empty', '', /must be an exact, fully qualified public DNS name/],
    ];
    test.each(cases)('%s', (_name, host, message) => {
      const { payments } = setup();
      const shown = JSON.stringify(host).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      expect(() => payments.allowEgressTo(host)).toThrow(new RegExp(`^\\[egress-test/payment-service\\] invalid host ${shown}: `));
      expect(() => payments.allowEgressTo(host)).toThrow(message);
    });

    test('port out of range', () => {
      const { payments } = setup();
      expect(() => payments.allowEgressTo('api.stripe.com', { port: 70000 })).toThrow(/^\[egress-test\/payment-service\] invalid port 70000: must be an integer between 1 and 65535/);
    });

    test('ambient namespace (no Sidecar resource there)', () => {
      const app = Testing.app();
      const chart = new Chart(app, 'c');
      const ns = new ZeroTrustNamespace(chart, 'amb', { meshMode: MeshMode.AMBIENT });
      const svc = new MeshService(chart, 'svc', { namespace: ns, image: 'ghcr.io/a/s:1', port: 8080 });
      expect(() => svc.allowEgressTo('api.stripe.com')).toThrow('[c/svc] invalid host "api.stripe.com": namespace amb is in ambient mode, where Sidecar resources do not apply, '
        + 'so the mesh could not restrict this egress; use MeshMode.SIDECAR for workloads that call out of the cluster');
    });
  });
});
