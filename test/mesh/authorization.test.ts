import { Chart, Testing } from 'cdk8s';
import { Construct } from 'constructs';
import { CiliumWorkloadPolicy, EffectCheck, HttpEnforcement, IntentGraph, MeshService, ZeroTrustNamespace } from '../../src';
import { ensureAuthorizationPolicy } from '../../src/mesh/_authorization';
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
