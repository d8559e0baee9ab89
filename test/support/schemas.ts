/**
 * JSON Schema validation harness for the Kubernetes objects this library synthesizes.
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
 * Performance: schemas are compiled lazily per (schema source, group/version/kind) and cached in
 * the module (so once per jest test file). Parsed CRD YAML is cached as JSON in
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
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import Ajv, { ErrorObject, Format, ValidateFunction } from 'ajv';
import { parseAllDocuments } from 'yaml';
import { celIssues } from './cel';

/** The Kubernetes versions every core object must validate against. */
export const K8S_VERSIONS: readonly string[] = ['v1.32.0', 'v1.35.0'];

const SHARED_ENV = 'ZERO_TRUST_SHARED_DIR';
const CACHE_ENV = 'ZERO_TRUST_SCHEMA_CACHE_DIR';
/** Bump when the shape of the CRD cache files changes. */
const CACHE_FORMAT = 'crd-cache-v1';
const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';

/**
 * Core kinds that are cluster-scoped (`group/kind`, core group written as ``). The k8s JSON
 * schemas do not carry the scope; a namespace on these objects is a bug (cdk8s stamps the chart's
 * namespace on every object).
 */
const CLUSTER_SCOPED_CORE = new Set([
  '/Namespace', '/Node', '/PersistentVolume', '/ComponentStatus',
  'rbac.authorization.k8s.io/ClusterRole', 'rbac.authorization.k8s.io/ClusterRoleBinding',
  'storage.k8s.io/StorageClass', 'storage.k8s.io/CSIDriver', 'storage.k8s.io/CSINode',
  'storage.k8s.io/VolumeAttachment', 'storage.k8s.io/VolumeAttributesClass',
  'scheduling.k8s.io/PriorityClass', 'node.k8s.io/RuntimeClass',
  'networking.k8s.io/IngressClass', 'networking.k8s.io/IPAddress', 'networking.k8s.io/ServiceCIDR',
  'apiextensions.k8s.io/CustomResourceDefinition', 'apiregistration.k8s.io/APIService',
  'admissionregistration.k8s.io/MutatingWebhookConfiguration',
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicy',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding',
  'admissionregistration.k8s.io/MutatingAdmissionPolicy',
  'admissionregistration.k8s.io/MutatingAdmissionPolicyBinding',
  'certificates.k8s.io/CertificateSigningRequest', 'certificates.k8s.io/ClusterTrustBundle',
  'flowcontrol.apiserver.k8s.io/FlowSchema', 'flowcontrol.apiserver.k8s.io/PriorityLevelConfiguration',
  'resource.k8s.io/DeviceClass', 'resource.k8s.io/ResourceSlice',
  'internal.apiserver.k8s.io/StorageVersion', 'storagemigration.k8s.io/StorageVersionMigration',
]);

/**
 * Value sets the API server enforces in Go code but the published k8s JSON schemas do not list
 * (they carry no `enum` except on `kind`). Only values identical in every targeted version are
 * listed. `definition -> property -> allowed values`; `[]` after a property means its items.
 */
const CORE_ENUMS: Record<string, Record<string, string[]>> = {
  'io.k8s.api.networking.v1.NetworkPolicySpec': { 'policyTypes[]': ['Ingress', 'Egress'] },
  'io.k8s.api.networking.v1.NetworkPolicyPort': { protocol: ['TCP', 'UDP', 'SCTP'] },
  'io.k8s.api.core.v1.ContainerPort': { protocol: ['TCP', 'UDP', 'SCTP'] },
  'io.k8s.api.core.v1.ServicePort': { protocol: ['TCP', 'UDP', 'SCTP'] },
  'io.k8s.api.core.v1.Container': { imagePullPolicy: ['Always', 'Never', 'IfNotPresent'] },
  'io.k8s.api.core.v1.EphemeralContainer': { imagePullPolicy: ['Always', 'Never', 'IfNotPresent'] },
  'io.k8s.api.core.v1.PodSpec': {
    restartPolicy: ['Always', 'OnFailure', 'Never'],
    dnsPolicy: ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'],
  },
  'io.k8s.api.core.v1.ServiceSpec': {
    type: ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'],
    sessionAffinity: ['ClientIP', 'None'],
    externalTrafficPolicy: ['Cluster', 'Local'],
    internalTrafficPolicy: ['Cluster', 'Local'],
    ipFamilyPolicy: ['SingleStack', 'PreferDualStack', 'RequireDualStack'],
  },
  'io.k8s.api.core.v1.SeccompProfile': { type: ['RuntimeDefault', 'Unconfined', 'Localhost'] },
  'io.k8s.api.core.v1.Toleration': { effect: ['', 'NoSchedule', 'PreferNoSchedule', 'NoExecute'] },
  'io.k8s.api.apps.v1.DeploymentStrategy': { type: ['Recreate', 'RollingUpdate'] },
  'io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement': { operator: ['In', 'NotIn', 'Exists', 'DoesNotExist'] },
  'io.k8s.api.rbac.v1.Subject': { kind: ['User', 'Group', 'ServiceAccount'] },
  'io.k8s.api.admissionregistration.v1.ValidatingWebhook': {
    failurePolicy: ['Ignore', 'Fail'],
    sideEffects: ['None', 'NoneOnDryRun'],
    matchPolicy: ['Exact', 'Equivalent'],
  },
  'io.k8s.api.admissionregistration.v1.MutatingWebhook': {
    failurePolicy: ['Ignore', 'Fail'],
    sideEffects: ['None', 'NoneOnDryRun'],
    matchPolicy: ['Exact', 'Equivalent'],
    reinvocationPolicy: ['Never', 'IfNeeded'],
  },
  'io.k8s.api.policy.v1.PodDisruptionBudgetSpec': { unhealthyPodEvictionPolicy: ['IfHealthyBudget', 'AlwaysAllow'] },
};

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

// ---------------------------------------------------------------------------------------------
// Ajv set-up: formats and Go regular expressions
// ---------------------------------------------------------------------------------------------

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const INT64_LIMIT = 2 ** 63;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const MAC = /^(?:[0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}$/;
const HOSTNAME = /^(?=.{1,253}$)[a-zA-Z0-9](?:[-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)*$/;

function isCidr(s: string): boolean {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(s);
  if (!m) return false;
  const family = net.isIP(m[1]);
  const bits = Number(m[2]);
  return (family === 4 && bits <= 32) || (family === 6 && bits <= 128);
}

const ALWAYS: Format = () => true;

/**
 * The formats Kubernetes schemas use. Numeric formats check the range; string formats that
 * Kubernetes checks are checked; the rest are accepted (Kubernetes ignores unknown formats, and so
 * does this harness).
 */
const FORMATS: Record<string, Format> = {
  'int32': { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= INT32_MIN && n <= INT32_MAX },
  'int64': { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -INT64_LIMIT && n < INT64_LIMIT },
  'double': { type: 'number', validate: () => true },
  'float': { type: 'number', validate: () => true },
  'int-or-string': ALWAYS, // a string is always fine; integers are not checked by string formats
  'byte': BASE64,
  'date-time': RFC3339,
  'datetime': RFC3339,
  'date': DATE,
  'ipv4': (s: string) => net.isIPv4(s),
  'ipv6': (s: string) => net.isIPv6(s),
  'cidr': isCidr,
  'uuid': UUID,
  'mac': MAC,
  'hostname': HOSTNAME,
  'idn-hostname': ALWAYS,
  'uri': ALWAYS,
  'email': ALWAYS,
  'password': ALWAYS,
  'duration': ALWAYS,
  'quantity': ALWAYS,
};

/**
 * CRD patterns are Go (RE2) regular expressions. Translate the few constructs JavaScript lacks:
 * `\pL` / `\PC` (one-letter Unicode classes) and leading inline flags such as `(?i)`.
 */
function goRegExp(pattern: string, flags: string): RegExp {
  let p = pattern;
  let f = flags;
  const inline = /^(\^?)\(\?([imsU]+)\)/.exec(p);
  if (inline) {
    p = inline[1] + p.slice(inline[0].length);
    for (const c of inline[2]) if ('ims'.includes(c) && !f.includes(c)) f += c;
  }
  p = p.replace(/(^|[^\\])\\([pP])([A-Za-z])/g, '$1\\$2{$3}').replace(/\\z/g, '$').replace(/\\A/g, '^');
  return new RegExp(p, f);
}
goRegExp.code = 'goRegExp';

function newAjv(): Ajv {
  return new Ajv({
    strict: false, // x-kubernetes-* and other non-JSON-Schema keywords
    allErrors: true,
    verbose: true, // gives the offending data in errors
    validateSchema: false, // the inputs are pinned; skip the meta-schema pass on 1 MB documents
    logger: false,
    formats: FORMATS,
    // Measured: not inlining $refs and skipping the code optimiser halves cold compile time
    // (a Deployment: ~1.2 s -> ~0.5 s for both k8s versions); warm validation is unchanged.
    inlineRefs: false,
    code: { regExp: goRegExp, optimize: false },
  });
}

// ---------------------------------------------------------------------------------------------
// Strict schema transforms (always on our own copy: freshly parsed JSON, or structuredClone)
// ---------------------------------------------------------------------------------------------

function isObject(x: unknown): x is Record<string, any> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Core k8s: every object schema with `properties` and no `additionalProperties` becomes closed. */
function strictifyCore(node: any): void {
  if (!isObject(node)) return;
  if (node.properties && node.additionalProperties === undefined) node.additionalProperties = false;
  if (isObject(node.properties)) for (const child of Object.values(node.properties)) strictifyCore(child);
  if (node.items) (Array.isArray(node.items) ? node.items : [node.items]).forEach(strictifyCore);
  if (isObject(node.additionalProperties)) strictifyCore(node.additionalProperties);
}

/**
 * CRD structural schema -> strict JSON Schema.
 * - `additionalProperties: false` on every object node (with `properties`, or `type: object`
 *   without any: Kubernetes would prune every field in it), except where
 *   `x-kubernetes-preserve-unknown-fields: true` or `additionalProperties` is already given;
 * - `nullable: true` -> also accept `null` (Ajv's own `nullable` support is not used);
 * - `x-kubernetes-int-or-string: true` -> integer or string;
 * - `x-kubernetes-embedded-resource: true` and the root -> `apiVersion`, `kind`, `metadata`
 *   implicitly allowed (root `metadata` is validated separately against core ObjectMeta);
 * - value validations (`allOf`/`anyOf`/`oneOf`/`not`) are left alone: they may list properties
 *   without closing the object.
 */
function strictifyCrd(node: any, resourceRoot: boolean): void {
  if (!isObject(node)) return;
  if (node.nullable !== undefined) {
    if (node.nullable === true) {
      if (typeof node.type === 'string') node.type = [node.type, 'null'];
      if (Array.isArray(node.enum) && !node.enum.includes(null)) node.enum = [...node.enum, null];
    }
    delete node.nullable;
  }
  if (node['x-kubernetes-int-or-string'] === true && node.type === undefined && !node.anyOf && !node.oneOf) {
    node.anyOf = [{ type: 'integer' }, { type: 'string' }];
  }
  const embedded = resourceRoot || node['x-kubernetes-embedded-resource'] === true;
  if (embedded) {
    node.properties = { ...(node.properties ?? {}) };
    node.properties.apiVersion ??= { type: 'string' };
    node.properties.kind ??= { type: 'string' };
    // metadata: free-form here; a resource root's metadata is checked against core ObjectMeta.
    node.properties.metadata = { type: 'object' };
  }
  const preserve = node['x-kubernetes-preserve-unknown-fields'] === true;
  if (!preserve && node.additionalProperties === undefined && (node.properties || node.type === 'object')) {
    node.additionalProperties = false;
  }
  if (isObject(node.properties)) {
    for (const [name, child] of Object.entries(node.properties)) {
      if (embedded && name === 'metadata') continue;
      strictifyCrd(child, false);
    }
  }
  if (node.items) (Array.isArray(node.items) ? node.items : [node.items]).forEach((c: any) => strictifyCrd(c, false));
  if (isObject(node.additionalProperties)) strictifyCrd(node.additionalProperties, false);
}

function addCoreEnums(definitions: Record<string, any>): void {
  for (const [def, props] of Object.entries(CORE_ENUMS)) {
    for (const [prop, values] of Object.entries(props)) {
      const items = prop.endsWith('[]');
      let node = definitions[def]?.properties?.[items ? prop.slice(0, -2) : prop];
      if (items) node = node?.items;
      if (isObject(node) && node.enum === undefined) node.enum = values;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// CRD loading (with an on-disk JSON cache of the parsed YAML)
// ---------------------------------------------------------------------------------------------

interface CrdVersion {
  readonly name: string;
  readonly served: boolean;
  readonly deprecated: boolean;
  readonly schema?: any;
}

interface CrdDoc {
  readonly group: string;
  readonly kind: string;
  readonly scope: string;
  readonly versions: CrdVersion[];
}

interface CrdEntry extends CrdDoc {
  /** File relative to shared/crds, e.g. `istio/istio-crds.yaml`. */
  readonly source: string;
}

function listYaml(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listYaml(full));
    else if (/\.ya?ml$/.test(e.name)) out.push(full);
  }
  return out.sort();
}

function cacheDir(): string | undefined {
  const env = process.env[CACHE_ENV];
  if (env === 'off' || env === '0' || env === 'false') return undefined;
  return env ? path.resolve(repoRoot(), env) : path.join(os.tmpdir(), 'cdk8s-zero-trust-schema-cache');
}

function parseCrdYaml(text: string, file: string): CrdDoc[] {
  const docs: CrdDoc[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`schema harness: cannot parse ${file}: ${doc.errors[0].message}`);
    const o: any = doc.toJS({ maxAliasCount: -1 });
    if (!isObject(o)) continue; // empty document
    if (o.kind !== 'CustomResourceDefinition' || !isObject(o.spec)) continue;
    docs.push({
      group: o.spec.group,
      kind: o.spec.names?.kind,
      scope: o.spec.scope,
      versions: (o.spec.versions ?? []).map((v: any) => ({
        name: v.name,
        served: v.served === true,
        deprecated: v.deprecated === true,
        schema: v.schema?.openAPIV3Schema,
      })),
    });
  }
  return docs;
}

function loadCrdFile(file: string): CrdDoc[] {
  const text = fs.readFileSync(file, 'utf8');
  const dir = cacheDir();
  if (!dir) return parseCrdYaml(text, file);
  const hash = crypto.createHash('sha256').update(CACHE_FORMAT).update('\0').update(text).digest('hex');
  const cached = path.join(dir, `${hash}.json`);
  try {
    return JSON.parse(fs.readFileSync(cached, 'utf8'));
  } catch {
    // not cached yet (or unreadable): parse and try to cache
  }
  const docs = parseCrdYaml(text, file);
  try {
    fs.mkdirSync(dir, { recursive: true });
    const tmp = `${cached}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(docs));
    fs.renameSync(tmp, cached); // atomic: parallel jest workers never see a partial file
  } catch {
    // the cache is an optimisation only
  }
  return docs;
}

// ---------------------------------------------------------------------------------------------
// Registry: schemas of one shared/ folder, compiled lazily
// ---------------------------------------------------------------------------------------------

interface Issue {
  readonly source: string;
  readonly pointer: string;
  readonly message: string;
}

interface Target {
  readonly source: string;
  readonly validate: ValidateFunction;
  /** Prefix for instance paths (the object validated is a part of the manifest). */
  readonly prefix: string;
  readonly select: (obj: any) => unknown;
}

/** A CRD version whose `x-kubernetes-validations` rules an object must satisfy. */
interface CelTarget {
  readonly source: string;
  readonly schema: any;
}

class Registry {
  private readonly ajv = newAjv();
  private readonly core = new Map<string, Map<string, string>>(); // k8s version -> gvk -> definition
  private crdIndex?: Map<string, CrdEntry>; // `group/kind` -> CRD
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(readonly sharedDir: string) {
    if (!fs.existsSync(sharedDir)) throw missingPathError(sharedDir, 'shared/ folder', sharedDir);
    for (const v of K8S_VERSIONS) {
      const file = this.k8sFile(v);
      if (!fs.existsSync(file)) throw missingPathError(file, `Kubernetes ${v} schema`, sharedDir);
    }
    const crds = path.join(sharedDir, 'crds');
    if (!fs.existsSync(crds)) throw missingPathError(crds, 'CRD folder', sharedDir);
  }

  private k8sFile(version: string): string {
    return path.join(this.sharedDir, 'k8s-schemas', version, '_definitions.json');
  }

  private k8sId(version: string): string {
    return `https://k8s-schemas.invalid/${version}/_definitions.json`;
  }

  /** gvk (`group/version/kind`) -> definition name, loading and registering the k8s schema once. */
  coreIndex(version: string): Map<string, string> {
    let index = this.core.get(version);
    if (index) return index;
    const doc = JSON.parse(fs.readFileSync(this.k8sFile(version), 'utf8')); // our own copy
    index = new Map();
    addCoreEnums(doc.definitions);
    for (const [name, def] of Object.entries<any>(doc.definitions)) {
      strictifyCore(def);
      for (const gvk of def['x-kubernetes-group-version-kind'] ?? []) {
        index.set(`${gvk.group}/${gvk.version}/${gvk.kind}`, name);
      }
    }
    this.ajv.addSchema({ definitions: doc.definitions }, this.k8sId(version));
    this.core.set(version, index);
    return index;
  }

  crds(): Map<string, CrdEntry> {
    if (this.crdIndex) return this.crdIndex;
    const root = path.join(this.sharedDir, 'crds');
    const files = listYaml(root);
    if (files.length === 0) throw missingPathError(path.join(root, '**', '*.yaml'), 'CRD files', this.sharedDir);
    const index = new Map<string, CrdEntry>();
    for (const file of files) {
      const source = path.relative(root, file).split(path.sep).join('/');
      for (const doc of loadCrdFile(file)) {
        const key = `${doc.group}/${doc.kind}`;
        const prev = index.get(key);
        if (prev) throw new Error(`schema harness: ${key} is defined twice: crds/${prev.source} and crds/${source}`);
        index.set(key, { ...doc, source });
      }
    }
    this.crdIndex = index;
    return index;
  }

  private compiled(key: string, make: () => any): ValidateFunction {
    let fn = this.validators.get(key);
    if (!fn) {
      fn = this.ajv.compile(make());
      this.validators.set(key, fn);
    }
    return fn;
  }

  coreValidator(version: string, definition: string): ValidateFunction {
    this.coreIndex(version);
    return this.compiled(`k8s|${version}|${definition}`, () => ({ $ref: `${this.k8sId(version)}#/definitions/${definition}` }));
  }

  crdValidator(crd: CrdEntry, version: CrdVersion): ValidateFunction {
    return this.compiled(`crd|${crd.group}|${crd.kind}|${version.name}`, () => {
      const schema = structuredClone(version.schema);
      strictifyCrd(schema, true);
      return schema;
    });
  }

  /** Which schemas an object must satisfy, or the issues that say why there is none. */
  targets(group: string, version: string, kind: string, apiVersion: string): { targets: Target[]; issues: Issue[]; scope?: string; cel?: CelTarget } {
    const gvk = `${group}/${version}/${kind}`;
    const whole = (o: any) => o;
    const found = K8S_VERSIONS.map(v => ({ v, def: this.coreIndex(v).get(gvk) }));
    if (found.some(f => f.def)) {
      const targets: Target[] = [];
      const issues: Issue[] = [];
      const have = found.filter(f => f.def).map(f => `k8s ${f.v}`).join(', ');
      for (const { v, def } of found) {
        if (def) targets.push({ source: `k8s ${v}`, validate: this.coreValidator(v, def), prefix: '', select: whole });
        else issues.push({ source: `k8s ${v}`, pointer: '/', message: `no schema for ${apiVersion} ${kind} in k8s ${v} (only in ${have}); it must work on every targeted Kubernetes version` });
      }
      return { targets, issues, scope: CLUSTER_SCOPED_CORE.has(`${group}/${kind}`) ? 'Cluster' : 'Namespaced' };
    }
    const crd = this.crds().get(`${group}/${kind}`);
    if (!crd) {
      return { targets: [], issues: [{ source: 'harness', pointer: '/', message: `no schema for ${apiVersion} ${kind}${this.hint(group, kind)}` }] };
    }
    const source = `crd ${crd.source} ${apiVersion} ${kind}`;
    const served = crd.versions.filter(v => v.served).map(v => `${group}/${v.name}`).join(', ') || 'none';
    const ver = crd.versions.find(v => v.name === version);
    if (!ver || !ver.served) {
      const why = ver ? 'is not served' : 'is not defined';
      return { targets: [], issues: [{ source, pointer: '/apiVersion', message: `version ${version} of ${group} ${kind} ${why} by crds/${crd.source} (served: ${served})` }] };
    }
    if (!isObject(ver.schema)) {
      return { targets: [], issues: [{ source, pointer: '/', message: `crds/${crd.source} gives no openAPIV3Schema for ${apiVersion} ${kind}` }] };
    }
    const targets: Target[] = [{ source, validate: this.crdValidator(crd, ver), prefix: '', select: whole }];
    for (const v of K8S_VERSIONS) {
      targets.push({ source: `k8s ${v} ObjectMeta`, validate: this.coreValidator(v, OBJECT_META), prefix: '/metadata', select: (o: any) => o.metadata ?? {} });
    }
    // CEL rules read the original (not strictified) schema: cel.ts never modifies it.
    return { targets, issues: [], scope: crd.scope, cel: { source, schema: ver.schema } };
  }

  /** Other versions of the same group and kind, to make `no schema` errors actionable. */
  private hint(group: string, kind: string): string {
    const known = new Map<string, string[]>();
    for (const v of K8S_VERSIONS) {
      for (const gvk of this.coreIndex(v).keys()) {
        const [g, ver, k] = gvk.split('/');
        if (g === group && k === kind) {
          const key = `${g ? `${g}/` : ''}${ver}`;
          known.set(key, [...(known.get(key) ?? []), v]);
        }
      }
    }
    const list = [...known].map(([apiVersion, vs]) => `${apiVersion} (k8s ${vs.join(', ')})`);
    return list.length > 0 ? `; known versions of this kind: ${list.join(', ')}` : ' (not a core kind of k8s '
      + `${K8S_VERSIONS.join(' or ')}, and no CRD under ${path.join(this.sharedDir, 'crds')} defines it)`;
  }

  knownKinds(): string[] {
    const core = new Map<string, string[]>();
    for (const v of K8S_VERSIONS) {
      for (const gvk of this.coreIndex(v).keys()) {
        const [g, ver, k] = gvk.split('/');
        const key = `${g ? `${g}/` : ''}${ver} ${k}`;
        core.set(key, [...(core.get(key) ?? []), v]);
      }
    }
    const out = [...core].map(([key, vs]) => `${key} [k8s ${vs.join(', ')}]`);
    for (const crd of this.crds().values()) {
      for (const v of crd.versions) {
        out.push(`${crd.group}/${v.name} ${crd.kind} [crd ${crd.source}${v.served ? '' : ', not served'}]`);
      }
    }
    return out.sort();
  }

  /**
   * Gatekeeper constraints (`constraints.gatekeeper.sh`): Gatekeeper generates their CRDs from
   * ConstraintTemplates at run time, so their schema is built from the template in the same set
   * of objects (`spec.parameters` = the template's openAPIV3Schema) plus Gatekeeper's constraint
   * fields. An unknown kind or version is an issue, never skipped.
   */
  constraintTargets(version: string, kind: string, apiVersion: string,
    templates: Map<string, any>): { targets: Target[]; issues: Issue[]; scope?: string } {
    const source = `gatekeeper constraint ${apiVersion} ${kind}`;
    if (!GATEKEEPER_CONSTRAINT_VERSIONS.includes(version)) {
      return { targets: [], issues: [{ source, pointer: '/apiVersion', message: `constraints.gatekeeper.sh serves ${GATEKEEPER_CONSTRAINT_VERSIONS.join(', ')}, not ${version}` }] };
    }
    if (!templates.has(kind)) {
      const known = [...templates.keys()].sort().join(', ') || 'none';
      return {
        targets: [],
        issues: [{ source, pointer: '/kind', message: `no ConstraintTemplate defines kind ${kind} in the same set of objects (templates: ${known}); Gatekeeper creates a constraint kind from its template only` }],
      };
    }
    const parameters = templates.get(kind);
    const validate = this.compiled(`constraint|${kind}|${JSON.stringify(parameters ?? null)}`, () => {
      const params = isObject(parameters) ? structuredClone(parameters) : { 'type': 'object', 'x-kubernetes-preserve-unknown-fields': true };
      strictifyCrd(params, false);
      const schema = structuredClone(GATEKEEPER_CONSTRAINT_SCHEMA);
      schema.properties.spec.properties.parameters = params;
      return schema;
    });
    const targets: Target[] = [{ source, validate, prefix: '', select: (o: any) => o }];
    for (const v of K8S_VERSIONS) {
      targets.push({ source: `k8s ${v} ObjectMeta`, validate: this.coreValidator(v, OBJECT_META), prefix: '/metadata', select: (o: any) => o.metadata ?? {} });
    }
    return { targets, issues: [], scope: 'Cluster' };
  }
}

const GATEKEEPER_CONSTRAINT_VERSIONS = ['v1', 'v1beta1', 'v1alpha1'];
const GATEKEEPER_NAMESPACE_GLOB = { type: 'string', pattern: '^\\*?[-:a-z0-9]*\\*?$' };
const LABEL_SELECTOR = {
  type: 'object',
  additionalProperties: false,
  properties: {
    matchLabels: { type: 'object', additionalProperties: { type: 'string' } },
    matchExpressions: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['key', 'operator'],
        properties: {
          key: { type: 'string' },
          operator: { type: 'string', enum: ['In', 'NotIn', 'Exists', 'DoesNotExist'] },
          values: { type: 'array', items: { type: 'string' } },
        },
      },
    },
  },
};

/**
 * The constraint fields Gatekeeper 3.23 generates for every constraint kind (website docs
 * "howto", "enforcement-points"); `enforcementAction` values are those its webhook accepts.
 */
const GATEKEEPER_CONSTRAINT_SCHEMA: any = {
  type: 'object',
  additionalProperties: false,
  properties: {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    metadata: { type: 'object' },
    spec: {
      type: 'object',
      additionalProperties: false,
      properties: {
        enforcementAction: { type: 'string', enum: ['deny', 'dryrun', 'warn', 'scoped'] },
        scopedEnforcementActions: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            properties: {
              action: { type: 'string', enum: ['deny', 'dryrun', 'warn'] },
              enforcementPoints: { type: 'array', items: { type: 'object', additionalProperties: false, properties: { name: { type: 'string' } } } },
            },
          },
        },
        match: {
          type: 'object',
          additionalProperties: false,
          properties: {
            kinds: {
              type: 'array',
              items: {
                type: 'object',
                additionalProperties: false,
                properties: { apiGroups: { type: 'array', items: { type: 'string' } }, kinds: { type: 'array', items: { type: 'string' } } },
              },
            },
            scope: { type: 'string', enum: ['*', 'Cluster', 'Namespaced'] },
            namespaces: { type: 'array', items: GATEKEEPER_NAMESPACE_GLOB },
            excludedNamespaces: { type: 'array', items: GATEKEEPER_NAMESPACE_GLOB },
            labelSelector: LABEL_SELECTOR,
            namespaceSelector: LABEL_SELECTOR,
            name: { type: 'string' },
            source: { type: 'string', enum: ['All', 'Generated', 'Original'] },
          },
        },
        parameters: { type: 'object' },
      },
    },
  },
};

/**
 * `kind -> parameters openAPIV3Schema` of the ConstraintTemplates in a set of objects: pass it to
 * `validateManifest(obj, templates)` to validate constraints spread over several files.
 */
export function constraintTemplates(objs: any[]): Map<string, any> {
  const templates = new Map<string, any>();
  for (const o of objs) {
    if (isObject(o) && o.kind === 'ConstraintTemplate' && typeof o.apiVersion === 'string' && o.apiVersion.startsWith('templates.gatekeeper.sh/')) {
      const kind = o.spec?.crd?.spec?.names?.kind;
      if (typeof kind === 'string') templates.set(kind, o.spec?.crd?.spec?.validation?.openAPIV3Schema);
    }
  }
  return templates;
}

const registries = new Map<string, Registry>();

function registry(): Registry {
  const dir = resolveSharedDir();
  let reg = registries.get(dir);
  if (!reg) {
    reg = new Registry(dir);
    registries.set(dir, reg);
  }
  return reg;
}

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

function show(value: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(value) ?? String(value);
  } catch {
    s = String(value);
  }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function describe(e: ErrorObject): string {
  const p: any = e.params;
  switch (e.keyword) {
    case 'additionalProperties':
      return `${e.message}: unknown field "${p.additionalProperty}"`;
    case 'enum':
      return `${e.message} ${show(p.allowedValues)}, got ${show(e.data)}`;
    case 'type':
    case 'pattern':
    case 'format':
    case 'minimum':
    case 'maximum':
    case 'minLength':
    case 'maxLength':
      return `${e.message}, got ${show(e.data)}`;
    default:
      return e.message ?? e.keyword;
  }
}

function label(obj: any): string {
  const kind = typeof obj?.kind === 'string' && obj.kind ? obj.kind : '<no kind>';
  const md = isObject(obj?.metadata) ? obj.metadata : {};
  const name = md.name ?? (md.generateName ? `${md.generateName}*` : '<no name>');
  return md.namespace ? `${kind}/${md.namespace}/${name}` : `${kind}/${name}`;
}

/**
 * Validates one manifest object. Returns the errors (empty if valid), each naming the object
 * (`kind/namespace/name`, or `kind/name` without a namespace), the schema source(s), the JSON
 * pointer and the message. Throws only when the shared/ schemas cannot be found.
 */
export function validateManifest(obj: any, templates: Map<string, any> = new Map()): string[] {
  const reg = registry();
  const who = label(obj);
  if (!isObject(obj)) return [`${who}: [harness] /: a manifest must be an object, got ${show(obj)}`];
  const { apiVersion, kind } = obj;
  if (typeof apiVersion !== 'string' || !apiVersion || typeof kind !== 'string' || !kind) {
    return [`${who}: [harness] /: apiVersion and kind must be non-empty strings, got apiVersion=${show(apiVersion)} kind=${show(kind)}`];
  }
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);

  const issues: Issue[] = [];
  const md = obj.metadata;
  if (!isObject(md)) {
    issues.push({ source: 'harness', pointer: '/metadata', message: 'metadata must be an object' });
  } else if (!md.name && !md.generateName) {
    issues.push({ source: 'harness', pointer: '/metadata', message: 'metadata.name (or generateName) is required' });
  }

  const found: { targets: Target[]; issues: Issue[]; scope?: string; cel?: CelTarget } = group === 'constraints.gatekeeper.sh'
    ? reg.constraintTargets(version, kind, apiVersion, templates)
    : reg.targets(group, version, kind, apiVersion);
  issues.push(...found.issues);
  if (found.scope === 'Cluster' && isObject(md) && md.namespace !== undefined) {
    issues.push({
      source: 'harness',
      pointer: '/metadata/namespace',
      message: `must not be set: ${kind} is cluster-scoped, got ${show(md.namespace)} (the API server silently drops it; `
        + 'create cluster-scoped objects in a chart without a namespace)',
    });
  }
  for (const t of found.targets) {
    if (t.validate(t.select(obj))) continue;
    for (const e of t.validate.errors ?? []) {
      issues.push({ source: t.source, pointer: t.prefix + e.instancePath || '/', message: describe(e) });
    }
  }
  if (found.cel) {
    for (const i of celIssues(obj, found.cel.schema)) issues.push({ source: found.cel.source, ...i });
  }

  // The same error from several sources (typically both k8s versions) is reported once.
  const merged = new Map<string, { sources: string[]; issue: Issue }>();
  for (const i of issues) {
    const key = `${i.pointer}\0${i.message}`;
    const m = merged.get(key);
    if (m) {
      if (!m.sources.includes(i.source)) m.sources.push(i.source);
    } else {
      merged.set(key, { sources: [i.source], issue: i });
    }
  }
  return [...merged.values()].map(({ sources, issue }) => `${who}: [${sources.join(' + ')}] ${issue.pointer}: ${issue.message}`);
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
  return registry().knownKinds();
}
