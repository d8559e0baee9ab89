import { Construct } from 'constructs';
import { AlertSeverity, PrometheusRules, PrometheusRulesProps } from './prometheus-rules';
import { EnforcementPoints, Rollout } from '../enforcement/enforcement-points';
import { guardedProps } from '../intent/_guards';
import { invalid, sortedUnique } from '../intent/_validation';
import { IntentGraph } from '../intent/intent-graph';

/**
 * Properties of the zero-trust alert set.
 */
export interface ZeroTrustAlertsProps extends PrometheusRulesProps {
  /**
   * Where the runbooks are: each alert links to `<runbookBaseUrl>#<alert name in lower case>`.
   *
   * @default 'https://github.com/cdk8s-zero-trust/cdk8s-zero-trust/blob/main/docs/runbooks.md'
   */
  readonly runbookBaseUrl?: string;
  /**
   * Namespaces the mesh alerts watch (as destination).
   *
   * @default - every ZeroTrustNamespace of the intent graph (the whole mesh when there is none)
   */
  readonly namespaces?: string[];
  /**
   * Istio alerts: plaintext traffic, authorization denial spikes, istiod CA certificate expiry.
   *
   * @default true
   */
  readonly istio?: boolean;
  /**
   * SPIRE server X.509 CA expiry alerts (SPIRE issues the workload certificates).
   *
   * @default false
   */
  readonly spire?: boolean;
  /**
   * cert-manager certificate expiry alerts.
   *
   * @default false
   */
  readonly certManager?: boolean;
  /**
   * Gatekeeper audit alerts.
   *
   * @default true
   */
  readonly gatekeeper?: boolean;
  /**
   * Falco alerts (needs the chart's `metrics.enabled: true`, which FalcoRuleSet's Helm values set).
   *
   * @default true
   */
  readonly falco?: boolean;
  /**
   * Vault agent injector failure alerts (needs the injector's `metrics.enabled`).
   *
   * @default false
   */
  readonly vaultInjector?: boolean;
  /**
   * Requests per second denied with 403 to one workload above which a denial spike alerts
   * (it must also be three times the rate of the hour before).
   *
   * @default 1
   */
  readonly denialRateThreshold?: number;
  /**
   * Remaining lifetime (seconds) of the SPIRE server X.509 CA below which a warning fires. SPIRE
   * CAs are short-lived (default `ca_ttl` 24h, rotated at half-life), so the 30-day/7-day
   * thresholds used for the Istio root and cert-manager would fire permanently: this alerts
   * when rotation is late instead.
   *
   * @default 21600 (6 hours)
   */
  readonly spireCaWarningSeconds?: number;
  /**
   * Remaining lifetime (seconds) of the SPIRE server X.509 CA below which a page fires.
   *
   * @default 3600 (1 hour)
   */
  readonly spireCaCriticalSeconds?: number;
}

const DAY = 86400;

/**
 * Defines the zero-trust continuous-verification alerts as a PrometheusRule, using only
 * metric names and labels the components export:
 *
 * - `ZeroTrustPlaintextTraffic` (critical): `istio_requests_total` or
 *   `istio_tcp_connections_opened_total` with `reporter="destination"` and
 *   `connection_security_policy="none"` into a zero-trust namespace (the source reporter always
 *   says `unknown`, so it is never used);
 * - `ZeroTrustAuthorizationDenialSpike` (warning): HTTP 403 answered by the destination above
 *   `denialRateThreshold` and three times the previous hour's rate;
 * - `IstioCACertificateExpiring` (warning, 30 days) / `IstioCACertificateExpiryImminent`
 *   (critical, 7 days): `citadel_server_root_cert_expiry_timestamp` and
 *   `citadel_server_cert_chain_expiry_timestamp`;
 * - `SpireServerCAExpiring` / `SpireServerCAExpiryImminent`: `spire_server_manager_x509_ca_rotate_expiration`;
 * - `CertManagerCertificateExpiring` (30 days) / `CertManagerCertificateExpiryImminent` (7 days):
 *   `certmanager_certificate_expiration_timestamp_seconds`;
 * - `GatekeeperAuditViolations` (warning, by `enforcement_action`, the only label) and
 *   `GatekeeperAuditStale`: `gatekeeper_violations`, `gatekeeper_audit_last_run_end_time`;
 * - `FalcoCriticalEvents` (critical, priority 0-2), `ZeroTrustFalcoWarnings` (warning, rules
 *   tagged `zero_trust`), `FalcoDroppingEvents` (warning): `falcosecurity_falco_rules_matches_total`,
 *   `falcosecurity_scap_n_drops_total`;
 * - `VaultAgentInjectionFailures`: `vault_agent_injector_failed_injections_by_namespace_total`.
 *
 * Every alert has a `runbook_url`. The mesh alerts watch the intent graph's namespaces. They
 * read sidecar metrics (`reporter="destination"`): in ambient namespaces L7 metrics come from
 * waypoints (`reporter="waypoint"`) and L4 metrics from ztunnel, which these expressions do
 * not cover.
 */
export class ZeroTrustAlerts extends PrometheusRules {
  public constructor(scope: Construct, id: string, props: ZeroTrustAlertsProps = {}) {
    super(scope, id, { ...guardedProps(scope, id, 'ZeroTrustAlerts', props), name: props.name ?? 'zero-trust-alerts' });
    const base = props.runbookBaseUrl ?? 'https://github.com/cdk8s-zero-trust/cdk8s-zero-trust/blob/main/docs/runbooks.md';
    if (!/^https:\/\/[^\s#]+$/.test(base)) {
      invalid(this, 'runbookBaseUrl', base, 'must be an https URL without a fragment');
    }
    const threshold = props.denialRateThreshold ?? 1;
    if (typeof threshold !== 'number' || !(threshold > 0) || !Number.isFinite(threshold)) {
      invalid(this, 'denialRateThreshold', threshold, 'must be a positive number of requests per second');
    }
    const spireWarning = props.spireCaWarningSeconds ?? 6 * 3600;
    const spireCritical = props.spireCaCriticalSeconds ?? 3600;
    for (const [prop, v] of [['spireCaWarningSeconds', spireWarning], ['spireCaCriticalSeconds', spireCritical]] as const) {
      if (!Number.isInteger(v) || v <= 0) invalid(this, prop, v, 'must be a positive integer number of seconds');
    }
    if (spireCritical >= spireWarning) {
      invalid(this, 'spireCaCriticalSeconds', spireCritical, `must be less than spireCaWarningSeconds (${spireWarning})`);
    }
    for (const ns of props.namespaces ?? []) {
      if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(ns)) invalid(this, 'namespaces', ns, 'must be namespace names (DNS-1123 labels)');
    }
    const runbook = (alert: string) => `${base}#${alert.toLowerCase()}`;

    this._addProducer(() => {
      const namespaces = props.namespaces ?? IntentGraph.of(this).namespaces.map(n => n.namespaceName);
      const dest = namespaces.length ? `, destination_workload_namespace=~"${[...namespaces].sort().join('|')}"` : '';
      const by = 'source_workload_namespace, source_workload, destination_workload_namespace, destination_workload';
      if (props.istio ?? true) {
        this.alert('zero-trust.mesh', 'ZeroTrustPlaintextTraffic', AlertSeverity.CRITICAL, runbook,
          `(sum by (${by}) (rate(istio_requests_total{reporter="destination", connection_security_policy="none"${dest}}[5m])) > 0)`
          + ` or (sum by (${by}) (rate(istio_tcp_connections_opened_total{reporter="destination", connection_security_policy="none"${dest}}[5m])) > 0)`,
          'Plaintext traffic into {{ $labels.destination_workload_namespace }}/{{ $labels.destination_workload }}',
          'The destination sidecar accepted traffic without mutual TLS (connection_security_policy="none") from {{ $labels.source_workload_namespace }}/{{ $labels.source_workload }}: STRICT PeerAuthentication is missing, overridden or a port is excluded from mTLS.', '5m');
        const denied = (offset: string) => `sum by (destination_workload_namespace, destination_workload) (rate(istio_requests_total{reporter="destination", response_code="403"${dest}}[${offset ? '1h' : '5m'}]${offset}))`;
        this.alert('zero-trust.mesh', 'ZeroTrustAuthorizationDenialSpike', AlertSeverity.WARNING, runbook,
          `${denied('')} > ${threshold} and ${denied('')} > 3 * ${denied(' offset 1h')}`,
          'Authorization denials spiking at {{ $labels.destination_workload_namespace }}/{{ $labels.destination_workload }}',
          'More than three times the previous hour\'s rate of HTTP 403 (AuthorizationPolicy denies) at the destination: a caller missing from the intent graph, a rollout with a new ServiceAccount, or probing from a compromised workload.', '10m');
        // staged rollout: the dry-run policies of AUDIT namespaces and services report would-be
        // denials as Envoy RBAC shadow results (sidecars and waypoints; Istio's dry-run task)
        const points = EnforcementPoints.of(this);
        const graph = IntentGraph.of(this);
        const audited = sortedUnique(graph.workloads.filter(w => points.forWorkload(w).rollout === Rollout.AUDIT)
          .map(w => w.zeroTrustNamespace.namespaceName));
        if (audited.length) {
          this.alert('zero-trust.mesh', 'ZeroTrustAuthorizationDryRunDenied', AlertSeverity.WARNING, runbook,
            `sum by (namespace, pod) (rate({__name__=~"envoy_http_.+_rbac", authz_dry_run_result="denied", namespace=~"${audited.join('|')}"}[10m])) > 0`,
            'Requests to {{ $labels.namespace }}/{{ $labels.pod }} would be denied once the rollout enforces',
            'A dry-run AuthorizationPolicy (Rollout.AUDIT) does not allow traffic that the workload receives: declare the call in the intent graph if it is legitimate, or keep AUDIT until the caller is fixed; switching to ENFORCE now would deny it.', '15m');
        }
        const istioCa = (seconds: number) => `(min(citadel_server_root_cert_expiry_timestamp) - time()) < ${seconds}`
          + ` or (min(citadel_server_cert_chain_expiry_timestamp) - time()) < ${seconds}`;
        this.alert('zero-trust.certificates', 'IstioCACertificateExpiring', AlertSeverity.WARNING, runbook, istioCa(30 * DAY),
          'The Istio CA certificate expires in less than 30 days',
          'istiod\'s root or signing certificate chain expires within 30 days; when it expires no workload certificate validates and all mTLS traffic fails. Rotate the CA (plug-in CA or istio-ca-secret).', '1h');
        this.alert('zero-trust.certificates', 'IstioCACertificateExpiryImminent', AlertSeverity.CRITICAL, runbook, istioCa(7 * DAY),
          'The Istio CA certificate expires in less than 7 days',
          'istiod\'s root or signing certificate chain expires within 7 days; all mTLS traffic fails when it does. Rotate the CA now.', '10m');
      }
      if (props.spire ?? false) {
        const spire = (seconds: number) => `(min by (trust_domain_id) (spire_server_manager_x509_ca_rotate_expiration) - time()) < ${seconds}`;
        this.alert('zero-trust.certificates', 'SpireServerCAExpiring', AlertSeverity.WARNING, runbook, spire(spireWarning),
          'The SPIRE server X.509 CA of {{ $labels.trust_domain_id }} is not being rotated',
          `The active X.509 CA expires in less than ${spireWarning / 3600} hours although SPIRE rotates it at half its TTL: check the server logs, its datastore and the upstream authority.`, '15m');
        this.alert('zero-trust.certificates', 'SpireServerCAExpiryImminent', AlertSeverity.CRITICAL, runbook, spire(spireCritical),
          'The SPIRE server X.509 CA of {{ $labels.trust_domain_id }} expires imminently',
          `The active X.509 CA expires in less than ${spireCritical / 60} minutes; every SVID it signed stops validating when it does.`, '5m');
      }
      if (props.certManager ?? false) {
        const certManager = (seconds: number) => `(min by (namespace, exported_namespace, name) (certmanager_certificate_expiration_timestamp_seconds) - time()) < ${seconds}`;
        this.alert('zero-trust.certificates', 'CertManagerCertificateExpiring', AlertSeverity.WARNING, runbook, certManager(30 * DAY),
          'Certificate {{ $labels.exported_namespace }}{{ $labels.namespace }}/{{ $labels.name }} expires in less than 30 days',
          'cert-manager has not renewed the certificate although it expires within 30 days: check the Certificate\'s Ready condition, its CertificateRequests and the issuer.', '1h');
        this.alert('zero-trust.certificates', 'CertManagerCertificateExpiryImminent', AlertSeverity.CRITICAL, runbook, certManager(7 * DAY),
          'Certificate {{ $labels.exported_namespace }}{{ $labels.namespace }}/{{ $labels.name }} expires in less than 7 days',
          'cert-manager has not renewed the certificate and it expires within 7 days.', '10m');
      }
      if (props.gatekeeper ?? true) {
        this.alert('zero-trust.policy', 'GatekeeperAuditViolations', AlertSeverity.WARNING, runbook,
          'sum by (enforcement_action) (gatekeeper_violations) > 0',
          '{{ $value }} existing objects violate Gatekeeper constraints ({{ $labels.enforcement_action }})',
          'The Gatekeeper audit found objects that violate constraints. The metric has no constraint label: list them with `kubectl get constraints` and read status.totalViolations and status.violations.', '15m');
        this.alert('zero-trust.policy', 'GatekeeperAuditStale', AlertSeverity.WARNING, runbook,
          'time() - max(gatekeeper_audit_last_run_end_time) > 1800',
          'The Gatekeeper audit has not completed for 30 minutes',
          'Without audits, violations of objects admitted before a constraint existed go unnoticed: check the gatekeeper-audit pod.', '10m');
      }
      if (props.falco ?? true) {
        this.alert('zero-trust.runtime', 'FalcoCriticalEvents', AlertSeverity.CRITICAL, runbook,
          'sum by (rule_name, priority) (increase(falcosecurity_falco_rules_matches_total{priority=~"0|1|2"}[5m])) > 0',
          'Falco rule "{{ $labels.rule_name }}" fired (priority {{ $labels.priority }})',
          'A Falco rule of priority CRITICAL or higher matched (0 emergency, 1 alert, 2 critical): read the Falco event output for the pod, process and command.', '0s');
        this.alert('zero-trust.runtime', 'ZeroTrustFalcoWarnings', AlertSeverity.WARNING, runbook,
          'sum by (rule_name) (increase(falcosecurity_falco_rules_matches_total{tag_zero_trust="true", priority=~"3|4"}[15m])) > 0',
          'Zero-trust Falco rule "{{ $labels.rule_name }}" fired',
          'A zero-trust rule of priority ERROR or WARNING matched (shell, network tool or package manager in an application container).', '0s');
        this.alert('zero-trust.runtime', 'FalcoDroppingEvents', AlertSeverity.WARNING, runbook,
          'sum by (instance) (increase(falcosecurity_scap_n_drops_total[10m])) > 0',
          'Falco on {{ $labels.instance }} is dropping syscall events',
          'Dropped events are blind spots for runtime detection: raise the driver buffer (driver.modernEbpf.bufSizePreset) or the CPU limit.', '30m');
      }
      if (props.vaultInjector ?? false) {
        this.alert('zero-trust.secrets', 'VaultAgentInjectionFailures', AlertSeverity.WARNING, runbook,
          'sum by (namespace) (increase(vault_agent_injector_failed_injections_by_namespace_total[10m])) > 0',
          'Vault agent injection failed in {{ $labels.namespace }}',
          'The Vault agent injector could not mutate pods: with failurePolicy Fail they are not created; with Ignore they start without secrets.', '0s');
      }
    });
  }

  private alert(group: string, name: string, severity: AlertSeverity, runbook: (alert: string) => string,
    expr: string, summary: string, description: string, forDuration: string): void {
    this.addAlert(group, { name, severity, expr, summary, description, runbookUrl: runbook(name), forDuration });
  }
}
