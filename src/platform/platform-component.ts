import { gatekeeperDescription, kyvernoDescription } from './_engines';
import { falcoDescription } from './_falco';
import {
  istioCniDescription, istioGatewayDescription, istiodDescription, kubernetesGatewayDescription, waypointDescription, ztunnelDescription,
} from './_istio';
import { prometheusOperatorDescription, vaultInjectorDescription } from './_operators';
import {
  FalcoComponentOptions, HelmChartReference, IstioComponentOptions, IstioGatewayOptions, KubernetesGatewayOptions, PlatformComponentOptions,
  PlatformWebhook, PlatformWorkload,
  _ComponentData,
} from './platform-workload';
import { guardArgs, staticScope } from '../intent/_guards';

/**
 * A platform component as its pinned chart deploys it by default: its workloads, their
 * containers and images, the privileges of each container and pod with the reason, host paths,
 * namespaces, ports and admission webhooks.
 *
 * The policy pack admits exactly these images and exempts exactly these containers from exactly
 * the checks their privileges need; the NetworkPolicies let exactly the documented peers reach
 * their ports; the Falco rules allow exactly the declared privileged containers; the README's
 * prerequisites list their namespaces. Declare the components a cluster runs with
 * `PlatformComponents`.
 *
 * A description is only true for its chart version and default values: when you change a value
 * that changes a pod (images, security contexts, host paths), change the description too (or
 * declare the difference with `IntentGraph.declarePrivilegedWorkload()`), or the pack rejects
 * the pod in ENFORCE.
 */
export class PlatformComponent {
  /** istiod (`istio/istiod` chart 1.30.3): the control plane, sidecar injector and CA. */
  public static istiod(options: IstioComponentOptions = {}): PlatformComponent {
    return new PlatformComponent(istiodDescription(options));
  }

  /** The Istio CNI node agent (`istio/cni` chart 1.30.3). */
  public static istioCni(options: IstioComponentOptions = {}): PlatformComponent {
    return new PlatformComponent(istioCniDescription(options));
  }

  /** ztunnel, the ambient node proxy (`istio/ztunnel` chart 1.30.3). */
  public static ztunnel(options: IstioComponentOptions = {}): PlatformComponent {
    guardArgs(staticScope('PlatformComponent.ztunnel'), 'PlatformComponent', 'ztunnel', [options]);
    return new PlatformComponent(ztunnelDescription(options));
  }

  /**
   * An ingress or egress gateway (`istio/gateway` chart 1.30.3), as it runs after istiod's
   * gateway injection template replaced its `image: auto`.
   */
  public static istioGateway(options: IstioGatewayOptions): PlatformComponent {
    return new PlatformComponent(istioGatewayDescription(options));
  }

  /**
   * A gateway istiod deploys for a Gateway API `Gateway` of class `istio` (istiod 1.30.3's
   * `kube-gateway` template): Deployment and ServiceAccount `<name>-istio`. `AccessProxy`
   * declares its own gateway with it.
   */
  public static kubernetesGateway(options: KubernetesGatewayOptions): PlatformComponent {
    guardArgs(staticScope('PlatformComponent.kubernetesGateway'), 'PlatformComponent', 'kubernetesGateway', [options]);
    return new PlatformComponent(kubernetesGatewayDescription(options));
  }

  /**
   * A waypoint proxy istiod deploys for a `Gateway` of class `istio-waypoint` (istiod 1.30.3's
   * `waypoint` template).
   */
  public static waypoint(options: IstioGatewayOptions): PlatformComponent {
    guardArgs(staticScope('PlatformComponent.waypoint'), 'PlatformComponent', 'waypoint', [options]);
    return new PlatformComponent(waypointDescription(options));
  }

  /** OPA Gatekeeper (`gatekeeper/gatekeeper` chart 3.23.0): controller manager (webhook) and audit. */
  public static gatekeeper(options: PlatformComponentOptions = {}): PlatformComponent {
    guardArgs(staticScope('PlatformComponent.gatekeeper'), 'PlatformComponent', 'gatekeeper', [options]);
    return new PlatformComponent(gatekeeperDescription(options));
  }

  /** Kyverno (`kyverno/kyverno` chart 3.9.0, Kyverno 1.19.0): admission, background, cleanup and reports controllers. */
  public static kyverno(options: PlatformComponentOptions = {}): PlatformComponent {
    guardArgs(staticScope('PlatformComponent.kyverno'), 'PlatformComponent', 'kyverno', [options]);
    return new PlatformComponent(kyvernoDescription(options));
  }

  /** The Vault agent injector (`hashicorp/vault` chart 0.34.1, vault-k8s 1.7.6). */
  public static vaultAgentInjector(options: PlatformComponentOptions = {}): PlatformComponent {
    guardArgs(staticScope('PlatformComponent.vaultAgentInjector'), 'PlatformComponent', 'vaultAgentInjector', [options]);
    return new PlatformComponent(vaultInjectorDescription(options));
  }

  /** Falco with falcoctl and the driver loader (`falcosecurity/falco` chart 9.1.0, Falco 0.44.1). */
  public static falco(options: FalcoComponentOptions = {}): PlatformComponent {
    guardArgs(staticScope('PlatformComponent.falco'), 'PlatformComponent', 'falco', [options]);
    return new PlatformComponent(falcoDescription(options));
  }

  /**
   * The Prometheus Operator of `prometheus-community/kube-prometheus-stack` chart 88.5.3
   * (operator v0.93.1), with its admission webhook's certificate jobs.
   */
  public static prometheusOperator(options: PlatformComponentOptions = {}): PlatformComponent {
    guardArgs(staticScope('PlatformComponent.prometheusOperator'), 'PlatformComponent', 'prometheusOperator', [options]);
    return new PlatformComponent(prometheusOperatorDescription(options));
  }

  /** The component's name (`istiod`, `gatekeeper`, ...). */
  public readonly name: string;
  /** The pinned chart. */
  public readonly chart: HelmChartReference;
  /** The version of the component the chart deploys. */
  public readonly appVersion: string;
  /** The namespace it is installed into. */
  public readonly namespace: string;
  /** Its workloads. */
  public readonly workloads: PlatformWorkload[];
  /** The admission webhooks it registers. */
  public readonly webhooks: PlatformWebhook[];

  private constructor(data: _ComponentData) {
    this.name = data.name;
    this.chart = data.chart;
    this.appVersion = data.appVersion;
    this.namespace = data.namespace;
    this.workloads = data.workloads;
    this.webhooks = data.webhooks;
  }

  /** Every image of the component's pods, sorted. */
  public get images(): string[] {
    return [...new Set(this.workloads.flatMap(w => w.containers.map(c => c.image)))].sort();
  }

  /**
   * The image prefixes the policy pack admits for this component: `<repository>:<tag>` for an
   * image pinned by tag, `<repository>@<digest>` and `<repository>:<tag>@<digest>` for one pinned
   * by digest. Never a whole registry or repository.
   */
  public get allowedImagePrefixes(): string[] {
    const prefixes = this.images.flatMap(image => {
      const at = image.indexOf('@');
      if (at < 0) return [image];
      const named = image.slice(0, at);
      const digest = image.slice(at);
      const colon = named.lastIndexOf(':');
      const repository = colon > named.lastIndexOf('/') ? named.slice(0, colon) : named;
      return [image, `${repository}${digest}`];
    });
    return [...new Set(prefixes)].sort();
  }
}
