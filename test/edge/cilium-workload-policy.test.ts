import { ApiObject, Chart, JsonPatch, Testing } from 'cdk8s';
import { CiliumWorkloadPolicy, HttpEnforcement, MeshService, ZeroTrustNamespace } from '../../src';
import { Cluster } from '../support/reachability';
import { find, ofKind, synthValid } from '../support/synth';

function setup() {
  const app = Testing.app();
  const chart = new Chart(app, 'cilium-test');
  const production = new ZeroTrustNamespace(chart, 'production');
  const payments = new MeshService(chart, 'payment-service', { namespace: production, image: 'ghcr.io/acme/payments:1.0.0', port: 8080 });
  const orders = new MeshService(chart, 'order-service', { namespace: production, image: 'ghcr.io/acme/orders:1.0.0', port: 8080 });
  return { app, chart, production, payments, orders };
}

const DNS_RULE = {
  toEndpoints: [{ matchLabels: { 'k8s:io.kubernetes.pod.namespace': 'kube-system', 'k8s:k8s-app': 'kube-dns' } }],
  toPorts: [{ ports: [{ port: '53', protocol: 'UDP' }, { port: '53', protocol: 'TCP' }], rules: { dns: [{ matchPattern: '*' }] } }],
};

describe('CiliumWorkloadPolicy', () => {
  test('snapshot', () => {
    const { chart, payments } = setup();
    payments.allowEgressTo('api.stripe.com');
    new CiliumWorkloadPolicy(chart, 'payments-cilium', { workload: payments });
    expect(ofKind(synthValid(chart), 'CiliumNetworkPolicy')).toMatchSnapshot();
  });

  test('toFQDNs per declared host and port, always with the DNS-proxy rule toward cluster DNS', () => {
    const { chart, payments } = setup();
    payments.allowEgressTo('api.stripe.com');
    payments.allowEgressTo('api.stripe.com', { port: 8443 });
    payments.allowEgressTo('hooks.slack.com');
    new CiliumWorkloadPolicy(chart, 'payments-cilium', { workload: payments });
    const policy = find(synthValid(chart), 'CiliumNetworkPolicy', 'payment-service-egress', 'production');
    expect(policy.apiVersion).toBe('cilium.io/v2');
    expect(policy.spec.endpointSelector).toEqual({ matchLabels: { 'app.kubernetes.io/name': 'payment-service' } });
    expect(policy.spec.egress).toEqual([
      DNS_RULE,
      { toFQDNs: [{ matchName: 'api.stripe.com' }], toPorts: [{ ports: [{ port: '443', protocol: 'TCP' }, { port: '8443', protocol: 'TCP' }] }] },
      { toFQDNs: [{ matchName: 'hooks.slack.com' }], toPorts: [{ ports: [{ port: '443', protocol: 'TCP' }] }] },
    ]);
  });

  test('custom DNS location', () => {
    const { chart, payments } = setup();
    payments.allowEgressTo('api.stripe.com');
    new CiliumWorkloadPolicy(chart, 'p', { workload: payments, dns: { namespace: 'dns', podLabels: { app: 'coredns' } } });
    const policy = find(synthValid(chart), 'CiliumNetworkPolicy', 'payment-service-egress');
    expect(policy.spec.egress[0].toEndpoints).toEqual([{ matchLabels: { 'k8s:io.kubernetes.pod.namespace': 'dns', 'k8s:app': 'coredns' } }]);
  });

  test.each([['before', true], ['after', false]])('replaces the ipBlock NetworkPolicy (Cilium ORs policies) when created %s allowEgressTo()', (_when, first) => {
    const { chart, payments } = setup();
    if (first) new CiliumWorkloadPolicy(chart, 'p', { workload: payments });
    payments.allowEgressTo('api.stripe.com');
    if (!first) new CiliumWorkloadPolicy(chart, 'p', { workload: payments });
    const manifests = synthValid(chart);
    expect(manifests.filter(m => m.metadata.name === 'payment-service-external-egress')).toHaveLength(0);
    // the mesh layer is unchanged
    expect(find(manifests, 'ServiceEntry', 'api.stripe.com').spec.hosts).toEqual(['api.stripe.com']);
    expect(find(manifests, 'Sidecar', 'payment-service').spec.outboundTrafficPolicy).toEqual({ mode: 'REGISTRY_ONLY' });
  });

  test('evaluated: the declared name is reachable only with the DNS rule in place', () => {
    const { chart, payments } = setup();
    payments.allowEgressTo('api.stripe.com');
    const cnp = new CiliumWorkloadPolicy(chart, 'p', { workload: payments });
    let c = new Cluster(synthValid(chart));
    const pay = c.pod('production', 'payment-service');
    expect(c.ciliumAllowsFqdn(pay, 'api.stripe.com', 443)).toBe(true);
    expect(c.ciliumAllowsFqdn(pay, 'api.stripe.com', 80)).toBe(false);
    expect(c.ciliumAllowsFqdn(pay, 'evil.example.com', 443)).toBe(false);
    expect(c.ciliumAllowsFqdn(c.pod('production', 'order-service'), 'api.stripe.com', 443)).toBe(false);
    // the trap: the same policy without the DNS rule never learns the name's addresses
    ApiObject.of(cnp.policy).addJsonPatch(JsonPatch.remove('/spec/egress/0'));
    c = new Cluster(Testing.synth(chart));
    expect(c.ciliumAllowsFqdn(pay, 'api.stripe.com', 443)).toBe(false);
  });

  test('Cilium HTTP enforcement on a workload under STRICT Istio mTLS is an error (one enforcement point per workload)', () => {
    const { chart, payments } = setup();
    expect(() => new CiliumWorkloadPolicy(chart, 'p', { workload: payments, httpEnforcement: HttpEnforcement.CILIUM }))
      .toThrow(/^\[cilium-test\/p\] invalid httpEnforcement "cilium": production\/payment-service runs in a ZeroTrustNamespace with STRICT Istio mTLS, and Cilium's L7 proxy cannot see HTTP inside mTLS .*; keep HttpEnforcement\.ISTIO/);
  });

  test('a policy without declared egress fails at synthesis', () => {
    const { app, chart, payments } = setup();
    new CiliumWorkloadPolicy(chart, 'p', { workload: payments });
    expect(() => app.synth()).toThrow(/\[cilium-test\/p\] production\/payment-service declares no external destination: call allowEgressTo\(\) on it/);
  });

  test('the workload must be in the intent graph', () => {
    const { chart } = setup();
    expect(() => new CiliumWorkloadPolicy(chart, 'p', { workload: chart as any })).toThrow(/^\[cilium-test\/p\] invalid workload "cilium-test": must be a workload of this app's intent graph/);
  });
});
