/**
 * JSON Schema validation harness for the Kubernetes objects this library synthesizes: the
 * package's own validator (`SchemaValidator`, src/validation/) on the full schemas of shared/.
 *
 * Every object is validated, strictly (unknown fields are errors, like `kubeconform -strict`):
 * - core API objects (`v1`, `apps/v1`, `networking.k8s.io/v1`, ...) against BOTH the Kubernetes
 *   v1.32.0 and v1.35.0 schemas (`shared/k8s-schemas/<version>/_definitions.json`);
 * - custom resources against the served version of their pinned CRD (`shared/crds/**.yaml`),
 *   plus their `metadata` against the core `ObjectMeta` of both Kubernetes versions.
 * An object whose kind has no schema is an error, never skipped. On top of the schemas the harness
 * checks what the API server checks and the schemas cannot say: `metadata.name` present, no
 * namespace on cluster-scoped kinds, and fixed value sets of core fields (`CORE_ENUMS`).
 *
 * The `shared/` folder is `ZERO_TRUST_SHARED_DIR` (absolute, or relative to the repo root) or, by
 * default, `<repoRoot>/../shared`.
 *
 * Performance: schemas are compiled lazily per (schema source, group/version/kind) and cached per
 * jest worker (`worker-environment.ts`: the test files a worker runs share the validator). Parsed CRD YAML is cached as JSON in
 * `ZERO_TRUST_SCHEMA_CACHE_DIR` (default `<os tmpdir>/cdk8s-zero-trust-schema-cache`, keyed by a
 * hash of each file's content; set it to `off` to disable).
 *
 * CRD CEL rules (`x-kubernetes-validations`) are evaluated too, at every schema node the object
 * reaches, on the object as the API server sees it (schema defaults applied, unknown fields pruned;
 * see `cel.ts`). A failing rule, and a reached rule that cannot be compiled or evaluated, is an error.
 *
 * Gatekeeper constraints (`constraints.gatekeeper.sh`) have no pinned CRD: Gatekeeper generates one
 * per ConstraintTemplate. They are validated against Gatekeeper's constraint fields with
 * `spec.parameters` checked by the template's `openAPIV3Schema` (strictly), when the template is
 * in the same set of objects (`validateManifests`); an unknown constraint kind is an error.
 *
 * Not checked: `x-kubernetes-list-type` uniqueness; CEL transition rules (`oldSelf`: an object
 * being created has none); the CEL cost budget.
 */
import * as fs from 'fs';
import * as path from 'path';
import { constraintTemplates } from '../../src/validation/_gatekeeper';
import { SchemaValidator } from '../../src/validation/schema-validator';

export { constraintTemplates };

/** The Kubernetes versions every core object must validate against. */
export const K8S_VERSIONS: readonly string[] = ['v1.32.0', 'v1.35.0'];

const SHARED_ENV = 'ZERO_TRUST_SHARED_DIR';

// ---------------------------------------------------------------------------------------------
// Locating shared/
// ---------------------------------------------------------------------------------------------

let cachedRepoRoot: string | undefined;

/** The repository root: the nearest folder above this file that holds a package.json. */
export function repoRoot(): string {
  if (cachedRepoRoot) return cachedRepoRoot;
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`schema harness: no package.json above ${__dirname}`);
    dir = parent;
  }
  cachedRepoRoot = dir;
  return dir;
}

/** The shared/ folder: `$ZERO_TRUST_SHARED_DIR` (absolute or relative to the repo root), else `<repoRoot>/../shared`. */
export function resolveSharedDir(): string {
  const env = process.env[SHARED_ENV];
  return env ? path.resolve(repoRoot(), env) : path.resolve(repoRoot(), '..', 'shared');
}

function missingPathError(missing: string, what: string, sharedDir: string): Error {
  const env = process.env[SHARED_ENV];
  const origin = env
    ? `${SHARED_ENV}=${JSON.stringify(env)} (relative paths are resolved against the repo root ${repoRoot()})`
    : `the default <repoRoot>/../shared (${SHARED_ENV} is not set)`;
  return new Error([
    `schema harness: missing ${what}: ${missing}`,
    `  The shared/ folder is ${sharedDir}, from ${origin}.`,
    `  Fix: set ${SHARED_ENV} to the shared/ folder (absolute, or relative to the repo root), `
      + `or put shared/ beside the checkout at ${path.resolve(repoRoot(), '..', 'shared')}.`,
  ].join('\n'));
}

/**
 * `key -> value` shared by the test files of one jest worker (see `worker-environment.ts`), else
 * (outside jest, or in another environment) by the users of this module instance.
 */
function workerShared<T>(key: string, make: () => T): T {
  const cache: Map<string, unknown> | undefined = (globalThis as any).__zeroTrustWorkerCache;
  if (!cache) return make();
  if (!cache.has(key)) cache.set(key, make());
  return cache.get(key) as T;
}

/** Validators by shared/ folder, per jest worker: what a validator compiles depends only on the schema files. */
const validators = workerShared('schema-validators', () => new Map<string, SchemaValidator>());

/** The package's validator on the shared/ schemas (one per folder and jest worker). */
function validator(): SchemaValidator {
  const dir = resolveSharedDir();
  let v = validators.get(dir);
  if (!v) {
    if (!fs.existsSync(dir)) throw missingPathError(dir, 'shared/ folder', dir);
    for (const version of K8S_VERSIONS) {
      const file = path.join(dir, 'k8s-schemas', version, '_definitions.json');
      if (!fs.existsSync(file)) throw missingPathError(file, `Kubernetes ${version} schema`, dir);
    }
    const crds = path.join(dir, 'crds');
    if (!fs.existsSync(crds)) throw missingPathError(crds, 'CRD folder', dir);
    v = new SchemaValidator({ schemaDir: dir, kubernetesVersions: [...K8S_VERSIONS] });
    if (!v.celAvailable) throw new Error(`schema harness: ${v.celUnavailableReason}`);
    validators.set(dir, v);
  }
  return v;
}

function show(value: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(value) ?? String(value);
  } catch {
    s = String(value);
  }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/**
 * Validates one manifest object. Returns the errors (empty if valid), each naming the object
 * (`kind/namespace/name`, or `kind/name` without a namespace), the schema source(s), the JSON
 * pointer and the message. Throws only when the shared/ schemas cannot be found.
 */
export function validateManifest(obj: any, templates: Map<string, any> = new Map()): string[] {
  return validator()._validateObject(obj, templates);
}

/** Validates many manifest objects; the concatenated errors. */
export function validateManifests(objs: any[]): string[] {
  if (!Array.isArray(objs)) return [`[harness] validateManifests expects an array, got ${show(objs)}`];
  const templates = constraintTemplates(objs);
  return objs.flatMap(o => validateManifest(o, templates));
}

/**
 * Throws (listing every error) unless all objects are valid. Also throws for an empty list: a
 * test that validates nothing is a bug.
 */
export function expectValidManifests(objs: any[]): void {
  if (!Array.isArray(objs) || objs.length === 0) {
    throw new Error(`expectValidManifests: no manifests to validate (got ${show(objs)}); a test that validates nothing is a bug`);
  }
  const errors = validateManifests(objs);
  if (errors.length > 0) {
    throw new Error(`${errors.length} schema error(s) in ${objs.length} manifest(s):\n${errors.map(e => `  - ${e}`).join('\n')}`);
  }
}

/** Every kind the harness has a schema for, e.g. `apps/v1 Deployment [k8s v1.32.0, v1.35.0]`. */
export function knownKinds(): string[] {
  return validator().knownKinds();
}
