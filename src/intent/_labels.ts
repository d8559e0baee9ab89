/** The label every object the library synthesizes carries. */
export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'cdk8s-zero-trust' };
