import { IConstruct } from 'constructs';

/**
 * cdk8s 2.x validates the whole app at the start of `App.synth()` and `App.synthYaml()`, and
 * again for every chart it renders (`Chart.toJson()` validates the app before resolving the
 * chart): an app of 12 charts runs every validation 13 times in one synthesis. A validation
 * whose result cannot change while one synthesis runs (the intent graph is sealed when it
 * starts; rendering only resolves values) computes it once per synthesis with
 * `oncePerSynthesis`, which needs `trackSynthesis` on the app first.
 */

const WRAPPED = new WeakSet<object>();
/** The memo of an app while an outermost `synth()`/`synthYaml()` call on it runs. */
const RUNNING = new WeakMap<object, Map<string, unknown>>();
const METHODS = ['synth', 'synthYaml'] as const;

/**
 * Makes the synthesis entry points of `scope`'s app (`synth()`, `synthYaml()`, when the root is
 * a cdk8s `App`) delimit one synthesis for `oncePerSynthesis`. Idempotent; any other root (a
 * `Testing.chart()` alone, a plain `Construct`) is left as it is, and its validations run on
 * every pass.
 *
 * @internal
 */
export function trackSynthesis(scope: IConstruct): void {
  const app: any = scope.node.root;
  if (WRAPPED.has(app)) return;
  WRAPPED.add(app);
  for (const method of METHODS) {
    const original = app[method];
    if (typeof original !== 'function') continue;
    Object.defineProperty(app, method, {
      configurable: true,
      writable: true,
      enumerable: false,
      value: function synthesis(this: unknown, ...args: unknown[]) {
        return asOneSynthesis(app, () => original.apply(this, args));
      },
    });
  }
}

/**
 * Runs `render` as one synthesis of `scope`'s app: what `oncePerSynthesis` computes is computed
 * once for all of it, as in `App.synth()`. For callers that render the charts one by one
 * (`app.charts.flatMap(c => Testing.synth(c))` validates the whole app once per chart); nothing
 * may change the app while `render` runs. Nested calls join the outermost synthesis.
 *
 * @internal
 */
export function asOneSynthesis<T>(scope: IConstruct, render: () => T): T {
  const app = scope.node.root;
  const outermost = !RUNNING.has(app);
  if (outermost) RUNNING.set(app, new Map());
  try {
    return render();
  } finally {
    if (outermost) RUNNING.delete(app);
  }
}

/**
 * `compute()`'s result, computed once per synthesis of `scope`'s app under `key` (every call
 * outside a tracked synthesis computes it again).
 *
 * @internal
 */
export function oncePerSynthesis<T>(scope: IConstruct, key: string, compute: () => T): T {
  const memo = RUNNING.get(scope.node.root);
  if (!memo) return compute();
  if (!memo.has(key)) memo.set(key, compute());
  return memo.get(key) as T;
}
