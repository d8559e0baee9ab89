import * as fs from 'fs';
import * as path from 'path';
import Ajv from 'ajv';
import { Chart, Testing } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import * as yaml from 'yaml';
import { OutputFile, PolicyEngine, PolicyMode, ReferenceArchitecture, ZeroTrustPolicyPack } from '../../src';
import { ZERO_TRUST_LIB } from '../../src/policy/_check';
import { CHECKS } from '../../src/policy/_checks';
import { gatekeeperReview, kubernetesReview, kyvernoReview } from '../support/policy-engine';
import { synthValid } from '../support/synth';

/** Independent models of the suite formats, written from upstream: gatekeeper pkg/gator/verify (Suite, Test, Case, Assertion) and the kyverno CLI Test CRD. */
const GATOR_SUITE = {
  type: 'object',
  additionalProperties: false,
  required: ['kind', 'apiVersion', 'tests'],
  properties: {
    kind: { const: 'Suite' },
    apiVersion: { const: 'test.gatekeeper.sh/v1alpha1' },
    metadata: { type: 'object', properties: { name: { type: 'string' } } },
    tests: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'template', 'constraint', 'cases'],
        properties: {
          name: { type: 'string' },
          template: { type: 'string' },
          constraint: { type: 'string' },
          cases: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['name', 'object', 'assertions'],
              properties: {
                name: { type: 'string' },
                object: { type: 'string' },
                inventory: { type: 'array', items: { type: 'string' } },
                assertions: { type: 'array', items: { type: 'object', additionalProperties: false, properties: { violations: { enum: ['yes', 'no'] }, message: { type: 'string' } } } },
              },
            },
          },
        },
      },
    },
  },
};
const KYVERNO_TEST = {
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'metadata', 'policies', 'resources', 'results'],
  properties: {
    apiVersion: { const: 'cli.kyverno.io/v1alpha1' },
    kind: { const: 'Test' },
    metadata: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } },
    policies: { type: 'array', items: { type: 'string' } },
    resources: { type: 'array', items: { type: 'string' } },
    results: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['policy', 'isValidatingPolicy', 'kind', 'resources', 'result'],
        properties: {
          policy: { type: 'string' },
          isValidatingPolicy: { const: true },
          kind: { type: 'string' },
          resources: { type: 'array', minItems: 1, items: { type: 'string' } },
          result: { enum: ['pass', 'fail', 'skip', 'warn', 'error'] },
        },
      },
    },
  },
};
/** admission.k8s.io/v1 AdmissionReview (request part) and our case wrapper. */
const ADMISSION_CASE = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'policy', 'binding', 'expected', 'review'],
  properties: {
    name: { type: 'string' },
    policy: { type: 'string' },
    binding: { type: 'string' },
    expected: { type: 'object', additionalProperties: false, required: ['violation', 'allowed'], properties: { violation: { type: 'boolean' }, allowed: { type: 'boolean' } } },
    review: {
      type: 'object',
      additionalProperties: false,
      required: ['apiVersion', 'kind', 'request'],
      properties: {
        apiVersion: { const: 'admission.k8s.io/v1' },
        kind: { const: 'AdmissionReview' },
        request: {
          type: 'object',
          additionalProperties: false,
          required: ['uid', 'kind', 'resource', 'operation', 'userInfo', 'object'],
          properties: {
            uid: { type: 'string', pattern: '^[0-9a-f-]{36}$' },
            kind: { type: 'object', required: ['group', 'version', 'kind'] },
            resource: { type: 'object', required: ['group', 'version', 'resource'] },
            namespace: { type: 'string' },
            name: { type: 'string' },
            operation: { enum: ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'] },
            userInfo: { type: 'object' },
            object: { type: 'object' },
            dryRun: { type: 'boolean' },
          },
        },
      },
    },
  },
};

const q = (v: string) => k8s.Quantity.fromString(v);

function suites(engine: PolicyEngine, mode = PolicyMode.ENFORCE) {
  const app = Testing.app();
  const chart = new Chart(app, 'c');
  new ZeroTrustPolicyPack(chart, 'pack', { engine, mode, allowedRegistries: ['ghcr.io/acme/'] });
  new k8s.KubeDeployment(chart, 'web', {
    metadata: { name: 'web', namespace: 'apps' },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          serviceAccountName: 'web',
          automountServiceAccountToken: false,
          securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [{
            name: 'web',
            image: 'ghcr.io/acme/web:2.0.0',
            securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsUser: 10001, capabilities: { drop: ['ALL'] } },
            resources: { limits: { cpu: q('1'), memory: q('1Gi') }, requests: { cpu: q('100m'), memory: q('128Mi') } },
          }],
        },
      },
    },
  });
  const objs = synthValid(chart);
  const files = new Map(OutputFile.of(app).map(f => [f.relativePath, f.renderContents()]));
  // each file parsed once; every caller gets its own copy
  const parsed = new Map<string, any[]>();
  const docs = (file: string): any[] => {
    if (!parsed.has(file)) parsed.set(file, yaml.parseAllDocuments(files.get(file)!).map(d => d.toJSON()));
    return structuredClone(parsed.get(file)!);
  };
  return { objs, files, docs };
}

const ajv = new Ajv({ allErrors: true, strict: false });
const review = { [PolicyEngine.GATEKEEPER]: gatekeeperReview, [PolicyEngine.KYVERNO]: kyvernoReview, [PolicyEngine.KUBERNETES]: kubernetesReview };

describe('generated policy test suites', () => {
  test('gatekeeper: a gator verify Suite, schema-valid, every check with a passing and a failing case, expected verdicts equal to the CEL verdicts', () => {
    const { objs, files, docs } = suites(PolicyEngine.GATEKEEPER);
    const suite = docs('policy-tests/gatekeeper/suite.yaml')[0];
    expect(ajv.validate(GATOR_SUITE, suite)).toBe(true);
    expect(suite.tests.map((t: any) => t.name).sort()).toEqual(CHECKS.map(c => c.id).sort());
    for (const t of suite.tests) {
      const verdicts = t.cases.map((c: any) => c.assertions[0].violations);
      expect({ test: t.name, pass: verdicts.includes('no'), fail: verdicts.includes('yes') }).toEqual({ test: t.name, pass: true, fail: true });
      // the referenced files exist and hold exactly one object (gator reads one per case)
      const template = docs(`policy-tests/gatekeeper/${t.template}`);
      const constraint = docs(`policy-tests/gatekeeper/${t.constraint}`);
      expect([template.length, constraint.length]).toEqual([1, 1]);
      expect(constraint[0].kind).toBe(template[0].spec.crd.spec.names.kind);
      for (const c of t.cases) {
        for (const file of [c.object, ...(c.inventory ?? [])]) expect(files.has(`policy-tests/gatekeeper/${file}`)).toBe(true);
        const object = docs(`policy-tests/gatekeeper/${c.object}`);
        expect(object).toHaveLength(1);
        if (template[0].spec.targets[0].code.some((x: any) => x.engine === 'K8sNativeValidation')) {
          const rejected = gatekeeperReview([...template, ...constraint], object[0]).violations.length > 0;
          expect({ test: t.name, case: c.name, violations: rejected ? 'yes' : 'no' }).toEqual({ test: t.name, case: c.name, violations: c.assertions[0].violations });
        }
      }
    }
    // the app's own objects: every check admits them (gator test exits 0)
    const appObjects = docs('policy-tests/gatekeeper/app-objects.yaml');
    expect(appObjects.map(o => `${o.kind}/${o.metadata.name}`)).toEqual(['Pod/web-deployment']);
    for (const o of appObjects) expect(gatekeeperReview(objs, o).violations).toEqual([]);
  });

  test('kyverno: a kyverno test file, schema-valid, every ValidatingPolicy with a passing and a failing resource, expected results equal to the CEL verdicts', () => {
    const { docs } = suites(PolicyEngine.KYVERNO);
    const test = docs('policy-tests/kyverno/kyverno-test.yaml')[0];
    expect(ajv.validate(KYVERNO_TEST, test)).toBe(true);
    const policies = docs('policy-tests/kyverno/policies.yaml');
    const resources = docs('policy-tests/kyverno/resources.yaml');
    expect(policies.map(p => p.kind)).toEqual(CHECKS.filter(c => c.cel).map(() => 'ValidatingPolicy'));
    for (const p of policies) {
      const results = test.results.filter((r: any) => r.policy === p.metadata.name);
      expect({ policy: p.metadata.name, results: results.map((r: any) => r.result).sort() }).toEqual({ policy: p.metadata.name, results: ['fail', 'pass'] });
      for (const r of results) {
        for (const ref of r.resources) {
          const [ns, name] = ref.includes('/') ? ref.split('/') : [undefined, ref];
          const object = resources.find(o => o.kind === r.kind && o.metadata.name === name && o.metadata.namespace === ns);
          expect(object).toBeDefined();
          const failed = kyvernoReview([p], object).violations.length > 0;
          expect({ policy: p.metadata.name, ref, result: failed ? 'fail' : 'pass' }).toEqual({ policy: p.metadata.name, ref, result: r.result });
        }
      }
    }
  });

  test('kubernetes: AdmissionReview cases, schema-valid, every policy with a passing and a failing case, expected verdicts equal to the CEL verdicts', () => {
    const { docs } = suites(PolicyEngine.KUBERNETES);
    const cases = docs('policy-tests/kubernetes/admission-reviews.yaml');
    const policies = docs('policy-tests/kubernetes/policies.yaml');
    for (const c of cases) expect(ajv.validate(ADMISSION_CASE, c)).toBe(true);
    const names = policies.filter(p => p.kind === 'ValidatingAdmissionPolicy').map(p => p.metadata.name);
    expect(names).toHaveLength(CHECKS.filter(c => c.cel).length);
    for (const name of names) {
      const mine = cases.filter(c => c.policy === name);
      expect({ name, violation: [...new Set(mine.map(c => c.expected.violation))].sort() }).toEqual({ name, violation: [false, true] });
      const set = policies.filter(p => p.metadata.name === name);
      for (const c of mine) {
        const failed = kubernetesReview(set, c.review.request.object).violations.length > 0;
        expect({ case: c.name, violation: failed }).toEqual({ case: c.name, violation: c.expected.violation });
        // ENFORCE: a violation is a denial
        expect(c.expected.allowed).toBe(!c.expected.violation);
      }
    }
  });

  test('the samples get identical verdicts from every engine', () => {
    const verdicts = (engine: PolicyEngine) => {
      const { objs, docs } = suites(engine);
      const samples = engine === PolicyEngine.KYVERNO ? docs('policy-tests/kyverno/resources.yaml') : docs('policy-tests/kubernetes/admission-reviews.yaml').map(c => c.review.request.object);
      const unique = new Map(samples.map((o: any) => [`${o.kind}/${o.metadata.namespace}/${o.metadata.name}`, o]));
      return new Map([...unique].map(([k, o]) => [k, review[engine](objs, o).violations.map(v => v.policy.split('/')[1]).sort()]));
    };
    const kyverno = verdicts(PolicyEngine.KYVERNO);
    const gatekeeper = new Map([...kyverno.keys()].map(k => [k, undefined as any]));
    const gk = suites(PolicyEngine.GATEKEEPER).objs;
    const kyvernoSamples = suites(PolicyEngine.KYVERNO).docs;
    for (const k of gatekeeper.keys()) {
      const [kind, ns, name] = k.split('/');
      const object = kyvernoSamples('policy-tests/kyverno/resources.yaml').find(o => o.kind === kind && o.metadata.name === name && `${o.metadata.namespace}` === ns);
      gatekeeper.set(k, gatekeeperReview(gk, object).violations.map(v => v.policy.split('/')[1]).sort());
    }
    expect(gatekeeper).toEqual(kyverno);
    const native = verdicts(PolicyEngine.KUBERNETES);
    expect(native).toEqual(new Map([...kyverno].filter(([k]) => native.has(k))));
    expect(native.size).toBe(kyverno.size);
  });

  test('the Rego of every check reads the parameters its CEL reads and says what its CEL says', () => {
    for (const check of CHECKS.filter(c => c.cel)) {
      const cel = [...check.cel!.map(v => v.expression)].join('\n');
      const rego = check.rego + (check.usesLib ? ZERO_TRUST_LIB : '');
      for (const param of Object.keys(check.parameters)) {
        const readByCel = cel.includes(`variables.params.${param}`) || (param === 'exemptWorkloads' || param === 'exemptImages');
        const readByRego = rego.includes(`"${param}"`) || rego.includes(`parameters.${param}`);
        expect({ check: check.id, param, readByCel, readByRego }).toEqual({ check: check.id, param, readByCel: true, readByRego: true });
      }
      // the messages: every literal that starts a CEL message starts a Rego message
      for (const [, literal] of cel.matchAll(/\.map\(\w+, "([^"]+)"/g)) {
        expect({ check: check.id, literal, inRego: rego.includes(literal) }).toEqual({ check: check.id, literal, inRego: true });
      }
    }
  });

  test.each([PolicyEngine.GATEKEEPER, PolicyEngine.KYVERNO])('the README commands name files `npm run synth` writes (%s)', engine => {
    const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
    const named = [...readme.matchAll(/dist-files\/(policy-tests\/[\w./-]+)/g)].map(m => m[1]).filter(p => p.startsWith(`policy-tests/${engine}/`));
    expect(named.length).toBeGreaterThan(0);
    const app = Testing.app();
    new ReferenceArchitecture(app, 'zero-trust', { policyEngine: engine });
    const written = OutputFile.of(app).map(f => f.relativePath);
    for (const p of named) {
      const prefix = p.replace(/\/$/, '');
      expect({ p, written: written.some(w => w === prefix || w.startsWith(`${prefix}/`)) }).toEqual({ p, written: true });
    }
  });
});
