import { ApiObject, Chart, JsonPatch, Testing } from 'cdk8s';
import { AccessProxy, AppProtocol, CiliumWorkloadPolicy, HttpEnforcement, IntentGraph, MeshMode, MeshService, Rollout, ZeroTrustNamespace } from '../../src';
import { appManifests } from '../../src/evidence/_effect';
import { IANA_NON_PUBLIC_IPV4, IANA_NON_PUBLIC_IPV6, NON_PUBLIC_SAMPLES, PUBLIC_SAMPLES } from '../support/iana-ranges';
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
    const policy = find(synthValid(chart), 'CiliumNetworkPolicy', 'payment-service-cilium', 'production');
    expect(policy.apiVersion).toBe('cilium.io/v2');
    expect(policy.spec.endpointSelector).toEqual({ matchLabels: { 'app.kubernetes.io/name': 'payment-service' } });
    expect(policy.spec.egress).toEqual([
      DNS_RULE,
      { toFQDNs: [{ matchName: 'api.stripe.com' }], toPorts: [{ ports: [{ port: '443', protocol: 'TCP' }, { port: '8443', protocol: 'TCP' }] }] },
      { toFQDNs: [{ matchName: 'hooks.slack.com' }], toPorts: [{ ports: [{ port: '443', protocol: 'TCP' }] }] },
    ]);
  });

  test('FQDN egress always comes with a deny of non-public ranges: a public name resolving to the metadata endpoint or a private address is denied', () => {
    const { chart, payments } = setup();
    payments.allowEgressTo('api.stripe.com');
    new CiliumWorkloadPolicy(chart, 'payments-cilium', { workload: payments });
    const manifests = synthValid(chart);
    const policy = find(manifests, 'CiliumNetworkPolicy', 'payment-service-cilium', 'production');
    expect(policy.spec.egressDeny).toEqual([{
      toCIDRSet: [...IANA_NON_PUBLIC_IPV4, ...IANA_NON_PUBLIC_IPV6].map(cidr => ({ cidr })),
    }]);
    const c = new Cluster(manifests);
    const pod = c.pod('production', 'payment-service');
    // e.g. api.stripe.com answered (or rebound) with these
    for (const address of NON_PUBLIC_SAMPLES) {
      expect([address, c.ciliumAllowsFqdn(pod, 'api.stripe.com', 443, address)]).toEqual([address, false]);
    }
    for (const address of PUBLIC_SAMPLES) {
      expect([address, c.ciliumAllowsFqdn(pod, 'api.stripe.com', 443, address)]).toEqual([address, true]);
    }
  });

  test('custom DNS location', () => {
    const { chart, payments } = setup();
    payments.allowEgressTo('api.stripe.com');
    new CiliumWorkloadPolicy(chart, 'p', { workload: payments, dns: { namespace: 'dns', podLabels: { app: 'coredns' } } });
    const policy = find(synthValid(chart), 'CiliumNetworkPolicy', 'payment-service-cilium');
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
    // the effect check fails the synthesis
    expect(() => Testing.synth(chart)).toThrow(/effect differs from intent \(egress-denied\): declared egress production\/payment-service -> api.stripe.com:443 is blocked/);
    c = new Cluster(appManifests(chart));
    expect(c.ciliumAllowsFqdn(pay, 'api.stripe.com', 443)).toBe(false);
  });

  describe('HttpEnforcement.CILIUM: Cilium authorizes the requests, Istio steps aside for this workload', () => {
    function ciliumHttp() {
      const s = setup();
      const web = new ZeroTrustNamespace(s.chart, 'web');
      const frontend = new MeshService(s.chart, 'frontend', { namespace: web, image: 'ghcr.io/acme/frontend:1', port: 8080 });
      s.payments.allowFrom(s.orders, { methods: ['POST'], paths: ['/api/v1/charge', '/api/v1/refunds/{*}'] });
      s.payments.allowFrom(frontend, { methods: ['GET'], paths: ['/status'] });
      const policy = new CiliumWorkloadPolicy(s.chart, 'p', { workload: s.payments, httpEnforcement: HttpEnforcement.CILIUM });
      return { ...s, frontend, policy };
    }

    test('snapshot', () => {
      const { chart } = ciliumHttp();
      expect(synthValid(chart).filter(m => m.metadata.labels?.['app.kubernetes.io/name'] === 'payment-service' && m.kind !== 'Deployment')).toMatchSnapshot();
    });

    test('ingress rules from the edges: callers by endpoint labels, methods and paths as HTTP rules', () => {
      const manifests = synthValid(ciliumHttp().chart);
      const policy = find(manifests, 'CiliumNetworkPolicy', 'payment-service-cilium', 'production');
      expect(policy.spec.ingress).toEqual([
        {
          fromEndpoints: [{ matchLabels: { 'k8s:io.kubernetes.pod.namespace': 'production', 'k8s:app.kubernetes.io/name': 'order-service' } }],
          toPorts: [{
            ports: [{ port: '8080', protocol: 'TCP' }],
            rules: { http: [{ method: 'POST', path: '/api/v1/charge' }, { method: 'POST', path: '/api/v1/refunds/[^/]+' }] },
          }],
        },
        {
          fromEndpoints: [{ matchLabels: { 'k8s:io.kubernetes.pod.namespace': 'web', 'k8s:app.kubernetes.io/name': 'frontend' } }],
          toPorts: [{ ports: [{ port: '8080', protocol: 'TCP' }], rules: { http: [{ method: 'GET', path: '/status' }] } }],
        },
      ]);
      expect(policy.spec.egress).toBeUndefined();
    });

    test('one enforcement point: mTLS DISABLE for the workload, Istio opens the ports only, no L4 ingress rule to widen Cilium\'s', () => {
      const manifests = synthValid(ciliumHttp().chart);
      expect(find(manifests, 'PeerAuthentication', 'payment-service-cilium-http', 'production').spec).toEqual({
        selector: { matchLabels: { 'app.kubernetes.io/name': 'payment-service' } }, mtls: { mode: 'DISABLE' },
      });
      expect(find(manifests, 'AuthorizationPolicy', 'payment-service', 'production').spec.rules).toEqual([{ to: [{ operation: { ports: ['8080'] } }] }]);
      expect(find(manifests, 'NetworkPolicy', 'payment-service-ingress', 'production').spec).toEqual({
        podSelector: { matchLabels: { 'app.kubernetes.io/name': 'payment-service' } }, policyTypes: ['Ingress'], ingress: [],
      });
      const c = new Cluster(manifests);
      expect(c.mtlsMode(c.pod('production', 'payment-service'))).toBe('DISABLE');
      expect(c.mtlsMode(c.pod('production', 'order-service'))).toBe('STRICT');
    });

    test('evaluated: Cilium admits exactly the declared callers, methods and paths', () => {
      const manifests = synthValid(ciliumHttp().chart);
      const c = new Cluster(manifests);
      const [pay, orders, frontend] = [c.pod('production', 'payment-service'), c.pod('production', 'order-service'), c.pod('web', 'frontend')];
      expect(c.ciliumAllowsHttp(orders, pay, { port: 8080, method: 'POST', path: '/api/v1/charge' })).toBe(true);
      expect(c.ciliumAllowsHttp(orders, pay, { port: 8080, method: 'POST', path: '/api/v1/refunds/42' })).toBe(true);
      expect(c.ciliumAllowsHttp(orders, pay, { port: 8080, method: 'POST', path: '/api/v1/refunds/42/x' })).toBe(false);
      expect(c.ciliumAllowsHttp(orders, pay, { port: 8080, method: 'GET', path: '/api/v1/charge' })).toBe(false);
      expect(c.ciliumAllowsHttp(orders, pay, { port: 8080, method: 'POST', path: '/api/v1/charge/extra' })).toBe(false);
      expect(c.ciliumAllowsHttp(frontend, pay, { port: 8080, method: 'GET', path: '/status' })).toBe(true);
      expect(c.ciliumAllowsHttp(frontend, pay, { port: 8080, method: 'POST', path: '/api/v1/charge' })).toBe(false);
      expect(c.ciliumAllowsHttp(pay, orders, { port: 8080, method: 'GET', path: '/' })).toBe(true); // order-service is not Cilium-enforced
      // the same requests through Istio: ports only, whoever calls
      expect(c.meshAllows(frontend, pay, { port: 8080, method: 'POST', path: '/api/v1/charge' })).toBe(true);
      expect(c.meshAllows(frontend, pay, { port: 9090 })).toBe(false);
    });

    test('required headers become Cilium headerMatches', () => {
      const s = setup();
      s.payments.allowFrom(s.orders, { methods: ['POST'], paths: ['/api/v1/charge'], requireHeaders: { 'x-api-version': 'v1' } });
      new CiliumWorkloadPolicy(s.chart, 'p', { workload: s.payments, httpEnforcement: HttpEnforcement.CILIUM });
      const manifests = synthValid(s.chart);
      expect(find(manifests, 'CiliumNetworkPolicy', 'payment-service-cilium').spec.ingress[0].toPorts[0].rules).toEqual({
        http: [{ method: 'POST', path: '/api/v1/charge', headerMatches: [{ name: 'x-api-version', value: 'v1' }] }],
      });
      const c = new Cluster(manifests);
      const [pay, orders] = [c.pod('production', 'payment-service'), c.pod('production', 'order-service')];
      expect(c.ciliumAllowsHttp(orders, pay, { port: 8080, method: 'POST', path: '/api/v1/charge', headers: { 'x-api-version': 'v1' } })).toBe(true);
      expect(c.ciliumAllowsHttp(orders, pay, { port: 8080, method: 'POST', path: '/api/v1/charge', headers: { 'x-api-version': 'v2' } })).toBe(false);
      expect(c.ciliumAllowsHttp(orders, pay, { port: 8080, method: 'POST', path: '/api/v1/charge' })).toBe(false);
    });

    test('in an ambient namespace it is an error', () => {
      const app = Testing.app();
      const chart = new Chart(app, 'c');
      const ns = new ZeroTrustNamespace(chart, 'amb', { meshMode: MeshMode.AMBIENT });
      const svc = new MeshService(chart, 'svc', { namespace: ns, image: 'ghcr.io/a/s:1', port: 8080 });
      expect(() => new CiliumWorkloadPolicy(chart, 'p', { workload: svc, httpEnforcement: HttpEnforcement.CILIUM }))
        .toThrow('[c/p] invalid httpEnforcement "cilium": amb/svc is in an ambient namespace, where ztunnel always tunnels traffic in mTLS (HBONE) and Cilium\'s L7 proxy cannot see HTTP; '
          + 'keep HttpEnforcement.ISTIO (with a waypoint for L7), or use a sidecar-mode namespace');
    });

    test('behind an access proxy (end-user tokens) it is an error at synthesis', () => {
      const { app, chart, payments } = setup();
      const edge = new ZeroTrustNamespace(chart, 'edge');
      const proxy = new AccessProxy(chart, 'proxy', {
        namespace: edge,
        hostnames: ['pay.example.com'],
        tlsSecretName: 'tls',
        jwt: { issuer: 'https://login.example.com', jwksUri: 'https://login.example.com/jwks', audiences: ['pay'] },
      });
      new CiliumWorkloadPolicy(chart, 'p', { workload: payments, httpEnforcement: HttpEnforcement.CILIUM });
      payments.allowFrom(proxy, { methods: ['GET'], paths: ['/'] });
      expect(() => app.synth()).toThrow('[cilium-test/p] invalid httpEnforcement "cilium": edge/proxy calls production/payment-service with an end-user token, which only Istio verifies '
        + '(RequestAuthentication and the gateway\'s mTLS identity); keep HttpEnforcement.ISTIO for workloads behind an AccessProxy');
    });

    test('one policy per workload', () => {
      const { chart, payments } = setup();
      new CiliumWorkloadPolicy(chart, 'a', { workload: payments, httpEnforcement: HttpEnforcement.CILIUM });
      expect(() => new CiliumWorkloadPolicy(chart, 'b', { workload: payments }))
        .toThrow('[cilium-test/b] invalid workload "production/payment-service": cilium-test/a already defines the Cilium policy of this workload; define one CiliumWorkloadPolicy per workload');
    });
  });

  test('metadata and description name the workload; CILIUM adds the requests to the description', () => {
    const { chart, payments, orders } = setup();
    payments.allowEgressTo('api.stripe.com');
    orders.allowEgressTo('api.stripe.com');
    const istioPolicy = new CiliumWorkloadPolicy(chart, 'p', { workload: payments });
    new CiliumWorkloadPolicy(chart, 'o', { workload: orders, httpEnforcement: HttpEnforcement.CILIUM });
    const manifests = synthValid(chart);
    // ISTIO keeps the namespace's STRICT mTLS: no plaintext PeerAuthentication for payments
    expect(istioPolicy.peerAuthentication).toBeUndefined();
    expect(ofKind(manifests, 'PeerAuthentication').map(m => m.metadata.name)).toEqual(['default', 'order-service-cilium-http']);
    const labels = (name: string) => ({ 'app.kubernetes.io/managed-by': 'cdk8s-zero-trust', 'app.kubernetes.io/name': name });
    const p = find(manifests, 'CiliumNetworkPolicy', 'payment-service-cilium', 'production');
    expect(p.metadata.labels).toEqual(labels('payment-service'));
    expect(p.spec.description).toBe('external egress of production/payment-service, from the intent graph');
    expect(p.spec.ingress).toBeUndefined();
    const o = find(manifests, 'CiliumNetworkPolicy', 'order-service-cilium', 'production');
    expect(o.metadata.labels).toEqual(labels('order-service'));
    expect(o.spec.description).toBe('requests to and external egress of production/order-service, from the intent graph');
    // no callers: Cilium admits nothing
    expect(o.spec.ingress).toEqual([]);
    expect(find(manifests, 'PeerAuthentication', 'order-service-cilium-http', 'production').metadata.labels).toEqual(labels('order-service'));
  });

  test('HttpEnforcement.CILIUM without external destinations: ingress only, no DNS rule, no egressDeny', () => {
    const { chart, payments, orders } = setup();
    payments.allowFrom(orders, { methods: ['GET'] });
    new CiliumWorkloadPolicy(chart, 'p', { workload: payments, httpEnforcement: HttpEnforcement.CILIUM });
    expect(Object.keys(find(synthValid(chart), 'CiliumNetworkPolicy', 'payment-service-cilium').spec).sort()).toEqual(['description', 'endpointSelector', 'ingress']);
  });

  test('HttpEnforcement.CILIUM rule shapes: methods only, paths only, TCP ports without HTTP rules', () => {
    const chart = new Chart(Testing.app(), 'c');
    const ns = new ZeroTrustNamespace(chart, 'shop');
    const api = new MeshService(chart, 'api', { namespace: ns, image: 'ghcr.io/a/api:1', ports: [{ port: 8080 }, { port: 8081 }, { port: 6379, protocol: AppProtocol.TCP }] });
    const [a, b, c] = ['a', 'b', 'c'].map(n => new MeshService(chart, n, { namespace: ns, image: 'ghcr.io/a/x:1', port: 8080 }));
    api.allowFrom(a, { methods: ['GET', 'HEAD'], ports: [8080, 8081] });
    api.allowFrom(b, { paths: ['/health', '/api/*'], ports: [8081] });
    api.allowFrom(c, { ports: [6379] });
    new CiliumWorkloadPolicy(chart, 'p', { workload: api, httpEnforcement: HttpEnforcement.CILIUM });
    const ingress = find(synthValid(chart), 'CiliumNetworkPolicy', 'api-cilium').spec.ingress;
    const from = (n: string) => [{ matchLabels: { 'k8s:io.kubernetes.pod.namespace': 'shop', 'k8s:app.kubernetes.io/name': n } }];
    expect(ingress).toEqual([
      { fromEndpoints: from('a'), toPorts: [{ ports: [{ port: '8080', protocol: 'TCP' }, { port: '8081', protocol: 'TCP' }], rules: { http: [{ method: 'GET' }, { method: 'HEAD' }] } }] },
      { fromEndpoints: from('b'), toPorts: [{ ports: [{ port: '8081', protocol: 'TCP' }], rules: { http: [{ path: '/api/.*' }, { path: '/health' }] } }] },
      { fromEndpoints: from('c'), toPorts: [{ ports: [{ port: '6379', protocol: 'TCP' }] }] },
    ]);
  });

  test('layer scopes: the CiliumNetworkPolicy in the edge scope, the plaintext PeerAuthentication in the mesh scope, per namespace', () => {
    const app = Testing.app();
    const [edge, mesh] = ['edge', 'mesh'].map(id => new Chart(app, id));
    new IntentGraph(app, 'IntentGraph', { layers: { edge, mesh } });
    const chart = new Chart(app, 'apps');
    for (const n of ['a', 'b']) {
      const api = new MeshService(chart, `api-${n}`, { namespace: new ZeroTrustNamespace(chart, n), name: 'api', image: 'ghcr.io/a/api:1', port: 8080 });
      api.allowEgressTo('api.stripe.com');
      new CiliumWorkloadPolicy(chart, `cilium-${n}`, { workload: api, httpEnforcement: HttpEnforcement.CILIUM });
    }
    const placed = (c: Chart, kind: string) => Testing.synth(c).filter(m => m.kind === kind).map(m => `${m.metadata.namespace}/${m.metadata.name}`).sort();
    expect(placed(edge, 'CiliumNetworkPolicy')).toEqual(['a/api-cilium', 'b/api-cilium']);
    expect(placed(mesh, 'PeerAuthentication').filter(n => n.endsWith('-cilium-http'))).toEqual(['a/api-cilium-http', 'b/api-cilium-http']);
    expect(placed(chart, 'CiliumNetworkPolicy')).toEqual([]);
  });

  test('HttpEnforcement.CILIUM in Rollout.AUDIT, or with an ambient caller, fails at synthesis naming the fix', () => {
    const audited = setup();
    const auditNs = new ZeroTrustNamespace(audited.chart, 'audit', { rollout: Rollout.AUDIT });
    const svc = new MeshService(audited.chart, 'svc', { namespace: auditNs, image: 'ghcr.io/a/s:1', port: 8080 });
    svc.allowFrom(audited.orders, { methods: ['GET'] });
    new CiliumWorkloadPolicy(audited.chart, 'p', { workload: svc, httpEnforcement: HttpEnforcement.CILIUM });
    expect(() => audited.app.synth()).toThrow('[cilium-test/p] invalid httpEnforcement "cilium": audit/svc is in Rollout.AUDIT, but a CiliumNetworkPolicy has no dry run '
      + '(only the agent-wide policy-audit-mode), so its HTTP rules would deny; keep HttpEnforcement.ISTIO while auditing, or enforce this workload');

    const ambient = setup();
    const amb = new ZeroTrustNamespace(ambient.chart, 'amb', { meshMode: MeshMode.AMBIENT });
    const caller = new MeshService(ambient.chart, 'caller', { namespace: amb, image: 'ghcr.io/a/s:1', port: 8080 });
    ambient.payments.allowFrom(caller);
    new CiliumWorkloadPolicy(ambient.chart, 'p', { workload: ambient.payments, httpEnforcement: HttpEnforcement.CILIUM });
    expect(() => ambient.app.synth()).toThrow('[cilium-test/p] invalid httpEnforcement "cilium": amb/caller is in an ambient namespace, whose ztunnel tunnels its calls to '
      + 'production/payment-service in mTLS (HBONE), where Cilium\'s L7 proxy cannot see HTTP; keep HttpEnforcement.ISTIO for workloads with ambient callers');
  });

  test('HttpEnforcement.ISTIO has none of those conflicts: Rollout.AUDIT and an ambient caller are fine', () => {
    const s = setup();
    const auditNs = new ZeroTrustNamespace(s.chart, 'audit', { rollout: Rollout.AUDIT });
    const svc = new MeshService(s.chart, 'svc', { namespace: auditNs, image: 'ghcr.io/a/s:1', port: 8080 });
    const amb = new ZeroTrustNamespace(s.chart, 'amb', { meshMode: MeshMode.AMBIENT });
    svc.allowFrom(new MeshService(s.chart, 'caller', { namespace: amb, image: 'ghcr.io/a/s:1', port: 8080 }));
    svc.allowEgressTo('api.stripe.com');
    new CiliumWorkloadPolicy(s.chart, 'p', { workload: svc });
    expect(find(synthValid(s.chart), 'CiliumNetworkPolicy', 'svc-cilium', 'audit').spec.ingress).toBeUndefined();
  });

  test('bad props: not an object, an unknown httpEnforcement, a workload of another app, a bad DNS location', () => {
    const { chart, payments } = setup();
    expect(() => new CiliumWorkloadPolicy(chart, 'a', undefined as any)).toThrow(/^\[cilium-test\/a\] invalid props undefined: must be a CiliumWorkloadPolicyProps object/);
    expect(() => new CiliumWorkloadPolicy(chart, 'b', { workload: payments, httpEnforcement: 'envoy' as HttpEnforcement }))
      .toThrow(/^\[cilium-test\/b\] invalid httpEnforcement "envoy": must be a HttpEnforcement \(HttpEnforcement.ISTIO = "istio", HttpEnforcement.CILIUM = "cilium"\)/);
    const other = setup();
    expect(() => new CiliumWorkloadPolicy(chart, 'c', { workload: other.payments }))
      .toThrow('[cilium-test/c] invalid workload "cilium-test/payment-service": must be a workload of this app\'s intent graph (a MeshService in a ZeroTrustNamespace)');
    const amb = new MeshService(chart, 'amb', { namespace: new ZeroTrustNamespace(chart, 'ambient', { meshMode: MeshMode.AMBIENT }), image: 'ghcr.io/a/s:1', port: 8080 });
    expect(() => new CiliumWorkloadPolicy(chart, 'g', { workload: amb, httpEnforcement: HttpEnforcement.CILIUM })).toThrow(/^\[cilium-test\/g\] invalid httpEnforcement "cilium"/);
    new CiliumWorkloadPolicy(chart, 'h', { workload: amb });
    const fake = { node: undefined, podSelectorLabels: {}, serviceAccountName: 'x', workloadName: 'x', workloadPorts: [], zeroTrustNamespace: undefined };
    expect(() => new CiliumWorkloadPolicy(chart, 'i', { workload: fake as any }))
      .toThrow('[cilium-test/i] invalid workload {"podSelectorLabels":{},"serviceAccountName":"x","workloadName":"x","workloadPorts":[]}: must be a workload of this app\'s intent graph');
    expect(() => new CiliumWorkloadPolicy(chart, 'd', { workload: payments, dns: { namespace: 'Kube-System' } })).toThrow(/^\[cilium-test\/d\] invalid dns\.namespace "Kube-System": must be a DNS-1123 label/);
    expect(() => new CiliumWorkloadPolicy(chart, 'e', { workload: payments, dns: { podLabels: {} } })).toThrow(/^\[cilium-test\/e\] invalid dns\.podLabels \{\}/);
    // none of the refused policies took the workload: a valid one still can
    new CiliumWorkloadPolicy(chart, 'f', { workload: payments, httpEnforcement: HttpEnforcement.CILIUM });
  });

  test('a policy without declared egress fails at synthesis', () => {
    const { app, chart, payments } = setup();
    new CiliumWorkloadPolicy(chart, 'p', { workload: payments });
    expect(() => app.synth()).toThrow('[cilium-test/p] production/payment-service declares no external destination: call allowEgressTo() on it, use HttpEnforcement.CILIUM, or remove this CiliumWorkloadPolicy');
  });

  test('the workload must be in the intent graph', () => {
    const { chart } = setup();
    expect(() => new CiliumWorkloadPolicy(chart, 'p', { workload: chart as any })).toThrow(/^\[cilium-test\/p\] invalid workload construct cilium-test: must be an IMeshWorkload, got object/);
  });
});
