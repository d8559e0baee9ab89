import { Construct } from 'constructs';
import { ResolvedGrant } from './_cloud-documents';
import { CloudProvider } from './cloud-provider';
import { guardedProps } from '../intent/_guards';
import { invalid } from '../intent/_validation';
import { OutputFile } from '../intent/output-file';

/**
 * Properties of a cloud permission policy file.
 */
export interface CloudPermissionPolicyProps {
  /** The file path below the output directory. */
  readonly path: string;
  /** The cloud. */
  readonly provider: CloudProvider;
  /**
   * Who receives the permissions: the Google IAM member (`serviceAccount:<email>`) or the Azure
   * client id. Not used for AWS (the policy is attached to the role).
   *
   * @default - none (AWS)
   */
  readonly principal?: string;
}

/**
 * The permissions of one workload's cloud identity, from its `CloudGrant`s, in the cloud's own
 * vocabulary, rendered at synthesis time:
 *
 * - AWS: an IAM identity policy to attach to the workload's role
 *   (`aws iam put-role-policy --policy-document file://<path>`): one `Allow` statement per
 *   action set, each naming exact resources;
 * - GCP: `{ member, bindings: [{ resource, role, condition? }] }`, one role binding per
 *   resource (`gcloud ... add-iam-policy-binding <resource> --member <member> --role <role>`);
 * - Azure: `{ assignee, assignments: [{ scope, roleName, roleDefinitionId, condition?, conditionVersion? }] }`
 *   (`az role assignment create --assignee <assignee> --role <roleDefinitionId> --scope <scope>`).
 *
 * Never a `*` resource, never an administrative action: grants come only from the typed
 * `CloudGrant` factories, and the rendering is checked again here.
 */
export class CloudPermissionPolicy extends OutputFile {
  /** The cloud. */
  public readonly provider: CloudProvider;
  private readonly principal?: string;
  private readonly grants = new Map<string, ResolvedGrant>();

  public constructor(scope: Construct, id: string, props: CloudPermissionPolicyProps) {
    super(scope, id, { path: guardedProps(scope, id, 'CloudPermissionPolicy', props).path });
    this.provider = props.provider;
    this.principal = props.principal;
  }

  /**
   * Adds a resolved grant (idempotent by the grant's resource).
   * @internal
   */
  public _add(grant: ResolvedGrant): void {
    this.grants.set(grant.key, grant);
  }

  /** The document, as it is written. */
  public get document(): any {
    const grants = [...this.grants.keys()].sort().map(k => this.grants.get(k)!);
    let document: any;
    switch (this.provider) {
      case CloudProvider.AWS:
        document = { Version: '2012-10-17', Statement: grants.flatMap(g => g.aws ?? []) };
        break;
      case CloudProvider.GCP:
        document = { member: this.principal, bindings: grants.flatMap(g => g.gcp ?? []) };
        break;
      default:
        document = { assignee: this.principal, assignments: grants.flatMap(g => g.azure ?? []) };
    }
    const text = JSON.stringify(document);
    // the factories cannot produce a wildcard resource: this is the last line of defence
    if (/"(Resource|resource|scope)":\s*(\[\s*)?"\*"|"Action":\s*\[[^\]]*"[a-z0-9-]+:\*"|"roles\/(owner|editor)"|"Owner"|"Contributor"/.test(text)) {
      invalid(this, 'grants', document, 'renders a wildcard resource or an administrative action', 'report this as a bug of cdk8s-zero-trust');
    }
    return document;
  }

  public renderContents(): string {
    return `${JSON.stringify(this.document, undefined, 2)}\n`;
  }
}
