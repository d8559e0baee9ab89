import { Testing } from 'cdk8s';
import { IntentGraph, MeshService, ZeroTrustNamespace } from '../../src';

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
});
