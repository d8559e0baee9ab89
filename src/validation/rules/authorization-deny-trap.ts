import { PostureRule, ruleId } from './_rule';

function isEmptyRule(r: unknown): boolean {
  return typeof r === 'object' && r !== null && Object.keys(r).length === 0;
}

/** No DENY AuthorizationPolicy that denies everything for good, or nothing at all. @internal */
export const rule: PostureRule = {
  id: ruleId(__filename),
  severity: 'error',
  explanation: 'Istio evaluates DENY before ALLOW: `action: DENY` with an empty rule (`rules: [{}]`) denies every request and no ALLOW policy can reopen a call; DENY without rules never matches and denies nothing. Deny-by-default is an ALLOW policy with an empty spec (allow-nothing)',
  fix: 'replace it by `spec: {}` (allow-nothing) plus ALLOW policies for the intended calls',
  check(obj) {
    if (obj?.kind !== 'AuthorizationPolicy' || typeof obj.apiVersion !== 'string' || !obj.apiVersion.startsWith('security.istio.io/')) return undefined;
    if (obj.spec?.action !== 'DENY') return [];
    const rules = obj.spec?.rules;
    if (!Array.isArray(rules) || rules.length === 0) {
      return [{ pointer: '/spec/rules', message: 'a DENY policy without rules never matches: it denies nothing' }];
    }
    return rules.map((r, i) => ({ r, i })).filter(({ r }) => isEmptyRule(r))
      .map(({ i }) => ({ pointer: `/spec/rules/${i}`, message: 'an empty rule matches every request: this DENY overrides every ALLOW policy, for good' }));
  },
};
