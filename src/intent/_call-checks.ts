import { IConstruct } from 'constructs';
import { checkPort, invalid, sortedUnique } from './_validation';
import { workloadKey, CallOptions } from './call-intent';
import { AppProtocol, IMeshWorkload } from './mesh-workload';

const CLAIM_NAME = /^[A-Za-z0-9_.:\/-]{1,128}$/;
const HEADER_NAME = /^[a-z0-9][a-z0-9_.-]{0,127}$/;
/** Headers a call may not be restricted by: set by proxies, carrying credentials, or hop-by-hop. */
const PSEUDO_OR_HOP = ['host', 'authorization', 'cookie', 'connection', 'keep-alive', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade',
  'x-forwarded-client-cert'];
const HTTP_METHODS = ['CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'TRACE'];

/** A call's options, validated and normalized (sorted, de-duplicated). @internal */
export interface CheckedCall {
  readonly ports: number[];
  readonly methods: string[];
  readonly paths: string[];
  readonly claims: { [claim: string]: string[] };
  readonly headers: { [name: string]: string };
}

/**
 * Validates the options of a call from `caller` to `callee` against the callee's ports and
 * protocols and the grammars of Istio's methods, paths, headers and claims. Whether an
 * enforcement point can enforce them is checked by the layers (`registerCallRule`).
 *
 * @internal
 */
export function checkCallOptions(caller: IMeshWorkload, callee: IMeshWorkload, options: CallOptions): CheckedCall {
  if (caller === callee) {
    invalid(callee, 'caller', caller.node.path,
      'a workload cannot allow calls from itself: traffic inside a pod never leaves it, and traffic between replicas is not a declared call',
      'remove this allowFrom() call');
  }
  // jsii callers from other languages and plain JavaScript pass anything: a wrong type gets the
  // same clear error as a wrong value (`methods: 'GET'` is not the list ['G', 'E', 'T'])
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    invalid(callee, 'options', options, 'must be an object (AllowFromOptions: ports, methods, paths, requireClaims, requireHeaders)');
  }
  const list = (prop: string, value: unknown, type: 'string' | 'number', example: string) => {
    if (value !== undefined && (!Array.isArray(value) || value.some(v => typeof v !== type))) {
      invalid(callee, prop, value, `must be a list of ${type}s, got ${Array.isArray(value) ? 'a list holding other types' : value === null ? 'null' : typeof value}`, `for example ${example}`);
    }
  };
  list('ports', options.ports, 'number', '[8080]');
  list('methods', options.methods, 'string', '[\'GET\']');
  list('paths', options.paths, 'string', '[\'/api/orders/*\']');
  const calleePorts = callee.workloadPorts.map(p => p.port);
  const ports = sortedUnique(options.ports ?? calleePorts);
  if (ports.length === 0) {
    invalid(callee, 'ports', options.ports, `must name at least one port of ${workloadKey(callee)} (${calleePorts.join(', ')})`, 'or leave ports out to allow every port');
  }
  for (const port of ports) {
    checkPort(callee, 'ports', port);
    if (!calleePorts.includes(port)) {
      invalid(callee, 'ports', port, `${workloadKey(callee)} listens on ${calleePorts.join(', ')} only`);
    }
  }
  const methods = sortedUnique(options.methods ?? []);
  for (const method of methods) {
    if (!HTTP_METHODS.includes(method)) {
      invalid(callee, 'methods', method, `must be one of ${HTTP_METHODS.join(', ')} (upper case)`, 'leave methods out to allow any method');
    }
  }
  if (options.methods && methods.length === 0) {
    invalid(callee, 'methods', options.methods, 'must not be empty', 'leave methods out to allow any method');
  }
  const paths = sortedUnique(options.paths ?? []);
  for (const path of paths) {
    checkPath(callee, path);
  }
  if (options.paths && paths.length === 0) {
    invalid(callee, 'paths', options.paths, 'must not be empty', 'leave paths out to allow any path');
  }
  if (methods.length > 0 || paths.length > 0) {
    const opaque = opaquePorts(callee, ports);
    if (opaque.length > 0) {
      invalid(callee, 'methods/paths', { methods, paths },
        `port ${opaque.join(', ')} of ${workloadKey(callee)} is plain TCP, where Istio cannot see HTTP methods or paths`,
        'restrict the call to the HTTP ports with `ports`, or drop methods and paths for TCP');
    }
  }
  const claims = checkClaims(callee, options.requireClaims);
  const headers = checkHeaders(callee, ports, options.requireHeaders);
  return { ports, methods, paths, claims, headers };
}

function opaquePorts(callee: IMeshWorkload, ports: number[]): number[] {
  return callee.workloadPorts.filter(p => ports.includes(p.port) && p.protocol === AppProtocol.TCP).map(p => p.port);
}

function checkHeaders(callee: IMeshWorkload, ports: number[], requireHeaders?: { [name: string]: string }): { [name: string]: string } {
  if (requireHeaders === undefined) {
    return {};
  }
  if (typeof requireHeaders !== 'object' || requireHeaders === null || Object.keys(requireHeaders).length === 0) {
    invalid(callee, 'requireHeaders', requireHeaders, 'must name at least one header', 'leave requireHeaders out to require none');
  }
  const result: { [name: string]: string } = {};
  for (const name of Object.keys(requireHeaders).sort(compare)) {
    if (!HEADER_NAME.test(name) || PSEUDO_OR_HOP.includes(name)) {
      invalid(callee, 'requireHeaders', name, 'header names are lower-case HTTP tokens (letters, digits, \'-\', \'_\', \'.\'), not :pseudo, host, authorization, cookie or hop-by-hop headers',
        'require claims (requireClaims) for identity, and methods, paths or ordinary headers for routing');
    }
    const value = requireHeaders[name];
    // Envoy rejects header values with NUL, CR or LF and Istio treats '*' as a wildcard; other
    // control characters never arrive in a valid HTTP header (RFC 9110 field-value)
    if (typeof value !== 'string' || value.length === 0 || value.length > 256 || /[\u0000-\u001f\u007f*]/.test(value) || value.trim() !== value) {
      invalid(callee, `requireHeaders.${name}`, value,
        'must be an exact, non-empty value of at most 256 characters (no \'*\', no control characters such as NUL or line breaks, no leading or trailing spaces)');
    }
    result[name] = value;
  }
  const opaque = opaquePorts(callee, ports);
  if (opaque.length > 0) {
    invalid(callee, 'requireHeaders', result, `port ${opaque.join(', ')} of ${workloadKey(callee)} is plain TCP, where no HTTP header can be seen`,
      'restrict the call to the HTTP ports with `ports`');
  }
  return result;
}

function checkClaims(callee: IMeshWorkload, requireClaims?: { [claim: string]: string[] }): { [claim: string]: string[] } {
  if (requireClaims === undefined) {
    return {};
  }
  if (typeof requireClaims !== 'object' || requireClaims === null || Object.keys(requireClaims).length === 0) {
    invalid(callee, 'requireClaims', requireClaims, 'must name at least one claim', 'leave requireClaims out to require only a verified token');
  }
  const result: { [claim: string]: string[] } = {};
  for (const claim of Object.keys(requireClaims).sort(compare)) {
    if (!CLAIM_NAME.test(claim)) {
      invalid(callee, 'requireClaims', claim, 'claim names are 1-128 characters of letters, digits, \'_\', \'-\', \'.\', \':\' or \'/\' (no brackets or spaces)');
    }
    const values = requireClaims[claim];
    if (!Array.isArray(values) || values.length === 0 || values.some(v => typeof v !== 'string' || v.length === 0 || v.includes('*') || /[\u0000-\u001f\u007f]/.test(v))) {
      invalid(callee, `requireClaims.${claim}`, values, 'must be a non-empty list of exact, non-empty values (no \'*\', no control characters)');
    }
    result[claim] = sortedUnique(values);
  }
  return result;
}

/** @internal */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const PATH_TEMPLATE_SEGMENT = /^\{\*\*?\}$/;

/**
 * Istio path syntax: exact, prefix (`/a/*`), suffix (`*.json`) or path templates (`{*}`,
 * `{**}` as whole segments, `{**}` last), without query or fragment.
 */
export function checkPath(scope: IConstruct, path: string): void {
  const allowed = 'must be an Istio path: exact (\'/api/v1/charge\'), prefix (\'/api/orders/*\'), suffix (\'*.json\') or a template with whole-segment {*} or a final {**} (\'/api/{*}/items\'); no spaces, \'?\' or \'#\'';
  if (typeof path !== 'string' || path.length === 0 || /[\s?#]/.test(path)) {
    invalid(scope, 'paths', path, allowed);
  }
  // what Istio compares is the normalized request path: printable ASCII (anything else arrives
  // percent-encoded), `.` and `..` segments resolved, `%2F`/`%5C`/`%2E` decoded or rejected.
  // A pattern holding them never matches, or matches something else than it says
  if (!/^[\x21-\x7e]+$/.test(path)) {
    invalid(scope, 'paths', path, 'must be printable ASCII: NUL, control characters and non-ASCII letters arrive percent-encoded and never match',
      'write the path as it is sent, percent-encoded (for example \'/caf%C3%A9\')');
  }
  if (path.split('/').some(seg => seg === '.' || seg === '..') || /%(2e|2f|5c)/i.test(path) || path.includes('\\') || path.includes('//')) {
    invalid(scope, 'paths', path, 'must be a normalized path: no \'.\' or \'..\' segments, no \'//\', no backslash and no percent-encoded \'.\', \'/\' or backslash (Istio normalizes the request path before matching, so this pattern never matches what it says)',
      'write the path as the service sees it, for example \'/api/orders/*\'');
  }
  if (path === '*') {
    invalid(scope, 'paths', path, allowed, 'leave paths out to allow any path');
  }
  const stars = (path.match(/\*/g) ?? []).length;
  if (path.includes('{')) {
    const segments = path.split('/');
    const templates = segments.filter(s => s.includes('{') || s.includes('}'));
    const valid = path.startsWith('/')
      && templates.every(s => PATH_TEMPLATE_SEGMENT.test(s))
      && segments.filter(s => s === '{**}').length <= 1
      && (!segments.includes('{**}') || segments[segments.length - 1] === '{**}')
      && stars === templates.reduce((n, s) => n + s.length - 2, 0);
    if (!valid) {
      invalid(scope, 'paths', path, allowed);
    }
    return;
  }
  const prefix = path.startsWith('/') && (stars === 0 || (stars === 1 && path.endsWith('*')));
  const suffix = path.startsWith('*') && stars === 1 && path.length > 1;
  if (!prefix && !suffix) {
    invalid(scope, 'paths', path, allowed);
  }
}

/** Istio's path matching for `paths` (used by `IntentGraph.allows()`). @internal */
export function pathMatches(pattern: string, path: string): boolean {
  if (pattern.includes('{')) {
    const regex = pattern.split('/').map(s => (s === '{**}' ? '.*' : s === '{*}' ? '[^/]+' : escapeRegex(s))).join('/');
    return new RegExp(`^${regex}$`).test(path);
  }
  if (pattern.endsWith('*')) {
    return path.startsWith(pattern.slice(0, -1));
  }
  if (pattern.startsWith('*')) {
    return path.endsWith(pattern.slice(1));
  }
  return path === pattern;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Every required claim has one of its accepted values among the token's values. */
export function claimsMatch(required: { [claim: string]: string[] }, claims?: { [claim: string]: string[] }): boolean {
  return Object.keys(required).every(c => (claims?.[c] ?? []).some(v => required[c].includes(v)));
}
