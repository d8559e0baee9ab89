import { Cluster } from '../../src/evidence/_cluster';
import { cidrContains } from '../../src/evidence/_network-policy';

/** Hand-written objects (not rendered by the library): the evaluator's own semantics. */
function shop(extra: any[]): Cluster {
  const deployment = (name: string) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'shop' },
    spec: {
      template: { metadata: { labels: { app: name } }, spec: { serviceAccountName: name, containers: [{ name, ports: [{ containerPort: 8080 }] }] } },
    },
  });
  return new Cluster([
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'istio-injection': 'enabled' } } },
    deployment('a'), deployment('b'),
    ...extra,
  ]);
}
const policy = (name: string, spec: any, annotations?: Record<string, string>) => ({
  apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name, namespace: 'shop', ...(annotations ? { annotations } : {}) }, spec,
});
const FROM_A = { source: { principals: ['cluster.local/ns/shop/sa/a'] } };

describe('Cluster.request: the path a request really takes', () => {
  test('dry run (staged rollout): nothing denied, the would-be denials observable', () => {
    const c = shop([
      policy('audit-allow-all', { selector: { matchLabels: { app: 'b' } }, rules: [{}] }),
      policy('b', { selector: { matchLabels: { app: 'b' } }, rules: [{ from: [FROM_A], to: [{ operation: { methods: ['GET'] } }] }] }, { 'istio.io/dry-run': 'true' }),
    ]);
    const [a, b] = [c.pod('shop', 'a'), c.pod('shop', 'b')];
    expect(c.request(a, b, { port: 8080, method: 'GET', path: '/' })).toMatchObject({ allowed: true, l4: true, l7: true, wouldDeny: false });
    expect(c.request(a, b, { port: 8080, method: 'DELETE', path: '/' })).toMatchObject({ allowed: true, wouldDeny: true });
    expect(c.request(b, b, { port: 8080, method: 'GET', path: '/' })).toMatchObject({ allowed: true, wouldDeny: true });
  });

  test('enforced policies decide; a dry-run DENY only reports', () => {
    const c = shop([
      policy('b', { selector: { matchLabels: { app: 'b' } }, rules: [{ from: [FROM_A] }] }),
      policy('no-delete', { action: 'DENY', rules: [{ to: [{ operation: { methods: ['DELETE'] } }] }] }, { 'istio.io/dry-run': 'true' }),
    ]);
    const [a, b] = [c.pod('shop', 'a'), c.pod('shop', 'b')];
    expect(c.request(a, b, { port: 8080, method: 'DELETE', path: '/' })).toMatchObject({ allowed: true, wouldDeny: true });
    expect(c.request(b, b, { port: 8080, method: 'GET', path: '/' })).toMatchObject({ allowed: false, l4: true, l7: false, layer: 'authorization', wouldDeny: false });
  });

  test('PeerAuthentication DISABLE on a port: the sidecar sees no identity there, so only a policy open to any source admits', () => {
    const disable = {
      apiVersion: 'security.istio.io/v1',
      kind: 'PeerAuthentication',
      metadata: { name: 'b', namespace: 'shop' },
      spec: { selector: { matchLabels: { app: 'b' } }, mtls: { mode: 'STRICT' }, portLevelMtls: { 8080: { mode: 'DISABLE' } } },
    };
    const byPrincipal = shop([disable, policy('b', { selector: { matchLabels: { app: 'b' } }, rules: [{ from: [FROM_A], to: [{ operation: { ports: ['8080'] } }] }] })]);
    expect(byPrincipal.request(byPrincipal.pod('shop', 'a'), byPrincipal.pod('shop', 'b'), { port: 8080 })).toMatchObject({ allowed: false, layer: 'authorization' });
    const open = shop([disable, policy('b', { selector: { matchLabels: { app: 'b' } }, rules: [{ to: [{ operation: { ports: ['8080'] } }] }] })]);
    expect(open.request(open.pod('shop', 'a'), open.pod('shop', 'b'), { port: 8080 })).toMatchObject({ allowed: true });
  });

  test('CIDRs: IPv4 and IPv6, never across families', () => {
    expect(cidrContains('fd00:ec2::254/128', 'fd00:ec2::254')).toBe(true);
    expect(cidrContains('fc00::/7', 'fd00:ec2::254')).toBe(true);
    expect(cidrContains('fc00::/7', '2001:db8::1')).toBe(false);
    expect(cidrContains('::/0', '10.0.0.1')).toBe(false);
    expect(cidrContains('0.0.0.0/0', 'fd00::1')).toBe(false);
    expect(cidrContains('169.254.0.0/16', '169.254.169.254')).toBe(true);
  });
});

describe('Cluster.request: callers without mesh identity (an ingress controller or Prometheus outside the mesh)', () => {
  const ingress = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ingress-nginx' } },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'controller', namespace: 'ingress-nginx' },
      spec: { template: { metadata: { labels: { app: 'controller' } }, spec: { serviceAccountName: 'controller', containers: [{ name: 'c' }] } } },
    },
  ];
  const peerAuth = (spec: any) => ({ apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'default', namespace: 'shop' }, spec });
  const strict = peerAuth({ mtls: { mode: 'STRICT' } });
  const openToAny = policy('b', { selector: { matchLabels: { app: 'b' } }, rules: [{ to: [{ operation: { ports: ['8080'] } }] }] });
  const byNamespace = policy('b', { selector: { matchLabels: { app: 'b' } }, rules: [{ from: [{ source: { namespaces: ['ingress-nginx'] } }] }] });

  test('STRICT mTLS refuses the plaintext of a caller outside the mesh on an application port, whatever the policies allow', () => {
    const c = shop([...ingress, strict, openToAny]);
    const [controller, b] = [c.pod('ingress-nginx', 'controller'), c.pod('shop', 'b')];
    expect(controller.mesh).toBe('none');
    expect(c.request(controller, b, { port: 8080, method: 'GET', path: '/' })).toMatchObject({ allowed: false, layer: 'mtls' });
    // a caller in the mesh is authorized by the same policy
    expect(c.request(c.pod('shop', 'a'), b, { port: 8080, method: 'GET', path: '/' })).toMatchObject({ allowed: true });
  });

  test('a port-level PERMISSIVE lets the plaintext reach the AuthorizationPolicy, where no identity matches: a rule by namespace never admits it, only a rule open to any source does', () => {
    const permissive = { ...peerAuth({ selector: { matchLabels: { app: 'b' } }, mtls: { mode: 'STRICT' }, portLevelMtls: { 8080: { mode: 'PERMISSIVE' } } }), metadata: { name: 'b', namespace: 'shop' } };
    const named = shop([...ingress, strict, permissive, byNamespace]);
    const [controller, b] = [named.pod('ingress-nginx', 'controller'), named.pod('shop', 'b')];
    expect(named.istio.mtlsMode(b, 8080).mode).toBe('PERMISSIVE');
    expect(named.istio.mtlsMode(b, 9090).mode).toBe('STRICT');
    expect(named.request(controller, b, { port: 8080, method: 'GET', path: '/' })).toMatchObject({ allowed: false, layer: 'authorization' });
    const open = shop([...ingress, strict, permissive, openToAny]);
    expect(open.request(open.pod('ingress-nginx', 'controller'), open.pod('shop', 'b'), { port: 8080, method: 'GET', path: '/' })).toMatchObject({ allowed: true });
    // which is why the library refuses such calls at synthesis instead of opening the port (ClusterPeer.mayCall)
  });
});
