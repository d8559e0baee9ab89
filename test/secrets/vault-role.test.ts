import { Duration } from 'cdk8s';
import { IMAGE, setup } from './_fixtures';
import { MeshService, OutputFile, VaultKubernetesRole, VaultSecret } from '../../src';

/** A small deterministic PRNG (Park-Miller), so the property test is reproducible. */
function prng(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 48271) % 2147483647;
    return state / 2147483647;
  };
}

/** The `path "..."` stanzas of an HCL policy with their capabilities. */
function parsePolicy(hcl: string): Array<{ path: string; capabilities: string[] }> {
  const body = hcl.split('\n').filter(l => !l.startsWith('#')).join('\n');
  const stanzas = [...body.matchAll(/path "([^"]+)" \{\n {2}capabilities = (\[[^\]]*\])\n\}/g)];
  // nothing but the stanzas and blank lines
  expect(body.replace(/path "([^"]+)" \{\n {2}capabilities = (\[[^\]]*\])\n\}/g, '').trim()).toBe('');
  return stanzas.map(m => ({ path: m[1], capabilities: JSON.parse(m[2]) }));
}

describe('VaultKubernetesRole', () => {
  test('policy, role and apply.sh: exactly one ServiceAccount, the audience, TTLs, read on exactly the paths', () => {
    // GIVEN
    const { chart, prod, vault } = setup();
    const orders = new MeshService(chart, 'orders', { namespace: prod, image: IMAGE, port: 8080 });
    // WHEN
    const role = new VaultKubernetesRole(chart, 'Role', {
      workload: orders,
      vault,
      secrets: [VaultSecret.databaseCredentials('orders'), VaultSecret.kv('secret', 'production/orders/api'), VaultSecret.kvV1('kv', 'legacy/orders')],
    });
    // THEN
    const files = Object.fromEntries(OutputFile.of(chart.node.root).map(f => [f.relativePath, f.renderContents()]));
    expect(files).toMatchSnapshot();
    expect(JSON.parse(files['vault/roles/production-orders.json'])).toEqual({
      alias_name_source: 'serviceaccount_uid',
      audience: 'vault',
      bound_service_account_names: ['orders'],
      bound_service_account_namespaces: ['production'],
      token_max_ttl: 3600,
      token_policies: ['production-orders'],
      token_ttl: 900,
    });
    expect(parsePolicy(files['vault/policies/production-orders.hcl'])).toEqual([
      { path: 'database/creds/orders', capabilities: ['read'] },
      { path: 'kv/legacy/orders', capabilities: ['read'] },
      { path: 'secret/data/production/orders/api', capabilities: ['read'] },
    ]);
    expect(files['vault/apply.sh'].split('\n').filter(l => l.startsWith('vault '))).toEqual([
      'vault policy write \'production-orders\' \'vault/policies/production-orders.hcl\'',
      'vault write \'auth/kubernetes/role/production-orders\' \'@vault/roles/production-orders.json\'',
    ]);
    expect(role.rolePath).toBe('auth/kubernetes/role/production-orders');
  });

  test('property: for random secrets, the policy grants read on exactly their read paths, nothing wider', () => {
    const random = prng(42);
    const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)];
    const word = () => pick(['orders', 'payments', 'api', 'db', 'ro', 'a.b', 'x_y', 'v-2']);
    for (let run = 0; run < 200; run++) {
      const { chart, prod, vault } = setup({ authPath: pick(['auth/kubernetes', 'auth/k8s/prod']) });
      const workload = new MeshService(chart, 'w', { namespace: prod, image: IMAGE, port: 8080 });
      const secrets = Array.from({ length: 1 + Math.floor(random() * 5) }, () => {
        const path = Array.from({ length: 1 + Math.floor(random() * 3) }, word).join('/');
        switch (pick(['kv', 'kv1', 'db', 'generic'])) {
          case 'kv': return VaultSecret.kv(pick(['secret', 'kv-prod']), path);
          case 'kv1': return VaultSecret.kvV1('kv', path);
          case 'db': return VaultSecret.databaseCredentials(word(), pick(['database', 'pg']));
          default: return VaultSecret.fromPath(`aws/creds/${word()}`);
        }
      });
      const role = new VaultKubernetesRole(chart, 'Role', { workload, vault, secrets });
      const stanzas = parsePolicy(role.renderPolicy());
      const expected = [...new Set(secrets.map(s => s.readPath))].sort();
      expect(stanzas.map(s => s.path)).toEqual(expected);
      for (const s of stanzas) {
        expect(s.capabilities).toEqual(['read']);
        expect(s.path).not.toMatch(/[*+]/);
        if (s.path.startsWith('secret/') || s.path.startsWith('kv-prod/')) expect(s.path.split('/')[1]).toBe('data');
      }
      const json = role.toRoleJson();
      expect(json.bound_service_account_names).toEqual(['w']);
      expect(json.bound_service_account_namespaces).toEqual(['production']);
      expect(json.audience).toBe('vault');
    }
  });

  test('one apply.sh for every role of the app, sorted by role', () => {
    const { chart, prod, vault } = setup();
    for (const name of ['zeta', 'alpha']) {
      const w = new MeshService(chart, name, { namespace: prod, image: IMAGE, port: 8080 });
      new VaultKubernetesRole(chart, `${name}-role`, { workload: w, vault, secrets: [VaultSecret.databaseCredentials(name)] });
    }
    const script = OutputFile.of(chart.node.root).find(f => f.relativePath === 'vault/apply.sh')!.renderContents();
    expect(script.startsWith('#!/bin/sh\n')).toBe(true);
    expect(script).toContain('set -eu');
    expect(script.split('\n').filter(l => l.startsWith('vault policy write')).map(l => l.split(' ')[3])).toEqual(["'production-alpha'", "'production-zeta'"]);
  });

  describe('bad input', () => {
    const make = (extra: any = {}, workloadProps: any = {}) => {
      const { chart, prod, vault } = setup();
      const w = new MeshService(chart, 'orders', { namespace: prod, image: IMAGE, port: 8080, ...workloadProps });
      return () => new VaultKubernetesRole(chart, 'Role', { workload: w, vault, secrets: [VaultSecret.databaseCredentials('orders')], ...extra });
    };
    test('fails on the default ServiceAccount', () => {
      expect(make({}, { serviceAccountName: 'default' })).toThrow(/^\[test\/Role\] invalid serviceAccountName "default": a Vault role must not trust the 'default' ServiceAccount/);
    });
    test('fails on a glob ServiceAccount of a custom workload', () => {
      const { chart, prod, vault } = setup();
      const fake: any = { node: chart.node, workloadName: 'x', zeroTrustNamespace: prod, serviceAccountName: '*', podSelectorLabels: {}, workloadPorts: [] };
      expect(() => new VaultKubernetesRole(chart, 'Role', { workload: fake, vault, secrets: [VaultSecret.kv('secret', 'x')] }))
        .toThrow(/invalid serviceAccountName "\*": a Vault role must name exactly one ServiceAccount in exactly one namespace/);
    });
    test.each(['*', 'orders*', 'Orders', ''])('fails on role name %j', name => {
      expect(make({ roleName: name })).toThrow(/^\[test\/Role\] invalid roleName .*: must be a Vault role name/);
    });
    test('fails on no secrets', () => {
      expect(make({ secrets: [] })).toThrow(/invalid secrets \[\]: must list at least one VaultSecret/);
    });
    test('fails on a TTL out of range and max below ttl', () => {
      expect(make({ tokenTtl: Duration.seconds(10) })).toThrow(/invalid tokenTtl "10s": must be a whole number of seconds between 1 minute and 24 hours/);
      expect(make({ tokenTtl: Duration.hours(2), tokenMaxTtl: Duration.hours(1) })).toThrow(/invalid tokenMaxTtl "3600s": must be at least tokenTtl \(7200s\)/);
    });
    test('fails on two roles with the same name', () => {
      const { chart, prod, vault } = setup();
      const w = new MeshService(chart, 'orders', { namespace: prod, image: IMAGE, port: 8080 });
      new VaultKubernetesRole(chart, 'A', { workload: w, vault, secrets: [VaultSecret.kv('secret', 'x')] });
      expect(() => new VaultKubernetesRole(chart, 'B', { workload: w, vault, secrets: [VaultSecret.kv('secret', 'y')] }))
        .toThrow(/^\[test\/B\] invalid roleName "production-orders": test\/A already defines this Vault role/);
    });
  });
});
