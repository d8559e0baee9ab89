import { App, Chart, Testing } from 'cdk8s';
import {
  FalcoRuleSet, IntentGraph, MeshAccessLogging, MeshService, PrometheusRules, RemoteWorkload, SpireDeployment,
  VaultConnection, ZeroTrustNamespace,
} from '../../src';
import { checkDns1035Label, checkDns1123Label, checkTrustDomain } from '../../src/intent/_validation';

// Limits and anchors of the shared validators (src/intent/_validation.ts), exercised through the
// public constructs that take names, trust domains and ports. Each name reaches principals,
// selectors, Sidecar hosts, labels or generated scripts, so a valid prefix with a bad tail must
// never pass.

function chartOf(app: App = Testing.app()): Chart {
  return new Chart(app, 'test');
}

const IMAGE = 'ghcr.io/acme/app:1.0.0';

/** Every public entry that takes a DNS-1123 / DNS-1035 label: the prop the error must name, and how to pass `name`. */
const NAME_ENTRIES: Array<[string, string, (name: string) => void]> = [
  ['ZeroTrustNamespace name', 'name', name => new ZeroTrustNamespace(chartOf(), 'ns', { name })],
  ['MeshService name (DNS-1035)', 'name', name => {
    const chart = chartOf();
    new MeshService(chart, 'svc', { namespace: new ZeroTrustNamespace(chart, 'shop'), image: IMAGE, port: 8080, name });
  }],
  ['MeshService serviceAccountName', 'serviceAccountName', serviceAccountName => {
    const chart = chartOf();
    new MeshService(chart, 'svc', { namespace: new ZeroTrustNamespace(chart, 'shop'), image: IMAGE, port: 8080, serviceAccountName });
  }],
  ['RemoteWorkload spiffeId namespace', 'spiffeId', ns => new RemoteWorkload(chartOf(), 'r', {
    spiffeId: `spiffe://b.example.org/ns/${ns}/sa/ledger`, path: { remoteCidrs: ['198.51.100.20/32'] },
  })],
  ['RemoteWorkload spiffeId serviceAccount', 'spiffeId', sa => new RemoteWorkload(chartOf(), 'r', {
    spiffeId: `spiffe://b.example.org/ns/ledger/sa/${sa}`, path: { remoteCidrs: ['198.51.100.20/32'] },
  })],
  ['SpireDeployment clusterName', 'clusterName', clusterName => new SpireDeployment(chartOf(), 'spire', { clusterName })],
  ['SpireDeployment serverNamespace', 'serverNamespace', serverNamespace => new SpireDeployment(chartOf(), 'spire', { clusterName: 'c1', className: 'spire', serverNamespace })],
  ['PrometheusRules name', 'name', name => new PrometheusRules(chartOf(), 'rules', { name })],
  ['PrometheusRules namespace', 'namespace', namespace => new PrometheusRules(chartOf(), 'rules', { namespace })],
  ['FalcoRuleSet namespace', 'namespace', namespace => new FalcoRuleSet(chartOf(), 'falco', { namespace })],
  ['FalcoRuleSet releaseName', 'releaseName', releaseName => new FalcoRuleSet(chartOf(), 'falco', { releaseName })],
  ['MeshAccessLogging rootNamespace', 'rootNamespace', rootNamespace => new MeshAccessLogging(chartOf(), 'logs', { rootNamespace })],
  ['VaultConnection namespace', 'namespace', namespace => new VaultConnection(chartOf(), 'vault', { address: 'https://vault.example.com', namespace })],
];

/** A valid prefix followed by a bad tail (or a bad head): only whole-string anchored patterns reject them. */
const BAD_NAMES = ['orders\n', 'orders\nevil', 'orders|x', 'orders_x', 'orders_', 'orders.x', 'orders/x', 'orders x', '_orders', '\norders', 'Orders', 'orders-', '-orders', ''];

describe('label patterns are anchored at both ends', () => {
  describe.each(NAME_ENTRIES)('%s', (_entry, prop, create) => {
    test('accepts a plain name', () => {
      expect(() => create('orders')).not.toThrow();
    });

    test.each(BAD_NAMES.map(n => [JSON.stringify(n), n]))('rejects %s, naming the prop and the value', (_shown, bad) => {
      let error: Error | undefined;
      try {
        create(bad);
      } catch (e) {
        error = e as Error;
      }
      expect(error).toBeDefined();
      expect(error!.message).toContain(`invalid ${prop}`);
    });
  });

  test('DNS-1035: a Service name must start with a letter (a DNS-1123 label may start with a digit)', () => {
    const chart = chartOf();
    const ns = new ZeroTrustNamespace(chart, 'shop');
    expect(() => new MeshService(chart, 'a', { namespace: ns, image: IMAGE, port: 8080, name: '1orders' }))
      .toThrow(/invalid name "1orders": must be a DNS-1035 label/);
    expect(() => new ZeroTrustNamespace(chart, 'n1', { name: '1shop' })).not.toThrow();
    expect(() => new MeshService(chart, 'b', { namespace: ns, image: IMAGE, port: 8080, name: 'orders-2' })).not.toThrow();
  });

  test('the error names the construct path, the prop, the value and what is allowed', () => {
    const chart = chartOf();
    expect(() => new ZeroTrustNamespace(chart, 'ns', { name: 'shop|x' }))
      .toThrow('[test/ns] invalid name "shop|x": must be a DNS-1123 label: at most 63 lower-case alphanumeric characters or \'-\', starting and ending with an alphanumeric character');
  });
});

describe('names must be strings, not values that only look like one', () => {
  // jsii callers (Python, Java) and plain JavaScript pass anything: an array or an object whose
  // string form is a valid label must not pass the pattern test by coercion. At public entries the
  // type guards (src/intent/_guards.ts) answer first; the validators keep their own type check for
  // the values that reach them from elsewhere (manifests of adopted workloads, parsed SPIFFE IDs)
  const entries = NAME_ENTRIES.filter(([entry]) => !entry.startsWith('RemoteWorkload'));

  test.each(entries)('%s rejects [\'orders\'] and { toString }', (_entry, prop, create) => {
    expect(() => create(['orders'] as any)).toThrow(new RegExp(`invalid ${prop} \\["orders"\\]: must be a string`));
    expect(() => create({ toString: () => 'orders' } as any)).toThrow(new RegExp(`invalid ${prop} \\{\\}: must be a string`));
  });

  test.each([
    ['checkDns1123Label', checkDns1123Label, 'must be a DNS-1123 label'],
    ['checkDns1035Label', checkDns1035Label, 'must be a DNS-1035 label'],
    ['checkTrustDomain', checkTrustDomain, 'must be a SPIFFE trust domain'],
  ] as const)('%s itself refuses a non-string whose string form would match', (_name, check, allowed) => {
    const scope = chartOf();
    expect(() => check(scope, 'name', ['orders'] as any)).toThrow(`[test] invalid name ["orders"]: ${allowed}`);
    expect(() => check(scope, 'name', { toString: () => 'orders' } as any)).toThrow(`[test] invalid name {}: ${allowed}`);
    expect(check(scope, 'name', 'orders')).toBe('orders');
  });

  test('a value JSON cannot show is shown by its string form', () => {
    const cyclic: any = { toString: () => 'cyclic' };
    cyclic.self = cyclic;
    expect(() => checkDns1123Label(chartOf(), 'name', cyclic)).toThrow('[test] invalid name cyclic: must be a DNS-1123 label');
    expect(() => new ZeroTrustNamespace(chartOf(), 'ns', { name: cyclic })).toThrow('[test/ns] invalid name cyclic: must be a string');
  });

  test('a trust domain must be a string', () => {
    expect(() => new IntentGraph(Testing.app(), 'IntentGraph', { trustDomain: ['example.org'] as any }))
      .toThrow('invalid trustDomain ["example.org"]: must be a string');
  });

  test('the fix is appended after the allowed values', () => {
    expect(() => new IntentGraph(Testing.app(), 'IntentGraph', { trustDomain: 'Example.org' }))
      .toThrow('[IntentGraph] invalid trustDomain "Example.org": must be a SPIFFE trust domain: 1-255 characters of lower-case letters, digits, \'.\', \'-\' or \'_\' (no scheme, port or path); for example \'cluster.local\' or \'example.org\'');
  });
});

describe('label length: 63 characters accepted, 64 rejected', () => {
  const label = (n: number) => `a${'b'.repeat(n - 2)}c`;

  test.each(NAME_ENTRIES)('%s', (_entry, prop, create) => {
    expect(label(63)).toHaveLength(63);
    expect(() => create(label(63))).not.toThrow();
    expect(() => create(label(64))).toThrow(`invalid ${prop}`);
  });

  test('a 63-character namespace and service synthesize with that exact name', () => {
    const chart = chartOf();
    const ns = new ZeroTrustNamespace(chart, 'ns', { name: label(63) });
    new MeshService(chart, 'svc', { namespace: ns, image: IMAGE, port: 8080, name: `x${label(62)}` });
    const manifests = Testing.synth(chart);
    expect(manifests.find(m => m.kind === 'Namespace').metadata.name).toBe(label(63));
    expect(manifests.find(m => m.kind === 'Deployment').metadata.name).toBe(`x${label(62)}`);
  });
});

describe('trust domains', () => {
  /** A DNS-like trust domain of exactly n characters. */
  const domain = (n: number) => {
    const base = 'example.org';
    return `${'a'.repeat(n - base.length - 1)}.${base}`;
  };
  const graph = (trustDomain: string) => new IntentGraph(Testing.app(), 'IntentGraph', { trustDomain });

  test.each([1, 253, 254, 255])('%i characters accepted', n => {
    const td = n === 1 ? 'a' : domain(n);
    expect(td).toHaveLength(n);
    expect(graph(td).trustDomain).toBe(td);
  });

  test.each([256, 300])('%i characters rejected', n => {
    expect(() => graph(domain(n))).toThrow(/invalid trustDomain "a+\.example\.org": must be a SPIFFE trust domain: 1-255 characters/);
  });

  test.each(['', 'example.org\n', 'example.org\nevil', 'example.org|x', 'example.org/ns', 'example.org:8443', 'spiffe://example.org', 'Example.org', '\nexample.org', 'example org'])(
    'rejects %j', bad => {
      expect(() => graph(bad)).toThrow('invalid trustDomain');
    });

  test.each(['cluster.local', 'prod_eu-1.example.org', '10.0.0.1'])('accepts %j', td => {
    expect(graph(td).trustDomain).toBe(td);
  });

  test('the trust domain lands in the principal exactly as declared', () => {
    const app = Testing.app();
    const td = domain(255);
    new IntentGraph(app, 'IntentGraph', { trustDomain: td });
    const chart = chartOf(app);
    const svc = new MeshService(chart, 'svc', { namespace: new ZeroTrustNamespace(chart, 'shop'), image: IMAGE, port: 8080 });
    expect(IntentGraph.of(chart).principalOf(svc)).toBe(`${td}/ns/shop/sa/svc`);
  });
});

describe('ports: integers 1..65535 only', () => {
  function service(port: any) {
    const chart = chartOf();
    return new MeshService(chart, 'svc', { namespace: new ZeroTrustNamespace(chart, 'shop'), image: IMAGE, port });
  }

  test.each([1, 65535, 8080])('container port %i accepted', port => {
    expect(service(port).workloadPorts.map(p => p.port)).toEqual([port]);
  });

  test.each([
    ['0', 0], ['65536', 65536], ['-1', -1], ['8080.5', 8080.5], ['"8080" (a string)', '8080'], ['NaN', NaN], ['Infinity', Infinity], ['null', null],
  ])('container port %s rejected', (shown, port) => {
    // a wrong type (string, NaN, Infinity, null) is the type guard's error, a wrong number the range check's
    const value = shown === '"8080" (a string)' ? '"8080"' : shown;
    expect(() => service(port)).toThrow(new RegExp(`invalid port ${value}: must be (an integer between 1 and 65535|a finite number or undefined, got)`));
  });

  test.each([[0], [65536], [8080.5], ['8080']])('servicePort %j rejected', servicePort => {
    const chart = chartOf();
    const ns = new ZeroTrustNamespace(chart, 'shop');
    expect(() => new MeshService(chart, 'svc', { namespace: ns, image: IMAGE, ports: [{ port: 8080, servicePort: servicePort as any }] }))
      .toThrow(/invalid (ports\[0\]\.)?servicePort/);
  });

  test.each([[1], [65535]])('servicePort %i accepted', servicePort => {
    const chart = chartOf();
    const ns = new ZeroTrustNamespace(chart, 'shop');
    expect(() => new MeshService(chart, 'svc', { namespace: ns, image: IMAGE, ports: [{ port: 8080, servicePort }] })).not.toThrow();
  });

  test.each([[0], [65536], [8080.5], ['8080']])('allowFrom ports [%j] rejected before any rule is derived', port => {
    const chart = chartOf();
    const ns = new ZeroTrustNamespace(chart, 'shop');
    const a = new MeshService(chart, 'a', { namespace: ns, image: IMAGE, port: 8080 });
    const b = new MeshService(chart, 'b', { namespace: ns, image: IMAGE, port: 8080 });
    expect(() => b.allowFrom(a, { ports: [port as any] })).toThrow('invalid ports');
    expect(b.allowedCalls).toEqual([]);
  });

  test.each([[0], [65536], [443.5], ['443']])('allowEgressTo port %j rejected', port => {
    const chart = chartOf();
    const a = new MeshService(chart, 'a', { namespace: new ZeroTrustNamespace(chart, 'shop'), image: IMAGE, port: 8080 });
    expect(() => a.allowEgressTo('api.example.com', { port: port as any })).toThrow('invalid port');
  });

  test.each([[1], [65535]])('allowEgressTo port %i accepted', port => {
    const chart = chartOf();
    const a = new MeshService(chart, 'a', { namespace: new ZeroTrustNamespace(chart, 'shop'), image: IMAGE, port: 8080 });
    expect(() => a.allowEgressTo('api.example.com', { port })).not.toThrow();
  });

  test.each([[0], [65536], [8200.5], ['8200']])('VaultConnection port %j rejected', port => {
    expect(() => new VaultConnection(chartOf(), 'vault', { address: 'https://vault.example.com', port: port as any })).toThrow('invalid port');
  });
});
