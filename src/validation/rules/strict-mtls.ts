import { PostureRule, ruleId } from './_rule';

const WEAK = ['PERMISSIVE', 'DISABLE'];

/** Every Istio PeerAuthentication is STRICT (port-level too). @internal */
export const rule: PostureRule = {
  id: ruleId(__filename),
  severity: 'error',
  explanation: 'PERMISSIVE accepts plaintext and DISABLE turns mTLS off: plaintext carries no identity, so AuthorizationPolicies that name principals cannot hold',
  fix: 'set spec.mtls.mode: STRICT (and STRICT or UNSET in portLevelMtls); where another layer must see plaintext (Cilium L7 HTTP rules), suppress with the reason',
  check(obj) {
    if (obj?.kind !== 'PeerAuthentication' || typeof obj.apiVersion !== 'string' || !obj.apiVersion.startsWith('security.istio.io/')) return undefined;
    const findings = [];
    const mode = obj.spec?.mtls?.mode;
    if (WEAK.includes(mode)) findings.push({ pointer: '/spec/mtls/mode', message: `mTLS mode ${mode}` });
    for (const [port, setting] of Object.entries<any>(obj.spec?.portLevelMtls ?? {})) {
      if (WEAK.includes(setting?.mode)) findings.push({ pointer: `/spec/portLevelMtls/${port}/mode`, message: `mTLS mode ${setting.mode} on port ${port}` });
    }
    return findings;
  },
};
