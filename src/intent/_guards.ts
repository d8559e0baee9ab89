import { existsSync, readFileSync } from 'fs';
import { dirname, join } from 'path';
import { gunzipSync } from 'zlib';
import { IConstruct } from 'constructs';
import { invalid } from './_validation';

/**
 * Runtime type guards at the public entries, read from the library's own jsii assembly (`.jsii`,
 * shipped in the package): callers from Python, Java, .NET, Go and plain JavaScript can pass any
 * value, and a wrong type must get the same clear error as a wrong value (construct path, prop,
 * value, what is allowed), never a TypeError later or `undefined` in the output.
 *
 * The types are the ones the API reference documents: primitives, enums (by their runtime
 * values), structs (recursively, inherited properties included), arrays, maps, unions; classes
 * and interfaces must be objects. Properties the assembly does not declare are left alone.
 */

interface TypeRef {
  readonly primitive?: string;
  readonly fqn?: string;
  readonly collection?: { readonly kind: 'array' | 'map'; readonly elementtype: TypeRef };
  readonly union?: { readonly types: TypeRef[] };
}
interface Parameter { readonly name: string; readonly type: TypeRef; readonly optional?: boolean; readonly variadic?: boolean }
interface Property {
  readonly name: string;
  readonly type: TypeRef;
  readonly optional?: boolean;
  readonly static?: boolean;
  readonly protected?: boolean;
}
interface JsiiType {
  readonly kind: 'class' | 'interface' | 'enum';
  readonly name: string;
  readonly datatype?: boolean;
  readonly base?: string;
  readonly interfaces?: string[];
  readonly properties?: Property[];
  readonly members?: { name: string }[];
  readonly initializer?: { parameters?: Parameter[] };
  readonly methods?: { name: string; static?: boolean; protected?: boolean; parameters?: Parameter[] }[];
  readonly abstract?: boolean;
}

const PACKAGE = 'cdk8s-zero-trust';
/** A surrogate half without its pair (with the u flag, a pair is one code point and does not match). */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
type Types = { [fqn: string]: JsiiType };
const assemblies = new Map<string, Types | null>();

/** Reads a jsii assembly file (following a compressed redirect), or null. */
function readAssembly(file: string): Types | null {
  if (!existsSync(file)) return null;
  let json = JSON.parse(readFileSync(file, 'utf8'));
  if (json.schema === 'jsii/file-redirect') {
    const target = join(file, '..', json.filename);
    json = JSON.parse((json.compression === 'gzip' ? gunzipSync(readFileSync(target)) : readFileSync(target)).toString('utf8'));
  }
  return json.types ?? {};
}

/** The types of a jsii package: this library's own `.jsii`, or a dependency's (cdk8s, constructs, cdk8s-plus). */
function assemblyOf(pkg: string): Types | null {
  if (!assemblies.has(pkg)) {
    let found: Types | null = null;
    try {
      found = pkg === PACKAGE ? readAssembly(join(__dirname, '..', '..', '.jsii'))
        : readAssembly(join(dirname(require.resolve(`${pkg}/package.json`)), '.jsii'));
    } catch {
      found = null;
    }
    assemblies.set(pkg, found);
  }
  return assemblies.get(pkg) ?? null;
}

function types(): Types | null {
  return assemblyOf(PACKAGE);
}

/** The declaration of a type by its fully qualified name, from its package's assembly. */
function typeOf(fqn: string | undefined): JsiiType | undefined {
  if (fqn === undefined) return undefined;
  const pkg = fqn.startsWith('@') ? fqn.slice(0, fqn.indexOf('.', fqn.indexOf('/'))) : fqn.slice(0, fqn.indexOf('.'));
  return assemblyOf(pkg)?.[fqn];
}

/** Whether the guards can run (the assembly is there). @internal */
export function guardsActive(): boolean {
  return types() !== null;
}

/** A construct-like scope for errors of static factories (`CloudGrant.awsS3Read`). @internal */
export function staticScope(path: string): IConstruct {
  return { node: { path } } as unknown as IConstruct;
}

/**
 * Checks the props of a construct's initializer (`new <className>(scope, id, props)`) against
 * the type the API declares.
 *
 * @internal
 */
export function guardProps(scope: IConstruct, className: string, props: unknown): void {
  const all = types();
  const params = all?.[`${PACKAGE}.${className}`]?.initializer?.parameters;
  const param = params?.[params.length - 1];
  if (!param || param.name !== 'props') return;
  guardValue(scope, '', props, param.type, param.optional ?? false, `${className} props`);
}

/**
 * {@link guardProps} before `super()` (a subclass whose super call reads its props): checks and
 * returns the props.
 *
 * @internal
 */
export function guardedProps<T>(scope: IConstruct, id: string, className: string, props: T): T {
  guardProps(staticScope(scope.node.path ? `${scope.node.path}/${id}` : id), className, props);
  return props;
}

/**
 * Checks the arguments of a public method (or static factory) against the declared parameters.
 *
 * @internal
 */
export function guardArgs(scope: IConstruct, className: string, method: string, args: unknown[]): void {
  const all = types();
  if (!all) return;
  let fqn: string | undefined = `${PACKAGE}.${className}`;
  while (fqn && all[fqn]) {
    const m = all[fqn].methods?.find(x => x.name === method);
    if (m) {
      (m.parameters ?? []).forEach((p, i) => {
        if (p.variadic) return;
        // a struct's fields are named as the user wrote them (`methods`), like a construct's props
        const struct = p.type.fqn !== undefined && all[p.type.fqn]?.datatype === true;
        guardValue(scope, struct ? '' : p.name, args[i], p.type, p.optional ?? false, `${className}.${method}() ${p.name}`, p.name);
      });
      return;
    }
    fqn = all[fqn].base;
  }
}

/**
 * Checks `value` at `prop` (the name the user wrote: `routes[0].host`; empty for a construct's
 * whole props); `where` names the declaration in the API reference.
 */
function guardValue(scope: IConstruct, prop: string, value: unknown, type: TypeRef, optional: boolean, where: string, label = 'props'): void {
  if (value === undefined && optional) return;
  if (typeof value === 'string' && LONE_SURROGATE.test(value)) {
    invalid(scope, prop || label, value, 'must be well-formed Unicode text: it holds a lone UTF-16 surrogate, which YAML, JSON, CEL and Go cannot carry (Kubernetes would store U+FFFD instead)',
      'remove the broken character');
  }
  if (wrong(scope, prop, value, type)) {
    invalid(scope, prop || label, value, `must be ${describe(type)}${optional ? ' or undefined' : ''}, got ${got(value)}`, `see ${where} in the API reference (API.md)`);
  }
}

/** Whether `value` is not of `type` (nested props and elements throw their own error). */
function wrong(scope: IConstruct, prop: string, value: unknown, type: TypeRef): boolean {
  if (type.primitive !== undefined) return !primitiveOk(type.primitive, value);
  if (type.union) return !type.union.types.some(t => quietly(value, t));
  if (type.collection) {
    if (type.collection.kind === 'array') {
      if (!Array.isArray(value)) return true;
      value.forEach((v, i) => guardValue(scope, `${prop}[${i}]`, v, type.collection!.elementtype, false, `the element type of ${prop}`));
      return false;
    }
    if (!isPlainObject(value)) return true;
    for (const [k, v] of Object.entries(value as object)) guardValue(scope, `${prop}[${JSON.stringify(k)}]`, v, type.collection.elementtype, false, `the value type of ${prop}`);
    return false;
  }
  const t = typeOf(type.fqn);
  if (!t) return value === null || (typeof value !== 'object' && typeof value !== 'function'); // a type without assembly
  if (t.kind === 'enum') return !enumValues(type.fqn!, t).includes(value as never);
  if (t.kind === 'interface' && t.datatype) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return true;
    for (const p of structProperties(type.fqn!)) {
      const v = (value as { [k: string]: unknown })[p.name];
      guardValue(scope, prop ? `${prop}.${p.name}` : p.name, v, p.type, p.optional ?? false, `${t.name}.${p.name}`);
    }
    return false;
  }
  // a class or an interface: an object with every member the type declares (not only an object:
  // `{}` where a SpireDeployment is expected would fail later with a TypeError)
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return true;
  const { properties, methods } = members(type.fqn!);
  const record = value as { [k: string]: unknown };
  return !properties.every(p => p in record) || !methods.every(m => typeof record[m] === 'function');
}

/** The required instance properties and the methods of a class or interface, inherited ones included. */
const memberCache = new Map<string, { properties: string[]; methods: string[] }>();

function members(fqn: string): { properties: string[]; methods: string[] } {
  if (!memberCache.has(fqn)) memberCache.set(fqn, collectMembers(fqn, new Set()));
  return memberCache.get(fqn)!;
}

function collectMembers(fqn: string, seen: Set<string>): { properties: string[]; methods: string[] } {
  const t = typeOf(fqn);
  if (!t || seen.has(fqn)) return { properties: [], methods: [] };
  seen.add(fqn);
  const properties = (t.properties ?? []).filter(p => !p.static && !p.protected && !p.optional).map(p => p.name);
  const methods = (t.methods ?? []).filter(m => !m.static && !m.protected).map(m => m.name);
  for (const parent of [...(t.base ? [t.base] : []), ...(t.interfaces ?? [])]) {
    const inherited = collectMembers(parent, seen);
    properties.push(...inherited.properties);
    methods.push(...inherited.methods);
  }
  return { properties, methods };
}

/** Whether `value` is of `type`, without throwing (for unions). */
function quietly(value: unknown, type: TypeRef): boolean {
  try {
    return !wrong(staticScope(''), '', value, type);
  } catch {
    return false;
  }
}

function primitiveOk(primitive: string, value: unknown): boolean {
  switch (primitive) {
    case 'string': return typeof value === 'string';
    case 'number': return typeof value === 'number' && Number.isFinite(value);
    case 'boolean': return typeof value === 'boolean';
    case 'date': return value instanceof Date && !Number.isNaN(value.getTime());
    default: return isJsonData(value); // any, json: data that renders as JSON as written
  }
}

/** null, booleans, finite numbers, strings, arrays and plain objects of them (no functions, class instances or cycles). */
function isJsonData(value: unknown, depth = 0): boolean {
  if (depth > 100) return false;
  if (typeof value === 'string') return !LONE_SURROGATE.test(value);
  if (value === null || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(v => isJsonData(v, depth + 1));
  if (typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return (proto === Object.prototype || proto === null)
    && Object.entries(value as object).every(([k, v]) => !LONE_SURROGATE.test(k) && isJsonData(v, depth + 1));
}

function isPlainObject(value: unknown): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The properties of a struct, its base structs' included. */
function structProperties(fqn: string, seen = new Set<string>()): Property[] {
  const t = typeOf(fqn);
  if (!t || seen.has(fqn)) return [];
  seen.add(fqn);
  const own = t.properties ?? [];
  const inherited = (t.interfaces ?? []).flatMap(i => structProperties(i, seen)).filter(p => !own.some(o => o.name === p.name));
  return [...own, ...inherited];
}

/** The library's exported enum object. */
function enumObject(fqn: string, t: JsiiType): { [name: string]: unknown } | undefined {
  const pkg = fqn.slice(0, fqn.indexOf('.'));
  // required here, not imported: the index imports every construct, and every construct this file
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (pkg === PACKAGE ? require('../index') : require(pkg))[t.name];
}

/** The runtime values of an enum (the library's exported enum object). */
function enumValues(fqn: string, t: JsiiType): unknown[] {
  const exported = enumObject(fqn, t);
  if (exported === undefined) return (t.members ?? []).map(m => m.name);
  // numeric enums also map values back to names: keep the names' values only
  return Object.keys(exported).filter(k => !/^\d+$/.test(k)).map(k => exported[k]);
}

function describe(type: TypeRef): string {
  if (type.primitive !== undefined) {
    return { string: 'a string', number: 'a finite number', boolean: 'a boolean', date: 'a Date' }[type.primitive] ?? 'JSON data (objects, arrays, strings, finite numbers, booleans, null)';
  }
  if (type.union) return type.union.types.map(describe).join(' or ');
  if (type.collection) return `${type.collection.kind === 'array' ? 'an array' : 'a map'} of ${plural(type.collection.elementtype)}`;
  const t = typeOf(type.fqn);
  const name = type.fqn?.split('.').pop() ?? 'object';
  if (t?.kind === 'enum') {
    const exported = enumObject(type.fqn!, t);
    return `${article(name)} ${name} (${(t.members ?? []).map(m => `${name}.${m.name} = ${JSON.stringify(exported?.[m.name] ?? m.name)}`).join(', ')})`;
  }
  if (t?.kind === 'interface' && t.datatype) return `${article(name)} ${name} object`;
  if (t?.kind === 'class') {
    const factory = t.initializer ? undefined : t.methods?.find(m => m.static && !m.name.startsWith('is'))?.name;
    return `${article(name)} ${name}${t.initializer ? ` (new ${name}(...))` : factory ? ` (for example ${name}.${factory}(...))` : ''}`;
  }
  if (t) return `${article(name)} ${name}`;
  return `${article(type.fqn ?? name)} ${type.fqn ?? name}`;
}

function plural(type: TypeRef): string {
  if (type.primitive !== undefined) return `${type.primitive}s`;
  return describe(type).replace(/^an? /, '').replace(/ object$/, ' objects');
}

function got(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return typeof value;
}

function article(name: string): string {
  return /^[AEIOU]/.test(name) ? 'an' : 'a';
}
