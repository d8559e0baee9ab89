import { IConstruct } from 'constructs';
import { AwsStatement, ResolvedGrant } from './_cloud-documents';
import {
  AZURE_CONTAINER_ID, AZURE_VAULT_ID, AZURE_VAULT_ITEM, GCP_KMS_KEY, GCP_SECRET, GCS_BUCKET, KMS_KEY_ARN, OBJECT_PREFIX,
  S3_BUCKET, SECRET_ARN,
} from './_cloud-names';
import { CloudProvider } from './cloud-provider';
import { guardArgs, staticScope } from '../intent/_guards';
import { invalid } from '../intent/_validation';

/**
 * Read access to the objects below one prefix of one S3 bucket.
 */
export interface AwsS3ReadOptions {
  /** The bucket name (not an ARN), for example `acme-reports`. */
  readonly bucket: string;
  /**
   * The key prefix, ending with `/`, for example `daily/`. Keys outside it stay unreadable.
   */
  readonly prefix: string;
  /**
   * Whether the workload may list the keys below the prefix (`s3:ListBucket` on the bucket,
   * conditioned on `s3:prefix`).
   *
   * @default true
   */
  readonly list?: boolean;
}

/**
 * Decryption with one KMS key.
 */
export interface AwsKmsDecryptOptions {
  /** The key ARN: `arn:aws:kms:<region>:<account>:key/<key id>` (not an alias). */
  readonly keyArn: string;
}

/**
 * Reading the value of one Secrets Manager secret.
 */
export interface AwsSecretReadOptions {
  /**
   * The complete secret ARN, with the 6 characters Secrets Manager appends to the name:
   * `arn:aws:secretsmanager:<region>:<account>:secret:<name>-AbCdEf`.
   */
  readonly secretArn: string;
}

/**
 * Read access to the objects below one prefix of one Cloud Storage bucket.
 */
export interface GcpStorageReadOptions {
  /** The bucket name, for example `acme-reports` (names with dots are not supported). */
  readonly bucket: string;
  /** The object name prefix, ending with `/`. */
  readonly prefix: string;
}

/**
 * Decryption with one Cloud KMS key.
 */
export interface GcpKmsDecryptOptions {
  /** The key: `projects/<project>/locations/<location>/keyRings/<ring>/cryptoKeys/<key>`. */
  readonly keyName: string;
}

/**
 * Accessing the versions of one Secret Manager secret.
 */
export interface GcpSecretReadOptions {
  /** The secret: `projects/<project>/secrets/<secret>`. */
  readonly secretName: string;
}

/**
 * Read access to the blobs below one prefix of one Blob Storage container.
 */
export interface AzureBlobReadOptions {
  /**
   * The container's resource id:
   * `/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Storage/storageAccounts/<account>/blobServices/default/containers/<container>`.
   */
  readonly containerId: string;
  /** The blob name prefix, ending with `/`. */
  readonly prefix: string;
}

/**
 * One secret of a Key Vault (RBAC permission model).
 */
export interface AzureKeyVaultSecretReadOptions {
  /** The vault's resource id: `/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.KeyVault/vaults/<vault>`. */
  readonly vaultId: string;
  /** The secret name. */
  readonly secretName: string;
}

/**
 * One key of a Key Vault (RBAC permission model).
 */
export interface AzureKeyVaultKeyUseOptions {
  /** The vault's resource id: `/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.KeyVault/vaults/<vault>`. */
  readonly vaultId: string;
  /** The key name. */
  readonly keyName: string;
}

const BLOB_READ = 'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read';

/**
 * A least-privilege permission of a workload's cloud identity: one action set on one resource,
 * declared with a typed factory and rendered into the cloud's permission document next to the
 * identity's trust policy. There is no factory for a wildcard resource or an administrative
 * action; names are checked against each cloud's grammar when the grant is bound to a workload.
 *
 * | factory | AWS IAM policy / Google IAM binding / Azure role assignment |
 * |---|---|
 * | `awsS3Read` | `s3:GetObject` on `arn:aws:s3:::<bucket>/<prefix>*`; `s3:ListBucket` on the bucket with `StringLike s3:prefix <prefix>*` |
 * | `awsKmsDecrypt` | `kms:Decrypt` on the key ARN |
 * | `awsSecretRead` | `secretsmanager:GetSecretValue` on the secret ARN |
 * | `gcpStorageRead` | `roles/storage.objectViewer` on the bucket, conditioned on `resource.name.startsWith(".../objects/<prefix>")` |
 * | `gcpKmsDecrypt` | `roles/cloudkms.cryptoKeyDecrypter` on the key |
 * | `gcpSecretRead` | `roles/secretmanager.secretAccessor` on the secret |
 * | `azureBlobRead` | `Storage Blob Data Reader` on the container, conditioned on the blob path and list prefix |
 * | `azureKeyVaultSecretRead` | `Key Vault Secrets User` on the secret |
 * | `azureKeyVaultKeyUse` | `Key Vault Crypto User` on the key |
 */
export class CloudGrant {
  /** Read the objects below one S3 prefix (and list that prefix unless `list: false`). */
  public static awsS3Read(options: AwsS3ReadOptions): CloudGrant {
    guardArgs(staticScope('CloudGrant.awsS3Read'), 'CloudGrant', 'awsS3Read', [options]);
    return new CloudGrant(CloudProvider.AWS, 'awsS3Read', options);
  }

  /** Decrypt with one KMS key (`kms:Decrypt` only: no encryption, no key administration). */
  public static awsKmsDecrypt(options: AwsKmsDecryptOptions): CloudGrant {
    guardArgs(staticScope('CloudGrant.awsKmsDecrypt'), 'CloudGrant', 'awsKmsDecrypt', [options]);
    return new CloudGrant(CloudProvider.AWS, 'awsKmsDecrypt', options);
  }

  /**
   * Read one Secrets Manager secret's value (`secretsmanager:GetSecretValue` only). A secret
   * encrypted with a customer managed key also needs `awsKmsDecrypt` on that key.
   */
  public static awsSecretRead(options: AwsSecretReadOptions): CloudGrant {
    guardArgs(staticScope('CloudGrant.awsSecretRead'), 'CloudGrant', 'awsSecretRead', [options]);
    return new CloudGrant(CloudProvider.AWS, 'awsSecretRead', options);
  }

  /**
   * Read the objects below one Cloud Storage prefix. Listing is not granted: an IAM condition
   * cannot restrict a listing to a prefix. The bucket needs uniform bucket-level access.
   */
  public static gcpStorageRead(options: GcpStorageReadOptions): CloudGrant {
    guardArgs(staticScope('CloudGrant.gcpStorageRead'), 'CloudGrant', 'gcpStorageRead', [options]);
    return new CloudGrant(CloudProvider.GCP, 'gcpStorageRead', options);
  }

  /** Decrypt with one Cloud KMS key (`roles/cloudkms.cryptoKeyDecrypter` on that key). */
  public static gcpKmsDecrypt(options: GcpKmsDecryptOptions): CloudGrant {
    guardArgs(staticScope('CloudGrant.gcpKmsDecrypt'), 'CloudGrant', 'gcpKmsDecrypt', [options]);
    return new CloudGrant(CloudProvider.GCP, 'gcpKmsDecrypt', options);
  }

  /** Access one Secret Manager secret's versions (`roles/secretmanager.secretAccessor` on that secret). */
  public static gcpSecretRead(options: GcpSecretReadOptions): CloudGrant {
    guardArgs(staticScope('CloudGrant.gcpSecretRead'), 'CloudGrant', 'gcpSecretRead', [options]);
    return new CloudGrant(CloudProvider.GCP, 'gcpSecretRead', options);
  }

  /** Read and list the blobs below one prefix of one container (an ABAC-conditioned `Storage Blob Data Reader`). */
  public static azureBlobRead(options: AzureBlobReadOptions): CloudGrant {
    guardArgs(staticScope('CloudGrant.azureBlobRead'), 'CloudGrant', 'azureBlobRead', [options]);
    return new CloudGrant(CloudProvider.AZURE, 'azureBlobRead', options);
  }

  /** Read one Key Vault secret (`Key Vault Secrets User` scoped to that secret). */
  public static azureKeyVaultSecretRead(options: AzureKeyVaultSecretReadOptions): CloudGrant {
    guardArgs(staticScope('CloudGrant.azureKeyVaultSecretRead'), 'CloudGrant', 'azureKeyVaultSecretRead', [options]);
    return new CloudGrant(CloudProvider.AZURE, 'azureKeyVaultSecretRead', options);
  }

  /**
   * Cryptographic operations with one Key Vault key (`Key Vault Crypto User` scoped to that key:
   * encrypt, decrypt, wrap, unwrap, sign, verify; no key management).
   */
  public static azureKeyVaultKeyUse(options: AzureKeyVaultKeyUseOptions): CloudGrant {
    guardArgs(staticScope('CloudGrant.azureKeyVaultKeyUse'), 'CloudGrant', 'azureKeyVaultKeyUse', [options]);
    return new CloudGrant(CloudProvider.AZURE, 'azureKeyVaultKeyUse', options);
  }

  /** The cloud whose identity the grant needs. */
  public readonly provider: CloudProvider;
  private readonly kind: string;
  private readonly options: any;

  private constructor(provider: CloudProvider, kind: string, options: any) {
    this.provider = provider;
    this.kind = kind;
    this.options = options ?? {};
  }

  /**
   * Validates the grant for a workload of `partition` (AWS) and renders it.
   * @internal
   */
  public _resolve(scope: IConstruct, prop: string, provider: CloudProvider, partition: string): ResolvedGrant {
    if (provider !== this.provider) {
      invalid(scope, prop, `CloudGrant.${this.kind}`, `is a permission for ${this.provider}, but this workload's cloud identity is for ${provider}`,
        'grant the permissions of the identity\'s own cloud');
    }
    const o = this.options;
    const at = (field: string) => `${prop}.${field}`;
    switch (this.kind) {
      case 'awsS3Read': {
        checkS3Bucket(scope, at('bucket'), o.bucket);
        checkPrefix(scope, at('prefix'), o.prefix);
        const statements: AwsStatement[] = [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: [`arn:${partition}:s3:::${o.bucket}/${o.prefix}*`] }];
        if (o.list ?? true) {
          statements.push({ Effect: 'Allow', Action: ['s3:ListBucket'], Resource: [`arn:${partition}:s3:::${o.bucket}`], Condition: { StringLike: { 's3:prefix': [`${o.prefix}*`] } } });
        }
        return { key: `s3:${o.bucket}/${o.prefix}`, aws: statements };
      }
      case 'awsKmsDecrypt': {
        checkArn(scope, at('keyArn'), o.keyArn, KMS_KEY_ARN, partition,
          'must be a KMS key ARN: arn:<partition>:kms:<region>:<12-digit account>:key/<key id or mrk- id> (not an alias, no wildcard)',
          'for example \'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab\'');
        return { key: `kms:${o.keyArn}`, aws: [{ Effect: 'Allow', Action: ['kms:Decrypt'], Resource: [o.keyArn] }] };
      }
      case 'awsSecretRead': {
        checkArn(scope, at('secretArn'), o.secretArn, SECRET_ARN, partition,
          'must be a complete Secrets Manager secret ARN: arn:<partition>:secretsmanager:<region>:<12-digit account>:secret:<name>-<6 characters> (no wildcard)',
          'copy the ARN from the secret\'s details, including the 6 characters after the name');
        return { key: `secret:${o.secretArn}`, aws: [{ Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: [o.secretArn] }] };
      }
      case 'gcpStorageRead': {
        if (typeof o.bucket !== 'string' || !GCS_BUCKET.test(o.bucket)) {
          invalid(scope, at('bucket'), o.bucket, 'must be a Cloud Storage bucket name of 3-63 lower-case letters, digits, \'-\' or \'_\', starting and ending with a letter or digit (no dots, no wildcard)');
        }
        checkPrefix(scope, at('prefix'), o.prefix);
        return {
          key: `gcs:${o.bucket}/${o.prefix}`,
          gcp: [{
            resource: `//storage.googleapis.com/projects/_/buckets/${o.bucket}`,
            role: 'roles/storage.objectViewer',
            condition: { title: `read ${o.prefix}`, expression: `resource.name.startsWith("projects/_/buckets/${o.bucket}/objects/${o.prefix}")` },
          }],
        };
      }
      case 'gcpKmsDecrypt':
        checkPattern(scope, at('keyName'), o.keyName, GCP_KMS_KEY, 'must be a Cloud KMS key name: projects/<project>/locations/<location>/keyRings/<ring>/cryptoKeys/<key>');
        return { key: `gcpkms:${o.keyName}`, gcp: [{ resource: `//cloudkms.googleapis.com/${o.keyName}`, role: 'roles/cloudkms.cryptoKeyDecrypter' }] };
      case 'gcpSecretRead':
        checkPattern(scope, at('secretName'), o.secretName, GCP_SECRET, 'must be a Secret Manager secret name: projects/<project>/secrets/<secret>');
        return { key: `gcpsecret:${o.secretName}`, gcp: [{ resource: `//secretmanager.googleapis.com/${o.secretName}`, role: 'roles/secretmanager.secretAccessor' }] };
      case 'azureBlobRead': {
        checkPattern(scope, at('containerId'), o.containerId, AZURE_CONTAINER_ID,
          'must be a Blob Storage container resource id: /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Storage/storageAccounts/<account>/blobServices/default/containers/<container>');
        checkPrefix(scope, at('prefix'), o.prefix);
        // the read sub-operations are bound to the blob path, listing to the requested prefix
        // (MicrosoftDocs storage-auth-abac-examples, "read or list blobs in named containers with a path")
        const condition = `((!(ActionMatches{'${BLOB_READ}'} AND NOT SubOperationMatches{'Blob.List'})) OR `
          + `(@Resource[Microsoft.Storage/storageAccounts/blobServices/containers/blobs:path] StringStartsWith '${o.prefix}')) AND `
          + `((!(ActionMatches{'${BLOB_READ}'} AND SubOperationMatches{'Blob.List'})) OR `
          + `(@Request[Microsoft.Storage/storageAccounts/blobServices/containers/blobs:prefix] StringStartsWith '${o.prefix}'))`;
        return {
          key: `blob:${o.containerId}/${o.prefix}`,
          azure: [{ scope: o.containerId, roleName: 'Storage Blob Data Reader', roleDefinitionId: '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1', condition, conditionVersion: '2.0' }],
        };
      }
      case 'azureKeyVaultSecretRead':
        checkPattern(scope, at('vaultId'), o.vaultId, AZURE_VAULT_ID, 'must be a Key Vault resource id: /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.KeyVault/vaults/<vault>');
        checkPattern(scope, at('secretName'), o.secretName, AZURE_VAULT_ITEM, 'must be a Key Vault secret name of 1-127 letters, digits or \'-\'');
        return {
          key: `kvsecret:${o.vaultId}/${o.secretName}`,
          azure: [{ scope: `${o.vaultId}/secrets/${o.secretName}`, roleName: 'Key Vault Secrets User', roleDefinitionId: '4633458b-17de-408a-b874-0445c86b69e6' }],
        };
      case 'azureKeyVaultKeyUse':
        checkPattern(scope, at('vaultId'), o.vaultId, AZURE_VAULT_ID, 'must be a Key Vault resource id: /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.KeyVault/vaults/<vault>');
        checkPattern(scope, at('keyName'), o.keyName, AZURE_VAULT_ITEM, 'must be a Key Vault key name of 1-127 letters, digits or \'-\'');
        return {
          key: `kvkey:${o.vaultId}/${o.keyName}`,
          azure: [{ scope: `${o.vaultId}/keys/${o.keyName}`, roleName: 'Key Vault Crypto User', roleDefinitionId: '12338af0-0e69-4776-bea7-57ae8d297424' }],
        };
      default:
        return invalid(scope, prop, this.kind, 'must be created with one of the CloudGrant factories');
    }
  }
}

function checkS3Bucket(scope: IConstruct, prop: string, bucket: unknown): void {
  if (typeof bucket !== 'string' || !S3_BUCKET.test(bucket)) {
    invalid(scope, prop, bucket,
      'must be an S3 bucket name: 3-63 lower-case letters, digits, \'.\' or \'-\', starting and ending with a letter or digit, not an ARN, an IP address or a wildcard',
      'for example \'acme-reports\'');
  }
}

function checkPrefix(scope: IConstruct, prop: string, prefix: unknown): void {
  if (typeof prefix !== 'string' || !OBJECT_PREFIX.test(prefix)) {
    invalid(scope, prop, prefix,
      'must be an object key prefix of path segments made of letters, digits, \'!\', \'_\', \'.\', \'(\', \')\' or \'-\', ending with \'/\' (no wildcard, no leading \'/\', no \'.\' or \'..\' segment)',
      'for example \'daily/\'; the grant covers every object below it');
  }
}

function checkArn(scope: IConstruct, prop: string, arn: unknown, pattern: RegExp, partition: string, allowed: string, fix: string): void {
  const match = typeof arn === 'string' ? pattern.exec(arn) : null;
  if (!match) {
    invalid(scope, prop, arn, allowed, fix);
  }
  if (match[1] !== partition) {
    invalid(scope, prop, arn, `is in partition ${match[1]}, but the workload's role is in ${partition}`, 'grant resources of the role\'s partition');
  }
}

function checkPattern(scope: IConstruct, prop: string, value: unknown, pattern: RegExp, allowed: string): void {
  if (typeof value !== 'string' || !pattern.test(value)) {
    invalid(scope, prop, value, allowed);
  }
}
