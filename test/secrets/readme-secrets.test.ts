import * as fs from 'fs';
import * as path from 'path';
import * as cdk8s from 'cdk8s';
import * as lib from '../../src';
import { readmeSnippet, runReadmeApp } from '../support/readme';
import { find, synthValid } from '../support/synth';

describe('README: Secrets from Vault', () => {
  test('the example runs, and synthesizes what the section says', () => {
    const app = runReadmeApp(readmeSnippet('### Secrets from Vault'));
    const chart = app.node.findChild('shop') as cdk8s.Chart;
    const manifests = synthValid(chart);
    const annotations = find(manifests, 'Deployment', 'order-service', 'production').spec.template.metadata.annotations;
    expect(annotations['vault.hashicorp.com/agent-inject-secret-db']).toBe('database/creds/order-service');
    expect(annotations['vault.hashicorp.com/agent-inject-file-db']).toBe('db.env');
    expect(annotations['vault.hashicorp.com/agent-inject-perms-db']).toBe('0440');
    expect(annotations['sidecar.istio.io/nativeSidecar']).toBe('true');
    expect(find(manifests, 'NetworkPolicy', 'order-service-vault-egress', 'production').spec.egress[0].ports).toEqual([{ protocol: 'TCP', port: 8200 }]);
    const files = Object.fromEntries(lib.OutputFile.of(app).map(f => [f.relativePath, f.renderContents()]));
    expect(Object.keys(files)).toEqual(['vault/apply.sh', 'vault/policies/production-order-service.hcl', 'vault/roles/production-order-service.json']);
    expect(JSON.parse(files['vault/roles/production-order-service.json'])).toEqual(expect.objectContaining({
      bound_service_account_names: ['order-service'], bound_service_account_namespaces: ['production'], audience: 'vault', token_ttl: 900, token_max_ttl: 3600,
    }));
    // the example synthesizes with Synthesis.synth: the Vault files beside the manifests folder
    expect(fs.readFileSync(path.join(`${app.outdir}-files`, 'vault/roles/production-order-service.json'), 'utf8')).toBe(files['vault/roles/production-order-service.json']);
    expect(files['vault/apply.sh']).toContain('vault write \'auth/kubernetes/role/production-order-service\' \'@vault/roles/production-order-service.json\'');
  });
});
