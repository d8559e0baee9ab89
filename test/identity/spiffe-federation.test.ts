import { Chart, Duration, Testing } from 'cdk8s';
import { BundleEndpointProfileType, IntentGraph, MeshService, RemoteWorkload, SpireDeployment, ZeroTrustNamespace } from '../../src';
import { IANA_NON_PUBLIC_IPV4 } from '../support/iana-ranges';
import { find, ofKind, synthValid } from '../support/synth';

function setup(federation?: any) {
  const app = Testing.app();
  new IntentGraph(app, 'IntentGraph', { trustDomain: 'a.example.org' });
  const chart = new Chart(app, 'c');
  const shop = new ZeroTrustNamespace(chart, 'shop');
  const orders = new MeshService(chart, 'orders', { namespace: shop, image: 'ghcr.io/acme/orders:1', port: 8080 });
  const spire = new SpireDeployment(chart, 'spire', { clusterName: 'a', federation });
  return { app, chart, orders, spire };
}
const B = { trustDomain: 'b.example.org', bundleEndpointUrl: 'https://spire.b.example.org:8443' };

describe('SpireDeployment federation', () => {
  test('federateWith is idempotent and returns the ClusterFederatedTrustDomain; without declared addresses the server reaches public addresses only', () => {
    const { chart, spire } = setup();
    const first = spire.federateWith(B);
    expect(spire.federateWith({ ...B })).toBe(first);
    spire.federateWith({ trustDomain: 'web.example.net', bundleEndpointUrl: 'https://bundle.example.net/td', profile: BundleEndpointProfileType.HTTPS_WEB, trustDomainBundle: '{"keys":[]}' });
    expect(spire.federatedTrustDomains).toEqual(['b.example.org', 'web.example.net']);
    const manifests = synthValid(chart);
    expect(ofKind(manifests, 'ClusterFederatedTrustDomain').map(f => [f.metadata.name, f.spec])).toEqual([
      ['spire-server-spire-b.example.org', {
        className: 'spire-server-spire',
        trustDomain: 'b.example.org',
        bundleEndpointURL: B.bundleEndpointUrl,
        bundleEndpointProfile: { type: 'https_spiffe', endpointSPIFFEID: 'spiffe://b.example.org/spire/server' },
      }],
      ['spire-server-spire-web.example.net', {
        className: 'spire-server-spire',
        trustDomain: 'web.example.net',
        bundleEndpointURL: 'https://bundle.example.net/td',
        bundleEndpointProfile: { type: 'https_web' },
        trustDomainBundle: '{"keys":[]}',
      }],
    ]);
    const publicOnly = { ipBlock: { cidr: '0.0.0.0/0', except: IANA_NON_PUBLIC_IPV4 } };
    expect(find(manifests, 'NetworkPolicy', 'spire-server-federation').spec.egress).toEqual([
      { to: [publicOnly], ports: [{ protocol: 'TCP', port: 8443 }] },
      { to: [publicOnly], ports: [{ protocol: 'TCP', port: 443 }] },
    ]);
    // no bundle endpoint published unless asked for
    expect(manifests.filter(m => m.metadata.name === 'spire-server-federation' && m.kind === 'Service')).toEqual([]);
    expect(JSON.parse(find(manifests, 'ConfigMap', 'spire-server').data['server.conf']).server.federation).toBeUndefined();
  });

  test('without federation, the agent keeps the single-trust-domain SDS names and registrations list no federatesWith', () => {
    const { chart } = setup();
    const manifests = synthValid(chart);
    expect(JSON.parse(find(manifests, 'ConfigMap', 'spire-agent').data['agent.conf']).agent.sds)
      .toEqual({ default_svid_name: 'default', default_bundle_name: 'ROOTCA', default_all_bundles_name: 'ALL' });
    expect(find(manifests, 'ClusterSPIFFEID', 'spire-server-spire-mesh-workloads').spec.federatesWith).toBeUndefined();
  });

  test('a remote call needs the federation and the SPIRE integration of the local workload (synth-time errors)', () => {
    const { chart, orders } = setup();
    const ledger = new RemoteWorkload(chart, 'ledger', { spiffeId: 'spiffe://b.example.org/ns/ledger/sa/ledger', ports: [{ port: 8443 }], path: { remoteCidrs: ['198.51.100.20/32'] } });
    ledger.allowFrom(orders);
    expect(() => Testing.synth(chart)).toThrow(/invalid federation "b.example.org": shop\/orders -> spiffe:\/\/b.example.org\/ns\/ledger\/sa\/ledger:8443 crosses into trust domain b.example.org, which this SPIRE deployment does not federate with/);
    expect(() => Testing.synth(chart)).toThrow(/invalid spireIntegration "c\/orders": .* call enableIstioIntegration\(\) for this workload/);
  });

  describe('bad input', () => {
    test.each([
      [{ ...B, trustDomain: 'B.Example.org' }, /invalid federation.trustDomain "B.Example.org": must be a SPIFFE trust domain/],
      [{ ...B, trustDomain: 'a.example.org' }, /invalid federation.trustDomain "a.example.org": is this SPIRE server's own trust domain/],
      [{ ...B, bundleEndpointUrl: 'http://spire.b.example.org:8443' }, /invalid federation.bundleEndpointUrl "http:\/\/spire.b.example.org:8443": must be an https:\/\/ URL/],
      [{ ...B, bundleEndpointUrl: 'https://user:pw@spire.b.example.org' }, /invalid federation.bundleEndpointUrl .*: must be an https:\/\/ URL .* no user info/],
      [{ ...B, bundleEndpointUrl: 'https://spire.b.example.org/?x=1' }, /invalid federation.bundleEndpointUrl/],
      [{ ...B, bundleEndpointUrl: 'https://*.b.example.org' }, /invalid federation.bundleEndpointUrl/],
      [{ ...B, bundleEndpointUrl: 'https://spire.b.example.org:70000' }, /invalid federation.bundleEndpointUrl .*; the port must be between 1 and 65535/],
      [{ ...B, endpointSpiffeId: 'spiffe://c.example.org/spire/server' }, /invalid federation.endpointSpiffeId .*: must be in trust domain b.example.org/],
      [{ ...B, endpointSpiffeId: 'spiffe://b.example.org/' }, /invalid federation.endpointSpiffeId .*: must be a SPIFFE ID/],
      [{ ...B, profile: BundleEndpointProfileType.HTTPS_WEB, endpointSpiffeId: 'spiffe://b.example.org/x' }, /invalid federation.endpointSpiffeId .*: is only used by the https_spiffe profile/],
      [{ ...B, trustDomainBundle: 'not json' }, /invalid federation.trustDomainBundle "\(bundle\)": must be a SPIFFE bundle/],
      [{ ...B, trustDomainBundle: '{"keys":[{"kty":"EC","d":"secret"}]}' }, /invalid federation.trustDomainBundle "\(bundle\)": contains private key material/],
      [{ ...B, endpointCidrs: ['0.0.0.0/0'] }, /invalid federation.endpointCidrs\[0\] "0.0.0.0\/0": must be an IPv4 or IPv6 CIDR .*\(never a catch-all such as 0.0.0.0\/0 or ::\/0\)/],
      [{ ...B, endpointCidrs: ['198.51.100.1/24'] }, /invalid federation.endpointCidrs\[0\] "198.51.100.1\/24": must be an IPv4 or IPv6 CIDR with no host bits set.*it has host bits set/],
    ])('throws on the bad relationship %#', (options, message) => {
      const { spire } = setup();
      expect(() => spire.federateWith(options as any)).toThrow(new RegExp(`^\\[c/spire\\] ${message.source}`));
    });
    test('throws when the same trust domain is declared twice with other settings', () => {
      const { spire } = setup();
      spire.federateWith(B);
      expect(() => spire.federateWith({ ...B, bundleEndpointUrl: 'https://other.b.example.org' })).toThrow(/federates with b.example.org already, with other settings/);
    });
    test.each([
      [{ bundleEndpoint: { allowedCidrs: [] } }, /invalid federation.bundleEndpoint.allowedCidrs \[\]: must be a non-empty array of CIDR strings/],
      [{ bundleEndpoint: { allowedCidrs: ['::/0'] } }, /invalid federation.bundleEndpoint.allowedCidrs\[0\] "::\/0"/],
      [{ bundleEndpoint: { allowedCidrs: ['192.0.2.1/32'], port: 8081 } }, /invalid federation.bundleEndpoint.port 8081: is used by the SPIRE server pod/],
      [{ bundleEndpoint: { allowedCidrs: ['192.0.2.1/32'], refreshHint: Duration.seconds(10) } }, /invalid federation.bundleEndpoint.refreshHint "10s": must be between 1m and 24h/],
      [{ federatesWith: 'b.example.org' }, /invalid federation.federatesWith "b.example.org": must be an array of FederatedTrustDomainOptions objects or undefined, got string/],
    ])('throws on the bad bundle endpoint or list %#', (federation, message) => {
      expect(() => setup(federation)).toThrow(message);
    });
  });
});
