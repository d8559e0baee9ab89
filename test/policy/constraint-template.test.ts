import { Chart, Testing } from 'cdk8s';
import { ConstraintTemplate, ConstraintTemplateProps, PolicyEngine, RegoVersion, ZeroTrustPolicyPack } from '../../src';
import { find, ofKind, synthValid } from '../support/synth';

const REGO_V0 = `package k8srequiredowner

violation[{"msg": msg}] {
	not input.review.object.metadata.labels.owner
	msg := "every object needs an owner label"
}
`;

const REGO_V1 = `package k8srequiredowner

violation contains {"msg": msg} if {
	not input.review.object.metadata.labels.owner
	msg := "every object needs an owner label"
}
`;

function template(props: Partial<ConstraintTemplateProps> = {}) {
  const chart = Testing.chart();
  const t = new ConstraintTemplate(chart, 'owner', { kind: 'K8sRequiredOwner', rego: REGO_V0, ...props });
  return { chart, t };
}

/**
 * Structural checks of Rego as the real engine needs it (no OPA binary here): the package is the
 * template name (lower-case kind), libraries are under `lib.`, every import resolves to a library,
 * brackets and strings balance, and the rule heads are v0 (`violation[{"msg": msg, ...}] {`)
 * without any v1 keyword, as Gatekeeper parses unversioned code.
 */
function expectGatekeeperRegoV0(t: any): void {
  const name = t.metadata.name;
  expect(name).toBe(t.spec.crd.spec.names.kind.toLowerCase());
  const code = t.spec.targets[0].code.find((c: any) => c.engine === 'Rego');
  const rego: string = code.source.rego;
  const libs: string[] = code.source.libs ?? [];
  expect(code.source.version).toBeUndefined();
  expect(rego.split('\n')[0]).toBe(`package ${name}`);
  const libPackages = libs.map(l => /^package (\S+)$/m.exec(l)![1]);
  for (const p of libPackages) expect(p).toMatch(/^lib\./);
  for (const [, imported] of rego.matchAll(/^import data\.(\S+)$/gm)) expect(libPackages).toContain(imported);
  for (const module of [rego, ...libs]) {
    expect(balanced(module)).toBe(true);
    expect(module).not.toMatch(/\bif\s*\{|\bcontains\s*\{|^import rego\.v1|^import future\.keywords/m);
    // results of calls are assigned before they are indexed
    expect(module).not.toMatch(/\)\[/);
    // every rule opened at column 0 is closed at column 0
    expect((module.match(/\{\n/g) ?? []).length).toBeGreaterThan(0);
  }
  expect(rego).toMatch(/^violation\[\{"msg": msg(, "details": \{\})?\}\] \{$/m);
  // every rule the module calls from the library exists there
  const lib = libs.join('\n');
  for (const [, fn] of rego.matchAll(/zero_trust\.(\w+)/g)) expect(lib).toMatch(new RegExp(`^${fn}(\\(|\\[| :?=)`, 'm'));
}

function balanced(rego: string): boolean {
  const stack: string[] = [];
  const text = rego.replace(/"(?:[^"\\\n]|\\.)*"/g, '""').replace(/#.*$/gm, '');
  if (text.includes('"') && (text.match(/"/g)!.length % 2) !== 0) return false;
  for (const ch of text) {
    if ('([{'.includes(ch)) stack.push(ch);
    if (')]}'.includes(ch) && stack.pop() !== { ')': '(', ']': '[', '}': '{' }[ch]) return false;
  }
  return stack.length === 0;
}

describe('ConstraintTemplate', () => {
  test('snapshot: name is the lower-case kind, CEL before Rego v0', () => {
    const { chart } = template({
      parameters: { owners: { type: 'array', items: { type: 'string' } } },
      celVariables: [{ name: 'labels', expression: 'has(variables.anyObject.metadata.labels) ? variables.anyObject.metadata.labels : {}' }],
      celValidations: [{ expression: '"owner" in variables.labels', message: 'every object needs an owner label' }],
      description: 'Every object names its owner.',
    });
    const manifests = synthValid(chart);
    expect(manifests).toMatchSnapshot();
    const t = find(manifests, 'ConstraintTemplate', 'k8srequiredowner');
    expect(t.apiVersion).toBe('templates.gatekeeper.sh/v1');
    expect(t.spec.crd.spec.validation.openAPIV3Schema).toEqual({ type: 'object', properties: { owners: { type: 'array', items: { type: 'string' } } } });
    expect(t.spec.targets[0].code.map((c: any) => c.engine)).toEqual(['K8sNativeValidation', 'Rego']);
    expectGatekeeperRegoV0(t);
  });

  test('Rego v1 is emitted under code[] with version v1, never under targets[].rego', () => {
    const { chart, t } = template({ rego: REGO_V1, regoVersion: RegoVersion.V1 });
    const manifest = synthValid(chart)[0];
    expect(t.regoVersion).toBe(RegoVersion.V1);
    expect(manifest.spec.targets).toEqual([{ target: 'admission.k8s.gatekeeper.sh', code: [{ engine: 'Rego', source: { rego: REGO_V1, version: 'v1' } }] }]);
  });

  test('every template of the pack is valid Rego v0 for Gatekeeper', () => {
    const chart = Testing.chart();
    new ZeroTrustPolicyPack(chart, 'pack', { engine: PolicyEngine.GATEKEEPER, allowedRegistries: ['ghcr.io/acme/'] });
    const templates = ofKind(synthValid(chart), 'ConstraintTemplate');
    expect(templates).toHaveLength(17);
    for (const t of templates) expectGatekeeperRegoV0(t);
  });

  test('the CEL and the Rego of every pack template read only parameters its schema declares', () => {
    const chart = Testing.chart();
    new ZeroTrustPolicyPack(chart, 'pack', { engine: PolicyEngine.GATEKEEPER, allowedRegistries: ['ghcr.io/acme/'] });
    let read = 0;
    for (const t of ofKind(synthValid(chart), 'ConstraintTemplate')) {
      const declared = Object.keys(t.spec.crd.spec.validation?.openAPIV3Schema?.properties ?? {});
      const code = t.spec.targets[0].code;
      const cel = JSON.stringify(code.find((c: any) => c.engine === 'K8sNativeValidation')?.source ?? {});
      const rego = code.find((c: any) => c.engine === 'Rego').source.rego;
      const names = [
        ...[...cel.matchAll(/variables\.params\.(\w+)/g)].map(m => m[1]),
        ...[...rego.matchAll(/input\.parameters\.(\w+)/g)].map(m => m[1]),
        ...[...rego.matchAll(/object\.get\(input\.parameters, "(\w+)"/g)].map(m => m[1]),
      ];
      for (const name of names) {
        const where = { template: t.metadata.name, parameter: name };
        expect({ ...where, declared: declared.includes(name) }).toEqual({ ...where, declared: true });
      }
      read += names.length;
    }
    expect(read).toBeGreaterThan(20);
  });

  describe('bad input', () => {
    test('fails on an invalid template name (kind)', () => {
      expect(() => template({ kind: 'k8s-required-owner' })).toThrow(
        '[test/owner] invalid kind "k8s-required-owner": must be a CamelCase Kubernetes kind of at most 63 letters and digits starting with an upper-case letter (the template name is its lower-case form); for example \'K8sPSPAllowedUsers\'');
    });

    test('fails when the Rego package is not the template name', () => {
      expect(() => template({ kind: 'K8sPSPRunAsNonRoot' })).toThrow(
        '[test/owner] invalid rego "package k8srequiredowner": must declare `package k8spsprunasnonroot`: a template\'s Rego package is its name, the lower-case kind K8sPSPRunAsNonRoot; start the module with \'package k8spsprunasnonroot\'');
    });

    test('fails on v1 syntax in a v0 template (Gatekeeper: rego_parse_error)', () => {
      expect(() => template({ rego: REGO_V1 })).toThrow('[test/owner] invalid rego "package k8srequiredowner": is not valid Rego v0: it uses Rego v1 rule heads');
    });

    test('fails on v0 syntax in a v1 template', () => {
      expect(() => template({ rego: REGO_V0, regoVersion: RegoVersion.V1 })).toThrow('is not valid Rego v1: it uses Rego v0 rule heads (without `if`)');
    });

    test('fails on unbalanced brackets and strings', () => {
      expect(() => template({ rego: REGO_V0.replace('msg := "every', 'msg := ("every') })).toThrow('[test/owner] invalid rego "package k8srequiredowner": is not valid Rego v0: it has an unbalanced \'}\' on line 6; Gatekeeper would reject the template with rego_parse_error');
      expect(() => template({ rego: REGO_V0.replace('label"', 'label') })).toThrow('is not valid Rego v0: it has an unterminated string on line 5');
    });

    test('fails on a complete rule redeclared with :=', () => {
      const rego = `${REGO_V0}\nowner := o {\n\to := input.review.object.metadata.labels.owner\n}\n\nowner := "none" {\n\tnot input.review.object.metadata.labels.owner\n}\n`;
      expect(() => template({ rego })).toThrow('is not valid Rego v0: it declares the complete rule `owner` with := and defines it again (OPA: rule redeclared); use = for rules with several definitions');
    });

    test('fails without a violation rule', () => {
      expect(() => template({ rego: 'package k8srequiredowner\n\ndeny[msg] {\n\tmsg := "x"\n}\n' })).toThrow('has no `violation[{"msg": msg}] { ... }` rule');
    });

    test('fails on a library outside data.lib', () => {
      expect(() => template({ libs: ['package helpers\n\nx := 1\n'] })).toThrow('[test/owner] invalid libs "helpers": each library must declare `package lib.<name>`');
    });

    test('fails on a non-structural parameters schema', () => {
      expect(() => template({ parameters: { owners: { items: { type: 'string' } } } })).toThrow('[test/owner] invalid parameters.owners {"items":{"type":"string"}}: must be a structural OpenAPI v3 schema');
    });

    test('fails on a CEL variable Gatekeeper already defines', () => {
      expect(() => template({ celVariables: [{ name: 'params', expression: '1' }], celValidations: [{ expression: 'true', message: 'x' }] }))
        .toThrow('[test/owner] invalid celVariables "params": each name must be a unique CEL identifier other than anyObject and params');
    });

    test('fails on a CEL validation without a message', () => {
      expect(() => template({ celValidations: [{ expression: 'true' }] })).toThrow('[test/owner] invalid celValidations "true": needs a message or a messageExpression');
    });
  });

  test('exposes its kind and name', () => {
    const app = Testing.app();
    const t = new ConstraintTemplate(new Chart(app, 'templates'), 'owner', { kind: 'K8sRequiredOwner', rego: REGO_V0 });
    expect(t.templateName).toBe('k8srequiredowner');
    expect(t.kind).toBe('K8sRequiredOwner');
  });
});
