import { Testing } from 'cdk8s';
import { VaultSecret, VaultSecretEngine } from '../../src';

describe('VaultSecret', () => {
  test('read paths: data/ for KV v2, creds/ for database credentials, as given otherwise', () => {
    expect(VaultSecret.kv('secret', 'production/orders/api').readPath).toBe('secret/data/production/orders/api');
    expect(VaultSecret.kvV1('kv', 'orders').readPath).toBe('kv/orders');
    expect(VaultSecret.databaseCredentials('orders').readPath).toBe('database/creds/orders');
    expect(VaultSecret.databaseCredentials('orders', 'pg').readPath).toBe('pg/creds/orders');
    expect(VaultSecret.fromPath('aws/creds/deploy').readPath).toBe('aws/creds/deploy');
    expect(VaultSecret.databaseCredentials('orders').engine).toBe(VaultSecretEngine.DATABASE);
    expect([VaultSecret.databaseCredentials('orders').isDynamic, VaultSecret.kv('secret', 'x').isDynamic]).toEqual([true, false]);
  });

  test.each([
    ['', 'path'], ['a//b', 'path'], ['/a', 'path'], ['a/', 'path'], ['./a', 'path'], ['a/../b', 'path'], ['a/*', 'path'], ['a/+/b', 'path'], ['a b', 'path'],
  ])('rejects path %j', (path, prop) => {
    const scope = Testing.chart();
    expect(() => VaultSecret.kv('secret', path)._validate(scope, 'secret')).toThrow(new RegExp(`^\\[test\\] invalid secret\\.${prop} .*: must be a Vault path`));
  });

  test('rejects a database role with a slash and a KV v2 path with data/', () => {
    const scope = Testing.chart();
    expect(() => VaultSecret.databaseCredentials('a/b')._validate(scope, 's')).toThrow(/invalid s\.path "a\/b": must be a single database role name/);
    expect(() => VaultSecret.kv('secret', 'data/a')._validate(scope, 's')).toThrow(/must not start with 'data\/': VaultSecret\.kv\(\) adds it; use VaultSecret\.kv\('secret', 'a'\)/);
  });
});
