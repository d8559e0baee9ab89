import { Chart, Testing } from 'cdk8s';
import { parsePromQL } from './_promql';
import { AlertSeverity, PrometheusRules } from '../../src';
import { find, synthValid } from '../support/synth';

const ALERT = {
  name: 'HighErrorRate',
  expr: 'sum by (destination_workload) (rate(istio_requests_total{reporter="destination", response_code=~"5.."}[5m])) > 1',
  severity: AlertSeverity.WARNING,
  summary: 'errors at {{ $labels.destination_workload }}',
  description: 'more than one 5xx per second',
  runbookUrl: 'https://runbooks.example.com/high-error-rate',
};

describe('PrometheusRules', () => {
  test('synthesizes a PrometheusRule with groups, severity and runbook', () => {
    const chart = Testing.chart();
    const rules = new PrometheusRules(chart, 'app-alerts', { interval: '1m', labels: { release: 'prom' } });
    expect(rules.addAlert('app', ALERT)).toBe('HighErrorRate');
    rules.addAlert('app', ALERT);
    rules.addAlert('app', { ...ALERT, name: 'Other', forDuration: '10m', labels: { team: 'payments' } });
    const manifests = synthValid(chart);
    expect(manifests).toMatchSnapshot();
    const rule = find(manifests, 'PrometheusRule', 'app-alerts', 'monitoring');
    expect(rule.metadata.labels.release).toBe('prom');
    expect(rule.spec.groups).toHaveLength(1);
    expect(rule.spec.groups[0].interval).toBe('1m');
    expect(rule.spec.groups[0].rules[0]).toEqual({
      alert: 'HighErrorRate',
      expr: ALERT.expr,
      for: '5m',
      labels: { severity: 'warning' },
      annotations: { summary: ALERT.summary, description: ALERT.description, runbook_url: ALERT.runbookUrl },
    });
    expect(rule.spec.groups[0].rules[1].labels).toEqual({ team: 'payments', severity: 'warning' });
    for (const r of rule.spec.groups[0].rules) expect(parsePromQL(r.expr).error).toBe(false);
  });

  test('fails validation without alerts', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'c');
    new PrometheusRules(chart, 'empty');
    expect(() => app.synth()).toThrow(/\[c\/empty\] a PrometheusRule needs at least one alert: call addAlert\(\)/);
  });

  describe('errors', () => {
    const rules = () => new PrometheusRules(Testing.chart(), 'r');
    test.each([
      ['an unbalanced expression', { expr: 'sum(rate(x[5m])' }, /^\[test\/r\] invalid alerts\["HighErrorRate"\]\.expr "sum\(rate\(x\[5m\]\)": is not valid PromQL: '\(' is never closed$/],
      ['an unterminated string', { expr: 'x{a="b}' }, /invalid alerts\["HighErrorRate"\]\.expr .*unterminated string/],
      ['a bad duration', { forDuration: '5 minutes' }, /invalid alerts\["HighErrorRate"\]\.forDuration "5 minutes": must be a Prometheus duration/],
      ['a missing runbook', { runbookUrl: 'see wiki' }, /invalid alerts\["HighErrorRate"\]\.runbookUrl "see wiki": must be an https URL: every alert links to its runbook/],
      ['an unknown severity', { severity: 'page' }, /invalid severity "page": must be an AlertSeverity \(AlertSeverity.CRITICAL = "critical", AlertSeverity.WARNING = "warning", AlertSeverity.INFO = "info"\)/],
      ['a bad name', { name: 'high-error-rate' }, /invalid alert\.name "high-error-rate"/],
      ['an empty summary', { summary: ' ' }, /invalid alerts\["HighErrorRate"\]\.summary " ": must be a non-empty text/],
      ['a reserved label', { labels: { severity: 'x' } }, /invalid alerts\["HighErrorRate"\]\.labels "severity"/],
      ['a summary with an unterminated {{', { summary: 'errors at {{ $labels.pod' }, /^\[test\/r\] invalid alerts\["HighErrorRate"\]\.summary "errors at \{\{ \$labels\.pod": is not a valid Go template, and Prometheus expands it as one: unclosed action/],
      ['a description with an unclosed if', { description: '{{ if $value }}high' }, /invalid alerts\["HighErrorRate"\]\.description .*'if' is never closed/],
      ['a description with a stray end', { description: 'x {{ end }}' }, /invalid alerts\["HighErrorRate"\]\.description .*unexpected 'end'/],
      ['a label value with a broken template', { labels: { team: '{{ "x }}' } }, /invalid alerts\["HighErrorRate"\]\.labels\["team"\] .*is not a valid Go template/],
    ])('throws on %s', (_what, change, message) => {
      expect(() => rules().addAlert('app', { ...ALERT, ...change } as any)).toThrow(message);
    });

    test('throws on a different alert with the same name, a bad group, name or interval', () => {
      const r = rules();
      r.addAlert('app', ALERT);
      expect(() => r.addAlert('app', { ...ALERT, forDuration: '1m' })).toThrow(/invalid alerts\["HighErrorRate"\] "HighErrorRate": a different alert with this name is already in group app/);
      expect(() => r.addAlert('my group', ALERT)).toThrow(/invalid group "my group"/);
      expect(() => new PrometheusRules(Testing.chart(), 'Bad_Name')).toThrow(/invalid name "Bad_Name": must be a DNS-1123 label/);
      expect(() => new PrometheusRules(Testing.chart(), 'x', { interval: 'often' })).toThrow(/invalid interval "often"/);
    });
  });
});
