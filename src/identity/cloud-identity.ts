import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { invalid } from '../intent/_validation';
import { IntentGraph, Layer } from '../intent/intent-graph';
import { IMeshWorkload } from '../intent/mesh-workload';
import { OutputFile } from '../intent/output-file';

/**
 * The cloud whose IAM a workload identity federates with.
 */
export enum CloudProvider {
  /** AWS IAM Roles for Service Accounts (EKS). */
  AWS = 'aws',
  /** GKE Workload Identity Federation. */
  GCP = 'gcp',
  /** Microsoft Entra Workload ID (AKS). */
  AZURE = 'azure',
}

/**
 * Options of AWS IAM Roles for Service Accounts.
 */
export interface AwsIrsaOptions {
  /** The IAM role the ServiceAccount assumes: `arn:aws:iam::<account>:role/<path/><name>`. */
  readonly roleArn: string;
  /**
   * The cluster's OIDC issuer without `https://`, for example
   * `oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE`. It scopes the
   * generated IAM trust policy.
   */
  readonly oidcIssuer: string;
  /**
   * The token audience (the pod identity webhook's default).
   *
   * @default 'sts.amazonaws.com'
   */
  readonly audience?: string;
}

/**
 * Options of GKE Workload Identity.
 */
export interface GkeWorkloadIdentityOptions {
  /** The Google service account to impersonate: `<name>@<project>.iam.gserviceaccount.com`. */
  readonly serviceAccountEmail: string;
}

/**
 * Options of Azure (Microsoft Entra) Workload ID.
 */
export interface AzureWorkloadIdentityOptions {
  /** The client id (a GUID) of the managed identity or app registration. */
  readonly clientId: string;
  /**
   * The tenant id (a GUID).
   *
   * @default - the tenant the workload identity webhook is configured with
   */
  readonly tenantId?: string;
}

const ROLE_ARN = /^arn:aws(-cn|-us-gov)?:iam::(\d{12}):role\/(?:[\u0021-\u007e]+\/)?[\w+=,.@-]{1,64}$/;
const OIDC_ISSUER = /^[a-z0-9.-]+(\/[A-Za-z0-9._-]+)*$/;
const GSA_EMAIL = /^[a-z]([-a-z0-9]{4,28}[a-z0-9])@[a-z][-a-z0-9]{4,28}[a-z0-9]\.iam\.gserviceaccount\.com$/;
const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/**
 * A cloud workload identity for a MeshService's ServiceAccount: the pods get short-lived cloud
 * credentials for exactly that ServiceAccount, never a static key.
 *
 * None of them needs the ServiceAccount token automounted: the EKS pod identity webhook and the
 * Azure workload identity webhook add their own projected token volume (audience
 * `sts.amazonaws.com` / `api://AzureADTokenExchange`), and GKE's metadata server exchanges the
 * identity on the node. MeshService keeps `automountServiceAccountToken: false`.
 */
export class CloudWorkloadIdentity {
  /**
   * AWS IRSA: annotates the ServiceAccount with `eks.amazonaws.com/role-arn` and writes the IAM
   * trust policy that lets exactly this ServiceAccount assume the role
   * (`aws/iam/<namespace>-<serviceAccount>.trust-policy.json`).
   */
  public static awsIrsa(options: AwsIrsaOptions): CloudWorkloadIdentity {
    return new CloudWorkloadIdentity(CloudProvider.AWS, options);
  }

  /** GKE Workload Identity: annotates the ServiceAccount with `iam.gke.io/gcp-service-account`. */
  public static gkeWorkloadIdentity(options: GkeWorkloadIdentityOptions): CloudWorkloadIdentity {
    return new CloudWorkloadIdentity(CloudProvider.GCP, options);
  }

  /**
   * Azure Workload ID: annotates the ServiceAccount with `azure.workload.identity/client-id`
   * (and `tenant-id`) and labels the pods `azure.workload.identity/use: "true"`, which the
   * webhook requires before it injects the token.
   */
  public static azureWorkloadIdentity(options: AzureWorkloadIdentityOptions): CloudWorkloadIdentity {
    return new CloudWorkloadIdentity(CloudProvider.AZURE, options);
  }

  /** The cloud. */
  public readonly provider: CloudProvider;
  private readonly options: any;

  private constructor(provider: CloudProvider, options: any) {
    this.provider = provider;
    this.options = options ?? {};
  }

  /**
   * Validates the options and applies the identity to a workload's ServiceAccount and pods.
   * @internal
   */
  public _bind(workload: IMeshWorkload & Construct, serviceAccount: kplus.ServiceAccount, deployment: kplus.Deployment): void {
    const o = this.options;
    switch (this.provider) {
      case CloudProvider.AWS: {
        const match = typeof o.roleArn === 'string' ? ROLE_ARN.exec(o.roleArn) : null;
        if (!match) {
          invalid(workload, 'cloudIdentity.roleArn', o.roleArn,
            'must be an IAM role ARN: arn:aws:iam::<12-digit account>:role/<optional path/><name of 1-64 characters [A-Za-z0-9+=,.@_-]>',
            'for example \'arn:aws:iam::123456789012:role/order-service\'');
        }
        if (typeof o.oidcIssuer !== 'string' || !OIDC_ISSUER.test(o.oidcIssuer)) {
          invalid(workload, 'cloudIdentity.oidcIssuer', o.oidcIssuer,
            'must be the cluster\'s OIDC issuer host and path without \'https://\' or a trailing \'/\'',
            'for example \'oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE\'');
        }
        const audience = o.audience ?? 'sts.amazonaws.com';
        if (typeof audience !== 'string' || audience.length === 0 || /[\s*?]/.test(audience)) {
          invalid(workload, 'cloudIdentity.audience', audience, 'must be a non-empty audience without spaces or wildcards');
        }
        serviceAccount.metadata.addAnnotation('eks.amazonaws.com/role-arn', o.roleArn);
        if (audience !== 'sts.amazonaws.com') {
          serviceAccount.metadata.addAnnotation('eks.amazonaws.com/audience', audience);
        }
        const namespace = workload.zeroTrustNamespace.namespaceName;
        const graph = IntentGraph.of(workload);
        const at = graph._placement(Layer.IDENTITY, workload, `${namespace}-${workload.workloadName}`, 'IrsaTrustPolicy');
        new IrsaTrustPolicy(at.scope, at.id, {
          path: `aws/iam/${namespace}-${workload.serviceAccountName}.trust-policy.json`,
          partition: `aws${match[1] ?? ''}`,
          accountId: match[2],
          oidcIssuer: o.oidcIssuer,
          audience,
          subject: `system:serviceaccount:${namespace}:${workload.serviceAccountName}`,
        });
        break;
      }
      case CloudProvider.GCP:
        if (typeof o.serviceAccountEmail !== 'string' || !GSA_EMAIL.test(o.serviceAccountEmail)) {
          invalid(workload, 'cloudIdentity.serviceAccountEmail', o.serviceAccountEmail,
            'must be a Google service account email: <name>@<project>.iam.gserviceaccount.com',
            'for example \'orders@acme-prod.iam.gserviceaccount.com\'');
        }
        serviceAccount.metadata.addAnnotation('iam.gke.io/gcp-service-account', o.serviceAccountEmail);
        break;
      case CloudProvider.AZURE:
        if (typeof o.clientId !== 'string' || !GUID.test(o.clientId)) {
          invalid(workload, 'cloudIdentity.clientId', o.clientId, 'must be a GUID (the managed identity\'s client id)');
        }
        if (o.tenantId !== undefined && (typeof o.tenantId !== 'string' || !GUID.test(o.tenantId))) {
          invalid(workload, 'cloudIdentity.tenantId', o.tenantId, 'must be a GUID (the Entra tenant id)');
        }
        serviceAccount.metadata.addAnnotation('azure.workload.identity/client-id', o.clientId);
        if (o.tenantId) serviceAccount.metadata.addAnnotation('azure.workload.identity/tenant-id', o.tenantId);
        deployment.podMetadata.addLabel('azure.workload.identity/use', 'true');
        break;
      default:
        invalid(workload, 'cloudIdentity', this.provider, 'must be created with CloudWorkloadIdentity.awsIrsa(), gkeWorkloadIdentity() or azureWorkloadIdentity()');
    }
  }
}

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
    super(scope, id, { path: props.path });
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
