import { ApiObject, Lazy } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import * as prom from '../imports/prometheus-operator';
import { GoTemplateError, parseTemplate } from '../intent/_go-template';
import { guardArgs, guardProps } from '../intent/_guards';
import { checkDns1123Label, invalid } from '../intent/_validation';
import { IntentGraph, Layer } from '../intent/intent-graph';

/**
 * How urgent an alert is (its `severity` label, as routed by Alertmanager).
 */
export enum AlertSeverity {
  /** Wake someone up. */
  CRITICAL = 'critical',
  /** Look at it during working hours. */
  WARNING = 'warning',
  /** For dashboards and inhibition only. */
  INFO = 'info',
}

/**
 * An alerting rule.
 */
export interface AlertOptions {
  /** The alert name (`alertname`), for example `ZeroTrustPlaintextTraffic`. */
  readonly name: string;
  /** The PromQL expression; every result series fires the alert. */
  readonly expr: string;
  /** The severity (label `severity`). */
  readonly severity: AlertSeverity;
  /** One line: what is wrong (annotation `summary`, may use `{{ $labels.x }}`). */
  readonly summary: string;
  /** What it means and what to check first (annotation `description`). */
  readonly description: string;
  /** The runbook: an https URL (annotation `runbook_url`). Every alert has one. */
  readonly runbookUrl: string;
  /**
   * How long the expression must hold before the alert fires (the rule's `for`, a Prometheus
   * duration).
   *
   * @default '5m'
   */
  readonly forDuration?: string;
  /**
   * Extra labels.
   *
   * @default - only `severity`
   */
  readonly labels?: { [key: string]: string };
}

/**
 * Properties of PrometheusRules.
 */
export interface PrometheusRulesProps {
  /**
   * The PrometheusRule name.
   *
   * @default - the construct id
   */
  readonly name?: string;
  /**
   * The namespace of the PrometheusRule (one the Prometheus `ruleNamespaceSelector` selects).
   *
   * @default 'monitoring'
   */
  readonly namespace?: string;
  /**
   * Labels that the Prometheus `ruleSelector` selects (kube-prometheus-stack selects
   * `release: <release name>` by default).
   *
   * @default { release: 'kube-prometheus-stack' }
   */
  readonly labels?: { [key: string]: string };
  /**
   * How often the groups are evaluated (a Prometheus duration).
   *
   * @default - Prometheus' global evaluation interval
   */
  readonly interval?: string;
}

const DURATION = /^(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?$/;
const ALERT_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

interface Group { readonly name: string; readonly rules: prom.PrometheusRuleSpecGroupsRules[]; readonly keys: Map<string, string> }

/**
 * Defines a Prometheus Operator `PrometheusRule` (monitoring.coreos.com/v1) of alerting rules,
 * organised in groups.
 *
 * Every alert has `severity`, `summary`, `description` and a `runbook_url`; names, durations,
 * label names and the expression's brackets and quotes are checked when the alert is added.
 * The spec is built lazily: `ApiObject.of(rules.resource)` and JSON patches remain escape
 * hatches.
 */
export class PrometheusRules extends Construct {
  /** The PrometheusRule name. */
  public readonly name: string;
  /** The namespace. */
  public readonly namespace: string;
  /** The PrometheusRule object. */
  public readonly resource: ApiObject;

  private readonly groups: Group[] = [];
  private readonly interval?: string;
  private readonly producers: Array<() => void> = [];
  private produced = false;

  public constructor(scope: Construct, id: string, props: PrometheusRulesProps = {}) {
    super(scope, id);
    guardProps(this, 'PrometheusRules', props);
    this.name = checkDns1123Label(this, 'name', props.name ?? id);
    this.namespace = checkDns1123Label(this, 'namespace', props.namespace ?? 'monitoring');
    if (props.interval !== undefined) this.checkDuration('interval', props.interval);
    this.interval = props.interval;
    const labels = props.labels ?? { release: 'kube-prometheus-stack' };
    const graph = IntentGraph.of(this);
    const at = graph._placement(Layer.MONITORING, this, `${this.namespace}-${this.name}`, 'Resource');
    this.resource = new prom.PrometheusRule(at.scope, at.id, {
      metadata: { name: this.name, namespace: this.namespace, labels: { ...labels, 'app.kubernetes.io/managed-by': 'cdk8s-zero-trust' } },
      spec: Lazy.any({ produce: (): prom.PrometheusRuleSpec => ({ groups: this.renderGroups() }) }),
    });
    this.node.addValidation({ validate: () => (this.renderGroups().length === 0 ? ['a PrometheusRule needs at least one alert: call addAlert()'] : []) });
  }

  /**
   * Runs `produce` once before the rules are first rendered (alerts derived from state that is
   * complete only at synthesis time).
   * @internal
   */
  public _addProducer(produce: () => void): void {
    this.producers.push(produce);
  }

  /**
   * Adds an alert to `group` (created on first use). Idempotent: the same alert twice is one
   * alert; a different alert with the same name in the group is an error.
   *
   * @returns the alert name
   */
  public addAlert(group: string, alert: AlertOptions): string {
    guardArgs(this, 'PrometheusRules', 'addAlert', [group, alert]);
    if (typeof group !== 'string' || !/^[a-zA-Z0-9][a-zA-Z0-9._-]*$/.test(group)) {
      invalid(this, 'group', group, 'must be letters, digits, \'.\', \'_\' or \'-\'');
    }
    const prop = `alerts[${JSON.stringify(alert?.name)}]`;
    if (typeof alert?.name !== 'string' || !ALERT_NAME.test(alert.name)) {
      invalid(this, 'alert.name', alert?.name, 'must be a Prometheus metric-style name (letters, digits, \'_\'), for example \'ZeroTrustPlaintextTraffic\'');
    }
    if (!Object.values(AlertSeverity).includes(alert.severity)) {
      invalid(this, `${prop}.severity`, alert.severity, `must be one of ${Object.values(AlertSeverity).join(', ')}`);
    }
    checkExpression(this, `${prop}.expr`, alert.expr);
    const forDuration = alert.forDuration ?? '5m';
    this.checkDuration(`${prop}.forDuration`, forDuration);
    for (const [key, text] of [['summary', alert.summary], ['description', alert.description]]) {
      if (typeof text !== 'string' || text.trim() === '') {
        invalid(this, `${prop}.${key}`, text, 'must be a non-empty text');
      }
      checkAlertTemplate(this, `${prop}.${key}`, text);
    }
    if (typeof alert.runbookUrl !== 'string' || !/^https:\/\/[^\s]+$/.test(alert.runbookUrl)) {
      invalid(this, `${prop}.runbookUrl`, alert.runbookUrl, 'must be an https URL: every alert links to its runbook');
    }
    for (const key of Object.keys(alert.labels ?? {})) {
      if (!LABEL_NAME.test(key) || key === 'severity' || key === 'alertname') {
        invalid(this, `${prop}.labels`, key, 'must be a Prometheus label name (letters, digits, \'_\'), not severity or alertname');
      }
      if (typeof alert.labels![key] !== 'string') invalid(this, `${prop}.labels[${JSON.stringify(key)}]`, alert.labels![key], 'must be a string');
      checkAlertTemplate(this, `${prop}.labels[${JSON.stringify(key)}]`, alert.labels![key]);
    }
    const rule: prom.PrometheusRuleSpecGroupsRules = {
      alert: alert.name,
      expr: prom.PrometheusRuleSpecGroupsRulesExpr.fromString(alert.expr),
      for: forDuration,
      labels: { ...alert.labels, severity: alert.severity },
      annotations: { summary: alert.summary, description: alert.description, runbook_url: alert.runbookUrl },
    };
    let slot = this.groups.find(g => g.name === group);
    if (!slot) {
      slot = { name: group, rules: [], keys: new Map() };
      this.groups.push(slot);
    }
    const key = JSON.stringify(rule);
    const existing = slot.keys.get(alert.name);
    if (existing !== undefined) {
      if (existing === key) return alert.name;
      invalid(this, `${prop}`, alert.name, `a different alert with this name is already in group ${group}`, 'give each alert of a group its own name');
    }
    slot.keys.set(alert.name, key);
    slot.rules.push(rule);
    return alert.name;
  }

  /** The alerts as plain data: `{ group, alert, expr, for, labels, annotations }`. */
  public get alerts(): any[] {
    this.produce();
    return this.groups.flatMap(g => g.rules.map(r => ({
      group: g.name, alert: r.alert, expr: r.expr.value, for: r.for, labels: r.labels, annotations: r.annotations,
    })));
  }

  private produce(): void {
    if (!this.produced) {
      this.produced = true;
      this.producers.forEach(p => p());
    }
  }

  private renderGroups(): prom.PrometheusRuleSpecGroups[] {
    this.produce();
    return this.groups.map(g => ({ name: g.name, ...(this.interval ? { interval: this.interval } : {}), rules: [...g.rules] }));
  }

  private checkDuration(prop: string, value: string): void {
    if (typeof value !== 'string' || value === '' || !DURATION.test(value)) {
      invalid(this, prop, value, 'must be a Prometheus duration such as \'30s\', \'5m\' or \'1h30m\'');
    }
  }
}

/** Balanced brackets outside string literals, terminated strings, non-empty. @internal */
export function checkExpression(scope: Construct, prop: string, expr: unknown): void {
  if (typeof expr !== 'string' || expr.trim() === '') {
    invalid(scope, prop, expr, 'must be a non-empty PromQL expression');
  }
  const stack: string[] = [];
  const pairs: { [close: string]: string } = { ')': '(', ']': '[', '}': '{' };
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i];
    if (c === '"' || c === '\'' || c === '`') {
      let j = i + 1;
      while (j < expr.length && expr[j] !== c) j += expr[j] === '\\' && c !== '`' ? 2 : 1;
      if (j >= expr.length) invalid(scope, prop, expr, `is not valid PromQL: unterminated string starting at offset ${i}`);
      i = j;
    } else if ('([{'.includes(c)) {
      stack.push(c);
    } else if (c in pairs) {
      if (stack.pop() !== pairs[c]) invalid(scope, prop, expr, `is not valid PromQL: unbalanced '${c}' at offset ${i}`);
    }
  }
  if (stack.length > 0) invalid(scope, prop, expr, `is not valid PromQL: '${stack[stack.length - 1]}' is never closed`);
}

/**
 * Prometheus expands annotations and labels as Go templates (`{{ $labels.pod }}`,
 * `{{ $value | humanize }}`): a text its template parser rejects makes the rule group fail to load.
 */
function checkAlertTemplate(scope: IConstruct, prop: string, text: string): void {
  try {
    parseTemplate(text);
  } catch (e) {
    if (!(e instanceof GoTemplateError)) throw e;
    invalid(scope, prop, text, `is not a valid Go template, and Prometheus expands it as one: ${e.message}`,
      'close every {{ with }}, and write a literal {{ as {{ "{{" }}');
  }
}
