import { podSpecOf } from './_pods';
import { PostureRule, ruleId } from './_rule';

/** No ServiceAccount token mounted unless the pod or its ServiceAccount says so explicitly. @internal */
export const rule: PostureRule = {
  id: ruleId(__filename),
  severity: 'warning',
  explanation: 'a mounted API token is a credential anyone inside the container can read and replay against the API server; most workloads never call it',
  fix: 'set automountServiceAccountToken: false on the pod (or its ServiceAccount); mount a projected token with an audience where one is needed',
  check(obj, context) {
    const pod = podSpecOf(obj);
    if (!pod) return undefined;
    if (pod.spec.automountServiceAccountToken === false) return [];
    if (pod.spec.automountServiceAccountToken === true) {
      return [{ pointer: `${pod.pointer}/automountServiceAccountToken`, message: 'the pod mounts its ServiceAccount token' }];
    }
    const saName = pod.spec.serviceAccountName ?? pod.spec.serviceAccount ?? 'default';
    const namespace = obj.metadata?.namespace;
    const sa = context.objects.find(o => o?.kind === 'ServiceAccount' && o.apiVersion === 'v1'
      && o.metadata?.name === saName && o.metadata?.namespace === namespace);
    return sa?.automountServiceAccountToken === false ? [] : [{
      pointer: `${pod.pointer}/automountServiceAccountToken`,
      message: `the pod mounts the token of ServiceAccount ${saName} (neither the pod nor ${sa ? 'the ServiceAccount' : 'a ServiceAccount among the validated objects'} sets automountServiceAccountToken: false)`,
    }];
  },
};
