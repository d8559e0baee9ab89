import { Testing } from 'cdk8s';
import { MetricsPodMonitor, MonitoredComponent } from '../../src';
import { find, synthValid } from '../support/synth';

describe('MetricsPodMonitor', () => {
  test('PodMonitors for istiod, the SPIRE server, Gatekeeper and Falco on their metrics ports', () => {
    const chart = Testing.chart();
    new MetricsPodMonitor(chart, 'istiod', { component: MonitoredComponent.istiod() });
    new MetricsPodMonitor(chart, 'spire', { component: MonitoredComponent.spireServer({ namespace: 'spire' }) });
    new MetricsPodMonitor(chart, 'gatekeeper', { component: MonitoredComponent.gatekeeper(), interval: '30s' });
    new MetricsPodMonitor(chart, 'falco', { component: MonitoredComponent.falco(), labels: { release: 'prom' } });
    new MetricsPodMonitor(chart, 'vault', { component: MonitoredComponent.custom({ name: 'vault-injector', namespace: 'vault', podLabels: { app: 'vault-agent-injector' }, port: 8080 }) });
    const manifests = synthValid(chart);
    expect(manifests).toMatchSnapshot();
    const endpoint = (name: string, ns: string) => find(manifests, 'PodMonitor', name, ns).spec.podMetricsEndpoints[0];
    expect(endpoint('istiod', 'istio-system')).toEqual({ portNumber: 15014, path: '/metrics' });
    expect(find(manifests, 'PodMonitor', 'istiod', 'istio-system').spec.selector).toEqual({ matchLabels: { app: 'istiod' } });
    expect(endpoint('spire-server', 'spire')).toEqual({ portNumber: 9988, path: '/metrics' });
    expect(endpoint('gatekeeper', 'gatekeeper-system')).toEqual({ portNumber: 8888, path: '/metrics', interval: '30s' });
    expect(endpoint('falco', 'falco')).toEqual({ portNumber: 8765, path: '/metrics' });
    expect(find(manifests, 'PodMonitor', 'falco', 'falco').metadata.labels.release).toBe('prom');
    expect(endpoint('vault-injector', 'vault')).toEqual({ portNumber: 8080, path: '/metrics' });
  });

  describe('errors', () => {
    test('throws on a bad component, port, path or interval', () => {
      const chart = Testing.chart();
      expect(() => new MetricsPodMonitor(chart, 'a', { component: { name: 'x' } as any })).toThrow(/^\[test\/a\] invalid component \{"name":"x"\}: must be a MonitoredComponent \(for example MonitoredComponent\.\w+\(...\)\), got object/);
      const custom = (o: any) => MonitoredComponent.custom({ name: 'c', namespace: 'n', podLabels: { a: 'b' }, port: 80, ...o });
      expect(() => new MetricsPodMonitor(chart, 'b', { component: custom({ port: 0 }) })).toThrow(/^\[test\/b\] invalid component\.port 0: must be an integer between 1 and 65535$/);
      expect(() => new MetricsPodMonitor(chart, 'c', { component: custom({ path: 'metrics' }) })).toThrow(/^\[test\/c\] invalid component\.path "metrics": must be an absolute HTTP path/);
      expect(() => new MetricsPodMonitor(chart, 'd', { component: custom({ namespace: 'My_NS' }) })).toThrow(/^\[test\/d\] invalid component\.namespace "My_NS"/);
      expect(() => new MetricsPodMonitor(chart, 'e', { component: custom({}), interval: 'fast' })).toThrow(/^\[test\/e\] invalid interval "fast"/);
    });
  });
});
