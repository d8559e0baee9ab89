import { Chart, Testing } from 'cdk8s';
import { VaultConnection, VaultConnectionProps, ZeroTrustNamespace } from '../../src';

export function setup(props: Partial<VaultConnectionProps> = {}): { chart: Chart; prod: ZeroTrustNamespace; vault: VaultConnection } {
  const chart = Testing.chart();
  const prod = new ZeroTrustNamespace(chart, 'prod', { name: 'production' });
  const vault = new VaultConnection(chart, 'Vault', { address: 'https://vault.vault.svc:8200', caCertSecret: 'vault-ca', ...props });
  return { chart, prod, vault };
}

export const IMAGE = 'ghcr.io/acme/orders:1.4.2';
