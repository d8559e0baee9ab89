import { IConstruct } from 'constructs';
import { EKS_CLUSTER_ARN, ROLE_ARN } from './_cloud-names';
import { checkDns1123Label, invalid } from '../intent/_validation';

/**
 * The checks of the AWS identity values that land in IAM trust policies and EKS requests, shared
 * by `CloudWorkloadIdentity` and the documents it writes (`IrsaTrustPolicy`,
 * `PodIdentityTrustPolicy`, `PodIdentityAssociation`, also public on their own). Condition values
 * and principals never hold what IAM interprets: wildcards (`*`, `?`) and policy variables
 * (`${...}`, which IAM substitutes in condition values, so `${<issuer>:aud}` compared with the
 * token's own audience would always match).
 *
 * @internal
 */

/** An OIDC issuer without `https://`: a DNS host name (at least two labels), then URL path segments (no `.` or `..`). */
const OIDC_ISSUER = /^(?=[^/]{1,253}(\/|$))[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)+(\/(?!\.\.?(\/|$))[A-Za-z0-9._~-]+)*$/;
const PARTITIONS = ['aws', 'aws-cn', 'aws-us-gov'];
const ACCOUNT = /^\d{12}$/;
const EKS_CLUSTER_NAME = /^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/;
const DNS1123_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** No IAM wildcard, policy variable, whitespace or control character. */
const CONDITION_SAFE = /^[^\s*?$\u0000-\u001f\u007f-\u009f]+$/;

/** An IAM role ARN (path at most 512 characters, the IAM limit); its match: partition, account, path, name. */
export function checkRoleArn(scope: IConstruct, prop: string, roleArn: unknown): RegExpExecArray {
  const match = typeof roleArn === 'string' ? ROLE_ARN.exec(roleArn) : null;
  if (!match || match[3].length + 1 > 512) {
    invalid(scope, prop, roleArn,
      'must be an IAM role ARN: arn:aws:iam::<12-digit account>:role/<optional path/ of at most 512 characters, no \'*\' or \'?\'><name of 1-64 characters [A-Za-z0-9+=,.@_-]>',
      'for example \'arn:aws:iam::123456789012:role/order-service\' (aws iam get-role --query Role.Arn)');
  }
  return match;
}

/** An EKS cluster ARN; its match: partition, region, account, cluster name. */
export function checkClusterArn(scope: IConstruct, prop: string, clusterArn: unknown): RegExpExecArray {
  const match = typeof clusterArn === 'string' ? EKS_CLUSTER_ARN.exec(clusterArn) : null;
  if (!match) {
    invalid(scope, prop, clusterArn,
      'must be an EKS cluster ARN: arn:aws:eks:<region>:<12-digit account>:cluster/<name of 1-100 characters [A-Za-z0-9_-]>',
      'for example \'arn:aws:eks:eu-west-1:123456789012:cluster/prod\' (aws eks describe-cluster --query cluster.arn)');
  }
  return match;
}

export function checkOidcIssuer(scope: IConstruct, prop: string, issuer: unknown): string {
  return matching(scope, prop, issuer, OIDC_ISSUER,
    'must be the cluster\'s OIDC issuer host and path without \'https://\' or a trailing \'/\' (a lower-case DNS host name, then path segments of [A-Za-z0-9._~-])',
    'for example \'oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE\' (aws eks describe-cluster --query cluster.identity.oidc.issuer, without https://)');
}

export function checkAudience(scope: IConstruct, prop: string, audience: unknown): string {
  return matching(scope, prop, audience, CONDITION_SAFE,
    'must be a non-empty audience without whitespace, control characters, IAM wildcards (\'*\', \'?\') or \'$\' (IAM reads \'${...}\' in a condition value as a policy variable)',
    'for example \'sts.amazonaws.com\'');
}

export function checkPartition(scope: IConstruct, prop: string, partition: unknown): string {
  if (typeof partition !== 'string' || !PARTITIONS.includes(partition)) {
    invalid(scope, prop, partition, `must be an AWS partition: ${PARTITIONS.join(', ')}`);
  }
  return partition;
}

export function checkAccount(scope: IConstruct, prop: string, account: unknown): string {
  return matching(scope, prop, account, ACCOUNT, 'must be a 12-digit AWS account id', 'for example \'123456789012\' (aws sts get-caller-identity --query Account)');
}

export function checkEksClusterName(scope: IConstruct, prop: string, name: unknown): string {
  return matching(scope, prop, name, EKS_CLUSTER_NAME, 'must be an EKS cluster name: 1-100 characters [A-Za-z0-9_-], starting with a letter or digit');
}

/** A Kubernetes namespace (DNS-1123 label). */
export function checkNamespaceName(scope: IConstruct, prop: string, namespace: unknown): string {
  return checkDns1123Label(scope, prop, namespace as string);
}

/** A ServiceAccount name (DNS-1123 subdomain). */
export function checkServiceAccountName(scope: IConstruct, prop: string, name: unknown): string {
  return matching(scope, prop, name, DNS1123_SUBDOMAIN, 'must be a ServiceAccount name: a DNS-1123 subdomain (lower-case alphanumerics, \'-\' and \'.\', at most 253 characters)');
}

/** `system:serviceaccount:<namespace>:<name>`, the subject of a ServiceAccount token. */
export function checkServiceAccountSubject(scope: IConstruct, prop: string, subject: unknown): string {
  const m = typeof subject === 'string' ? /^system:serviceaccount:([^:]*):([^:]*)$/.exec(subject) : null;
  if (!m || !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(m[1]) || !DNS1123_SUBDOMAIN.test(m[2])) {
    invalid(scope, prop, subject,
      'must be the subject of exactly one ServiceAccount: system:serviceaccount:<namespace>:<name> (a DNS-1123 label and subdomain; no wildcard: the condition is StringEquals)',
      'for example \'system:serviceaccount:prod:orders\'');
  }
  return subject as string;
}

/** `value` if it is a string `pattern` matches; otherwise the error with `allowed` and `fix`. */
function matching(scope: IConstruct, prop: string, value: unknown, pattern: RegExp, allowed: string, fix?: string): string {
  if (typeof value !== 'string' || !pattern.test(value)) invalid(scope, prop, value, allowed, fix);
  return value;
}
