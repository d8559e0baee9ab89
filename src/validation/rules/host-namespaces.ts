import { podSpecOf } from './_pods';
import { PostureRule, ruleId } from './_rule';

/** No host network, PID or IPC namespace. @internal */
export const rule: PostureRule = {
  id: ruleId(__filename),
  severity: 'error',
  explanation: 'host PID and IPC see every process of the node; host network bypasses NetworkPolicy and the mesh (no mTLS, no authorization)',
  fix: 'remove hostNetwork, hostPID and hostIPC; for a node agent that needs them, suppress with the reason',
  check(obj) {
    const pod = podSpecOf(obj);
    if (!pod) return undefined;
    return ['hostNetwork', 'hostPID', 'hostIPC'].filter(f => pod.spec[f] === true)
      .map(f => ({ pointer: `${pod.pointer}/${f}`, message: `the pod uses the host's ${f.slice(4)} namespace` }));
  },
};
