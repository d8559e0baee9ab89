import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { IntentGraph } from '../intent/intent-graph';
import { AppProtocol } from '../intent/mesh-workload';
import { MeshService } from '../mesh/mesh-service';
import { PolicyEngine, PolicyMode, ZeroTrustPolicyPack } from '../policy/zero-trust-policy-pack';
import { ZeroTrustNamespace } from '../segmentation/zero-trust-namespace';

/**
 * Properties of the reference architecture.
 */
export interface ReferenceArchitectureProps {
  /**
   * The mesh trust domain.
   *
   * @default 'cluster.local'
   */
  readonly trustDomain?: string;

  /**
   * The registry (and path) the service images are pulled from: `<imageRegistry>/<service>:<imageTag>`.
   *
   * @default 'ghcr.io/cdk8s-zero-trust/demo'
   */
  readonly imageRegistry?: string;

  /**
   * The tag of every service image.
   *
   * @default '1.0.0'
   */
  readonly imageTag?: string;

  /**
   * The admission controller of the policy layer.
   *
   * @default PolicyEngine.GATEKEEPER
   */
  readonly policyEngine?: PolicyEngine;

  /**
   * The mode of the policy pack. The reference architecture passes its own pack, so it enforces
   * by default; start at AUDIT when the cluster already runs other workloads.
   *
   * @default PolicyMode.ENFORCE
   */
  readonly policyMode?: PolicyMode;
}

/**
 * Defines the reference zero-trust architecture, one Chart per layer, applied in order:
 * `namespaces` → `policy-templates` → `policy` → `network` → `mesh` → `workloads` (admission
 * policies and network policies exist before any pod starts; the reference passes its own pack,
 * which is why it enforces it by default).
 *
 * Topology (everything else is denied at L4 and L7):
 *
 * | caller | callee | allowed |
 * |---|---|---|
 * | web/frontend | production/api-gateway | GET, POST `/api/*` on 8080 |
 * | production/api-gateway | production/order-service | GET, POST `/api/orders/*` on 8080 |
 * | production/inventory-service | production/order-service | GET, POST `/api/orders/*` on 8080 |
 * | production/api-gateway | production/inventory-service | GET `/api/inventory/*` on 8080 |
 * | production/order-service | production/payment-service | POST `/api/v1/charge` on 8080 |
 * | production/order-service | data/database | TCP 5432 |
 * | production/payment-service | data/database | TCP 5432 |
 *
 * The layer charts are created in `scope` (normally the App) next to this construct, so
 * `App.synth()` with `yamlOutputType: YamlOutputType.FILE_PER_CHART` writes one numbered file
 * per layer: `0000-namespaces.k8s.yaml`, `0001-policy-templates.k8s.yaml`, `0002-policy.k8s.yaml`,
 * `0003-network.k8s.yaml`, `0004-mesh.k8s.yaml`, `0005-workloads.k8s.yaml`.
 */
export class ReferenceArchitecture extends Construct {
  /** The intent graph every layer is derived from. */
  public readonly graph: IntentGraph;
  /** Chart with the Namespaces. */
  public readonly namespacesChart: Chart;
  /** Chart with the NetworkPolicies. */
  public readonly networkChart: Chart;
  /** Chart with the Istio PeerAuthentications and AuthorizationPolicies. */
  public readonly meshChart: Chart;
  /** Chart with the ServiceAccounts, Deployments and Services. */
  public readonly workloadsChart: Chart;
  /** Chart with the admission policy templates (Gatekeeper ConstraintTemplates and Config). */
  public readonly policyTemplatesChart: Chart;
  /** Chart with the admission policies (Gatekeeper constraints or Kyverno ClusterPolicies). */
  public readonly policyChart: Chart;
  /**
   * The zero-trust admission policy pack. Allowed images: `imageRegistry`, and exactly the image
   * repositories of the workloads the app synthesizes (`allowAppImages`).
   */
  public readonly policyPack: ZeroTrustPolicyPack;

  /** Namespace `web`. */
  public readonly web: ZeroTrustNamespace;
  /** Namespace `production`. */
  public readonly production: ZeroTrustNamespace;
  /** Namespace `data`. */
  public readonly data: ZeroTrustNamespace;

  /** web/frontend. */
  public readonly frontend: MeshService;
  /** production/api-gateway. */
  public readonly apiGateway: MeshService;
  /** production/order-service. */
  public readonly orderService: MeshService;
  /** production/inventory-service. */
  public readonly inventoryService: MeshService;
  /** production/payment-service. */
  public readonly paymentService: MeshService;
  /** data/database (PostgreSQL protocol, TCP 5432). */
  public readonly database: MeshService;

  public constructor(scope: Construct, id: string, props: ReferenceArchitectureProps = {}) {
    super(scope, id);

    // the layer charts are siblings of this construct so that their files are named after the
    // layer: 0000-namespaces.k8s.yaml, 0001-network.k8s.yaml, ...
    this.namespacesChart = new Chart(scope, 'namespaces');
    this.policyTemplatesChart = new Chart(scope, 'policy-templates');
    this.policyChart = new Chart(scope, 'policy');
    this.networkChart = new Chart(scope, 'network');
    this.meshChart = new Chart(scope, 'mesh');
    this.workloadsChart = new Chart(scope, 'workloads');
    this.policyTemplatesChart.addDependency(this.namespacesChart);
    this.policyChart.addDependency(this.policyTemplatesChart);
    this.networkChart.addDependency(this.namespacesChart);
    this.networkChart.addDependency(this.policyChart);
    this.meshChart.addDependency(this.networkChart);
    this.workloadsChart.addDependency(this.meshChart);

    this.graph = new IntentGraph(this, 'IntentGraph', {
      trustDomain: props.trustDomain,
      layers: {
        namespaces: this.namespacesChart,
        network: this.networkChart,
        mesh: this.meshChart,
        workloads: this.workloadsChart,
        policyTemplates: this.policyTemplatesChart,
        policy: this.policyChart,
      },
    });

    const registry = props.imageRegistry ?? 'ghcr.io/cdk8s-zero-trust/demo';
    const tag = props.imageTag ?? '1.0.0';
    const image = (name: string) => `${registry}/${name}:${tag}`;

    // allowed images: the services' registry, and exactly the repositories of the platform
    // components the app itself deploys (read at synthesis time)
    this.policyPack = new ZeroTrustPolicyPack(this, 'policy', {
      engine: props.policyEngine ?? PolicyEngine.GATEKEEPER,
      mode: props.policyMode ?? PolicyMode.ENFORCE,
      allowedRegistries: [`${registry}/`],
      allowAppImages: true,
    });

    this.web = new ZeroTrustNamespace(this, 'web', { name: 'web' });
    this.production = new ZeroTrustNamespace(this, 'production', { name: 'production' });
    this.data = new ZeroTrustNamespace(this, 'data', { name: 'data' });

    const http = (namespace: ZeroTrustNamespace, name: string) =>
      new MeshService(this, name, { namespace, name, image: image(name), port: 8080, healthCheckPath: '/healthz' });

    this.frontend = http(this.web, 'frontend');
    this.apiGateway = http(this.production, 'api-gateway');
    this.orderService = http(this.production, 'order-service');
    this.inventoryService = http(this.production, 'inventory-service');
    this.paymentService = http(this.production, 'payment-service');
    this.database = new MeshService(this, 'database', {
      namespace: this.data,
      image: image('database'),
      port: 5432,
      protocol: AppProtocol.TCP,
      replicas: 1,
    });

    this.apiGateway.allowFrom(this.frontend, { methods: ['GET', 'POST'], paths: ['/api/*'] });
    this.orderService.allowFrom(this.apiGateway, { methods: ['GET', 'POST'], paths: ['/api/orders/*'] });
    this.orderService.allowFrom(this.inventoryService, { methods: ['GET', 'POST'], paths: ['/api/orders/*'] });
    this.inventoryService.allowFrom(this.apiGateway, { methods: ['GET'], paths: ['/api/inventory/*'] });
    this.paymentService.allowFrom(this.orderService, { methods: ['POST'], paths: ['/api/v1/charge'] });
    this.database.allowFrom(this.orderService);
    this.database.allowFrom(this.paymentService);
  }
}
