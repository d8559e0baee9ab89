import { App, Chart, Testing } from 'cdk8s';
import { MeshService, ZeroTrustNamespace } from '../../src';
import { Cluster } from '../support/reachability';
import { find, synthValid } from '../support/synth';

const IMAGE = 'ghcr.io/acme/app:1.0.0';

function peer(namespace: string, name: string) {
  return {
    namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } },
    podSelector: { matchLabels: { 'app.kubernetes.io/name': name } },
  };
}

const tcp = (...ports: number[]) => ports.map(port => ({ protocol: 'TCP', port }));

describe('NetworkPolicy rule grouping', () => {
  /** Two callers whose port sets concatenate to the same digits: {12, 34} and {1, 234}. */
  function collidingPorts() {
    const chart = Testing.chart();
    const shop = new ZeroTrustNamespace(chart, 'shop');
    const db = new MeshService(chart, 'db', { namespace: shop, image: IMAGE, ports: [{ port: 1 }, { port: 12 }, { port: 34 }, { port: 234 }] });
    const a = new MeshService(chart, 'a', { namespace: shop, image: IMAGE, port: 8080 });
    const b = new MeshService(chart, 'b', { namespace: shop, image: IMAGE, port: 8080 });
    db.allowFrom(a, { ports: [12, 34] });
    db.allowFrom(b, { ports: [1, 234] });
    return { chart, db, a, b };
  }

  test('callers with colliding port sets ({12,34} and {1,234}) get separate rules, each with exactly its ports', () => {
    const manifests = synthValid(collidingPorts().chart);
    expect(find(manifests, 'NetworkPolicy', 'db-ingress', 'shop').spec.ingress).toEqual([
      { from: [peer('shop', 'b')], ports: tcp(1, 234) },
      { from: [peer('shop', 'a')], ports: tcp(12, 34) },
    ]);
    expect(find(manifests, 'NetworkPolicy', 'a-egress', 'shop').spec.egress).toEqual([{ to: [peer('shop', 'db')], ports: tcp(12, 34) }]);
    expect(find(manifests, 'NetworkPolicy', 'b-egress', 'shop').spec.egress).toEqual([{ to: [peer('shop', 'db')], ports: tcp(1, 234) }]);
  });

  test('evaluated: neither caller reaches the other\'s ports', () => {
    const c = new Cluster(synthValid(collidingPorts().chart));
    const [db, a, b] = [c.pod('shop', 'db'), c.pod('shop', 'a'), c.pod('shop', 'b')];
    for (const port of [12, 34]) {
      expect(c.networkAllows(a, db, port)).toBe(true);
      expect(c.networkAllows(b, db, port)).toBe(false);
    }
    for (const port of [1, 234]) {
      expect(c.networkAllows(b, db, port)).toBe(true);
      expect(c.networkAllows(a, db, port)).toBe(false);
    }
  });

  test('callers with the same ports share one rule; their peers are sorted', () => {
    const chart = Testing.chart();
    const shop = new ZeroTrustNamespace(chart, 'shop');
    const db = new MeshService(chart, 'db', { namespace: shop, image: IMAGE, ports: [{ port: 5432 }, { port: 9187 }] });
    const z = new MeshService(chart, 'z', { namespace: shop, image: IMAGE, port: 8080 });
    const a = new MeshService(chart, 'a', { namespace: shop, image: IMAGE, port: 8080 });
    const m = new MeshService(chart, 'm', { namespace: shop, image: IMAGE, port: 8080 });
    db.allowFrom(z, { ports: [5432] });
    db.allowFrom(a, { ports: [5432] });
    db.allowFrom(m, { ports: [9187, 5432] });
    expect(find(synthValid(chart), 'NetworkPolicy', 'db-ingress', 'shop').spec.ingress).toEqual([
      { from: [peer('shop', 'a'), peer('shop', 'z')], ports: tcp(5432) },
      { from: [peer('shop', 'm')], ports: tcp(5432, 9187) },
    ]);
  });

  test('two calls of one caller merge into one port set for that caller only', () => {
    const chart = Testing.chart();
    const shop = new ZeroTrustNamespace(chart, 'shop');
    const db = new MeshService(chart, 'db', { namespace: shop, image: IMAGE, ports: [{ port: 5432 }, { port: 9187 }] });
    const a = new MeshService(chart, 'a', { namespace: shop, image: IMAGE, port: 8080 });
    const b = new MeshService(chart, 'b', { namespace: shop, image: IMAGE, port: 8080 });
    db.allowFrom(a, { ports: [9187], methods: ['GET'] });
    db.allowFrom(a, { ports: [5432], methods: ['POST'] });
    db.allowFrom(b, { ports: [5432] });
    expect(find(synthValid(chart), 'NetworkPolicy', 'db-ingress', 'shop').spec.ingress).toEqual([
      { from: [peer('shop', 'b')], ports: tcp(5432) },
      { from: [peer('shop', 'a')], ports: tcp(5432, 9187) },
    ]);
  });
});

describe('determinism under out-of-order declarations', () => {
  type Order = 'forward' | 'reverse';

  /** The same graph declared in two orders: namespaces, services and calls all reversed. */
  function declare(order: Order): any[] {
    const app: App = Testing.app();
    const chart = new Chart(app, 'test');
    const nsNames = ['web', 'shop', 'data'];
    const namespaces = new Map<string, ZeroTrustNamespace>();
    for (const n of order === 'forward' ? nsNames : [...nsNames].reverse()) namespaces.set(n, new ZeroTrustNamespace(chart, n));
    const services: Array<[string, string, number[]]> = [
      ['frontend', 'web', [8080]],
      ['orders', 'shop', [8080, 9090]],
      ['payments', 'shop', [8443]],
      ['db', 'data', [5432, 9187]],
    ];
    const svc = new Map<string, MeshService>();
    for (const [name, ns, ports] of order === 'forward' ? services : [...services].reverse()) {
      svc.set(name, new MeshService(chart, name, { namespace: namespaces.get(ns)!, image: IMAGE, ports: ports.map(port => ({ port })) }));
    }
    const calls: Array<[string, string, { ports?: number[]; methods?: string[]; paths?: string[] }]> = [
      ['frontend', 'orders', { ports: [8080], methods: ['POST', 'GET'], paths: ['/orders/*', '/cart'] }],
      ['frontend', 'payments', { methods: ['POST'], paths: ['/pay'] }],
      ['orders', 'payments', { methods: ['POST'] }],
      ['orders', 'db', { ports: [5432] }],
      ['payments', 'db', { ports: [5432] }],
      ['frontend', 'db', { ports: [9187] }],
      ['payments', 'orders', { ports: [9090] }],
    ];
    for (const [caller, callee, options] of order === 'forward' ? calls : [...calls].reverse()) {
      const opts = order === 'forward' ? options : {
        ...options,
        ...(options.ports ? { ports: [...options.ports].reverse() } : {}),
        ...(options.methods ? { methods: [...options.methods].reverse() } : {}),
        ...(options.paths ? { paths: [...options.paths].reverse() } : {}),
      };
      svc.get(callee)!.allowFrom(svc.get(caller)!, opts);
    }
    return Testing.synth(chart);
  }

  const byKey = (manifests: any[]) => Object.fromEntries(manifests.map(m => [`${m.kind}/${m.metadata.namespace ?? ''}/${m.metadata.name}`, m]));

  test('every object is the same whatever the declaration order', () => {
    const forward = declare('forward');
    const reverse = declare('reverse');
    expect(Object.keys(byKey(reverse)).sort()).toEqual(Object.keys(byKey(forward)).sort());
    expect(byKey(reverse)).toEqual(byKey(forward));
  });

  test('the policy objects themselves (rules and peers inside them) are identical, in the same order', () => {
    const kinds = ['NetworkPolicy', 'AuthorizationPolicy', 'Sidecar', 'PeerAuthentication'];
    const pick = (manifests: any[]) => manifests.filter(m => kinds.includes(m.kind))
      .sort((x, y) => `${x.kind}/${x.metadata.namespace}/${x.metadata.name}`.localeCompare(`${y.kind}/${y.metadata.namespace}/${y.metadata.name}`));
    const forward = pick(declare('forward'));
    expect(forward.length).toBeGreaterThan(10);
    expect(JSON.stringify(pick(declare('reverse')))).toBe(JSON.stringify(forward));
  });

  test('rules are sorted: db ingress lists its callers in a fixed order', () => {
    const db = find(declare('reverse'), 'NetworkPolicy', 'db-ingress', 'data');
    expect(db.spec.ingress).toEqual([
      { from: [peer('shop', 'orders'), peer('shop', 'payments')], ports: tcp(5432) },
      { from: [peer('web', 'frontend')], ports: tcp(9187) },
    ]);
    const ap = find(declare('reverse'), 'AuthorizationPolicy', 'orders', 'shop');
    expect(ap.spec.rules).toEqual([
      {
        from: [{ source: { principals: ['cluster.local/ns/web/sa/frontend'] } }],
        to: [{ operation: { ports: ['8080'], methods: ['GET', 'POST'], paths: ['/cart', '/orders/*'] } }],
      },
      {
        from: [{ source: { principals: ['cluster.local/ns/shop/sa/payments'] } }],
        to: [{ operation: { ports: ['9090'] } }],
      },
    ]);
  });
});

describe('NetworkPolicy ports and labels', () => {
  test('one caller declaring ports in two calls: one rule, ports sorted as numbers (9 before 100)', () => {
    const chart = Testing.chart();
    const shop = new ZeroTrustNamespace(chart, 'shop');
    const db = new MeshService(chart, 'db', { namespace: shop, image: IMAGE, ports: [{ port: 9 }, { port: 100 }, { port: 8080 }] });
    const a = new MeshService(chart, 'a', { namespace: shop, image: IMAGE, port: 8080 });
    db.allowFrom(a, { ports: [100] });
    db.allowFrom(a, { ports: [9] });
    db.allowFrom(a, { ports: [8080] });
    const policy = find(synthValid(chart), 'NetworkPolicy', 'db-ingress', 'shop');
    expect(policy.spec.ingress).toEqual([{ from: [peer('shop', 'a')], ports: tcp(9, 100, 8080) }]);
  });

  test('every NetworkPolicy the library writes for a workload is labelled as ours and by workload', () => {
    const chart = Testing.chart();
    const shop = new ZeroTrustNamespace(chart, 'shop');
    const db = new MeshService(chart, 'db', { namespace: shop, image: IMAGE, port: 5432 });
    const a = new MeshService(chart, 'a', { namespace: shop, image: IMAGE, port: 8080 });
    db.allowFrom(a);
    const manifests = synthValid(chart);
    for (const [name, workload] of [['db-ingress', 'db'], ['a-egress', 'a']]) {
      expect(find(manifests, 'NetworkPolicy', name, 'shop').metadata.labels)
        .toEqual({ 'app.kubernetes.io/managed-by': 'cdk8s-zero-trust', 'app.kubernetes.io/name': workload });
    }
  });
});
