import { ApiObject, Duration, JsonPatch } from 'cdk8s';
import { Construct } from 'constructs';
import { ensureVaultEgressPolicy } from './_vault-egress';
import { VaultConnection } from './vault-connection';
import { VaultKubernetesRole } from './vault-role';
import { VaultSecret } from './vault-secret';
import { EnforcementPoints } from '../enforcement/enforcement-points';
import { GoAction, GoTemplateError, parseTemplate } from '../intent/_go-template';
import { guardedProps } from '../intent/_guards';
import { invalid, labelKeyProblem } from '../intent/_validation';
import { IntentGraph } from '../intent/intent-graph';
import { MeshService } from '../mesh/mesh-service';
import { MeshServiceProps } from '../mesh/mesh-service-props';

/**
 * How the Vault agent's init container reaches Vault in an Istio sidecar namespace, where the
 * pod's outbound traffic is redirected to the istio-proxy before that proxy runs.
 */
export enum VaultIstioStartup {
  /**
   * Run istio-proxy as a Kubernetes native sidecar (`sidecar.istio.io/nativeSidecar: "true"`,
   * Kubernetes ≥ 1.29, Istio's default since 1.27): Istio places the proxy before every other
   * init container and Kubernetes waits for its startup probe, so `vault-agent-init` (appended
   * after it) talks to Vault through a running proxy, inside the mesh. Requires
   * `agentInitFirst: false`.
   */
  NATIVE_SIDECAR = 'native-sidecar',
  /**
   * Exclude the Vault port from the sidecar's redirection
   * (`traffic.sidecar.istio.io/excludeOutboundPorts`): the agent reaches Vault directly, with
   * Vault's own TLS but without mesh mTLS, and so does every container of the pod on that
   * port. For clusters without native sidecars.
   */
  EXCLUDE_VAULT_PORT = 'exclude-vault-port',
}

/**
 * A secret the Vault agent renders into `/vault/secrets/<fileName>`.
 */
export interface VaultInjectedSecret {
  /**
   * The secret's name in the injector annotations (`agent-inject-secret-<name>`): lower-case
   * letters, digits, '.', '_' or '-', unique per workload.
   */
  readonly name: string;
  /** The secret in Vault. */
  readonly secret: VaultSecret;
  /**
   * A consul-template rendering the file. It may read only `secret`'s path (the policy grants
   * nothing else). Missing keys fail the render (`error-on-missing-key`).
   *
   * @default - the injector's default template (`agent-inject-default-template`)
   */
  readonly template?: string;
  /**
   * The file name below `/vault/secrets/`.
   *
   * @default - the secret's name
   */
  readonly fileName?: string;
  /**
   * The file mode, four octal digits. The default lets the agent (owner) and the app (the
   * pod's group) read it, and nobody else.
   *
   * @default '0440'
   */
  readonly permissions?: string;
}

/**
 * Resources of the injected Vault agent containers (Kubernetes quantities).
 */
export interface VaultAgentResources {
  /**
   * CPU request (`agent-requests-cpu`).
   *
   * @default '250m'
   */
  readonly cpuRequest?: string;
  /**
   * CPU limit (`agent-limits-cpu`).
   *
   * @default '500m'
   */
  readonly cpuLimit?: string;
  /**
   * Memory request (`agent-requests-mem`).
   *
   * @default '64Mi'
   */
  readonly memoryRequest?: string;
  /**
   * Memory limit (`agent-limits-mem`).
   *
   * @default '128Mi'
   */
  readonly memoryLimit?: string;
}

/**
 * Properties of a VaultInjectedDeployment.
 */
export interface VaultInjectedDeploymentProps extends MeshServiceProps {
  /** The Vault the agent reads from. */
  readonly vault: VaultConnection;
  /** The secrets the agent renders (at least one). */
  readonly secrets: VaultInjectedSecret[];
  /**
   * The Vault role the agent logs in with (generated, trusting only this service's
   * ServiceAccount).
   *
   * @default - `<namespace>-<name>`
   */
  readonly role?: string;
  /**
   * Only the init container, no agent sidecar: secrets are rendered once at start and never
   * renewed. For Jobs, or apps that read their secrets only at start.
   *
   * @default false
   */
  readonly prePopulateOnly?: boolean;
  /**
   * Put `vault-agent-init` first among the init containers. In an Istio sidecar namespace
   * with native sidecars this would start it before the proxy and is rejected.
   *
   * @default false
   */
  readonly agentInitFirst?: boolean;
  /**
   * Resources of the agent containers.
   *
   * @default - requests 250m CPU / 64Mi, limits 500m CPU / 128Mi (the injector's defaults)
   */
  readonly agentResources?: VaultAgentResources;
  /**
   * The user id of the agent containers. Never 0 nor 1337 (traffic of Istio's proxy user
   * bypasses the sidecar).
   *
   * @default 100 (the injector's default)
   */
  readonly agentUser?: number;
  /**
   * How the agent's init container reaches Vault in an Istio sidecar namespace (ignored in
   * ambient namespaces, where ztunnel runs outside the pod).
   *
   * @default VaultIstioStartup.NATIVE_SIDECAR
   */
  readonly istioStartup?: VaultIstioStartup;
  /**
   * The lifetime of the projected ServiceAccount token the agent logs in with (audience
   * `vault.audience`, never mounted into the app container).
   *
   * @default Duration.minutes(10)
   */
  readonly loginTokenExpiration?: Duration;
  /**
   * The TTL of the Vault tokens of the generated role.
   *
   * @default Duration.minutes(15)
   */
  readonly tokenTtl?: Duration;
  /**
   * The maximum TTL of the Vault tokens of the generated role.
   *
   * @default Duration.hours(1)
   */
  readonly tokenMaxTtl?: Duration;
}

const PREFIX = 'vault.hashicorp.com';
/** Secret names become annotation keys (`agent-inject-template-<name>`: at most 63 characters, alphanumeric at both ends). */
const SECRET_NAME = /^[a-z0-9]([a-z0-9._-]{0,39}[a-z0-9])?$/;
const FILE_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;
const PERMISSIONS = /^0[0-7]{3}$/;
const QUANTITY = /^[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/;
const TOKEN_VOLUME = 'vault-token';
const ISTIO_PROXY_UID = 1337;
const CREDENTIAL_ENV = /(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL)/i;

/**
 * Defines a MeshService whose secrets come from Vault through the Vault agent injector, and
 * the matching least-privilege Vault role and policy.
 *
 * Synthesizes everything a MeshService does, plus:
 * - pod annotations for the agent injector (`vault.hashicorp.com/...`): role, address, auth
 *   path, TLS CA, one `agent-inject-secret-<name>` (with template, file and permissions) per
 *   secret, agent user, group, resources, `agent-set-security-context: "true"` and
 *   `agent-inject-containers: app`;
 * - a projected ServiceAccount token volume with the Vault audience, used only by the agent
 *   (`agent-service-account-token-volume-name`), so the app keeps no Kubernetes token;
 * - in Istio sidecar namespaces, `sidecar.istio.io/nativeSidecar: "true"` (or the Vault port
 *   excluded from redirection, see `VaultIstioStartup`), so `vault-agent-init` can reach Vault
 *   under STRICT mTLS;
 * - NetworkPolicy `<name>-vault-egress`: egress to exactly the Vault server pods and port;
 * - a VaultKubernetesRole: `vault/policies/<role>.hcl`, `vault/roles/<role>.json` and a line in
 *   `vault/apply.sh`.
 *
 * The injected containers meet Pod Security `restricted`: the injector sets non-root, a
 * read-only root filesystem, no privilege escalation and drops ALL capabilities; the seccomp
 * profile it leaves out comes from the pod (RuntimeDefault). Secrets never appear in the
 * output: only Vault paths and templates do.
 *
 * @example
 * new VaultInjectedDeployment(chart, 'order-service', {
 *   namespace: production, image: 'ghcr.io/acme/order:1.4.2', port: 8080, vault,
 *   secrets: [{ name: 'db', secret: VaultSecret.databaseCredentials('order-service') }],
 * });
 */
export class VaultInjectedDeployment extends MeshService {
  /** The Vault role and policy (as output files). */
  public readonly vaultRole: VaultKubernetesRole;
  /** The Vault connection. */
  public readonly vault: VaultConnection;
  /** The paths of the rendered files, by secret name. */
  public readonly secretFiles: { [name: string]: string };

  public constructor(scope: Construct, id: string, props: VaultInjectedDeploymentProps) {
    super(scope, id, guardedProps(scope, id, 'VaultInjectedDeployment', props));
    if (!(props.vault instanceof VaultConnection)) {
      invalid(this, 'vault', props.vault, 'must be a VaultConnection', 'define one with new VaultConnection(scope, \'Vault\', { address })');
    }
    this.vault = props.vault;
    const vault = props.vault;
    if (!Array.isArray(props.secrets) || props.secrets.length === 0) {
      invalid(this, 'secrets', props.secrets, 'must list at least one secret', 'use a MeshService for a workload without Vault secrets');
    }

    for (const name of Object.keys(props.env ?? {})) {
      // the value is never shown: it may be the secret
      if (CREDENTIAL_ENV.test(name)) {
        invalid(this, 'env', name, 'must not carry a credential: env values are written into the synthesized Deployment in plain text',
          'declare it as a Vault secret in `secrets` and read it from /vault/secrets/');
      }
    }

    const annotations: { [key: string]: string } = {};
    const set = (key: string, value: string) => { annotations[`${PREFIX}/${key}`] = value; };
    const files: { [name: string]: string } = {};
    const fileNames = new Map<string, string>();
    props.secrets.forEach((s, i) => {
      const prop = `secrets[${i}]`;
      if (!s || typeof s.name !== 'string' || !SECRET_NAME.test(s.name)) {
        invalid(this, `${prop}.name`, s?.name, 'must be 1-41 lower-case letters, digits, \'.\', \'_\' or \'-\', starting and ending with a letter or digit: it becomes part of annotation keys such as vault.hashicorp.com/agent-inject-template-<name> (the injector lower-cases annotation names)', 'for example \'db\'');
      }
      if (files[s.name] !== undefined) {
        invalid(this, `${prop}.name`, s.name, 'is listed twice: each secret needs its own name', 'rename one of them');
      }
      if (!(s.secret instanceof VaultSecret)) {
        invalid(this, `${prop}.secret`, s.secret, 'must be a VaultSecret, for example VaultSecret.databaseCredentials(\'order-service\')');
      }
      const path = s.secret._validate(this, `${prop}.secret`);
      const fileName = s.fileName ?? s.name;
      if (!FILE_NAME.test(fileName)) {
        invalid(this, `${prop}.fileName`, fileName, 'must be a file name: letters, digits, \'.\', \'_\' or \'-\', not starting with \'.\' or \'-\', no \'/\'');
      }
      const other = fileNames.get(fileName);
      if (other !== undefined) {
        invalid(this, `${prop}.fileName`, fileName, `secret '${other}' already renders this file`, 'give each secret its own fileName');
      }
      fileNames.set(fileName, s.name);
      const permissions = s.permissions ?? '0440';
      if (!PERMISSIONS.test(permissions)) {
        invalid(this, `${prop}.permissions`, permissions, 'must be a file mode of four octal digits', 'for example \'0440\'');
      }
      // no access for others, no write for the group
      const [, , group, others] = permissions.split('').map(Number);
      if (others !== 0 || [2, 3, 6, 7].includes(group)) {
        invalid(this, `${prop}.permissions`, permissions, 'must not let others read, nor anyone but the owner write, a secret', 'for example \'0440\' or \'0400\'');
      }
      set(`agent-inject-secret-${s.name}`, path);
      if (s.template !== undefined) {
        checkTemplate(this, `${prop}.template`, s.template, path);
        set(`agent-inject-template-${s.name}`, s.template);
        set(`error-on-missing-key-${s.name}`, 'true');
      }
      set(`agent-inject-file-${s.name}`, fileName);
      set(`agent-inject-perms-${s.name}`, permissions);
      files[s.name] = `/vault/secrets/${fileName}`;
    });
    this.secretFiles = files;

    this.vaultRole = new VaultKubernetesRole(this, 'VaultRole', {
      workload: this,
      vault,
      secrets: props.secrets.map(s => s.secret),
      roleName: props.role,
      tokenTtl: props.tokenTtl,
      tokenMaxTtl: props.tokenMaxTtl,
    });

    const agentUser = props.agentUser ?? 100;
    if (!Number.isInteger(agentUser) || agentUser < 1 || agentUser > 2147483647 || agentUser === ISTIO_PROXY_UID) {
      invalid(this, 'agentUser', agentUser, 'must be an integer between 1 and 2147483647, not 1337 (Istio exempts that user\'s traffic from the sidecar)');
    }
    const agentGroup = props.group ?? 10001;
    const resources = props.agentResources ?? {};
    const quantity = (prop: string, value: string | undefined, fallback: string) => {
      const v = value ?? fallback;
      if (typeof v !== 'string' || !QUANTITY.test(v)) {
        invalid(this, `agentResources.${prop}`, v, 'must be a Kubernetes quantity', 'for example \'250m\' or \'64Mi\'');
      }
      return v;
    };

    const prePopulateOnly = props.prePopulateOnly ?? false;
    const initFirst = props.agentInitFirst ?? false;
    const startup = props.istioStartup ?? VaultIstioStartup.NATIVE_SIDECAR;
    if (!Object.values(VaultIstioStartup).includes(startup)) {
      invalid(this, 'istioStartup', startup, `must be one of ${Object.values(VaultIstioStartup).join(', ')}`);
    }
    const sidecarMesh = EnforcementPoints.of(this).forNamespace(this.zeroTrustNamespace).sidecar;
    if (sidecarMesh && startup === VaultIstioStartup.NATIVE_SIDECAR && initFirst) {
      invalid(this, 'agentInitFirst', true,
        'with native sidecars, vault-agent-init must run after istio-proxy: first, it would start before the proxy and every connection to Vault would be refused',
        'leave agentInitFirst out, or use istioStartup: VaultIstioStartup.EXCLUDE_VAULT_PORT');
    }
    if (sidecarMesh && startup === VaultIstioStartup.EXCLUDE_VAULT_PORT && !vault.isTls) {
      invalid(this, 'istioStartup', startup, `traffic to ${vault.address} would bypass the mesh in plaintext`, 'use an https:// Vault address, or VaultIstioStartup.NATIVE_SIDECAR');
    }

    set('agent-inject', 'true');
    set('role', this.vaultRole.roleName);
    set('service', vault.address);
    set('agent-image', vault.agentImage);
    set('auth-path', vault.authPath);
    set('agent-service-account-token-volume-name', TOKEN_VOLUME);
    set('agent-inject-containers', 'app');
    set('agent-pre-populate-only', String(prePopulateOnly));
    set('agent-init-first', String(initFirst));
    set('agent-set-security-context', 'true');
    set('agent-run-as-user', String(agentUser));
    set('agent-run-as-group', String(agentGroup));
    set('agent-requests-cpu', quantity('cpuRequest', resources.cpuRequest, '250m'));
    set('agent-limits-cpu', quantity('cpuLimit', resources.cpuLimit, '500m'));
    set('agent-requests-mem', quantity('memoryRequest', resources.memoryRequest, '64Mi'));
    set('agent-limits-mem', quantity('memoryLimit', resources.memoryLimit, '128Mi'));
    if (vault.caCertSecret) {
      set('tls-secret', vault.caCertSecret);
      set('ca-cert', `/vault/tls/${vault.caCertKey}`);
    }
    if (vault.tlsServerName) {
      set('tls-server-name', vault.tlsServerName);
    }
    if (sidecarMesh) {
      if (startup === VaultIstioStartup.NATIVE_SIDECAR) {
        annotations['sidecar.istio.io/nativeSidecar'] = 'true';
      } else {
        annotations['traffic.sidecar.istio.io/excludeOutboundPorts'] = String(vault.addressPort);
      }
    }
    for (const key of Object.keys(annotations).sort()) {
      const problem = labelKeyProblem(key);
      if (problem) invalid(this, 'secrets', key, `would be an invalid annotation key: it ${problem}`, 'shorten the secret name');
      this.deployment.podMetadata.addAnnotation(key, annotations[key]);
    }

    const expiration = props.loginTokenExpiration ?? Duration.minutes(10);
    const expirationSeconds = expiration instanceof Duration ? expiration.toSeconds() : NaN;
    if (!Number.isInteger(expirationSeconds) || expirationSeconds < 600 || expirationSeconds > 48 * 3600) {
      invalid(this, 'loginTokenExpiration', `${expirationSeconds}s`, 'must be a whole number of seconds between 10 minutes and 48 hours (the Kubernetes TokenRequest limits)');
    }
    // cdk8s-plus-27 has no projected volume: the token volume is added as a patch (the pod has
    // no other volume); the injector mounts it into its own containers only
    ApiObject.of(this.deployment).addJsonPatch(JsonPatch.add('/spec/template/spec/volumes', [{
      name: TOKEN_VOLUME,
      projected: {
        sources: [{ serviceAccountToken: { audience: vault.audience, expirationSeconds, path: 'token' } }],
      },
    }]));

    ensureVaultEgressPolicy(this, vault);
    // through the sidecar (native sidecar mode), the agent must still see Vault where a
    // REGISTRY_ONLY Sidecar (external egress) narrows what the workload's proxy may reach
    if (vault.serviceHost && sidecarMesh && startup === VaultIstioStartup.NATIVE_SIDECAR) {
      IntentGraph.of(this).declarePlatformEndpoint(this, { namespace: vault.namespace, host: vault.serviceHost, port: vault.port });
    }
  }
}

/**
 * consul-template functions that read something other than the one declared secret: Vault
 * (`secrets`, `pkiCert`), Consul, Nomad, the agent's files and environment (its token sink is a
 * file), or that write files or run plugins.
 */
const OTHER_SOURCES = ['secrets', 'pkiCert', 'caLeaf', 'caRoots', 'file', 'env', 'mustEnv', 'envOrDefault', 'key', 'keyExists', 'keyOrDefault',
  'ls', 'safeLs', 'tree', 'safeTree', 'service', 'services', 'connect', 'node', 'nodes', 'datacenters', 'writeToFile', 'executeTemplate',
  'plugin', 'nomadService', 'nomadServices', 'nomadVar', 'nomadVarExists', 'nomadVarList', 'nomadVarListSafe', 'sockaddr'];

/**
 * Checks a consul-template by Go's template grammar: it parses, every `secret` call takes
 * exactly one string literal (interpreted or raw) naming the declared path, never a computed
 * path (`print`, a variable, a pipeline), and no function reads another source.
 */
function checkTemplate(scope: Construct, prop: string, template: string, path: string): void {
  if (typeof template !== 'string' || template.trim() === '') {
    invalid(scope, prop, template, 'must be a non-empty consul-template');
  }
  let actions: GoAction[];
  try {
    actions = parseTemplate(template);
  } catch (e) {
    if (!(e instanceof GoTemplateError)) throw e;
    invalid(scope, prop, template, `is not a valid Go template: ${e.message}`);
  }
  const reads: string[] = [];
  for (const { tokens } of actions) {
    tokens.forEach((t, i) => {
      if (t.kind !== 'ident') return;
      if (OTHER_SOURCES.includes(t.text)) {
        invalid(scope, prop, t.text, `reads or writes something other than "${path}": the template may read only its declared secret`, 'declare another secret for another path');
      }
      if (t.text !== 'secret') return;
      const before = tokens[i - 1];
      const arg = tokens[i + 1];
      const after = tokens[i + 2];
      const startsCommand = !before || ['lparen', 'assign'].includes(before.kind) || (before.kind === 'ident' && ['with', 'if', 'range'].includes(before.text));
      const literal = arg && (arg.kind === 'string' || arg.kind === 'raw');
      const endsCommand = !after || after.kind === 'rparen' || after.kind === 'pipe';
      if (!startsCommand || !literal || !endsCommand) {
        invalid(scope, prop, template, `must call secret with exactly one string literal naming "${path}" (not a computed path, a variable, a pipeline or extra arguments)`,
          `write {{ with secret "${path}" }}...{{ end }}`);
      }
      reads.push(arg.value!.split('?')[0]);
    });
  }
  if (reads.length === 0) {
    invalid(scope, prop, template, `must read the secret with {{ with secret "${path}" }}`, 'leave template out for the injector\'s default rendering');
  }
  for (const p of reads) {
    if (p !== path) {
      invalid(scope, prop, p, `the template may read only "${path}": the generated Vault policy grants nothing else`, 'declare another secret for another path');
    }
  }
}
