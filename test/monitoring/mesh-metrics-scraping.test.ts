import { Testing } from 'cdk8s';
import { MeshMetricsScraping, MeshMode, MeshService, ZeroTrustNamespace } from '../../src';
import { Cluster } from '../support/reachability';
import { find, ofKind, synthValid } from '../support/synth';

describe('MeshMetricsScraping', () => {
  test('opens exactly the sidecar metrics ports of each sidecar namespace to the Prometheus pods, and monitors Envoy', () => {
    // GIVEN
    const chart = Testing.chart();
    const web = new ZeroTrustNamespace(chart, 'web');
    new ZeroTrustNamespace(chart, 'edge', { meshMode: MeshMode.AMBIENT });
    new MeshService(chart, 'frontend', { namespace: web, image: 'r/f:1', port: 8080 });

    // WHEN
    const scraping = new MeshMetricsScraping(chart, 'scrape');
    const again = scraping.addNamespace(web);
    const manifests = synthValid(chart);

    // THEN
    expect(ofKind(manifests, 'PodMonitor').concat(manifests.filter(m => m.metadata.name === 'allow-prometheus-scrape'))).toMatchSnapshot();
    const policy = find(manifests, 'NetworkPolicy', 'allow-prometheus-scrape', 'web');
    expect(again).toBeDefined();
    expect(policy.spec).toEqual({
      podSelector: {},
      policyTypes: ['Ingress'],
      ingress: [{
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } } }],
        ports: [{ protocol: 'TCP', port: 15020 }, { protocol: 'TCP', port: 15090 }],
      }],
    });
    expect(manifests.filter(m => m.metadata.name === 'allow-prometheus-scrape')).toHaveLength(1);
    expect(find(manifests, 'PodMonitor', 'envoy-stats', 'web').spec).toEqual({
      selector: { matchExpressions: [{ key: 'security.istio.io/tlsMode', operator: 'Exists' }] },
      podMetricsEndpoints: [{ portNumber: 15090, path: '/stats/prometheus' }],
    });
    expect(ofKind(manifests, 'PodMonitor').map(m => m.metadata.namespace)).toEqual(['web']);

    // the application port stays closed to Prometheus, the sidecar's metrics ports open
    const prometheus = { kind: 'Deployment', metadata: { name: 'prometheus', namespace: 'monitoring' }, spec: { template: { metadata: { labels: { 'app.kubernetes.io/name': 'prometheus' } }, spec: {} } } };
    const monitoringNs = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'monitoring' } };
    const cluster = new Cluster([...manifests, monitoringNs, prometheus]);
    const from = cluster.pod('monitoring', 'prometheus');
    const to = cluster.pod('web', 'frontend');
    expect(cluster.networkAllows(from, to, 15090)).toBe(true);
    expect(cluster.networkAllows(from, to, 15020)).toBe(true);
    expect(cluster.networkAllows(from, to, 8080)).toBe(false);
  });

  test('throws on an empty Prometheus selector', () => {
    expect(() => new MeshMetricsScraping(Testing.chart(), 's', { prometheusPodLabels: {} }))
      .toThrow(/^\[test\/s\] invalid prometheusPodLabels \{\}: must select the Prometheus pods with at least one label; an empty selector/);
    expect(() => new MeshMetricsScraping(Testing.chart(), 't', { prometheusNamespace: 'Mon' })).toThrow(/^\[test\/t\] invalid prometheusNamespace "Mon"/);
  });
});
