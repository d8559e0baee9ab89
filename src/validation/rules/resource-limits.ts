import { containerName, containersOf, podSpecOf } from './_pods';
import { PostureRule, ruleId } from './_rule';

/** Every container has CPU and memory limits. @internal */
export const rule: PostureRule = {
  id: ruleId(__filename),
  severity: 'warning',
  explanation: 'a workload without limits can starve its neighbours, including the node agents that enforce policy',
  fix: 'set resources.limits.cpu and resources.limits.memory (and requests) on every container',
  check(obj) {
    const pod = podSpecOf(obj);
    if (!pod) return undefined;
    const findings = [];
    for (const c of containersOf(pod)) {
      if (c.pointer.includes('/ephemeralContainers/')) continue; // ephemeral containers take no resources
      const missing = ['cpu', 'memory'].filter(r => c.container.resources?.limits?.[r] === undefined);
      if (missing.length > 0) findings.push({ pointer: `${c.pointer}/resources/limits`, message: `container ${containerName(c)} has no ${missing.join(' or ')} limit` });
    }
    return findings;
  },
};
