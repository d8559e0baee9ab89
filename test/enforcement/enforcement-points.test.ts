import { Chart, Testing } from 'cdk8s';
import { IConstruct } from 'constructs';
import {
  CiliumWorkloadPolicy, EnforcementPoints, HttpEnforcement, IntentGraph, L4Enforcer, L7Enforcer, MeshMode, MeshService, Rollout,
  WAYPOINT_CLASS, WaypointScope, ZeroTrustNamespace,
} from '../../src';
import { needsL7 } from '../../src/enforcement/enforcement-points';
import { CallIntent } from '../../src/intent/call-intent';
import { find, synthValid } from '../support/synth';

// a failing comparison of constructs (or of objects holding them) makes jest print whole construct
// trees, which takes minutes: compare construct paths, keys or identities instead
const paths = (xs: readonly IConstruct[]) => xs.map(x => x.node.path);
const keys = (xs: readonly { key: string }[]) => xs.map(x => x.key);

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
    expect(EnforcementPoints.of(a.web) === a.points).toBe(true);
    expect(EnforcementPoints.of(IntentGraph.of(a.web)) === a.points).toBe(true);
    expect(EnforcementPoints.of(b.web) === a.points).toBe(false);
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
    expect(keys(IntentGraph.of(y).calls)).toStrictEqual([]);
  });

  test('a sidecar caller cannot make L7-restricted calls into an ambient namespace (sidecars bypass waypoints)', () => {
    const { db, web } = setup();
    expect(() => db.allowFrom(web, { paths: ['/x'] })).toThrow(/invalid caller .*shop\/web runs with a sidecar .*past its waypoint.*put the caller in an ambient namespace/);
    expect(keys(IntentGraph.of(db).calls)).toStrictEqual([]);
  });

  test('claims need a caller that verifies end-user tokens (the edge layer\'s rule), and a refused call is not recorded', () => {
    const { api, web } = setup();
    expect(() => api.allowFrom(web, { requireClaims: { groups: ['admins'] } }))
      .toThrow(/invalid requireClaims .*the caller shop\/web does not verify end-user tokens.*require claims only on calls from an AccessProxy/);
    expect(keys(IntentGraph.of(api).calls)).toStrictEqual([]);
  });

  test('a call restricted at L7 in an ambient namespace without waypoints: each restriction is refused with its own prop, value and fix', () => {
    const { chart } = setup();
    const bare = new ZeroTrustNamespace(chart, 'bare', { meshMode: MeshMode.AMBIENT, waypoint: WaypointScope.NONE });
    const x = new MeshService(chart, 'x', { namespace: bare, image: 'ghcr.io/acme/x:1.0.0', port: 8080 });
    const y = new MeshService(chart, 'y', { namespace: bare, image: 'ghcr.io/acme/y:1.0.0', port: 8080 });
    const fix = 'leave the namespace\'s waypoint scope at WaypointScope.NAMESPACE or SERVICE (a waypoint enforces L7), or use MeshMode.SIDECAR';
    expect(() => y.allowFrom(x, { methods: ['GET'] })).toThrow('[enforcement/y] invalid methods/paths {"methods":["GET"],"paths":[]}: namespace bare is in ambient mode without waypoints '
      + '(waypoint: WaypointScope.NONE), where ztunnel enforces L4 only and drops all traffic of an ALLOW policy with HTTP rules; '
      + `drop methods and paths (identity and port are still enforced), or ${fix}`);
    expect(() => y.allowFrom(x, { requireHeaders: { 'x-tenant': 'a' } })).toThrow('[enforcement/y] invalid requireHeaders {"x-tenant":"a"}: namespace bare is in ambient mode '
      + `without waypoints, where ztunnel enforces L4 only; drop requireHeaders, or ${fix}`);
    expect(() => y.allowFrom(x, { requireClaims: { groups: ['a'] } })).toThrow('[enforcement/y] invalid requireClaims {"groups":["a"]}: namespace bare is in ambient mode '
      + `without waypoints, where ztunnel cannot see tokens; drop requireClaims, or ${fix}`);
    // L4 calls are enforced by ztunnel
    expect(y.allowFrom(x).key).toBe('bare/x -> bare/y:8080');
  });

  test('the sidecar caller\'s refusal says what could not be enforced', () => {
    const { db, web } = setup();
    expect(() => db.allowFrom(web, { methods: ['GET'] })).toThrow('[enforcement/db] invalid caller "enforcement/web": shop/web runs with a sidecar (or is a gateway), '
      + 'and Istio sends sidecar traffic straight to an ambient callee\'s pods, past its waypoint, where ztunnel can check identity and port only, '
      + 'so the call\'s methods, paths, headers or claims could not be enforced; '
      + 'drop the L7 restrictions for this caller, put the caller in an ambient namespace, or the callee in a sidecar namespace');
  });

  test('an L7 call between ambient workloads gets the namespace waypoint, only in that namespace', () => {
    const { chart, points, data, db, shop } = setup();
    const other = new ZeroTrustNamespace(chart, 'other', { meshMode: MeshMode.AMBIENT });
    const o = new MeshService(chart, 'o', { namespace: other, image: 'ghcr.io/acme/o:1.0.0', port: 8080 });
    const job = new MeshService(chart, 'job', { namespace: data, image: 'ghcr.io/acme/job:1.0.0', port: 8080 });
    db.allowFrom(job);
    // L4 only: no waypoint
    expect(points.forNamespace(data)).toEqual({
      meshMode: MeshMode.AMBIENT, l4: L4Enforcer.NETWORK_POLICY, l7: L7Enforcer.NONE, hbone: true, sidecar: false, rollout: Rollout.ENFORCE,
    });
    expect(points.waypoints).toEqual([]);
    db.allowFrom(job, { paths: ['/q'] });
    const waypoint = { name: 'waypoint', namespace: 'data' };
    expect(points.forNamespace(data)).toEqual({
      meshMode: MeshMode.AMBIENT,
      l4: L4Enforcer.NETWORK_POLICY,
      l7: L7Enforcer.WAYPOINT,
      hbone: true,
      sidecar: false,
      rollout: Rollout.ENFORCE,
      waypoint,
    });
    expect(points.forWorkload(job)).toMatchObject({ l7: L7Enforcer.WAYPOINT, waypoint });
    // another ambient namespace keeps ztunnel alone, a sidecar namespace its sidecars
    expect(points.forNamespace(other)).toMatchObject({ l7: L7Enforcer.NONE });
    expect(points.forNamespace(other).waypoint).toBeUndefined();
    expect(points.forNamespace(shop).l7).toBe(L7Enforcer.SIDECAR);
    expect(points.waypoints).toEqual([waypoint]);
    expect(paths(points.workloadsBehind(waypoint))).toEqual(['enforcement/db', 'enforcement/job']);
    expect(paths(points.workloadsBehind({ name: 'waypoint', namespace: 'other' }))).toStrictEqual([]);
    expect(paths(points.workloadsBehind({ name: 'db-waypoint', namespace: 'data' }))).toStrictEqual([]);
    // ztunnel-captured (ambient) callers go through the callee's waypoint; nothing else does
    expect(points.viaWaypoint(o, db)).toEqual(waypoint);
    expect(points.viaWaypoint(job, o)).toBeUndefined();
    expect(points.viaWaypoint(db, job)).toEqual(waypoint);
    const web = IntentGraph.of(chart).workloads.find(w => w.workloadName === 'web')!;
    expect(points.viaWaypoint(web, db)).toBeUndefined();
    expect(WAYPOINT_CLASS).toBe('istio-waypoint');
  });

  test('WaypointScope.SERVICE: a waypoint per service receiving L7 calls, listed once each, sorted', () => {
    const { chart, points } = setup();
    const ns = new ZeroTrustNamespace(chart, 'svc', { meshMode: MeshMode.AMBIENT, waypoint: WaypointScope.SERVICE });
    const [c, b, a] = ['c', 'b', 'a'].map(n => new MeshService(chart, n, { namespace: ns, image: 'ghcr.io/acme/x:1.0.0', port: 8080 }));
    b.allowFrom(a, { methods: ['GET'] });
    b.allowFrom(c, { methods: ['PUT'] });
    a.allowFrom(c, { paths: ['/a'] });
    c.allowFrom(a);
    expect(points.forWorkload(b)).toEqual({
      meshMode: MeshMode.AMBIENT,
      l4: L4Enforcer.NETWORK_POLICY,
      l7: L7Enforcer.WAYPOINT,
      hbone: true,
      sidecar: false,
      rollout: Rollout.ENFORCE,
      waypoint: { name: 'b-waypoint', namespace: 'svc', forService: 'b' },
    });
    expect(points.forWorkload(c).l7).toBe(L7Enforcer.NONE);
    expect(points.forNamespace(ns).l7).toBe(L7Enforcer.NONE);
    expect(points.waypoints.map(w => w.name)).toEqual(['a-waypoint', 'b-waypoint']);
    // sorted by namespace and name, not in the order of the workloads (a < a-b, but a-b-waypoint < a-waypoint)
    const ab = new MeshService(chart, 'a-b', { namespace: ns, image: 'ghcr.io/acme/x:1.0.0', port: 8080 });
    ab.allowFrom(a, { methods: ['GET'] });
    expect(points.waypoints.map(w => w.name)).toEqual(['a-b-waypoint', 'a-waypoint', 'b-waypoint']);
    expect(paths(points.workloadsBehind({ name: 'b-waypoint', namespace: 'svc' }))).toEqual(['enforcement/b']);
    expect(points.viaWaypoint(a, b)).toEqual({ name: 'b-waypoint', namespace: 'svc', forService: 'b' });
    expect(points.viaWaypoint(a, c)).toBeUndefined();
  });

  test('WaypointScope.SERVICE: the waypoint name must fit a Service name and label value (63 characters)', () => {
    const { chart } = setup();
    const ns = new ZeroTrustNamespace(chart, 'svc', { meshMode: MeshMode.AMBIENT, waypoint: WaypointScope.SERVICE });
    const caller = new MeshService(chart, 'caller', { namespace: ns, image: 'ghcr.io/acme/x:1.0.0', port: 8080 });
    const fits = new MeshService(chart, 'fits', { namespace: ns, name: 'a'.repeat(54), image: 'ghcr.io/acme/x:1.0.0', port: 8080 });
    const long = new MeshService(chart, 'long', { namespace: ns, name: 'b'.repeat(55), image: 'ghcr.io/acme/x:1.0.0', port: 8080 });
    fits.allowFrom(caller, { methods: ['GET'] });
    expect(EnforcementPoints.of(chart).forWorkload(fits).waypoint?.name).toBe(`${'a'.repeat(54)}-waypoint`);
    expect(() => long.allowFrom(caller, { methods: ['GET'] })).toThrow(`[enforcement/long] invalid name "${'b'.repeat(55)}": is too long for its waypoint: "${'b'.repeat(55)}-waypoint" `
      + 'is over 63 characters (a Service name and the istio.io/use-waypoint label value); use a service name of at most 54 characters, or WaypointScope.NAMESPACE');
  });

  test('rollout: the namespace\'s, overridden per workload; ENFORCE when nothing was declared', () => {
    const { chart, points, web, api, shop } = setup();
    const audited = new ZeroTrustNamespace(chart, 'audited', { rollout: Rollout.AUDIT });
    const x = new MeshService(chart, 'x', { namespace: audited, image: 'ghcr.io/acme/x:1.0.0', port: 8080 });
    expect(points.forNamespace(audited).rollout).toBe(Rollout.AUDIT);
    expect(points.forWorkload(x).rollout).toBe(Rollout.AUDIT);
    points._declareRollout(web, Rollout.AUDIT);
    expect(points.forWorkload(web).rollout).toBe(Rollout.AUDIT);
    expect(points.forWorkload(api).rollout).toBe(Rollout.ENFORCE);
    // a fresh set of points, before any namespace declared its options
    const fresh = EnforcementPoints._create(IntentGraph.of(chart));
    expect(fresh.forNamespace(shop).rollout).toBe(Rollout.ENFORCE);
    expect(fresh._waypointScope(shop)).toBe(WaypointScope.NAMESPACE);
  });

  test('a sidecar namespace never gets a waypoint, whatever scope a layer recorded', () => {
    const { points, web, api, shop } = setup();
    api.allowFrom(web, { methods: ['GET'] });
    points._declareNamespace(shop, { waypoint: WaypointScope.SERVICE });
    expect(points.forWorkload(api)).toMatchObject({ l7: L7Enforcer.SIDECAR });
    points._declareNamespace(shop, { waypoint: WaypointScope.NAMESPACE });
    expect(points.forWorkload(api).waypoint).toBeUndefined();
    expect(points.waypoints).toEqual([]);
  });

  test.each([
    ['no restriction', {}, false],
    ['a method', { methods: ['GET'] }, true],
    ['a header', { headers: { h: 'v' } }, true],
    ['a claim', { claims: { groups: ['a'] } }, true],
  ])('needsL7 with %s', (_, o: { methods?: string[]; claims?: { [c: string]: string[] }; headers?: { [h: string]: string } }, expected) => {
    const { web, api } = setup();
    expect(needsL7(CallIntent._create('cluster.local', web, api, [8080], o.methods ?? [], [], o.claims, o.headers))).toBe(expected);
  });

  test.each([
    ['of', (_p: EnforcementPoints) => EnforcementPoints.of(undefined as never), 'scope'],
    ['forWorkload', (p: EnforcementPoints) => p.forWorkload({} as never), 'workload'],
    ['forNamespace', (p: EnforcementPoints) => p.forNamespace({} as never), 'namespace'],
    ['workloadsBehind', (p: EnforcementPoints) => p.workloadsBehind({ name: 1 } as never), 'name'],
    ['viaWaypoint', (p: EnforcementPoints) => p.viaWaypoint({} as never, {} as never), 'caller'],
    ['wirePorts', (p: EnforcementPoints) => p.wirePorts({} as never, {} as never, []), 'caller'],
  ])('%s refuses a wrong argument, naming the method', (method, use, prop) => {
    const { points } = setup();
    expect(() => use(points)).toThrow(new RegExp(`^\\[EnforcementPoints\\.${method}\\] invalid ${prop} `));
  });
});
