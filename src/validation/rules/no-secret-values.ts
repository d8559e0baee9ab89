import { PostureRule, ruleId } from './_rule';

/** No Secret with values in the manifests. @internal */
export const rule: PostureRule = {
  id: ruleId(__filename),
  severity: 'error',
  explanation: 'manifests end up in Git, CI logs and artifact stores; a secret value there is a leaked secret (base64 is an encoding, not encryption)',
  fix: 'deliver secrets at run time (Vault agent, Secrets Store CSI, External Secrets); keep only references in the manifests',
  check(obj) {
    if (obj?.kind !== 'Secret' || obj.apiVersion !== 'v1') return undefined;
    return ['data', 'stringData'].filter(f => obj[f] && typeof obj[f] === 'object' && Object.keys(obj[f]).length > 0)
      .map(f => ({ pointer: `/${f}`, message: `the Secret carries values: ${Object.keys(obj[f]).sort().join(', ')}` }));
  },
};
