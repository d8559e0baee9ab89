import { Chart, Testing } from 'cdk8s';
import { IntentGraph, MeshService, Privilege, ZeroTrustNamespace } from '../../src';

describe('IntentGraph.declarePlatformEndpoint', () => {
  const setup = () => {
    const chart = Testing.chart();
    const ns = new ZeroTrustNamespace(chart, 'prod');
    const svc = new MeshService(chart, 'orders', { namespace: ns, image: 'ghcr.io/acme/orders:1.0.0', port: 8080 });
    return { graph: IntentGraph.of(chart), svc };
  };

  test('is idempotent and sorted per workload', () => {
    const { graph, svc } = setup();
    const vault = { namespace: 'vault', host: 'vault.vault.svc.cluster.local', port: 8200 };
    const first = graph.declarePlatformEndpoint(svc, vault);
    expect(graph.declarePlatformEndpoint(svc, { ...vault })).toBe(first);
    graph.declarePlatformEndpoint(svc, { namespace: 'cache', host: 'redis.cache.svc.cluster.local', port: 6379 });
    expect(graph.platformEndpointsOf(svc).map(e => `${e.namespace}/${e.host}:${e.port}`)).toEqual([
      'cache/redis.cache.svc.cluster.local:6379', 'vault/vault.vault.svc.cluster.local:8200',
    ]);
  });

  test.each([
    ['an external host', { host: 'vault.example.com', port: 8200 }, /invalid platformEndpoint.host "vault.example.com": must be the fully qualified name of an in-cluster Service/],
    ['a short Service name', { host: 'vault.vault.svc', port: 8200 }, /invalid platformEndpoint.host "vault.vault.svc"/],
    ['a bad port', { host: 'vault.vault.svc.cluster.local', port: 0 }, /invalid platformEndpoint.port 0: must be an integer between 1 and 65535/],
  ])('rejects %s', (_, endpoint, message) => {
    const { graph, svc } = setup();
    expect(() => graph.declarePlatformEndpoint(svc, { namespace: 'vault', ...endpoint })).toThrow(message);
  });

  test.each([
    ['vault.vault.svc.cluster.local', true],
    ['a.b.c-d.svc.cluster.local', true],
    ['v1.x9.svc.cluster.local', true],
    ['vault.vault.svc.cluster.local.example.com', false],
    ['http://vault.vault.svc.cluster.local', false],
    ['-vault.vault.svc.cluster.local', false],
    ['vault-.vault.svc.cluster.local', false],
    ['Vault.vault.svc.cluster.local', false],
    ['vault..svc.cluster.local', false],
    ['svc.cluster.local', false],
    ['vault.vault.svcxcluster.local', false],
  ])('the host %s is accepted: %s', (host, ok) => {
    const { graph, svc } = setup();
    const declare = () => graph.declarePlatformEndpoint(svc, { namespace: 'vault', host, port: 8200 });
    if (ok) expect(declare().host).toBe(host);
    else expect(declare).toThrow(`[test/orders] invalid platformEndpoint.host ${JSON.stringify(host)}: must be the fully qualified name of an in-cluster Service (<name>.<namespace>.svc.cluster.local)`);
  });

  test('after synthesis started, endpoints and privileged workloads are refused', () => {
    const { graph, svc } = setup();
    Testing.synth(Chart.of(svc));
    expect(() => graph.declarePlatformEndpoint(svc, { namespace: 'vault', host: 'vault.vault.svc.cluster.local', port: 8200 }))
      .toThrow('[test/orders] invalid declarePlatformEndpoint() "test/orders": comes after synthesis started, when every layer has already read the intent graph, '
        + 'so some layers would enforce it and others not; declare every namespace, workload, call and egress before calling app.synth() (or Testing.synth())');
    expect(() => graph.declarePrivilegedWorkload(svc, { namespace: 'prod', kind: 'Deployment', name: 'x', podLabels: { app: 'x' }, privileges: [Privilege.RUN_AS_ROOT], reason: 'r' }))
      .toThrow(/^\[test\/orders\] invalid declarePrivilegedWorkload\(\) "test\/orders": comes after synthesis started/);
  });
});
