import { ApiObject, Chart, DependencyGraph } from 'cdk8s';
import { IConstruct } from 'constructs';

/**
 * One synthesis, one pass. cdk8s 2.x (2.70.0 to 2.70.106 at least) starts `App.synth()` and
 * `App.synthYaml()` by validating the app and resolving its dependencies, then renders every chart
 * with `Chart.toJson()`, which validates the whole app and resolves its dependencies AGAIN before
 * rendering the chart: an app of 12 charts runs every validation 13 times, and walks every
 * dependency 13 times. Resolving expands each dependency between charts into one between every
 * pair of their objects (every layer chart depends on the namespaces chart: objects times
 * namespaces objects), so those walks grow with the square of the app.
 *
 * `trackSynthesis` wraps the app's `synth()` and `synthYaml()` so that, while one runs:
 * - `oncePerSynthesis` computes a validation once (its result cannot change while one synthesis
 *   runs: the intent graph is sealed when it starts, rendering only resolves values);
 * - each chart renders as `Chart.toJson()` does after its redundant validation and dependency
 *   resolution (`renderChart`: the same objects, in the same order), unless the construct tree
 *   changed since the synthesis started (then cdk8s' own `Chart.toJson()` runs).
 */

const WRAPPED = new WeakSet<object>();
/** The memo of an app while an outermost `synth()`/`synthYaml()` call on it runs. */
const RUNNING = new WeakMap<object, Map<string, unknown>>();
/** Apps whose `synth()`/`synthYaml()` runs (their charts render once). */
const RENDERING = new WeakSet<object>();
const METHODS = ['synth', 'synthYaml'] as const;
const CHART_TO_JSON = Chart.prototype.toJson;

/**
 * Makes the synthesis entry points of `scope`'s app (`synth()`, `synthYaml()`, when the root is
 * a cdk8s `App`) run as one pass (see above). Idempotent; any other root (a `Testing.chart()`
 * alone, a plain `Construct`) is left as it is, and its validations run on every pass.
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
        if (RENDERING.has(app)) return original.apply(this, args);
        RENDERING.add(app);
        const restore = renderChartsOnce(app);
        try {
          return asOneSynthesis(app, () => original.apply(this, args));
        } finally {
          restore();
          RENDERING.delete(app);
        }
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

/**
 * Lets every chart of `app` whose `toJson()` is cdk8s' own render with `renderChart` while the
 * construct tree is the one the synthesis started with; returns the function that restores them.
 */
function renderChartsOnce(app: IConstruct): () => void {
  const constructs = app.node.findAll().length;
  const charts = app.node.findAll().filter((c): c is Chart => Chart.isChart(c) && c.toJson === CHART_TO_JSON
    && !Object.prototype.hasOwnProperty.call(c, 'toJson'));
  for (const chart of charts) {
    Object.defineProperty(chart, 'toJson', {
      configurable: true,
      writable: true,
      enumerable: false,
      value: () => (app.node.findAll().length === constructs ? renderChart(chart) : CHART_TO_JSON.call(chart)),
    });
  }
  return () => charts.forEach(chart => delete (chart as any).toJson);
}

/**
 * The objects of `chart` as `Chart.toJson()` renders them once the app is validated and its
 * dependencies resolved (cdk8s' `chartToKube`): in dependency order, each object in its closest
 * chart only.
 *
 * @internal
 */
export function renderChart(chart: Chart): any[] {
  return new DependencyGraph(chart.node).topology()
    .filter(x => x instanceof ApiObject)
    .filter(x => Chart.of(x) === chart)
    .map(x => (x as ApiObject).toJson());
}
