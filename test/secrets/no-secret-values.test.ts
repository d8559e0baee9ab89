import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { IMAGE, setup } from './_fixtures';
import { secretValueFindings } from './_no-secret-values';
import { MeshService, OutputFile, VaultCsiSecrets, VaultExternalSecrets, VaultInjectedDeployment, VaultSecret } from '../../src';
import { synthValid } from '../support/synth';

describe('no secret values in the output', () => {
  test('every object and output file of the injector, CSI and External Secrets deliveries holds paths and templates only', () => {
    // GIVEN every delivery method, with templates and several engines
    const { chart, prod, vault } = setup();
    new VaultInjectedDeployment(chart, 'orders', {
      namespace: prod,
      image: IMAGE,
      port: 8080,
      vault,
      env: { LOG_LEVEL: 'info' },
      secrets: [
        { name: 'db', secret: VaultSecret.databaseCredentials('orders'), template: '{{ with secret "database/creds/orders" }}DB_URL=postgres://{{ .Data.username }}:{{ .Data.password }}@db/orders{{ end }}' },
        { name: 'api', secret: VaultSecret.kv('secret', 'production/orders/api') },
      ],
    });
    const csiWorkload = new MeshService(chart, 'payments', { namespace: prod, image: IMAGE, port: 8080 });
    new VaultCsiSecrets(chart, 'Csi', { workload: csiWorkload, vault, secrets: [{ name: 'password', secret: VaultSecret.databaseCredentials('payments'), key: 'password' }] });
    const esoWorkload = new MeshService(chart, 'inventory', { namespace: prod, image: IMAGE, port: 8080 });
    new VaultExternalSecrets(chart, 'Eso', { workload: esoWorkload, vault, secrets: [{ name: 'api', secret: VaultSecret.kv('secret', 'production/inventory/api') }] });
    // WHEN
    const manifests = synthValid(chart);
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'no-secret-values-'));
    const written = OutputFile.synthAll(chart.node.root as any, outdir);
    const files = Object.fromEntries(written.map(f => [f, fs.readFileSync(path.join(outdir, f), 'utf8')]));
    // THEN
    expect(written).toHaveLength(1 + 3 * 2);
    expect(secretValueFindings(manifests, files)).toEqual([]);
    expect(manifests.filter(m => m.kind === 'Secret')).toEqual([]);
    expect(Testing.synth(chart).length).toBe(manifests.length);
  });
});
