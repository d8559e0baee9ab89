import { containerName, containersOf, podSpecOf } from './_pods';
import { PostureRule, ruleId } from './_rule';

const CONFINED = ['RuntimeDefault', 'Localhost'];

/** Every container runs under a seccomp profile (RuntimeDefault or Localhost). @internal */
export const rule: PostureRule = {
  id: ruleId(__filename),
  severity: 'error',
  explanation: 'without seccomp every system call reaches the kernel; container escapes go through syscalls RuntimeDefault blocks (Pod Security restricted requires it)',
  fix: 'set securityContext.seccompProfile.type: RuntimeDefault on the pod (or Localhost with a profile)',
  check(obj) {
    const pod = podSpecOf(obj);
    if (!pod) return undefined;
    const podType = pod.spec.securityContext?.seccompProfile?.type;
    return containersOf(pod).filter(c => !CONFINED.includes(c.container.securityContext?.seccompProfile?.type ?? podType))
      .map(c => ({ pointer: `${c.pointer}/securityContext/seccompProfile`, message: `container ${containerName(c)} has no RuntimeDefault or Localhost seccomp profile (pod or container)` }));
  },
};
