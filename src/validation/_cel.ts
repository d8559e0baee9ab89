/**
 * CEL validation rules (`x-kubernetes-validations`) of CRD structural schemas, evaluated the way
 * the API server evaluates them when an object is created.
 *
 * - The object is walked alongside the schema (`properties`, `items`, `additionalProperties`);
 *   at every node that carries rules and where the object has a (non-null) value, each rule is
 *   evaluated with `self` bound to that value. Rules in parts of the schema the object does not
 *   reach are never compiled.
 * - Values are typed from the schema like Kubernetes does (`UnstructuredToVal`): `integer` -> int,
 *   `number` -> double, `x-kubernetes-int-or-string` -> int or string, strings with `format`
 *   `byte`/`date`/`date-time`/`duration` -> bytes/timestamp/duration, objects with `properties` ->
 *   objects whose field names are escaped (`namespace` -> `__namespace__`, `a-b` -> `a__dash__b`,
 *   ...) and that expose only the declared fields (unknown fields are pruned), objects with
 *   `additionalProperties` -> maps, the resource root (and `x-kubernetes-embedded-resource`) ->
 *   `apiVersion`, `kind`, `metadata.name`, `metadata.generateName`.
 * - Schema `default`s are applied first (the API server defaults before it validates), and null
 *   in a field that is not nullable counts as absent (the API server prunes it).
 * - Transition rules (those that mention `oldSelf`) are skipped: a created object has no old self.
 * - A rule that evaluates to false is an issue (its `messageExpression`, else `message`, else the
 *   rule text). A rule that cannot be compiled (syntax, or a function the harness does not provide)
 *   or evaluated (e.g. `no such key`), or that does not return a bool, is an issue too. Rules above a
 *   value that does not match its schema type are not evaluated (as the API server does not); an
 *   issue says so, so no rule is ever skipped silently.
 *
 * Engine: `@bufbuild/cel` (cel-es) with its `strings` extension (Kubernetes enables the cel-go
 * strings extension) and its RE2 engine for `matches` (Kubernetes regexes are RE2). Added here:
 * the Kubernetes URL library (`url`, `isURL`, `getScheme`, `getHost`, `getHostname`, `getPort`,
 * `getEscapedPath`, `getQuery`). Other Kubernetes libraries (lists, regex `find`, quantity, IP/CIDR,
 * format, semver, sets) are not provided: a reached rule that uses them fails to compile, loudly.
 */
// Optional at run time: `SchemaValidator` loads this module only when `@bufbuild/cel` and
// `@bufbuild/protobuf` can be required (devDependencies here; a consumer installs them to have CRD
// CEL rules evaluated), and reports the rules as not evaluated otherwise. Never bundled: they
// would triple the package's size.
/* eslint-disable import/no-extraneous-dependencies */
import { CelScalar, celEnv, celFunc, celMap, celMethod, isCelError, isCelMap, listType, mapType, parse, plan } from '@bufbuild/cel';
import type { CelEnv, CelFunc, CelMap } from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
import { create } from '@bufbuild/protobuf';
import { DurationSchema, timestampFromDate } from '@bufbuild/protobuf/wkt';
/* eslint-enable import/no-extraneous-dependencies */

/** One problem found by the CEL rules, at a JSON pointer of the validated object. */
export interface CelIssue {
  readonly pointer: string;
  readonly message: string;
}

interface Rule {
  readonly rule: string;
  readonly message?: string;
  readonly messageExpression?: string;
  readonly fieldPath?: string;
  readonly reason?: string;
}

function isObject(x: unknown): x is Record<string, any> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

// ---------------------------------------------------------------------------------------------
// Kubernetes URL library (k8s.io/apiserver/pkg/cel/library/urls.go)
// ---------------------------------------------------------------------------------------------

/** A URL value: a map with a key no CEL field selection can reach. */
const URL_KEY = '@k8s.url';
const URL_TYPE = mapType(CelScalar.STRING, CelScalar.DYN);

interface UrlParts { scheme: string; host: string; path: string; query: string }

/** Like Go's `url.ParseRequestURI`: an absolute URI or an absolute path, no fragment. */
function parseRequestUri(s: string): UrlParts | undefined {
  if (/[\s\x00-\x1f\x7f]/.test(s) || s.includes('#')) return undefined;
  const m = /^(?:([A-Za-z][A-Za-z0-9+.-]*):)?(?:\/\/([^/?]*))?([^?]*)(?:\?(.*))?$/.exec(s);
  if (!m) return undefined;
  const [, scheme = '', host, path = '', query = ''] = m;
  if (!scheme && !path.startsWith('/')) return undefined;
  if (scheme && host === undefined && !path.startsWith('/')) return undefined; // opaque: "mailto:x"
  if (host !== undefined && !/^(?:[^@/]*@)?(?:\[[0-9A-Fa-f:.]+\]|[^:[\]]*)(?::\d*)?$/.test(host)) return undefined;
  return { scheme, host: (host ?? '').replace(/^[^@]*@/, ''), path, query };
}

function urlValue(s: string): CelMap {
  const u = parseRequestUri(s);
  if (!u) throw new Error(`URL must be an absolute URI or an absolute path, got ${JSON.stringify(s)}`);
  return celMap(new Map<string, string>([[URL_KEY, s], ['scheme', u.scheme], ['host', u.host], ['path', u.path], ['query', u.query]]));
}

function urlPart(target: CelMap, part: string): string {
  if (!target.has(URL_KEY)) throw new Error('no such overload: the receiver is not a URL');
  return target.get(part) as string;
}

function hostname(host: string): string {
  const v6 = /^\[(.*)\](?::\d*)?$/.exec(host);
  return v6 ? v6[1] : host.replace(/:\d*$/, '');
}

const K8S_URLS: CelFunc[] = [
  celFunc('url', [CelScalar.STRING], URL_TYPE, urlValue),
  celFunc('isURL', [CelScalar.STRING], CelScalar.BOOL, (s: string) => parseRequestUri(s) !== undefined),
  celMethod('getScheme', URL_TYPE, [], CelScalar.STRING, function (this: CelMap) { return urlPart(this, 'scheme'); }),
  celMethod('getHost', URL_TYPE, [], CelScalar.STRING, function (this: CelMap) { return urlPart(this, 'host'); }),
  celMethod('getHostname', URL_TYPE, [], CelScalar.STRING, function (this: CelMap) { return hostname(urlPart(this, 'host')); }),
  celMethod('getPort', URL_TYPE, [], CelScalar.STRING, function (this: CelMap) {
    const host = urlPart(this, 'host');
    const m = /:(\d*)$/.exec(host.replace(/^\[.*\]/, ''));
    return m ? m[1] : '';
  }),
  celMethod('getEscapedPath', URL_TYPE, [], CelScalar.STRING, function (this: CelMap) { return urlPart(this, 'path'); }),
  celMethod('getQuery', URL_TYPE, [], mapType(CelScalar.STRING, listType(CelScalar.STRING)), function (this: CelMap) {
    const out = new Map<string, string[]>();
    for (const [k, v] of new URLSearchParams(urlPart(this, 'query'))) out.set(k, [...(out.get(k) ?? []), v]);
    return out;
  }),
];

// ---------------------------------------------------------------------------------------------
// Environment and compiled rules
// ---------------------------------------------------------------------------------------------

let cachedEnv: CelEnv | undefined;

/** The environment every rule is compiled in: CEL standard library, strings extension, Kubernetes URLs. */
function env(): CelEnv {
  cachedEnv ??= celEnv({ funcs: [...strings, ...K8S_URLS] });
  return cachedEnv;
}

type Program = (self: unknown) => unknown;
type Compiled = { readonly program: Program } | { readonly error: string };
const compiledRules = new Map<string, Compiled>();

/** Every function a parsed expression calls, except operators (`_&&_`, `@in`, ...). */
function calledFunctions(node: unknown, out: Set<string>): Set<string> {
  if (Array.isArray(node)) {
    for (const n of node) calledFunctions(n, out);
  } else if (isObject(node)) {
    if (node.$typeName === 'cel.expr.Expr.Call' && /^[A-Za-z_][\w.]*$/.test(node.function)) out.add(node.function);
    for (const [k, v] of Object.entries(node)) if (k !== '$typeName' && typeof v === 'object') calledFunctions(v, out);
  }
  return out;
}

/** Compiles a rule once (per jest test file); a rule that cannot be compiled is remembered as such. */
function compile(expression: string): Compiled {
  let c = compiledRules.get(expression);
  if (c) return c;
  try {
    const parsed = parse(expression);
    // cel-es resolves functions only when a call is reached; check every call up front so that
    // a rule is never half-evaluated because an untaken branch needs a missing function.
    const missing = [...calledFunctions(parsed.expr, new Set())].filter(f => !env().funcs.find(f));
    if (missing.length > 0) {
      c = { error: `unknown function(s) ${missing.map(f => `\`${f}\``).join(', ')} (a Kubernetes CEL library the harness does not provide: add it in test/support/cel.ts)` };
    } else {
      const run = plan(env(), parsed);
      c = { program: (self: unknown) => run({ self } as any) };
    }
  } catch (e) {
    c = { error: e instanceof Error ? e.message : String(e) };
  }
  compiledRules.set(expression, c);
  return c;
}

// ---------------------------------------------------------------------------------------------
// Schema-typed CEL values
// ---------------------------------------------------------------------------------------------

/** `type` of a schema node; int-or-string and "no type" are reported separately. */
function schemaType(schema: any): string | undefined {
  return typeof schema?.type === 'string' ? schema.type : undefined;
}

const CEL_RESERVED = new Set([
  'true', 'false', 'null', 'in', 'as', 'break', 'const', 'continue', 'else', 'for', 'function', 'if',
  'import', 'let', 'loop', 'package', 'namespace', 'return', 'var', 'void', 'while',
]);

const CEL_ESCAPES: Record<string, string> = { '__': '__underscores__', '.': '__dot__', '-': '__dash__', '/': '__slash__' };

/** Kubernetes' escaping of property names into CEL identifiers (k8s.io/apiserver/pkg/cel/escaping.go). */
export function escapeCelField(name: string): string | undefined {
  if (name.length === 0 || /^[0-9]/.test(name)) return undefined;
  if (CEL_RESERVED.has(name)) return `__${name}__`;
  if (/[^a-zA-Z0-9_.\-/]/.test(name)) return undefined;
  return name.replace(/__|[.\-/]/g, s => CEL_ESCAPES[s]);
}

/**
 * The value of property `key` of `obj` as the API server sees it: null in a non-nullable field is
 * pruned, and a missing field takes the schema default.
 */
function fieldValue(obj: Record<string, any>, key: string, schema: any): unknown {
  let v = obj[key];
  if (v === null && schema?.nullable !== true) v = undefined;
  if (v === undefined && schema?.default !== undefined) v = structuredClone(schema.default);
  return v;
}

/** Objects typed like the resource root: `apiVersion`, `kind` and `metadata.name/generateName` are visible. */
const TYPE_AND_OBJECT_META: Record<string, any> = {
  apiVersion: { type: 'string' },
  kind: { type: 'string' },
  metadata: { type: 'object', properties: { name: { type: 'string' }, generateName: { type: 'string' } } },
};

function properties(schema: any, embedded: boolean): Record<string, any> | undefined {
  if (!embedded) return isObject(schema.properties) ? schema.properties : undefined;
  return { ...(isObject(schema.properties) ? schema.properties : {}), ...TYPE_AND_OBJECT_META };
}

/** A value does not have its schema type: CEL cannot see it (and Ajv reports it). */
class Mismatch extends Error {
  constructor(readonly pointer: string, what: string) {
    super(what);
  }
}

const GO_DURATION_UNITS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n,
  μs: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
  d: 86_400_000_000_000n,
  w: 604_800_000_000_000n,
};

function parseDuration(s: string, pointer: string): unknown {
  const m = /^([-+]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h|d|w))+$/.exec(s);
  if (!m && s !== '0') throw new Mismatch(pointer, `invalid duration ${JSON.stringify(s)}`);
  let nanos = 0n;
  for (const [, num, unit] of s.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h|d|w)/g)) {
    const [int, frac = ''] = num.split('.');
    const scale = GO_DURATION_UNITS[unit];
    nanos += BigInt(int || '0') * scale + (frac ? (BigInt(frac) * scale) / 10n ** BigInt(frac.length) : 0n);
  }
  if (m?.[1] === '-') nanos = -nanos;
  return create(DurationSchema, { seconds: nanos / 1_000_000_000n, nanos: Number(nanos % 1_000_000_000n) });
}

/** A map whose `has(key)` is true for a key present with a null value (cel-es tests `!= undefined`). */
function presenceMap(m: Map<string, unknown>): CelMap {
  const cm = celMap(m as Map<string, any>);
  const has = cm.has.bind(cm);
  Object.defineProperty(cm, 'has', { value: (k: any) => (typeof k === 'string' ? m.has(k) : has(k)) });
  return cm;
}

/**
 * The CEL value of `value` under `schema` (see the file comment). Throws `Mismatch` when `value`
 * (or something inside it) does not have its schema type.
 */
export function toCel(value: unknown, schema: any, pointer: string, embedded = false): unknown {
  if (value === null) {
    if (schema?.nullable === true) return null;
    throw new Mismatch(pointer, 'null in a field that is not nullable');
  }
  if (!isObject(schema)) return plainToCel(value);
  if (schema['x-kubernetes-int-or-string'] === true) {
    if (typeof value === 'string') return value;
    if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
    throw new Mismatch(pointer, 'expected an integer or a string');
  }
  const type = schemaType(schema);
  switch (type) {
    case 'object': {
      if (!isObject(value)) throw new Mismatch(pointer, 'expected an object');
      const isEmbedded = embedded || schema['x-kubernetes-embedded-resource'] === true;
      const props = properties(schema, isEmbedded);
      if (props) {
        const out = new Map<string, unknown>();
        for (const [key, propSchema] of Object.entries(props)) {
          const name = escapeCelField(key);
          const v = fieldValue(value, key, propSchema);
          if (name !== undefined && v !== undefined) out.set(name, toCel(v, propSchema, `${pointer}/${escapePointer(key)}`));
        }
        return presenceMap(out);
      }
      if (isObject(schema.additionalProperties)) {
        const out = new Map<string, unknown>();
        for (const [key, v] of Object.entries(value)) {
          const cv = v === null && schema.additionalProperties.nullable !== true ? undefined : v;
          if (cv !== undefined) out.set(key, toCel(cv, schema.additionalProperties, `${pointer}/${escapePointer(key)}`));
        }
        return presenceMap(out);
      }
      // preserve-unknown-fields (or no structure): Kubernetes gives no typed access; a plain map is
      // at least as permissive.
      return schema['x-kubernetes-preserve-unknown-fields'] === true || schema.additionalProperties === true
        ? plainToCel(value) : presenceMap(new Map());
    }
    case 'array': {
      if (!Array.isArray(value)) throw new Mismatch(pointer, 'expected an array');
      return value.map((v, i) => toCel(v, schema.items, `${pointer}/${i}`));
    }
    case 'string': {
      if (typeof value !== 'string') throw new Mismatch(pointer, 'expected a string');
      switch (schema.format) {
        case 'byte':
          return new Uint8Array(Buffer.from(value, 'base64'));
        case 'date':
        case 'date-time': {
          const d = new Date(value);
          if (Number.isNaN(d.getTime())) throw new Mismatch(pointer, `invalid ${schema.format} ${JSON.stringify(value)}`);
          return timestampFromDate(d);
        }
        case 'duration':
          return parseDuration(value, pointer);
        default:
          return value;
      }
    }
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) throw new Mismatch(pointer, 'expected an integer');
      return BigInt(value);
    case 'number':
      if (typeof value !== 'number') throw new Mismatch(pointer, 'expected a number');
      return value;
    case 'boolean':
      if (typeof value !== 'boolean') throw new Mismatch(pointer, 'expected a boolean');
      return value;
    default:
      return plainToCel(value);
  }
}

/** Untyped JSON -> CEL (integers as int, other numbers as double). */
function plainToCel(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plainToCel);
  if (isObject(value)) return presenceMap(new Map(Object.entries(value).map(([k, v]) => [k, plainToCel(v)])));
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  return value;
}

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

// ---------------------------------------------------------------------------------------------
// Walking the object
// ---------------------------------------------------------------------------------------------

/** Whether a schema node or anything below it has rules (cached per schema node). */
const hasRulesCache = new WeakMap<object, boolean>();

function hasRules(schema: any): boolean {
  if (!isObject(schema)) return false;
  let v = hasRulesCache.get(schema);
  if (v !== undefined) return v;
  v = (Array.isArray(schema['x-kubernetes-validations']) && schema['x-kubernetes-validations'].length > 0)
    || (isObject(schema.properties) && Object.values(schema.properties).some(hasRules))
    || hasRules(schema.items)
    || hasRules(schema.additionalProperties);
  hasRulesCache.set(schema, v);
  return v;
}

function oneLine(s: string, max = 160): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 3)}...` : t;
}

function describeValue(v: unknown): string {
  if (typeof v === 'bigint') return `int ${v}`;
  if (isCelMap(v)) return 'a map';
  try {
    return `${typeof v} ${JSON.stringify(v)}`;
  } catch {
    return typeof v;
  }
}

/** `.a.b` / `.a['b']` / `.a[0]` (a rule's `fieldPath`) -> JSON pointer suffix, or undefined. */
function fieldPathPointer(fieldPath: string): string | undefined {
  const parts: string[] = [];
  const re = /\.([A-Za-z_][\w-]*)|\[(\d+)\]|\['((?:[^'\\]|\\.)*)'\]/y;
  let m: RegExpExecArray | null;
  let at = 0;
  while (at < fieldPath.length && (m = re.exec(fieldPath))) {
    parts.push(escapePointer(m[1] ?? m[2] ?? m[3].replace(/\\(.)/g, '$1')));
    at = re.lastIndex;
  }
  return at === fieldPath.length && parts.length > 0 ? `/${parts.join('/')}` : undefined;
}

function evaluateRules(rules: Rule[], self: unknown, pointer: string, issues: CelIssue[]): void {
  for (const r of rules) {
    if (typeof r?.rule !== 'string') {
      issues.push({ pointer, message: `x-kubernetes-validations entry without a rule: ${JSON.stringify(r)}` });
      continue;
    }
    if (/\boldSelf\b/.test(r.rule)) continue; // transition rule: an object being created has no oldSelf
    const shown = `(rule: ${oneLine(r.rule)})`;
    const c = compile(r.rule);
    if ('error' in c) {
      issues.push({ pointer, message: `CEL rule cannot be compiled: ${oneLine(c.error, 300)} ${shown}` });
      continue;
    }
    let result: unknown;
    try {
      result = c.program(self);
    } catch (e) {
      result = e instanceof Error ? e : new Error(String(e));
    }
    if (isCelError(result) || result instanceof Error) {
      issues.push({ pointer, message: `CEL rule cannot be evaluated: ${oneLine((result as Error).message, 300)} ${shown}` });
    } else if (typeof result !== 'boolean') {
      issues.push({ pointer, message: `CEL rule returned ${describeValue(result)}, not a bool ${shown}` });
    } else if (!result) {
      let message = r.message ? r.message : `failed rule: ${oneLine(r.rule, 1000)}`;
      if (typeof r.messageExpression === 'string') {
        const mc = compile(r.messageExpression);
        let m: unknown;
        try {
          m = 'program' in mc ? mc.program(self) : undefined;
        } catch {
          m = undefined;
        }
        if (typeof m === 'string' && m.trim() !== '') message = m;
      }
      const at = (r.fieldPath && fieldPathPointer(r.fieldPath)) || '';
      issues.push({ pointer: (pointer === '/' ? '' : pointer) + at || '/', message: `CEL rule failed: ${message}${r.message || r.messageExpression ? ` ${shown}` : ''}` });
    }
  }
}

function walk(value: unknown, schema: any, pointer: string, embedded: boolean, issues: CelIssue[], skipped: CelIssue[]): void {
  if (value === undefined || value === null || !hasRules(schema)) return;
  const rules: Rule[] = Array.isArray(schema['x-kubernetes-validations']) ? schema['x-kubernetes-validations'] : [];
  if (rules.length > 0) {
    let self: unknown;
    let ok = true;
    try {
      self = toCel(value, schema, pointer, embedded);
    } catch (e) {
      if (!(e instanceof Mismatch)) throw e;
      ok = false;
      const n = rules.filter(r => !/\boldSelf\b/.test(r?.rule ?? '')).length;
      if (n > 0) {
        skipped.push({
          pointer: pointer || '/',
          message: `${n} CEL rule(s) not evaluated: ${e.pointer || '/'} does not match its schema (${e.message}); fix the schema errors first`,
        });
      }
    }
    if (ok) evaluateRules(rules, self, pointer || '/', issues);
  }
  const type = schemaType(schema);
  if (type === 'object' && isObject(value)) {
    if (isObject(schema.properties)) {
      for (const [key, propSchema] of Object.entries<any>(schema.properties)) {
        if (embedded && key === 'metadata') continue;
        walk(fieldValue(value, key, propSchema), propSchema, `${pointer}/${escapePointer(key)}`, false, issues, skipped);
      }
    } else if (isObject(schema.additionalProperties)) {
      for (const [key, v] of Object.entries(value)) {
        walk(v, schema.additionalProperties, `${pointer}/${escapePointer(key)}`, false, issues, skipped);
      }
    }
  } else if (type === 'array' && Array.isArray(value)) {
    value.forEach((v, i) => walk(v, schema.items, `${pointer}/${i}`, false, issues, skipped));
  }
}

/**
 * Evaluates the `x-kubernetes-validations` rules of a CRD version's `openAPIV3Schema` (not
 * modified) against a custom resource object.
 */
export function celIssues(obj: unknown, schema: any): CelIssue[] {
  const issues: CelIssue[] = [];
  const skipped: CelIssue[] = [];
  walk(obj, schema, '', true, issues, skipped);
  return [...issues, ...skipped];
}
