import { Construct } from 'constructs';
import { guardedProps } from '../intent/_guards';
import { OutputFile } from '../intent/output-file';

/**
 * Properties of a cloud trust file.
 */
export interface CloudTrustFileProps {
  /** The file path below the output directory. */
  readonly path: string;
  /** The JSON document. */
  readonly document: any;
}

/**
 * The trust side of a GKE or Entra workload identity as JSON, next to the ServiceAccount it
 * trusts:
 *
 * - GKE: `{ resource, role, member }`, the binding of `roles/iam.workloadIdentityUser` on the
 *   Google service account to exactly one Kubernetes ServiceAccount
 *   (`serviceAccount:<pool>[<namespace>/<serviceAccount>]`), for
 *   `gcloud iam service-accounts add-iam-policy-binding <email> --role <role> --member <member>`;
 * - Azure: `{ name, issuer, subject, audiences }`, the federated identity credential of the
 *   managed identity for exactly one ServiceAccount (`system:serviceaccount:<namespace>:<serviceAccount>`),
 *   for `az identity federated-credential create --parameters @<path>` (or the equivalent flags).
 */
export class CloudTrustFile extends OutputFile {
  /** The document. */
  public readonly document: any;

  public constructor(scope: Construct, id: string, props: CloudTrustFileProps) {
    super(scope, id, { path: guardedProps(scope, id, 'CloudTrustFile', props).path });
    this.document = props.document;
  }

  public renderContents(): string {
    return `${JSON.stringify(this.document, undefined, 2)}\n`;
  }
}
