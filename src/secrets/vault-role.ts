import { Duration } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { VaultConnection } from './vault-connection';
import { VaultSecret } from './vault-secret';
import { guardProps } from '../intent/_guards';
import { invalid, sortedUnique } from '../intent/_validation';
import { IntentGraph } from '../intent/intent-graph';
import { IMeshWorkload } from '../intent/mesh-workload';
import { OutputFile } from '../intent/output-file';

/**
 * Properties of a VaultKubernetesRole.
 */
export interface VaultKubernetesRoleProps {
  /** The workload whose ServiceAccount (and only that one) the role trusts. */
  readonly workload: IMeshWorkload;
  /** The Vault the role is written to. */
  readonly vault: VaultConnection;
  /** The secrets the workload reads: the policy grants `read` on exactly their paths. */
  readonly secrets: VaultSecret[];
  /**
   * The name of the Vault role and of its policy.
   *
   * @default - `<namespace>-<workload name>`
   */
  readonly roleName?: string;
  /**
   * The TTL of the Vault tokens the role issues (`token_ttl`).
   *
   * @default Duration.minutes(15)
   */
  readonly tokenTtl?: Duration;
  /**
   * The maximum TTL of the Vault tokens the role issues, renewals included (`token_max_ttl`).
   *
   * @default Duration.hours(1)
   */
  readonly tokenMaxTtl?: Duration;
}

const ROLE_NAME = /^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$/;
/** Vault's built-in policies: `default` is attached to every token, `root` cannot be written. */
const RESERVED = ['default', 'root'];
const VAULT_ROLE = Symbol.for('cdk8s-zero-trust.VaultKubernetesRole');

/**
 * Defines the Vault side of a workload's secrets, as files in the synthesized output (Vault is
 * not configured through the Kubernetes API):
 *
 * - `vault/policies/<role>.hcl`: a Vault policy with `capabilities = ["read"]` on exactly the
 *   paths the workload reads (KV v2 paths include `data/`, database credentials are
 *   `<mount>/creds/<role>`), nothing wider;
 * - `vault/roles/<role>.json`: the body of `POST <authPath>/role/<role>` for the Kubernetes auth
 *   method: exactly one ServiceAccount name and one namespace (never `*`, never `default`), the
 *   token audience, `alias_name_source: serviceaccount_uid`, the policy and the token TTLs;
 * - `vault/apply.sh`, shared by every role of the app: `vault policy write` and
 *   `vault write <authPath>/role/<role> @vault/roles/<role>.json` lines, run from the output
 *   directory with `VAULT_ADDR` and a token allowed to write policies and roles.
 *
 * VaultInjectedDeployment, VaultCsiSecrets and VaultExternalSecrets define one each.
 */
export class VaultKubernetesRole extends Construct {
  /** Whether `x` is a VaultKubernetesRole. */
  public static isVaultKubernetesRole(x: any): x is VaultKubernetesRole {
    return x !== null && typeof x === 'object' && VAULT_ROLE in x;
  }

  /** The Vault role name (also the policy name). */
  public readonly roleName: string;
  /** The policy name. */
  public readonly policyName: string;
  /** The workload trusted. */
  public readonly workload: IMeshWorkload;
  /** The Vault connection. */
  public readonly vault: VaultConnection;
  /** The paths the policy grants `read` on, sorted and unique. */
  public readonly policyPaths: string[];
  /** The policy file (`vault/policies/<role>.hcl`). */
  public readonly policyFile: OutputFile;
  /** The role file (`vault/roles/<role>.json`). */
  public readonly roleFile: OutputFile;

  private readonly tokenTtl: number;
  private readonly tokenMaxTtl: number;

  public constructor(scope: Construct, id: string, props: VaultKubernetesRoleProps) {
    super(scope, id);
    guardProps(this, 'VaultKubernetesRole', props);
    Object.defineProperty(this, VAULT_ROLE, { value: true });
    this.workload = props.workload;
    this.vault = props.vault;
    const namespace = this.workload.zeroTrustNamespace.namespaceName;
    const problem = this.identityProblems()[0];
    if (problem) invalid(this, problem.prop, problem.value, problem.problem, problem.fix);
    // an adopted workload's ServiceAccount is read from its manifest: checked again at synthesis
    this.node.addValidation({ validate: () => this.identityProblems().map(p => `invalid ${p.prop} ${JSON.stringify(p.value)}: ${p.problem}; ${p.fix}`) });
    this.roleName = props.roleName ?? `${namespace}-${this.workload.workloadName}`;
    if (typeof this.roleName !== 'string' || this.roleName.length > 128 || !ROLE_NAME.test(this.roleName)) {
      invalid(this, 'roleName', props.roleName,
        'must be a Vault role name of at most 128 lower-case letters, digits, \'.\', \'_\' or \'-\', starting and ending with a letter or digit (no wildcards)',
        'leave roleName out for \'<namespace>-<workload>\'');
    }
    if (RESERVED.includes(this.roleName)) {
      invalid(this, 'roleName', this.roleName,
        `is a policy Vault reserves: the role's policy has the role's name, and ${this.roleName === 'default' ? 'Vault attaches \'default\' to every token, so writing it would grant these paths to every token' : 'Vault refuses to write \'root\', the policy of unlimited tokens'}`,
        'choose another roleName, or leave it out for \'<namespace>-<workload>\'');
    }
    this.policyName = this.roleName;
    if (!Array.isArray(props.secrets) || props.secrets.length === 0) {
      invalid(this, 'secrets', props.secrets, 'must list at least one VaultSecret', 'a workload that reads no secret needs no Vault role');
    }
    this.policyPaths = sortedUnique(props.secrets.map((s, i) => {
      if (!(s instanceof VaultSecret)) {
        invalid(this, `secrets[${i}]`, s, 'must be a VaultSecret, for example VaultSecret.databaseCredentials(\'order-service\')');
      }
      return s._validate(this, `secrets[${i}]`);
    }));
    this.tokenTtl = checkTtl(this, 'tokenTtl', props.tokenTtl ?? Duration.minutes(15));
    this.tokenMaxTtl = checkTtl(this, 'tokenMaxTtl', props.tokenMaxTtl ?? Duration.hours(1));
    if (this.tokenMaxTtl < this.tokenTtl) {
      invalid(this, 'tokenMaxTtl', `${this.tokenMaxTtl}s`, `must be at least tokenTtl (${this.tokenTtl}s)`);
    }

    const script = VaultApplyScript.ensure(this);
    script._register(this);
    this.policyFile = new TextFile(this, 'PolicyFile', `vault/policies/${this.policyName}.hcl`, () => this.renderPolicy());
    this.roleFile = new TextFile(this, 'RoleFile', `vault/roles/${this.roleName}.json`, () => `${JSON.stringify(this.toRoleJson(), undefined, 2)}\n`);
  }

  /** What makes the workload's identity unfit for a Vault role (the default ServiceAccount, globs). */
  private identityProblems(): Array<{ prop: string; value: string; problem: string; fix: string }> {
    const namespace = this.workload.zeroTrustNamespace.namespaceName;
    const serviceAccount = this.workload.serviceAccountName;
    if (serviceAccount === 'default') {
      return [{
        prop: 'serviceAccountName',
        value: serviceAccount,
        problem: 'a Vault role must not trust the \'default\' ServiceAccount: every pod of the namespace without its own ServiceAccount runs as it',
        fix: 'give the workload its own ServiceAccount (MeshService does unless serviceAccountName is \'default\')',
      }];
    }
    return [['serviceAccountName', serviceAccount], ['namespace', namespace]].filter(([, value]) => /[*?[\]{}]/.test(value) || value.trim() === '').map(([prop, value]) => ({
      prop,
      value,
      problem: 'a Vault role must name exactly one ServiceAccount in exactly one namespace: Vault matches \'*\' and glob patterns against every ServiceAccount or namespace',
      fix: 'give the workload a plain ServiceAccount name',
    }));
  }

  /** The Vault API path the role is written to: `<authPath>/role/<role>`. */
  public get rolePath(): string {
    return `${this.vault.authPath}/role/${this.roleName}`;
  }

  /** The role as the JSON body of `POST <authPath>/role/<role>`. */
  public toRoleJson(): any {
    return {
      alias_name_source: 'serviceaccount_uid',
      audience: this.vault.audience,
      bound_service_account_names: [this.workload.serviceAccountName],
      bound_service_account_namespaces: [this.workload.zeroTrustNamespace.namespaceName],
      token_max_ttl: this.tokenMaxTtl,
      token_policies: [this.policyName],
      token_ttl: this.tokenTtl,
    };
  }

  /** The policy in Vault's HCL. */
  public renderPolicy(): string {
    const w = this.workload;
    const header = [
      `# Vault policy ${this.policyName}, generated by cdk8s-zero-trust.`,
      `# ${w.zeroTrustNamespace.namespaceName}/${w.workloadName} (ServiceAccount ${w.serviceAccountName}) may read exactly these paths, nothing else.`,
    ];
    const blocks = this.policyPaths.map(p => `path "${p}" {\n  capabilities = ["read"]\n}`);
    return `${header.join('\n')}\n\n${blocks.join('\n\n')}\n`;
  }
}

function checkTtl(scope: IConstruct, prop: string, ttl: Duration): number {
  // integral: false, so that a fraction of a second gets this error (naming the construct and prop), not cdk8s's
  const seconds = ttl instanceof Duration ? ttl.toSeconds({ integral: false }) : NaN;
  if (!Number.isInteger(seconds) || seconds < 60 || seconds > 24 * 3600) {
    invalid(scope, prop, ttl instanceof Duration ? `${seconds}s` : ttl, 'must be a whole number of seconds between 1 minute and 24 hours', 'short-lived tokens limit what a stolen token is worth');
  }
  return seconds;
}

class TextFile extends OutputFile {
  public constructor(scope: Construct, id: string, filePath: string, private readonly render: () => string) {
    super(scope, id, { path: filePath });
  }

  public renderContents(): string {
    return this.render();
  }
}

/**
 * `vault/apply.sh`: applies every policy and role of the app, defined once per app (as a child
 * of the intent graph).
 */
class VaultApplyScript extends OutputFile {
  public static ensure(scope: IConstruct): VaultApplyScript {
    const graph = IntentGraph.of(scope);
    return (graph.node.tryFindChild('VaultApplyScript') as VaultApplyScript | undefined) ?? new VaultApplyScript(graph, 'VaultApplyScript');
  }

  private readonly roles = new Map<string, VaultKubernetesRole>();

  private constructor(scope: Construct, id: string) {
    super(scope, id, { path: 'vault/apply.sh' });
  }

  public _register(role: VaultKubernetesRole): void {
    for (const other of this.roles.values()) {
      if (other.roleName === role.roleName) {
        invalid(role, 'roleName', role.roleName, `${other.node.path} already defines this Vault role (and its policy)`,
          'give each workload\'s delivery method its own roleName');
      }
    }
    this.roles.set(role.node.path, role);
  }

  public renderContents(): string {
    const roles = [...this.roles.values()].sort((a, b) => (a.roleName < b.roleName ? -1 : 1));
    const lines = [
      '#!/bin/sh',
      '# Generated by cdk8s-zero-trust: writes every Vault policy and Kubernetes auth role of this app.',
      '# Run it from anywhere with VAULT_ADDR (and VAULT_CACERT) set and a Vault token allowed to write',
      '# sys/policies/acl/* and <authPath>/role/*. Each role trusts exactly one ServiceAccount.',
      'set -eu',
      'cd "$(dirname "$0")/.."',
      '',
    ];
    for (const role of roles) {
      lines.push(`# ${role.workload.zeroTrustNamespace.namespaceName}/${role.workload.workloadName}`);
      lines.push(`vault policy write '${role.policyName}' '${role.policyFile.relativePath}'`);
      lines.push(`vault write '${role.rolePath}' '@${role.roleFile.relativePath}'`);
    }
    return `${lines.join('\n')}\n`;
  }
}
