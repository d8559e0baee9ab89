import * as path from 'path';
import { Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { celIssues, escapeCelField } from './cel';
import {
  expectValidManifests,
  knownKinds,
  repoRoot,
  resolveSharedDir,
  validateManifest,
  validateManifests,
} from './schemas';

function deployment(podSpecExtra: Record<string, unknown> = {}): any {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'shop', labels: { app: 'web' } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          automountServiceAccountToken: false,
          containers: [{
            name: 'web',
            image: 'nginx:1.27',
            ports: [{ containerPort: 8080, name: 'http' }],
            resources: { limits: { cpu: '100m', memory: '64Mi' }, requests: { cpu: 0.1 } },
            securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
            readinessProbe: { httpGet: { path: '/healthz', port: 'http' } },
          }],
          ...podSpecExtra,
        },
      },
    },
  };
}

const networkPolicy = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'web-ingress', namespace: 'shop' },
  spec: {
    podSelector: { matchLabels: { app: 'web' } },
    policyTypes: ['Ingress', 'Egress'],
    ingress: [{
      from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'front' } }, podSelector: {} }],
      ports: [{ protocol: 'TCP', port: 8080 }, { port: 'http' }],
    }],
    egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }] }],
  },
};

const namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'istio-injection': 'enabled' } } };

function authorizationPolicy(spec: any): any {
  return { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'web', namespace: 'shop' }, spec };
}

const fullAuthorizationPolicy = authorizationPolicy({
  selector: { matchLabels: { app: 'web' } },
  action: 'ALLOW',
  rules: [{
    from: [{ source: { principals: ['cluster.local/ns/front/sa/frontend'] } }],
    to: [{ operation: { ports: ['8080'], methods: ['GET', 'POST'], paths: ['/api/*'] } }],
  }],
});

function clusterSpiffeId(spec: any): any {
  return { apiVersion: 'spire.spiffe.io/v1alpha1', kind: 'ClusterSPIFFEID', metadata: { name: 'web' }, spec };
}

/** Asserts exactly that some error contains every fragment. */
function expectError(errors: string[], ...fragments: string[]): void {
  const hit = errors.find(e => fragments.every(f => e.includes(f)));
  if (!hit) throw new Error(`no error containing ${JSON.stringify(fragments)} in:\n${errors.join('\n') || '(no errors)'}`);
}

describe('core Kubernetes objects (k8s v1.32.0 and v1.35.0)', () => {
  test('valid Deployment, NetworkPolicy and Namespace pass', () => {
    expect(validateManifests([deployment(), networkPolicy, namespace])).toEqual([]);
    expectValidManifests([deployment(), networkPolicy, namespace]);
  });

  test('an unknown field in the pod spec fails, naming the field, the object and both versions', () => {
    const errors = validateManifest(deployment({ hostNetwrok: true }));
    expect(errors).toHaveLength(1);
    expectError(errors, 'Deployment/shop/web', 'k8s v1.32.0', 'k8s v1.35.0', '/spec/template/spec', 'unknown field "hostNetwrok"');
  });

  test('a missing required field fails', () => {
    const d = deployment();
    delete d.spec.selector;
    delete d.spec.template.spec.containers[0].name;
    const errors = validateManifest(d);
    expectError(errors, '/spec', "must have required property 'selector'");
    expectError(errors, '/spec/template/spec/containers/0', "must have required property 'name'");
  });

  test('enum, type and format are checked', () => {
    // The published k8s schemas have no value enums; the harness adds the API server's fixed sets.
    expectError(validateManifest({ ...networkPolicy, spec: { ...networkPolicy.spec, policyTypes: ['Ingres'] } }),
      '/spec/policyTypes/0', 'allowed values', '"Ingres"');
    expectError(validateManifest({ ...networkPolicy, spec: { podSelector: {}, ingress: [{ ports: [{ protocol: 'tcp', port: 80 }] }] } }),
      '/spec/ingress/0/ports/0/protocol', '["TCP","UDP","SCTP"]', 'got "tcp"');
    expectError(validateManifest(deployment({ terminationGracePeriodSeconds: 'soon' })),
      '/spec/template/spec/terminationGracePeriodSeconds', 'must be integer');
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'shop' }, data: { key: 'not base64!' } };
    expectError(validateManifest(secret), '/data/key', 'must match format "byte"');
    expect(validateManifest({ ...secret, data: { key: 'aGVsbG8=' } })).toEqual([]);
    expectError(validateManifest(deployment({ priority: 2 ** 31 })), '/spec/template/spec/priority', 'format "int32"');
  });

  test('metadata.name is required and unknown metadata fields fail', () => {
    expectError(validateManifest({ apiVersion: 'v1', kind: 'Namespace', metadata: {} }), 'metadata.name');
    expectError(validateManifest({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x', label: {} } }), 'unknown field "label"');
  });

  test('a namespace on a cluster-scoped kind fails', () => {
    expectError(validateManifest({ ...namespace, metadata: { name: 'shop', namespace: 'shop' } }),
      '/metadata/namespace', 'cluster-scoped');
  });

  test('a kind that exists in only one targeted Kubernetes version fails', () => {
    // resource.k8s.io/v1 DeviceClass is in 1.35 only.
    const errors = validateManifest({ apiVersion: 'resource.k8s.io/v1', kind: 'DeviceClass', metadata: { name: 'gpu' }, spec: {} });
    expectError(errors, 'no schema for resource.k8s.io/v1 DeviceClass in k8s v1.32.0', 'only in k8s v1.35.0');
  });
});

describe('custom resources (pinned CRDs)', () => {
  test('valid Istio AuthorizationPolicies pass', () => {
    expectValidManifests([authorizationPolicy({}), fullAuthorizationPolicy]);
  });

  test('a typo in an AuthorizationPolicy source fails', () => {
    const ap = authorizationPolicy({ rules: [{ from: [{ source: { principal: ['cluster.local/ns/a/sa/b'] } }] }] });
    const errors = validateManifest(ap);
    expect(errors).toHaveLength(1);
    expectError(errors, 'AuthorizationPolicy/shop/web', 'crd istio/istio-crds.yaml security.istio.io/v1 AuthorizationPolicy',
      '/spec/rules/0/from/0/source', 'unknown field "principal"');
  });

  test('an action outside the enum fails', () => {
    expectError(validateManifest(authorizationPolicy({ action: 'ALOW' })), '/spec/action', '"ALLOW"', 'got "ALOW"');
  });

  test('custom resource metadata is validated against core ObjectMeta', () => {
    const ap = authorizationPolicy({});
    ap.metadata.annotation = { a: 'b' };
    expectError(validateManifest(ap), 'k8s v1.32.0 ObjectMeta', '/metadata', 'unknown field "annotation"');
  });

  test('ClusterSPIFFEID: jwtTtl passes, jwtTTL fails, spiffeIDTemplate is required', () => {
    const tmpl = 'spiffe://{{ .TrustDomain }}/ns/{{ .PodMeta.Namespace }}/sa/{{ .PodSpec.ServiceAccountName }}';
    expectValidManifests([clusterSpiffeId({ spiffeIDTemplate: tmpl, jwtTtl: '5m', podSelector: { matchLabels: { app: 'web' } } })]);
    expectError(validateManifest(clusterSpiffeId({ spiffeIDTemplate: tmpl, jwtTTL: '5m' })), '/spec', 'unknown field "jwtTTL"');
    expectError(validateManifest(clusterSpiffeId({ jwtTtl: '5m' })), "required property 'spiffeIDTemplate'");
  });

  test('int-or-string and nullable are honoured', () => {
    const podMonitor = {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PodMonitor',
      metadata: { name: 'web', namespace: 'shop' },
      spec: { selector: { matchLabels: { app: 'web' } }, podMetricsEndpoints: [{ port: 'http-metrics' }, { targetPort: 9090 }, { targetPort: 'metrics' }] },
    };
    expectValidManifests([podMonitor]);
    expectError(validateManifest({ ...podMonitor, spec: { ...podMonitor.spec, podMetricsEndpoints: [{ targetPort: true }] } }),
      '/spec/podMetricsEndpoints/0/targetPort');

    const destinationRule = (outlierDetection: any): any => ({
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: { name: 'web', namespace: 'shop' },
      spec: { host: 'web.shop.svc.cluster.local', trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' }, outlierDetection } },
    });
    expectValidManifests([destinationRule({ consecutive5xxErrors: null }), destinationRule({ consecutive5xxErrors: 5 })]);
    expectError(validateManifest(destinationRule({ consecutive5xxErrors: 'five' })), '/spec/trafficPolicy/outlierDetection/consecutive5xxErrors', 'must be integer,null');
    expectError(validateManifest(destinationRule({ consecutive5xxErrors: -1 })), 'must be >= 0');
  });

  test('Go regular expressions in CRD patterns work ((?i) flag, RE2 syntax)', () => {
    const rule = (strategy: string, expr: unknown): any => ({
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PrometheusRule',
      metadata: { name: 'zt', namespace: 'monitoring' },
      spec: { groups: [{ name: 'zt', partial_response_strategy: strategy, rules: [{ alert: 'Denied', expr, for: '5m' }] }] },
    });
    expectValidManifests([rule('ABORT', 'sum(rate(x[5m])) > 0'), rule('warn', 1)]);
    expectError(validateManifest(rule('retry', 'up')), '/spec/groups/0/partial_response_strategy', 'must match pattern');
    const badFor = rule('warn', 'up');
    badFor.spec.groups[0].rules[0].for = '5 minutes';
    expectError(validateManifest(badFor), '/spec/groups/0/rules/0/for', 'must match pattern');
  });

  test('a version that is not served fails', () => {
    const es = { apiVersion: 'external-secrets.io/v1beta1', kind: 'ExternalSecret', metadata: { name: 'db', namespace: 'shop' }, spec: {} };
    expectError(validateManifest(es), 'v1beta1', 'is not served', 'served: external-secrets.io/v1');
    expectError(validateManifest({ ...es, apiVersion: 'external-secrets.io/v9' }), 'v9', 'is not defined');
  });

  test('a namespace on a cluster-scoped custom resource fails', () => {
    const cs = clusterSpiffeId({ spiffeIDTemplate: 'spiffe://x/y' });
    cs.metadata.namespace = 'shop';
    expectError(validateManifest(cs), '/metadata/namespace', 'ClusterSPIFFEID is cluster-scoped');
  });
});

describe('CEL rules (x-kubernetes-validations)', () => {
  const source = 'crd istio/istio-crds.yaml security.istio.io/v1 AuthorizationPolicy';

  function peerAuthentication(spec: any): any {
    return { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'web', namespace: 'shop' }, spec };
  }

  test('valid AuthorizationPolicies and PeerAuthentications pass', () => {
    expectValidManifests([
      authorizationPolicy({}), // allow-nothing
      fullAuthorizationPolicy,
      authorizationPolicy({ targetRefs: [{ kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'edge' }], action: 'DENY', rules: [{}] }),
      authorizationPolicy({ rules: [{ from: [{ source: { serviceAccounts: ['front/frontend'] } }, { source: { namespaces: ['front'] } }] }] }),
      peerAuthentication({ mtls: { mode: 'STRICT' } }),
      peerAuthentication({ selector: { matchLabels: { app: 'web' } }, mtls: { mode: 'STRICT' }, portLevelMtls: { 8080: { mode: 'PERMISSIVE' } } }),
    ]);
  });

  test('selector and targetRefs together fail with the CRD message', () => {
    const errors = validateManifest(authorizationPolicy({
      selector: { matchLabels: { app: 'web' } },
      targetRefs: [{ kind: 'Service', group: '', name: 'web' }],
    }));
    expect(errors).toHaveLength(1);
    expectError(errors, 'AuthorizationPolicy/shop/web', `[${source}] /spec:`, 'CEL rule failed: only one of targetRefs or selector can be set',
      '(rule: (has(self.selector) ? 1 : 0)');
  });

  test('serviceAccounts with principals in the same source fails', () => {
    const errors = validateManifest(authorizationPolicy({
      rules: [{ from: [{ source: { serviceAccounts: ['front/frontend'], principals: ['cluster.local/ns/front/sa/frontend'] } }] }],
    }));
    expect(errors).toHaveLength(1);
    expectError(errors, '/spec/rules/0/from/0/source', 'Cannot set serviceAccounts with namespaces or principals');
  });

  test('wildcards and empty keys in matchLabels fail', () => {
    expectError(validateManifest(authorizationPolicy({ selector: { matchLabels: { app: '*' } } })),
      '/spec/selector/matchLabels/app', 'wildcard not allowed in label value match');
    expectError(validateManifest(authorizationPolicy({ selector: { matchLabels: { 'app*': 'web' } } })),
      '/spec/selector/matchLabels:', 'wildcard not allowed in label key match');
    expectError(validateManifest(authorizationPolicy({ selector: { matchLabels: { '': 'web' } } })),
      '/spec/selector/matchLabels:', 'key must not be empty');
  });

  test('PeerAuthentication: portLevelMtls needs a non-empty selector, ports are 1-65535', () => {
    const mtls = { 8080: { mode: 'DISABLE' } };
    expectError(validateManifest(peerAuthentication({ portLevelMtls: mtls })), '/spec:', 'portLevelMtls requires selector');
    expectError(validateManifest(peerAuthentication({ selector: { matchLabels: {} }, portLevelMtls: mtls })), '/spec:', 'portLevelMtls requires selector');
    expectError(validateManifest(peerAuthentication({ selector: { matchLabels: { app: 'web' } }, portLevelMtls: { 0: { mode: 'DISABLE' } } })),
      '/spec/portLevelMtls:', 'port must be between 1-65535');
  });

  describe('Gateway API HTTPRoute (rules are generic; schema defaults apply, `namespace` is `__namespace__`)', () => {
    const route = (rules: any[], parentRefs: any[] = [{ name: 'edge', namespace: 'gateways' }]): any => ({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'web', namespace: 'shop' },
      spec: { parentRefs, hostnames: ['shop.example.com'], rules },
    });

    test('a typical route passes', () => {
      expectValidManifests([
        route([{ backendRefs: [{ name: 'web', port: 8080 }] }]),
        route([{ matches: [{ path: { type: 'PathPrefix', value: '/api' } }], backendRefs: [{ name: 'api', port: 80 }] }],
          [{ name: 'edge', namespace: 'gateways', sectionName: 'https' }, { name: 'edge', namespace: 'gateways', sectionName: 'http' }]),
      ]);
    });

    test('a Service backendRef without a port fails (kind defaults to Service)', () => {
      const errors = validateManifest(route([{ backendRefs: [{ name: 'web' }] }]));
      expect(errors).toHaveLength(1);
      expectError(errors, 'crd gateway-api/gateway.networking.k8s.io_httproutes.yaml gateway.networking.k8s.io/v1 HTTPRoute',
        '/spec/rules/0/backendRefs/0:', 'Must have port for Service reference');
    });

    test('path and parentRef rules', () => {
      expectError(validateManifest(route([{ matches: [{ path: { type: 'PathPrefix', value: 'api' } }], backendRefs: [{ name: 'web', port: 80 }] }])),
        '/spec/rules/0/matches/0/path:', 'must be an absolute path');
      expectError(validateManifest(route([{ backendRefs: [{ name: 'web', port: 80 }] }],
        [{ name: 'edge', namespace: 'gateways' }, { name: 'edge', namespace: 'gateways', sectionName: 'http' }])),
      '/spec/parentRefs:', 'sectionName must be specified when parentRefs includes 2 or more references to the same parent');
    });
  });

  describe('harness guarantees (celIssues on a synthetic schema)', () => {
    const schema = (rules: any[]): any => ({
      type: 'object',
      properties: {
        spec: {
          'type': 'object',
          'properties': {
            'n': { type: 'integer' },
            'max-n': { type: 'integer', default: 10 },
            'namespace': { type: 'string' },
            'url': { type: 'string' },
            'maybe': { type: 'string', nullable: true },
            'unused': { 'type': 'object', 'x-kubernetes-validations': [{ rule: 'this is not CEL (' }] },
          },
          'x-kubernetes-validations': rules,
        },
      },
    });
    const obj = (spec: any): any => ({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec });

    test('typed values, defaults, escaped names, Kubernetes URL functions', () => {
      const rules = [
        { rule: 'self.n < self.max__dash__n', message: 'n too big' },
        { rule: 'has(self.__namespace__) && self.__namespace__ == "shop"' },
        { rule: 'url(self.url).getScheme() == "https" && url(self.url).getHostname() == "example.com" && url(self.url).getPort() == "8443"' },
        { rule: 'isURL(self.url) && !isURL("not a url")' },
        { rule: 'self.n == oldSelf.n' }, // transition rule: skipped on create
      ];
      expect(celIssues(obj({ n: 3, namespace: 'shop', url: 'https://example.com:8443/x?a=b' }), schema(rules))).toEqual([]);
      expect(celIssues(obj({ n: 11, namespace: 'shop', url: 'https://example.com:8443/' }), schema(rules)))
        .toEqual([{ pointer: '/spec', message: 'CEL rule failed: n too big (rule: self.n < self.max__dash__n)' }]);
      expect(escapeCelField('a.b-c/d__e')).toBe('a__dot__b__dash__c__slash__d__underscores__e');
      // An explicit null in a nullable field is present (has() is true), as in Kubernetes.
      expect(celIssues(obj({ maybe: null }), schema([{ rule: 'has(self.maybe) && self.maybe == null && !has(self.url)' }]))).toEqual([]);
    });

    test('a reached rule that cannot be compiled or evaluated is an error; unreached rules are not compiled', () => {
      const issues = celIssues(obj({ n: 1 }), schema([
        { rule: 'self.n ==', message: 'syntax' },
        { rule: 'quantity(self.url).isGreaterThan(quantity("1"))' },
        { rule: 'self.url.startsWith("https://")' }, // url is absent: no such key
        { rule: 'self.n' }, // not a bool
      ]));
      expect(issues.map(i => i.message)).toEqual([
        expect.stringMatching(/^CEL rule cannot be compiled: .*\(rule: self\.n ==\)$/),
        expect.stringMatching(/^CEL rule cannot be compiled: unknown function\(s\) `isGreaterThan`, `quantity` \(a Kubernetes CEL library/),
        expect.stringMatching(/^CEL rule cannot be evaluated: .*url/),
        'CEL rule returned int 1, not a bool (rule: self.n)',
      ]);
      expect(issues.every(i => i.pointer === '/spec')).toBe(true);
    });

    test('rules above a value of the wrong type are reported as not evaluated', () => {
      expect(celIssues(obj({ n: 'three' }), schema([{ rule: 'self.n > 0' }]))).toEqual([
        { pointer: '/spec', message: '1 CEL rule(s) not evaluated: /spec/n does not match its schema (expected an integer); fix the schema errors first' },
      ]);
    });
  });
});

describe('real cdk8s output', () => {
  test('cdk8s-plus objects synthesized in a namespaced chart validate; cluster-scoped ones there fail', () => {
    const chart = new Chart(Testing.app(), 'shop', { namespace: 'shop' });
    const web = new kplus.Deployment(chart, 'web', { containers: [{ image: 'nginx:1.27', portNumber: 8080 }] });
    web.exposeViaService({ ports: [{ port: 80, targetPort: 8080 }] });
    new kplus.NetworkPolicy(chart, 'web-ingress', {
      selector: web,
      ingress: { rules: [{ peer: kplus.Pods.all(chart, 'all-pods'), ports: [kplus.NetworkPolicyPort.tcp(8080)] }] },
    });
    new kplus.ServiceAccount(chart, 'sa');
    expectValidManifests(Testing.synth(chart));

    new kplus.ClusterRole(chart, 'reader');
    const errors = validateManifests(Testing.synth(chart));
    expect(errors).toHaveLength(1);
    expectError(errors, 'ClusterRole/shop/', '/metadata/namespace', 'cluster-scoped');
  });
});

describe('harness guarantees', () => {
  test('a kind with no schema fails', () => {
    expectError(validateManifest({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }), 'no schema for example.com/v1 Widget');
    expectError(validateManifest({ apiVersion: 'apps/v1', kind: 'Deploymnet', metadata: { name: 'w' } }), 'no schema for apps/v1 Deploymnet');
    expectError(validateManifest({ apiVersion: 'policy/v1beta1', kind: 'PodSecurityPolicy', metadata: { name: 'p' } }), 'no schema for policy/v1beta1 PodSecurityPolicy');
    expectError(validateManifest({ metadata: { name: 'x' } }), 'apiVersion and kind');
  });

  test('expectValidManifests throws listing every error, and on an empty list', () => {
    expect(() => expectValidManifests([])).toThrow(/validates nothing/);
    expect(() => expectValidManifests([namespace, authorizationPolicy({ action: 'ALOW' }), deployment({ hostNetwrok: true })]))
      .toThrow(/2 schema error\(s\) in 3 manifest\(s\)[\s\S]*ALOW[\s\S]*hostNetwrok/);
  });

  test('knownKinds lists core and CRD kinds', () => {
    const kinds = knownKinds();
    expect(kinds).toContain('apps/v1 Deployment [k8s v1.32.0, v1.35.0]');
    expect(kinds).toContain('security.istio.io/v1 AuthorizationPolicy [crd istio/istio-crds.yaml]');
    expect(kinds).toContain('external-secrets.io/v1beta1 ExternalSecret [crd external-secrets/external-secrets.io_externalsecrets.yaml, not served]');
  });

  describe('ZERO_TRUST_SHARED_DIR', () => {
    const saved = process.env.ZERO_TRUST_SHARED_DIR;
    afterEach(() => {
      if (saved === undefined) delete process.env.ZERO_TRUST_SHARED_DIR;
      else process.env.ZERO_TRUST_SHARED_DIR = saved;
    });

    test('is resolved relative to the repo root', () => {
      process.env.ZERO_TRUST_SHARED_DIR = '../shared';
      expect(resolveSharedDir()).toBe(path.resolve(repoRoot(), '..', 'shared'));
      expect(validateManifest(namespace)).toEqual([]);
    });

    test('a wrong value gives an error naming the missing path and the fix', () => {
      process.env.ZERO_TRUST_SHARED_DIR = 'no-such-shared-dir';
      const missing = path.resolve(repoRoot(), 'no-such-shared-dir');
      expect(() => validateManifest(namespace)).toThrow(`missing shared/ folder: ${missing}`);
      expect(() => expectValidManifests([namespace])).toThrow(/set ZERO_TRUST_SHARED_DIR .*or put shared\/ beside the checkout/);
    });

    test('a shared dir without the k8s schemas names the missing file', () => {
      process.env.ZERO_TRUST_SHARED_DIR = path.resolve(resolveSharedDir(), 'crds');
      expect(() => validateManifest(namespace)).toThrow(/missing Kubernetes v1\.32\.0 schema: .*crds\/k8s-schemas\/v1\.32\.0\/_definitions\.json/);
    });
  });
});

describe('Gatekeeper constraints (kinds generated from ConstraintTemplates)', () => {
  const template = {
    apiVersion: 'templates.gatekeeper.sh/v1',
    kind: 'ConstraintTemplate',
    metadata: { name: 'k8srequiredowner' },
    spec: {
      crd: { spec: { names: { kind: 'K8sRequiredOwner' }, validation: { openAPIV3Schema: { type: 'object', properties: { label: { type: 'string' } } } } } },
      targets: [{ target: 'admission.k8s.gatekeeper.sh', code: [{ engine: 'Rego', source: { rego: 'package k8srequiredowner\n\nviolation[{"msg": msg}] {\n\tmsg := "x"\n}\n' } }] }],
    },
  };
  const constraint = (spec: any, extra: any = {}) => ({
    apiVersion: 'constraints.gatekeeper.sh/v1beta1', kind: 'K8sRequiredOwner', metadata: { name: 'owner', ...extra }, spec,
  });
  const match = { kinds: [{ apiGroups: [''], kinds: ['Namespace'] }], excludedNamespaces: ['kube-*'] };

  test('a constraint is valid with its template in the same set', () => {
    expect(validateManifests([template, constraint({ match, enforcementAction: 'dryrun', parameters: { label: 'owner' } })])).toEqual([]);
  });

  test('parameters are checked by the template schema, strictly; match and enforcementAction by Gatekeeper\'s', () => {
    expect(validateManifests([template, constraint({ match: { ...match, excludedNamespaces: ['kube system'] }, enforcementAction: 'audit', parameters: { labels: ['owner'] } })])).toEqual([
      expect.stringContaining('/spec/enforcementAction: must be equal to one of the allowed values ["deny","dryrun","warn","scoped"], got "audit"'),
      expect.stringContaining('/spec/match/excludedNamespaces/0: must match pattern'),
      expect.stringContaining('/spec/parameters: must NOT have additional properties: unknown field "labels"'),
    ]);
  });

  test('an unknown constraint kind or version fails, and a constraint is cluster-scoped', () => {
    expect(validateManifests([constraint({ match })])).toEqual([expect.stringContaining('no ConstraintTemplate defines kind K8sRequiredOwner in the same set of objects (templates: none)')]);
    expect(validateManifests([template, { ...constraint({ match }), apiVersion: 'constraints.gatekeeper.sh/v2' }]))
      .toEqual([expect.stringContaining('constraints.gatekeeper.sh serves v1, v1beta1, v1alpha1, not v2')]);
    expect(validateManifests([template, constraint({ match }, { namespace: 'default' })])).toEqual([expect.stringContaining('/metadata/namespace: must not be set: K8sRequiredOwner is cluster-scoped')]);
  });
});
