import { PostureRule, ruleId } from './_rule';

/** Namespaces that are the platform's and not the application's. */
const SYSTEM = new Set(['kube-system', 'kube-public', 'kube-node-lease', 'default']);

function selectsAllPods(np: any): boolean {
  const sel = np.spec?.podSelector;
  return typeof sel === 'object' && sel !== null && Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0;
}

/**
 * Every Namespace among the objects has a default-deny NetworkPolicy for ingress and egress
 * (a policy selecting every pod, with that policy type and no rules of it) among them.
 *
 * @internal
 */
export const rule: PostureRule = {
  id: ruleId(__filename),
  severity: 'error',
  explanation: 'without a default-deny NetworkPolicy every pod accepts and opens any connection at L3/L4: the mesh is then the only barrier, and it does not cover host-networked or uninjected pods',
  fix: 'add a NetworkPolicy with podSelector: {} and policyTypes [Ingress, Egress] and no rules (ZeroTrustNamespace does), then allow the declared calls',
  check(obj, context) {
    if (obj?.kind !== 'Namespace' || obj.apiVersion !== 'v1') return undefined;
    const name = obj.metadata?.name;
    if (SYSTEM.has(name)) return undefined;
    const policies = context.objects.filter(o => o?.kind === 'NetworkPolicy' && o.apiVersion === 'networking.k8s.io/v1'
      && o.metadata?.namespace === name && selectsAllPods(o));
    const denies = (type: string, field: string) => policies.some(p => Array.isArray(p.spec?.policyTypes) && p.spec.policyTypes.includes(type)
      && (!Array.isArray(p.spec?.[field]) || p.spec[field].length === 0));
    const missing = [['Ingress', 'ingress'], ['Egress', 'egress']].filter(([t, f]) => !denies(t, f)).map(([t]) => t);
    return missing.length === 0 ? [] : [{ pointer: '/metadata/name', message: `namespace ${name} has no default-deny NetworkPolicy for ${missing.join(' and ')} among the validated objects` }];
  },
};
