import * as fs from 'fs';
import * as path from 'path';
import { Chart, Testing } from 'cdk8s';
import { factsMetricNames, parsePromQL } from './_promql';
import { MeshService, ZeroTrustAlerts, ZeroTrustNamespace } from '../../src';
import { repoRoot } from '../support/schemas';
import { find, synthValid } from '../support/synth';

const ISTIO_LABELS = ['reporter', 'source_workload', 'source_workload_namespace', 'source_principal', 'destination_workload',
  'destination_workload_namespace', 'destination_principal', 'destination_service', 'response_code', 'response_flags', 'connection_security_policy'];
const LABELS_BY_PREFIX: Array<[RegExp, string[]]> = [
  [/^istio_/, ISTIO_LABELS],
  [/^gatekeeper_violations$/, ['enforcement_action']],
  [/^falcosecurity_falco_rules_matches_total$/, ['rule_name', 'priority', 'source', 'tag_zero_trust']],
];

function everything(): { chart: Chart; alerts: ZeroTrustAlerts } {
  const app = Testing.app();
  const chart = new Chart(app, 'c');
  const web = new ZeroTrustNamespace(chart, 'web');
  new ZeroTrustNamespace(chart, 'data');
  new MeshService(chart, 'frontend', { namespace: web, image: 'r/f:1', port: 8080 });
  const alerts = new ZeroTrustAlerts(chart, 'alerts', { spire: true, certManager: true, vaultInjector: true });
  return { chart, alerts };
}

describe('ZeroTrustAlerts', () => {
  test('every alert parses with Prometheus\' grammar and uses only metrics and labels the components export', () => {
    const { chart, alerts } = everything();
    const manifests = synthValid(chart);
    expect(manifests.filter(m => m.kind === 'PrometheusRule')).toMatchSnapshot();
    const known = factsMetricNames();
    expect(alerts.alerts.map(a => a.alert)).toEqual([
      'ZeroTrustPlaintextTraffic', 'ZeroTrustAuthorizationDenialSpike', 'IstioCACertificateExpiring', 'IstioCACertificateExpiryImminent',
      'SpireServerCAExpiring', 'SpireServerCAExpiryImminent', 'CertManagerCertificateExpiring', 'CertManagerCertificateExpiryImminent',
      'GatekeeperAuditViolations', 'GatekeeperAuditStale', 'FalcoCriticalEvents', 'ZeroTrustFalcoWarnings', 'FalcoDroppingEvents',
      'VaultAgentInjectionFailures',
    ]);
    const runbooks = fs.readFileSync(path.join(repoRoot(), 'docs', 'runbooks.md'), 'utf8');
    for (const alert of alerts.alerts) {
      const parsed = parsePromQL(alert.expr);
      expect({ alert: alert.alert, error: parsed.error }).toEqual({ alert: alert.alert, error: false });
      expect(parsed.metrics.length).toBeGreaterThan(0);
      expect(parsed.metrics.filter(m => !known.has(m))).toEqual([]);
      for (const { metric, label } of parsed.matchers) {
        const allowed = LABELS_BY_PREFIX.find(([re]) => re.test(metric));
        expect({ metric, label, ok: !allowed || allowed[1].includes(label) }).toEqual({ metric, label, ok: true });
      }
      // every alert links to a runbook section that exists
      expect(alert.annotations.runbook_url).toBe(`https://github.com/cdk8s-zero-trust/cdk8s-zero-trust/blob/main/docs/runbooks.md#${alert.alert.toLowerCase()}`);
      expect(runbooks).toContain(`## ${alert.alert.toLowerCase()}\n`);
    }
  });

  test('plaintext: destination reporter only, on the intent graph\'s namespaces', () => {
    const { alerts } = everything();
    const plaintext = alerts.alerts.find(a => a.alert === 'ZeroTrustPlaintextTraffic')!;
    expect(plaintext.labels.severity).toBe('critical');
    const matchers = parsePromQL(plaintext.expr).matchers;
    expect(matchers.filter(m => m.label === 'reporter').map(m => m.value)).toEqual(['destination', 'destination']);
    expect(matchers.filter(m => m.label === 'connection_security_policy').map(m => m.value)).toEqual(['none', 'none']);
    expect(matchers.filter(m => m.label === 'destination_workload_namespace').map(m => m.value)).toEqual(['data|web', 'data|web']);
    expect(parsePromQL(plaintext.expr).metrics).toEqual(['istio_requests_total', 'istio_tcp_connections_opened_total']);
  });

  test('certificates: warning at 30 days, page at 7 days; SPIRE by rotation lateness', () => {
    const { alerts } = everything();
    const by = (name: string) => alerts.alerts.find(a => a.alert === name)!;
    expect(by('IstioCACertificateExpiring').expr).toContain('< 2592000');
    expect(by('IstioCACertificateExpiring').labels.severity).toBe('warning');
    expect(by('IstioCACertificateExpiryImminent').expr).toContain('< 604800');
    expect(by('IstioCACertificateExpiryImminent').labels.severity).toBe('critical');
    expect(by('CertManagerCertificateExpiring').expr).toContain('< 2592000');
    expect(by('CertManagerCertificateExpiryImminent').expr).toContain('< 604800');
    expect(by('SpireServerCAExpiring').expr).toBe('(min by (trust_domain_id) (spire_server_manager_x509_ca_rotate_expiration) - time()) < 21600');
    expect(by('SpireServerCAExpiryImminent').labels.severity).toBe('critical');
    expect(by('GatekeeperAuditViolations').expr).toBe('sum by (enforcement_action) (gatekeeper_violations) > 0');
    expect(by('FalcoCriticalEvents').expr).toContain('priority=~"0|1|2"');
  });

  test('defaults: Istio, Gatekeeper and Falco; mesh-wide without namespaces', () => {
    const chart = Testing.chart();
    const alerts = new ZeroTrustAlerts(chart, 'alerts', { denialRateThreshold: 5 });
    const names = alerts.alerts.map(a => a.alert);
    expect(names).not.toContain('SpireServerCAExpiring');
    expect(names).not.toContain('CertManagerCertificateExpiring');
    expect(names).toContain('GatekeeperAuditStale');
    const spike = alerts.alerts.find(a => a.alert === 'ZeroTrustAuthorizationDenialSpike')!;
    expect(spike.expr).toContain('> 5 and');
    expect(spike.expr).not.toContain('destination_workload_namespace=~');
    expect(find(synthValid(chart), 'PrometheusRule', 'zero-trust-alerts', 'monitoring').metadata.labels.release).toBe('kube-prometheus-stack');
  });

  describe('errors', () => {
    test.each([
      [{ runbookBaseUrl: 'http://wiki/runbooks' }, /^\[test\/a\] invalid runbookBaseUrl "http:\/\/wiki\/runbooks": must be an https URL/],
      [{ denialRateThreshold: 0 }, /^\[test\/a\] invalid denialRateThreshold 0: must be a positive number/],
      [{ spireCaWarningSeconds: 600, spireCaCriticalSeconds: 3600 }, /^\[test\/a\] invalid spireCaCriticalSeconds 3600: must be less than spireCaWarningSeconds \(600\)/],
      [{ spireCaWarningSeconds: 1.5 }, /^\[test\/a\] invalid spireCaWarningSeconds 1\.5: must be a positive integer/],
      [{ namespaces: ['Web'] }, /^\[test\/a\] invalid namespaces "Web": must be namespace names/],
    ])('throws on %j', (props, message) => {
      expect(() => new ZeroTrustAlerts(Testing.chart(), 'a', props)).toThrow(message);
    });
  });
});
