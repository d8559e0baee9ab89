/**
 * The cloud whose IAM a workload identity federates with.
 */
export enum CloudProvider {
  /** AWS IAM (EKS Pod Identity or IAM Roles for Service Accounts). */
  AWS = 'aws',
  /** GKE Workload Identity Federation. */
  GCP = 'gcp',
  /** Microsoft Entra Workload ID (AKS). */
  AZURE = 'azure',
}
