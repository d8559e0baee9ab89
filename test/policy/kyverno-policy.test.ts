import { Testing } from 'cdk8s';
import { FailureAction, KyvernoCelRuleOptions, KyvernoPolicy } from '../../src';
import { kyvernoReview } from '../support/policy-engine';
import { find, synthValid } from '../support/synth';

const OWNER_RULE: KyvernoCelRuleOptions = {
  name: 'owner-label',
  match: [{ kinds: ['apps/v1/Deployment'] }],
  exclude: [{ kinds: ['apps/v1/Deployment'], namespaces: ['sandbox'] }],
  variables: [{ name: 'labels', expression: 'has(object.metadata.labels) ? object.metadata.labels : {}' }],
  expressions: [{ expression: '"owner" in variables.labels', message: 'every Deployment needs an owner label' }],
  failureAction: FailureAction.ENFORCE,
};

function policy() {
  const chart = Testing.chart();
  const p = new KyvernoPolicy(chart, 'require-owner', { description: 'Every Deployment names its owner.' });
  return { chart, p };
}

describe('KyvernoPolicy', () => {
  test('snapshot: a ClusterPolicy with CEL rules, each with its own failure action', () => {
    const { chart, p } = policy();
    p.addCelRule(OWNER_RULE);
    p.addCelRule({
      name: 'team-label',
      match: [{ kinds: ['apps/v1/Deployment'], matchLabels: { tier: 'backend' } }],
      expressions: [{ expression: 'has(object.metadata.labels) && "team" in object.metadata.labels', messageExpression: '"no team label on " + object.metadata.name' }],
    });
    const manifests = synthValid(chart);
    expect(manifests).toMatchSnapshot();
    const cp = find(manifests, 'ClusterPolicy', 'require-owner');
    expect(cp.spec.validationFailureAction).toBeUndefined();
    expect(cp.spec.rules.map((r: any) => [r.name, r.validate.failureAction])).toEqual([['owner-label', 'Enforce'], ['team-label', 'Audit']]);
    expect(cp.metadata.annotations['pod-policies.kyverno.io/autogen-controllers']).toBe('none');
  });

  test('the rules decide as written: match, exclude, CEL', () => {
    const { chart, p } = policy();
    p.addCelRule(OWNER_RULE);
    const manifests = synthValid(chart);
    const deployment = (namespace: string, labels: Record<string, string>) => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace, labels }, spec: {} });
    expect(kyvernoReview(manifests, deployment('apps', {})).violations.map(v => v.message)).toEqual(['every Deployment needs an owner label']);
    expect(kyvernoReview(manifests, deployment('apps', { owner: 'team-a' })).violations).toEqual([]);
    expect(kyvernoReview(manifests, deployment('sandbox', {})).evaluated).toEqual([]);
  });

  test('the review compiles CEL as Kubernetes does: mixed-type literals are refused', () => {
    const { chart, p } = policy();
    p.addCelRule({ name: 'mixed', match: [{ kinds: ['Pod'] }], expressions: [{ expression: '{"a": 1, "b": "x"}.size() == 2', message: 'm' }] });
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'n' }, spec: {} };
    expect(() => kyvernoReview(synthValid(chart), pod)).toThrow('a map literal mixes int64Value and stringValue: Kubernetes CEL (HomogeneousAggregateLiterals) rejects it');
  });

  test('a namespace makes it a namespaced Policy', () => {
    const chart = Testing.chart();
    const p = new KyvernoPolicy(chart, 'p', { namespace: 'team-a', autogen: true });
    p.addCelRule({ name: 'r', match: [{ kinds: ['Pod'] }], expressions: [{ expression: 'true', message: 'never' }] });
    const manifest = synthValid(chart)[0];
    expect(manifest).toMatchObject({ kind: 'Policy', metadata: { name: 'p', namespace: 'team-a' } });
    expect(manifest.metadata.annotations).toBeUndefined();
  });

  test('adding the same rule twice changes nothing', () => {
    const { chart, p } = policy();
    const rule = { name: 'r', match: [{ kinds: ['Pod'] }], expressions: [{ expression: 'true', message: 'never' }] };
    expect(p.addCelRule(rule)).toBe('r');
    expect(p.addCelRule(rule)).toBe('r');
    expect(p.ruleNames).toEqual(['r']);
    expect(synthValid(chart)[0].spec.rules).toHaveLength(1);
  });

  describe('bad input', () => {
    test('fails on an unknown failure action', () => {
      const { p } = policy();
      expect(() => p.addCelRule({ name: 'r', match: [{ kinds: ['Pod'] }], expressions: [{ expression: 'true', message: 'm' }], failureAction: 'Block' as FailureAction }))
        .toThrow('[test/require-owner] invalid r.failureAction "Block": must be one of Audit, Enforce');
    });

    test('fails on an empty match', () => {
      const { p } = policy();
      expect(() => p.addCelRule({ name: 'r', match: [], expressions: [{ expression: 'true', message: 'm' }] }))
        .toThrow('[test/require-owner] invalid match []: must list at least one resource filter with kinds');
      expect(() => p.addCelRule({ name: 'r', match: [{ kinds: ['*'] }], expressions: [{ expression: 'true', message: 'm' }] }))
        .toThrow('[test/require-owner] invalid match.kinds ["*"]: each filter needs explicit kinds (no \'*\')');
    });

    test('fails on a rule without expressions or messages', () => {
      const { p } = policy();
      expect(() => p.addCelRule({ name: 'r', match: [{ kinds: ['Pod'] }], expressions: [] })).toThrow('[test/require-owner] invalid r.expressions []: must list at least one CEL validation');
      expect(() => p.addCelRule({ name: 'r', match: [{ kinds: ['Pod'] }], expressions: [{ expression: 'true' }] })).toThrow('[test/require-owner] invalid r.expressions "true": needs a message or a messageExpression');
    });

    test('fails at synthesis without rules', () => {
      const { chart } = policy();
      expect(() => Testing.synth(chart)).toThrow('a Kyverno policy needs at least one rule: call addCelRule() or addGenerateRule()');
    });
  });
});
