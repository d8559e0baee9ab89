import { ApiObject, Duration, Yaml } from 'cdk8s';
import { Construct } from 'constructs';
import { checkDelivery, deliverVolumes } from './_delivery';
import { VaultConnection } from './vault-connection';
import { VaultKubernetesRole } from './vault-role';
import { VaultSecret } from './vault-secret';
import * as csi from '../imports/secrets-store-csi';
import { guardProps } from '../intent/_guards';
import { invalid } from '../intent/_validation';
import { IntentGraph, Layer } from '../intent/intent-graph';
import { IMeshWorkload } from '../intent/mesh-workload';

/**
 * One file of a Secrets Store CSI volume: one key of one Vault secret.
 */
export interface VaultCsiSecret {
  /** The file name in the volume (the provider's `objectName`), unique per workload. */
  readonly name: string;
  /** The secret in Vault. */
  readonly secret: VaultSecret;
  /** The key of the secret's data written to the file (`secretKey`), for example `password`. */
  readonly key: string;
}

/**
 * Properties of VaultCsiSecrets.
 */
export interface VaultCsiSecretsProps {
  /**
   * The workload that mounts the secrets: any workload whose pods the app renders (a
   * MeshService, MeshStatefulService or AdoptedWorkload of any cdk8s-plus version or plain
   * ApiObject). A workload outside the app (ExternalWorkload) is an error.
   */
  readonly workload: IMeshWorkload;
  /** The Vault the CSI provider reads from. */
  readonly vault: VaultConnection;
  /** The files of the volume (at least one). */
  readonly secrets: VaultCsiSecret[];
  /**
   * The container that mounts the secrets (read-only).
   *
   * @default - the pod's first container
   */
  readonly container?: string;
  /**
   * The directory the volume is mounted at in the app container.
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

const SECRET_KEY = /^[A-Za-z0-9._-]+$/;

/**
 * Defines Vault secrets delivered by the Secrets Store CSI driver and the Vault CSI provider,
 * for teams that do not run the agent injector: the same intent and the same least-privilege
 * Vault role as VaultInjectedDeployment.
 *
 * Synthesizes a SecretProviderClass `<workload>-vault` (provider `vault`; `roleName`,
 * `vaultAddress`, `vaultKubernetesMountPath`, `audience` and `objects`), a read-only CSI volume
 * on the workload's pod mounted at `mountPath` in one container, and a VaultKubernetesRole. The provider logs in
 * as the pod's ServiceAccount with a token for the Vault audience; it runs on the node (the
 * privileged CSI driver DaemonSet is the cluster operator's, not the workload's), so the
 * workload needs no egress to Vault. Pod start blocks until the files are written; no
 * Kubernetes Secret is created.
 */
export class VaultCsiSecrets extends Construct {
  /** The SecretProviderClass (secrets-store.csi.x-k8s.io/v1). */
  public readonly secretProviderClass: ApiObject;
  /** The Vault role and policy. */
  public readonly vaultRole: VaultKubernetesRole;
  /** The directory the files are mounted in. */
  public readonly mountPath: string;

  public constructor(scope: Construct, id: string, props: VaultCsiSecretsProps) {
    super(scope, id);
    guardProps(this, 'VaultCsiSecrets', props);
    this.mountPath = props.mountPath ?? '/vault/secrets';
    const { workload, vault } = checkDelivery(this, props.workload, props.vault, props.secrets, this.mountPath, props.container);
    props.secrets.forEach((s, i) => {
      if (typeof s.key !== 'string' || !SECRET_KEY.test(s.key)) {
        invalid(this, `secrets[${i}].key`, s.key, 'must be a key of the secret\'s data: letters, digits, \'.\', \'_\' or \'-\'', 'for example \'password\'');
      }
    });
    this.vaultRole = new VaultKubernetesRole(this, 'VaultRole', {
      workload, vault, secrets: props.secrets.map(s => s.secret), roleName: props.role, tokenTtl: props.tokenTtl, tokenMaxTtl: props.tokenMaxTtl,
    });

    const namespace = workload.zeroTrustNamespace.namespaceName;
    const name = `${workload.workloadName}-vault`;
    const objects = props.secrets.map(s => ({ objectName: s.name, secretPath: s.secret.readPath, secretKey: s.key }));
    const parameters: { [key: string]: string } = {
      roleName: this.vaultRole.roleName,
      vaultAddress: vault.address,
      vaultKubernetesMountPath: vault.authMount,
      audience: vault.audience,
      objects: Yaml.stringify(objects),
    };
    if (vault.tlsServerName) {
      parameters.vaultTLSServerName = vault.tlsServerName;
    }
    const at = IntentGraph.of(this)._placement(Layer.SECRETS, this, `${namespace}-${workload.workloadName}`, 'SecretProviderClass');
    this.secretProviderClass = new csi.SecretProviderClass(at.scope, at.id, {
      metadata: {
        name,
        namespace,
        labels: { 'app.kubernetes.io/managed-by': 'cdk8s-zero-trust', 'app.kubernetes.io/name': workload.workloadName },
      },
      spec: { provider: 'vault', parameters },
    });

    deliverVolumes(this, workload, props.container, [{
      volume: { name: 'vault-secrets', csi: { driver: 'secrets-store.csi.k8s.io', readOnly: true, volumeAttributes: { secretProviderClass: name } } },
      mountPath: this.mountPath,
    }]);
  }
}
