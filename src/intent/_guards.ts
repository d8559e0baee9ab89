import { IConstruct } from 'constructs';
import { GUARD_SPEC } from './_guard-spec.generated';
import { GuardTypes, JsiiType, Property, TypeRef } from './_guard-types';
import { surfaceOwnErrors } from './_own-errors';
import { invalid } from './_validation';

/**
 * Runtime type guards at the public entries: callers from Python, Java, .NET, Go and plain
 * JavaScript can pass any value, and a wrong type must get the same clear error as a wrong value
 * (construct path, prop, value, what is allowed), never a TypeError later or `undefined` in the
 * output.
 *
 * The types are the ones the API reference documents, from the jsii assembly as
 * `_guard-spec.generated.ts` holds it (written by `npx projen compile`, committed, checked for
 * drift by CI): primitives, enums (by their runtime values), structs (recursively, inherited
 * properties included), arrays, maps, unions; classes and interfaces must be objects with their
 * members. Properties the API does not declare are left alone. The data is part of the sources,
 * so the guards are the same in tests on the sources, in lib/ and in the installed package; a
 * declaration missing from it is an error, never a silently skipped check.
 */

const PACKAGE = 'cdk8s-zero-trust';
/** A surrogate half without its pair (with the u flag, a pair is one code point and does not match). */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
const SPEC: GuardTypes = GUARD_SPEC;

/** The fix for missing or stale guard data. */
const REGENERATE = 'the runtime type guards have no declaration for it in src/intent/_guard-spec.generated.ts: run `npx projen compile` (it regenerates that file from the jsii assembly) and commit the file';

/** The declaration of a type by its fully qualified name; an error when the guard data lacks it. */
function typeOf(fqn: string): JsiiType {
  const t = SPEC[fqn];
  if (!t) throw new Error(`${fqn}: ${REGENERATE}`);
  return t;
}

/** Whether the guard data holds this library's public types (it always does: a generated source file). @internal */
export function guardsActive(): boolean {
  return Object.keys(SPEC).some(fqn => fqn.startsWith(`${PACKAGE}.`));
}

/** A construct-like scope for errors of static factories (`CloudGrant.awsS3Read`). @internal */
export function staticScope(path: string): IConstruct {
  return { node: { path } } as unknown as IConstruct;
}

/**
 * Checks the props of a construct's initializer (`new <className>(scope, id, props)`) against
 * the type the API declares. Every public construct calls it first, so it also makes the
 * library's errors raised while its objects are serialized reach the user as thrown
 * (`surfaceOwnErrors`).
 *
 * @internal
 */
export function guardProps(scope: IConstruct, className: string, props: unknown): void {
  surfaceOwnErrors(scope);
  const params = typeOf(`${PACKAGE}.${className}`).initializer?.parameters;
  const param = params?.[params.length - 1];
  if (!param || param.name !== 'props') throw new Error(`${className}: no initializer with props; ${REGENERATE}`);
  guardValue(scope, '', props, param.type, param.optional ?? false, `${className} props`);
}

/**
 * {@link guardProps} before `super()` (a subclass whose super call reads its props): checks and
 * returns the props.
 *
 * @internal
 */
export function guardedProps<T>(scope: IConstruct, id: string, className: string, props: T): T {
  surfaceOwnErrors(scope);
  guardProps(staticScope(scope.node.path ? `${scope.node.path}/${id}` : id), className, props);
  return props;
}

/**
 * Checks the arguments of a public method (or static factory) against the declared parameters.
 *
 * @internal
 */
export function guardArgs(scope: IConstruct, className: string, method: string, args: unknown[]): void {
  let fqn: string | undefined = `${PACKAGE}.${className}`;
  while (fqn) {
    const m = typeOf(fqn).methods?.find(x => x.name === method);
    if (m) {
      (m.parameters ?? []).forEach((p, i) => {
        if (p.variadic) return;
        // a struct's fields are named as the user wrote them (`methods`), like a construct's props
        const struct = p.type.fqn !== undefined && typeOf(p.type.fqn).datatype === true;
        guardValue(scope, struct ? '' : p.name, args[i], p.type, p.optional ?? false, `${className}.${method}() ${p.name}`, p.name);
      });
      return;
    }
    fqn = typeOf(fqn).base;
  }
  throw new Error(`${className}.${method}(): ${REGENERATE}`);
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
  const t = typeOf(type.fqn!);
  if (t.kind === 'enum') return !enumValues(type.fqn!, t).includes(value as never);
  if (t.kind === 'interface' && t.datatype) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return true;
    for (const p of structProperties(type.fqn!)) {
      const v = (value as { [k: string]: unknown })[p.name];
      guardValue(scope, prop ? `${prop}.${p.name}` : p.name, v, p.type!, p.optional ?? false, `${t.name}.${p.name}`);
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
  if (seen.has(fqn)) return { properties: [], methods: [] };
  seen.add(fqn);
  const t = typeOf(fqn);
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
  if (seen.has(fqn)) return [];
  seen.add(fqn);
  const t = typeOf(fqn);
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
  const t = typeOf(type.fqn!);
  const name = type.fqn!.split('.').pop()!;
  if (t.kind === 'enum') {
    const exported = enumObject(type.fqn!, t);
    return `${article(name)} ${name} (${(t.members ?? []).map(m => `${name}.${m.name} = ${JSON.stringify(exported?.[m.name] ?? m.name)}`).join(', ')})`;
  }
  if (t.kind === 'interface' && t.datatype) return `${article(name)} ${name} object`;
  if (t.kind === 'class') {
    const factory = t.initializer ? undefined : t.methods?.find(m => m.static && !m.name.startsWith('is'))?.name;
    return `${article(name)} ${name}${t.initializer ? ` (new ${name}(...))` : factory ? ` (for example ${name}.${factory}(...))` : ''}`;
  }
  return `${article(name)} ${name}`;
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
