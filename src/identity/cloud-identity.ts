import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { checkAudience, checkClusterArn, checkOidcIssuer, checkRoleArn } from './_aws-checks';
import { ensurePodIdentityAgentEgress, POD_IDENTITY_AGENT_CIDRS } from './_pod-identity-network';
import { CloudGrant } from './cloud-grant';
import { CloudPermissionPolicy } from './cloud-permission-policy';
import { CloudProvider } from './cloud-provider';
import { CloudTrustFile } from './cloud-trust-file';
import { IrsaTrustPolicy } from './irsa-trust-policy';
import { PodIdentityAssociation } from './pod-identity-association';
import { PodIdentityTrustPolicy } from './pod-identity-trust-policy';
import { guardArgs, staticScope } from '../intent/_guards';
import { invalid } from '../intent/_validation';
import { IntentGraph, Layer } from '../intent/intent-graph';
import { IMeshWorkload } from '../intent/mesh-workload';

/**
 * Options of EKS Pod Identity.
 */
export interface EksPodIdentityOptions {
  /** The IAM role the ServiceAccount's pods receive: `arn:aws:iam::<account>:role/<path/><name>`, in the cluster's account. */
  readonly roleArn: string;
  /**
   * The ARN of the EKS cluster the workload runs in: `arn:aws:eks:<region>:<account>:cluster/<name>`.
   * It scopes the role's trust policy and names the cluster of the association.
   */
  readonly clusterArn: string;
  /**
   * Least-privilege permissions of the role (`CloudGrant.awsS3Read()`, `awsKmsDecrypt()`,
   * `awsSecretRead()`), written to `aws/iam/<namespace>-<serviceAccount>.permissions-policy.json`.
   *
   * @default - none (add them later with `grant()`)
   */
  readonly grants?: CloudGrant[];
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
  /**
   * Least-privilege permissions of the role.
   *
   * @default - none (add them later with `grant()`)
   */
  readonly grants?: CloudGrant[];
}

/**
 * Options of GKE Workload Identity.
 */
export interface GkeWorkloadIdentityOptions {
  /** The Google service account to impersonate: `<name>@<project>.iam.gserviceaccount.com`. */
  readonly serviceAccountEmail: string;
  /**
   * The cluster's workload identity pool, `<cluster project>.svc.id.goog`. It names the member
   * of the trust binding (`gcp/iam/<namespace>-<serviceAccount>.trust-binding.json`).
   *
   * @default - `<project of serviceAccountEmail>.svc.id.goog`
   */
  readonly workloadPool?: string;
  /**
   * Least-privilege permissions of the Google service account (`CloudGrant.gcpStorageRead()`,
   * `gcpKmsDecrypt()`, `gcpSecretRead()`), written to `gcp/iam/<namespace>-<serviceAccount>.bindings.json`.
   *
   * @default - none (add them later with `grant()`)
   */
  readonly grants?: CloudGrant[];
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
  /**
   * The AKS cluster's OIDC issuer URL (`az aks show --query oidcIssuerProfile.issuerUrl`). With
   * it, the federated identity credential for exactly this ServiceAccount is written to
   * `azure/identity/<namespace>-<serviceAccount>.federated-credential.json`.
   *
   * @default - no federated credential file
   */
  readonly oidcIssuerUrl?: string;
  /**
   * Least-privilege permissions of the identity (`CloudGrant.azureBlobRead()`,
   * `azureKeyVaultSecretRead()`, `azureKeyVaultKeyUse()`), written to
   * `azure/rbac/<namespace>-<serviceAccount>.role-assignments.json`.
   *
   * @default - none (add them later with `grant()`)
   */
  readonly grants?: CloudGrant[];
}

const GSA_EMAIL = /^[a-z](?:[-a-z0-9]{4,28}[a-z0-9])@([a-z][-a-z0-9]{4,28}[a-z0-9])\.iam\.gserviceaccount\.com$/;
const WORKLOAD_POOL = /^[a-z][a-z0-9-]{4,28}[a-z0-9]\.svc\.id\.goog$/;
const AKS_ISSUER = /^https:\/\/[a-z0-9.-]+(:\d{1,5})?(\/[A-Za-z0-9._~-]+)*\/?$/;
const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

interface Binding {
  readonly workload: IMeshWorkload & Construct;
  readonly partition: string;
  readonly principal?: string;
  policy?: CloudPermissionPolicy;
}

/**
 * A cloud workload identity for a MeshService's ServiceAccount: the pods get short-lived cloud
 * credentials for exactly that ServiceAccount, never a static key, and exactly the permissions
 * granted with `CloudGrant`s.
 *
 * None of them needs the ServiceAccount token automounted: EKS Pod Identity, the EKS pod
 * identity webhook (IRSA) and the Azure workload identity webhook add their own projected token
 * volume, and GKE's metadata server exchanges the identity on the node. MeshService keeps
 * `automountServiceAccountToken: false`. One CloudWorkloadIdentity belongs to one workload.
 */
export class CloudWorkloadIdentity {
  /**
   * EKS Pod Identity (what AWS recommends over IRSA): writes the association of the
   * ServiceAccount with the role (`aws/eks/<namespace>-<serviceAccount>.pod-identity-association.json`,
   * input of `aws eks create-pod-identity-association --cli-input-json`), the role's trust policy
   * for `pods.eks.amazonaws.com` pinned with session tags to exactly this cluster, namespace and
   * ServiceAccount (`aws/iam/<namespace>-<serviceAccount>.trust-policy.json`) and, with grants,
   * its permissions policy. The ServiceAccount needs no annotation.
   *
   * The pods fetch credentials from the node's EKS Pod Identity agent at `169.254.170.23:80`
   * (`[fd00:ec2::23]:80` on IPv6): the workload gets an egress NetworkPolicy to exactly those
   * addresses and port, and Istio's sidecar leaves them alone
   * (`traffic.sidecar.istio.io/excludeOutboundIPRanges`), so the agent stays reachable under
   * default-deny egress and a REGISTRY_ONLY sidecar.
   */
  public static eksPodIdentity(options: EksPodIdentityOptions): CloudWorkloadIdentity {
    guardArgs(staticScope('CloudWorkloadIdentity.eksPodIdentity'), 'CloudWorkloadIdentity', 'eksPodIdentity', [options]);
    return new CloudWorkloadIdentity(CloudProvider.AWS, 'eksPodIdentity', options);
  }

  /**
   * AWS IRSA: annotates the ServiceAccount with `eks.amazonaws.com/role-arn` and writes the IAM
   * trust policy that lets exactly this ServiceAccount assume the role
   * (`aws/iam/<namespace>-<serviceAccount>.trust-policy.json`) and, with grants, its
   * permissions policy.
   */
  public static awsIrsa(options: AwsIrsaOptions): CloudWorkloadIdentity {
    guardArgs(staticScope('CloudWorkloadIdentity.awsIrsa'), 'CloudWorkloadIdentity', 'awsIrsa', [options]);
    return new CloudWorkloadIdentity(CloudProvider.AWS, 'awsIrsa', options);
  }

  /** GKE Workload Identity: annotates the ServiceAccount with `iam.gke.io/gcp-service-account`. */
  public static gkeWorkloadIdentity(options: GkeWorkloadIdentityOptions): CloudWorkloadIdentity {
    guardArgs(staticScope('CloudWorkloadIdentity.gkeWorkloadIdentity'), 'CloudWorkloadIdentity', 'gkeWorkloadIdentity', [options]);
    return new CloudWorkloadIdentity(CloudProvider.GCP, 'gkeWorkloadIdentity', options);
  }

  /**
   * Azure Workload ID: annotates the ServiceAccount with `azure.workload.identity/client-id`
   * (and `tenant-id`) and labels the pods `azure.workload.identity/use: "true"`, which the
   * webhook requires before it injects the token.
   */
  public static azureWorkloadIdentity(options: AzureWorkloadIdentityOptions): CloudWorkloadIdentity {
    guardArgs(staticScope('CloudWorkloadIdentity.azureWorkloadIdentity'), 'CloudWorkloadIdentity', 'azureWorkloadIdentity', [options]);
    return new CloudWorkloadIdentity(CloudProvider.AZURE, 'azureWorkloadIdentity', options);
  }

  /** The cloud. */
  public readonly provider: CloudProvider;
  private readonly kind: string;
  private readonly options: any;
  private readonly grants: CloudGrant[] = [];
  private binding?: Binding;

  private constructor(provider: CloudProvider, kind: string, options: any) {
    this.provider = provider;
    this.kind = kind;
    this.options = options ?? {};
    if (this.options.grants !== undefined && !Array.isArray(this.options.grants)) {
      throw new Error(`invalid cloudIdentity.grants ${JSON.stringify(this.options.grants)}: must be a list of CloudGrant`);
    }
    this.grants.push(...this.options.grants ?? []);
  }

  /**
   * Grants the identity one least-privilege permission (idempotent: the same resource twice is
   * one grant). The permission is checked against the cloud's grammar and rendered into the
   * identity's permission document.
   *
   * @param grant the permission, from a `CloudGrant` factory of the identity's cloud
   * @returns the grant
   *
   * @example
   * identity.grant(CloudGrant.awsS3Read({ bucket: 'acme-reports', prefix: 'daily/' }));
   */
  public grant(grant: CloudGrant): CloudGrant {
    guardArgs(staticScope('CloudWorkloadIdentity.grant'), 'CloudWorkloadIdentity', 'grant', [grant]);
    if (!this.grants.includes(grant)) {
      this.grants.push(grant);
      if (this.binding) {
        this.addGrant(this.binding, grant, this.grants.length - 1);
      }
    }
    return grant;
  }

  /**
   * Validates the options and applies the identity to a workload's ServiceAccount and pods.
   * @internal
   */
  public _bind(workload: IMeshWorkload & Construct, serviceAccount: kplus.ServiceAccount, deployment: kplus.Workload): void {
    if (this.binding) {
      invalid(workload, 'cloudIdentity', this.kind, `already belongs to ${this.binding.workload.node.path}`,
        'create one CloudWorkloadIdentity per workload: each workload has its own role or cloud identity');
    }
    const namespace = workload.zeroTrustNamespace.namespaceName;
    const base = `${namespace}-${workload.serviceAccountName}`;
    const graph = IntentGraph.of(workload);
    const place = (id: string) => graph._placement(Layer.IDENTITY, workload, `${namespace}-${workload.workloadName}`, id);
    const o = this.options;
    let partition = '';
    let principal: string | undefined;
    switch (this.kind) {
      case 'eksPodIdentity': {
        const role = checkRoleArn(workload, 'cloudIdentity.roleArn', o.roleArn);
        const cluster = checkClusterArn(workload, 'cloudIdentity.clusterArn', o.clusterArn);
        if (cluster[1] !== role[1] || cluster[3] !== role[2]) {
          invalid(workload, 'cloudIdentity.roleArn', o.roleArn, `must be in the cluster's partition and account (${cluster[1]}, ${cluster[3]})`,
            'create the role in the cluster\'s account (cross-account access goes through a target role the association\'s role assumes)');
        }
        partition = role[1];
        let at = place('PodIdentityAssociation');
        new PodIdentityAssociation(at.scope, at.id, {
          path: `aws/eks/${base}.pod-identity-association.json`,
          clusterName: cluster[4],
          namespace,
          serviceAccount: workload.serviceAccountName,
          roleArn: o.roleArn,
        });
        at = place('PodIdentityTrustPolicy');
        new PodIdentityTrustPolicy(at.scope, at.id, {
          path: `aws/iam/${base}.trust-policy.json`,
          clusterArn: o.clusterArn,
          namespace,
          serviceAccount: workload.serviceAccountName,
        });
        deployment.podMetadata.addAnnotation('traffic.sidecar.istio.io/excludeOutboundIPRanges', POD_IDENTITY_AGENT_CIDRS.join(','));
        ensurePodIdentityAgentEgress(graph, workload);
        break;
      }
      case 'awsIrsa': {
        const role = checkRoleArn(workload, 'cloudIdentity.roleArn', o.roleArn);
        checkOidcIssuer(workload, 'cloudIdentity.oidcIssuer', o.oidcIssuer);
        const audience = checkAudience(workload, 'cloudIdentity.audience', o.audience ?? 'sts.amazonaws.com');
        partition = role[1];
        serviceAccount.metadata.addAnnotation('eks.amazonaws.com/role-arn', o.roleArn);
        if (audience !== 'sts.amazonaws.com') {
          serviceAccount.metadata.addAnnotation('eks.amazonaws.com/audience', audience);
        }
        const at = place('IrsaTrustPolicy');
        new IrsaTrustPolicy(at.scope, at.id, {
          path: `aws/iam/${base}.trust-policy.json`,
          partition,
          accountId: role[2],
          oidcIssuer: o.oidcIssuer,
          audience,
          subject: `system:serviceaccount:${namespace}:${workload.serviceAccountName}`,
        });
        break;
      }
      case 'gkeWorkloadIdentity':
        if (typeof o.serviceAccountEmail !== 'string' || !GSA_EMAIL.test(o.serviceAccountEmail)) {
          invalid(workload, 'cloudIdentity.serviceAccountEmail', o.serviceAccountEmail,
            'must be a Google service account email: <name>@<project>.iam.gserviceaccount.com',
            'for example \'orders@acme-prod.iam.gserviceaccount.com\'');
        }
        principal = `serviceAccount:${o.serviceAccountEmail}`;
        serviceAccount.metadata.addAnnotation('iam.gke.io/gcp-service-account', o.serviceAccountEmail);
        this.gkeTrust(workload, o, base, place('GkeTrustBinding'));
        break;
      case 'azureWorkloadIdentity':
        if (typeof o.clientId !== 'string' || !GUID.test(o.clientId)) {
          invalid(workload, 'cloudIdentity.clientId', o.clientId, 'must be a GUID (the managed identity\'s client id)');
        }
        if (o.tenantId !== undefined && (typeof o.tenantId !== 'string' || !GUID.test(o.tenantId))) {
          invalid(workload, 'cloudIdentity.tenantId', o.tenantId, 'must be a GUID (the Entra tenant id)');
        }
        principal = o.clientId;
        serviceAccount.metadata.addAnnotation('azure.workload.identity/client-id', o.clientId);
        if (o.tenantId) serviceAccount.metadata.addAnnotation('azure.workload.identity/tenant-id', o.tenantId);
        deployment.podMetadata.addLabel('azure.workload.identity/use', 'true');
        if (o.oidcIssuerUrl !== undefined) this.azureTrust(workload, o, base, place('AzureFederatedCredential'));
        break;
      default:
        invalid(workload, 'cloudIdentity', this.kind,
          'must be created with CloudWorkloadIdentity.eksPodIdentity(), awsIrsa(), gkeWorkloadIdentity() or azureWorkloadIdentity()');
    }
    this.binding = { workload, partition, principal };
    this.grants.forEach((grant, i) => this.addGrant(this.binding!, grant, i));
  }

  private gkeTrust(workload: IMeshWorkload & Construct, o: any, base: string, at: { scope: Construct; id: string }): void {
    const project = GSA_EMAIL.exec(o.serviceAccountEmail)![1];
    const pool = o.workloadPool ?? `${project}.svc.id.goog`;
    if (typeof pool !== 'string' || !WORKLOAD_POOL.test(pool)) {
      invalid(workload, 'cloudIdentity.workloadPool', pool, 'must be a GKE workload identity pool: <project id>.svc.id.goog', 'for example \'acme-prod.svc.id.goog\'');
    }
    new CloudTrustFile(at.scope, at.id, {
      path: `gcp/iam/${base}.trust-binding.json`,
      document: {
        resource: `//iam.googleapis.com/projects/${project}/serviceAccounts/${o.serviceAccountEmail}`,
        role: 'roles/iam.workloadIdentityUser',
        member: `serviceAccount:${pool}[${workload.zeroTrustNamespace.namespaceName}/${workload.serviceAccountName}]`,
      },
    });
  }

  private azureTrust(workload: IMeshWorkload & Construct, o: any, base: string, at: { scope: Construct; id: string }): void {
    if (typeof o.oidcIssuerUrl !== 'string' || !AKS_ISSUER.test(o.oidcIssuerUrl)) {
      invalid(workload, 'cloudIdentity.oidcIssuerUrl', o.oidcIssuerUrl, 'must be the cluster\'s https:// OIDC issuer URL (no query, fragment or wildcard)',
        'az aks show --query oidcIssuerProfile.issuerUrl');
    }
    new CloudTrustFile(at.scope, at.id, {
      path: `azure/identity/${base}.federated-credential.json`,
      document: {
        name: base,
        issuer: o.oidcIssuerUrl,
        subject: `system:serviceaccount:${workload.zeroTrustNamespace.namespaceName}:${workload.serviceAccountName}`,
        audiences: ['api://AzureADTokenExchange'],
      },
    });
  }

  private addGrant(binding: Binding, grant: CloudGrant, index: number): void {
    const { workload } = binding;
    if (!(grant instanceof CloudGrant)) {
      invalid(workload, `cloudIdentity.grants[${index}]`, grant, 'must be created with a CloudGrant factory, for example CloudGrant.awsS3Read()');
    }
    const resolved = grant._resolve(workload, `cloudIdentity.grants[${index}]`, this.provider, binding.partition);
    if (!binding.policy) {
      const namespace = workload.zeroTrustNamespace.namespaceName;
      const base = `${namespace}-${workload.serviceAccountName}`;
      const path = {
        [CloudProvider.AWS]: `aws/iam/${base}.permissions-policy.json`,
        [CloudProvider.GCP]: `gcp/iam/${base}.bindings.json`,
        [CloudProvider.AZURE]: `azure/rbac/${base}.role-assignments.json`,
      }[this.provider];
      const at = IntentGraph.of(workload)._placement(Layer.IDENTITY, workload, `${namespace}-${workload.workloadName}`, 'CloudPermissionPolicy');
      binding.policy = new CloudPermissionPolicy(at.scope, at.id, { path, provider: this.provider, principal: binding.principal });
    }
    binding.policy._add(resolved);
  }
}

