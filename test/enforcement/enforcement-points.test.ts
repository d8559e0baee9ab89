import { Chart, Testing } from 'cdk8s';
import {
  CiliumWorkloadPolicy, EnforcementPoints, HttpEnforcement, IntentGraph, L4Enforcer, L7Enforcer, MeshMode, MeshService, Rollout,
  WaypointScope, ZeroTrustNamespace,
} from '../../src';
import { find, synthValid } from '../support/synth';

function setup() {
  const app = Testing.app();
  const chart = new Chart(app, 'enforcement');
  const shop = new ZeroTrustNamespace(chart, 'shop');
  const data = new ZeroTrustNamespace(chart, 'data', { meshMode: MeshMode.AMBIENT });
  const web = new MeshService(chart, 'web', { namespace: shop, image: 'ghcr.io/acme/web:1.0.0', port: 8080 });
  const api = new MeshService(chart, 'api', { namespace: shop, image: 'ghcr.io/acme/api:1.0.0', port: 8080 });
  const db = new MeshService(chart, 'db', { namespace: data, image: 'ghcr.io/acme/db:1.0.0', port: 5432 });
  return { app, chart, shop, data, web, api, db, points: EnforcementPoints.of(chart) };
}

describe('EnforcementPoints', () => {
  test('sidecar namespace: NetworkPolicy at L4, the callee\'s sidecar at L7, no HBONE', () => {
    const { points, web, api, shop } = setup();
    const expected = {
      meshMode: MeshMode.SIDECAR,
      l4: L4Enforcer.NETWORK_POLICY,
      l7: L7Enforcer.SIDECAR,
      hbone: false,
      sidecar: true,
      rollout: Rollout.ENFORCE,
    };
    expect(points.forWorkload(web)).toEqual(expected);
    expect(points.forNamespace(shop)).toEqual(expected);
    expect(points.wirePorts(api, web, [8080])).toEqual([8080]);
  });

  test('ambient namespace: NetworkPolicy at L4 with HBONE 15008, nothing at L7 (ztunnel enforces identity and port)', () => {
    const { points, db, web } = setup();
    expect(points.forWorkload(db)).toEqual({
      meshMode: MeshMode.AMBIENT, l4: L4Enforcer.NETWORK_POLICY, l7: L7Enforcer.NONE, hbone: true, sidecar: false, rollout: Rollout.ENFORCE,
    });
    expect(points.wirePorts(web, db, [5432])).toEqual([5432, 15008]);
    // an ambient caller's ztunnel tunnels to a sidecar callee's 15008 as well (Istio's ambient NetworkPolicy guide)
    expect(points.wirePorts(db, web, [8080])).toEqual([8080, 15008]);
  });

  test('HttpEnforcement.CILIUM makes Cilium the L4 and L7 enforcement point of that workload only, and every layer follows it', () => {
    const { chart, points, web, api } = setup();
    api.allowFrom(web, { methods: ['GET'], paths: ['/items/*'] });
    new CiliumWorkloadPolicy(chart, 'api-cilium', { workload: api, httpEnforcement: HttpEnforcement.CILIUM });
    expect(points.forWorkload(api)).toMatchObject({ l4: L4Enforcer.CILIUM, l7: L7Enforcer.CILIUM });
    expect(points.forWorkload(web)).toMatchObject({ l4: L4Enforcer.NETWORK_POLICY, l7: L7Enforcer.SIDECAR });
    const manifests = synthValid(chart);
    // L4: the Kubernetes ingress policy admits nothing (Cilium admits the callers with its L7 rules)
    expect(find(manifests, 'NetworkPolicy', 'api-ingress', 'shop').spec.ingress).toEqual([]);
    // L7: Istio opens the declared ports; Cilium checks caller, method and path
    expect(find(manifests, 'AuthorizationPolicy', 'api', 'shop').spec.rules).toEqual([{ to: [{ operation: { ports: ['8080'] } }] }]);
    expect(find(manifests, 'CiliumNetworkPolicy', 'api-cilium', 'shop').spec.ingress[0].toPorts[0].rules).toEqual({ http: [{ method: 'GET', path: '/items/.*' }] });
  });

  test('one set of enforcement points per app, found from any construct of it', () => {
    const a = setup();
    const b = setup();
    expect(EnforcementPoints.of(a.web)).toBe(a.points);
    expect(EnforcementPoints.of(IntentGraph.of(a.web))).toBe(a.points);
    expect(EnforcementPoints.of(b.web)).not.toBe(a.points);
    new CiliumWorkloadPolicy(a.chart, 'api-cilium', { workload: a.api, httpEnforcement: HttpEnforcement.CILIUM });
    expect(b.points.forWorkload(b.api).l7).toBe(L7Enforcer.SIDECAR);
  });

  test('a call restricted at L7 into an ambient namespace without waypoints is refused, naming the fix', () => {
    const { chart } = setup();
    const bare = new ZeroTrustNamespace(chart, 'bare', { meshMode: MeshMode.AMBIENT, waypoint: WaypointScope.NONE });
    const x = new MeshService(chart, 'x', { namespace: bare, image: 'ghcr.io/acme/x:1.0.0', port: 8080 });
    const y = new MeshService(chart, 'y', { namespace: bare, image: 'ghcr.io/acme/y:1.0.0', port: 8080 });
    expect(() => y.allowFrom(x, { paths: ['/x'] })).toThrow(/invalid methods\/paths .*namespace bare is in ambient mode without waypoints .*drop methods and paths/);
    expect(() => y.allowFrom(x, { requireHeaders: { 'x-tenant': 'a' } })).toThrow(/invalid requireHeaders .*without waypoints.*drop requireHeaders/);
    // nothing was recorded: the graph holds only the calls that can be enforced
    expect(IntentGraph.of(y).calls).toEqual([]);
  });

  test('a sidecar caller cannot make L7-restricted calls into an ambient namespace (sidecars bypass waypoints)', () => {
    const { db, web } = setup();
    expect(() => db.allowFrom(web, { paths: ['/x'] })).toThrow(/invalid caller .*shop\/web runs with a sidecar .*past its waypoint.*put the caller in an ambient namespace/);
    expect(IntentGraph.of(db).calls).toEqual([]);
  });

  test('claims need a caller that verifies end-user tokens (the edge layer\'s rule), and a refused call is not recorded', () => {
    const { api, web } = setup();
    expect(() => api.allowFrom(web, { requireClaims: { groups: ['admins'] } }))
      .toThrow(/invalid requireClaims .*the caller shop\/web does not verify end-user tokens.*require claims only on calls from an AccessProxy/);
    expect(IntentGraph.of(api).calls).toEqual([]);
  });
});
