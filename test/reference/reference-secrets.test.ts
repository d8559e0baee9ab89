import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Testing, YamlOutputType } from 'cdk8s';
import * as yaml from 'yaml';
import { OutputFile, ReferenceArchitecture } from '../../src';
import { find, ofKind, synthAppValid } from '../support/synth';

function reference() {
  const app = Testing.app({ yamlOutputType: YamlOutputType.FILE_PER_CHART });
  const ref = new ReferenceArchitecture(app, 'zero-trust');
  return { app, ref, manifests: synthAppValid(app) };
}

/** Every string value of an object, with its JSON path. */
function strings(value: any, at = ''): Array<[string, string]> {
  if (typeof value === 'string') return [[at, value]];
  if (Array.isArray(value)) return value.flatMap((v, i) => strings(v, `${at}[${i}]`));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => strings(v, `${at}.${k}`));
  return [];
}

const CREDENTIAL_NAME = /(pass(word)?|secret|token|api[-_]?key|private[-_]?key|credential)/i;
const CREDENTIAL_VALUE = /(-----BEGIN [A-Z ]*PRIVATE KEY-----|AKIA[0-9A-Z]{16}|\b(hvs|hvb|s)\.[A-Za-z0-9]{20,}|:\/\/[^/\s:@]+:[^/\s@{]+@)/;

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
    const { app, manifests } = reference();
    expect(find(manifests, 'PeerAuthentication', 'default', 'production').spec.mtls.mode).toBe('STRICT');
    const secrets = Testing.synth(app.charts.find(c => c.node.id === 'secrets')!);
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

  test('synthAll writes one Vault role and policy per workload: exactly one ServiceAccount, exactly the paths used', () => {
    const { app } = reference();
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'reference-vault-'));
    const written = OutputFile.synthAll(app, outdir);
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
    const outdir = app.outdir;
    OutputFile.synthAll(app);
    // no Secret objects with data, no env values or annotations that look like credentials
    expect(manifests.filter(m => m.kind === 'Secret' && (m.data || m.stringData))).toEqual([]);
    const offending: string[] = [];
    for (const m of manifests) {
      for (const [at, value] of strings(m)) {
        if (CREDENTIAL_VALUE.test(value)) offending.push(`${m.kind}/${m.metadata.name}${at}`);
      }
      for (const container of [...(m.spec?.template?.spec?.containers ?? []), ...(m.spec?.template?.spec?.initContainers ?? [])]) {
        for (const env of container.env ?? []) {
          if (CREDENTIAL_NAME.test(env.name) && env.value !== undefined) offending.push(`${m.kind}/${m.metadata.name} env ${env.name}`);
        }
      }
      for (const [key, value] of Object.entries<string>(m.spec?.template?.metadata?.annotations ?? {})) {
        // Vault annotations carry paths and templates only: every template value is a `{{ ... }}` expression
        if (key.startsWith('vault.hashicorp.com/agent-inject-template-')) {
          expect(value.replace(/\{\{[^}]*\}\}/g, '')).not.toMatch(/PASSWORD=\S|USER=\S/);
        }
      }
    }
    // every written file, Kubernetes YAML and Vault files alike
    const files = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true })
      .flatMap(e => (e.isDirectory() ? files(path.join(dir, e.name)) : [path.join(dir, e.name)]));
    const all = files(outdir);
    expect(all.length).toBe(5 + 5);
    for (const file of all) {
      const text = fs.readFileSync(file, 'utf8');
      if (CREDENTIAL_VALUE.test(text)) offending.push(file);
      if (file.endsWith('.yaml')) {
        for (const doc of yaml.parseAllDocuments(text).map(d => d.toJSON())) {
          if (doc.kind === 'Secret') offending.push(`${file}: Secret ${doc.metadata.name}`);
        }
      }
    }
    expect(offending).toEqual([]);
    expect(ofKind(manifests, 'Secret')).toEqual([]);
  });

  test('the scan catches a secret value: a Secret with data and a credential in env', () => {
    const planted = [{ kind: 'Deployment', metadata: { name: 'x' }, spec: { template: { spec: { containers: [{ env: [{ name: 'DB_PASSWORD', value: 'hunter2' }, { name: 'URL', value: 'postgres://app:hunter2@db/x' }] }] } } } }];
    const hits = planted.flatMap(m => strings(m).filter(([, v]) => CREDENTIAL_VALUE.test(v)));
    expect(hits.map(([at]) => at)).toEqual(['.spec.template.spec.containers[0].env[1].value']);
    expect(CREDENTIAL_NAME.test('DB_PASSWORD')).toBe(true);
    expect(CREDENTIAL_VALUE.test('token: hvs.CAESIJ1234567890abcdefghijkl')).toBe(true);
  });
});
