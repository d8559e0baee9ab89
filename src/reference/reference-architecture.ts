import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { NamespaceAccess } from '../identity/human-access';
import { SpireDeployment } from '../identity/spire-deployment';
import { IntentGraph } from '../intent/intent-graph';
import { AppProtocol } from '../intent/mesh-workload';
import { MeshService } from '../mesh/mesh-service';
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
   * The cluster name SPIRE attests agents with (k8s_psat).
   *
   * @default 'reference'
   */
  readonly clusterName?: string;
}

/**
 * Defines the reference zero-trust architecture, one Chart per layer, applied in order:
 * `namespaces` → `identity` → `network` → `mesh` → `workloads` (policies exist before any pod
 * starts). The identity layer deploys SPIRE (server, controller manager, agent, SPIFFE CSI
 * driver) and registers every workload with the SPIFFE ID its callers' AuthorizationPolicies
 * name, and gives OIDC groups least-privilege access to `production`.
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
 * per layer: `0000-namespaces.k8s.yaml`, `0001-identity.k8s.yaml`, `0002-network.k8s.yaml`,
 * `0003-mesh.k8s.yaml`, `0004-workloads.k8s.yaml`.
 */
export class ReferenceArchitecture extends Construct {
  /** The intent graph every layer is derived from. */
  public readonly graph: IntentGraph;
  /** Chart with the Namespaces. */
  public readonly namespacesChart: Chart;
  /** Chart with the NetworkPolicies. */
  public readonly networkChart: Chart;
  /** Chart with the identity layer: SPIRE, the ClusterSPIFFEIDs, RBAC for people. */
  public readonly identityChart: Chart;
  /** Chart with the Istio PeerAuthentications and AuthorizationPolicies. */
  public readonly meshChart: Chart;
  /** Chart with the ServiceAccounts, Deployments and Services. */
  public readonly workloadsChart: Chart;

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
  /** SPIRE: issues every workload the SPIFFE ID its callers' AuthorizationPolicies name. */
  public readonly spire: SpireDeployment;
  /** Access for people to namespace `production` (OIDC groups `sre`: read-only, `production-deployers`: deployer). */
  public readonly productionAccess: NamespaceAccess;

  public constructor(scope: Construct, id: string, props: ReferenceArchitectureProps = {}) {
    super(scope, id);

    // the layer charts are siblings of this construct so that their files are named after the
    // layer: 0000-namespaces.k8s.yaml, 0001-network.k8s.yaml, ...
    this.namespacesChart = new Chart(scope, 'namespaces');
    this.identityChart = new Chart(scope, 'identity');
    this.networkChart = new Chart(scope, 'network');
    this.meshChart = new Chart(scope, 'mesh');
    this.workloadsChart = new Chart(scope, 'workloads');
    this.networkChart.addDependency(this.namespacesChart);
    this.meshChart.addDependency(this.networkChart);
    this.workloadsChart.addDependency(this.meshChart);
    this.identityChart.addDependency(this.namespacesChart);
    this.networkChart.addDependency(this.identityChart);

    this.graph = new IntentGraph(this, 'IntentGraph', {
      trustDomain: props.trustDomain,
      layers: {
        namespaces: this.namespacesChart,
        network: this.networkChart,
        mesh: this.meshChart,
        workloads: this.workloadsChart,
        identity: this.identityChart,
      },
    });

    const registry = props.imageRegistry ?? 'ghcr.io/cdk8s-zero-trust/demo';
    const tag = props.imageTag ?? '1.0.0';
    const image = (name: string) => `${registry}/${name}:${tag}`;

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

    // identity: SPIRE registers every workload above under its mesh identity
    this.spire = new SpireDeployment(this, 'spire', { clusterName: props.clusterName ?? 'reference' });
    this.productionAccess = new NamespaceAccess(this, 'production-access', { namespace: this.production });
    this.productionAccess.grantReadOnly('sre');
    this.productionAccess.grantDeployer('production-deployers');
  }
}
