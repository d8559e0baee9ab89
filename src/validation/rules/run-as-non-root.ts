import { containerName, containersOf, podSpecOf } from './_pods';
import { PostureRule, ruleId } from './_rule';

/** Every container runs as non-root (runAsNonRoot, and never UID 0). @internal */
export const rule: PostureRule = {
  id: ruleId(__filename),
  severity: 'error',
  explanation: 'root in a container is root on the node once isolation fails; runAsNonRoot makes the kubelet refuse to start an image that would run as UID 0',
  fix: 'set securityContext.runAsNonRoot: true (pod or container) and a non-zero runAsUser',
  check(obj) {
    const pod = podSpecOf(obj);
    if (!pod) return undefined;
    const podCtx = pod.spec.securityContext ?? {};
    const findings = [];
    for (const c of containersOf(pod)) {
      const ctx = c.container.securityContext ?? {};
      const nonRoot = ctx.runAsNonRoot ?? podCtx.runAsNonRoot;
      const user = ctx.runAsUser ?? podCtx.runAsUser;
      if (user === 0) findings.push({ pointer: `${c.pointer}/securityContext/runAsUser`, message: `container ${containerName(c)} runs as UID 0` });
      else if (nonRoot !== true) findings.push({ pointer: `${c.pointer}/securityContext/runAsNonRoot`, message: `container ${containerName(c)} may run as root (runAsNonRoot is not true for it or the pod)` });
    }
    return findings;
  },
};
