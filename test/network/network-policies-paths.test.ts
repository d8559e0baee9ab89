import { ApiObject, Chart, Testing } from 'cdk8s';
import { Construct } from 'constructs';
import {
  AdoptedWorkload, CiliumWorkloadPolicy, EffectCheck, EnforcementPoints, HttpEnforcement, IntentGraph, MeshMode, MeshService,
  RemoteWorkload, Rollout, WaypointScope, ZeroTrustNamespace,
} from '../../src';
import { ensureAuditNetworkPolicy, ensureIngressPolicy, ensureWaypointNetworkPolicy, podPeer } from '../../src/network/_network-policies';
import { Cluster } from '../support/reachability';
import { find, ofKind, synthValid } from '../support/synth';

// The NetworkPolicies of the paths the rule-grouping tests do not take: waypoints, Cilium-enforced
// callees, remote workloads without a gateway port, audit rollouts, and layer scopes.

const IMAGE = 'ghcr.io/acme/app:1.0.0';
const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'cdk8s-zero-trust' };
const tcp = (...ports: number[]) => ports.map(port => ({ protocol: 'TCP', port }));
const peer = (namespace: string, labels: Record<string, string>) => ({
  namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } },
  podSelector: { matchLabels: labels },
});
const named = (namespace: string, name: string) => peer(namespace, { 'app.kubernetes.io/name': name });
const gateway = (namespace: string, name: string) => peer(namespace, { 'gateway.networking.k8s.io/gateway-name': name });
const ISTIOD = peer('istio-system', { istio: 'pilot' });

/** An ambient namespace behind a namespace waypoint, and a sidecar caller that bypasses the waypoint (L4 only). */
function ambientWithWaypoint() {
  const chart = Testing.chart();
  const shop = new ZeroTrustNamespace(chart, 'shop', { meshMode: MeshMode.AMBIENT });
  const legacy = new ZeroTrustNamespace(chart, 'legacy');
  const web = new MeshService(chart, 'web', { namespace: shop, image: IMAGE, port: 8080 });
  const api = new MeshService(chart, 'api', { namespace: shop, image: IMAGE, port: 8080 });
  const db = new MeshService(chart, 'db', { namespace: shop, image: IMAGE, ports: [{ port: 5432 }] });
  const batch = new MeshService(chart, 'batch', { namespace: legacy, image: IMAGE, port: 8080 });
  api.allowFrom(web, { methods: ['GET'] });
  db.allowFrom(api);
  api.allowFrom(batch);
  return { chart, shop, web, api, db, batch };
}

describe('waypoint NetworkPolicies', () => {
  test('the waypoint admits HBONE from the ambient callers only (sorted), and reaches the pods behind it on their ports and HBONE, and istiod', () => {
    const { chart } = ambientWithWaypoint();
    const policy = find(synthValid(chart), 'NetworkPolicy', 'waypoint-waypoint', 'shop');
    expect(policy.metadata.labels).toEqual({ ...MANAGED_BY, 'app.kubernetes.io/name': 'waypoint' });
    expect(policy.spec).toEqual({
      podSelector: { matchLabels: { 'gateway.networking.k8s.io/gateway-name': 'waypoint' } },
      policyTypes: ['Ingress', 'Egress'],
      // batch is a sidecar: it bypasses the waypoint, so the waypoint never admits it
      ingress: [{ from: [named('shop', 'api'), named('shop', 'web')], ports: tcp(15008) }],
      egress: [
        { to: [named('shop', 'db')], ports: tcp(5432, 15008) },
        { to: [named('shop', 'api')], ports: tcp(8080, 15008) },
        { to: [ISTIOD], ports: tcp(15012) },
      ],
    });
  });

  test('a callee behind the waypoint admits the waypoint on its ports and HBONE, and its direct sidecar caller, sorted by peer', () => {
    const { chart } = ambientWithWaypoint();
    const manifests = synthValid(chart);
    expect(find(manifests, 'NetworkPolicy', 'api-ingress', 'shop').spec.ingress).toEqual([
      { from: [named('legacy', 'batch'), gateway('shop', 'waypoint')], ports: tcp(8080, 15008) },
    ]);
    expect(find(manifests, 'NetworkPolicy', 'db-ingress', 'shop').spec.ingress).toEqual([
      { from: [gateway('shop', 'waypoint')], ports: tcp(5432, 15008) },
    ]);
    const cluster = new Cluster(manifests);
    const [web, api, batch] = [cluster.pod('shop', 'web'), cluster.pod('shop', 'api'), cluster.pod('legacy', 'batch')];
    expect(cluster.networkAllows(batch, api, 8080)).toBe(true);
    expect(cluster.networkAllows(web, api, 8080)).toBe(false); // only through the waypoint
  });

  test('service waypoints: a caller of two services reaches each one\'s waypoint, one peer per waypoint', () => {
    const chart = Testing.chart();
    const shop = new ZeroTrustNamespace(chart, 'shop', { meshMode: MeshMode.AMBIENT, waypoint: WaypointScope.SERVICE });
    const web = new MeshService(chart, 'web', { namespace: shop, image: IMAGE, port: 8080 });
    const api = new MeshService(chart, 'api', { namespace: shop, image: IMAGE, port: 8080 });
    const db = new MeshService(chart, 'db', { namespace: shop, image: IMAGE, port: 8080 });
    db.allowFrom(web, { methods: ['GET'] });
    api.allowFrom(web, { methods: ['GET'] });
    const manifests = synthValid(chart);
    expect(find(manifests, 'NetworkPolicy', 'web-egress', 'shop').spec.egress).toEqual([
      { to: [gateway('shop', 'api-waypoint'), gateway('shop', 'db-waypoint')], ports: tcp(15008) },
    ]);
    for (const name of ['api', 'db']) {
      const policy = find(manifests, 'NetworkPolicy', `${name}-waypoint-waypoint`, 'shop');
      expect(policy.spec.ingress).toEqual([{ from: [named('shop', 'web')], ports: tcp(15008) }]);
      expect(policy.spec.egress[0]).toEqual({ to: [named('shop', name)], ports: tcp(8080, 15008) });
    }
  });

  test('ensureWaypointNetworkPolicy is idempotent: the same object on a second call', () => {
    const { chart, shop, api } = ambientWithWaypoint();
    const graph = IntentGraph.of(chart);
    const waypoint = EnforcementPoints.of(chart).forWorkload(api).waypoint!;
    const first = ensureWaypointNetworkPolicy(graph, waypoint, shop, ISTIOD);
    expect(ensureWaypointNetworkPolicy(graph, waypoint, shop, ISTIOD)).toBe(first);
    expect(ofKind(synthValid(chart), 'NetworkPolicy').filter(p => p.metadata.name === 'waypoint-waypoint')).toHaveLength(1);
  });
});

describe('a callee whose HTTP rules Cilium enforces', () => {
  test('its NetworkPolicy selects its own pods and admits only the peers outside the graph (none here): Cilium admits the callers', () => {
    const chart = Testing.chart();
    new EffectCheck(chart.node.root as Construct, 'EffectCheck', { enabled: false });
    const shop = new ZeroTrustNamespace(chart, 'shop');
    const api = new MeshService(chart, 'api', { namespace: shop, image: IMAGE, port: 8080 });
    const web = new MeshService(chart, 'web', { namespace: shop, image: IMAGE, port: 8080 });
    new CiliumWorkloadPolicy(chart, 'p', { workload: api, httpEnforcement: HttpEnforcement.CILIUM });
    api.allowFrom(web, { methods: ['GET'] });
    expect(find(synthValid(chart), 'NetworkPolicy', 'api-ingress', 'shop').spec).toEqual({
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'api' } },
      policyTypes: ['Ingress'],
      ingress: [],
    });
  });
});

describe('remote workloads', () => {
  test('without a remote port, a local caller reaches the remote addresses on the remote workload\'s own ports', () => {
    const app = Testing.app();
    new IntentGraph(app, 'IntentGraph', { trustDomain: 'a.example.org' });
    const chart = new Chart(app, 'c');
    const shop = new ZeroTrustNamespace(chart, 'shop');
    const orders = new MeshService(chart, 'orders', { namespace: shop, image: IMAGE, port: 8080 });
    const ledger = new RemoteWorkload(chart, 'ledger', {
      spiffeId: 'spiffe://b.example.org/ns/ledger/sa/ledger', ports: [{ port: 8443 }], path: { remoteCidrs: ['198.51.100.20/32'] },
    });
    ledger.allowFrom(orders);
    expect(find(synthValid(chart), 'NetworkPolicy', 'orders-egress', 'shop').spec.egress).toEqual([
      { to: [{ ipBlock: { cidr: '198.51.100.20/32' } }], ports: tcp(8443) },
    ]);
  });
});

describe('audit rollouts', () => {
  test('a service in AUDIT inside an enforcing namespace: an allow-all for its own pods, labelled as ours', () => {
    const chart = Testing.chart();
    const shop = new ZeroTrustNamespace(chart, 'shop');
    new MeshService(chart, 'api', { namespace: shop, image: IMAGE, port: 8080, rollout: Rollout.AUDIT });
    const policy = find(synthValid(chart), 'NetworkPolicy', 'api-audit-allow-all', 'shop');
    expect(policy.metadata.labels).toEqual(MANAGED_BY);
    expect(policy.spec).toEqual({
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'api' } }, policyTypes: ['Ingress', 'Egress'], ingress: [{}], egress: [{}],
    });
  });

  test('an adopted workload in AUDIT: the allow-all selects the labels read from its manifest at synthesis', () => {
    const chart = Testing.chart();
    const shop = new ZeroTrustNamespace(chart, 'shop');
    const labels = { app: 'legacy', tier: 'back' };
    const workload = new ApiObject(chart, 'legacy', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'legacy', namespace: 'shop' },
      spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { serviceAccountName: 'legacy', containers: [{ name: 'legacy', image: IMAGE }] } } },
    });
    new AdoptedWorkload(chart, 'legacy-adopted', { workload, namespace: shop, rollout: Rollout.AUDIT });
    const policy = find(synthValid(chart), 'NetworkPolicy', 'legacy-audit-allow-all', 'shop');
    expect(policy.spec.podSelector).toEqual({ matchLabels: labels });
    expect(policy.spec.ingress).toEqual([{}]);
  });

  test('ensureAuditNetworkPolicy is idempotent: the same object on a second call', () => {
    const chart = Testing.chart();
    const shop = new ZeroTrustNamespace(chart, 'shop');
    const graph = IntentGraph.of(chart);
    const first = ensureAuditNetworkPolicy(graph, shop, 'shop-x', 'shop', 'x-audit-allow-all', { app: 'x' });
    expect(ensureAuditNetworkPolicy(graph, shop, 'shop-x', 'shop', 'x-audit-allow-all', { app: 'x' })).toBe(first);
  });
});

describe('a NetworkPolicy layer scope holds one policy per workload and per waypoint', () => {
  function layered() {
    const app = Testing.app();
    const network = new Chart(app, 'network');
    new IntentGraph(app, 'IntentGraph', { layers: { network } });
    const chart = new Chart(app, 'apps');
    return { app, network, chart };
  }

  test('ingress and egress policies of several workloads, each with its own name', () => {
    const { network, chart } = layered();
    const shop = new ZeroTrustNamespace(chart, 'shop');
    const [web, api, db] = ['web', 'api', 'db'].map(n => new MeshService(chart, n, { namespace: shop, image: IMAGE, port: 8080 }));
    api.allowFrom(web);
    db.allowFrom(api);
    expect(ensureIngressPolicy(IntentGraph.of(chart), api)).toBe(ensureIngressPolicy(IntentGraph.of(chart), api));
    const names = ofKind(Testing.synth(network), 'NetworkPolicy').map(p => p.metadata.name).sort();
    expect(names).toEqual(['allow-dns', 'allow-istiod', 'api-egress', 'api-ingress', 'db-ingress', 'default-deny', 'web-egress']);
    expect(ofKind(Testing.synth(chart), 'NetworkPolicy').map(p => p.metadata.name)).not.toContain('api-ingress');
  });

  test('two service waypoints get two policies', () => {
    const { network, chart } = layered();
    const shop = new ZeroTrustNamespace(chart, 'shop', { meshMode: MeshMode.AMBIENT, waypoint: WaypointScope.SERVICE });
    const [web, api, db] = ['web', 'api', 'db'].map(n => new MeshService(chart, n, { namespace: shop, image: IMAGE, port: 8080 }));
    api.allowFrom(web, { methods: ['GET'] });
    db.allowFrom(web, { methods: ['GET'] });
    const policies = ofKind(Testing.synth(network), 'NetworkPolicy');
    expect(policies.map(p => p.metadata.name).filter(n => n.endsWith('-waypoint')).sort()).toEqual(['api-waypoint-waypoint', 'db-waypoint-waypoint']);
    expect(policies.find(p => p.metadata.name === 'db-waypoint-waypoint').spec.egress[0]).toEqual({ to: [named('shop', 'db')], ports: tcp(8080, 15008) });
  });
});

test('podPeer copies the labels (a later change to the caller\'s object does not reach the policy)', () => {
  const labels = { app: 'a' };
  const p = podPeer('shop', labels);
  labels.app = 'b';
  expect(p).toEqual(peer('shop', { app: 'a' }));
});
