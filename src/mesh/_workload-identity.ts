import { ApiObject } from 'cdk8s';
import { IZeroTrustNamespace, WorkloadOrigin, WorkloadPort } from '../intent/mesh-workload';

/**
 * What a kind of graph workload knows about itself: plain values, or getters read at
 * synthesis (an adopted workload reads its manifest).
 *
 * @internal
 */
export interface WorkloadIdentity {
  readonly workloadName: string;
  readonly zeroTrustNamespace: IZeroTrustNamespace;
  readonly serviceAccountName: string;
  readonly podSelectorLabels: { [key: string]: string };
  readonly workloadPorts: WorkloadPort[];
  readonly workloadOrigin: WorkloadOrigin;
  readonly workloadObject: ApiObject;
}
