import { Testing } from 'cdk8s';
import { EnforcementPoints, L7Enforcer, MeshMode, MeshService, Rollout, WaypointScope, ZeroTrustAlerts, ZeroTrustNamespace } from '../../src';
import { parsePromQL } from '../monitoring/_promql';
import { Cluster } from '../support/reachability';
import { find, ofKind, synthValid } from '../support/synth';

const image = 'ghcr.io/acme/app:1.0.0';

function setup(waypoint?: WaypointScope, rollout?: Rollout) {
  const chart = Testing.chart();
  const shop = new ZeroTrustNamespace(chart, 'shop', { meshMode: MeshMode.AMBIENT, ...(waypoint ? { waypoint } : {}), ...(rollout ? { rollout } : {}) });
  const web = new MeshService(chart, 'web', { namespace: shop, image, port: 8080 });
  const api = new MeshService(chart, 'api', { namespace: shop, image, port: 8080 });
  const db = new MeshService(chart, 'db', { namespace: shop, image, port: 8080 });
  return { chart, shop, web, api, db };
}

describe('waypoints (ambient L7)', () => {
  test('an L7 call into an ambient namespace deploys a namespace waypoint and moves every policy of the namespace to it', () => {
    const { chart, web, api, db } = setup();
    db.allowFrom(api); // L4 first: ztunnel alone until a call needs L7
    expect(EnforcementPoints.of(chart).forWorkload(db).l7).toBe(L7Enforcer.NONE);
    api.allowFrom(web, { methods: ['GET'], paths: ['/items/*'] });
    expect(EnforcementPoints.of(chart).forWorkload(db)).toMatchObject({ l7: L7Enforcer.WAYPOINT, waypoint: { name: 'waypoint', namespace: 'shop' } });
    const manifests = synthValid(chart);
    expect(find(manifests, 'Gateway', 'waypoint', 'shop')).toMatchObject({
      apiVersion: 'gateway.networking.k8s.io/v1',
      metadata: { labels: { 'istio.io/waypoint-for': 'service' } },
      spec: { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] },
    });
    expect(find(manifests, 'Namespace', 'shop').metadata.labels['istio.io/use-waypoint']).toBe('waypoint');
    // L7 at the waypoint, attached to the Service, with the caller's principal
    expect(find(manifests, 'AuthorizationPolicy', 'api', 'shop').spec).toEqual({
      targetRefs: [{ group: '', kind: 'Service', name: 'api' }],
      action: 'ALLOW',
      rules: [{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/web'] } }], to: [{ operation: { ports: ['8080'], methods: ['GET'], paths: ['/items/*'] } }] }],
    });
    // ztunnel admits the declared ports from the waypoint only, for every workload behind it (db's policy predates the waypoint)
    for (const name of ['api', 'db']) {
      expect(find(manifests, 'AuthorizationPolicy', `${name}-ztunnel`, 'shop').spec).toEqual({
        selector: { matchLabels: { 'app.kubernetes.io/name': name } },
        action: 'ALLOW',
        rules: [{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/waypoint'] } }], to: [{ operation: { ports: ['8080'] } }] }],
      });
    }
    expect(find(manifests, 'AuthorizationPolicy', 'waypoint-allow-nothing', 'shop').spec).toEqual({ targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'waypoint' }] });
    // NetworkPolicies: callers reach the waypoint on HBONE, the waypoint reaches the pods and istiod
    const wp = find(manifests, 'NetworkPolicy', 'waypoint-waypoint', 'shop').spec;
    expect(wp.podSelector).toEqual({ matchLabels: { 'gateway.networking.k8s.io/gateway-name': 'waypoint' } });
    expect(wp.egress).toContainEqual({ to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'istio-system' } }, podSelector: { matchLabels: { istio: 'pilot' } } }], ports: [{ protocol: 'TCP', port: 15012 }] });
    expect(find(manifests, 'NetworkPolicy', 'web-egress', 'shop').spec.egress).toEqual([{
      to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'shop' } }, podSelector: { matchLabels: { 'gateway.networking.k8s.io/gateway-name': 'waypoint' } } }],
      ports: [{ protocol: 'TCP', port: 15008 }],
    }]);
    // and the cluster does what the graph says: no bypass of the waypoint
    const cluster = new Cluster(manifests);
    const [w, a, d] = ['web', 'api', 'db'].map(n => cluster.pod('shop', n));
    expect(cluster.request(w, a, { port: 8080, method: 'GET', path: '/items/1' })).toMatchObject({ allowed: true, via: 'waypoint' });
    expect(cluster.request(w, a, { port: 8080, method: 'POST', path: '/items/1' }).allowed).toBe(false);
    expect(cluster.request(w, d, { port: 8080, method: 'GET', path: '/' }).allowed).toBe(false);
    expect(cluster.request(a, d, { port: 8080, method: 'GET', path: '/' }).allowed).toBe(true);
  });

  test('WaypointScope.SERVICE: a waypoint per service that receives L7 calls, labelled on its Service', () => {
    const { chart, web, api, db } = setup(WaypointScope.SERVICE);
    api.allowFrom(web, { methods: ['GET'] });
    db.allowFrom(api);
    const manifests = synthValid(chart);
    expect(ofKind(manifests, 'Gateway').map(g => g.metadata.name)).toEqual(['api-waypoint']);
    expect(find(manifests, 'Service', 'api', 'shop').metadata.labels['istio.io/use-waypoint']).toBe('api-waypoint');
    expect(find(manifests, 'Namespace', 'shop').metadata.labels['istio.io/use-waypoint']).toBeUndefined();
    expect(find(manifests, 'AuthorizationPolicy', 'db', 'shop').spec.selector).toEqual({ matchLabels: { 'app.kubernetes.io/name': 'db' } });
  });

  test('AUDIT: dry-run policies, allow-all NetworkPolicy, and the would-be denials are observable', () => {
    const { chart, web, api } = setup(undefined, Rollout.AUDIT);
    api.allowFrom(web, { methods: ['GET'] });
    new ZeroTrustAlerts(chart, 'alerts');
    const manifests = synthValid(chart);
    // the alert watches the dry-run deny results of the audited namespaces
    const rule = ofKind(manifests, 'PrometheusRule')[0].spec.groups.flatMap((g: any) => g.rules).find((r: any) => r.alert === 'ZeroTrustAuthorizationDryRunDenied');
    expect(rule.expr).toBe('sum by (namespace, pod) (rate({__name__=~"envoy_http_.+_rbac", authz_dry_run_result="denied", namespace=~"shop"}[10m])) > 0');
    expect(parsePromQL(rule.expr).error).toBe(false);
    for (const name of ['allow-nothing', 'api', 'api-ztunnel', 'waypoint-allow-nothing']) {
      expect(find(manifests, 'AuthorizationPolicy', name, 'shop').metadata.annotations).toEqual({ 'istio.io/dry-run': 'true' });
    }
    expect(find(manifests, 'NetworkPolicy', 'audit-allow-all', 'shop').spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'], ingress: [{}], egress: [{}] });
    const cluster = new Cluster(manifests);
    const [w, a] = ['web', 'api'].map(n => cluster.pod('shop', n));
    expect(cluster.request(w, a, { port: 8080, method: 'DELETE', path: '/' })).toMatchObject({ allowed: true, wouldDeny: true });
    expect(cluster.request(w, a, { port: 8080, method: 'GET', path: '/' })).toMatchObject({ allowed: true, wouldDeny: false });
  });

  test('a service in AUDIT inside an enforcing namespace: enforced allow-all beside its dry-run policies, nothing else opened', () => {
    const chart = Testing.chart();
    const shop = new ZeroTrustNamespace(chart, 'shop');
    const web = new MeshService(chart, 'web', { namespace: shop, image, port: 8080 });
    const api = new MeshService(chart, 'api', { namespace: shop, image, port: 8080, rollout: Rollout.AUDIT });
    const db = new MeshService(chart, 'db', { namespace: shop, image, port: 8080 });
    api.allowFrom(web, { methods: ['GET'] });
    db.allowFrom(web);
    const manifests = synthValid(chart);
    expect(find(manifests, 'AuthorizationPolicy', 'api', 'shop').metadata.annotations).toEqual({ 'istio.io/dry-run': 'true' });
    expect(find(manifests, 'AuthorizationPolicy', 'api-audit', 'shop').spec).toEqual({ selector: { matchLabels: { 'app.kubernetes.io/name': 'api' } }, action: 'ALLOW', rules: [{}] });
    expect(find(manifests, 'AuthorizationPolicy', 'allow-nothing', 'shop').metadata.annotations).toBeUndefined();
    const cluster = new Cluster(manifests);
    const [w, a, d] = ['web', 'api', 'db'].map(n => cluster.pod('shop', n));
    expect(cluster.request(d, a, { port: 8080, method: 'POST', path: '/' })).toMatchObject({ l7: true, wouldDeny: true });
    expect(cluster.request(w, a, { port: 8080, method: 'GET', path: '/' })).toMatchObject({ allowed: true, wouldDeny: false });
    expect(cluster.request(a, d, { port: 8080, method: 'GET', path: '/' }).l7).toBe(false); // db still enforces
  });

  test('waypoint is for ambient namespaces only', () => {
    const chart = Testing.chart();
    expect(() => new ZeroTrustNamespace(chart, 'x', { waypoint: WaypointScope.SERVICE })).toThrow(/\[test\/x\] invalid waypoint "service": applies to ambient namespaces only/);
  });
});
