import { IConstruct } from 'constructs';
import { guardArgs, staticScope } from '../intent/_guards';
import { invalid } from '../intent/_validation';

/**
 * The Vault secrets engine a secret is read from.
 */
export enum VaultSecretEngine {
  /** Key/value version 2: read at `<mount>/data/<path>`, data under `.Data.data`. */
  KV_V2 = 'kv-v2',
  /** Key/value version 1: read at `<mount>/<path>`, data under `.Data`. */
  KV_V1 = 'kv-v1',
  /** Database secrets engine: dynamic credentials read at `<mount>/creds/<role>`, a new lease per read. */
  DATABASE = 'database',
  /** Any other engine, read at the path given. */
  GENERIC = 'generic',
}

const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

/**
 * A secret in Vault, named by its engine and path. The path is what the agent, the CSI provider
 * or External Secrets read, and exactly what the generated Vault policy grants `read` on.
 *
 * @example
 * VaultSecret.databaseCredentials('order-service');           // database/creds/order-service
 * VaultSecret.kv('secret', 'production/order-service/api');  // secret/data/production/order-service/api
 */
export class VaultSecret {
  /**
   * A secret of a key/value version 2 engine.
   *
   * @param mount the engine's mount path, for example `secret`
   * @param path the secret's path inside the mount, without `data/`
   */
  public static kv(mount: string, path: string): VaultSecret {
    guardArgs(staticScope('VaultSecret.kv'), 'VaultSecret', 'kv', [mount, path]);
    return new VaultSecret(VaultSecretEngine.KV_V2, mount, path);
  }

  /**
   * A secret of a key/value version 1 engine.
   *
   * @param mount the engine's mount path, for example `kv`
   * @param path the secret's path inside the mount
   */
  public static kvV1(mount: string, path: string): VaultSecret {
    guardArgs(staticScope('VaultSecret.kvV1'), 'VaultSecret', 'kvV1', [mount, path]);
    return new VaultSecret(VaultSecretEngine.KV_V1, mount, path);
  }

  /**
   * Dynamic credentials of a database secrets engine role.
   *
   * @param role the database role
   * @param mount the engine's mount path
   * @default mount 'database'
   */
  public static databaseCredentials(role: string, mount?: string): VaultSecret {
    guardArgs(staticScope('VaultSecret.databaseCredentials'), 'VaultSecret', 'databaseCredentials', [role, mount]);
    return new VaultSecret(VaultSecretEngine.DATABASE, mount ?? 'database', role);
  }

  /**
   * A secret of any other engine, read at `path` (for example `aws/creds/deploy`).
   *
   * @param path the full API path below `/v1/`
   */
  public static fromPath(path: string): VaultSecret {
    guardArgs(staticScope('VaultSecret.fromPath'), 'VaultSecret', 'fromPath', [path]);
    return new VaultSecret(VaultSecretEngine.GENERIC, '', path);
  }

  /** The engine. */
  public readonly engine: VaultSecretEngine;
  /** The mount path (empty for `fromPath`). */
  public readonly mount: string;
  /** The path inside the mount (the role for database credentials; the full path for `fromPath`). */
  public readonly path: string;

  private constructor(engine: VaultSecretEngine, mount: string, path: string) {
    this.engine = engine;
    this.mount = mount;
    this.path = path;
  }

  /**
   * The API path read (below `/v1/`): `<mount>/data/<path>` for KV v2, `<mount>/creds/<role>`
   * for database credentials, `<mount>/<path>` for KV v1, the path itself otherwise. Templates
   * and the generated policy use exactly this path.
   */
  public get readPath(): string {
    switch (this.engine) {
      case VaultSecretEngine.KV_V2: return `${this.mount}/data/${this.path}`;
      case VaultSecretEngine.DATABASE: return `${this.mount}/creds/${this.path}`;
      case VaultSecretEngine.KV_V1: return `${this.mount}/${this.path}`;
      default: return this.path;
    }
  }

  /** Whether each read returns new credentials with a lease (dynamic secrets). */
  public get isDynamic(): boolean {
    return this.engine === VaultSecretEngine.DATABASE;
  }

  /**
   * Checks the mount and path: relative, empty, absolute or wildcard paths are rejected.
   * @internal
   */
  public _validate(scope: IConstruct, prop: string): string {
    const allowed = 'must be a Vault path of segments made of letters, digits, \'.\', \'_\' or \'-\', separated by single \'/\': not empty, '
      + 'not starting or ending with \'/\', no \'.\' or \'..\' segments, no wildcards (\'*\', \'+\')';
    const check = (what: string, value: string, fix: string) => {
      if (typeof value !== 'string' || value.length === 0 || !value.split('/').every(s => SEGMENT.test(s))) {
        invalid(scope, `${prop}.${what}`, value, allowed, fix);
      }
    };
    if (this.engine !== VaultSecretEngine.GENERIC) {
      check('mount', this.mount, 'for example \'secret\' or \'database\'');
    }
    const example = this.engine === VaultSecretEngine.DATABASE ? 'the database role, for example \'order-service\''
      : this.engine === VaultSecretEngine.GENERIC ? 'the full path, for example \'aws/creds/deploy\'' : 'for example \'production/order-service/api\'';
    check('path', this.path, example);
    if (this.engine === VaultSecretEngine.KV_V2 && this.path.split('/')[0] === 'data') {
      invalid(scope, `${prop}.path`, this.path, 'must not start with \'data/\': VaultSecret.kv() adds it', `use VaultSecret.kv('${this.mount}', '${this.path.slice(5)}')`);
    }
    if (this.engine === VaultSecretEngine.DATABASE && this.path.includes('/')) {
      invalid(scope, `${prop}.path`, this.path, 'must be a single database role name', 'for example VaultSecret.databaseCredentials(\'order-service\')');
    }
    return this.readPath;
  }
}
