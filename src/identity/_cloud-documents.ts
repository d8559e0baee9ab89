/**
 * The pieces of the cloud permission documents a CloudGrant renders into.
 *
 * @internal
 */

/** One AWS IAM policy statement. */
export interface AwsStatement {
  readonly Effect: 'Allow';
  readonly Action: string[];
  readonly Resource: string[];
  readonly Condition?: { [operator: string]: { [key: string]: string[] } };
}

/** One Google IAM role binding on one resource. */
export interface GcpBinding {
  readonly resource: string;
  readonly role: string;
  readonly condition?: { readonly title: string; readonly expression: string };
}

/** One Azure role assignment at one scope. */
export interface AzureAssignment {
  readonly scope: string;
  readonly roleName: string;
  readonly roleDefinitionId: string;
  readonly condition?: string;
  readonly conditionVersion?: string;
}

/** A grant resolved for one workload: what its cloud's permission document holds. */
export interface ResolvedGrant {
  readonly key: string;
  readonly aws?: AwsStatement[];
  readonly gcp?: GcpBinding[];
  readonly azure?: AzureAssignment[];
}
