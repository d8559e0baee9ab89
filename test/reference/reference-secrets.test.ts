import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as yaml from 'yaml';
import { reference } from './_reference';
import { OutputFile } from '../../src';
import { CREDENTIAL_NAME, CREDENTIAL_VALUE, secretValueFindings, strings } from '../secrets/_no-secret-values';
import { find, ofKind } from '../support/synth';

describe('ReferenceArchitecture: secrets layer', () => {
  test('order-service and payment-service read dynamic database credentials from Vault, with exact annotations', () => {
    const { manifests } = reference();
    for (const name of ['order-service', 'payment-service']) {
      const annotations = find(manifests, 'Deployment', name, 'production').spec.template.metadata.annotations;
      expect(annotations).toEqual(expect.objectContaining({
        'vault.hashicorp.com/agent-inject': 'true',
        'vault.hashicorp.com/role': `production-${name}`,
        'vault.hashicorp.com/service': 'https://vault.vault.svc:8200',
        'vault.hashicorp.com/agent-inject-secret-db': `database/creds/${name}`,
        'vault.hashicorp.com/agent-inject-file-db': 'db.env',
        'vault.hashicorp.com/agent-inject-perms-db': '0440',
        'vault.hashicorp.com/agent-inject-template-db':
          `{{- with secret "database/creds/${name}" -}}\nPGUSER={{ .Data.username }}\nPGPASSWORD={{ .Data.password }}\n{{- end }}\n`,
        'vault.hashicorp.com/agent-service-account-token-volume-name': 'vault-token',
        'vault.hashicorp.com/tls-secret': 'vault-ca',
        'vault.hashicorp.com/ca-cert': '/vault/tls/ca.crt',
        'sidecar.istio.io/nativeSidecar': 'true',
      }));
    }
    // the other services are untouched
    for (const name of ['api-gateway', 'inventory-service']) {
      const annotations = find(manifests, 'Deployment', name, 'production').spec.template.metadata.annotations;
      expect(Object.keys(annotations).filter(k => k.startsWith('vault.hashicorp.com/'))).toEqual([]);
    }
  });

  test('the pods start under STRICT mTLS: native sidecar, agent init after the proxy, egress to Vault in the secrets chart', () => {
    const { app, layers, manifests } = reference();
    expect(find(manifests, 'PeerAuthentication', 'default', 'production').spec.mtls.mode).toBe('STRICT');
    const secrets = layers.get('secrets')!;
    expect(secrets.map(m => `${m.kind}/${m.metadata.namespace}/${m.metadata.name}`).sort()).toEqual([
      'NetworkPolicy/production/order-service-vault-egress', 'NetworkPolicy/production/payment-service-vault-egress',
    ]);
    for (const policy of secrets) {
      expect(policy.spec.egress).toEqual([{
        to: [{
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'vault' } },
          podSelector: { matchLabels: { 'app.kubernetes.io/name': 'vault', 'component': 'server' } },
        }],
        ports: [{ protocol: 'TCP', port: 8200 }],
      }]);
    }
    for (const name of ['order-service', 'payment-service']) {
      const a = find(manifests, 'Deployment', name).spec.template.metadata.annotations;
      expect([a['sidecar.istio.io/nativeSidecar'], a['vault.hashicorp.com/agent-init-first']]).toEqual(['true', 'false']);
    }
    // the secrets chart is applied after the mesh and before the workloads
    expect(app.charts.map(c => c.node.id).filter(id => ['mesh', 'secrets', 'workloads'].includes(id))).toEqual(['mesh', 'secrets', 'workloads']);
  });

  test('the Vault agents still reach Vault through REGISTRY_ONLY Sidecars (edge layer), and nothing else gains that host', () => {
    const { manifests } = reference();
    const vaultHost = 'vault/vault.vault.svc.cluster.local';
    // payment-service has its own Sidecar (it calls api.stripe.com); order-service is under the namespace default
    const own = find(manifests, 'Sidecar', 'payment-service', 'production').spec;
    const namespaceDefault = find(manifests, 'Sidecar', 'default', 'production').spec;
    for (const spec of [own, namespaceDefault]) {
      expect(spec.outboundTrafficPolicy.mode).toBe('REGISTRY_ONLY');
      expect(spec.egress[0].hosts).toContain(vaultHost);
    }
    // only the Vault-injected workloads see Vault: the namespace default serves order-service, api-gateway and
    // inventory-service, so the host is there once for all of them (a Sidecar is per workload or per namespace)
    expect(ofKind(manifests, 'Sidecar').filter(sc => sc.spec.egress[0].hosts.includes(vaultHost)).map(sc => `${sc.metadata.namespace}/${sc.metadata.name}`).sort())
      .toEqual(['production/default', 'production/payment-service']);
  });

  test('synthAll writes one Vault role and policy per workload: exactly one ServiceAccount, exactly the paths used', () => {
    const { app } = reference();
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'reference-vault-'));
    const written = OutputFile.synthAll(app, outdir).filter(f => f.startsWith('vault/'));
    expect(written).toEqual([
      'vault/apply.sh',
      'vault/policies/production-order-service.hcl', 'vault/policies/production-payment-service.hcl',
      'vault/roles/production-order-service.json', 'vault/roles/production-payment-service.json',
    ]);
    const files = Object.fromEntries(written.map(f => [f, fs.readFileSync(path.join(outdir, f), 'utf8')]));
    expect(files).toMatchSnapshot();
    for (const name of ['order-service', 'payment-service']) {
      const role = JSON.parse(files[`vault/roles/production-${name}.json`]);
      expect(role.bound_service_account_names).toEqual([name]);
      expect(role.bound_service_account_namespaces).toEqual(['production']);
      expect(role.audience).toBe('vault');
      expect(role.token_policies).toEqual([`production-${name}`]);
      const policy = files[`vault/policies/production-${name}.hcl`];
      expect([...policy.matchAll(/path "([^"]+)"/g)].map(m => m[1])).toEqual([`database/creds/${name}`]);
      expect([...policy.matchAll(/capabilities = (.*)/g)].map(m => m[1])).toEqual(['["read"]']);
    }
  });

  test('no secret value anywhere in the synthesized output: objects, YAML files and Vault files', () => {
    const { app, manifests } = reference();
    app.synth();
    OutputFile.synthAll(app);
    const list = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true })
      .flatMap(e => (e.isDirectory() ? list(path.join(dir, e.name)) : [path.join(dir, e.name)]));
    const files = Object.fromEntries([...list(app.outdir), ...list(`${app.outdir}-files`)].map(f => [f, fs.readFileSync(f, 'utf8')]));
    // one YAML file per chart plus every output file (Vault, Helm values, ...): nothing unscanned
    expect(Object.keys(files)).toHaveLength(app.charts.length + OutputFile.of(app).length);
    expect(Object.keys(files).filter(f => f.includes('/vault/'))).toHaveLength(5);
    const written = Object.entries(files).filter(([f]) => f.endsWith('.k8s.yaml'))
      .flatMap(([, text]) => yaml.parseAllDocuments(text).map(d => d.toJSON()));
    expect(written).toHaveLength(manifests.length);
    expect(secretValueFindings([...manifests, ...written], files)).toEqual([]);
    expect(ofKind(written, 'Secret')).toEqual([]);
  });

  test('the scan catches secret values: a Secret with data, credentials in env, a literal in a template, a token in a file', () => {
    const planted = [
      { kind: 'Secret', metadata: { name: 's' }, stringData: { password: 'x' } },
      {
        kind: 'Deployment',
        metadata: { name: 'x' },
        spec: {
          template: {
            metadata: { annotations: { 'vault.hashicorp.com/agent-inject-template-db': 'PGPASSWORD=hunter2\nPGUSER={{ .Data.username }}' } },
            spec: { containers: [{ env: [{ name: 'DB_PASSWORD', value: 'hunter2' }, { name: 'URL', value: 'postgres://app:hunter2@db/x' }] }] },
          },
        },
      },
    ];
    expect(secretValueFindings(planted, { 'vault/x.json': '{"token": "hvs.CAESIJ1234567890abcdefghijkl"}' })).toEqual([
      'Secret//s has data',
      'Deployment//x.spec.template.spec.containers[0].env[1].value',
      'Deployment//x env DB_PASSWORD',
      'Deployment//x annotation vault.hashicorp.com/agent-inject-template-db',
      'vault/x.json',
    ]);
    expect(strings({ a: ['b'] })).toEqual([['.a[0]', 'b']]);
    expect(CREDENTIAL_NAME.test('PGPASSWORD')).toBe(true);
    expect(CREDENTIAL_VALUE.test('postgres://{{ .Data.username }}@db')).toBe(false);
  });
});
