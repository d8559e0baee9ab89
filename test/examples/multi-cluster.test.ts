import * as fs from 'fs';
import { ApiObject, App, Testing } from 'cdk8s';
import { ADDRESSES, CLUSTER_A_ARN, clusterA, clusterB, REPORTS_ROLE_ARN } from '../../examples/multi-cluster/clusters';
import { OutputFile, ReferenceArchitecture, RemoteWorkload, Synthesis } from '../../src';
import { ClusterFederatedTrustDomain } from '../../src/imports/spire';
import { iamAllows } from '../support/iam';
import { Cluster, Pod } from '../support/reachability';
import { find, ofKind, synthAppValid } from '../support/synth';

function synth(build: (outdir?: string) => { app: App }) {
  const built = build(Testing.app().outdir);
  return { ...built, manifests: synthAppValid(built.app) };
}

function config(manifests: any[], name: string, key: string): any {
  return JSON.parse(find(manifests, 'ConfigMap', name).data[key]);
}

/** cluster-a's orders, as cluster-b's mesh sees it: its own trust domain, arriving through cluster-b's east-west gateway. */
const REMOTE_ORDERS: Pod = { namespace: 'shop', name: 'orders', labels: { 'app.kubernetes.io/name': 'orders' }, serviceAccount: 'orders', trustDomain: 'cluster-a.example.org' };
const EAST_WEST_GATEWAY: Pod = { namespace: 'istio-system', name: 'istio-eastwestgateway', labels: { istio: 'eastwestgateway' }, serviceAccount: 'istio-eastwestgateway' };
const INGRESS_GATEWAY: Pod = { namespace: 'istio-system', name: 'istio-ingressgateway', labels: { istio: 'ingressgateway' }, serviceAccount: 'istio-ingressgateway' };

describe('examples/multi-cluster', () => {
  test('both clusters synthesize and validate; one numbered file per layer each', () => {
    for (const build of [clusterA, clusterB]) {
      const { app, manifests } = synth(build);
      expect(manifests.length).toBeGreaterThan(40);
      Synthesis.synth(app);
      expect(fs.readdirSync(app.outdir).sort()).toEqual([
        '0000-namespaces.k8s.yaml', '0001-identity.k8s.yaml', '0002-network.k8s.yaml', '0003-edge.k8s.yaml', '0004-mesh.k8s.yaml', '0005-workloads.k8s.yaml',
      ]);
    }
  });

  test('the cross-cluster call: cluster-b admits exactly cluster-a\'s orders principal, through its east-west gateway only', () => {
    const { manifests } = synth(clusterB);
    const b = new Cluster(manifests, 'cluster-b.example.org');
    const ledger = b.pod('ledger', 'ledger');
    expect(find(manifests, 'AuthorizationPolicy', 'ledger', 'ledger').spec.rules).toEqual([{
      from: [{ source: { principals: ['cluster-a.example.org/ns/shop/sa/orders'] } }],
      to: [{ operation: { ports: ['8443'], methods: ['POST'], paths: ['/entries'] } }],
    }]);
    // identity (mesh): the remote principal, exactly the declared operation
    expect(b.meshAllows(REMOTE_ORDERS, ledger, { port: 8443, method: 'POST', path: '/entries' })).toBe(true);
    expect(b.meshAllows(REMOTE_ORDERS, ledger, { port: 8443, method: 'GET', path: '/entries' })).toBe(false);
    expect(b.meshAllows(REMOTE_ORDERS, ledger, { port: 8443, method: 'POST', path: '/admin' })).toBe(false);
    // the same namespace and ServiceAccount in another trust domain is another identity
    expect(b.meshAllows({ ...REMOTE_ORDERS, trustDomain: 'cluster-b.example.org' }, ledger, { port: 8443, method: 'POST', path: '/entries' })).toBe(false);
    expect(b.meshAllows({ ...REMOTE_ORDERS, trustDomain: 'evil.example.org' }, ledger, { port: 8443, method: 'POST', path: '/entries' })).toBe(false);
    // network: the east-west gateway's pods reach the ledger's port; no other pod, gateway or address does
    // istio-system is Istio's: no policy of this app isolates the gateway's egress
    expect(b.networkAllows(EAST_WEST_GATEWAY, ledger, 8443)).toBe(true);
    expect(b.networkPolicies.admits('Ingress', ledger, EAST_WEST_GATEWAY, 8443, 'TCP').allowed).toBe(true);
    expect(b.networkPolicies.admits('Ingress', ledger, EAST_WEST_GATEWAY, 15021, 'TCP').allowed).toBe(false);
    expect(b.networkPolicies.admits('Ingress', ledger, INGRESS_GATEWAY, 8443, 'TCP').allowed).toBe(false);
    expect(b.networkPolicies.admits('Ingress', ledger, { ...EAST_WEST_GATEWAY, namespace: 'ledger' }, 8443, 'TCP').allowed).toBe(false);
    expect(b.networkAllowsFromIp('192.0.2.100', ledger, 8443)).toBe(false);
  });

  test('the cross-cluster call: cluster-a lets orders reach cluster-b\'s east-west gateway address on 15443, and nothing else outside', () => {
    const { app, manifests } = synth(clusterA);
    const a = new Cluster(manifests, 'cluster-a.example.org');
    const orders = a.pod('shop', 'orders');
    expect(a.networkAllowsToIp(orders, '198.51.100.20', 15443)).toBe(true);
    expect(a.networkAllowsToIp(orders, '198.51.100.20', 8443)).toBe(false);
    expect(a.networkAllowsToIp(orders, '198.51.100.21', 15443)).toBe(false);
    expect(a.networkAllowsToIp(orders, '10.0.0.1', 15443)).toBe(false);
    expect(ADDRESSES.clusterBEastWestGateway).toBe('198.51.100.20/32');
    // the local call keeps its own principal and operation
    const reports = a.pod('shop', 'reports');
    expect(a.allows(orders, reports, { port: 8080, method: 'GET', path: '/reports/2026-12-01' })).toBe(true);
    expect(a.allows(orders, reports, { port: 8080, method: 'DELETE', path: '/reports/2026-12-01' })).toBe(false);
    expect(RemoteWorkload.callsOf(app).map(c => c.key)).toEqual([
      'shop/orders -> spiffe://cluster-b.example.org/ns/ledger/sa/ledger:8443 POST /entries',
    ]);
  });

  test('federation objects: each SPIRE server publishes its bundle endpoint and federates with the other trust domain', () => {
    for (const [build, local, remote, peerEgress, remoteEndpoint] of [
      [clusterA, 'cluster-a.example.org', 'cluster-b.example.org', ADDRESSES.clusterBEgress, ADDRESSES.clusterBBundleEndpoint],
      [clusterB, 'cluster-b.example.org', 'cluster-a.example.org', ADDRESSES.clusterAEgress, ADDRESSES.clusterABundleEndpoint],
    ] as const) {
      const { manifests } = synth(build);
      const ftds = ofKind(manifests, 'ClusterFederatedTrustDomain');
      expect(ftds.map(f => f.spec)).toEqual([{
        className: 'spire-server-spire',
        trustDomain: remote,
        bundleEndpointURL: `https://spire-federation.${remote}:8443`,
        bundleEndpointProfile: { type: 'https_spiffe', endpointSPIFFEID: `spiffe://${remote}/spire/server` },
      }]);
      expect(ftds[0].metadata.namespace).toBeUndefined();
      // the server publishes the bundle with the https_spiffe profile on 8443, behind a Service and a NetworkPolicy for the peer only
      const server = config(manifests, 'spire-server', 'server.conf');
      expect(server.server.trust_domain).toBe(local);
      expect(server.server.federation).toEqual({ bundle_endpoint: { address: '0.0.0.0', port: 8443, refresh_hint: '5m', profile: { https_spiffe: {} } } });
      expect(find(manifests, 'Service', 'spire-server-federation', 'spire-server').spec.ports)
        .toEqual([{ name: 'federation', port: 8443, targetPort: 'federation', protocol: 'TCP' }]);
      expect(find(manifests, 'StatefulSet', 'spire-server').spec.template.spec.containers[0].ports)
        .toContainEqual({ name: 'federation', containerPort: 8443, protocol: 'TCP' });
      expect(find(manifests, 'NetworkPolicy', 'spire-server-bundle-endpoint', 'spire-server').spec.ingress)
        .toEqual([{ from: [{ ipBlock: { cidr: peerEgress } }], ports: [{ protocol: 'TCP', port: 8443 }] }]);
      // the server fetches the peer's bundle from its declared address only
      expect(find(manifests, 'NetworkPolicy', 'spire-server-federation', 'spire-server').spec.egress)
        .toEqual([{ to: [{ ipBlock: { cidr: remoteEndpoint } }], ports: [{ protocol: 'TCP', port: 8443 }] }]);
      // registrations carry the federated trust domain; Envoy gets every bundle as ROOTCA
      expect(find(manifests, 'ClusterSPIFFEID', 'spire-server-spire-mesh-workloads').spec.federatesWith).toEqual([remote]);
      expect(config(manifests, 'spire-agent', 'agent.conf').agent.sds)
        .toEqual({ default_svid_name: 'default', default_bundle_name: 'null', default_all_bundles_name: 'ROOTCA' });
    }
  });

  test('exact cloud permissions: reports reads s3://acme-reports/daily/ through EKS Pod Identity, nothing more', () => {
    const { app } = synth(clusterA);
    const files = Object.fromEntries(OutputFile.of(app).map(f => [f.relativePath, f.renderContents()]));
    expect(Object.keys(files)).toEqual([
      'aws/eks/shop-reports.pod-identity-association.json',
      'aws/iam/shop-reports.permissions-policy.json',
      'aws/iam/shop-reports.trust-policy.json',
      'istio/spire-integration.values.yaml',
    ]);
    expect(JSON.parse(files['aws/eks/shop-reports.pod-identity-association.json'])).toEqual({
      clusterName: 'cluster-a', namespace: 'shop', serviceAccount: 'reports', roleArn: REPORTS_ROLE_ARN, disableSessionTags: false,
    });
    const trust = JSON.parse(files['aws/iam/shop-reports.trust-policy.json']);
    expect(trust.Statement[0].Principal).toEqual({ Service: 'pods.eks.amazonaws.com' });
    expect(trust.Statement[0].Condition.StringEquals).toEqual({
      'aws:RequestTag/eks-cluster-arn': CLUSTER_A_ARN,
      'aws:RequestTag/kubernetes-namespace': 'shop',
      'aws:RequestTag/kubernetes-service-account': 'reports',
    });
    const policy = JSON.parse(files['aws/iam/shop-reports.permissions-policy.json']);
    expect(policy).toEqual({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::acme-reports/daily/*'] },
        { Effect: 'Allow', Action: ['s3:ListBucket'], Resource: ['arn:aws:s3:::acme-reports'], Condition: { StringLike: { 's3:prefix': ['daily/*'] } } },
      ],
    });
    expect(iamAllows(policy, { action: 's3:GetObject', resource: 'arn:aws:s3:::acme-reports/daily/2026-12-01.csv' })).toBe(true);
    expect(iamAllows(policy, { action: 's3:GetObject', resource: 'arn:aws:s3:::acme-reports/finance/2026.csv' })).toBe(false);
    expect(iamAllows(policy, { action: 's3:PutObject', resource: 'arn:aws:s3:::acme-reports/daily/x.csv' })).toBe(false);
    // orders has no cloud identity at all
    expect(Object.keys(files).some(f => f.includes('orders'))).toBe(false);
  });

  test('the reference architecture stays single-cluster', () => {
    const app = Testing.app();
    const ref = new ReferenceArchitecture(app, 'zero-trust');
    expect(ref.spire.federatedTrustDomains).toEqual([]);
    expect(RemoteWorkload.of(app)).toEqual([]);
    expect(RemoteWorkload.callsOf(app)).toEqual([]);
    const federations = (scope: App) => scope.node.findAll().filter(c => ApiObject.isApiObject(c) && c.kind === ClusterFederatedTrustDomain.GVK.kind);
    expect(federations(app)).toEqual([]);
    expect(federations(clusterA().app)).toHaveLength(1);
  });
});
