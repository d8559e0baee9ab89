import { IConstruct } from 'constructs';

/**
 * The library's errors reach the user as thrown, also when they are raised while cdk8s
 * serializes an object (a lazily built spec reads the graph during `App.synth()`,
 * `App.synthYaml()` or `Chart.toJson()`/`Testing.synth()`): cdk8s's `ApiObject.toJson()`
 * replaces every error with `Failed serializing construct at path '...' with name '...':
 * Error: <message>`, which buries the construct path, prop, value and fix behind another
 * object's name. The synthesis entry points of the app and of each chart holding a library
 * construct rethrow the library's own error instead (the same Error object, message and stack).
 * Errors that are not the library's pass through unchanged.
 */

/** The library's most recent errors (raised by `invalid()`), newest last. */
const RECENT: Error[] = [];
const KEEP = 64;
const WRAPPED = new WeakMap<object, Set<string>>();
const SERIALIZING = 'Failed serializing construct at path ';

/** Records an error the library is about to throw; returns it. @internal */
export function remember(error: Error): Error {
  RECENT.push(error);
  if (RECENT.length > KEEP) RECENT.shift();
  return error;
}

/** The library's own error behind cdk8s's serialization wrappers (nested ones too), or undefined. @internal */
export function ownError(error: unknown): Error | undefined {
  if (!(error instanceof Error) || !error.message.startsWith(SERIALIZING)) return undefined;
  for (let i = RECENT.length - 1; i >= 0; i--) {
    if (error.message.endsWith(`: ${String(RECENT[i])}`)) return RECENT[i];
  }
  return undefined;
}

/**
 * Makes the synthesis entry points that serialize `scope` (its app's `synth()` and
 * `synthYaml()`, its chart's `toJson()`) rethrow the library's own errors. Idempotent; a scope
 * outside a construct tree (a static factory's) is left alone.
 *
 * @internal
 */
export function surfaceOwnErrors(scope: IConstruct): void {
  const node = scope?.node as { root?: IConstruct; scopes?: IConstruct[] } | undefined;
  if (!node?.root || !Array.isArray(node.scopes)) return;
  wrap(node.root, ['synth', 'synthYaml']);
  // the innermost chart holding the construct (Chart.toJson() renders it, Testing.synth() calls it)
  const chart = [...node.scopes].reverse().find(s => (s as { toJson?: unknown }).toJson !== undefined && Symbol.for('cdk8s.Chart') in s);
  if (chart) wrap(chart, ['toJson']);
}

function wrap(target: object, methods: string[]): void {
  const done = WRAPPED.get(target) ?? new Set<string>();
  WRAPPED.set(target, done);
  for (const method of methods) {
    const original = (target as { [m: string]: unknown })[method];
    if (done.has(method) || typeof original !== 'function') continue;
    done.add(method);
    Object.defineProperty(target, method, {
      configurable: true,
      writable: true,
      enumerable: false,
      value: function unwrapping(this: unknown, ...args: unknown[]) {
        try {
          return original.apply(this, args);
        } catch (e) {
          throw ownError(e) ?? e;
        }
      },
    });
  }
}
