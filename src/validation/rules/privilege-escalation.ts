import { containerName, containersOf, podSpecOf } from './_pods';
import { PostureRule, ruleId } from './_rule';

/** allowPrivilegeEscalation: false on every container. @internal */
export const rule: PostureRule = {
  id: ruleId(__filename),
  severity: 'error',
  explanation: 'setuid binaries and file capabilities turn a foothold into root unless no_new_privs is set (allowPrivilegeEscalation: false; the default is true)',
  fix: 'set securityContext.allowPrivilegeEscalation: false on every container',
  check(obj) {
    const pod = podSpecOf(obj);
    if (!pod) return undefined;
    return containersOf(pod).filter(c => c.container.securityContext?.allowPrivilegeEscalation !== false)
      .map(c => ({ pointer: `${c.pointer}/securityContext/allowPrivilegeEscalation`, message: `container ${containerName(c)} may escalate privileges (allowPrivilegeEscalation is not false)` }));
  },
};
