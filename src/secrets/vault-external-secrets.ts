import { ApiObject, Duration, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { checkDelivery, deliverVolumes } from './_delivery';
import { VaultConnection } from './vault-connection';
import { VaultKubernetesRole } from './vault-role';
import { VaultSecret, VaultSecretEngine } from './vault-secret';
import * as eso from '../imports/external-secrets';
import { guardProps } from '../intent/_guards';
import { invalid } from '../intent/_validation';
import { IntentGraph, Layer } from '../intent/intent-graph';
import { IMeshWorkload } from '../intent/mesh-workload';

/**
 * A Vault secret synchronized by External Secrets into a Kubernetes Secret.
 */
export interface VaultExternalSecret {
  /**
   * The secret's name: the ExternalSecret and the Kubernetes Secret are `<workload>-<name>`,
   * mounted at `<mountPath>/<name>/<key>`.
   */
  readonly name: string;
  /** The secret in Vault: every key of its data becomes a key of the Kubernetes Secret. */
  readonly secret: VaultSecret;
}

/**
 * Properties of VaultExternalSecrets.
 */
export interface VaultExternalSecretsProps {
  /**
   * The workload that mounts the secrets: any workload whose pods the app renders (a
   * MeshService, MeshStatefulService or AdoptedWorkload of any cdk8s-plus version or plain
   * ApiObject). A workload outside the app (ExternalWorkload) is an error.
   */
  readonly workload: IMeshWorkload;
  /** The Vault External Secrets reads from. */
  readonly vault: VaultConnection;
  /** The secrets (at least one). */
  readonly secrets: VaultExternalSecret[];
  /**
   * How often External Secrets reads the secrets again. For database credentials each read
   * is a new lease: keep it below the database role's TTL.
   *
   * @default Duration.minutes(15)
   */
  readonly refreshInterval?: Duration;
  /**
   * The container that mounts the secrets (read-only).
   *
   * @default - the pod's first container
   */
  readonly container?: string;
  /**
   * The directory the secrets are mounted below in the app container.
   *
   * @default '/vault/secrets'
   */
  readonly mountPath?: string;
  /**
   * The Vault role name.
   *
   * @default - `<namespace>-<workload>`
   */
  readonly role?: string;
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

/**
 * Defines Vault secrets synchronized by External Secrets, for teams that do not run the agent
 * injector: the same intent and the same least-privilege Vault role as VaultInjectedDeployment.
 *
 * Synthesizes a SecretStore per KV version needed (`<workload>-vault-kv2` for KV v2 secrets,
 * `<workload>-vault-v1` for KV v1, database and other engines) with the Vault provider and
 * Kubernetes auth as the workload's own ServiceAccount (a token for the Vault audience, via
 * `serviceAccountRef`), one ExternalSecret per secret (`dataFrom.extract` of exactly its path,
 * target Secret owned by the ExternalSecret), the Secret volumes mounted read-only (mode 0440)
 * into the app container, and a VaultKubernetesRole.
 *
 * Trade-off: the values land in Kubernetes Secrets (etcd); the library itself never writes a
 * value. The External Secrets controller, not the workload, calls Vault: the workload needs no
 * egress to Vault.
 */
export class VaultExternalSecrets extends Construct {
  /** The Vault role and policy. */
  public readonly vaultRole: VaultKubernetesRole;
  /** The ExternalSecrets (external-secrets.io/v1), in the order of `secrets`. */
  public readonly externalSecrets: ApiObject[];

  public constructor(scope: Construct, id: string, props: VaultExternalSecretsProps) {
    super(scope, id);
    guardProps(this, 'VaultExternalSecrets', props);
    const mountPath = props.mountPath ?? '/vault/secrets';
    const { workload, vault } = checkDelivery(this, props.workload, props.vault, props.secrets, mountPath, props.container);
    const refresh = props.refreshInterval ?? Duration.minutes(15);
    const refreshSeconds = refresh instanceof Duration ? refresh.toSeconds() : NaN;
    if (!Number.isInteger(refreshSeconds) || refreshSeconds < 60) {
      invalid(this, 'refreshInterval', refresh instanceof Duration ? `${refreshSeconds}s` : refresh, 'must be a whole number of seconds, at least 1 minute');
    }
    this.vaultRole = new VaultKubernetesRole(this, 'VaultRole', {
      workload, vault, secrets: props.secrets.map(s => s.secret), roleName: props.role, tokenTtl: props.tokenTtl, tokenMaxTtl: props.tokenMaxTtl,
    });

    const graph = IntentGraph.of(this);
    const namespace = workload.zeroTrustNamespace.namespaceName;
    const ownerKey = `${namespace}-${workload.workloadName}`;
    const labels = { 'app.kubernetes.io/managed-by': 'cdk8s-zero-trust', 'app.kubernetes.io/name': workload.workloadName };
    const stores = new Map<string, string>();
    const storeFor = (secret: VaultSecret): string => {
      const version = secret.engine === VaultSecretEngine.KV_V2
        ? eso.SecretStoreSpecProviderVaultVersion.V2
        : eso.SecretStoreSpecProviderVaultVersion.V1;
      const suffix = version === eso.SecretStoreSpecProviderVaultVersion.V2 ? 'kv2' : 'v1';
      const existing = stores.get(suffix);
      if (existing) {
        return existing;
      }
      const name = `${workload.workloadName}-vault-${suffix}`;
      const at = graph._placement(Layer.SECRETS, this, ownerKey, `SecretStore-${suffix}`);
      new eso.SecretStore(at.scope, at.id, {
        metadata: { name, namespace, labels },
        spec: {
          provider: {
            vault: {
              server: vault.address,
              version,
              caProvider: vault.caCertSecret
                ? { type: eso.SecretStoreSpecProviderVaultCaProviderType.SECRET, name: vault.caCertSecret, key: vault.caCertKey }
                : undefined,
              auth: {
                kubernetes: {
                  mountPath: vault.authMount,
                  role: this.vaultRole.roleName,
                  // read at synthesis: an adopted workload's ServiceAccount is its manifest's then
                  serviceAccountRef: { name: Lazy.any({ produce: () => workload.serviceAccountName }), audiences: [vault.audience] },
                },
              },
            },
          },
        },
      });
      stores.set(suffix, name);
      return name;
    };

    this.externalSecrets = props.secrets.map(s => {
      const name = `${workload.workloadName}-${s.name}`;
      const at = graph._placement(Layer.SECRETS, this, ownerKey, `ExternalSecret-${s.name}`);
      const externalSecret = new eso.ExternalSecret(at.scope, at.id, {
        metadata: { name, namespace, labels },
        spec: {
          refreshInterval: `${refreshSeconds}s`,
          secretStoreRef: { kind: eso.ExternalSecretSpecSecretStoreRefKind.SECRET_STORE, name: storeFor(s.secret) },
          target: { name, creationPolicy: eso.ExternalSecretSpecTargetCreationPolicy.OWNER },
          // the full API path: with it External Secrets adds no `data/` of its own
          dataFrom: [{ extract: { key: s.secret.readPath } }],
        },
      });
      return externalSecret;
    });
    deliverVolumes(this, workload, props.container, props.secrets.map(s => ({
      volume: { name: `vault-${s.name}`, secret: { secretName: `${workload.workloadName}-${s.name}`, defaultMode: 0o440 } },
      mountPath: `${mountPath}/${s.name}`,
    })));
  }
}
