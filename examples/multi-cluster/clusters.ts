// Two clusters, two trust domains, one call across them, and one workload reading S3 through
// EKS Pod Identity. Each cluster is its own cdk8s App with its own intent graph; the two graphs
// name each other's workloads by SPIFFE ID (RemoteWorkload), and the two SPIRE deployments
// federate their trust domains.
//
//   cluster-a (trust domain cluster-a.example.org, EKS)     cluster-b (trust domain cluster-b.example.org)
//   shop/orders ──POST /entries──► east-west gateway ──────► ledger/ledger :8443
//   shop/orders ──GET /reports/*──► shop/reports ──► s3://acme-reports/daily/ (Pod Identity)
import { App, Chart, YamlOutputType } from 'cdk8s';
import {
  CloudGrant, CloudWorkloadIdentity, IntentGraph, MeshService, RemoteWorkload, SpireDeployment, ZeroTrustNamespace,
} from '../../src';

/** Addresses of the example (documentation ranges, RFC 5737). */
export const ADDRESSES = {
  /** cluster-b's east-west gateway, as cluster-a reaches it (its mTLS passthrough port 15443). */
  clusterBEastWestGateway: '198.51.100.20/32',
  /** cluster-a's SPIRE bundle endpoint (its load balancer), as cluster-b's SPIRE server reaches it. */
  clusterABundleEndpoint: '192.0.2.10/32',
  /** cluster-b's SPIRE bundle endpoint (its load balancer), as cluster-a's SPIRE server reaches it. */
  clusterBBundleEndpoint: '198.51.100.10/32',
  /** Where cluster-a's pods leave the cluster (its NAT gateway). */
  clusterAEgress: '192.0.2.100/32',
  /** Where cluster-b's pods leave the cluster (its NAT gateway). */
  clusterBEgress: '198.51.100.100/32',
};

export const CLUSTER_A_ARN = 'arn:aws:eks:eu-west-1:111122223333:cluster/cluster-a';
export const REPORTS_ROLE_ARN = 'arn:aws:iam::111122223333:role/shop/reports';

/** The charts of one cluster, applied in this order (every one after the namespaces). */
function clusterApp(outdir: string | undefined, trustDomain: string) {
  const app = new App({ outdir, yamlOutputType: YamlOutputType.FILE_PER_CHART });
  const namespaces = new Chart(app, 'namespaces');
  const identity = new Chart(app, 'identity');
  const network = new Chart(app, 'network');
  const mesh = new Chart(app, 'mesh');
  const edge = new Chart(app, 'edge');
  const workloads = new Chart(app, 'workloads');
  for (const chart of [identity, network, mesh, edge, workloads]) chart.addDependency(namespaces);
  new IntentGraph(app, 'IntentGraph', { trustDomain, layers: { namespaces, identity, network, mesh, edge, workloads } });
  return { app, identity, workloads };
}

/** cluster-a: the shop. `orders` calls `ledger` in cluster-b; `reports` reads S3 through Pod Identity. */
export function clusterA(outdir?: string) {
  const { app, identity, workloads } = clusterApp(outdir, 'cluster-a.example.org');
  const shop = new ZeroTrustNamespace(workloads, 'shop');
  const orders = new MeshService(workloads, 'orders', { namespace: shop, image: 'ghcr.io/acme/orders:2.1.0', port: 8080 });
  const reports = new MeshService(workloads, 'reports', {
    namespace: shop,
    image: 'ghcr.io/acme/reports:1.4.0',
    port: 8080,
    cloudIdentity: CloudWorkloadIdentity.eksPodIdentity({
      roleArn: REPORTS_ROLE_ARN,
      clusterArn: CLUSTER_A_ARN,
      grants: [CloudGrant.awsS3Read({ bucket: 'acme-reports', prefix: 'daily/' })],
    }),
  });
  reports.allowFrom(orders, { methods: ['GET'], paths: ['/reports/*'] });
  reports.allowEgressTo('acme-reports.s3.eu-west-1.amazonaws.com');

  const ledger = new RemoteWorkload(workloads, 'ledger', {
    spiffeId: 'spiffe://cluster-b.example.org/ns/ledger/sa/ledger',
    ports: [{ port: 8443 }],
    path: { remoteCidrs: [ADDRESSES.clusterBEastWestGateway], remotePort: 15443 },
  });
  ledger.allowFrom(orders, { methods: ['POST'], paths: ['/entries'] });

  const spire = new SpireDeployment(identity, 'spire', {
    clusterName: 'cluster-a',
    federation: {
      bundleEndpoint: { allowedCidrs: [ADDRESSES.clusterBEgress] },
      federatesWith: [{
        trustDomain: 'cluster-b.example.org',
        bundleEndpointUrl: 'https://spire-federation.cluster-b.example.org:8443',
        endpointCidrs: [ADDRESSES.clusterBBundleEndpoint],
      }],
    },
  });
  spire.enableIstioIntegration(orders);
  return { app, orders, reports, ledger, spire };
}

/** cluster-b: the ledger, called by cluster-a's `orders` through this cluster's east-west gateway. */
export function clusterB(outdir?: string) {
  const { app, identity, workloads } = clusterApp(outdir, 'cluster-b.example.org');
  const ns = new ZeroTrustNamespace(workloads, 'ledger-namespace', { name: 'ledger' });
  const ledger = new MeshService(workloads, 'ledger', { namespace: ns, image: 'ghcr.io/acme/ledger:3.0.2', port: 8443 });
  const orders = new RemoteWorkload(workloads, 'orders', {
    spiffeId: 'spiffe://cluster-a.example.org/ns/shop/sa/orders',
    path: { gatewayNamespace: 'istio-system', gatewayPodLabels: { istio: 'eastwestgateway' } },
  });
  orders.mayCall(ledger, { methods: ['POST'], paths: ['/entries'] });

  const spire = new SpireDeployment(identity, 'spire', {
    clusterName: 'cluster-b',
    federation: {
      bundleEndpoint: { allowedCidrs: [ADDRESSES.clusterAEgress] },
      federatesWith: [{
        trustDomain: 'cluster-a.example.org',
        bundleEndpointUrl: 'https://spire-federation.cluster-a.example.org:8443',
        endpointCidrs: [ADDRESSES.clusterABundleEndpoint],
      }],
    },
  });
  spire.enableIstioIntegration(ledger);
  return { app, ledger, orders, spire };
}
