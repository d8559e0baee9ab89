import { App, Chart, Testing } from 'cdk8s';
import { expectValidManifests } from './schemas';
import { asOneSynthesis, renderChart } from '../../src/intent/_synthesis-memo';

/**
 * Every chart of an app rendered like `Testing.synth`, in dependency order, as ONE synthesis (as
 * `App.synth()` renders them): the app's validations that hold for a whole synthesis (the effect
 * check) run once, not once per chart.
 */
export function synthCharts(app: App): any[] {
  return synthEachChart(app).flatMap(([, manifests]) => manifests);
}

/**
 * Each chart of an app (in `app.charts` order) with its objects, rendered in ONE synthesis as
 * `App.synth()` renders them: the first chart by `Testing.synth`, which resolves the app's
 * dependencies and runs every validation of the app, the others as `Testing.synth` renders them
 * once that is done (the same objects, in the same order; cdk8s would resolve and validate the
 * whole app again for each chart).
 */
export function synthEachChart(app: App): [Chart, any[]][] {
  return asOneSynthesis(app, () => app.charts.map((chart, i) => [chart, i === 0 ? Testing.synth(chart) : renderChart(chart)]));
}

/**
 * Synthesizes a chart like `Testing.synth` and validates every object against the Kubernetes
 * 1.32 and 1.35 schemas and the pinned CRD schemas (unknown fields rejected).
 */
export function synthValid(chart: Chart): any[] {
  const manifests = Testing.synth(chart);
  expectValidManifests(manifests);
  return manifests;
}

/** Synthesizes (and validates) every chart of an app, in dependency order. */
export function synthAppValid(app: App): any[] {
  const manifests = synthCharts(app);
  expectValidManifests(manifests);
  return manifests;
}

/** The one object of `kind` named `name` (in `namespace` when given). */
export function find(manifests: any[], kind: string, name: string, namespace?: string): any {
  const found = manifests.filter(m => m.kind === kind && m.metadata?.name === name
    && (namespace === undefined || m.metadata?.namespace === namespace));
  if (found.length !== 1) {
    throw new Error(`expected exactly one ${kind} ${namespace ?? '*'}/${name}, found ${found.length}`);
  }
  return found[0];
}

export function ofKind(manifests: any[], kind: string): any[] {
  return manifests.filter(m => m.kind === kind);
}
