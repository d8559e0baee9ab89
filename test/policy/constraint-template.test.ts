import { Chart, Testing } from 'cdk8s';
import { ConstraintTemplate, ConstraintTemplateProps, PolicyEngine, RegoVersion, ZeroTrustPolicyPack } from '../../src';
import { bracketProblem, regoPackage, regoProblem, stripComments } from '../../src/policy/_rego';
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

/**
 * The structural Rego checks, called directly. What Gatekeeper does with each case was checked
 * with gator v3.21.1 (OPA v1.10.0): `gator test` on a template holding the module.
 */
describe('Rego structural checks (_rego)', () => {
  test.each([
    ['package k8srequiredowner', 'k8srequiredowner'],
    ['  package \t lib.zero_trust.v2_1  ', 'lib.zero_trust.v2_1'],
    ['# package other\npackage _p # the template', '_p'],
    ['\n\npackage p\n\nx := 1', 'p'],
  ])('regoPackage(%j) is %j', (rego, pkg) => {
    expect(regoPackage(rego)).toBe(pkg);
  });

  test.each([[''], ['no package here'], ['x package foo'], ['package foo bar'], ['package 1abc'], ['package foo-bar'], ['# package foo'], ['packagefoo']])(
    'regoPackage(%j) is undefined', rego => {
      expect(regoPackage(rego)).toBeUndefined();
    });

  test.each([
    ['x := 1 # one', 'x := 1 '],
    ['# whole line\nx := 1\n#', '\nx := 1\n'],
    ['msg := "a # b" # c', 'msg := "a # b" '],
    ['msg := "say \\"#\\"" # c', 'msg := "say \\"#\\"" '],
    ['msg := "a\\\\" # c "', 'msg := "a\\\\" '],
    ['msg := `a # b` # c', 'msg := `a # b` '],
    // a raw string may span lines (gator: `# not a comment` is part of the message)
    ['msg := `one\n# not a comment` # c\ny := 2 # d', 'msg := `one\n# not a comment` \ny := 2 '],
    ['msg := "`" # c`', 'msg := "`" '],
    ['msg := `"` # c"', 'msg := `"` '],
    // a double-quoted string ends at the line
    ['msg := "a\n# b"', 'msg := "a\n'],
    // outside strings a backslash escapes nothing
    ['a \\# b', 'a \\'],
    ['', ''],
  ])('stripComments(%j) is %j', (rego, stripped) => {
    expect(stripComments(rego)).toBe(stripped);
  });

  const ESCAPES = 'a Rego string allows \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX; write \\\\ for a backslash, or use a raw string `...`';
  test.each([
    ['f(x) := [{"a": (1)}]', undefined],
    ['', undefined],
    ['x := ( # )\n)', undefined],
    ['x := "a\\"b(" + "abc" + "\\\\"', undefined],
    ['x := "\\u00e9\\t\\n\\r\\b\\f\\/\\\\\\"\\uABcd"', undefined],
    ['x := `(`', undefined],
    [')', 'has an unbalanced \')\' on line 1'],
    ['(]', 'has an unbalanced \']\' on line 1'],
    ['x\n{\n}\n}', 'has an unbalanced \'}\' on line 4'],
    ['x := "a"\n)', 'has an unbalanced \')\' on line 2'],
    ['x := `a\nb`\n)', 'has an unbalanced \')\' on line 3'],
    ['a {\n\tb := [\n', 'has an unclosed \'[\' opened on line 2'],
    ['a {\n', 'has an unclosed \'{\' opened on line 1'],
    ['x := "abc', 'has an unterminated string on line 1'],
    ['\n\nx := "abc\ny := "', 'has an unterminated string on line 3'],
    ['x := `abc', 'has an unterminated raw string on line 1'],
    ['\nx := `abc', 'has an unterminated raw string on line 2'],
    // gator: rego_parse_error: illegal escape sequence
    ['\nx := "\\d+"', `has an illegal escape sequence '\\d' on line 2 (${ESCAPES})`],
    ['x := "\\d\\n"', `has an illegal escape sequence '\\d' on line 1 (${ESCAPES})`],
    ['x := "\\\'"', `has an illegal escape sequence '\\'' on line 1 (${ESCAPES})`],
    ['x := "\\u12"', `has an illegal escape sequence '\\u' on line 1 (${ESCAPES})`],
    ['x := "\\uZZZZ"', `has an illegal escape sequence '\\u' on line 1 (${ESCAPES})`],
    ['x := "a\\\n"', `has an illegal escape sequence '\\\n' on line 1 (${ESCAPES})`],
  ])('bracketProblem(%j) is %j', (rego, problem) => {
    expect(bracketProblem(rego)).toBe(problem);
  });

  const V0 = 'package p\n\nviolation[{"msg": msg}] {\n\tmsg := "x"\n}\n';
  const V1 = 'package p\n\nviolation contains {"msg": msg} if {\n\tmsg := "x"\n}\n';
  const V1_IN_V0 = 'uses Rego v1 rule heads (`contains`/`if`) in a v0 module: Gatekeeper parses `rego` and unversioned code as v0 and fails with rego_parse_error';
  const V0_IN_V1 = 'uses Rego v0 rule heads (without `if`) in a v1 module: the v1 parser rejects them';
  const NO_V0_VIOLATION = 'has no `violation[{"msg": msg}] { ... }` rule: Gatekeeper requires a `violation` rule';
  const NO_V1_VIOLATION = 'has no `violation contains {"msg": msg} if { ... }` rule: Gatekeeper requires a `violation` rule';
  const FUTURE_IN_V0 = 'uses the keywords `in` or `every` in a v0 module without `import future.keywords.in` (or `.every`): Gatekeeper fails with rego_parse_error';
  const IMPORTS = ': Gatekeeper accepts only imports of data.lib (the template\'s libs) and future.keywords';
  test.each<[string, 'v0' | 'v1', boolean, string | undefined]>([
    [V0, 'v0', true, undefined],
    [V1, 'v1', true, undefined],
    [`${V0}x := (\n`, 'v0', true, 'has an unclosed \'(\' opened on line 6'],
    // two definitions of a := rule: gator accepts them (an eval conflict only when both hold)
    [`${V0}owner := o {\n\to := input.review.object.metadata.labels.owner\n}\n\nowner := "none" {\n\tnot input.review.object.metadata.labels.owner\n}\n`, 'v0', true, undefined],
    // imports: gator refuses every one but data.lib... and future.keywords..., rego.v1 included
    [`package p\nimport data.lib.zero_trust\nimport data.lib\n import  data.lib.a.b_2 as b\nimport future.keywords.in\nimport future.keywords\n${V0.slice(10)}`, 'v0', true, undefined],
    [`package p\nimport rego.v1\n${V1.slice(10)}`, 'v0', true, `imports rego.v1${IMPORTS}`],
    [`package p\nimport rego.v1\n${V1.slice(10)}`, 'v1', true, `imports rego.v1${IMPORTS}`],
    [`package p\nimport data.lib.x\n  import data.inventory\n${V0.slice(10)}`, 'v0', true, `imports data.inventory${IMPORTS}`],
    [`package p\nimport input.review\n${V0.slice(10)}`, 'v0', true, `imports input.review${IMPORTS}`],
    [`package p\nimport data.libx\n${V0.slice(10)}`, 'v0', true, `imports data.libx${IMPORTS}`],
    [`package p\nimport data.lib.\n${V0.slice(10)}`, 'v0', true, `imports data.lib.${IMPORTS}`],
    [`package p\nimport data.lib.1x\n${V0.slice(10)}`, 'v0', true, `imports data.lib.1x${IMPORTS}`],
    [`package p\nimport future.keywordsx\n${V0.slice(10)}`, 'v0', true, `imports future.keywordsx${IMPORTS}`],
    [`package p\nimport future.keywords.if.x\n${V0.slice(10)}`, 'v0', true, `imports future.keywords.if.x${IMPORTS}`],
    [`package p\nimport xdata.lib\n${V0.slice(10)}`, 'v0', true, `imports xdata.lib${IMPORTS}`],
    [`package p\n# import rego.v1\nx := "import rego.v1"\n${V0.slice(10)}`, 'v0', true, undefined],
    [`package p\nimport  rego.v1\n${V0.slice(10)}`, 'v0', true, `imports rego.v1${IMPORTS}`],
    [`package p\nimport  future.keywords\n${V1.slice(10)}`, 'v0', true, undefined],
    [`package p\n  import future.keywords\n${V1.slice(10)}`, 'v0', true, undefined],
    ['package p\nallow if {\n\ttrue\n}\n', 'v0', false, V1_IN_V0],
    [`package p\nx := "import future.keywords"\n${V1.slice(10)}`, 'v0', true, V1_IN_V0],
    // v1 rule heads in v0
    [V1, 'v0', true, V1_IN_V0],
    ['package p\n\nallow if {\n\ttrue\n}\n', 'v0', false, V1_IN_V0],
    ['package p\n\nallow if{\n\ttrue\n}\n', 'v0', false, V1_IN_V0],
    ['package p\n\n  deny  contains msg if {\n\tmsg := "x"\n}\n', 'v0', false, V1_IN_V0],
    ['package p\n\nobj["a"] if {\n\ttrue\n}\n', 'v0', false, V1_IN_V0],
    [`package p\nimport future.keywords.if\nimport future.keywords.contains\n${V1.slice(10)}`, 'v0', true, undefined],
    // the v1 violation rule needs the future keywords in v0
    ['package p\n\nallow := true\n\nviolation contains {"msg": msg} if {\n\tmsg := "x"\n}\n', 'v0', true, V1_IN_V0],
    ['package p\nimport future.keywords\n\ndeny contains msg if {\n\tmsg := "x"\n}\n', 'v0', true, NO_V0_VIOLATION],
    [`package p\nimport future.keywords\n${V1.slice(10)}`, 'v0', false, undefined],
    // the future keywords in and every (gator: rego_parse_error unless imported)
    [`${V0}\nok {\n\tsome c in input.review.object.spec.containers\n}\n`, 'v0', true, FUTURE_IN_V0],
    [`${V0}\nok {\n\tinput.review.object.kind in ["Pod"]\n}\n`, 'v0', true, FUTURE_IN_V0],
    [`${V0}\nok {\n\tevery c in input.review.object.spec.containers { c.name != "" }\n}\n`, 'v0', true, FUTURE_IN_V0],
    [`${V0}\nok {\n\tx := [1]\n\tevery(x)\n}\n`, 'v0', true, FUTURE_IN_V0],
    [`${V0}\nok {\n\t"Pod"in ["Pod"]\n}\n`, 'v0', true, FUTURE_IN_V0],
    [`${V0}\nok {\n\tinput."kind"in ["Pod"]\n}\n`, 'v0', true, FUTURE_IN_V0],
    [`every x in [1] { true }\n${V0}`, 'v0', true, FUTURE_IN_V0],
    [`in\n${V0}`, 'v0', true, FUTURE_IN_V0],
    [`${V0}\nok {\n\tx := input.review.object.in\n\tmsg := "x in y" # every in\n\tinside := input.x.every_one\n}\n`, 'v0', true, undefined],
    [`package p\nimport future.keywords.in\n${V0.slice(10)}\nok {\n\tsome c in input.review.object.spec.containers\n}\n`, 'v0', true, undefined],
    [`${V1}\nok if {\n\tsome c in input.review.object.spec.containers\n}\n`, 'v1', true, undefined],
    // words in a message are no rule heads
    ['package p\n\nviolation[{"msg": msg}] {\n\tmsg := "a contains b if"\n}\n', 'v0', true, undefined],
    // the violation rule
    ['package p\n\ndeny[msg] {\n\tmsg := "x"\n}\n', 'v0', true, NO_V0_VIOLATION],
    ['package p\n\ndeny[msg] {\n\tmsg := "x"\n}\n', 'v0', false, undefined],
    ['package p\n\nviolation[{"msg": msg, "details": {}}]{\n\tmsg := "x"\n}\n', 'v0', true, undefined],
    ['package p\n\n  violation [ { "msg": msg } ]  {\n\tmsg := "x"\n}\n', 'v0', true, undefined],
    ['package p\n\nviolation[{"msg": msg}] { msg := "x" }\n', 'v0', true, undefined],
    ['package p\n\nviolation[msg] {\n\tmsg := "x"\n}\n', 'v0', true, NO_V0_VIOLATION],
    ['package p\n\ndeny[msg] {\n\tmsg := "see violation[{x}] {"\n}\n', 'v0', true, NO_V0_VIOLATION],
    // v0 rule heads in v1
    [V0, 'v1', true, V0_IN_V1],
    ['package p\n\nviolation[{"msg": msg}] { msg := "x" }\n', 'v1', false, V0_IN_V1],
    [`${V1}\nallow {\n\ttrue\n}\n`, 'v1', true, V0_IN_V1],
    [`${V1}\nallow {  \n\ttrue\n}\n`, 'v1', true, V0_IN_V1],
    [`${V1}\nallow if{\n\ttrue\n}\n\nobj := {\n\t"a": 1,\n}\n\nother = {\n\t"b": 2,\n}\n`, 'v1', true, undefined],
    [`${V1}\nallow if {\n\tevery x in [1] {\n\t\tx > 0\n\t}\n}\n`, 'v1', true, undefined],
    [`${V1}\nobj2 := {"a": 1}\n\nobj3 :={\n\t"a": 1,\n}\n`, 'v1', true, undefined],
    // trailing spaces after the opening brace
    [`${V1}\nallow if {  \n\ttrue\n}\n\nobj4 := {\t\n\t"a": 1,\n}\n`, 'v1', true, undefined],
    ['package p\n\nallow { msg := "if {"; input.x in {\n\t"a",\n}}\n', 'v1', false, V0_IN_V1],
    ['package p\n\nallow { x := {"a": 1}; input.y in {\n\t"b",\n}}\n', 'v1', false, V0_IN_V1],
    // the violation rule in v1
    ['package p\n\ndeny contains msg if {\n\tmsg := "x"\n}\n', 'v1', true, NO_V1_VIOLATION],
    ['package p\n\ndeny contains msg if {\n\tmsg := "x"\n}\n', 'v1', false, undefined],
    ['package p\n\n  violation  contains  { "msg": msg, "details": {} }  if{\n\tmsg := "x"\n}\n', 'v1', true, undefined],
    ['package p\n\nviolation contains msg if {\n\tmsg := "x"\n}\n', 'v1', true, NO_V1_VIOLATION],
    ['package p\n\ndeny contains msg if {\n\tmsg := "violation contains {x} if {"\n}\n', 'v1', true, NO_V1_VIOLATION],
  ])('regoProblem(%j, %s, %s) is %j', (rego, version, requireViolation, problem) => {
    expect(regoProblem(rego, version, requireViolation)).toBe(problem);
  });
});

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

    test('fails on an import Gatekeeper refuses, and on an illegal string escape', () => {
      expect(() => template({ rego: REGO_V0.replace('\n\n', '\n\nimport rego.v1\n\n') })).toThrow(
        '[test/owner] invalid rego "package k8srequiredowner": is not valid Rego v0: it imports rego.v1: Gatekeeper accepts only imports of data.lib (the template\'s libs) and future.keywords; import only libraries (data.lib.<name>, given in libs) and future.keywords');
      expect(() => template({ rego: REGO_V0.replace('owner label', 'owner label\\.') })).toThrow(
        '[test/owner] invalid rego "package k8srequiredowner": is not valid Rego v0: it has an illegal escape sequence \'\\.\' on line 5');
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
