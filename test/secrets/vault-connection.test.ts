import { Testing } from 'cdk8s';
import { VaultConnection } from '../../src';

describe('VaultConnection', () => {
  test('defaults: Helm chart pod labels, port from the address, auth/kubernetes, audience vault', () => {
    const vault = new VaultConnection(Testing.chart(), 'Vault', { address: 'https://vault.example.com/' });
    expect([vault.address, vault.addressPort, vault.port, vault.namespace, vault.podLabels]).toEqual(
      ['https://vault.example.com', 443, 8200, 'vault', { 'app.kubernetes.io/name': 'vault', 'component': 'server' }]);
    expect([vault.authPath, vault.authMount, vault.audience, vault.isTls]).toEqual(['auth/kubernetes', 'kubernetes', 'vault', true]);
    const custom = new VaultConnection(Testing.chart(), 'Vault', { address: 'https://vault.vault.svc:8201', authPath: 'auth/k8s/prod', port: 8200 });
    expect([custom.addressPort, custom.port, custom.authMount]).toEqual([8201, 8200, 'k8s/prod']);
  });

  test.each([
    ['not a URL', 'vault:8200', /invalid address "vault:8200": must be a Vault address/],
    ['a path', 'https://vault/v1', /invalid address "https:\/\/vault\/v1": must be a Vault address/],
    ['credentials', 'https://u:p@vault', /invalid address "https:\/\/u:p@vault": must be a Vault address .*without path or credentials/],
  ])('fails on %s', (_, address, message) => {
    expect(() => new VaultConnection(Testing.chart(), 'Vault', { address })).toThrow(message);
  });
  test('fails on an empty pod selector, a bad auth path or a wildcard audience', () => {
    const c = Testing.chart();
    expect(() => new VaultConnection(c, 'A', { address: 'https://v', podLabels: {} })).toThrow(/invalid podLabels \{\}: must select the Vault server pods/);
    expect(() => new VaultConnection(c, 'B', { address: 'https://v', authPath: 'kubernetes' })).toThrow(/invalid authPath "kubernetes": must be the mount path of a Vault auth method, starting with 'auth\/'/);
    expect(() => new VaultConnection(c, 'C', { address: 'https://v', audience: '*' })).toThrow(/invalid audience "\*"/);
  });

  test('the agent image is pinned (a version or digest, never latest) and the in-cluster Service host is derived', () => {
    const c = Testing.chart();
    expect(new VaultConnection(c, 'A', { address: 'https://vault.vault.svc:8200' })).toMatchObject({ agentImage: 'hashicorp/vault:1.20.4', serviceHost: 'vault.vault.svc.cluster.local' });
    expect(new VaultConnection(c, 'B', { address: 'https://vault.vault.svc.cluster.local' }).serviceHost).toBe('vault.vault.svc.cluster.local');
    expect(new VaultConnection(c, 'C', { address: 'https://vault.example.com' }).serviceHost).toBeUndefined();
    expect(new VaultConnection(c, 'D', { address: 'https://v', agentImage: 'registry.example.com/vault@sha256:' + 'a'.repeat(64) }).agentImage).toMatch(/@sha256:/);
    for (const bad of ['hashicorp/vault', 'hashicorp/vault:latest', 'Hashicorp/vault:1.20.4', '']) {
      expect(() => new VaultConnection(c, `Bad${bad.length}${bad.slice(-3)}`, { address: 'https://v', agentImage: bad }))
        .toThrow(/invalid agentImage .*: must be an image reference with a version tag \(not latest\) or a sha256 digest/);
    }
  });
});
