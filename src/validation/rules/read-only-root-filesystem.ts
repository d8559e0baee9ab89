import { containerName, containersOf, podSpecOf } from './_pods';
import { PostureRule, ruleId } from './_rule';

/** Every container has a read-only root filesystem. @internal */
export const rule: PostureRule = {
  id: ruleId(__filename),
  severity: 'error',
  explanation: 'a writable root filesystem lets an attacker drop tools and persist; what the image was reviewed as is what runs',
  fix: 'set securityContext.readOnlyRootFilesystem: true and mount an emptyDir where the process writes',
  check(obj) {
    const pod = podSpecOf(obj);
    if (!pod) return undefined;
    return containersOf(pod).filter(c => c.container.securityContext?.readOnlyRootFilesystem !== true)
      .map(c => ({ pointer: `${c.pointer}/securityContext/readOnlyRootFilesystem`, message: `container ${containerName(c)} has a writable root filesystem` }));
  },
};
