import { containerName, containersOf, podSpecOf } from './_pods';
import { PostureRule, ruleId } from './_rule';

/** No privileged container: it owns the node and every identity on it. @internal */
export const rule: PostureRule = {
  id: ruleId(__filename),
  severity: 'error',
  explanation: 'a privileged container has every capability and the host\'s devices: it owns the node and every workload identity (tokens, SVIDs, Vault secrets) on it',
  fix: 'remove securityContext.privileged, add only the capabilities needed; for a node agent that truly needs it, suppress with the reason',
  check(obj) {
    const pod = podSpecOf(obj);
    if (!pod) return undefined;
    return containersOf(pod).filter(c => c.container.securityContext?.privileged === true)
      .map(c => ({ pointer: `${c.pointer}/securityContext/privileged`, message: `container ${containerName(c)} is privileged` }));
  },
};
