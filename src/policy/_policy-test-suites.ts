/**
 * Test suites in each engine's own format, written next to the pack at synthesis time so that a
 * user's CI can run the real engines on the exact pack:
 *
 * - Gatekeeper: a `gator verify` Suite (`test.gatekeeper.sh/v1alpha1`), one test per
 *   ConstraintTemplate and constraint, one case per object (the default-deny check's cases carry
 *   the Namespace and AuthorizationPolicy it reads as `inventory`);
 * - Kyverno: a `kyverno test` file (`cli.kyverno.io/v1alpha1` Test) with the ValidatingPolicies,
 *   the objects and, per policy, the objects it passes and fails;
 * - Kubernetes: AdmissionReview (`admission.k8s.io/v1`) cases, each with the policy and the
 *   expected verdict, next to the policies, bindings and parameter ConfigMaps they need.
 *
 * The objects are the pack's samples (`_samples.ts`, each with the checks that reject it) and
 * the Pod of every workload the app synthesizes, plus its PeerAuthentications and Namespaces,
 * outside the system namespaces: the app's own objects are expected to pass every check.
 */
import { ApiObject } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { CheckDefinition } from './_check';
import { checkObjectName } from './_pack-view';
import { PackSample, packSamples } from './_samples';
import { PolicyEngine } from './policy-options';
import { podTemplatesOf } from '../intent/_pod-templates';
import { OutputFile } from '../intent/output-file';

/** One case of a suite: an object and whether `check` rejects it. */
export interface SuiteCase {
  readonly name: string;
  readonly object: any;
  readonly check: CheckDefinition;
  readonly rejected: boolean;
  /** Whether the object is one of the pack's samples (else one of the app's objects). */
  readonly sample: boolean;
}

/** What the suites read from the pack, at synthesis time. */
export interface SuiteSource {
  readonly engine: PolicyEngine;
  readonly folder: string;
  readonly systemNamespaces: string[];
  readonly registry: string;
  /** The checks the engine evaluates. */
  readonly checks: () => CheckDefinition[];
  /** The engine's objects of a check (Gatekeeper: [template, constraint]; Kyverno: [policy]; Kubernetes: [policy, binding, params]). */
  readonly objectsOf: (check: CheckDefinition) => ApiObject[];
}

class SuiteFile extends OutputFile {
  public constructor(scope: Construct, id: string, path: string, private readonly render: () => string) {
    super(scope, id, { path });
  }

  public renderContents(): string {
    return this.render();
  }
}

const TARGET_KIND: Record<CheckDefinition['target'], string> = { pod: 'Pod', peerauthentication: 'PeerAuthentication', namespace: 'Namespace' };

/** The Pod a workload's controller creates from its template. */
function podOf(object: any, metadata: any, spec: any): any {
  const namespace = object.metadata?.namespace;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { ...(metadata ?? {}), name: object.kind === 'Pod' ? object.metadata.name : `${object.metadata.name}-${object.kind.toLowerCase()}`, ...(namespace ? { namespace } : {}) },
    spec,
  };
}

/** The objects of the app the suites check: workload Pods, PeerAuthentications, Namespaces, outside the system namespaces. */
function appObjects(root: IConstruct, systemNamespaces: string[]): PackSample[] {
  const out: PackSample[] = [];
  for (const t of podTemplatesOf(root)) {
    const pod = podOf(t.object, t.metadata, t.spec);
    if (!pod.metadata.namespace || systemNamespaces.includes(pod.metadata.namespace)) continue;
    out.push({ name: `app-${pod.metadata.namespace}-${pod.metadata.name}`, object: pod, rejectedBy: [] });
  }
  for (const c of root.node.findAll()) {
    if (!ApiObject.isApiObject(c)) continue;
    if (c.apiVersion === 'security.istio.io/v1' && c.kind === 'PeerAuthentication') {
      const o = c.toJson();
      if (!systemNamespaces.includes(o.metadata.namespace)) out.push({ name: `app-${o.metadata.namespace}-${o.metadata.name}-peerauthentication`, object: o, rejectedBy: [] });
    } else if (c.apiVersion === 'v1' && c.kind === 'Namespace') {
      const o = c.toJson();
      if (!systemNamespaces.includes(o.metadata.name)) out.push({ name: `app-namespace-${o.metadata.name}`, object: o, rejectedBy: [] });
    }
  }
  return out;
}

/** Every case of a suite: each object against each check for its kind. */
export function suiteCases(source: SuiteSource, root: IConstruct): SuiteCase[] {
  const samples = packSamples(source.registry);
  const objects = [...samples, ...appObjects(root, source.systemNamespaces)];
  const cases: SuiteCase[] = [];
  for (const check of source.checks()) {
    for (const o of objects.filter(x => x.object.kind === TARGET_KIND[check.target])) {
      cases.push({ name: o.name, object: o.object, check, rejected: o.rejectedBy.includes(check.id), sample: samples.includes(o) });
    }
  }
  return cases;
}

/** YAML documents, written as JSON (YAML 1.2 is a superset of JSON: every engine's CLI reads them). */
const dump = (docs: any[]) => docs.map(d => JSON.stringify(d, undefined, 2)).join('\n---\n') + '\n';
const one = (doc: any) => dump([doc]);
const fileName = (name: string) => name.replace(/[^A-Za-z0-9._-]/g, '-');

/** Adds the suite files of the pack below `policy-tests/<engine>/`. */
export function addPolicyTestSuites(scope: Construct, source: SuiteSource): void {
  const root = scope.node.root;
  const base = `policy-tests/${source.folder}`;
  let cached: SuiteCase[] | undefined;
  const cases = () => (cached ??= suiteCases(source, root));
  const objectsOf = (c: SuiteCase[]) => {
    const seen = new Map<string, any>();
    for (const x of c) seen.set(x.name, x.object);
    return seen;
  };
  if (source.engine === PolicyEngine.GATEKEEPER) {
    new SuiteFile(scope, 'GatorSuite', `${base}/suite.yaml`, () => one({
      kind: 'Suite',
      apiVersion: 'test.gatekeeper.sh/v1alpha1',
      metadata: { name: 'zero-trust-policy-pack' },
      tests: source.checks().map(check => ({
        name: check.id,
        template: `templates/${check.kind.toLowerCase()}.yaml`,
        constraint: `constraints/${checkObjectName(check)}.yaml`,
        // the samples (one file each); the app's own objects are in app-objects.yaml, for gator test
        cases: check.cel ? cases().filter(c => c.check === check && c.sample).map(c => ({
          name: c.name,
          object: `objects/${fileName(c.object.kind.toLowerCase())}-${fileName(c.name)}.yaml`,
          assertions: [{ violations: c.rejected ? 'yes' : 'no' }],
        })) : defaultDenyCases(),
      })),
    }));
    for (const check of source.checks()) {
      const [template, constraint] = source.objectsOf(check);
      new SuiteFile(scope, `GatorTemplate-${check.id}`, `${base}/templates/${check.kind.toLowerCase()}.yaml`, () => dump([template.toJson()]));
      new SuiteFile(scope, `GatorConstraint-${check.id}`, `${base}/constraints/${checkObjectName(check)}.yaml`, () => dump([constraint.toJson()]));
    }
    addGatorObjectFiles(scope, base, source.registry);
    // the app's own objects, which every check admits: `gator test` exits 0 on them
    new SuiteFile(scope, 'GatorAppObjects', `${base}/app-objects.yaml`, () => dump([...objectsOf(cases().filter(c => !c.sample)).values()]));
  } else if (source.engine === PolicyEngine.KYVERNO) {
    new SuiteFile(scope, 'KyvernoPolicies', `${base}/policies.yaml`, () => dump(source.checks().flatMap(c => source.objectsOf(c).map(o => o.toJson()))));
    new SuiteFile(scope, 'KyvernoResources', `${base}/resources.yaml`, () => dump([...objectsOf(cases()).values()]));
    new SuiteFile(scope, 'KyvernoTest', `${base}/kyverno-test.yaml`, () => {
      const ref = (o: any) => (o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name);
      const results = source.checks().flatMap(check => (['pass', 'fail'] as const).map(result => {
        const matching = cases().filter(c => c.check === check && c.rejected === (result === 'fail'));
        return matching.length ? {
          policy: checkObjectName(check),
          isValidatingPolicy: true,
          kind: TARGET_KIND[check.target],
          resources: [...new Set(matching.map(c => ref(c.object)))].sort(),
          result,
        } : undefined;
      }).filter(r => r !== undefined));
      return one({
        apiVersion: 'cli.kyverno.io/v1alpha1',
        kind: 'Test',
        metadata: { name: 'zero-trust-policy-pack' },
        policies: ['policies.yaml'],
        resources: ['resources.yaml'],
        results,
      });
    });
  } else {
    new SuiteFile(scope, 'AdmissionPolicies', `${base}/policies.yaml`, () => dump(source.checks().flatMap(c => source.objectsOf(c).map(o => o.toJson()))));
    new SuiteFile(scope, 'AdmissionReviews', `${base}/admission-reviews.yaml`, () => dump(cases().map((c, i) => admissionCase(c, i, source))));
  }
}

/** The default-deny check reads the synced Namespace and AuthorizationPolicies: its cases carry them as inventory. */
function defaultDenyCases(): any[] {
  return [
    { name: 'enrolled-namespace-with-allow-nothing', object: 'objects/default-deny-pod.yaml', inventory: ['inventory/enrolled-namespace.yaml', 'inventory/allow-nothing.yaml'], assertions: [{ violations: 'no' }] },
    { name: 'enrolled-namespace-without-allow-nothing', object: 'objects/default-deny-pod.yaml', inventory: ['inventory/enrolled-namespace.yaml'], assertions: [{ violations: 'yes' }] },
  ];
}

/**
 * One file per sample (gator reads one object per case; the samples are known when the pack is
 * defined), and the default-deny cases' pod and inventory.
 */
function addGatorObjectFiles(scope: Construct, base: string, registry: string): void {
  for (const sample of packSamples(registry)) {
    new SuiteFile(scope, `GatorObject-${sample.object.kind}-${sample.name}`, `${base}/objects/${fileName(sample.object.kind.toLowerCase())}-${fileName(sample.name)}.yaml`, () => dump([sample.object]));
  }
  const enrolled = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'zero-trust-enrolled', labels: { 'istio-injection': 'enabled' } } };
  const pod = { ...packSamples(registry)[0].object, metadata: { name: 'default-deny-pod', namespace: 'zero-trust-enrolled' } };
  new SuiteFile(scope, 'GatorDefaultDenyPod', `${base}/objects/default-deny-pod.yaml`, () => dump([pod]));
  new SuiteFile(scope, 'GatorEnrolledNamespace', `${base}/inventory/enrolled-namespace.yaml`, () => dump([enrolled]));
  new SuiteFile(scope, 'GatorAllowNothing', `${base}/inventory/allow-nothing.yaml`, () => dump([{
    apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'allow-nothing', namespace: 'zero-trust-enrolled' }, spec: {},
  }]));
}

/** An AdmissionReview case of the native engine: the request, and whether the policy's validations fail. */
function admissionCase(c: SuiteCase, i: number, source: SuiteSource): any {
  const [policy, binding] = source.objectsOf(c.check).map(o => o.toJson());
  const [group, version] = c.object.apiVersion.includes('/') ? c.object.apiVersion.split('/') : ['', c.object.apiVersion];
  const resource = c.object.kind === 'PeerAuthentication' ? 'peerauthentications' : c.object.kind === 'Namespace' ? 'namespaces' : 'pods';
  const denies = (binding.spec.validationActions as string[]).includes('Deny');
  return {
    name: `${c.check.id}/${c.name}`,
    policy: policy.metadata.name,
    binding: binding.metadata.name,
    expected: { violation: c.rejected, allowed: !(c.rejected && denies) },
    review: {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
        kind: { group, version, kind: c.object.kind },
        resource: { group, version, resource },
        ...(c.object.metadata.namespace ? { namespace: c.object.metadata.namespace } : {}),
        name: c.object.metadata.name,
        operation: 'CREATE',
        userInfo: { username: 'cdk8s-zero-trust-suite' },
        object: c.object,
        dryRun: true,
      },
    },
  };
}

