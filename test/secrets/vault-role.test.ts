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
    for (const name of ['zeta', 'alpha', 'mu', 'beta', 'omega']) {
      const w = new MeshService(chart, name, { namespace: prod, image: IMAGE, port: 8080 });
      new VaultKubernetesRole(chart, `${name}-role`, { workload: w, vault, secrets: [VaultSecret.databaseCredentials(name)] });
    }
    const script = OutputFile.of(chart.node.root).find(f => f.relativePath === 'vault/apply.sh')!.renderContents();
    expect(script.startsWith('#!/bin/sh\n')).toBe(true);
    expect(script).toContain('set -eu');
    expect(script.split('\n').filter(l => l.startsWith('vault policy write')).map(l => l.split(' ')[3]))
      .toEqual(["'production-alpha'", "'production-beta'", "'production-mu'", "'production-omega'", "'production-zeta'"]);
  });

  test('apply.sh runs from the output directory and stops at the first error; the policy header names the workload; files end with a newline', () => {
    const { chart, prod, vault } = setup({ authPath: 'auth/k8s-prod' });
    const orders = new MeshService(chart, 'orders', { namespace: prod, image: IMAGE, port: 8080, serviceAccountName: 'orders-sa' });
    const role = new VaultKubernetesRole(chart, 'Role', { workload: orders, vault, secrets: [VaultSecret.kv('secret', 'x')], roleName: 'orders-ro' });
    const files = Object.fromEntries(OutputFile.of(chart.node.root).map(f => [f.relativePath, f.renderContents()]));
    expect(files['vault/apply.sh'].split('\n')).toEqual([
      '#!/bin/sh',
      '# Generated by cdk8s-zero-trust: writes every Vault policy and Kubernetes auth role of this app.',
      '# Run it from anywhere with VAULT_ADDR (and VAULT_CACERT) set and a Vault token allowed to write',
      '# sys/policies/acl/* and <authPath>/role/*. Each role trusts exactly one ServiceAccount.',
      'set -eu',
      'cd "$(dirname "$0")/.."',
      '',
      '# production/orders',
      'vault policy write \'orders-ro\' \'vault/policies/orders-ro.hcl\'',
      'vault write \'auth/k8s-prod/role/orders-ro\' \'@vault/roles/orders-ro.json\'',
      '',
    ]);
    expect(files['vault/policies/orders-ro.hcl']).toBe([
      '# Vault policy orders-ro, generated by cdk8s-zero-trust.',
      '# production/orders (ServiceAccount orders-sa) may read exactly these paths, nothing else.',
      '',
      'path "secret/data/x" {',
      '  capabilities = ["read"]',
      '}',
      '',
    ].join('\n'));
    expect(files['vault/roles/orders-ro.json']).toBe(`${JSON.stringify(role.toRoleJson(), undefined, 2)}\n`);
    expect(role.toRoleJson().bound_service_account_names).toEqual(['orders-sa']);
    expect(role.rolePath).toBe('auth/k8s-prod/role/orders-ro');
    expect([role.policyFile.relativePath, role.roleFile.relativePath]).toEqual(['vault/policies/orders-ro.hcl', 'vault/roles/orders-ro.json']);
    expect(role.policyPaths).toEqual(['secret/data/x']);
    expect([role, orders, null, 'role', 42, undefined].map(x => VaultKubernetesRole.isVaultKubernetesRole(x))).toEqual([true, false, false, false, false, false]);
    // another copy of the library (another node_modules path) marks its roles with the same registered symbol
    expect(VaultKubernetesRole.isVaultKubernetesRole({ [Symbol.for('cdk8s-zero-trust.VaultKubernetesRole')]: true })).toBe(true);
  });

  describe('bad input', () => {
    const make = (extra: any = {}, workloadProps: any = {}) => {
      const { chart, prod, vault } = setup();
      const w = new MeshService(chart, 'orders', { namespace: prod, image: IMAGE, port: 8080, ...workloadProps });
      return () => new VaultKubernetesRole(chart, 'Role', { workload: w, vault, secrets: [VaultSecret.databaseCredentials('orders')], ...extra });
    };
    test('fails on the default ServiceAccount', () => {
      expect(make({}, { serviceAccountName: 'default' })).toThrow(/^\[test\/Role\] invalid serviceAccountName "default": a Vault role must not trust the 'default' ServiceAccount: .*; give the workload its own ServiceAccount \(MeshService does unless serviceAccountName is 'default'\)$/);
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
    test('fails on a glob or blank namespace or ServiceAccount of a custom workload', () => {
      for (const [sa, ns, prop] of [['orders', 'prod-*', 'namespace'], ['orders', 'prod?', 'namespace'], ['orders', '[ab]', 'namespace'], ['orders', '{a,b}', 'namespace'],
        ['orders', ' ', 'namespace'], [' ', 'production', 'serviceAccountName'], ['a]', 'production', 'serviceAccountName']]) {
        const { chart, vault } = setup();
        const fake: any = { node: chart.node, workloadName: 'x', zeroTrustNamespace: { namespaceName: ns }, serviceAccountName: sa, podSelectorLabels: {}, workloadPorts: [] };
        expect(() => new VaultKubernetesRole(chart, 'Role', { workload: fake, vault, secrets: [VaultSecret.kv('secret', 'x')] }))
          .toThrow(`[test/Role] invalid ${prop} ${JSON.stringify(prop === 'namespace' ? ns : sa)}: a Vault role must name exactly one ServiceAccount in exactly one namespace`);
      }
    });
    test('role names: 128 characters at most, a string', () => {
      const name = (n: number) => `a${'b'.repeat(n - 2)}c`;
      const { chart, prod, vault } = setup();
      const w = new MeshService(chart, 'orders', { namespace: prod, image: IMAGE, port: 8080 });
      expect(new VaultKubernetesRole(chart, 'Max', { workload: w, vault, secrets: [VaultSecret.kv('secret', 'x')], roleName: name(128) }).roleName).toBe(name(128));
      expect(new VaultKubernetesRole(chart, 'One', { workload: w, vault, secrets: [VaultSecret.kv('secret', 'x')], roleName: 'a' }).roleName).toBe('a');
      expect(new VaultKubernetesRole(chart, 'Dots', { workload: w, vault, secrets: [VaultSecret.kv('secret', 'x')], roleName: 'a.b_c-d' }).policyName).toBe('a.b_c-d');
      expect(make({ roleName: name(129) })).toThrow(/^\[test\/Role\] invalid roleName "ab+c": must be a Vault role name of at most 128 .*; leave roleName out for '<namespace>-<workload>'$/);
      expect(make({ roleName: 123 })).toThrow(/^\[test\/Role\] invalid roleName 123: must be a string or undefined, got number/);
      expect(make({ roleName: '-a' })).toThrow(/invalid roleName "-a"/);
      expect(make({ roleName: 'a-' })).toThrow(/invalid roleName "a-"/);
    });
    test('fails on the policies Vault reserves, saying why', () => {
      const reserved = '[test/Role] invalid roleName "%s": is a policy Vault reserves: the role\'s policy has the role\'s name, and ';
      expect(make({ roleName: 'default' })).toThrow(`${reserved.replace('%s', 'default')}Vault attaches 'default' to every token, so writing it would grant these paths to every token; choose another roleName`);
      expect(make({ roleName: 'root' })).toThrow(`${reserved.replace('%s', 'root')}Vault refuses to write 'root', the policy of unlimited tokens; choose another roleName`);
    });
    test('fails on secrets that are not a list of VaultSecrets', () => {
      expect(make({ secrets: undefined })).toThrow(/^\[test\/Role\] invalid secrets undefined: must be an array of VaultSecret/);
      expect(make({ secrets: 'secret/data/x' })).toThrow(/^\[test\/Role\] invalid secrets "secret\/data\/x": must be an array of VaultSecret/);
      expect(make({ secrets: [VaultSecret.kv('secret', 'x'), { readPath: 'secret/*', _validate: () => 'secret/*' }] }))
        .toThrow(/^\[test\/Role\] invalid secrets\[1\] \{"readPath":"secret\/\*"\}: must be a VaultSecret/);
      // an object with every member of a VaultSecret passes the type guard, but is not one: its path is never validated
      const lookAlike = { engine: 'generic', mount: '', path: 'secret/*', readPath: 'secret/*', isDynamic: false, _validate: () => 'secret/*' };
      expect(make({ secrets: [VaultSecret.kv('secret', 'x'), lookAlike] }))
        .toThrow(/^\[test\/Role\] invalid secrets\[1\] \{.*\}: must be a VaultSecret, for example VaultSecret\.databaseCredentials\('order-service'\)$/);
      expect(make({ secrets: [] })).toThrow(/^\[test\/Role\] invalid secrets \[\]: must list at least one VaultSecret; a workload that reads no secret needs no Vault role$/);
      expect(make({ secrets: [VaultSecret.kv('secret', 'x'), VaultSecret.kv('secret', '*')] })).toThrow(/^\[test\/Role\] invalid secrets\[1\]\.path "\*"/);
    });
    test('TTLs: whole seconds from 1 minute to 24 hours, max at least ttl', () => {
      const ttls = (tokenTtl?: Duration, tokenMaxTtl?: Duration) => {
        const { chart, prod, vault } = setup();
        const w = new MeshService(chart, 'orders', { namespace: prod, image: IMAGE, port: 8080 });
        const json = new VaultKubernetesRole(chart, 'Role', { workload: w, vault, secrets: [VaultSecret.kv('secret', 'x')], tokenTtl, tokenMaxTtl }).toRoleJson();
        return [json.token_ttl, json.token_max_ttl];
      };
      expect(ttls()).toEqual([900, 3600]);
      expect(ttls(Duration.minutes(1), Duration.minutes(1))).toEqual([60, 60]);
      expect(ttls(Duration.hours(24), Duration.hours(24))).toEqual([86400, 86400]);
      expect(ttls(Duration.minutes(5))).toEqual([300, 3600]);
      expect(ttls(undefined, Duration.hours(2))).toEqual([900, 7200]);
      expect(make({ tokenTtl: Duration.seconds(59) })).toThrow(/invalid tokenTtl "59s": must be a whole number of seconds between 1 minute and 24 hours; short-lived tokens limit what a stolen token is worth$/);
      expect(make({ tokenMaxTtl: Duration.seconds(86401) })).toThrow(/invalid tokenMaxTtl "86401s": must be a whole number of seconds between 1 minute and 24 hours/);
      expect(make({ tokenTtl: Duration.millis(90500) })).toThrow(/invalid tokenTtl "90.5s": must be a whole number of seconds/);
      expect(make({ tokenTtl: 900 })).toThrow(/^\[test\/Role\] invalid tokenTtl 900: must be a Duration/);
      expect(make({ tokenTtl: Duration.minutes(20) })).not.toThrow();
      expect(make({ tokenTtl: Duration.hours(1) })).not.toThrow();
      expect(make({ tokenTtl: Duration.seconds(3601) })).toThrow(/^\[test\/Role\] invalid tokenMaxTtl "3600s": must be at least tokenTtl \(3601s\)$/);
    });
    test('fails on two roles with the same name', () => {
      const { chart, prod, vault } = setup();
      const w = new MeshService(chart, 'orders', { namespace: prod, image: IMAGE, port: 8080 });
      new VaultKubernetesRole(chart, 'A', { workload: w, vault, secrets: [VaultSecret.kv('secret', 'x')] });
      expect(() => new VaultKubernetesRole(chart, 'B', { workload: w, vault, secrets: [VaultSecret.kv('secret', 'y')] }))
        .toThrow(/^\[test\/B\] invalid roleName "production-orders": test\/A already defines this Vault role \(and its policy\); give each workload's delivery method its own roleName$/);
    });
  });
});
