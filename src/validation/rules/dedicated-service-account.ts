import { podSpecOf } from './_pods';
import { PostureRule, ruleId } from './_rule';

/** Every workload runs under its own ServiceAccount, never `default`. @internal */
export const rule: PostureRule = {
  id: ruleId(__filename),
  severity: 'error',
  explanation: 'the ServiceAccount is the workload\'s identity: its SPIFFE ID, its mTLS principal in AuthorizationPolicies, its Vault role; workloads sharing `default` share one identity',
  fix: 'create a ServiceAccount per workload and set serviceAccountName',
  check(obj) {
    const pod = podSpecOf(obj);
    if (!pod) return undefined;
    const sa = pod.spec.serviceAccountName ?? pod.spec.serviceAccount;
    return sa === undefined || sa === 'default'
      ? [{ pointer: `${pod.pointer}/serviceAccountName`, message: sa === undefined ? 'no serviceAccountName: the pod runs as `default`' : 'the pod runs as the namespace\'s `default` ServiceAccount' }]
      : [];
  },
};
