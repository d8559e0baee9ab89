import { containerName, containersOf, podSpecOf } from './_pods';
import { PostureRule, ruleId } from './_rule';

/** Every container drops ALL capabilities. @internal */
export const rule: PostureRule = {
  id: ruleId(__filename),
  severity: 'error',
  explanation: 'the default capability set (NET_RAW, CHOWN, SETUID, ...) lets a compromised process spoof traffic and change identities; Pod Security restricted requires drop: [ALL]',
  fix: 'set securityContext.capabilities.drop: [ALL] and add back only what the process needs',
  check(obj) {
    const pod = podSpecOf(obj);
    if (!pod) return undefined;
    return containersOf(pod).filter(c => {
      const drop = c.container.securityContext?.capabilities?.drop;
      return !(Array.isArray(drop) && drop.includes('ALL'));
    }).map(c => ({ pointer: `${c.pointer}/securityContext/capabilities/drop`, message: `container ${containerName(c)} does not drop ALL capabilities` }));
  },
};
