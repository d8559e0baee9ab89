import { Construct } from 'constructs';
import { VaultConnection } from './vault-connection';
import { VaultInjectedDeployment } from './vault-injected-deployment';
import { VaultSecret } from './vault-secret';
import { invalid } from '../intent/_validation';
import { MeshService } from '../mesh/mesh-service';

const NAME = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/;
const MOUNT_PATH = /^\/[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

/** A named secret of a delivery alternative. */
export interface NamedSecret {
  readonly name: string;
  readonly secret: VaultSecret;
}

/** Checks the common props of the CSI and External Secrets alternatives. @internal */
export function checkDelivery(scope: Construct, workload: unknown, vault: unknown, secrets: readonly NamedSecret[] | undefined,
  mountPath: string): { workload: MeshService; vault: VaultConnection } {
  if (!(workload instanceof MeshService)) {
    invalid(scope, 'workload', workload, 'must be a MeshService');
  }
  if (workload instanceof VaultInjectedDeployment) {
    invalid(scope, 'workload', workload.node.path, 'already gets its secrets from the Vault agent injector', 'use one delivery method per workload');
  }
  if (!(vault instanceof VaultConnection)) {
    invalid(scope, 'vault', vault, 'must be a VaultConnection', 'define one with new VaultConnection(scope, \'Vault\', { address })');
  }
  if (!Array.isArray(secrets) || secrets.length === 0) {
    invalid(scope, 'secrets', secrets, 'must list at least one secret');
  }
  const seen = new Set<string>();
  secrets.forEach((s, i) => {
    if (!s || typeof s.name !== 'string' || !NAME.test(s.name) || s.name.length > 40) {
      invalid(scope, `secrets[${i}].name`, s?.name, 'must be at most 40 lower-case letters, digits, \'.\' or \'-\', starting and ending with a letter or digit', 'for example \'db\'');
    }
    if (seen.has(s.name)) {
      invalid(scope, `secrets[${i}].name`, s.name, 'is listed twice: each secret needs its own name', 'rename one of them');
    }
    seen.add(s.name);
    if (!(s.secret instanceof VaultSecret)) {
      invalid(scope, `secrets[${i}].secret`, s.secret, 'must be a VaultSecret, for example VaultSecret.databaseCredentials(\'order-service\')');
    }
    s.secret._validate(scope, `secrets[${i}].secret`);
  });
  if (!MOUNT_PATH.test(mountPath) || mountPath.split('/').some(s => s === '.' || s === '..')) {
    invalid(scope, 'mountPath', mountPath, 'must be an absolute directory path without \'.\' or \'..\' segments', 'for example \'/vault/secrets\'');
  }
  return { workload, vault };
}
