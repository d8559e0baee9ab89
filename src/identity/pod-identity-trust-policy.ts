import { Construct } from 'constructs';
import { checkClusterArn, checkNamespaceName, checkServiceAccountName } from './_aws-checks';
import { guardedProps } from '../intent/_guards';
import { OutputFile } from '../intent/output-file';

/**
 * Properties of an EKS Pod Identity trust policy document.
 */
export interface PodIdentityTrustPolicyProps {
  /** The file path below the output directory. */
  readonly path: string;
  /** The ARN of the one cluster whose Pod Identity agent may assume the role. */
  readonly clusterArn: string;
  /** The namespace of the ServiceAccount. */
  readonly namespace: string;
  /** The ServiceAccount. */
  readonly serviceAccount: string;
}

/**
 * The IAM role trust policy for EKS Pod Identity: the service principal
 * `pods.eks.amazonaws.com` may `sts:AssumeRole` and `sts:TagSession` only when the session tags
 * EKS sets name exactly one cluster, namespace and ServiceAccount (`StringEquals` on
 * `aws:RequestTag/eks-cluster-arn`, `aws:RequestTag/kubernetes-namespace` and
 * `aws:RequestTag/kubernetes-service-account`; never `StringLike`, never a wildcard).
 *
 * Without these conditions any Pod Identity association of the account could hand the role
 * to any pod. The association must keep session tags enabled (`disableSessionTags: false`), or
 * the tags are missing and the conditions deny every request.
 *
 * @see https://docs.aws.amazon.com/eks/latest/userguide/pod-id-role.html
 * @see https://docs.aws.amazon.com/eks/latest/userguide/pod-id-abac.html
 */
export class PodIdentityTrustPolicy extends OutputFile {
  /** The policy document. */
  public readonly document: any;

  public constructor(scope: Construct, id: string, props: PodIdentityTrustPolicyProps) {
    super(scope, id, { path: guardedProps(scope, id, 'PodIdentityTrustPolicy', props).path });
    checkClusterArn(this, 'clusterArn', props.clusterArn);
    checkNamespaceName(this, 'namespace', props.namespace);
    checkServiceAccountName(this, 'serviceAccount', props.serviceAccount);
    this.document = {
      Version: '2012-10-17',
      Statement: [{
        Sid: 'EksPodIdentityForOneServiceAccount',
        Effect: 'Allow',
        Principal: { Service: 'pods.eks.amazonaws.com' },
        Action: ['sts:AssumeRole', 'sts:TagSession'],
        Condition: {
          StringEquals: {
            'aws:RequestTag/eks-cluster-arn': props.clusterArn,
            'aws:RequestTag/kubernetes-namespace': props.namespace,
            'aws:RequestTag/kubernetes-service-account': props.serviceAccount,
          },
        },
      }],
    };
  }

  public renderContents(): string {
    return `${JSON.stringify(this.document, undefined, 2)}\n`;
  }
}
