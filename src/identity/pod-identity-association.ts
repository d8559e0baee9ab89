import { Construct } from 'constructs';
import { checkEksClusterName, checkNamespaceName, checkRoleArn, checkServiceAccountName } from './_aws-checks';
import { guardedProps } from '../intent/_guards';
import { OutputFile } from '../intent/output-file';

/**
 * Properties of an EKS Pod Identity association file.
 */
export interface PodIdentityAssociationProps {
  /** The file path below the output directory. */
  readonly path: string;
  /** The EKS cluster name. */
  readonly clusterName: string;
  /** The namespace of the ServiceAccount. */
  readonly namespace: string;
  /** The ServiceAccount. */
  readonly serviceAccount: string;
  /** The IAM role the ServiceAccount's pods receive. */
  readonly roleArn: string;
}

/**
 * The EKS Pod Identity association of one ServiceAccount with one IAM role, as the input of
 * `aws eks create-pod-identity-association --cli-input-json file://<path> --region <cluster region>`
 * (the `CreatePodIdentityAssociation` request: `clusterName`, `namespace`, `serviceAccount`,
 * `roleArn`, `disableSessionTags`).
 *
 * Session tags stay enabled (`disableSessionTags: false`): the role's trust policy
 * (`PodIdentityTrustPolicy`) pins the role to this cluster, namespace and ServiceAccount with
 * them. The association is an AWS API object, not a Kubernetes one, so it is written as a file:
 * ACK's `PodIdentityAssociation` custom resource would need the ACK EKS controller and its CRD in
 * the cluster.
 *
 * @see https://docs.aws.amazon.com/cli/latest/reference/eks/create-pod-identity-association.html
 */
export class PodIdentityAssociation extends OutputFile {
  /** The request. */
  public readonly request: any;

  public constructor(scope: Construct, id: string, props: PodIdentityAssociationProps) {
    super(scope, id, { path: guardedProps(scope, id, 'PodIdentityAssociation', props).path });
    checkEksClusterName(this, 'clusterName', props.clusterName);
    checkNamespaceName(this, 'namespace', props.namespace);
    checkServiceAccountName(this, 'serviceAccount', props.serviceAccount);
    checkRoleArn(this, 'roleArn', props.roleArn);
    this.request = {
      clusterName: props.clusterName,
      namespace: props.namespace,
      serviceAccount: props.serviceAccount,
      roleArn: props.roleArn,
      disableSessionTags: false,
    };
  }

  public renderContents(): string {
    return `${JSON.stringify(this.request, undefined, 2)}\n`;
  }
}
