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

describe('VaultSecret validation (guards pinned by mutation testing)', () => {
  const at = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return (e as Error).message;
    }
    return undefined;
  };

  test.each(['.a', '-a', 'a/.b', 'a/-b'])('rejects path %j: each segment starts with a letter, digit or \'_\'', path => {
    expect(at(() => VaultSecret.kv('secret', path)._validate(Testing.chart(), 's'))).toMatch(/^\[test\] invalid s\.path .*: must be a Vault path/);
  });

  test.each(['a', '_a', 'a.b-c_d', 'A9/b.c/_d'])('accepts path %j', path => {
    expect(VaultSecret.kv('secret', path)._validate(Testing.chart(), 's')).toBe(`secret/data/${path}`);
  });

  test.each([42, undefined, null, ['a']])('rejects a path that is not a string (%j) with a clear error', path => {
    expect(at(() => VaultSecret.kv('secret', path as any)._validate(Testing.chart(), 's'))).toMatch(/^\[VaultSecret\.kv\] invalid path .*: must be a string, got /);
  });

  test.each([
    ['kvV1', 'path', 'a string', () => VaultSecret.kvV1('kv', 42 as any)],
    ['databaseCredentials', 'role', 'a string', () => VaultSecret.databaseCredentials(42 as any)],
    ['databaseCredentials', 'mount', 'a string or undefined', () => VaultSecret.databaseCredentials('orders', 42 as any)],
    ['fromPath', 'path', 'a string', () => VaultSecret.fromPath(42 as any)],
  ])('VaultSecret.%s rejects a %s that is not a string, naming the factory and the argument', (factory, arg, type, make) => {
    expect(at(make)).toBe(`[VaultSecret.${factory}] invalid ${arg} 42: must be ${type}, got number; see VaultSecret.${factory}() ${arg} in the API reference (API.md)`);
  });

  test.each([
    ['kv', () => VaultSecret.kv('a/../b', 'x')],
    ['kv v1', () => VaultSecret.kvV1('*', 'x')],
    ['database', () => VaultSecret.databaseCredentials('orders', '/database')],
  ])('the mount of a %s secret is checked', (_engine, make) => {
    expect(at(() => make()._validate(Testing.chart(), 's'))).toMatch(/^\[test\] invalid s\.mount .*: must be a Vault path.*; for example 'secret' or 'database'$/);
  });

  test('fromPath has no mount: only the path is checked', () => {
    expect(VaultSecret.fromPath('aws/creds/deploy')._validate(Testing.chart(), 's')).toBe('aws/creds/deploy');
    expect(VaultSecret.fromPath('aws/creds/deploy').mount).toBe('');
    expect(at(() => VaultSecret.fromPath('aws/*')._validate(Testing.chart(), 's'))).toMatch(/invalid s\.path "aws\/\*": must be a Vault path.*; the full path, for example 'aws\/creds\/deploy'$/);
  });

  test('the fix names an example for the engine', () => {
    expect(at(() => VaultSecret.databaseCredentials('a b')._validate(Testing.chart(), 's'))).toMatch(/; the database role, for example 'order-service'$/);
    expect(at(() => VaultSecret.kv('secret', 'a b')._validate(Testing.chart(), 's'))).toMatch(/; for example 'production\/order-service\/api'$/);
    expect(at(() => VaultSecret.kvV1('kv', 'a b')._validate(Testing.chart(), 's'))).toMatch(/; for example 'production\/order-service\/api'$/);
  });

  test('only KV v2 paths may not start with data/, only database roles may not hold a slash', () => {
    expect(VaultSecret.kvV1('kv', 'data/x')._validate(Testing.chart(), 's')).toBe('kv/data/x');
    expect(VaultSecret.fromPath('secret/data/x')._validate(Testing.chart(), 's')).toBe('secret/data/x');
    expect(VaultSecret.kv('secret', 'database/x')._validate(Testing.chart(), 's')).toBe('secret/data/database/x');
    expect(VaultSecret.kv('secret', 'x/data')._validate(Testing.chart(), 's')).toBe('secret/data/x/data');
    expect(VaultSecret.kvV1('kv', 'a/b')._validate(Testing.chart(), 's')).toBe('kv/a/b');
    expect(at(() => VaultSecret.kv('secret', 'data')._validate(Testing.chart(), 's'))).toMatch(/invalid s\.path "data": must not start with 'data\/'/);
    expect(at(() => VaultSecret.kv('secret', 'data/orders/api')._validate(Testing.chart(), 's')))
      .toBe('[test] invalid s.path "data/orders/api": must not start with \'data/\': VaultSecret.kv() adds it; use VaultSecret.kv(\'secret\', \'orders/api\')');
    expect(at(() => VaultSecret.databaseCredentials('a/b', 'pg')._validate(Testing.chart(), 's')))
      .toBe('[test] invalid s.path "a/b": must be a single database role name; for example VaultSecret.databaseCredentials(\'order-service\')');
  });

  test('valid secrets of every engine validate to their read path', () => {
    expect(VaultSecret.databaseCredentials('orders')._validate(Testing.chart(), 's')).toBe('database/creds/orders');
    expect(VaultSecret.databaseCredentials('orders.ro', 'pg-prod')._validate(Testing.chart(), 's')).toBe('pg-prod/creds/orders.ro');
    expect(VaultSecret.kvV1('kv', 'a/b')._validate(Testing.chart(), 's')).toBe('kv/a/b');
  });

  test('the error says what a Vault path is', () => {
    expect(at(() => VaultSecret.kv('secret', 'a//b')._validate(Testing.chart(), 's'))).toBe('[test] invalid s.path "a//b": must be a Vault path of segments made of letters, digits, \'.\', \'_\' or \'-\', '
      + 'separated by single \'/\': not empty, not starting or ending with \'/\', no \'.\' or \'..\' segments, no wildcards (\'*\', \'+\'); for example \'production/order-service/api\'');
  });

  test('engines and dynamic secrets', () => {
    expect(VaultSecret.kv('secret', 'x').engine).toBe(VaultSecretEngine.KV_V2);
    expect(VaultSecret.kvV1('kv', 'x').engine).toBe(VaultSecretEngine.KV_V1);
    expect(VaultSecret.fromPath('x/y').engine).toBe(VaultSecretEngine.GENERIC);
    expect([VaultSecret.kvV1('kv', 'x').isDynamic, VaultSecret.fromPath('database/creds/x').isDynamic]).toEqual([false, false]);
  });
});
