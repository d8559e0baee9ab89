import { Chart, Testing } from 'cdk8s';
import { AppProtocol, CiliumWorkloadPolicy, HttpEnforcement, IntentGraph, MeshMode, MeshService, RemoteWorkload, ZeroTrustNamespace } from '../../src';
import { Cluster, Pod } from '../support/reachability';
import { find, synthValid } from '../support/synth';

function setup(meshMode = MeshMode.SIDECAR) {
  const app = Testing.app();
  new IntentGraph(app, 'IntentGraph', { trustDomain: 'a.example.org' });
  const chart = new Chart(app, 'c');
  const shop = new ZeroTrustNamespace(chart, 'shop', { meshMode });
  const orders = new MeshService(chart, 'orders', { namespace: shop, image: 'ghcr.io/acme/orders:1', port: 8080 });
  const db = new MeshService(chart, 'db', { namespace: shop, image: 'ghcr.io/acme/db:1', ports: [{ port: 5432, protocol: AppProtocol.TCP }] });
  return { app, chart, orders, db };
}
const GATEWAY_PATH = { gatewayNamespace: 'istio-system', gatewayPodLabels: { istio: 'eastwestgateway' } };
const GATEWAY: Pod = { namespace: 'istio-system', name: 'eastwest', labels: { istio: 'eastwestgateway' }, serviceAccount: 'istio-eastwestgateway' };

describe('RemoteWorkload', () => {
  test('a remote caller through a gateway: the callee admits its principal, and the gateway pods on the port (HBONE too in ambient)', () => {
    const { chart, orders } = setup(MeshMode.AMBIENT);
    const billing = new RemoteWorkload(chart, 'billing', { spiffeId: 'spiffe://b.example.org/ns/billing/sa/billing', path: GATEWAY_PATH });
    const call = billing.mayCall(orders);
    expect(billing.mayCall(orders)).toBe(call);
    expect(call.key).toBe('spiffe://b.example.org/ns/billing/sa/billing -> shop/orders:8080');
    expect(billing.principal).toBe('b.example.org/ns/billing/sa/billing');
    const manifests = synthValid(chart);
    expect(find(manifests, 'NetworkPolicy', 'orders-ingress').spec.ingress).toEqual([{
      from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'istio-system' } }, podSelector: { matchLabels: { istio: 'eastwestgateway' } } }],
      ports: [{ protocol: 'TCP', port: 8080 }, { protocol: 'TCP', port: 15008 }],
    }]);
    expect(find(manifests, 'AuthorizationPolicy', 'orders').spec.rules).toEqual([
      { from: [{ source: { principals: ['b.example.org/ns/billing/sa/billing'] } }], to: [{ operation: { ports: ['8080'] } }] },
    ]);
    const cluster = new Cluster(manifests, 'a.example.org');
    const pod = cluster.pod('shop', 'orders');
    const remote: Pod = { namespace: 'billing', name: 'billing', labels: {}, serviceAccount: 'billing', trustDomain: 'b.example.org' };
    expect(cluster.meshAllows(remote, pod, { port: 8080 })).toBe(true);
    expect(cluster.meshAllows({ ...remote, serviceAccount: 'other' }, pod, { port: 8080 })).toBe(false);
    expect(cluster.networkPolicies.admits('Ingress', pod, GATEWAY, 8080, 'TCP').allowed).toBe(true);
    expect(cluster.networkPolicies.admits('Ingress', pod, { ...GATEWAY, labels: { istio: 'ingressgateway' } }, 8080, 'TCP').allowed).toBe(false);
  });

  test('a remote caller from declared addresses (flat network): the callee admits exactly those addresses', () => {
    const { chart, db } = setup();
    new RemoteWorkload(chart, 'etl', { spiffeId: 'spiffe://b.example.org/ns/etl/sa/etl', path: { sourceCidrs: ['10.20.0.0/16'] } }).mayCall(db);
    const manifests = synthValid(chart);
    const cluster = new Cluster(manifests, 'a.example.org');
    expect(cluster.networkAllowsFromIp('10.20.3.4', cluster.pod('shop', 'db'), 5432)).toBe(true);
    expect(cluster.networkAllowsFromIp('10.21.3.4', cluster.pod('shop', 'db'), 5432)).toBe(false);
  });

  test('a local caller of a remote workload: egress to the remote gateway address on its port only, methods and paths kept for the remote side', () => {
    const { app, chart, orders } = setup();
    const ledger = new RemoteWorkload(chart, 'ledger', {
      spiffeId: 'spiffe://b.example.org/ns/ledger/sa/ledger', ports: [{ port: 8443 }], path: { remoteCidrs: ['198.51.100.20/32'], remotePort: 15443 },
    });
    const call = ledger.allowFrom(orders, { methods: ['POST'], paths: ['/entries'] });
    expect([call.methods, call.paths, call.inbound]).toEqual([['POST'], ['/entries'], false]);
    expect(RemoteWorkload.callsOf(app)).toEqual([call]);
    const manifests = synthValid(chart);
    const cluster = new Cluster(manifests, 'a.example.org');
    const pod = cluster.pod('shop', 'orders');
    expect(cluster.networkAllowsToIp(pod, '198.51.100.20', 15443)).toBe(true);
    expect(cluster.networkAllowsToIp(pod, '198.51.100.20', 8443)).toBe(false);
    expect(cluster.networkAllowsToIp(pod, '198.51.100.21', 15443)).toBe(false);
  });

  describe('bad input', () => {
    test.each([
      ['spiffe://b.example.org/billing', /invalid spiffeId "spiffe:\/\/b.example.org\/billing": must be an Istio workload SPIFFE ID/],
      ['spiffe://B.example.org/ns/billing/sa/billing', /invalid spiffeId "B.example.org": must be a SPIFFE trust domain/],
      ['spiffe://b.example.org/ns/Billing/sa/billing', /invalid spiffeId \(namespace\) "Billing": must be a DNS-1123 label/],
      ['spiffe://a.example.org/ns/billing/sa/billing', /is in this cluster's trust domain a.example.org/],
      ['https://b.example.org/ns/billing/sa/billing', /must be an Istio workload SPIFFE ID/],
    ])('throws on the SPIFFE ID %s', (spiffeId, message) => {
      const { chart } = setup();
      expect(() => new RemoteWorkload(chart, 'r', { spiffeId, path: GATEWAY_PATH })).toThrow(message);
    });
    test.each([
      [{ remoteCidrs: ['0.0.0.0/0'] }, /invalid path.remoteCidrs\[0\] "0.0.0.0\/0": must be an IPv4 or IPv6 CIDR with no host bits set of IPv4 \/8 to \/32 or IPv6 \/16 to \/128/],
      [{ remoteCidrs: ['198.51.100.20'] }, /invalid path.remoteCidrs\[0\] "198.51.100.20"/],
      [{ gatewayNamespace: 'istio-system' }, /invalid path.gatewayPodLabels undefined: must select the gateway's pods/],
      [{ ...GATEWAY_PATH, sourceCidrs: ['10.0.0.0/8'] }, /invalid path.sourceCidrs .*: cannot be combined with a gateway/],
      [{ remotePort: 0, remoteCidrs: ['198.51.100.20/32'] }, /invalid path.remotePort 0: must be an integer between 1 and 65535/],
    ])('throws on the bad path %#', (path, message) => {
      const { chart } = setup();
      expect(() => new RemoteWorkload(chart, 'r', { spiffeId: 'spiffe://b.example.org/ns/r/sa/r', ports: [{ port: 80 }], path })).toThrow(new RegExp(`^\\[c/r\\] ${message.source}`));
    });
    test('fails at synthesis when Cilium, which sees no principal, enforces the callee\'s HTTP rules', () => {
      const { chart, orders } = setup();
      new RemoteWorkload(chart, 'billing', { spiffeId: 'spiffe://b.example.org/ns/billing/sa/billing', path: GATEWAY_PATH }).mayCall(orders);
      new CiliumWorkloadPolicy(chart, 'orders-cilium', { workload: orders, httpEnforcement: HttpEnforcement.CILIUM });
      expect(() => Testing.synth(chart)).toThrow(/invalid remote caller "spiffe:\/\/b.example.org\/ns\/billing\/sa\/billing": .* Cilium enforces L7 for it/);
    });
    test('throws on calls the path or ports cannot carry', () => {
      const { chart, orders, db } = setup();
      const inOnly = new RemoteWorkload(chart, 'in', { spiffeId: 'spiffe://b.example.org/ns/in/sa/in', path: GATEWAY_PATH });
      expect(() => inOnly.allowFrom(orders)).toThrow(/^\[c\/in\] invalid path.remoteCidrs \[\]: must name where this cluster reaches the remote workload/);
      const outOnly = new RemoteWorkload(chart, 'out', { spiffeId: 'spiffe://b.example.org/ns/out/sa/out', ports: [{ port: 80 }], path: { remoteCidrs: ['198.51.100.20/32'] } });
      expect(() => outOnly.mayCall(orders)).toThrow(/^\[c\/out\] invalid path .*says neither which gateway/);
      expect(() => inOnly.mayCall(orders, { ports: [9090] })).toThrow(/invalid ports 9090: shop\/orders listens on 8080 only/);
      expect(() => inOnly.mayCall(db, { methods: ['GET'] })).toThrow(/port 5432 of shop\/db is plain TCP/);
      expect(() => inOnly.mayCall(orders, { methods: ['get'] })).toThrow(/invalid methods "get": must be one of/);
      expect(() => inOnly.mayCall(orders, { requireHeaders: { 'x-tenant': 'a' } })).toThrow(/are not supported on calls across clusters/);
      expect(() => new RemoteWorkload(chart, 'in2', { spiffeId: 'spiffe://b.example.org/ns/in/sa/in', path: GATEWAY_PATH })).toThrow(/c\/in already declares this remote workload/);
    });
  });
});
