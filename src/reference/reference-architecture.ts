import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { IntentGraph } from '../intent/intent-graph';
import { AppProtocol } from '../intent/mesh-workload';
import { MeshService } from '../mesh/mesh-service';
import { VaultConnection } from '../secrets/vault-connection';
import { VaultInjectedDeployment } from '../secrets/vault-injected-deployment';
import { VaultSecret } from '../secrets/vault-secret';
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
   * The Vault address payment-service and order-service read their database credentials from.
   *
   * @default 'https://vault.vault.svc:8200'
   */
  readonly vaultAddress?: string;

  /**
   * The Secret (in namespace `production`) with the CA certificate of Vault's server
   * certificate, created by the cluster operator (for example with trust-manager).
   *
   * @default 'vault-ca'
   */
  readonly vaultCaCertSecret?: string;
}

/**
 * Defines the reference zero-trust architecture, one Chart per layer, applied in order:
 * `namespaces` → `network` → `mesh` → `secrets` → `workloads` (policies exist before any pod starts).
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
 * Secrets: order-service and payment-service are VaultInjectedDeployments that read dynamic
 * database credentials (`database/creds/<service>`) from Vault's database engine; their egress
 * NetworkPolicies to Vault are in the `secrets` chart (applied before the workloads) and their
 * Vault policies and roles are output files (`vault/policies/`, `vault/roles/`, `vault/apply.sh`,
 * written by `OutputFile.synthAll(app)`).
 *
 * The layer charts are created in `scope` (normally the App) next to this construct, so
 * `App.synth()` with `yamlOutputType: YamlOutputType.FILE_PER_CHART` writes one numbered file
 * per layer: `0000-namespaces.k8s.yaml`, `0001-network.k8s.yaml`, `0002-mesh.k8s.yaml`,
 * `0003-secrets.k8s.yaml`, `0004-workloads.k8s.yaml`.
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
  /** Chart with the secrets layer: the workloads' egress NetworkPolicies to Vault. */
  public readonly secretsChart: Chart;
  /** The Vault the services read their database credentials from. */
  public readonly vault: VaultConnection;

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
  /** production/order-service (database credentials from Vault). */
  public readonly orderService: VaultInjectedDeployment;
  /** production/inventory-service. */
  public readonly inventoryService: MeshService;
  /** production/payment-service (database credentials from Vault). */
  public readonly paymentService: VaultInjectedDeployment;
  /** data/database (PostgreSQL protocol, TCP 5432). */
  public readonly database: MeshService;

  public constructor(scope: Construct, id: string, props: ReferenceArchitectureProps = {}) {
    super(scope, id);

    // the layer charts are siblings of this construct so that their files are named after the
    // layer: 0000-namespaces.k8s.yaml, 0001-network.k8s.yaml, ...
    this.namespacesChart = new Chart(scope, 'namespaces');
    this.networkChart = new Chart(scope, 'network');
    this.meshChart = new Chart(scope, 'mesh');
    this.secretsChart = new Chart(scope, 'secrets');
    this.workloadsChart = new Chart(scope, 'workloads');
    this.networkChart.addDependency(this.namespacesChart);
    this.meshChart.addDependency(this.networkChart);
    this.workloadsChart.addDependency(this.meshChart);
    this.secretsChart.addDependency(this.meshChart);
    this.workloadsChart.addDependency(this.secretsChart);

    this.graph = new IntentGraph(this, 'IntentGraph', {
      trustDomain: props.trustDomain,
      layers: {
        namespaces: this.namespacesChart,
        network: this.networkChart,
        mesh: this.meshChart,
        workloads: this.workloadsChart,
        secrets: this.secretsChart,
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
    this.vault = new VaultConnection(this, 'Vault', {
      address: props.vaultAddress ?? 'https://vault.vault.svc:8200',
      caCertSecret: props.vaultCaCertSecret ?? 'vault-ca',
    });
    // dynamic PostgreSQL credentials, rendered as libpq environment variables; the files hold
    // the values at run time only, the synthesized output holds the Vault path and template
    const withDatabaseCredentials = (name: string) => {
      const secret = VaultSecret.databaseCredentials(name);
      return new VaultInjectedDeployment(this, name, {
        namespace: this.production,
        name,
        image: image(name),
        port: 8080,
        healthCheckPath: '/healthz',
        vault: this.vault,
        secrets: [{
          name: 'db',
          secret,
          fileName: 'db.env',
          template: `{{- with secret "${secret.readPath}" -}}\nPGUSER={{ .Data.username }}\nPGPASSWORD={{ .Data.password }}\n{{- end }}\n`,
        }],
      });
    };
    this.orderService = withDatabaseCredentials('order-service');
    this.inventoryService = http(this.production, 'inventory-service');
    this.paymentService = withDatabaseCredentials('payment-service');
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
