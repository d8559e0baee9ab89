import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { MetricsPodMonitor, MonitoredComponent } from './metrics-pod-monitor';
import { EnforcementPoints } from '../enforcement/enforcement-points';
import { guardArgs, guardProps } from '../intent/_guards';
import { checkDns1123Label, invalid } from '../intent/_validation';
import { IntentGraph, Layer } from '../intent/intent-graph';
import { IZeroTrustNamespace } from '../intent/mesh-workload';
import { podPeer, tcpPorts } from '../network/_network-policies';

/** Istio's merged Prometheus port (application and Envoy metrics, `/stats/prometheus`). */
const MERGED_METRICS_PORT = 15020;
/** Envoy's own Prometheus port (`http-envoy-prom`, `/stats/prometheus`). */
const ENVOY_METRICS_PORT = 15090;

/**
 * Properties of MeshMetricsScraping.
 */
export interface MeshMetricsScrapingProps {
  /**
   * The namespace of the Prometheus pods.
   *
   * @default 'monitoring'
   */
  readonly prometheusNamespace?: string;
  /**
   * Labels of the Prometheus pods (kube-prometheus-stack: `app.kubernetes.io/name: prometheus`).
   *
   * @default { 'app.kubernetes.io/name': 'prometheus' }
   */
  readonly prometheusPodLabels?: { [key: string]: string };
  /**
   * The zero-trust namespaces to open for scraping.
   *
   * @default - every ZeroTrustNamespace of the intent graph defined so far
   */
  readonly namespaces?: IZeroTrustNamespace[];
  /**
   * Labels the Prometheus `podMonitorSelector` selects.
   *
   * @default { release: 'kube-prometheus-stack' }
   */
  readonly monitorLabels?: { [key: string]: string };
}

/**
 * Lets Prometheus scrape the sidecars of zero-trust namespaces, which default-deny otherwise
 * blocks. For each sidecar-mode namespace:
 *
 * - NetworkPolicy `allow-prometheus-scrape`: ingress from the Prometheus pods (namespace and
 *   pod selector ANDed) to TCP 15020 (Istio's merged application + Envoy metrics) and 15090
 *   (Envoy stats) only; no application port is opened. Istio does not redirect these ports
 *   into the sidecar, so STRICT mTLS does not apply to them and Prometheus needs no mesh
 *   certificate;
 * - PodMonitor `envoy-stats`: every injected pod (`security.istio.io/tlsMode` exists),
 *   port 15090, `/stats/prometheus` — the source of `istio_requests_total` and
 *   `istio_tcp_connections_opened_total` that the zero-trust alerts read.
 *
 * Ambient namespaces are skipped: their L4 metrics come from ztunnel (istio-system) and L7
 * metrics from waypoints.
 */
export class MeshMetricsScraping extends Construct {
  private readonly prometheusNamespace: string;
  private readonly prometheusPodLabels: { [key: string]: string };
  private readonly monitorLabels?: { [key: string]: string };
  private readonly opened = new Map<string, k8s.KubeNetworkPolicy>();

  public constructor(scope: Construct, id: string, props: MeshMetricsScrapingProps = {}) {
    super(scope, id);
    guardProps(this, 'MeshMetricsScraping', props);
    this.prometheusNamespace = checkDns1123Label(this, 'prometheusNamespace', props.prometheusNamespace ?? 'monitoring');
    this.prometheusPodLabels = props.prometheusPodLabels ?? { 'app.kubernetes.io/name': 'prometheus' };
    if (Object.keys(this.prometheusPodLabels).length === 0) {
      invalid(this, 'prometheusPodLabels', this.prometheusPodLabels, 'must select the Prometheus pods with at least one label',
        'an empty selector would let every pod of the Prometheus namespace reach the sidecars');
    }
    this.monitorLabels = props.monitorLabels;
    (props.namespaces ?? IntentGraph.of(this).namespaces).forEach(ns => this.addNamespace(ns));
  }

  /**
   * Opens `namespace` for scraping (idempotent). Ambient namespaces are skipped.
   *
   * @returns the NetworkPolicy, or undefined for an ambient namespace
   */
  public addNamespace(namespace: IZeroTrustNamespace): k8s.KubeNetworkPolicy | undefined {
    guardArgs(this, 'MeshMetricsScraping', 'addNamespace', [namespace]);
    if (!namespace || typeof namespace.namespaceName !== 'string') {
      invalid(this, 'namespaces', namespace, 'must be ZeroTrustNamespaces');
    }
    if (!EnforcementPoints.of(this).forNamespace(namespace).sidecar) return undefined;
    const name = namespace.namespaceName;
    const existing = this.opened.get(name);
    if (existing) return existing;
    const graph = IntentGraph.of(this);
    const at = graph._placement(Layer.MONITORING, this, `${name}-prometheus`, `${name}NetworkPolicy`);
    const policy = new k8s.KubeNetworkPolicy(at.scope, at.id, {
      metadata: { name: 'allow-prometheus-scrape', namespace: name, labels: { 'app.kubernetes.io/managed-by': 'cdk8s-zero-trust' } },
      spec: {
        podSelector: {},
        policyTypes: ['Ingress'],
        ingress: [{
          from: [podPeer(this.prometheusNamespace, this.prometheusPodLabels)],
          ports: tcpPorts([MERGED_METRICS_PORT, ENVOY_METRICS_PORT]),
        }],
      },
    });
    new MetricsPodMonitor(this, `${name}EnvoyStats`, { component: MonitoredComponent._envoy(name), labels: this.monitorLabels });
    this.opened.set(name, policy);
    return policy;
  }
}
