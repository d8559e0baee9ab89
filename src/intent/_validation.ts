import { Construct, IConstruct } from 'constructs';
import { remember } from './_own-errors';

/**
 * Throws the library's error for a bad prop: the construct path, the prop, the bad value,
 * what is allowed and (optionally) how to fix it.
 *
 * @internal
 */
export function invalid(scope: IConstruct, prop: string, value: unknown, allowed: string, fix?: string): never {
  const shown = show(value);
  const hint = fix ? `; ${fix}` : '';
  throw remember(new Error(`[${scope.node.path}] invalid ${prop} ${shown}: ${allowed}${hint}`));
}

/** A value as the error shows it: JSON, a construct by its path, at most 1000 characters. */
function show(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value)
    : typeof value === 'number' || value === undefined || typeof value === 'bigint' || typeof value === 'symbol' ? String(value)
      : typeof value === 'function' ? `function ${value.name || '(anonymous)'}`
        : Construct.isConstruct(value) ? `construct ${value.node.path}` : safeJson(value);
  return text.length > 1000 ? `${text.slice(0, 1000)}…` : text;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** @internal */
export function checkDns1123Label(scope: IConstruct, prop: string, value: string): string {
  if (typeof value !== 'string' || value.length > 63 || !DNS1123_LABEL.test(value)) {
    invalid(scope, prop, value, 'must be a DNS-1123 label: at most 63 lower-case alphanumeric characters or \'-\', starting and ending with an alphanumeric character');
  }
  return value;
}

/** @internal */
export function checkDns1035Label(scope: IConstruct, prop: string, value: string): string {
  if (typeof value !== 'string' || value.length > 63 || !DNS1035_LABEL.test(value)) {
    invalid(scope, prop, value, 'must be a DNS-1035 label (Kubernetes Service names): at most 63 lower-case alphanumeric characters or \'-\', starting with a letter and ending with an alphanumeric character');
  }
  return value;
}

const TRUST_DOMAIN = /^[a-z0-9._-]+$/;

/**
 * A SPIFFE trust domain: lower-case letters, digits, '.', '-' and '_' only (no scheme, no port,
 * no path), at most 255 characters.
 *
 * @see https://github.com/spiffe/spiffe/blob/main/standards/SPIFFE-ID.md#21-trust-domain
 * @internal
 */
export function checkTrustDomain(scope: IConstruct, prop: string, value: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 255 || !TRUST_DOMAIN.test(value)) {
    invalid(scope, prop, value, 'must be a SPIFFE trust domain: 1-255 characters of lower-case letters, digits, \'.\', \'-\' or \'_\' (no scheme, port or path)',
      'for example \'cluster.local\' or \'example.org\'');
  }
  return value;
}

/** @internal */
export function checkPort(scope: IConstruct, prop: string, value: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65535) {
    invalid(scope, prop, value, 'must be an integer between 1 and 65535');
  }
  return value;
}

/** @internal */
export function sortedUnique<T extends string | number>(values: readonly T[]): T[] {
  return [...new Set(values)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The name part of a label or annotation key, and a label value (without the emptiness). */
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * Why `key` is not a Kubernetes label or annotation key (`[prefix/]name`: a DNS-1123 subdomain
 * prefix of at most 253 characters, a name of at most 63 alphanumerics, '-', '_' or '.',
 * starting and ending with an alphanumeric), or undefined when it is one.
 *
 * @see https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#syntax-and-character-set
 * @internal
 */
export function labelKeyProblem(key: unknown): string | undefined {
  if (typeof key !== 'string') return `must be a string, got ${typeof key}`;
  const slash = key.indexOf('/');
  const prefix = slash < 0 ? undefined : key.slice(0, slash);
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix))) {
    return 'has a prefix that is not a DNS-1123 subdomain (lower-case alphanumerics, \'-\' and \'.\', at most 253 characters)';
  }
  if (name.length === 0 || name.length > 63 || !LABEL_NAME.test(name)) {
    return 'must have a name part of 1-63 alphanumerics, \'-\', \'_\' or \'.\', starting and ending with an alphanumeric (after an optional DNS subdomain prefix and \'/\')';
  }
  return undefined;
}

/**
 * Why `value` is not a Kubernetes label value (empty, or at most 63 alphanumerics, '-', '_' or
 * '.', starting and ending with an alphanumeric), or undefined when it is one.
 *
 * @internal
 */
export function labelValueProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return `must be a string, got ${typeof value}`;
  if (value !== '' && (value.length > 63 || !LABEL_NAME.test(value))) {
    return 'must be empty or 1-63 alphanumerics, \'-\', \'_\' or \'.\', starting and ending with an alphanumeric';
  }
  return undefined;
}

/**
 * Checks a map of labels by the Kubernetes grammar (keys and values) and returns a copy.
 *
 * @internal
 */
export function checkLabels(scope: IConstruct, prop: string, labels: unknown, options: { nonEmpty?: boolean } = {}): { [key: string]: string } {
  if (labels === null || typeof labels !== 'object' || Array.isArray(labels)) {
    invalid(scope, prop, labels, 'must be a map of label keys to label values');
  }
  const entries = Object.entries(labels as object);
  if (options.nonEmpty && entries.length === 0) {
    invalid(scope, prop, labels, 'must hold at least one label');
  }
  for (const [key, value] of entries) {
    const keyProblem = labelKeyProblem(key);
    if (keyProblem) invalid(scope, `${prop} key`, key, `is not a Kubernetes label key: it ${keyProblem}`, 'for example \'app.kubernetes.io/name\'');
    const valueProblem = labelValueProblem(value);
    if (valueProblem) invalid(scope, `${prop}[${JSON.stringify(key)}]`, value, `is not a Kubernetes label value: it ${valueProblem}`);
  }
  return { ...labels as { [key: string]: string } };
}

/**
 * Checks annotation keys by the Kubernetes grammar (values are free text) and returns a copy.
 *
 * @internal
 */
export function checkAnnotations(scope: IConstruct, prop: string, annotations: unknown): { [key: string]: string } {
  if (annotations === null || typeof annotations !== 'object' || Array.isArray(annotations)) {
    invalid(scope, prop, annotations, 'must be a map of annotation keys to string values');
  }
  for (const [key, value] of Object.entries(annotations as object)) {
    const keyProblem = labelKeyProblem(key);
    if (keyProblem) invalid(scope, `${prop} key`, key, `is not a Kubernetes annotation key: it ${keyProblem}`);
    if (typeof value !== 'string') invalid(scope, `${prop}[${JSON.stringify(key)}]`, value, 'must be a string');
  }
  return { ...annotations as { [key: string]: string } };
}

/**
 * Labels a user passes for an object whose `owned` labels the library writes: an attempt to set
 * one of them is an error naming the label (a user value would silently change what the
 * library promises, for example mesh enrolment or the Pod Security level).
 *
 * @internal
 */
export function checkNotOwned(scope: IConstruct, prop: string, labels: { [key: string]: string },
  owned: { [key: string]: string }, why: string): void {
  for (const key of Object.keys(labels)) {
    const clash = Object.keys(owned).find(o => o === key || conflictsWith(key, o));
    if (clash !== undefined) {
      invalid(scope, `${prop}[${JSON.stringify(key)}]`, labels[key], `${clash === key ? 'is a label' : `conflicts with the label ${clash}`} the library writes (${why}), and a user value would override it`,
        'remove it from labels and use the construct\'s own prop instead');
    }
  }
}

/** Labels that change the meaning of another label the library owns. */
function conflictsWith(key: string, owned: string): boolean {
  const family: string[][] = [
    // Istio: injection is decided by istio-injection OR istio.io/rev, ambient by istio.io/dataplane-mode
    ['istio-injection', 'istio.io/rev', 'istio.io/dataplane-mode', 'istio.io/use-waypoint'],
  ];
  if (key.startsWith('pod-security.kubernetes.io/') && owned.startsWith('pod-security.kubernetes.io/')) return true;
  return family.some(f => f.includes(key) && f.includes(owned));
}

/**
 * Throws the library's error when `value` is not of the `type` a prop needs (jsii callers from
 * other languages and plain JavaScript pass anything): the same message shape as a bad value.
 *
 * @internal
 */
export function checkType(scope: IConstruct, prop: string, value: unknown, type: 'string' | 'number' | 'boolean' | 'object' | 'string[]' | 'number[]', allowed?: string): void {
  const ok = type === 'string[]' ? Array.isArray(value) && value.every(v => typeof v === 'string')
    : type === 'number[]' ? Array.isArray(value) && value.every(v => typeof v === 'number')
      : type === 'object' ? value !== null && typeof value === 'object' && !Array.isArray(value)
        : typeof value === type;
  if (!ok) {
    const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
    const want = { 'string': 'a string', 'number': 'a number', 'boolean': 'a boolean', 'object': 'an object', 'string[]': 'an array of strings', 'number[]': 'an array of numbers' }[type];
    invalid(scope, prop, value, `must be ${want}${allowed ? ` (${allowed})` : ''}, got ${got}`);
  }
}

/** Control characters (C0, DEL, C1), NUL included. @internal */
export const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Builds a child from some of `scope`'s props (`{ vaultAddress: props.vaultAddress }`): when the
 * child refuses a value the user gave, the error names the prop the user wrote, on `scope`, and
 * keeps the child's reason.
 *
 * @internal
 */
export function forwarding<T>(scope: IConstruct, given: { [prop: string]: unknown }, build: () => T): T {
  try {
    return build();
  } catch (e) {
    if (!(e instanceof Error) || e.constructor !== Error) throw e;
    const mentions = (v: unknown) => e.message.includes(show(v)) || (typeof v === 'string' && v !== '' && e.message.includes(v));
    const prop = Object.keys(given).find(p => given[p] !== undefined && / invalid /.test(e.message) && mentions(given[p]));
    if (prop === undefined) throw e;
    return invalid(scope, prop, given[prop], `is refused: ${e.message}`);
  }
}
