import type { ErrorObject, ValidateFunction } from 'ajv';
import { newAjv } from './_ajv';
import { GATEKEEPER_CONSTRAINT_SCHEMA, GATEKEEPER_CONSTRAINT_VERSIONS } from './_gatekeeper';
import { CrdEntry, CrdVersion, SchemaSource } from './_schema-source';
import { addCoreEnums, CLUSTER_SCOPED_CORE, isObject, strictifyCore, strictifyCrd } from './_strict';

const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';

/** Evaluates a CRD schema's CEL rules on an object (`_cel.ts`). @internal */
export type CelEvaluator = (obj: unknown, schema: any) => Array<{ pointer: string; message: string }>;

/** @internal */
export interface Issue {
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

/** The schemas of one source, compiled lazily. @internal */
export class Registry {
  private readonly ajv = newAjv();
  private readonly core = new Map<string, Map<string, string>>(); // k8s version -> gvk -> definition
  private crdIndex?: Map<string, CrdEntry>; // `group/kind` -> CRD
  private readonly validators = new Map<string, ValidateFunction>();

  public constructor(private readonly source: SchemaSource, public readonly versions: readonly string[]) {
    if (versions.length === 0) throw new Error('schema validator: kubernetesVersions must not be empty');
  }

  private k8sId(version: string): string {
    return `https://k8s-schemas.invalid/${version}/_definitions.json`;
  }

  /** gvk (`group/version/kind`) -> definition name, loading and registering the k8s schema once. */
  coreIndex(version: string): Map<string, string> {
    let index = this.core.get(version);
    if (index) return index;
    const definitions = this.source.k8sDefinitions(version); // our own copy
    index = new Map();
    addCoreEnums(definitions);
    for (const [name, def] of Object.entries<any>(definitions)) {
      strictifyCore(def);
      for (const gvk of def['x-kubernetes-group-version-kind'] ?? []) {
        index.set(`${gvk.group}/${gvk.version}/${gvk.kind}`, name);
      }
    }
    this.ajv.addSchema({ definitions }, this.k8sId(version));
    this.core.set(version, index);
    return index;
  }

  crds(): Map<string, CrdEntry> {
    if (this.crdIndex) return this.crdIndex;
    const index = new Map<string, CrdEntry>();
    for (const crd of this.source.crds()) {
      const key = `${crd.group}/${crd.kind}`;
      const prev = index.get(key);
      if (prev) throw new Error(`schema validator: ${key} is defined twice: crds/${prev.source} and crds/${crd.source}`);
      index.set(key, crd);
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
    const found = this.versions.map(v => ({ v, def: this.coreIndex(v).get(gvk) }));
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
      return { targets: [], issues: [{ source: 'validator', pointer: '/', message: `no schema for ${apiVersion} ${kind}${this.hint(group, kind)}` }] };
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
    for (const v of this.versions) {
      targets.push({ source: `k8s ${v} ObjectMeta`, validate: this.coreValidator(v, OBJECT_META), prefix: '/metadata', select: (o: any) => o.metadata ?? {} });
    }
    // CEL rules read the original (not strictified) schema: cel.ts never modifies it.
    return { targets, issues: [], scope: crd.scope, cel: { source, schema: ver.schema } };
  }

  /** Other versions of the same group and kind, to make `no schema` errors actionable. */
  private hint(group: string, kind: string): string {
    const known = new Map<string, string[]>();
    for (const v of this.versions) {
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
      + `${this.versions.join(' or ')}, and no CRD of ${this.source.description} defines it)`;
  }

  knownKinds(): string[] {
    const core = new Map<string, string[]>();
    for (const v of this.versions) {
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
  public constraintTargets(version: string, kind: string, apiVersion: string,
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
    for (const v of this.versions) {
      targets.push({ source: `k8s ${v} ObjectMeta`, validate: this.coreValidator(v, OBJECT_META), prefix: '/metadata', select: (o: any) => o.metadata ?? {} });
    }
    return { targets, issues: [], scope: 'Cluster' };
  }
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

/** `kind/namespace/name` of an object. @internal */
export function label(obj: any): string {
  const kind = typeof obj?.kind === 'string' && obj.kind ? obj.kind : '<no kind>';
  const md = isObject(obj?.metadata) ? obj.metadata : {};
  const name = md.name ?? (md.generateName ? `${md.generateName}*` : '<no name>');
  return md.namespace ? `${kind}/${md.namespace}/${name}` : `${kind}/${name}`;
}

/**
 * Validates one manifest object with `reg`; CRD CEL rules with `cel` when given. Returns the errors (empty if valid), each naming the object
 * (`kind/namespace/name`, or `kind/name` without a namespace), the schema source(s), the JSON
 * pointer and the message. Throws only when the shared/ schemas cannot be found.
 */
/** @internal */
export function validateWith(reg: Registry, obj: any, templates: Map<string, any>, cel: CelEvaluator | undefined): string[] {
  const who = label(obj);
  if (!isObject(obj)) return [`${who}: [validator] /: a manifest must be an object, got ${show(obj)}`];
  const { apiVersion, kind } = obj;
  if (typeof apiVersion !== 'string' || !apiVersion || typeof kind !== 'string' || !kind) {
    return [`${who}: [validator] /: apiVersion and kind must be non-empty strings, got apiVersion=${show(apiVersion)} kind=${show(kind)}`];
  }
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);

  const issues: Issue[] = [];
  const md = obj.metadata;
  if (!isObject(md)) {
    issues.push({ source: 'validator', pointer: '/metadata', message: 'metadata must be an object' });
  } else if (!md.name && !md.generateName) {
    issues.push({ source: 'validator', pointer: '/metadata', message: 'metadata.name (or generateName) is required' });
  }

  const found: { targets: Target[]; issues: Issue[]; scope?: string; cel?: CelTarget } = group === 'constraints.gatekeeper.sh'
    ? reg.constraintTargets(version, kind, apiVersion, templates)
    : reg.targets(group, version, kind, apiVersion);
  issues.push(...found.issues);
  if (found.scope === 'Cluster' && isObject(md) && md.namespace !== undefined) {
    issues.push({
      source: 'validator',
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
  if (found.cel && cel) {
    for (const i of cel(obj, found.cel.schema)) issues.push({ source: found.cel.source, ...i });
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

