import { Chart, Testing } from 'cdk8s';
import * as yaml from 'yaml';
import { AccessProxy, AccessProxyProps, AppProtocol, IntentGraph, JwksFetcher, JwtIssuer, MeshService, ZeroTrustNamespace } from '../../src';
import { MeshMode } from '../../src/intent/mesh-workload';
import { Cluster, Jwt, Pod } from '../support/reachability';
import { find, ofKind, synthValid } from '../support/synth';

const ISSUER = 'https://login.example.com';
const JWT: JwtIssuer = { issuer: ISSUER, jwksUri: 'https://login.example.com/.well-known/jwks.json', audiences: ['shop'] };
const INTERNET: Pod = { namespace: '', name: 'browser', labels: {}, serviceAccount: '' };

function setup(overrides: Partial<AccessProxyProps> = {}) {
  const app = Testing.app();
  const chart = new Chart(app, 'edge-test');
  const edge = new ZeroTrustNamespace(chart, 'edge');
  const web = new ZeroTrustNamespace(chart, 'web');
  const proxy = new AccessProxy(chart, 'access-proxy', {
    namespace: edge, hostnames: ['shop.example.com'], tlsSecretName: 'shop-example-com-tls', jwt: JWT, ...overrides,
  });
  const frontend = new MeshService(chart, 'frontend', { namespace: web, image: 'ghcr.io/acme/frontend:1.0.0', port: 8080 });
  return { app, chart, edge, web, proxy, frontend };
}

function routed() {
  const s = setup();
  s.frontend.allowFrom(s.proxy, { methods: ['GET'], paths: ['/', '/static/*'] });
  s.frontend.allowFrom(s.proxy, { methods: ['GET', 'POST'], paths: ['/account/*'], requireClaims: { groups: ['customers'], device_trust: ['managed'] } });
  return s;
}

const token = (claims: Record<string, string | string[]> = {}, overrides: Partial<Jwt> = {}): Jwt =>
  ({ iss: ISSUER, sub: 'alice', aud: ['shop'], claims, ...overrides });

describe('AccessProxy', () => {
  test('snapshot: Gateway, RequestAuthentication, AuthorizationPolicy, NetworkPolicy, routes', () => {
    const { chart } = routed();
    expect(synthValid(chart)).toMatchSnapshot();
  });

  test('an HTTPS-only Gateway API gateway of class istio, routes only from the callees\' namespaces', () => {
    const { chart } = routed();
    const manifests = synthValid(chart);
    const gateway = find(manifests, 'Gateway', 'access-proxy', 'edge');
    expect(gateway.apiVersion).toBe('gateway.networking.k8s.io/v1');
    expect(gateway.spec.gatewayClassName).toBe('istio');
    // the generated Deployment gets the seccomp profile Pod Security `restricted` requires
    expect(gateway.spec.infrastructure).toEqual({ parametersRef: { group: '', kind: 'ConfigMap', name: 'access-proxy-gateway-options' } });
    const options = find(manifests, 'ConfigMap', 'access-proxy-gateway-options', 'edge');
    expect(yaml.parse(options.data.deployment)).toEqual({ spec: { template: { spec: { securityContext: { seccompProfile: { type: 'RuntimeDefault' } } } } } });
    expect(gateway.spec.listeners).toEqual([{
      name: 'https',
      port: 443,
      protocol: 'HTTPS',
      tls: { mode: 'Terminate', certificateRefs: [{ group: '', kind: 'Secret', name: 'shop-example-com-tls' }] },
      allowedRoutes: {
        kinds: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute' }],
        namespaces: { from: 'Selector', selector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['web'] }] } },
      },
    }]);
    const route = find(manifests, 'HTTPRoute', 'access-proxy-frontend', 'web');
    expect(route.spec.parentRefs).toEqual([{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'access-proxy', namespace: 'edge', sectionName: 'https' }]);
    expect(route.spec.hostnames).toEqual(['shop.example.com']);
    expect(route.spec.rules).toEqual([
      {
        matches: [{ method: 'GET', path: { type: 'Exact', value: '/' } }, { method: 'GET', path: { type: 'RegularExpression', value: '/static/.*' } }],
        backendRefs: [{ name: 'frontend', port: 8080 }],
      },
      {
        matches: [
          { method: 'GET', path: { type: 'RegularExpression', value: '/account/.*' } },
          { method: 'POST', path: { type: 'RegularExpression', value: '/account/.*' } },
        ],
        backendRefs: [{ name: 'frontend', port: 8080 }],
      },
    ]);
  });

  test('without routes the listener accepts routes from its own namespace only', () => {
    const { chart } = setup();
    const gateway = find(synthValid(chart), 'Gateway', 'access-proxy');
    expect(gateway.spec.listeners[0].allowedRoutes.namespaces).toEqual({ from: 'Same' });
  });

  test('RequestAuthentication on the gateway and on every callee: issuer, JWKS, audiences, token forwarded', () => {
    const manifests = synthValid(routed().chart);
    const rule = { issuer: ISSUER, jwksUri: JWT.jwksUri, audiences: ['shop'], forwardOriginalToken: true };
    expect(find(manifests, 'RequestAuthentication', 'access-proxy', 'edge').spec).toEqual({
      selector: { matchLabels: { 'gateway.networking.k8s.io/gateway-name': 'access-proxy' } }, jwtRules: [rule],
    });
    expect(find(manifests, 'RequestAuthentication', 'frontend-access-proxy-jwt', 'web').spec).toEqual({
      selector: { matchLabels: { 'app.kubernetes.io/name': 'frontend' } }, jwtRules: [rule],
    });
  });

  test('the gateway requires a verified request principal on every route, and the claims per route', () => {
    const manifests = synthValid(routed().chart);
    const policy = find(manifests, 'AuthorizationPolicy', 'access-proxy-require-jwt', 'edge');
    expect(policy.spec.action).toBe('ALLOW');
    expect(policy.spec.rules).toHaveLength(2);
    for (const rule of policy.spec.rules) {
      expect(rule.from).toEqual([{ source: { requestPrincipals: [`${ISSUER}/*`] } }]);
    }
    expect(policy.spec.rules.find((r: any) => r.when)).toEqual({
      from: [{ source: { requestPrincipals: [`${ISSUER}/*`] } }],
      to: [{ operation: { methods: ['GET', 'POST'], paths: ['/account/*'] } }],
      when: [
        { key: 'request.auth.claims[device_trust]', values: ['managed'] },
        { key: 'request.auth.claims[groups]', values: ['customers'] },
      ],
    });
  });

  test('the callee admits the gateway identity AND the forwarded token, with the claims', () => {
    const manifests = synthValid(routed().chart);
    const policy = find(manifests, 'AuthorizationPolicy', 'frontend', 'web');
    for (const rule of policy.spec.rules) {
      expect(rule.from).toEqual([{ source: { principals: ['cluster.local/ns/edge/sa/access-proxy-istio'], requestPrincipals: [`${ISSUER}/*`] } }]);
    }
    const ingress = find(manifests, 'NetworkPolicy', 'frontend-ingress', 'web');
    expect(ingress.spec.ingress).toEqual([{
      from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'edge' } }, podSelector: { matchLabels: { 'gateway.networking.k8s.io/gateway-name': 'access-proxy' } } }],
      ports: [{ protocol: 'TCP', port: 8080 }],
    }]);
  });

  test('evaluated: unauthenticated requests are rejected at the edge, authenticated ones reach only declared routes', () => {
    const manifests = synthValid(routed().chart);
    const c = new Cluster(manifests);
    const gateway = c.pod('edge', 'access-proxy');
    const frontend = c.pod('web', 'frontend');
    expect(gateway.serviceAccount).toBe('access-proxy-istio');
    // network: the internet reaches the gateway on 443 only; the frontend only from the gateway
    expect(c.networkAllowsFromIp('198.51.100.7', gateway, 443)).toBe(true);
    expect(c.networkAllowsFromIp('198.51.100.7', gateway, 15000)).toBe(false);
    expect(c.networkAllowsFromIp('198.51.100.7', frontend, 8080)).toBe(false);
    expect(c.networkAllows(gateway, frontend, 8080)).toBe(true);

    const atEdge = (method: string, path: string, jwt?: Jwt) => c.meshAllows(INTERNET, gateway, { port: 443, method, path, jwt });
    const atCallee = (method: string, path: string, jwt?: Jwt) => c.meshAllows(gateway, frontend, { port: 8080, method, path, jwt });
    // no token: 403 at the edge, on every route
    expect(atEdge('GET', '/')).toBe(false);
    expect(atEdge('GET', '/static/app.js')).toBe(false);
    // token from another issuer or for another audience: 401
    expect(atEdge('GET', '/', token({}, { iss: 'https://evil.example.com' }))).toBe(false);
    expect(atEdge('GET', '/', token({}, { aud: ['other-app'] }))).toBe(false);
    // valid token: declared routes only
    expect(atEdge('GET', '/', token())).toBe(true);
    expect(atEdge('GET', '/static/app.js', token())).toBe(true);
    expect(atEdge('POST', '/static/app.js', token())).toBe(false);
    expect(atEdge('GET', '/admin', token())).toBe(false);
    // claims: both required, any accepted value, list claims match by element
    expect(atEdge('POST', '/account/orders', token({ groups: ['staff', 'customers'], device_trust: 'managed' }))).toBe(true);
    expect(atEdge('POST', '/account/orders', token({ groups: ['customers'] }))).toBe(false);
    expect(atEdge('POST', '/account/orders', token({ groups: ['staff'], device_trust: 'managed' }))).toBe(false);
    // the callee checks the same: gateway identity and a verified token with the claims
    expect(atCallee('GET', '/', token())).toBe(true);
    expect(atCallee('GET', '/')).toBe(false);
    expect(atCallee('POST', '/account/orders', token({ groups: ['customers'], device_trust: 'managed' }))).toBe(true);
    expect(atCallee('POST', '/account/orders', token({ groups: ['customers'] }))).toBe(false);
    // and only from the gateway
    expect(c.meshAllows(INTERNET, frontend, { port: 8080, method: 'GET', path: '/', jwt: token() })).toBe(false);
  });

  test('the graph records the routes and their claims', () => {
    const { proxy } = routed();
    const graph = IntentGraph.of(proxy);
    expect(proxy.routes.map(r => r.key)).toEqual([
      'edge/access-proxy -> web/frontend:8080 GET /, /static/*'.replace(', ', ','),
      'edge/access-proxy -> web/frontend:8080 GET,POST /account/* [device_trust=managed,groups=customers]',
    ].sort());
    expect(AccessProxy.endUserTokenIssuersOf(proxy)).toEqual([ISSUER]);
    const frontend = graph.workloads.find(w => w.workloadName === 'frontend')!;
    expect(graph.allows(proxy, frontend, { port: 8080, method: 'GET', path: '/account/x' })).toBe(false);
    expect(graph.allows(proxy, frontend, { port: 8080, method: 'GET', path: '/account/x', claims: { groups: ['customers'], device_trust: ['managed'] } })).toBe(true);
  });

  test('a second identical allowFrom() changes nothing', () => {
    const once = setup();
    once.frontend.allowFrom(once.proxy, { methods: ['GET'], paths: ['/'], requireClaims: { groups: ['a'] } });
    const twice = setup();
    const first = twice.frontend.allowFrom(twice.proxy, { methods: ['GET'], paths: ['/'], requireClaims: { groups: ['a'] } });
    const second = twice.frontend.allowFrom(twice.proxy, { methods: ['GET'], paths: ['/'], requireClaims: { groups: ['a'] } });
    expect(second).toBe(first);
    expect(synthValid(twice.chart)).toEqual(synthValid(once.chart));
  });

  test('a route without methods or paths still requires a verified token', () => {
    const s = setup();
    s.frontend.allowFrom(s.proxy);
    const manifests = synthValid(s.chart);
    expect(find(manifests, 'AuthorizationPolicy', 'access-proxy-require-jwt').spec.rules).toEqual([
      { from: [{ source: { requestPrincipals: [`${ISSUER}/*`] } }] },
    ]);
    const c = new Cluster(manifests);
    expect(c.meshAllows(INTERNET, c.pod('edge', 'access-proxy'), { port: 443, method: 'GET', path: '/x' })).toBe(false);
    expect(c.meshAllows(INTERNET, c.pod('edge', 'access-proxy'), { port: 443, method: 'GET', path: '/x', jwt: token() })).toBe(true);
    expect(find(manifests, 'HTTPRoute', 'access-proxy-frontend').spec.rules[0].matches).toEqual([{ path: { type: 'PathPrefix', value: '/' } }]);
  });

  test('required headers: a route header match, and when conditions at the gateway and the callee', () => {
    const s = setup();
    s.frontend.allowFrom(s.proxy, { methods: ['GET'], paths: ['/api/*'], requireHeaders: { 'x-api-version': 'v2' } });
    s.frontend.allowFrom(s.proxy, { methods: ['GET'], paths: ['*.json', '/v/{*}/doc'] });
    const manifests = synthValid(s.chart);
    const rules = find(manifests, 'HTTPRoute', 'access-proxy-frontend').spec.rules;
    expect(rules.find((r: any) => r.matches[0].headers).matches).toEqual([
      { method: 'GET', path: { type: 'RegularExpression', value: '/api/.*' }, headers: [{ type: 'Exact', name: 'x-api-version', value: 'v2' }] },
    ]);
    // suffixes and templates become RE2 regular expressions (Envoy matches them against the whole path)
    expect(rules.find((r: any) => !r.matches[0].headers).matches.map((m: any) => m.path)).toEqual([
      { type: 'RegularExpression', value: '.*\\.json' }, { type: 'RegularExpression', value: '/v/[^/]+/doc' },
    ]);
    const condition = { key: 'request.headers[x-api-version]', values: ['v2'] };
    const conditions = (name: string) => find(manifests, 'AuthorizationPolicy', name).spec.rules.map((r: any) => r.when);
    expect(conditions('access-proxy-require-jwt')).toEqual([undefined, [condition]]);
    expect(conditions('frontend')).toEqual([undefined, [condition]]);
    const c = new Cluster(manifests);
    const gateway = c.pod('edge', 'access-proxy');
    expect(c.meshAllows(INTERNET, gateway, { port: 443, method: 'GET', path: '/api/x', jwt: token(), headers: { 'x-api-version': 'v2' } })).toBe(true);
    expect(c.meshAllows(INTERNET, gateway, { port: 443, method: 'GET', path: '/api/x', jwt: token(), headers: { 'x-api-version': 'v1' } })).toBe(false);
  });

  test('allowedSourceRanges and port shape the external ingress', () => {
    const { chart } = setup({ allowedSourceRanges: ['203.0.113.0/24'], port: 8443 });
    const policy = find(synthValid(chart), 'NetworkPolicy', 'access-proxy-external-ingress', 'edge');
    expect(policy.spec.ingress).toEqual([{ from: [{ ipBlock: { cidr: '203.0.113.0/24' } }], ports: [{ protocol: 'TCP', port: 8443 }] }]);
  });

  describe('in-mesh JWKS (istiod cannot fetch it behind STRICT mTLS)', () => {
    const inMesh = (jwt: Partial<JwtIssuer>, withService = true) => {
      const app = Testing.app();
      const chart = new Chart(app, 'c');
      const edge = new ZeroTrustNamespace(chart, 'edge');
      const identity = new ZeroTrustNamespace(chart, 'identity');
      const web = new ZeroTrustNamespace(chart, 'web');
      const keycloak = new MeshService(chart, 'keycloak', { namespace: identity, image: 'quay.io/keycloak/keycloak:26.0', ports: [{ port: 8080, servicePort: 80 }] });
      const proxy = new AccessProxy(chart, 'access-proxy', {
        namespace: edge,
        hostnames: ['shop.example.com'],
        tlsSecretName: 'tls',
        jwt: {
          ...JWT,
          jwksUri: 'http://keycloak.identity.svc.cluster.local/realms/shop/protocol/openid-connect/certs',
          ...(withService ? { jwksService: keycloak } : {}),
          ...jwt,
        },
      });
      const frontend = new MeshService(chart, 'frontend', { namespace: web, image: 'ghcr.io/acme/frontend:1', port: 8080 });
      return { chart, proxy, keycloak, frontend };
    };

    test('with istiod fetching, an in-cluster jwksUri is an error that names the fix', () => {
      expect(() => inMesh({}, false)).toThrow(/^\[c\/access-proxy\] invalid jwt\.jwksUri "http:\/\/keycloak\.identity\.svc\.cluster\.local\/realms\/shop\/protocol\/openid-connect\/certs": is inside the cluster, but istiod .* STRICT mTLS \(istio\/istio#40553\).*PILOT_JWT_ENABLE_REMOTE_JWKS=hybrid/);
      expect(() => inMesh({ jwksUri: 'http://keycloak.identity/certs' }, false)).toThrow(/invalid jwt\.jwksUri .*is inside the cluster/);
    });

    test('with the proxies fetching, the gateway and every callee may GET the JWKS path, and nothing more', () => {
      const { chart, proxy, keycloak, frontend } = inMesh({ jwksFetcher: JwksFetcher.PROXY });
      frontend.allowFrom(proxy, { methods: ['GET'], paths: ['/'] });
      const manifests = synthValid(chart);
      const graph = IntentGraph.of(chart);
      expect(graph.callsTo(keycloak).map(c => c.key)).toEqual([
        'edge/access-proxy -> identity/keycloak:8080 GET /realms/shop/protocol/openid-connect/certs',
        'web/frontend -> identity/keycloak:8080 GET /realms/shop/protocol/openid-connect/certs',
      ]);
      // the JWKS fetch is not a route: no HTTPRoute to keycloak, no token required by keycloak
      expect(ofKind(manifests, 'HTTPRoute').map(r => r.metadata.name)).toEqual(['access-proxy-frontend']);
      expect(find(manifests, 'Gateway', 'access-proxy').spec.listeners[0].allowedRoutes.namespaces.selector.matchExpressions[0].values).toEqual(['web']);
      expect(find(manifests, 'AuthorizationPolicy', 'access-proxy-require-jwt').spec.rules).toHaveLength(1);
      expect(JSON.stringify(find(manifests, 'AuthorizationPolicy', 'keycloak', 'identity').spec)).not.toContain('requestPrincipals');
      const c = new Cluster(manifests);
      const kc = c.pod('identity', 'keycloak');
      for (const fetcher of [c.pod('edge', 'access-proxy'), c.pod('web', 'frontend')]) {
        expect(c.allows(fetcher, kc, { port: 8080, method: 'GET', path: '/realms/shop/protocol/openid-connect/certs' })).toBe(true);
        expect(c.allows(fetcher, kc, { port: 8080, method: 'POST', path: '/realms/shop/protocol/openid-connect/token' })).toBe(false);
      }
    });

    test('the proxy fetcher needs the serving workload, and the URI must name its Service and port', () => {
      expect(() => inMesh({ jwksFetcher: JwksFetcher.PROXY }, false)).toThrow(/^\[c\/access-proxy\] invalid jwt\.jwksService undefined: must be the workload serving the in-cluster jwksUri/);
      expect(() => inMesh({ jwksFetcher: JwksFetcher.PROXY, jwksUri: 'http://other.identity.svc.cluster.local/certs' }))
        .toThrow(/invalid jwt\.jwksUri "http:\/\/other\.identity\.svc\.cluster\.local\/certs": does not name the Service of jwksService identity\/keycloak/);
      expect(() => inMesh({ jwksFetcher: JwksFetcher.PROXY, jwksUri: 'http://keycloak.identity.svc.cluster.local:9000/certs' }))
        .toThrow(/invalid jwt\.jwksUri .*port 9000 is not a Service port of identity\/keycloak/);
    });

    test('the proxy fetcher is refused for a public JWKS (istiod fetches those)', () => {
      expect(() => setup({ jwt: { ...JWT, jwksFetcher: JwksFetcher.PROXY } }))
        .toThrow(/^\[edge-test\/access-proxy\] invalid jwt\.jwksFetcher "proxy": JwksFetcher\.PROXY and jwksService are for a JWKS endpoint inside the mesh/);
    });
  });

  describe('bad input', () => {
    test('issuer that is not https', () => {
      expect(() => setup({ jwt: { ...JWT, issuer: 'http://login.example.com' } }))
        .toThrow(/^\[edge-test\/access-proxy\] invalid jwt\.issuer "http:\/\/login\.example\.com": must be an exact https URL/);
      expect(() => setup({ jwt: { ...JWT, issuer: 'login.example.com' } })).toThrow(/invalid jwt\.issuer "login\.example\.com": must be an exact https URL/);
    });

    test('wildcard or look-alike issuer', () => {
      // request principals are `<issuer>/<sub>`, where Istio reads '*' as a wildcard
      expect(() => setup({ jwt: { ...JWT, issuer: 'https://login.example.com/*' } }))
        .toThrow(/^\[edge-test\/access-proxy\] invalid jwt\.issuer "https:\/\/login\.example\.com\/\*": must be an exact https URL \(the token's iss claim\) without wildcards/);
      expect(() => setup({ jwt: { ...JWT, issuer: 'https://l\u043egin.example.com' } })).toThrow(/invalid jwt\.issuer/);
      expect(() => setup({ jwt: { ...JWT, issuer: 'https://login..example.com' } })).toThrow(/invalid jwt\.issuer/);
    });

    test('empty audiences', () => {
      expect(() => setup({ jwt: { ...JWT, audiences: [] } }))
        .toThrow(/^\[edge-test\/access-proxy\] invalid jwt\.audiences \[\]: must list at least one audience: without it a token minted by the same issuer for any other application is accepted; set the client id/);
      expect(() => setup({ jwt: { ...JWT, audiences: ['*'] } })).toThrow(/invalid jwt\.audiences \["\*"\]: each audience must be a non-empty exact value/);
    });

    test('a public jwksUri over plain http', () => {
      expect(() => setup({ jwt: { ...JWT, jwksUri: 'http://login.example.com/jwks' } }))
        .toThrow(/invalid jwt\.jwksUri "http:\/\/login\.example\.com\/jwks": must be https outside the cluster/);
      expect(() => setup({ jwt: { ...JWT, jwksUri: 'ftp://x' } })).toThrow(/invalid jwt\.jwksUri "ftp:\/\/x": must be an http\(s\) URL/);
    });

    test('claims on a route whose caller has no RequestAuthentication', () => {
      const s = setup();
      const other = new MeshService(s.chart, 'checkout', { namespace: s.web, image: 'ghcr.io/acme/checkout:1', port: 8080 });
      expect(() => s.frontend.allowFrom(other, { requireClaims: { groups: ['customers'] } }))
        .toThrow(/^\[edge-test\/frontend\] invalid requireClaims \{"groups":\["customers"\]\}: the caller web\/checkout does not verify end-user tokens, so there are no claims to check; require claims only on calls from an AccessProxy/);
    });

    test('malformed claims', () => {
      const s = setup();
      expect(() => s.frontend.allowFrom(s.proxy, { requireClaims: {} })).toThrow(/invalid requireClaims \{\}: must name at least one claim/);
      expect(() => s.frontend.allowFrom(s.proxy, { requireClaims: { 'a]b': ['x'] } })).toThrow(/invalid requireClaims "a\]b": claim names are/);
      expect(() => s.frontend.allowFrom(s.proxy, { requireClaims: { groups: [] } })).toThrow(/invalid requireClaims\.groups \[\]: must be a non-empty list of exact/);
      expect(() => s.frontend.allowFrom(s.proxy, { requireClaims: { groups: ['*'] } })).toThrow(/invalid requireClaims\.groups \["\*"\]/);
    });

    test('hostnames, TLS secret, source ranges, namespace mode', () => {
      expect(() => setup({ name: 'a'.repeat(58) })).toThrow(/^\[edge-test\/access-proxy\] invalid name "a{58}": must be at most 57 characters: Istio names the gateway Deployment/);
      expect(() => setup({ hostnames: [] })).toThrow(/^\[edge-test\/access-proxy\] invalid hostnames \[\]: must list at least one host name/);
      expect(() => setup({ hostnames: ['Shop.Example.com'] })).toThrow(/invalid hostnames "Shop\.Example\.com": must be a lower-case DNS name/);
      expect(() => setup({ tlsSecretName: 'My Secret' })).toThrow(/^\[edge-test\/access-proxy\] invalid tlsSecretName "My Secret": must be the name of a Secret/);
      expect(() => setup({ tlsSecretName: 'shop.example.com-tls' })).not.toThrow();
      expect(() => setup({ allowedSourceRanges: ['everyone'] })).toThrow(/invalid allowedSourceRanges\[0\] "everyone": must be an IPv4 or IPv6 CIDR/);
      const app = Testing.app();
      const chart = new Chart(app, 'c');
      const ambient = new ZeroTrustNamespace(chart, 'edge', { meshMode: MeshMode.AMBIENT });
      expect(() => new AccessProxy(chart, 'p', { namespace: ambient, hostnames: ['a.example.com'], tlsSecretName: 't', jwt: JWT }))
        .toThrow(/^\[c\/p\] invalid namespace "edge": the access proxy must run in a sidecar-mode namespace/);
    });

    test('more routes or matches than an HTTPRoute holds', () => {
      const s = setup();
      for (let i = 0; i < 16; i++) s.frontend.allowFrom(s.proxy, { paths: [`/r${i}`] });
      expect(() => s.frontend.allowFrom(s.proxy, { paths: ['/r16'] })).toThrow(/^\[edge-test\/frontend\] invalid routes 17: an HTTPRoute holds at most 16 rules/);
      const t = setup();
      const paths = Array.from({ length: 13 }, (_, i) => `/p${i}`);
      expect(() => t.frontend.allowFrom(t.proxy, { paths, methods: ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'] }))
        .toThrow(/^\[edge-test\/frontend\] invalid paths \[.*\]: paths x methods must be at most 64/);
    });

    test('a route to several ports or to a TCP port', () => {
      const s = setup();
      const multi = new MeshService(s.chart, 'multi', { namespace: s.web, image: 'ghcr.io/acme/m:1', ports: [{ port: 8080 }, { port: 9090 }, { port: 5432, protocol: AppProtocol.TCP }] });
      expect(() => multi.allowFrom(s.proxy)).toThrow(/^\[edge-test\/multi\] invalid ports \[5432,8080,9090\]: a route from an access proxy goes to exactly one port/);
      expect(() => multi.allowFrom(s.proxy, { ports: [5432] })).toThrow(/invalid ports \[5432\]: port 5432 of web\/multi is tcp; an HTTPRoute forwards HTTP/);
    });
  });

  test('objects go to the edge layer scope when one is given', () => {
    const app = Testing.app();
    const edgeChart = new Chart(app, 'edge');
    const other = new Chart(app, 'other');
    new IntentGraph(app, 'IntentGraph', { layers: { edge: edgeChart } });
    const ns = new ZeroTrustNamespace(other, 'gw');
    const web = new ZeroTrustNamespace(other, 'web');
    const proxy = new AccessProxy(other, 'p', { namespace: ns, hostnames: ['a.example.com'], tlsSecretName: 't', jwt: JWT });
    new MeshService(other, 'fe', { namespace: web, image: 'ghcr.io/a/fe:1', port: 8080 }).allowFrom(proxy);
    const kinds = ofKind(synthValid(edgeChart), 'Gateway').length + ofKind(Testing.synth(edgeChart), 'HTTPRoute').length;
    expect(kinds).toBe(2);
    expect(ofKind(Testing.synth(other), 'Gateway')).toHaveLength(0);
  });
});
