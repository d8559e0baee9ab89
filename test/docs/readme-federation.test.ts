import * as lib from '../../src';
import { Cluster, Pod } from '../support/reachability';
import { readmeSnippet, runReadmeApp } from '../support/readme';
import { find, synthAppValid } from '../support/synth';

describe('README: beyond one cluster', () => {
  test('the snippet runs, validates, and admits exactly the remote principal through the east-west gateway', () => {
    const app = runReadmeApp(readmeSnippet('### Beyond one cluster'));
    const manifests = synthAppValid(app);
    const cluster = new Cluster(manifests, 'cluster-b.example.org');
    const ledger = cluster.pod('ledger', 'ledger-service');
    const orders: Pod = { namespace: 'shop', name: 'orders', labels: {}, serviceAccount: 'orders', trustDomain: 'cluster-a.example.org' };
    expect(cluster.meshAllows(orders, ledger, { port: 8443, method: 'POST', path: '/entries' })).toBe(true);
    expect(cluster.meshAllows(orders, ledger, { port: 8443, method: 'DELETE', path: '/entries' })).toBe(false);
    expect(find(manifests, 'NetworkPolicy', 'ledger-service-ingress').spec.ingress[0].from).toEqual([{
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'istio-system' } }, podSelector: { matchLabels: { istio: 'eastwestgateway' } },
    }]);
    expect(find(manifests, 'ClusterFederatedTrustDomain', 'spire-server-spire-cluster-a.example.org').spec.trustDomain).toBe('cluster-a.example.org');
    expect(lib.OutputFile.of(app).map(f => f.relativePath)).toEqual([
      'aws/eks/ledger-ledger-service.pod-identity-association.json',
      'aws/iam/ledger-ledger-service.permissions-policy.json',
      'aws/iam/ledger-ledger-service.trust-policy.json',
      'istio/spire-integration.values.yaml',
    ]);
  });
});
