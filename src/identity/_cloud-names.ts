/**
 * The grammars of the cloud names and identifiers a user hands to the cloud identity layer:
 * AWS ARNs, Google resource names, Azure resource ids. Each regex accepts exactly the documented
 * form and nothing an IAM engine would read as a wildcard (`*`, `?`) or a policy variable (`${`).
 *
 * @internal
 */

/** `aws`, `aws-cn`, `aws-us-gov`. */
export const AWS_PARTITION = '(aws|aws-cn|aws-us-gov)';
/** A region code such as `eu-west-1`, `us-gov-west-1`, `cn-north-1`. */
export const AWS_REGION = '([a-z]{2}(?:-[a-z]+)+-\\d{1,2})';
const ACCOUNT = '(\\d{12})';

/** `arn:<partition>:iam::<account>:role/<optional path/><name>` */
export const ROLE_ARN = new RegExp(`^arn:${AWS_PARTITION}:iam::${ACCOUNT}:role/((?:[\\x21-\\x29\\x2b-\\x3e\\x40-\\x7e]+/)*)([\\w+=,.@-]{1,64})$`);
/** `arn:<partition>:eks:<region>:<account>:cluster/<name>` (EKS names: 1-100 of `[A-Za-z0-9_-]`, starting alphanumeric). */
export const EKS_CLUSTER_ARN = new RegExp(`^arn:${AWS_PARTITION}:eks:${AWS_REGION}:${ACCOUNT}:cluster/([0-9A-Za-z][A-Za-z0-9_-]{0,99})$`);
/** `arn:<partition>:kms:<region>:<account>:key/<key id>` (a key id or a multi-Region `mrk-` id, never an alias). */
export const KMS_KEY_ARN = new RegExp(`^arn:${AWS_PARTITION}:kms:${AWS_REGION}:${ACCOUNT}:key/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$`);
/** `arn:<partition>:secretsmanager:<region>:<account>:secret:<name>-<6 random characters>` */
export const SECRET_ARN = new RegExp(`^arn:${AWS_PARTITION}:secretsmanager:${AWS_REGION}:${ACCOUNT}:secret:([A-Za-z0-9/_+=.@-]{1,512}-[A-Za-z0-9]{6})$`);
/**
 * An S3 general purpose bucket name: 3-63 lower-case letters, digits, `.` and `-`, starting and
 * ending with a letter or digit, no `..`, not an IP address, no reserved prefix or suffix.
 */
export const S3_BUCKET = /^(?!xn--|sthree-|amzn-s3-demo-)(?!.*(-s3alias|--ol-s3|\.mrap|--x-s3|--table-s3)$)(?!\d+\.\d+\.\d+\.\d+$)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** A Cloud Storage bucket name without dots: 3-63 of `[a-z0-9_-]`, starting and ending alphanumeric, not starting with `goog`. */
export const GCS_BUCKET = /^(?!goog)[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]$/;
const GCP_PROJECT = '([a-z][a-z0-9-]{4,28}[a-z0-9])';
/** `projects/<project>/locations/<location>/keyRings/<ring>/cryptoKeys/<key>` */
export const GCP_KMS_KEY = new RegExp(`^projects/${GCP_PROJECT}/locations/([a-z0-9-]{1,63})/keyRings/([A-Za-z0-9_-]{1,63})/cryptoKeys/([A-Za-z0-9_-]{1,63})$`);
/** `projects/<project>/secrets/<secret>` */
export const GCP_SECRET = new RegExp(`^projects/${GCP_PROJECT}/secrets/([A-Za-z0-9_-]{1,255})$`);

const AZURE_SUBSCRIPTION = '([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})';
const AZURE_RESOURCE_GROUP = '([-\\w.()]{0,89}[-\\w()])';
/** `/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Storage/storageAccounts/<account>/blobServices/default/containers/<container>` */
export const AZURE_CONTAINER_ID = new RegExp(`^/subscriptions/${AZURE_SUBSCRIPTION}/resourceGroups/${AZURE_RESOURCE_GROUP}/providers/Microsoft\\.Storage/storageAccounts/([a-z0-9]{3,24})/blobServices/default/containers/((?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9])$`);
/** `/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.KeyVault/vaults/<vault>` */
export const AZURE_VAULT_ID = new RegExp(`^/subscriptions/${AZURE_SUBSCRIPTION}/resourceGroups/${AZURE_RESOURCE_GROUP}/providers/Microsoft\\.KeyVault/vaults/((?!.*--)[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9])$`);
/** A Key Vault secret or key name: 1-127 of `[A-Za-z0-9-]`. */
export const AZURE_VAULT_ITEM = /^[A-Za-z0-9-]{1,127}$/;

/**
 * An object prefix shared by S3, Cloud Storage and Blob Storage grants: path segments of
 * letters, digits and `! _ . ( ) -` (no `.`/`..` segment), ending with `/` so that `reports/`
 * never also matches `reports-private/`. No character any of the three condition languages
 * reads specially (`*`, `?`, `$`, quotes, backslashes).
 */
export const OBJECT_PREFIX = /^(?!\.{1,2}\/)(?!.*\/\.{1,2}\/)[A-Za-z0-9!_.()-]+(\/[A-Za-z0-9!_.()-]+)*\/$/;
