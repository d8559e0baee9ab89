import { Duration } from 'cdk8s';
import { IMAGE, setup } from './_fixtures';
import { MeshService, VaultExternalSecrets, VaultSecret } from '../../src';
import { find, ofKind, synthValid } from '../support/synth';

describe('VaultExternalSecrets', () => {
  test('snapshot: SecretStores with Vault Kubernetes auth as the workload, one ExternalSecret per secret, mounted read-only', () => {
    // GIVEN
    const { chart, prod, vault } = setup();
    const orders = new MeshService(chart, 'orders', { namespace: prod, image: IMAGE, port: 8080 });
    // WHEN
    new VaultExternalSecrets(chart, 'Eso', {
      workload: orders,
      vault,
      refreshInterval: Duration.minutes(10),
      secrets: [
        { name: 'db', secret: VaultSecret.databaseCredentials('orders') },
        { name: 'api', secret: VaultSecret.kv('secret', 'production/orders/api') },
      ],
    });
    // THEN
    const manifests = synthValid(chart);
    expect(manifests).toMatchSnapshot();
    expect(find(manifests, 'SecretStore', 'orders-vault-kv2', 'production').spec.provider.vault).toEqual({
      server: 'https://vault.vault.svc:8200',
      version: 'v2',
      caProvider: { type: 'Secret', name: 'vault-ca', key: 'ca.crt' },
      auth: { kubernetes: { mountPath: 'kubernetes', role: 'production-orders', serviceAccountRef: { name: 'orders', audiences: ['vault'] } } },
    });
    expect(find(manifests, 'SecretStore', 'orders-vault-v1', 'production').spec.provider.vault.version).toBe('v1');
    expect(find(manifests, 'ExternalSecret', 'orders-db', 'production').spec).toEqual({
      refreshInterval: '600s',
      secretStoreRef: { kind: 'SecretStore', name: 'orders-vault-v1' },
      target: { name: 'orders-db', creationPolicy: 'Owner' },
      dataFrom: [{ extract: { key: 'database/creds/orders' } }],
    });
    expect(find(manifests, 'ExternalSecret', 'orders-api', 'production').spec.dataFrom).toEqual([{ extract: { key: 'secret/data/production/orders/api' } }]);
    const pod = find(manifests, 'Deployment', 'orders').spec.template.spec;
    expect(pod.containers[0].volumeMounts).toEqual([
      { name: 'vault-db', mountPath: '/vault/secrets/db', readOnly: true },
      { name: 'vault-api', mountPath: '/vault/secrets/api', readOnly: true },
    ]);
    expect(pod.volumes.map((v: any) => v.secret)).toEqual([{ secretName: 'orders-db', defaultMode: 0o440 }, { secretName: 'orders-api', defaultMode: 0o440 }]);
    // the library writes no Secret itself: External Secrets creates them
    expect(ofKind(manifests, 'Secret')).toEqual([]);
  });

  test('fails on duplicate names and a too short refresh interval', () => {
    const { chart, prod, vault } = setup();
    const orders = new MeshService(chart, 'orders', { namespace: prod, image: IMAGE, port: 8080 });
    const db = VaultSecret.databaseCredentials('orders');
    expect(() => new VaultExternalSecrets(chart, 'A', { workload: orders, vault, secrets: [{ name: 'db', secret: db }, { name: 'db', secret: db }] }))
      .toThrow(/^\[test\/A\] invalid secrets\[1\]\.name "db": is listed twice/);
    expect(() => new VaultExternalSecrets(chart, 'B', { workload: orders, vault, refreshInterval: Duration.seconds(5), secrets: [{ name: 'db', secret: db }] }))
      .toThrow(/^\[test\/B\] invalid refreshInterval "5s": must be a whole number of seconds, at least 1 minute/);
  });
});
