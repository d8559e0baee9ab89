import { Duration, Testing } from 'cdk8s';
import { IMAGE, setup } from './_fixtures';
import {
  MeshMode, MeshService, OutputFile, VaultConnection, VaultInjectedDeployment, VaultIstioStartup, VaultSecret, ZeroTrustNamespace,
} from '../../src';
import { find, synthValid } from '../support/synth';

const DB_TEMPLATE = '{{- with secret "database/creds/orders" -}}\npostgresql://{{ .Data.username }}:{{ .Data.password }}@db:5432/orders\n{{- end }}';

function orders(extra: any = {}) {
  const { chart, prod, vault } = setup();
  const service = new VaultInjectedDeployment(chart, 'orders', {
    namespace: prod,
    image: IMAGE,
    port: 8080,
    vault,
    secrets: [
      { name: 'db', secret: VaultSecret.databaseCredentials('orders'), template: DB_TEMPLATE, fileName: 'db.url' },
      { name: 'api', secret: VaultSecret.kv('secret', 'production/orders/api') },
    ],
    ...extra,
  });
  return { chart, prod, vault, service };
}

const annotationsOf = (manifests: any[]) => find(manifests, 'Deployment', 'orders', 'production').spec.template.metadata.annotations;

describe('VaultInjectedDeployment', () => {
  test('snapshot, and the injector annotations have the exact names and value formats', () => {
    // GIVEN / WHEN
    const { chart } = orders();
    // THEN
    const manifests = synthValid(chart);
    expect(manifests).toMatchSnapshot();
    expect(annotationsOf(manifests)).toEqual({
      'kubectl.kubernetes.io/default-container': 'app',
      'sidecar.istio.io/rewriteAppHTTPProbers': 'true',
      'sidecar.istio.io/nativeSidecar': 'true',
      // pinned, so admission policies can allow exactly this image
      'vault.hashicorp.com/agent-image': 'hashicorp/vault:1.20.4',
      'vault.hashicorp.com/agent-inject': 'true',
      'vault.hashicorp.com/role': 'production-orders',
      'vault.hashicorp.com/service': 'https://vault.vault.svc:8200',
      'vault.hashicorp.com/auth-path': 'auth/kubernetes',
      'vault.hashicorp.com/tls-secret': 'vault-ca',
      'vault.hashicorp.com/ca-cert': '/vault/tls/ca.crt',
      'vault.hashicorp.com/agent-service-account-token-volume-name': 'vault-token',
      'vault.hashicorp.com/agent-inject-containers': 'app',
      'vault.hashicorp.com/agent-pre-populate-only': 'false',
      'vault.hashicorp.com/agent-init-first': 'false',
      'vault.hashicorp.com/agent-set-security-context': 'true',
      'vault.hashicorp.com/agent-run-as-user': '100',
      'vault.hashicorp.com/agent-run-as-group': '10001',
      'vault.hashicorp.com/agent-requests-cpu': '250m',
      'vault.hashicorp.com/agent-limits-cpu': '500m',
      'vault.hashicorp.com/agent-requests-mem': '64Mi',
      'vault.hashicorp.com/agent-limits-mem': '128Mi',
      'vault.hashicorp.com/agent-inject-secret-db': 'database/creds/orders',
      'vault.hashicorp.com/agent-inject-template-db': DB_TEMPLATE,
      'vault.hashicorp.com/error-on-missing-key-db': 'true',
      'vault.hashicorp.com/agent-inject-file-db': 'db.url',
      'vault.hashicorp.com/agent-inject-perms-db': '0440',
      'vault.hashicorp.com/agent-inject-secret-api': 'secret/data/production/orders/api',
      'vault.hashicorp.com/agent-inject-file-api': 'api',
      'vault.hashicorp.com/agent-inject-perms-api': '0440',
    });
  });

  test('the pod meets restricted Pod Security with the injected containers: seccomp at the pod, no app token, agent token with the Vault audience', () => {
    const { chart } = orders();
    const pod = find(synthValid(chart), 'Deployment', 'orders').spec.template.spec;
    // the injector sets no seccomp profile on its containers: the pod's applies to them
    expect(pod.securityContext.seccompProfile).toEqual({ type: 'RuntimeDefault' });
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.volumes).toEqual([{
      name: 'vault-token',
      projected: { sources: [{ serviceAccountToken: { audience: 'vault', expirationSeconds: 600, path: 'token' } }] },
    }]);
    // the app container does not mount the login token
    expect(pod.containers[0].volumeMounts ?? []).toEqual([]);
  });

  test('starts under STRICT mTLS: native sidecar, agent init after the proxy, egress to exactly the Vault pods and port', () => {
    const { chart } = orders();
    const manifests = synthValid(chart);
    expect(find(manifests, 'PeerAuthentication', 'default', 'production').spec).toEqual({ mtls: { mode: 'STRICT' } });
    expect(annotationsOf(manifests)['sidecar.istio.io/nativeSidecar']).toBe('true');
    expect(annotationsOf(manifests)['vault.hashicorp.com/agent-init-first']).toBe('false');
    expect(find(manifests, 'NetworkPolicy', 'orders-vault-egress', 'production').spec).toEqual({
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'orders' } },
      policyTypes: ['Egress'],
      egress: [{
        to: [{
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'vault' } },
          podSelector: { matchLabels: { 'app.kubernetes.io/name': 'vault', 'component': 'server' } },
        }],
        ports: [{ protocol: 'TCP', port: 8200 }],
      }],
    });
  });

  test('EXCLUDE_VAULT_PORT excludes the port clients dial, and then allows agent-init-first', () => {
    const { chart } = orders({ istioStartup: VaultIstioStartup.EXCLUDE_VAULT_PORT, agentInitFirst: true });
    const a = annotationsOf(synthValid(chart));
    expect(a['traffic.sidecar.istio.io/excludeOutboundPorts']).toBe('8200');
    expect(a['sidecar.istio.io/nativeSidecar']).toBeUndefined();
    expect(a['vault.hashicorp.com/agent-init-first']).toBe('true');
  });

  test('ambient namespaces get no sidecar annotations', () => {
    const chart = Testing.chart();
    const ns = new ZeroTrustNamespace(chart, 'amb', { meshMode: MeshMode.AMBIENT });
    const vault = new VaultConnection(chart, 'Vault', { address: 'https://vault.example.com' });
    new VaultInjectedDeployment(chart, 'orders', { namespace: ns, image: IMAGE, port: 8080, vault, secrets: [{ name: 'db', secret: VaultSecret.databaseCredentials('orders') }] });
    const a = find(synthValid(chart), 'Deployment', 'orders').spec.template.metadata.annotations;
    expect(Object.keys(a).filter(k => k.includes('istio.io'))).toEqual(['sidecar.istio.io/rewriteAppHTTPProbers']);
    expect(a['vault.hashicorp.com/service']).toBe('https://vault.example.com');
  });

  test('typed options: pre-populate-only, agent user, resources, role, TTLs, token lifetime', () => {
    const { chart, service } = orders({
      prePopulateOnly: true,
      agentUser: 2000,
      role: 'orders-reader',
      agentResources: { cpuRequest: '50m', cpuLimit: '100m', memoryRequest: '32Mi', memoryLimit: '64Mi' },
      tokenTtl: Duration.minutes(5),
      tokenMaxTtl: Duration.minutes(30),
      loginTokenExpiration: Duration.hours(1),
    });
    const manifests = synthValid(chart);
    const a = annotationsOf(manifests);
    expect(a['vault.hashicorp.com/agent-pre-populate-only']).toBe('true');
    expect(a['vault.hashicorp.com/agent-run-as-user']).toBe('2000');
    expect(a['vault.hashicorp.com/role']).toBe('orders-reader');
    expect([a['vault.hashicorp.com/agent-requests-cpu'], a['vault.hashicorp.com/agent-limits-cpu'], a['vault.hashicorp.com/agent-requests-mem'], a['vault.hashicorp.com/agent-limits-mem']])
      .toEqual(['50m', '100m', '32Mi', '64Mi']);
    expect(service.vaultRole.toRoleJson()).toEqual(expect.objectContaining({ token_ttl: 300, token_max_ttl: 1800, token_policies: ['orders-reader'] }));
    expect(find(manifests, 'Deployment', 'orders').spec.template.spec.volumes[0].projected.sources[0].serviceAccountToken.expirationSeconds).toBe(3600);
    expect(service.secretFiles).toEqual({ db: '/vault/secrets/db.url', api: '/vault/secrets/api' });
  });

  test('stays a workload of the intent graph: allowFrom works and the role files are written', () => {
    const { chart, prod, service } = orders();
    const gateway = new MeshService(chart, 'gateway', { namespace: prod, image: IMAGE, port: 8080 });
    service.allowFrom(gateway, { methods: ['GET'] });
    const manifests = synthValid(chart);
    expect(find(manifests, 'AuthorizationPolicy', 'orders', 'production').spec.rules[0].from[0].source.principals).toEqual(['cluster.local/ns/production/sa/gateway']);
    expect(OutputFile.of(chart.node.root).map(f => f.relativePath)).toEqual([
      'vault/apply.sh', 'vault/policies/production-orders.hcl', 'vault/roles/production-orders.json',
    ]);
  });

  describe('bad input', () => {
    const secret = (name: string, s: VaultSecret = VaultSecret.databaseCredentials('orders'), more: any = {}) => ({ name, secret: s, ...more });
    const build = (extra: any, vaultProps: any = {}) => {
      const { chart, prod, vault } = setup(vaultProps);
      return () => new VaultInjectedDeployment(chart, 'orders', { namespace: prod, image: IMAGE, port: 8080, vault, secrets: [secret('db')], ...extra });
    };
    test.each([
      ['an empty path', VaultSecret.kv('secret', ''), /^\[test\/orders\] invalid secrets\[0\]\.secret\.path "": must be a Vault path/],
      ['a relative path', VaultSecret.kv('secret', '../admin/root'), /invalid secrets\[0\]\.secret\.path "\.\.\/admin\/root": must be a Vault path .*no '\.' or '\.\.' segments/],
      ['an absolute path', VaultSecret.fromPath('/secret/data/x'), /invalid secrets\[0\]\.secret\.path "\/secret\/data\/x": must be a Vault path/],
      ['a wildcard path', VaultSecret.kv('secret', 'production/*'), /invalid secrets\[0\]\.secret\.path "production\/\*": .*no wildcards/],
      ['an empty mount', VaultSecret.databaseCredentials('orders', ''), /invalid secrets\[0\]\.secret\.mount "": must be a Vault path/],
      ['a KV v2 path with data/', VaultSecret.kv('secret', 'data/x'), /invalid secrets\[0\]\.secret\.path "data\/x": must not start with 'data\/'/],
    ])('fails on %s', (_, bad, message) => {
      expect(build({ secrets: [secret('db', bad)] })).toThrow(message);
    });

    test('fails on duplicate secret names', () => {
      expect(build({ secrets: [secret('db'), secret('db', VaultSecret.kv('secret', 'x'))] }))
        .toThrow(/^\[test\/orders\] invalid secrets\[1\]\.name "db": is listed twice/);
    });

    test('fails on duplicate file names', () => {
      expect(build({ secrets: [secret('db'), secret('db2', VaultSecret.kv('secret', 'x'), { fileName: 'db' })] }))
        .toThrow(/invalid secrets\[1\]\.fileName "db": secret 'db' already renders this file/);
    });

    test('fails on a wildcard role', () => {
      expect(build({ role: 'orders-*' })).toThrow(/^\[test\/orders\/VaultRole\] invalid roleName "orders-\*": must be a Vault role name .*no wildcards/);
    });

    test('fails on a role bound to the default ServiceAccount', () => {
      expect(build({ serviceAccountName: 'default' }))
        .toThrow(/^\[test\/orders\/VaultRole\] invalid serviceAccountName "default": a Vault role must not trust the 'default' ServiceAccount/);
    });

    test('fails on an insecure address', () => {
      const chart = Testing.chart();
      expect(() => new VaultConnection(chart, 'Vault', { address: 'http://vault.vault.svc:8200' }))
        .toThrow(/^\[test\/Vault\] invalid address "http:\/\/vault\.vault\.svc:8200": must use https:\/\/.*; enable TLS on Vault/);
      expect(new VaultConnection(chart, 'Dev', { address: 'http://vault.vault.svc:8200', allowInsecureHttp: true }).isTls).toBe(false);
    });

    test('fails on agent-init-first with native sidecars', () => {
      expect(build({ agentInitFirst: true })).toThrow(/invalid agentInitFirst true: with native sidecars, vault-agent-init must run after istio-proxy/);
    });

    test('fails on excluding the Vault port from the mesh with plain http', () => {
      expect(build({ istioStartup: VaultIstioStartup.EXCLUDE_VAULT_PORT }, { address: 'http://vault.vault.svc:8200', allowInsecureHttp: true }))
        .toThrow(/invalid istioStartup "exclude-vault-port": traffic to http:\/\/vault\.vault\.svc:8200 would bypass the mesh in plaintext/);
    });

    test('fails on a template reading another path than declared', () => {
      expect(build({ secrets: [secret('db', undefined, { template: '{{ with secret "database/creds/admin" }}{{ .Data.password }}{{ end }}' })] }))
        .toThrow(/invalid secrets\[0\]\.template "database\/creds\/admin": the template may read only "database\/creds\/orders"/);
    });

    test.each([
      ['a raw string', '{{ with secret `database/creds/admin` }}{{ .Data.password }}{{ end }}', /invalid secrets\[0\]\.template "database\/creds\/admin": the template may read only "database\/creds\/orders"/],
      ['print', '{{ with secret (print "database/creds/" "admin") }}{{ .Data.password }}{{ end }}', /must call secret with exactly one string literal naming "database\/creds\/orders"/],
      ['a variable', '{{ $p := "database/creds/admin" }}{{ with secret $p }}{{ .Data.password }}{{ end }}', /must call secret with exactly one string literal/],
      ['a pipeline', '{{ with "database/creds/admin" | secret }}{{ .Data.password }}{{ end }}', /must call secret with exactly one string literal/],
      ['a write with arguments', '{{ with secret "database/creds/orders" "ttl=1h" }}{{ .Data.password }}{{ end }}', /must call secret with exactly one string literal/],
      ['a second secret hidden in a string', '{{ with secret "database/creds/orders" }}{{ "}}" }}{{ end }}{{ with secret "database/creds/admin" }}{{ end }}', /the template may read only/],
      ['the agent token file', '{{ with secret "database/creds/orders" }}{{ file "/home/vault/.vault-token" }}{{ end }}', /invalid secrets\[0\]\.template "file": reads or writes something other than "database\/creds\/orders"/],
      ['an unterminated action', '{{ with secret "database/creds/orders" }}{{ .Data.password }{{ end', /is not a valid Go template: (unclosed action|unexpected character '}')/],
      ['an unterminated string', '{{ with secret "database/creds/orders }}{{ end }}', /is not a valid Go template: (newline in|unterminated) string/],
    ])('fails on a template reading another path through %s', (_, template, message) => {
      expect(build({ secrets: [secret('db', undefined, { template })] })).toThrow(message);
    });

    test('accepts a template with raw-string path, trim markers, comments and pipelines on the data', () => {
      const template = '{{/* orders */}}{{- with secret `database/creds/orders` -}}{{ .Data.username | printf "%s" }}{{ end }}';
      expect(build({ secrets: [secret('db', undefined, { template })] })()).toBeInstanceOf(VaultInjectedDeployment);
    });

    test.each([['default'], ['root']])('fails on the reserved Vault policy name %s', role => {
      expect(build({ role })).toThrow(new RegExp(`^\\[test\\/orders\\/VaultRole\\] invalid roleName "${role}": is a policy Vault reserves`));
    });

    test.each([['db-'], ['-db'], ['x'.repeat(42)], ['a.']])('fails on the secret name %p, which would make an invalid annotation key', name => {
      expect(build({ secrets: [secret(name)] })).toThrow(/invalid secrets\[0\]\.name .*it becomes part of annotation keys/);
    });

    test('fails on a wildcard or look-alike Vault address under the VaultConnection', () => {
      const chart = Testing.chart();
      expect(() => new VaultConnection(chart, 'Vault', { address: 'https://*.vault.svc:8200' }))
        .toThrow(/^\[test\/Vault\] invalid address "https:\/\/\*\.vault\.svc:8200": must be a Vault address with scheme, one host \(a DNS name or an IP address: no wildcard\)/);
      // a Cyrillic 'а' the URL parser would turn into another (punycode) host
      expect(() => new VaultConnection(chart, 'Lookalike', { address: 'https://v\u0430ult.vault.svc:8200' })).toThrow(/^\[test\/Lookalike\] invalid address/);
      expect(() => new VaultConnection(chart, 'Type', { address: 42 as any })).toThrow(/^\[test\/Type\] invalid address 42/);
    });

    test.each([['0444'], ['0460'], ['644'], ['0x40']])('fails on permissions %s', perms => {
      expect(build({ secrets: [secret('db', undefined, { permissions: perms })] })).toThrow(/invalid secrets\[0\]\.permissions/);
    });

    test.each([[0], [1337]])('fails on agent user %d', uid => {
      expect(build({ agentUser: uid })).toThrow(/invalid agentUser \d+: must be an integer between 1 and 2147483647, not 1337/);
    });

    test('fails on a credential in env, without showing its value', () => {
      const fn = build({ env: { LOG_LEVEL: 'info', DB_PASSWORD: 'hunter2' } });
      expect(fn).toThrow(/^\[test\/orders\] invalid env "DB_PASSWORD": must not carry a credential.*; declare it as a Vault secret/);
      expect(fn).not.toThrow(/hunter2/);
    });

    test('fails on an upper-case secret name and on no secrets', () => {
      expect(build({ secrets: [secret('DB')] })).toThrow(/invalid secrets\[0\]\.name "DB": must be 1-41 lower-case/);
      expect(build({ secrets: [] })).toThrow(/invalid secrets \[\]: must list at least one secret/);
    });
  });
});
