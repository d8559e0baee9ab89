import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { AccessProxy, JwtIssuer } from '../edge/access-proxy';
import { CiliumWorkloadPolicy } from '../edge/cilium-workload-policy';
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
   * The host name users reach the shop by, through the access proxy.
   *
   * @default 'shop.example.com'
   */
  readonly hostname?: string;

  /**
   * The identity provider whose tokens the access proxy verifies.
   *
   * @default - issuer https://login.example.com, its /.well-known/jwks.json, audience 'shop'
   */
  readonly identityProvider?: JwtIssuer;

  /**
   * Whether the cluster runs Cilium: external egress is then enforced by name (`toFQDNs`, with
   * the DNS-proxy rule) instead of by public address ranges.
   *
   * @default true
   */
  readonly cilium?: boolean;
}

/**
 * Defines the reference zero-trust architecture, one Chart per layer, applied in order:
 * `namespaces` → `network` → `mesh` → `workloads` (policies exist before any pod starts).
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
 * | internet, verified JWT (edge/access-proxy) | web/frontend | GET `/`, `/assets/*`, `/products/*`; GET, POST `/account/*` with claims groups=customers, device_trust=managed |
 * | production/payment-service | api.stripe.com (outside) | TLS 443, the only external destination |
 *
 * The `edge` chart (access proxy, routes, request authentication, egress, Cilium policies) is
 * applied after `network` and before `mesh`.
 *
 * The layer charts are created in `scope` (normally the App) next to this construct, so
 * `App.synth()` with `yamlOutputType: YamlOutputType.FILE_PER_CHART` writes one numbered file
 * per layer: `0000-namespaces.k8s.yaml`, `0001-network.k8s.yaml`, `0002-mesh.k8s.yaml`,
 * `0003-workloads.k8s.yaml`.
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
  /** Chart with the edge and the exits: access proxy, routes, request authentication, egress, Cilium policies. */
  public readonly edgeChart: Chart;
  /** Namespace `edge`, where the access proxy runs. */
  public readonly edge: ZeroTrustNamespace;
  /** edge/access-proxy: the only way in, for authenticated users. */
  public readonly accessProxy: AccessProxy;
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

  public constructor(scope: Construct, id: string, props: ReferenceArchitectureProps = {}) {
    super(scope, id);

    // the layer charts are siblings of this construct so that their files are named after the
    // layer: 0000-namespaces.k8s.yaml, 0001-network.k8s.yaml, ...
    this.namespacesChart = new Chart(scope, 'namespaces');
    this.networkChart = new Chart(scope, 'network');
    this.edgeChart = new Chart(scope, 'edge');
    this.meshChart = new Chart(scope, 'mesh');
    this.workloadsChart = new Chart(scope, 'workloads');
    this.networkChart.addDependency(this.namespacesChart);
    this.meshChart.addDependency(this.networkChart);
    this.edgeChart.addDependency(this.networkChart);
    this.meshChart.addDependency(this.edgeChart);
    this.workloadsChart.addDependency(this.meshChart);

    this.graph = new IntentGraph(this, 'IntentGraph', {
      trustDomain: props.trustDomain,
      layers: {
        namespaces: this.namespacesChart,
        network: this.networkChart,
        mesh: this.meshChart,
        workloads: this.workloadsChart,
        edge: this.edgeChart,
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

    // the edge: the frontend is reached only through the access proxy, by authenticated users;
    // the account pages also need the customers group and a managed device
    this.edge = new ZeroTrustNamespace(this, 'edge', { name: 'edge' });
    this.accessProxy = new AccessProxy(this, 'access-proxy', {
      namespace: this.edge,
      hostnames: [props.hostname ?? 'shop.example.com'],
      tlsSecretName: 'shop-tls',
      jwt: props.identityProvider ?? {
        issuer: 'https://login.example.com',
        jwksUri: 'https://login.example.com/.well-known/jwks.json',
        audiences: ['shop'],
      },
    });
    this.frontend.allowFrom(this.accessProxy, { methods: ['GET'], paths: ['/', '/assets/*', '/products/*'] });
    this.frontend.allowFrom(this.accessProxy, {
      methods: ['GET', 'POST'],
      paths: ['/account/*'],
      requireClaims: { groups: ['customers'], device_trust: ['managed'] },
    });

    // the exits: payment-service may call Stripe, nothing else outside the cluster
    this.paymentService.allowEgressTo('api.stripe.com', { port: 443 });
    if (props.cilium ?? true) {
      new CiliumWorkloadPolicy(this, 'payment-service-egress', { workload: this.paymentService });
    }
  }
}
