import { Chart, Testing } from 'cdk8s';
import { Construct } from 'constructs';
import { CiliumWorkloadPolicy, EffectCheck, HttpEnforcement, IntentGraph, MeshService, ZeroTrustNamespace } from '../../src';
import { claimConditions, ensureAuthorizationPolicy, headerConditions } from '../../src/mesh/_authorization';
import { find, ofKind, synthValid } from '../support/synth';

const IMAGE = 'ghcr.io/acme/app:1.0.0';

function ciliumEnforced() {
  const chart = Testing.chart();
  // these tests read the rendered AuthorizationPolicy alone (ports without Cilium HTTP rules); the effect check has its own tests
  new EffectCheck(chart.node.root as Construct, 'EffectCheck', { enabled: false });
  const production = new ZeroTrustNamespace(chart, 'production');
  const payments = new MeshService(chart, 'payment-service', { namespace: production, image: IMAGE, ports: [{ port: 8080 }, { port: 9090 }] });
  const orders = new MeshService(chart, 'order-service', { namespace: production, image: IMAGE, port: 8080 });
  new CiliumWorkloadPolicy(chart, 'p', { workload: payments, httpEnforcement: HttpEnforcement.CILIUM });
  return { chart, production, payments, orders };
}

describe('AuthorizationPolicy of a workload whose HTTP rules Cilium enforces', () => {
  test('no callers: no per-workload ALLOW policy is synthesized, only the namespace\'s allow-nothing', () => {
    const { chart } = ciliumEnforced();
    const manifests = synthValid(chart);
    expect(ofKind(manifests, 'AuthorizationPolicy').filter(p => p.metadata.namespace === 'production').map(p => ({ name: p.metadata.name, spec: p.spec })))
      .toEqual([{ name: 'allow-nothing', spec: {} }]);
  });

  test('no callers, rendered anyway: an ALLOW policy with no rule (allows nothing), never an empty rule (allows everything)', () => {
    const { chart, payments } = ciliumEnforced();
    ensureAuthorizationPolicy(IntentGraph.of(chart), payments);
    const policy = find(chart.toJson(), 'AuthorizationPolicy', 'payment-service', 'production');
    expect(policy.spec.action).toBe('ALLOW');
    expect(policy.spec.selector).toEqual({ matchLabels: { 'app.kubernetes.io/name': 'payment-service' } });
    expect(policy.spec.rules).toEqual([]);
    expect(policy.spec.rules).not.toContainEqual({});
  });

  test('callers: only their declared ports are opened (Cilium checks who and what), sorted and without duplicates', () => {
    const { chart, payments, orders, production } = ciliumEnforced();
    const audit = new MeshService(chart, 'audit', { namespace: production, image: IMAGE, port: 8080 });
    payments.allowFrom(orders, { ports: [9090], methods: ['POST'], paths: ['/charge'] });
    payments.allowFrom(audit, { ports: [9090, 8080], methods: ['GET'], paths: ['/status'] });
    const policy = find(synthValid(chart), 'AuthorizationPolicy', 'payment-service', 'production');
    expect(policy.spec).toEqual({
      selector: { matchLabels: { 'app.kubernetes.io/name': 'payment-service' } },
      action: 'ALLOW',
      rules: [{ to: [{ operation: { ports: ['8080', '9090'] } }] }],
    });
  });

  test('one caller on one port: exactly that port', () => {
    const { chart, payments, orders } = ciliumEnforced();
    payments.allowFrom(orders, { ports: [9090] });
    expect(find(synthValid(chart), 'AuthorizationPolicy', 'payment-service', 'production').spec.rules)
      .toEqual([{ to: [{ operation: { ports: ['9090'] } }] }]);
  });
});

describe('AuthorizationPolicy of a sidecar-enforced workload', () => {
  function twoCallers() {
    const chart: Chart = Testing.chart();
    const shop = new ZeroTrustNamespace(chart, 'shop');
    const api = new MeshService(chart, 'api', { namespace: shop, image: IMAGE, ports: [{ port: 8080 }, { port: 9090 }] });
    const a = new MeshService(chart, 'a', { namespace: shop, image: IMAGE, port: 8080 });
    const b = new MeshService(chart, 'b', { namespace: shop, image: IMAGE, port: 8080 });
    return { chart, api, a, b };
  }

  test('no callers rendered anyway: no rule at all', () => {
    const { chart, api } = twoCallers();
    ensureAuthorizationPolicy(IntentGraph.of(chart), api);
    expect(find(chart.toJson(), 'AuthorizationPolicy', 'api', 'shop').spec.rules).toEqual([]);
  });

  test('callers of the same operation share one rule; different operations stay separate, with exactly their fields', () => {
    const { chart, api, a, b } = twoCallers();
    api.allowFrom(b, { ports: [8080], methods: ['GET'], paths: ['/x'] });
    api.allowFrom(a, { ports: [8080], methods: ['GET'], paths: ['/x'] });
    api.allowFrom(a, { ports: [9090] });
    expect(find(synthValid(chart), 'AuthorizationPolicy', 'api', 'shop').spec.rules).toEqual([
      {
        from: [{ source: { principals: ['cluster.local/ns/shop/sa/a', 'cluster.local/ns/shop/sa/b'] } }],
        to: [{ operation: { ports: ['8080'], methods: ['GET'], paths: ['/x'] } }],
      },
      {
        from: [{ source: { principals: ['cluster.local/ns/shop/sa/a'] } }],
        to: [{ operation: { ports: ['9090'] } }],
      },
    ]);
  });

  test('same ports and methods but different paths are different operations', () => {
    const { chart, api, a, b } = twoCallers();
    api.allowFrom(a, { ports: [8080], methods: ['GET'], paths: ['/a'] });
    api.allowFrom(b, { ports: [8080], methods: ['GET'], paths: ['/b'] });
    const rules = find(synthValid(chart), 'AuthorizationPolicy', 'api', 'shop').spec.rules;
    expect(rules).toHaveLength(2);
    expect(rules.map((r: any) => [r.from[0].source.principals, r.to[0].operation.paths])).toEqual([
      [['cluster.local/ns/shop/sa/a'], ['/a']],
      [['cluster.local/ns/shop/sa/b'], ['/b']],
    ]);
  });
});

describe('AuthorizationPolicy output is ordered by value, not by declaration or text', () => {
  // the same graph declared in another order must give byte-identical policies (reviewable diffs,
  // stable GitOps sync), and numbers sort as numbers: '9' < '100' < '8080'
  test('Cilium-enforced: ports of every caller, numerically sorted, once each', () => {
    const chart = Testing.chart();
    new EffectCheck(chart.node.root as Construct, 'EffectCheck', { enabled: false });
    const ns = new ZeroTrustNamespace(chart, 'production');
    const api = new MeshService(chart, 'api', { namespace: ns, image: IMAGE, ports: [{ port: 9 }, { port: 100 }, { port: 8080 }] });
    // callers sort as 'a' < 'b'; 'a' declares the larger ports
    const a = new MeshService(chart, 'a', { namespace: ns, image: IMAGE, port: 8080 });
    const b = new MeshService(chart, 'b', { namespace: ns, image: IMAGE, port: 8080 });
    new CiliumWorkloadPolicy(chart, 'p', { workload: api, httpEnforcement: HttpEnforcement.CILIUM });
    api.allowFrom(a, { ports: [8080, 100] });
    api.allowFrom(b, { ports: [9, 8080] });
    expect(find(synthValid(chart), 'AuthorizationPolicy', 'api', 'production').spec.rules)
      .toEqual([{ to: [{ operation: { ports: ['9', '100', '8080'] } }] }]);
  });

  test('principals of one operation sorted by principal, not by caller name', () => {
    const chart = Testing.chart();
    const shop = new ZeroTrustNamespace(chart, 'shop');
    const api = new MeshService(chart, 'api', { namespace: shop, image: IMAGE, port: 8080 });
    const a = new MeshService(chart, 'a', { namespace: shop, image: IMAGE, port: 8080, serviceAccountName: 'zeta' });
    const b = new MeshService(chart, 'b', { namespace: shop, image: IMAGE, port: 8080, serviceAccountName: 'alpha' });
    api.allowFrom(a, { ports: [8080] });
    api.allowFrom(b, { ports: [8080] });
    expect(find(synthValid(chart), 'AuthorizationPolicy', 'api', 'shop').spec.rules[0].from[0].source.principals)
      .toEqual(['cluster.local/ns/shop/sa/alpha', 'cluster.local/ns/shop/sa/zeta']);
  });

  test('required headers and claims become when conditions sorted by name, with exactly the declared values', () => {
    const chart = Testing.chart();
    const shop = new ZeroTrustNamespace(chart, 'shop');
    const api = new MeshService(chart, 'api', { namespace: shop, image: IMAGE, port: 8080 });
    const web = new MeshService(chart, 'web', { namespace: shop, image: IMAGE, port: 8080 });
    api.allowFrom(web, { ports: [8080], requireHeaders: { 'x-zone': 'eu', 'x-app': 'shop' } });
    const when = find(synthValid(chart), 'AuthorizationPolicy', 'api', 'shop').spec.rules[0].when;
    expect(when).toEqual([
      { key: 'request.headers[x-app]', values: ['shop'] },
      { key: 'request.headers[x-zone]', values: ['eu'] },
    ]);
  });

  test('headerConditions and claimConditions (shared with the waypoint and edge renderers) sort by name whatever the input order', () => {
    expect(headerConditions({ 'x-zone': 'eu', 'x-app': 'shop' })).toEqual([
      { key: 'request.headers[x-app]', values: ['shop'] },
      { key: 'request.headers[x-zone]', values: ['eu'] },
    ]);
    const values = ['admin', 'ops'];
    const conditions = claimConditions({ scope: ['read'], groups: values });
    expect(conditions).toEqual([
      { key: 'request.auth.claims[groups]', values: ['admin', 'ops'] },
      { key: 'request.auth.claims[scope]', values: ['read'] },
    ]);
    // a copy: a later change to the caller's array cannot change the rendered policy
    expect(conditions[0].values).not.toBe(values);
  });

  test('every policy the mesh layer writes is labelled as ours and by workload', () => {
    const chart = Testing.chart();
    const shop = new ZeroTrustNamespace(chart, 'shop');
    const api = new MeshService(chart, 'api', { namespace: shop, image: IMAGE, port: 8080 });
    const web = new MeshService(chart, 'web', { namespace: shop, image: IMAGE, port: 8080 });
    api.allowFrom(web, { ports: [8080] });
    const policy = find(synthValid(chart), 'AuthorizationPolicy', 'api', 'shop');
    expect(policy.metadata.labels).toEqual({ 'app.kubernetes.io/managed-by': 'cdk8s-zero-trust', 'app.kubernetes.io/name': 'api' });
  });
});
