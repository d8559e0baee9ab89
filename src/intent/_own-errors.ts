import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';

/**
 * The library's errors reach the user as thrown, also when they are raised while cdk8s
 * serializes an object (a lazily built spec reads the graph during `App.synth()`,
 * `App.synthYaml()` or `Chart.toJson()`/`Testing.synth()`): cdk8s's `ApiObject.toJson()`
 * replaces every error with `Failed serializing construct at path '...' with name '...':
 * Error: <message>`, which buries the construct path, prop, value and fix behind another
 * object's name. The API objects of an app holding a library construct rethrow the library's own
 * error instead (the same Error object, message and stack); errors that are not the library's
 * pass through unchanged.
 */

/** The library's most recent errors (raised by `invalid()`), newest last. */
const RECENT: Error[] = [];
const KEEP = 64;
const APPS = new WeakSet<IConstruct>();
const OBJECTS = new WeakSet<ApiObject>();
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
 * Makes the objects of `scope`'s app rethrow the library's own errors when they serialize: the
 * app gets a validation (once) that, when a synthesis starts (`App.synth()`, `App.synthYaml()`,
 * `Chart.toJson()` and `Testing.synth()` validate the app first), wraps the `toJson()` of every
 * API object then in the app (each once). Charts and the app are left untouched. Idempotent; a
 * scope outside a construct tree (a static factory's) is left alone.
 *
 * @internal
 */
export function surfaceOwnErrors(scope: IConstruct): void {
  const root = (scope?.node as { root?: IConstruct } | undefined)?.root;
  if (!root?.node || typeof root.node.addValidation !== 'function' || APPS.has(root)) return;
  APPS.add(root);
  root.node.addValidation({
    validate: () => {
      for (const c of root.node.findAll()) {
        if (ApiObject.isApiObject(c)) unwrapping(c);
      }
      return [];
    },
  });
}

function unwrapping(obj: ApiObject): void {
  if (OBJECTS.has(obj)) return;
  OBJECTS.add(obj);
  const original = obj.toJson;
  Object.defineProperty(obj, 'toJson', {
    configurable: true,
    writable: true,
    enumerable: false,
    value: function toJson(this: ApiObject) {
      try {
        return original.call(this);
      } catch (e) {
        throw ownError(e) ?? e;
      }
    },
  });
}
