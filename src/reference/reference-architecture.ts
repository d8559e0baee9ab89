import { Chart, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { AccessProxy } from '../edge/access-proxy';
import { CiliumWorkloadPolicy } from '../edge/cilium-workload-policy';
import { JwtIssuer } from '../edge/jwt-issuer';
import { NamespaceAccess } from '../identity/human-access';
import { SpireDeployment } from '../identity/spire-deployment';
import { guardProps } from '../intent/_guards';
import { forwarding, invalid } from '../intent/_validation';
import { ClusterPeer } from '../intent/cluster-peer';
import { Cni } from '../intent/cluster-peer-options';
import { IntentGraph } from '../intent/intent-graph';
import { AppProtocol, MeshMode } from '../intent/mesh-workload';
import { MeshService } from '../mesh/mesh-service';
import { MeshStatefulService } from '../mesh/mesh-stateful-service';
import { MeshAccessLogging } from '../monitoring/mesh-access-logging';
import { MeshMetricsScraping } from '../monitoring/mesh-metrics-scraping';
import { MetricsPodMonitor, MonitoredComponent } from '../monitoring/metrics-pod-monitor';
import { ZeroTrustAlerts } from '../monitoring/zero-trust-alerts';
import { PlatformComponent } from '../platform/platform-component';
import { PlatformComponents } from '../platform/platform-components';
import { PolicyEngine, PolicyMode } from '../policy/policy-options';
import { ZeroTrustPolicyPack } from '../policy/zero-trust-policy-pack';
import { ZeroTrustFalcoRules } from '../runtime/zero-trust-falco-rules';
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

  /**
   * The Kubernetes API server, which the platform components' controllers and the SPIRE server
   * call (their egress NetworkPolicies admit exactly it).
   *
   * @default - with `cilium`, `ClusterPeer.kubernetesApiServer({ cni: Cni.CILIUM })` (its
   * `kube-apiserver` entity); required without it (the endpoints of the `kubernetes` Service)
   */
  readonly kubernetesApiServer?: ClusterPeer;

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

  /**
   * The cluster name SPIRE attests agents with (k8s_psat).
   *
   * @default 'reference'
   */
  readonly clusterName?: string;
}

/**
 * PostgreSQL as Docker's official image publishes it, pinned by version and by the digest of its
 * multi-platform index, as docker-library/repo-info records it (repos/postgres/remote/17.11.md
 * at commit 0b63eeca29bdd695a0db3d3249137b9929da650d: `postgres:17.11` ->
 * `postgres@sha256:f4c66b82...`). 17.11 rather than 17.6: the digest of 17.6 is not recorded in
 * anything readable from where the library is built, and a digest is never guessed; 17.11 is the
 * same major version (same PGDATA `/var/lib/postgresql/data`, same uid/gid 999).
 */
const POSTGRES_IMAGE = 'docker.io/library/postgres:17.11@sha256:f4c66b820c6f974249089d3d16d86a3698eae11e8746eb6644b2271031e91232';

/**
 * Defines the reference zero-trust architecture, one Chart per layer, applied in order:
 * `namespaces` → `policy-templates` → `policy` → `identity` → `network` → `edge` → `mesh` →
 * `secrets` → `monitoring` → `runtime` → `workloads` (admission policies, identities, network
 * and mesh policies, alerts and detection rules exist before any pod starts).
 *
 * Topology (everything else is denied at L4 and L7):
 *
 * | caller | callee | allowed |
 * |---|---|---|
 * | internet, verified JWT (edge/access-proxy) | web/frontend | GET `/`, `/assets/*`, `/products/*`; GET, POST `/account/*` with claims groups=customers, device_trust=managed |
 * | web/frontend | production/api-gateway | GET, POST `/api/*` on 8080 |
 * | production/api-gateway | production/order-service | GET, POST `/api/orders/*` on 8080 |
 * | production/inventory-service | production/order-service | GET, POST `/api/orders/*` on 8080 |
 * | production/api-gateway | production/inventory-service | GET `/api/inventory/*` on 8080 |
 * | production/order-service | production/payment-service | POST `/api/v1/charge` on 8080 |
 * | production/order-service | data/database (PostgreSQL StatefulSet) | TCP 5432 |
 * | production/payment-service | data/database | TCP 5432 |
 * | production/payment-service | api.stripe.com (outside) | TLS 443, the only external destination |
 *
 * Around it:
 * - policy: the zero-trust admission pack (Gatekeeper by default, `policyEngine` for Kyverno or Kubernetes' own engine),
 *   enforcing, which the whole reference passes; SPIRE's agent and CSI driver and Falco are
 *   exempted exactly, from the privileges they declare;
 * - identity: SPIRE (server on sqlite, controller manager, agent, SPIFFE CSI driver), one
 *   ClusterSPIFFEID registering every workload under the principal its callers are allowed as,
 *   read-only (`sre`) and deployer (`production-deployers`) access to `production`;
 * - edge: the Gateway API access proxy with request authentication, and the exits (ServiceEntry,
 *   REGISTRY_ONLY Sidecars, Cilium `toFQDNs` with its DNS rule);
 * - secrets: order-service and payment-service are VaultInjectedDeployments reading dynamic
 *   database credentials (`database/creds/<service>`), with their egress to Vault;
 * - monitoring and runtime: zero-trust alerts, PodMonitors, access logging, Falco rules.
 *
 * The layer charts are created in `scope` (normally the App) next to this construct, so
 * `App.synth()` with `yamlOutputType: YamlOutputType.FILE_PER_CHART` writes one numbered file
 * per layer, `0000-namespaces.k8s.yaml` to `0010-workloads.k8s.yaml`; `OutputFile.synthAll()`
 * writes the Vault policies and roles (`vault/`), the Falco chart values
 * (`helm/falco-values.yaml`) and the access log provider for istiod's meshConfig
 * (`istio/mesh-config-access-log.yaml`).
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
  /** Chart with the edge and the exits: access proxy, routes, request authentication, egress, Cilium policies. */
  public readonly edgeChart: Chart;
  /** Namespace `edge`, where the access proxy runs. */
  public readonly edge: ZeroTrustNamespace;
  /** edge/access-proxy: the only way in, for authenticated users. */
  public readonly accessProxy: AccessProxy;
  /** Chart with the ServiceAccounts, Deployments and Services. */
  public readonly workloadsChart: Chart;
  /** Chart with the secrets layer: the workloads' egress NetworkPolicies to Vault. */
  public readonly secretsChart: Chart;
  /** The Vault the services read their database credentials from. */
  public readonly vault: VaultConnection;
  /** Chart with the admission policy templates (Gatekeeper ConstraintTemplates and Config). */
  public readonly policyTemplatesChart: Chart;
  /** Chart with the admission policies (Gatekeeper constraints, Kyverno ValidatingPolicies or ValidatingAdmissionPolicy bindings). */
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
  /** production/order-service (database credentials from Vault). */
  public readonly orderService: VaultInjectedDeployment;
  /** production/inventory-service. */
  public readonly inventoryService: MeshService;
  /** production/payment-service (database credentials from Vault). */
  public readonly paymentService: VaultInjectedDeployment;
  /**
   * data/database: PostgreSQL (the official `postgres` image, version-pinned) as a StatefulSet,
   * TCP 5432, PGDATA on a persistent volume per pod.
   */
  public readonly database: MeshStatefulService;
  /**
   * The ambient namespace `insights`: no sidecars; ztunnel enforces identity and port, and a
   * namespace waypoint enforces its L7 call.
   */
  public readonly insights: ZeroTrustNamespace;
  /** The recommendations service (ambient): calls the catalog at L7 through the waypoint, and the inventory service (sidecar) over HBONE. */
  public readonly recommendations: MeshService;
  /** The catalog service (ambient, behind the `insights` waypoint). */
  public readonly catalog: MeshService;
  /** SPIRE: issues every workload the SPIFFE ID its callers' AuthorizationPolicies name. */
  public readonly spire: SpireDeployment;
  /** Access for people to namespace `production` (OIDC groups `sre`: read-only, `production-deployers`: deployer). */
  public readonly productionAccess: NamespaceAccess;

  /**
   * Chart with the monitoring objects: PrometheusRule, PodMonitors (istiod, Gatekeeper, Falco,
   * Envoy), the NetworkPolicies that let Prometheus scrape sidecars, and the access logging
   * Telemetry.
   */
  public readonly monitoringChart: Chart;
  /** Chart with the runtime detection objects: the Falco rules ConfigMap. */
  public readonly runtimeChart: Chart;
  /** The zero-trust alerts. */
  public readonly alerts: ZeroTrustAlerts;
  /** The zero-trust Falco rules (and their Helm values, `helm/falco-values.yaml`). */
  public readonly falcoRules: ZeroTrustFalcoRules;
  /** Mesh-wide structured access logging (and its meshConfig, `istio/mesh-config-access-log.yaml`). */
  public readonly accessLogging: MeshAccessLogging;
  /** The NetworkPolicies and PodMonitors that let Prometheus scrape the sidecars. */
  public readonly metricsScraping: MeshMetricsScraping;
  /**
   * The platform components the reference relies on, installed with their pinned charts before
   * the output is applied: istiod, istio-cni (ambient) and ztunnel, the admission engine's
   * controllers (Gatekeeper or Kyverno; none for Kubernetes' own engine), the Vault agent
   * injector, Falco and the Prometheus Operator. The pack admits exactly their images and
   * exempts exactly their containers; each of their workloads gets a NetworkPolicy for its
   * ingress and egress (and, with `cilium`, CiliumNetworkPolicies for the API server's
   * `kube-apiserver` entity: calling the webhook ports, and called by the controllers).
   */
  public readonly platform: PlatformComponents;
  /** The Kubernetes API server the platform components and SPIRE call. */
  public readonly kubernetesApiServer: ClusterPeer;
  /**
   * The waypoint istiod deploys for namespace `insights`: declared for the pack's exemptions;
   * its NetworkPolicy is the network layer's exact one.
   */
  public readonly waypoints: PlatformComponents;

  public constructor(scope: Construct, id: string, props: ReferenceArchitectureProps = {}) {
    super(scope, id);
    guardProps(this, 'ReferenceArchitecture', props);

    // the layer charts are siblings of this construct so that their files are named after the
    // layer: 0000-namespaces.k8s.yaml, 0001-policy-templates.k8s.yaml, ...
    this.namespacesChart = new Chart(scope, 'namespaces');
    this.policyTemplatesChart = new Chart(scope, 'policy-templates');
    this.policyChart = new Chart(scope, 'policy');
    this.identityChart = new Chart(scope, 'identity');
    this.networkChart = new Chart(scope, 'network');
    this.edgeChart = new Chart(scope, 'edge');
    this.meshChart = new Chart(scope, 'mesh');
    this.secretsChart = new Chart(scope, 'secrets');
    this.monitoringChart = new Chart(scope, 'monitoring');
    this.runtimeChart = new Chart(scope, 'runtime');
    this.workloadsChart = new Chart(scope, 'workloads');
    // every layer depends on the namespaces; the others keep the order they are created in,
    // which is the order `kubectl apply -f dist/` applies the numbered files. (A chain of
    // dependencies would say the same, but cdk8s expands chart dependencies into
    // object-to-object edges and walks every path between them, which grows exponentially with
    // the chain's length.)
    for (const chart of [this.policyTemplatesChart, this.policyChart, this.identityChart, this.networkChart, this.edgeChart,
      this.meshChart, this.secretsChart, this.monitoringChart, this.runtimeChart, this.workloadsChart]) {
      chart.addDependency(this.namespacesChart);
    }

    this.graph = forwarding(this, { trustDomain: props.trustDomain }, () => new IntentGraph(this, 'IntentGraph', {
      trustDomain: props.trustDomain,
      layers: {
        namespaces: this.namespacesChart,
        policyTemplates: this.policyTemplatesChart,
        policy: this.policyChart,
        identity: this.identityChart,
        network: this.networkChart,
        edge: this.edgeChart,
        mesh: this.meshChart,
        secrets: this.secretsChart,
        monitoring: this.monitoringChart,
        runtime: this.runtimeChart,
        workloads: this.workloadsChart,
      },
    }));

    const registry = props.imageRegistry ?? 'ghcr.io/cdk8s-zero-trust/demo';
    const tag = props.imageTag ?? '1.0.0';
    const image = (name: string) => `${registry}/${name}:${tag}`;

    // allowed images: the services' registry, and exactly the repositories of the platform
    // components the app itself deploys (read at synthesis time)
    const engine = props.policyEngine ?? PolicyEngine.GATEKEEPER;
    this.policyPack = new ZeroTrustPolicyPack(this, 'policy', {
      engine,
      mode: props.policyMode ?? PolicyMode.ENFORCE,
      allowedRegistries: [`${registry}/`],
      allowAppImages: true,
    });

    // the platform the reference relies on, each component as its pinned chart deploys it
    const apiServer = props.kubernetesApiServer ?? ((props.cilium ?? true) ? ClusterPeer.kubernetesApiServer({ cni: Cni.CILIUM }) : undefined);
    if (apiServer === undefined) {
      invalid(this, 'kubernetesApiServer', undefined, 'is needed without Cilium: the platform components and the SPIRE server reach the API server by its addresses',
        'set kubernetesApiServer: ClusterPeer.kubernetesApiServer({ addresses: [...] }) with the endpoints of kubectl get endpointslices -l kubernetes.io/service-name=kubernetes');
    }
    this.kubernetesApiServer = apiServer;
    this.platform = new PlatformComponents(this, 'platform', {
      // on Cilium the webhooks admit the API server by its kube-apiserver entity; elsewhere its
      // addresses are the cluster's own, so the webhook ports stay open to any source
      ...((props.cilium ?? true) ? { webhookCallers: [ClusterPeer.kubernetesApiServer({ cni: Cni.CILIUM })] } : {}),
      apiServer: this.kubernetesApiServer,
      components: [
        PlatformComponent.istiod(),
        PlatformComponent.istioCni({ ambient: true }),
        PlatformComponent.ztunnel(),
        ...(engine === PolicyEngine.GATEKEEPER ? [PlatformComponent.gatekeeper()] : []),
        ...(engine === PolicyEngine.KYVERNO ? [PlatformComponent.kyverno()] : []),
        PlatformComponent.vaultAgentInjector(),
        PlatformComponent.falco(),
        PlatformComponent.prometheusOperator(),
      ],
    });
    this.waypoints = new PlatformComponents(this, 'waypoints', {
      networkPolicies: false,
      components: [PlatformComponent.waypoint({ name: 'waypoint', namespace: 'insights' })],
    });

    this.web = new ZeroTrustNamespace(this, 'web', { name: 'web' });
    this.production = new ZeroTrustNamespace(this, 'production', { name: 'production' });
    this.data = new ZeroTrustNamespace(this, 'data', { name: 'data' });

    const http = (namespace: ZeroTrustNamespace, name: string) => forwarding(this, { imageRegistry: props.imageRegistry, imageTag: props.imageTag },
      () => new MeshService(this, name, { namespace, name, image: image(name), port: 8080, healthCheckPath: '/healthz' }));

    this.frontend = http(this.web, 'frontend');
    this.apiGateway = http(this.production, 'api-gateway');
    this.vault = forwarding(this, { vaultAddress: props.vaultAddress, vaultCaCertSecret: props.vaultCaCertSecret }, () => new VaultConnection(this, 'Vault', {
      address: props.vaultAddress ?? 'https://vault.vault.svc:8200',
      caCertSecret: props.vaultCaCertSecret ?? 'vault-ca',
    }));
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
    // the official image: uid/gid 999 (its postgres user), PGDATA in a subdirectory of the claim
    // (the mount point's lost+found would make initdb refuse it), the socket directory and /tmp
    // writable under the read-only root filesystem; the superuser password comes from the Secret
    // data/database-superuser (key `password`), created out of band: no value is synthesized
    this.database = new MeshStatefulService(this, 'database', {
      namespace: this.data,
      image: POSTGRES_IMAGE,
      port: 5432,
      protocol: AppProtocol.TCP,
      replicas: 1,
      user: 999,
      group: 999,
      env: { PGDATA: '/var/lib/postgresql/data/pgdata' },
      resources: {
        cpu: { request: kplus.Cpu.millis(250), limit: kplus.Cpu.millis(1000) },
        memory: { request: Size.mebibytes(512), limit: Size.gibibytes(1) },
      },
      volumeClaims: [{ name: 'data', mountPath: '/var/lib/postgresql/data', storage: Size.gibibytes(10) }],
      writableDirectories: [{ mountPath: '/var/run/postgresql' }, { mountPath: '/tmp' }],
    });
    this.database.statefulSet.containers[0].env.addVariable('POSTGRES_PASSWORD', kplus.EnvValue.fromSecretValue({
      secret: kplus.Secret.fromSecretName(this, 'DatabaseSuperuser', 'database-superuser'),
      key: 'password',
    }));

    this.apiGateway.allowFrom(this.frontend, { methods: ['GET', 'POST'], paths: ['/api/*'] });
    this.orderService.allowFrom(this.apiGateway, { methods: ['GET', 'POST'], paths: ['/api/orders/*'] });
    this.orderService.allowFrom(this.inventoryService, { methods: ['GET', 'POST'], paths: ['/api/orders/*'] });
    this.inventoryService.allowFrom(this.apiGateway, { methods: ['GET'], paths: ['/api/inventory/*'] });
    this.paymentService.allowFrom(this.orderService, { methods: ['POST'], paths: ['/api/v1/charge'] });
    this.database.allowFrom(this.orderService);
    this.database.allowFrom(this.paymentService);

    // ambient mode: the L7 call into insights gets a waypoint (ztunnel admits only the waypoint's
    // identity), and the ambient caller reaches the sidecar-mode inventory service over HBONE
    this.insights = new ZeroTrustNamespace(this, 'insights', { name: 'insights', meshMode: MeshMode.AMBIENT });
    this.recommendations = http(this.insights, 'recommendations');
    this.catalog = http(this.insights, 'catalog');
    this.catalog.allowFrom(this.recommendations, { methods: ['GET'], paths: ['/api/catalog/*'] });
    this.inventoryService.allowFrom(this.recommendations, { methods: ['GET'], paths: ['/api/inventory/*'] });

    // the edge: the frontend is reached only through the access proxy, by authenticated users;
    // the account pages also need the customers group and a managed device
    this.edge = new ZeroTrustNamespace(this, 'edge', { name: 'edge' });
    this.accessProxy = forwarding(this, { hostname: props.hostname, identityProvider: props.identityProvider }, () => new AccessProxy(this, 'access-proxy', {
      namespace: this.edge,
      hostnames: [props.hostname ?? 'shop.example.com'],
      tlsSecretName: 'shop-tls',
      jwt: props.identityProvider ?? {
        issuer: 'https://login.example.com',
        jwksUri: 'https://login.example.com/.well-known/jwks.json',
        audiences: ['shop'],
      },
    }));
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

    // monitoring: alerts on the metrics the components export, their scrape targets, access logs
    this.alerts = new ZeroTrustAlerts(this, 'Alerts');
    for (const component of [MonitoredComponent.istiod(), MonitoredComponent.gatekeeper(), MonitoredComponent.falco()]) {
      new MetricsPodMonitor(this, `${component.name}Monitor`, { component });
    }
    this.metricsScraping = new MeshMetricsScraping(this, 'MetricsScraping');
    this.accessLogging = new MeshAccessLogging(this, 'AccessLogging');

    // runtime: the zero-trust Falco rules, derived from the intent graph at synthesis time
    this.falcoRules = new ZeroTrustFalcoRules(this, 'FalcoRules');
    // identity: SPIRE registers every workload above under its mesh identity
    this.spire = forwarding(this, { clusterName: props.clusterName }, () => new SpireDeployment(this, 'spire', { clusterName: props.clusterName ?? 'reference', apiServer: this.kubernetesApiServer }));
    this.productionAccess = new NamespaceAccess(this, 'production-access', { namespace: this.production });
    this.productionAccess.grantReadOnly('sre');
    this.productionAccess.grantDeployer('production-deployers');
  }
}
