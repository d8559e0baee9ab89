import { Chart, Testing } from 'cdk8s';
import { AccessProxy, AppProtocol, CiliumWorkloadPolicy, HttpEnforcement, IntentGraph, MeshMode, MeshService, RemoteWorkload, Rollout, ZeroTrustNamespace } from '../../src';
import { ensureAuthorizationPolicy, ensureWaypointCompanions } from '../../src/mesh/_authorization';
import { find, ofKind, synthValid } from '../support/synth';

// AuthorizationPolicies on the paths the per-workload tests do not take: remote callers beside
// local ones, ztunnel's policy behind a waypoint (waypoint, sidecar and remote callers), and
// audit rollouts behind a waypoint.

const IMAGE = 'ghcr.io/acme/app:1.0.0';
const MANAGED = (name: string) => ({ 'app.kubernetes.io/managed-by': 'cdk8s-zero-trust', 'app.kubernetes.io/name': name });
const GATEWAY_PATH = { gatewayNamespace: 'istio-system', gatewayPodLabels: { istio: 'eastwestgateway' } };
const BILLING = 'b.example.org/ns/billing/sa/billing';

function app(meshMode = MeshMode.SIDECAR, rollout?: Rollout) {
  const root = Testing.app();
  new IntentGraph(root, 'IntentGraph', { trustDomain: 'a.example.org' });
  const chart = new Chart(root, 'c');
  const shop = new ZeroTrustNamespace(chart, 'shop', { meshMode });
  const api = new MeshService(chart, 'api', { namespace: shop, image: IMAGE, ports: [{ port: 8080 }, { port: 9090 }], ...(rollout ? { rollout } : {}) });
  const web = new MeshService(chart, 'web', { namespace: shop, image: IMAGE, port: 8080 });
  return { chart, shop, api, web };
}

describe('remote callers beside local ones', () => {
  test('a remote caller of the same operation as a local one shares its rule (principals sorted); another operation gets its own', () => {
    const { chart, api, web } = app();
    api.allowFrom(web, { ports: [8080] });
    new RemoteWorkload(chart, 'billing', { spiffeId: `spiffe://${BILLING}`, path: GATEWAY_PATH }).mayCall(api, { ports: [8080] });
    new RemoteWorkload(chart, 'audit', { spiffeId: 'spiffe://b.example.org/ns/audit/sa/audit', path: GATEWAY_PATH }).mayCall(api, { ports: [9090], methods: ['GET'] });
    expect(find(synthValid(chart), 'AuthorizationPolicy', 'api', 'shop').spec.rules).toEqual([
      { from: [{ source: { principals: ['a.example.org/ns/shop/sa/web', BILLING] } }], to: [{ operation: { ports: ['8080'] } }] },
      { from: [{ source: { principals: ['b.example.org/ns/audit/sa/audit'] } }], to: [{ operation: { ports: ['9090'], methods: ['GET'] } }] },
    ]);
  });

  test('a remote caller is never merged into a local operation that needs headers', () => {
    const { chart, api, web } = app();
    api.allowFrom(web, { ports: [8080], requireHeaders: { 'x-zone': 'eu' } });
    new RemoteWorkload(chart, 'billing', { spiffeId: `spiffe://${BILLING}`, path: GATEWAY_PATH }).mayCall(api, { ports: [8080] });
    const rules = find(synthValid(chart), 'AuthorizationPolicy', 'api', 'shop').spec.rules;
    expect(rules).toContainEqual({ from: [{ source: { principals: [BILLING] } }], to: [{ operation: { ports: ['8080'] } }] });
    expect(rules).toContainEqual({
      from: [{ source: { principals: ['a.example.org/ns/shop/sa/web'] } }],
      to: [{ operation: { ports: ['8080'] } }],
      when: [{ key: 'request.headers[x-zone]', values: ['eu'] }],
    });
    expect(rules).toHaveLength(2);
  });
  test('a local caller of a remote workload gets no AuthorizationPolicy of its own (an ALLOW policy without rules would deny all its traffic)', () => {
    const { chart, web } = app();
    new RemoteWorkload(chart, 'ledger', {
      spiffeId: 'spiffe://b.example.org/ns/ledger/sa/ledger', ports: [{ port: 8443 }], path: { remoteCidrs: ['198.51.100.20/32'], remotePort: 15443 },
    }).allowFrom(web);
    expect(ofKind(synthValid(chart), 'AuthorizationPolicy').map(p => p.metadata.name)).toEqual(['allow-nothing']);
  });
});

describe('audit rollouts', () => {
  test('a namespace in AUDIT: every policy is a dry run and none allows everything (nothing to keep from denying)', () => {
    const chart = Testing.chart();
    const shop = new ZeroTrustNamespace(chart, 'shop', { rollout: Rollout.AUDIT });
    const api = new MeshService(chart, 'api', { namespace: shop, image: IMAGE, port: 8080, rollout: Rollout.AUDIT });
    const web = new MeshService(chart, 'web', { namespace: shop, image: IMAGE, port: 8080 });
    api.allowFrom(web, { ports: [8080] });
    const manifests = synthValid(chart);
    expect(find(manifests, 'AuthorizationPolicy', 'api', 'shop').metadata.annotations).toEqual({ 'istio.io/dry-run': 'true' });
    expect(ofKind(manifests, 'AuthorizationPolicy').filter(p => p.spec.rules?.some((r: any) => Object.keys(r).length === 0))).toEqual([]);
  });
});

describe('a remote caller of a workload whose HTTP rules Cilium enforces', () => {
  test('fails at synthesis naming the remote caller, the call, why and the fix (Cilium sees no mTLS principal)', () => {
    const { chart, api } = app();
    new RemoteWorkload(chart, 'billing', { spiffeId: `spiffe://${BILLING}`, path: GATEWAY_PATH }).mayCall(api, { ports: [8080] });
    new CiliumWorkloadPolicy(chart, 'api-cilium', { workload: api, httpEnforcement: HttpEnforcement.CILIUM });
    expect(() => Testing.synth(chart)).toThrow(`invalid remote caller "spiffe://${BILLING}": spiffe://${BILLING} -> shop/api:8080 needs the callee's sidecar or waypoint to check the remote principal, but Cilium enforces L7 for it (HttpEnforcement.CILIUM), where no mTLS principal is visible; enforce this workload's HTTP rules with Istio, or remove the remote call`);
  });

  test('the same remote caller of a sidecar-enforced workload synthesizes', () => {
    const { chart, api } = app();
    new RemoteWorkload(chart, 'billing', { spiffeId: `spiffe://${BILLING}`, path: GATEWAY_PATH }).mayCall(api, { ports: [8080] });
    expect(() => Testing.synth(chart)).not.toThrow();
  });
});

describe('ztunnel\'s policy of a workload behind a waypoint', () => {
  function behindWaypoint(rollout?: Rollout) {
    const s = app(MeshMode.AMBIENT, rollout);
    const legacy = new ZeroTrustNamespace(s.chart, 'legacy');
    const batch = new MeshService(s.chart, 'batch', { namespace: legacy, image: IMAGE, port: 8080 });
    s.api.allowFrom(s.web, { ports: [8080], methods: ['GET'] });
    s.api.allowFrom(batch, { ports: [9090] });
    new RemoteWorkload(s.chart, 'billing', { spiffeId: `spiffe://${BILLING}`, path: GATEWAY_PATH }).mayCall(s.api, { ports: [8080, 9090] });
    return { ...s, batch };
  }

  test('the waypoint\'s principal for ambient callers, the caller\'s own for sidecars and remote workloads; one rule per port set, sorted', () => {
    const { chart } = behindWaypoint();
    const policy = find(synthValid(chart), 'AuthorizationPolicy', 'api-ztunnel', 'shop');
    expect(policy.metadata.labels).toEqual(MANAGED('api'));
    expect(policy.metadata.annotations).toBeUndefined();
    expect(policy.spec).toEqual({
      selector: { matchLabels: { 'app.kubernetes.io/name': 'api' } },
      action: 'ALLOW',
      rules: [
        { from: [{ source: { principals: ['a.example.org/ns/shop/sa/waypoint'] } }], to: [{ operation: { ports: ['8080'] } }] },
        { from: [{ source: { principals: [BILLING] } }], to: [{ operation: { ports: ['8080', '9090'] } }] },
        { from: [{ source: { principals: ['a.example.org/ns/legacy/sa/batch'] } }], to: [{ operation: { ports: ['9090'] } }] },
      ],
    });
  });

  test('two sources on one port set share its rule, principals sorted', () => {
    const { chart, api, shop } = behindWaypoint();
    const zeta = new MeshService(chart, 'zeta', { namespace: shop, image: IMAGE, port: 8080 });
    api.allowFrom(zeta, { ports: [8080], methods: ['POST'] });
    new RemoteWorkload(chart, 'ledger', { spiffeId: 'spiffe://b.example.org/ns/ledger/sa/ledger', path: GATEWAY_PATH }).mayCall(api, { ports: [8080] });
    const rules = find(synthValid(chart), 'AuthorizationPolicy', 'api-ztunnel', 'shop').spec.rules;
    expect(rules[0]).toEqual({
      from: [{ source: { principals: ['a.example.org/ns/shop/sa/waypoint', 'b.example.org/ns/ledger/sa/ledger'] } }],
      to: [{ operation: { ports: ['8080'] } }],
    });
  });

  test('AUDIT inside an enforcing namespace: dry-run main and ztunnel policies, and enforced allow-alls on the pods and at the waypoint', () => {
    const { chart } = behindWaypoint(Rollout.AUDIT);
    const manifests = synthValid(chart);
    for (const name of ['api', 'api-ztunnel']) {
      expect(find(manifests, 'AuthorizationPolicy', name, 'shop').metadata.annotations).toEqual({ 'istio.io/dry-run': 'true' });
    }
    const waypoint = find(manifests, 'AuthorizationPolicy', 'api-audit-waypoint', 'shop');
    expect(waypoint.metadata).toEqual({ name: 'api-audit-waypoint', namespace: 'shop', labels: MANAGED('api') });
    expect(waypoint.spec).toEqual({ targetRefs: [{ group: '', kind: 'Service', name: 'api' }], action: 'ALLOW', rules: [{}] });
    const pods = find(manifests, 'AuthorizationPolicy', 'api-audit', 'shop');
    expect(pods.metadata).toEqual({ name: 'api-audit', namespace: 'shop', labels: MANAGED('api') });
    expect(pods.spec).toEqual({ selector: { matchLabels: { 'app.kubernetes.io/name': 'api' } }, action: 'ALLOW', rules: [{}] });
    // nothing else is opened: web keeps its enforced policies
    expect(ofKind(manifests, 'AuthorizationPolicy').filter(p => p.spec.rules?.some((r: any) => Object.keys(r).length === 0)).map(p => p.metadata.name).sort())
      .toEqual(['api-audit', 'api-audit-waypoint']);
  });

  test('ENFORCE: no allow-all anywhere, no dry run', () => {
    const { chart } = behindWaypoint();
    const manifests = synthValid(chart);
    expect(ofKind(manifests, 'AuthorizationPolicy').filter(p => p.spec.rules?.some((r: any) => Object.keys(r).length === 0))).toEqual([]);
    expect(ofKind(manifests, 'AuthorizationPolicy').filter(p => p.metadata.annotations)).toEqual([]);
  });

  test('ensureAuthorizationPolicy and ensureWaypointCompanions are idempotent', () => {
    const { chart, api } = behindWaypoint();
    const graph = IntentGraph.of(chart);
    expect(ensureAuthorizationPolicy(graph, api)).toBe(ensureAuthorizationPolicy(graph, api));
    ensureWaypointCompanions(graph, api);
    ensureWaypointCompanions(graph, api);
    expect(ofKind(synthValid(chart), 'AuthorizationPolicy').filter(p => p.metadata.name === 'api-ztunnel')).toHaveLength(1);
  });
});

describe('a TCP callee', () => {
  test('its rule has ports only: no methods or paths (Istio would deny TCP traffic on an HTTP-only rule)', () => {
    const root = Testing.app();
    const chart = new Chart(root, 'c');
    const shop = new ZeroTrustNamespace(chart, 'shop');
    const db = new MeshService(chart, 'db', { namespace: shop, image: IMAGE, ports: [{ port: 5432, protocol: AppProtocol.TCP }] });
    const web = new MeshService(chart, 'web', { namespace: shop, image: IMAGE, port: 8080 });
    db.allowFrom(web);
    expect(find(synthValid(chart), 'AuthorizationPolicy', 'db', 'shop').spec.rules).toEqual([
      { from: [{ source: { principals: ['cluster.local/ns/shop/sa/web'] } }], to: [{ operation: { ports: ['5432'] } }] },
    ]);
  });
});

describe('a caller that forwards verified end-user tokens (AccessProxy)', () => {
  test('the callee requires the proxy\'s principal AND a token of the issuer; a direct caller of the same operation keeps its own rule', () => {
    const issuer = 'https://login.example.com';
    const chart = Testing.chart();
    const edge = new ZeroTrustNamespace(chart, 'edge');
    const shop = new ZeroTrustNamespace(chart, 'shop');
    const proxy = new AccessProxy(chart, 'access-proxy', {
      namespace: edge, hostnames: ['shop.example.com'], tlsSecretName: 'shop-tls', jwt: { issuer, jwksUri: `${issuer}/jwks.json`, audiences: ['shop'] },
    });
    const api = new MeshService(chart, 'api', { namespace: shop, image: IMAGE, port: 8080 });
    const web = new MeshService(chart, 'web', { namespace: shop, image: IMAGE, port: 8080 });
    api.allowFrom(proxy, { methods: ['GET'], paths: ['/items'] });
    api.allowFrom(web, { methods: ['GET'], paths: ['/items'] });
    const rules = find(synthValid(chart), 'AuthorizationPolicy', 'api', 'shop').spec.rules;
    expect(rules).toEqual([
      {
        from: [{ source: { principals: ['cluster.local/ns/edge/sa/access-proxy-istio'], requestPrincipals: [`${issuer}/*`] } }],
        to: [{ operation: { ports: ['8080'], methods: ['GET'], paths: ['/items'] } }],
      },
      {
        from: [{ source: { principals: ['cluster.local/ns/shop/sa/web'] } }],
        to: [{ operation: { ports: ['8080'], methods: ['GET'], paths: ['/items'] } }],
      },
    ]);
  });
});

describe('grouping keys keep different operations apart', () => {
  test('ztunnel: port sets that concatenate alike ({12,34} and {1,234}) stay separate rules, for local and for remote callers', () => {
    const root = Testing.app();
    new IntentGraph(root, 'IntentGraph', { trustDomain: 'a.example.org' });
    const chart = new Chart(root, 'c');
    const shop = new ZeroTrustNamespace(chart, 'shop', { meshMode: MeshMode.AMBIENT });
    const legacy = new ZeroTrustNamespace(chart, 'legacy');
    const api = new MeshService(chart, 'api', { namespace: shop, image: IMAGE, ports: [1, 12, 34, 234, 8080].map(port => ({ port })) });
    const web = new MeshService(chart, 'web', { namespace: shop, image: IMAGE, port: 8080 });
    api.allowFrom(web, { ports: [8080], methods: ['GET'] }); // a waypoint for api
    const [x, y] = ['x', 'y'].map(n => new MeshService(chart, n, { namespace: legacy, image: IMAGE, port: 8080 }));
    api.allowFrom(x, { ports: [12, 34] });
    api.allowFrom(y, { ports: [1, 234] });
    const remote = (n: string) => new RemoteWorkload(chart, n, { spiffeId: `spiffe://b.example.org/ns/${n}/sa/${n}`, path: GATEWAY_PATH });
    remote('r1').mayCall(api, { ports: [12, 34] });
    remote('r2').mayCall(api, { ports: [1, 234] });
    const rules = find(synthValid(chart), 'AuthorizationPolicy', 'api-ztunnel', 'shop').spec.rules;
    const byPorts = Object.fromEntries(rules.map((r: any) => [r.to[0].operation.ports.join(' '), r.from[0].source.principals]));
    expect(byPorts).toEqual({
      '1 234': ['a.example.org/ns/legacy/sa/y', 'b.example.org/ns/r2/sa/r2'],
      '12 34': ['a.example.org/ns/legacy/sa/x', 'b.example.org/ns/r1/sa/r1'],
      '8080': ['a.example.org/ns/shop/sa/waypoint'],
    });
    expect(rules).toHaveLength(3);
  });

  test('behind a waypoint, only workloads with callers get policies: no ztunnel policy for a caller nobody calls', () => {
    const chart = Testing.chart();
    const shop = new ZeroTrustNamespace(chart, 'shop', { meshMode: MeshMode.AMBIENT });
    const api = new MeshService(chart, 'api', { namespace: shop, image: IMAGE, port: 8080 });
    const web = new MeshService(chart, 'web', { namespace: shop, image: IMAGE, port: 8080 });
    api.allowFrom(web, { methods: ['GET'] });
    expect(ofKind(synthValid(chart), 'AuthorizationPolicy').map(p => p.metadata.name).sort())
      .toEqual(['allow-nothing', 'api', 'api-ztunnel', 'waypoint-allow-nothing']);
  });

  test('an ambient namespace in AUDIT with a waypoint: dry runs only, no allow-all on the pods or at the waypoint', () => {
    const chart = Testing.chart();
    const shop = new ZeroTrustNamespace(chart, 'shop', { meshMode: MeshMode.AMBIENT, rollout: Rollout.AUDIT });
    const api = new MeshService(chart, 'api', { namespace: shop, image: IMAGE, port: 8080, rollout: Rollout.AUDIT });
    const web = new MeshService(chart, 'web', { namespace: shop, image: IMAGE, port: 8080 });
    api.allowFrom(web, { methods: ['GET'] });
    const policies = ofKind(synthValid(chart), 'AuthorizationPolicy');
    expect(policies.map(p => p.metadata.name).sort()).toEqual(['allow-nothing', 'api', 'api-ztunnel', 'waypoint-allow-nothing']);
    for (const p of policies) expect(p.metadata.annotations).toEqual({ 'istio.io/dry-run': 'true' });
  });
});

describe('order and placement', () => {
  test('operations are sorted by value whatever the declaration order', () => {
    const { chart, api, web } = app();
    api.allowFrom(web, { ports: [9090] });
    api.allowFrom(web, { ports: [8080], methods: ['GET'] });
    expect(find(synthValid(chart), 'AuthorizationPolicy', 'api', 'shop').spec.rules.map((r: any) => r.to[0].operation.ports)).toEqual([['8080'], ['9090']]);
  });

  test('a remote caller\'s operation sorts among the local ones (remote calls are collected after local calls)', () => {
    const { chart, api, web } = app();
    api.allowFrom(web, { ports: [9090] });
    new RemoteWorkload(chart, 'billing', { spiffeId: `spiffe://${BILLING}`, path: GATEWAY_PATH }).mayCall(api, { ports: [8080] });
    expect(find(synthValid(chart), 'AuthorizationPolicy', 'api', 'shop').spec.rules.map((r: any) => [r.to[0].operation.ports, r.from[0].source.principals]))
      .toEqual([[['8080'], [BILLING]], [['9090'], ['a.example.org/ns/shop/sa/web']]]);
  });

  test('ztunnel: principals of one port set sorted by principal, not by caller name', () => {
    const chart = Testing.chart();
    const shop = new ZeroTrustNamespace(chart, 'shop', { meshMode: MeshMode.AMBIENT });
    const legacy = new ZeroTrustNamespace(chart, 'legacy');
    const api = new MeshService(chart, 'api', { namespace: shop, image: IMAGE, port: 8080 });
    api.allowFrom(new MeshService(chart, 'web', { namespace: shop, image: IMAGE, port: 8080 }), { methods: ['GET'] });
    for (const [name, sa] of [['a', 'zeta'], ['b', 'alpha']]) {
      api.allowFrom(new MeshService(chart, name, { namespace: legacy, image: IMAGE, port: 9000, serviceAccountName: sa }), { ports: [8080] });
    }
    const rules = find(synthValid(chart), 'AuthorizationPolicy', 'api-ztunnel', 'shop').spec.rules;
    expect(rules).toEqual([{
      from: [{ source: { principals: ['cluster.local/ns/legacy/sa/alpha', 'cluster.local/ns/legacy/sa/zeta', 'cluster.local/ns/shop/sa/waypoint'] } }],
      to: [{ operation: { ports: ['8080'] } }],
    }]);
  });

  test('a mesh layer scope holds one policy per workload', () => {
    const root = Testing.app();
    const mesh = new Chart(root, 'mesh');
    new IntentGraph(root, 'IntentGraph', { layers: { mesh } });
    const chart = new Chart(root, 'apps');
    const shop = new ZeroTrustNamespace(chart, 'shop');
    const [web, api, db] = ['web', 'api', 'db'].map(n => new MeshService(chart, n, { namespace: shop, image: IMAGE, port: 8080 }));
    api.allowFrom(web);
    db.allowFrom(api);
    const policies = ofKind(Testing.synth(mesh), 'AuthorizationPolicy').filter(p => p.spec.rules);
    expect(policies.map(p => [p.metadata.name, p.spec.rules[0].from[0].source.principals[0]]).sort()).toEqual([
      ['api', 'cluster.local/ns/shop/sa/web'],
      ['db', 'cluster.local/ns/shop/sa/api'],
    ]);
  });
});
