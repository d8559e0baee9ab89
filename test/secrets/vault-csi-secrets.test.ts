import * as yaml from 'yaml';
import { IMAGE, setup } from './_fixtures';
import { MeshService, OutputFile, VaultCsiSecrets, VaultInjectedDeployment, VaultSecret } from '../../src';
import { find, synthValid } from '../support/synth';

describe('VaultCsiSecrets', () => {
  test('snapshot: SecretProviderClass with provider vault, a read-only CSI volume, the same least-privilege role', () => {
    // GIVEN
    const { chart, prod, vault } = setup({ tlsServerName: 'vault.internal' });
    const orders = new MeshService(chart, 'orders', { namespace: prod, image: IMAGE, port: 8080 });
    // WHEN
    const csi = new VaultCsiSecrets(chart, 'Csi', {
      workload: orders,
      vault,
      secrets: [
        { name: 'db-username', secret: VaultSecret.databaseCredentials('orders'), key: 'username' },
        { name: 'db-password', secret: VaultSecret.databaseCredentials('orders'), key: 'password' },
        { name: 'api-key', secret: VaultSecret.kv('secret', 'production/orders/api'), key: 'key' },
      ],
    });
    // THEN
    const manifests = synthValid(chart);
    expect(manifests).toMatchSnapshot();
    const spc = find(manifests, 'SecretProviderClass', 'orders-vault', 'production');
    expect(spc.spec.provider).toBe('vault');
    expect({ ...spc.spec.parameters, objects: undefined }).toEqual({
      roleName: 'production-orders',
      vaultAddress: 'https://vault.vault.svc:8200',
      vaultKubernetesMountPath: 'kubernetes',
      audience: 'vault',
      vaultTLSServerName: 'vault.internal',
      objects: undefined,
    });
    expect(yaml.parse(spc.spec.parameters.objects)).toEqual([
      { objectName: 'db-username', secretPath: 'database/creds/orders', secretKey: 'username' },
      { objectName: 'db-password', secretPath: 'database/creds/orders', secretKey: 'password' },
      { objectName: 'api-key', secretPath: 'secret/data/production/orders/api', secretKey: 'key' },
    ]);
    const pod = find(manifests, 'Deployment', 'orders').spec.template.spec;
    expect(pod.volumes).toEqual([{ name: 'vault-secrets', csi: { driver: 'secrets-store.csi.k8s.io', readOnly: true, volumeAttributes: { secretProviderClass: 'orders-vault' } } }]);
    expect(pod.containers[0].volumeMounts).toEqual([{ name: 'vault-secrets', mountPath: '/vault/secrets', readOnly: true }]);
    expect(csi.vaultRole.policyPaths).toEqual(['database/creds/orders', 'secret/data/production/orders/api']);
    expect(OutputFile.of(chart.node.root).map(f => f.relativePath)).toContain('vault/roles/production-orders.json');
  });

  test('fails on duplicate names, a bad key, a VaultInjectedDeployment and a relative mount path', () => {
    const { chart, prod, vault } = setup();
    const orders = new MeshService(chart, 'orders', { namespace: prod, image: IMAGE, port: 8080 });
    const db = VaultSecret.databaseCredentials('orders');
    expect(() => new VaultCsiSecrets(chart, 'A', { workload: orders, vault, secrets: [{ name: 'x', secret: db, key: 'a' }, { name: 'x', secret: db, key: 'b' }] }))
      .toThrow(/^\[test\/A\] invalid secrets\[1\]\.name "x": is listed twice/);
    expect(() => new VaultCsiSecrets(chart, 'B', { workload: orders, vault, secrets: [{ name: 'x', secret: db, key: 'a b' }] }))
      .toThrow(/^\[test\/B\] invalid secrets\[0\]\.key "a b"/);
    expect(() => new VaultCsiSecrets(chart, 'C', { workload: orders, vault, mountPath: 'secrets', secrets: [{ name: 'x', secret: db, key: 'a' }] }))
      .toThrow(/^\[test\/C\] invalid mountPath "secrets": must be an absolute directory path/);
    const injected = new VaultInjectedDeployment(chart, 'inj', { namespace: prod, image: IMAGE, port: 8080, vault, secrets: [{ name: 'db', secret: VaultSecret.databaseCredentials('inj') }] });
    expect(() => new VaultCsiSecrets(chart, 'D', { workload: injected, vault, secrets: [{ name: 'x', secret: db, key: 'a' }] }))
      .toThrow(/^\[test\/D\] invalid workload "test\/inj": already gets its secrets from the Vault agent injector/);
  });
});
