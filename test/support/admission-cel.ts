/**
 * The CEL evaluation and object matching the admission harness (`policy-engine.ts`) shares across
 * engines: `@bufbuild/cel` with the CEL strings extension, Kubernetes' homogeneous aggregate
 * literal rule, label selectors and the engines' globs.
 */
import { celEnv, celMap, isCelError, parse, plan } from '@bufbuild/cel';
import type { CelEnv } from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
import { toCel } from './cel';

export interface Decision {
  /** `gatekeeper` or `kyverno`. */
  readonly engine: string;
  /** The constraint (`Kind/name`) or the Kyverno rule (`policy/rule`). */
  readonly policy: string;
  /** The object reviewed (`Kind/namespace/name`). */
  readonly object: string;
  /** The violation messages (or the evaluation error). */
  readonly message: string;
}

export interface Review {
  /** Policies that rejected the object. */
  readonly violations: Decision[];
  /** Policies that evaluated the object (whatever the outcome). */
  readonly evaluated: string[];
  /** Gatekeeper constraints that selected the object but whose template has no CEL source. */
  readonly regoOnly: string[];
  /** Kyverno generate rules the object triggers, with the generated object. */
  readonly generated: Array<{ policy: string; object: any }>;
}

export interface ReviewOptions {
  /** The admission operation. @default 'CREATE' */
  readonly operation?: string;
}

// ---------------------------------------------------------------------------------------------
// CEL
// ---------------------------------------------------------------------------------------------

let cachedEnv: CelEnv | undefined;
const programs = new Map<string, (bindings: any) => unknown>();

function env(): CelEnv {
  cachedEnv ??= celEnv({ funcs: [...strings] });
  return cachedEnv;
}

/**
 * The static type of a literal, as far as the AST tells: Kubernetes (and Kyverno) compile CEL
 * with `cel.HomogeneousAggregateLiterals()`, so list and map literals whose entries have different
 * known types fail to compile there. Anything not a literal is `dyn` (the objects are untyped).
 */
function literalType(e: any): string {
  switch (e?.exprKind?.case) {
    case 'constExpr': return e.exprKind.value.constantKind.case;
    case 'listExpr': return 'list';
    case 'structExpr': return 'map';
    default: return 'dyn';
  }
}

function checkHomogeneous(e: any, expression: string): void {
  if (Array.isArray(e)) {
    e.forEach(x => checkHomogeneous(x, expression));
    return;
  }
  if (!e || typeof e !== 'object') return;
  const kind = e.exprKind?.case;
  const entries = kind === 'listExpr' ? e.exprKind.value.elements : kind === 'structExpr' ? e.exprKind.value.entries.map((x: any) => x.value) : [];
  const types = new Set(entries.map(literalType).filter((t: string) => t !== 'dyn'));
  if (types.size > 1) {
    throw new Error(`a ${kind === 'listExpr' ? 'list' : 'map'} literal mixes ${[...types].join(' and ')}: Kubernetes CEL (HomogeneousAggregateLiterals) rejects it; wrap the entries in dyn()`);
  }
  for (const [k, v] of Object.entries(e)) if (k !== '$typeName' && typeof v === 'object') checkHomogeneous(v, expression);
}

function program(expression: string): (bindings: any) => unknown {
  let p = programs.get(expression);
  if (!p) {
    const parsed = parse(expression);
    checkHomogeneous(parsed.expr, expression);
    const run = plan(env(), parsed);
    p = (bindings: any) => run(bindings);
    programs.set(expression, p);
  }
  return p;
}

export function evaluate(expression: string, bindings: any, what: string): unknown {
  let result: unknown;
  try {
    result = program(expression)(bindings);
  } catch (e) {
    throw new Error(`${what}: CEL cannot be compiled or evaluated: ${(e as Error).message}\n  ${expression}`);
  }
  if (isCelError(result)) throw new Error(`${what}: CEL evaluation error: ${(result as Error).message}\n  ${expression}`);
  return result;
}

/** A map of evaluated variables, readable as `variables.<name>`. */
export function variablesMap(values: Map<string, unknown>): unknown {
  return celMap(values as Map<string, any>);
}

/**
 * Runs `variables` then `validations` (each `{expression, message?, messageExpression?}`);
 * returns the messages of the failed validations.
 */
export function runCel(source: { variables?: any[]; validations: any[] }, bindings: Record<string, unknown>,
  predefined: Array<[string, unknown]>, what: string): string[] {
  const values = new Map<string, unknown>(predefined);
  for (const v of source.variables ?? []) {
    values.set(v.name, evaluate(v.expression, { ...bindings, variables: variablesMap(new Map(values)) }, `${what} variable ${v.name}`));
  }
  const all = { ...bindings, variables: variablesMap(values) };
  const messages: string[] = [];
  for (const validation of source.validations) {
    const ok = evaluate(validation.expression, all, `${what} validation`);
    if (typeof ok !== 'boolean') throw new Error(`${what}: validation returned ${String(ok)}, not a bool`);
    if (ok) continue;
    const message = validation.messageExpression ? evaluate(validation.messageExpression, all, `${what} messageExpression`) : validation.message;
    messages.push(typeof message === 'string' && message !== '' ? message : validation.message ?? validation.expression);
  }
  return messages;
}

export function describe(obj: any): string {
  return obj.metadata?.namespace ? `${obj.kind}/${obj.metadata.namespace}/${obj.metadata.name}` : `${obj.kind}/${obj.metadata?.name}`;
}

export function groupVersion(obj: any): { group: string; version: string } {
  const [group, version] = obj.apiVersion.includes('/') ? obj.apiVersion.split('/') : ['', obj.apiVersion];
  return { group, version };
}

export function requestOf(obj: any, operation: string): unknown {
  const { group, version } = groupVersion(obj);
  return toCel({
    operation,
    name: obj.metadata?.name ?? '',
    ...(obj.metadata?.namespace ? { namespace: obj.metadata.namespace } : {}),
    kind: { group, version, kind: obj.kind },
  }, undefined, '');
}

// ---------------------------------------------------------------------------------------------
// Label selectors and globs
// ---------------------------------------------------------------------------------------------

export function selectorMatches(selector: any, labels: Record<string, string>, wildcards: boolean): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries<string>(selector.matchLabels ?? {})) {
    if (!(k in labels) || !(wildcards ? wildcard(v, labels[k]) : labels[k] === v)) return false;
  }
  for (const e of selector.matchExpressions ?? []) {
    const present = e.key in labels;
    switch (e.operator) {
      case 'In': if (!present || !e.values.includes(labels[e.key])) return false; break;
      case 'NotIn': if (present && e.values.includes(labels[e.key])) return false; break;
      case 'Exists': if (!present) return false; break;
      case 'DoesNotExist': if (present) return false; break;
      default: throw new Error(`unknown selector operator ${e.operator}`);
    }
  }
  return true;
}

/** Gatekeeper namespace globs: a leading and/or trailing `*`. */
export function gatekeeperGlob(pattern: string, value: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map(s => s.replace(/[.+?^${}()|[\]\\-]/g, '\\$&')).join('.*')}$`);
  return re.test(value);
}

/** Kyverno wildcards: `*` and `?`. */
export function wildcard(pattern: string, value: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\-]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return re.test(value);
}

