import { Construct } from 'constructs';
import { checkAccount, checkAudience, checkOidcIssuer, checkPartition, checkServiceAccountSubject } from './_aws-checks';
import { guardedProps } from '../intent/_guards';
import { OutputFile } from '../intent/output-file';

/**
 * Properties of an IRSA trust policy document.
 */
export interface IrsaTrustPolicyProps {
  /** The file path below the output directory. */
  readonly path: string;
  /** The AWS partition (`aws`, `aws-cn`, `aws-us-gov`). */
  readonly partition: string;
  /** The AWS account id of the role (and of the cluster's OIDC provider). */
  readonly accountId: string;
  /** The OIDC issuer without `https://`. */
  readonly oidcIssuer: string;
  /** The token audience. */
  readonly audience: string;
  /** The one subject allowed: `system:serviceaccount:<namespace>:<serviceAccount>`. */
  readonly subject: string;
}

/**
 * The IAM role trust policy for IRSA: the cluster's OIDC provider may assume the role only for
 * exactly one ServiceAccount (`StringEquals` on `<issuer>:sub` and `<issuer>:aud`, never a
 * wildcard or `StringLike`).
 */
export class IrsaTrustPolicy extends OutputFile {
  /** The policy document. */
  public readonly document: any;

  public constructor(scope: Construct, id: string, props: IrsaTrustPolicyProps) {
    super(scope, id, { path: guardedProps(scope, id, 'IrsaTrustPolicy', props).path });
    checkPartition(this, 'partition', props.partition);
    checkAccount(this, 'accountId', props.accountId);
    checkOidcIssuer(this, 'oidcIssuer', props.oidcIssuer);
    checkAudience(this, 'audience', props.audience);
    checkServiceAccountSubject(this, 'subject', props.subject);
    this.document = {
      Version: '2012-10-17',
      Statement: [{
        Effect: 'Allow',
        Principal: { Federated: `arn:${props.partition}:iam::${props.accountId}:oidc-provider/${props.oidcIssuer}` },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: {
          StringEquals: {
            [`${props.oidcIssuer}:sub`]: props.subject,
            [`${props.oidcIssuer}:aud`]: props.audience,
          },
        },
      }],
    };
  }

  public renderContents(): string {
    return `${JSON.stringify(this.document, undefined, 2)}\n`;
  }
}
