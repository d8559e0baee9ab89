import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import * as prom from '../imports/prometheus-operator';
import { guardArgs, guardProps, staticScope } from '../intent/_guards';
import { checkDns1123Label, checkPort, invalid } from '../intent/_validation';
import { IntentGraph, Layer } from '../intent/intent-graph';

/**
 * Where a component runs, to override a preset's defaults.
 */
export interface MonitoredComponentOptions {
  /**
   * The namespace of the component's pods.
   *
   * @default - the preset's
   */
  readonly namespace?: string;
  /**
   * Labels selecting the component's pods.
   *
   * @default - the preset's
   */
  readonly podLabels?: { [key: string]: string };
}

/**
 * A component whose pods expose Prometheus metrics.
 */
export interface CustomComponentOptions {
  /** A short name (DNS-1123 label), used for the PodMonitor name. */
  readonly name: string;
  /** The namespace of the pods. */
  readonly namespace: string;
  /** Labels selecting the pods. */
  readonly podLabels: { [key: string]: string };
  /** The container port serving metrics. */
  readonly port: number;
  /**
   * The HTTP path.
   *
   * @default '/metrics'
   */
  readonly path?: string;
}

/**
 * A component to scrape, with its metrics port and path. Presets follow the components'
 * default installations; override namespace and labels when yours differ.
 */
export class MonitoredComponent {
  /**
   * istiod (Istio 1.30): `istio-system` pods `app: istiod`, port 15014 (`http-monitoring`),
   * `/metrics` (`citadel_server_*`, `pilot_*`).
   */
  public static istiod(options: MonitoredComponentOptions = {}): MonitoredComponent {
    guardArgs(staticScope('MonitoredComponent.istiod'), 'MonitoredComponent', 'istiod', [options]);
    return new MonitoredComponent('istiod', options.namespace ?? 'istio-system', options.podLabels ?? { app: 'istiod' }, 15014, '/metrics');
  }

  /**
   * SPIRE server (spiffe/helm-charts-hardened `spire` chart): `spire-server` pods
   * `app.kubernetes.io/name: server`, Prometheus telemetry port 9988, `/metrics`
   * (`spire_server_*`; needs `telemetry.prometheus.enabled`).
   */
  public static spireServer(options: MonitoredComponentOptions = {}): MonitoredComponent {
    guardArgs(staticScope('MonitoredComponent.spireServer'), 'MonitoredComponent', 'spireServer', [options]);
    return new MonitoredComponent('spire-server', options.namespace ?? 'spire-server', options.podLabels ?? { 'app.kubernetes.io/name': 'server' }, 9988, '/metrics');
  }

  /**
   * Gatekeeper 3.23: `gatekeeper-system` pods `gatekeeper.sh/system: "yes"` (webhook and audit),
   * port 8888, `/metrics` (`gatekeeper_*`).
   */
  public static gatekeeper(options: MonitoredComponentOptions = {}): MonitoredComponent {
    guardArgs(staticScope('MonitoredComponent.gatekeeper'), 'MonitoredComponent', 'gatekeeper', [options]);
    return new MonitoredComponent('gatekeeper', options.namespace ?? 'gatekeeper-system', options.podLabels ?? { 'gatekeeper.sh/system': 'yes' }, 8888, '/metrics');
  }

  /**
   * Falco (falcosecurity/charts `falco` 9.x, release `falco`): `falco` pods
   * `app.kubernetes.io/name: falco`, webserver port 8765, `/metrics` (`falcosecurity_*`; needs
   * `metrics.enabled: true`).
   */
  public static falco(options: MonitoredComponentOptions = {}): MonitoredComponent {
    guardArgs(staticScope('MonitoredComponent.falco'), 'MonitoredComponent', 'falco', [options]);
    return new MonitoredComponent('falco', options.namespace ?? 'falco', options.podLabels ?? { 'app.kubernetes.io/name': 'falco', 'app.kubernetes.io/instance': 'falco' }, 8765, '/metrics');
  }

  /** Any other component. */
  public static custom(options: CustomComponentOptions): MonitoredComponent {
    guardArgs(staticScope('MonitoredComponent.custom'), 'MonitoredComponent', 'custom', [options]);
    return new MonitoredComponent(options.name, options.namespace, options.podLabels, options.port, options.path ?? '/metrics');
  }

  /** @internal */
  public static _envoy(namespace: string): MonitoredComponent {
    return new MonitoredComponent('envoy-stats', namespace, {}, 15090, '/stats/prometheus');
  }

  /** The component name. */
  public readonly name: string;
  /** The namespace of its pods. */
  public readonly namespace: string;
  /** Labels selecting its pods (empty: every sidecar-injected pod). */
  public readonly podLabels: { [key: string]: string };
  /** The metrics port. */
  public readonly port: number;
  /** The metrics path. */
  public readonly path: string;

  private constructor(name: string, namespace: string, podLabels: { [key: string]: string }, port: number, path: string) {
    this.name = name;
    this.namespace = namespace;
    this.podLabels = { ...podLabels };
    this.port = port;
    this.path = path;
  }
}

/**
 * Properties of a MetricsPodMonitor.
 */
export interface MetricsPodMonitorProps {
  /** The component to scrape. */
  readonly component: MonitoredComponent;
  /**
   * Labels the Prometheus `podMonitorSelector` selects.
   *
   * @default { release: 'kube-prometheus-stack' }
   */
  readonly labels?: { [key: string]: string };
  /**
   * The scrape interval (a Prometheus duration).
   *
   * @default - Prometheus' global scrape interval
   */
  readonly interval?: string;
}

/**
 * Defines a Prometheus Operator `PodMonitor` (monitoring.coreos.com/v1) for a component's
 * metrics port, in the component's namespace, selecting its pods by label and the port by
 * number (`portNumber`), so no container port name has to be guessed.
 */
export class MetricsPodMonitor extends Construct {
  /** The PodMonitor object. */
  public readonly resource: ApiObject;

  public constructor(scope: Construct, id: string, props: MetricsPodMonitorProps) {
    super(scope, id);
    guardProps(this, 'MetricsPodMonitor', props);
    const c = props?.component;
    if (!(c instanceof MonitoredComponent)) {
      invalid(this, 'component', c, 'must be a MonitoredComponent', 'use MonitoredComponent.istiod(), .spireServer(), .gatekeeper(), .falco() or .custom()');
    }
    checkDns1123Label(this, 'component.name', c.name);
    checkDns1123Label(this, 'component.namespace', c.namespace);
    checkPort(this, 'component.port', c.port);
    if (!c.path.startsWith('/') || /\s/.test(c.path)) {
      invalid(this, 'component.path', c.path, 'must be an absolute HTTP path such as \'/metrics\'');
    }
    if (props.interval !== undefined && !/^([0-9]+(ms|s|m|h))+$/.test(props.interval)) {
      invalid(this, 'interval', props.interval, 'must be a Prometheus duration such as \'30s\'');
    }
    const graph = IntentGraph.of(this);
    const at = graph._placement(Layer.MONITORING, this, `${c.namespace}-${c.name}`, 'Resource');
    const selector: prom.PodMonitorSpecSelector = Object.keys(c.podLabels).length > 0
      ? { matchLabels: { ...c.podLabels } }
      // sidecar-injected pods carry security.istio.io/tlsMode (Istio's own envoy-stats PodMonitor)
      : { matchExpressions: [{ key: 'security.istio.io/tlsMode', operator: 'Exists' }] };
    this.resource = new prom.PodMonitor(at.scope, at.id, {
      metadata: {
        name: c.name,
        namespace: c.namespace,
        labels: { ...props.labels ?? { release: 'kube-prometheus-stack' }, 'app.kubernetes.io/managed-by': 'cdk8s-zero-trust' },
      },
      spec: {
        selector,
        podMetricsEndpoints: [{ portNumber: c.port, path: c.path, ...(props.interval ? { interval: props.interval } : {}) }],
      },
    });
  }
}
