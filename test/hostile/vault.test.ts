import { parse as parseHcl } from '@cdktf/hcl2json';
import { Testing } from 'cdk8s';
import * as fc from 'fast-check';
import { hostile, rejection, RUNS } from './_hostile';
import { MeshService, OutputFile, VaultConnection, VaultInjectedDeployment, VaultKubernetesRole, VaultSecret, ZeroTrustNamespace } from '../../src';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const sh = require('mvdan-sh');

/** The words of every simple command of a POSIX shell script, read by mvdan/sh's parser. */
function shellCommands(script: string): string[][] {
  const file = sh.syntax.NewParser().Parse(script, 'apply.sh');
  const commands: string[][] = [];
  sh.syntax.Walk(file, (node: any) => {
    if (node && sh.syntax.NodeType(node) === 'CallExpr') {
      commands.push(node.Args.map((word: any) => word.Parts.map((part: any) => {
        const type = sh.syntax.NodeType(part);
        // only literal words: any expansion (a parameter, a command substitution) is marked
        return type === 'Lit' || type === 'SglQuoted' ? part.Value : `<${type}>`;
      }).join('')));
    }
    return true;
  });
  return commands;
}

function files(scope: any): { [path: string]: string } {
  return Object.fromEntries(OutputFile.of(scope.node.root).map(f => [f.relativePath, f.renderContents()]));
}

function setup() {
  const chart = Testing.chart();
  const prod = new ZeroTrustNamespace(chart, 'prod', { name: 'production' });
  const vault = new VaultConnection(chart, 'Vault', { address: 'https://vault.vault.svc:8200' });
  const orders = new MeshService(chart, 'orders', { namespace: prod, image: 'r/orders:1', port: 8080 });
  return { chart, prod, vault, orders };
}

describe('hostile input: Vault', () => {
  /** Role, mount and path as the user passes them; one varies at a time, the others stay valid. */
  const cases = fc.oneof(
    fc.record({ roleName: fc.oneof(hostile, fc.constantFrom('default', 'root')), mount: fc.constant('secret'), path: fc.constant('production/orders') }),
    fc.record({ roleName: fc.constant('orders'), mount: hostile, path: fc.constant('production/orders') }),
    fc.record({ roleName: fc.constant('orders'), mount: fc.constant('secret'), path: hostile }),
  );

  test('role names, mounts and paths are rejected, or the policy (HashiCorp\'s HCL parser) grants read on exactly the path and apply.sh (a POSIX shell parser) runs exactly the two commands', async () => {
    await fc.assert(fc.asyncProperty(cases, async ({ roleName, mount, path }) => {
      const { chart, vault, orders } = setup();
      let role: VaultKubernetesRole | undefined;
      const error = rejection(() => {
        role = new VaultKubernetesRole(chart, 'Role', { workload: orders, vault, secrets: [VaultSecret.kv(mount, path)], roleName });
      }, /^\[test\/Role\] invalid (roleName|secrets\[0\]\.(mount|path)) /);
      if (error || !role) return;
      const out = files(chart);
      const readPath = `${mount}/data/${path}`;
      const policy = await parseHcl('policy.hcl', out[`vault/policies/${roleName}.hcl`]);
      expect(policy).toEqual({ path: { [readPath]: [{ capabilities: ['read'] }] } });
      expect(JSON.parse(out[`vault/roles/${roleName}.json`]).token_policies).toEqual([roleName]);
      expect(shellCommands(out['vault/apply.sh']).filter(c => c[0] === 'vault')).toEqual([
        ['vault', 'policy', 'write', roleName, `vault/policies/${roleName}.hcl`],
        ['vault', 'write', `auth/kubernetes/role/${roleName}`, `@vault/roles/${roleName}.json`],
      ]);
      // Vault's own policies: default is attached to every token, root cannot be written
      expect(['default', 'root']).not.toContain(roleName);
    }), RUNS);
  });

  test('secret names and templates are rejected, or the annotations carry them unchanged under valid annotation keys', () => {
    fc.assert(fc.property(hostile, hostile, fc.constantFrom('"', '`'), (name, inner, quote) => {
      const { chart, prod, vault } = setup();
      const template = `{{ with secret ${quote}database/creds/orders${quote} }}${inner}{{ end }}`;
      let service: VaultInjectedDeployment | undefined;
      const error = rejection(() => {
        service = new VaultInjectedDeployment(chart, 'svc', {
          namespace: prod,
          image: 'r/svc:1',
          port: 8080,
          vault,
          secrets: [{ name, secret: VaultSecret.databaseCredentials('orders'), template }],
        });
      }, /^\[test\/svc\] invalid secrets(\[0\]\.(name|template))? /);
      if (error || !service) return;
      const annotations = Testing.synth(chart).find(o => o.kind === 'Deployment' && o.metadata.name === 'svc').spec.template.metadata.annotations;
      expect(annotations[`vault.hashicorp.com/agent-inject-template-${name}`]).toBe(template);
      expect(annotations[`vault.hashicorp.com/agent-inject-secret-${name}`]).toBe('database/creds/orders');
      for (const key of Object.keys(annotations)) expect(key).toMatch(/^[a-z0-9.-]+\/[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/);
    }), RUNS);
  });

  test('a Vault address is rejected under the VaultConnection, or it is one https host', () => {
    fc.assert(fc.property(hostile, hostile, (host, port) => {
      const chart = Testing.chart();
      let vault: VaultConnection | undefined;
      const error = rejection(() => {
        vault = new VaultConnection(chart, 'Vault', { address: `https://${host}${port ? `:${port}` : ''}` });
      }, /^\[test\/Vault\] invalid (address|port) /);
      if (error || !vault) return;
      expect(vault.address).toMatch(/^https:\/\/([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*|\[[0-9a-f:.]+\])(:\d+)?$/);
      expect(vault.address).not.toContain('*');
    }), RUNS);
  });
});
