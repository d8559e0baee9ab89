import * as fs from 'fs';
import { Chart, Testing, YamlOutputType } from 'cdk8s';
import { Constraint, ConstraintProps, ConstraintTemplate, EnforcementAction, MatchScope } from '../../src';
import { validateManifests } from '../support/schemas';
import { find, synthAppValid, synthValid } from '../support/synth';

const REGO = `package k8srequiredowner

violation[{"msg": msg}] {
	not input.review.object.metadata.labels[input.parameters.label]
	msg := sprintf("every object needs the %v label", [input.parameters.label])
}
`;

function setup(props: Partial<ConstraintProps> = {}) {
  const chart = Testing.chart();
  const template = new ConstraintTemplate(chart, 'template', {
    kind: 'K8sRequiredOwner',
    rego: REGO,
    parameters: { label: { type: 'string' }, exempt: { type: 'array', items: { type: 'string' } } },
  });
  const constraint = new Constraint(chart, 'owner', {
    template,
    name: 'require-owner',
    match: { kinds: [{ apiGroups: [''], kinds: ['Namespace'] }] },
    parameters: { label: 'owner' },
    ...props,
  });
  return { chart, template, constraint };
}

describe('Constraint', () => {
  test('snapshot: kind from the template, match, enforcement action and parameters', () => {
    const { chart } = setup({
      enforcementAction: EnforcementAction.WARN,
      match: {
        kinds: [{ apiGroups: ['apps'], kinds: ['Deployment', 'StatefulSet'] }],
        scope: MatchScope.NAMESPACED,
        namespaces: ['team-*'],
        excludedNamespaces: ['team-sandbox'],
        matchLabels: { tier: 'backend' },
        matchExpressions: [{ key: 'legacy', operator: 'DoesNotExist' }],
      },
    });
    const manifests = synthValid(chart);
    expect(manifests).toMatchSnapshot();
    const c = find(manifests, 'K8sRequiredOwner', 'require-owner');
    expect(c.apiVersion).toBe('constraints.gatekeeper.sh/v1beta1');
    expect(c.spec).toEqual({
      enforcementAction: 'warn',
      match: {
        kinds: [{ apiGroups: ['apps'], kinds: ['Deployment', 'StatefulSet'] }],
        scope: 'Namespaced',
        namespaces: ['team-*'],
        excludedNamespaces: ['team-sandbox'],
        labelSelector: { matchLabels: { tier: 'backend' }, matchExpressions: [{ key: 'legacy', operator: 'DoesNotExist' }] },
      },
      parameters: { label: 'owner' },
    });
  });

  test('enforcement action defaults to deny (Gatekeeper\'s default)', () => {
    const { chart, constraint } = setup();
    expect(constraint.enforcementAction).toBe(EnforcementAction.DENY);
    expect(find(synthValid(chart), 'K8sRequiredOwner', 'require-owner').spec.enforcementAction).toBe('deny');
  });

  test('the constraint is validated against its template\'s parameters schema', () => {
    const { chart } = setup();
    const manifests = Testing.synth(chart);
    const constraint = find(manifests, 'K8sRequiredOwner', 'require-owner');
    const template = find(manifests, 'ConstraintTemplate', 'k8srequiredowner');
    expect(validateManifests([template, constraint])).toEqual([]);
    // a wrong parameter type, an unknown parameter, an unknown enforcement action: rejected
    const bad = { ...constraint, spec: { ...constraint.spec, enforcementAction: 'block', parameters: { label: 7, extra: true } } };
    expect(validateManifests([template, bad])).toEqual([
      expect.stringContaining('/spec/enforcementAction: must be equal to one of the allowed values ["deny","dryrun","warn","scoped"], got "block"'),
      expect.stringContaining('/spec/parameters: must NOT have additional properties: unknown field "extra"'),
      expect.stringContaining('/spec/parameters/label: must be string, got 7'),
    ]);
    // without its template in the set, the constraint kind is unknown
    expect(validateManifests([constraint])).toEqual([expect.stringContaining('no ConstraintTemplate defines kind K8sRequiredOwner in the same set of objects')]);
  });

  test('the chart of a constraint is applied after the chart of its template, without a chart dependency', () => {
    const app = Testing.app({ yamlOutputType: YamlOutputType.FILE_PER_CHART });
    // created in the wrong order on purpose: the constraint depends on its template
    const constraints = new Chart(app, 'constraints');
    const templates = new Chart(app, 'templates');
    const template = new ConstraintTemplate(templates, 'template', { kind: 'K8sRequiredOwner', rego: REGO, parameters: { label: { type: 'string' } } });
    new Constraint(constraints, 'owner', { template, match: { kinds: [{ apiGroups: [''], kinds: ['Namespace'] }] }, parameters: { label: 'owner' } });
    synthAppValid(app);
    app.synth();
    expect(fs.readdirSync(app.outdir).sort()).toEqual(['0000-templates.k8s.yaml', '0001-constraints.k8s.yaml']);
  });

  describe('bad input', () => {
    test('fails on an empty match', () => {
      expect(() => setup({ match: { kinds: [] } })).toThrow(
        '[test/owner] invalid match.kinds []: must name at least one kind, for example [{ apiGroups: [\'\'], kinds: [\'Pod\'] }]: a constraint without kinds applies to every object in the cluster');
      expect(() => setup({ match: { kinds: [{ apiGroups: [''], kinds: [] }] } })).toThrow('[test/owner] invalid match.kinds {"apiGroups":[""],"kinds":[]}');
      expect(() => setup({ match: { kinds: [{ apiGroups: ['*'], kinds: ['*'] }] } })).toThrow('each entry needs apiGroups and explicit kinds (no \'*\')');
      expect(() => setup({ match: { kinds: [{ apiGroups: [''], kinds: ['Pod'] }], namespaces: [] } })).toThrow('[test/owner] invalid match.namespaces []: must not be empty');
    });

    test('fails on an unknown enforcement action', () => {
      expect(() => setup({ enforcementAction: 'block' as EnforcementAction })).toThrow(
        '[test/owner] invalid enforcementAction "block": must be an EnforcementAction (EnforcementAction.DENY = "deny", EnforcementAction.DRYRUN = "dryrun", EnforcementAction.WARN = "warn")');
    });

    test('fails on a namespace glob Gatekeeper does not support', () => {
      expect(() => setup({ match: { kinds: [{ apiGroups: [''], kinds: ['Pod'] }], excludedNamespaces: ['*'] } })).toThrow('[test/owner] invalid match.excludedNamespaces "*"');
      expect(() => setup({ match: { kinds: [{ apiGroups: [''], kinds: ['Pod'] }], excludedNamespaces: ['kube-*-x'] } })).toThrow('[test/owner] invalid match.excludedNamespaces "kube-*-x"');
    });

    test('fails on a parameter the template does not declare', () => {
      expect(() => setup({ parameters: { owner: 'x' } })).toThrow('[test/owner] invalid parameters "owner": is not a parameter of K8sRequiredOwner (it has label, exempt)');
    });

    test('fails on a template that is not a ConstraintTemplate', () => {
      const chart = Testing.chart();
      expect(() => new Constraint(chart, 'c', { template: {} as any, match: { kinds: [{ apiGroups: [''], kinds: ['Pod'] }] } }))
        .toThrow('[test/c] invalid template {}: must be a ConstraintTemplate (new ConstraintTemplate(...)), got object');
    });
  });
});
