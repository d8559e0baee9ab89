import * as fs from 'fs';
import * as path from 'path';
import { App, Chart, Names, YamlOutputType } from 'cdk8s';
import { IConstruct } from 'constructs';
import { defaultFilesDir, helmLiteral, isCdk8sHelmTemplatesDir, isCdk8sStdoutDir } from './_cdk8s-cli';
import { guardArgs, staticScope } from './_guards';
import { asOneSynthesis } from './_synthesis-memo';
import { IntentGraph, Layer } from './intent-graph';
import { OutputFile } from './output-file';

/**
 * Options of `Synthesis.synth()`.
 */
export interface SynthesisOptions {
  /**
   * The folder for the files of systems outside the Kubernetes API (`OutputFile`s: Vault
   * policies and roles, Helm values, meshConfig snippets). Never the manifests folder nor
   * inside it.
   *
   * @default - `<app.outdir>-files` beside the manifests folder (`dist-files` for `dist`);
   * `dist-files` in the current folder under `cdk8s synth --stdout`
   */
  readonly filesOutdir?: string;

  /**
   * Write every manifest into one file, `app.k8s.yaml`, in apply order, instead of one file per
   * chart.
   *
   * `cdk8s synth --stdout` (cdk8s-cli 2.x) pipes all manifest files to stdout at once: without
   * `---` between files (cdk8s-team/cdk8s-cli#943) and, for files over 64 KiB, interleaved
   * mid-document. One file is the only output it prints correctly.
   *
   * @default - true under `cdk8s synth --stdout` (detected from `CDK8S_OUTDIR`, a fresh
   * `cdk8s-*` folder in the OS temp folder), false otherwise
   */
  readonly singleManifest?: boolean;

  /**
   * Write the manifests as Helm chart templates: every `{{` becomes ``{{`{{`}}``, so that Helm,
   * which renders `templates/*` as Go templates, outputs exactly the synthesized objects (Vault
   * agent templates and Prometheus alert annotations hold `{{`; cdk8s-cli copies them as they are).
   *
   * @default - true under `cdk8s synth --format helm` (the output folder is `templates/` beside
   * the `Chart.yaml` the CLI writes), false otherwise
   */
  readonly helmTemplates?: boolean;
}

/**
 * What `Synthesis.synth()` wrote.
 */
export interface SynthesisResult {
  /** The manifest files, relative to the app's output folder, in apply order. */
  readonly manifests: string[];
  /** The folder the output files were written to (absolute). */
  readonly filesOutdir: string;
  /** The output files, relative to `filesOutdir`, sorted. */
  readonly files: string[];
}

/**
 * Synthesizes an app for `kubectl apply` and for pipelines: manifests in apply order, output
 * files in a folder of their own, safe in every `cdk8s synth` mode.
 *
 * - One file per chart, numbered in apply order (`0000-namespaces.k8s.yaml`, ...): the charts
 *   given as `IntentGraphProps.layers` follow `Synthesis.LAYER_APPLY_ORDER`, every other chart
 *   keeps its place. Without it, charts without dependencies come out unnumbered and
 *   `kubectl apply -f dist/` applies them alphabetically (`apps` before `namespaces`).
 * - Under `cdk8s synth --stdout`, one file (see `SynthesisOptions.singleManifest`).
 * - Under `cdk8s synth --format helm`, templates Helm renders to exactly the objects (see
 *   `SynthesisOptions.helmTemplates`), the output files beside the chart folder.
 * - `OutputFile`s beside the manifests folder, never in it.
 *
 * @example
 * const app = new App();
 * // ... charts, IntentGraph with layers, constructs ...
 * Synthesis.synth(app); // instead of app.synth()
 */
export class Synthesis {
  /**
   * The order layers are applied in: admission policies, identities, network and mesh policies,
   * alerts and detection rules exist before any workload starts.
   */
  public static readonly LAYER_APPLY_ORDER: Layer[] = [
    Layer.NAMESPACES, Layer.POLICY_TEMPLATES, Layer.POLICY, Layer.IDENTITY, Layer.NETWORK, Layer.EDGE,
    Layer.MESH, Layer.SECRETS, Layer.MONITORING, Layer.RUNTIME, Layer.WORKLOADS,
  ];

  /**
   * The app's charts in apply order: cdk8s' order (which respects chart dependencies), with the
   * intent graph's layer charts rearranged among themselves by `LAYER_APPLY_ORDER`.
   *
   * Throws when that order would apply a chart before one it depends on.
   */
  public static applyOrder(app: App): Chart[] {
    guardArgs(staticScope('Synthesis.applyOrder'), 'Synthesis', 'applyOrder', [app]);
    const charts = app.charts;
    const graph = IntentGraph.tryOf(app);
    const rank = new Map<Chart, number>();
    if (graph) {
      Synthesis.LAYER_APPLY_ORDER.forEach((layer, i) => {
        const scope = graph.layerScope(layer);
        const chart = scope ? chartOf(scope) : undefined;
        if (chart && !rank.has(chart)) rank.set(chart, i);
      });
    }
    const slots = charts.map((c, i) => (rank.has(c) ? i : -1)).filter(i => i >= 0);
    const layered = slots.map(i => charts[i]).sort((a, b) => rank.get(a)! - rank.get(b)! || charts.indexOf(a) - charts.indexOf(b));
    const ordered = [...charts];
    slots.forEach((slot, k) => { ordered[slot] = layered[k]; });

    const position = new Map(ordered.map((c, i) => [c, i]));
    for (const chart of ordered) {
      for (const dep of chart.node.dependencies) {
        const target = chartOf(dep);
        if (target && target !== chart && position.get(target)! > position.get(chart)!) {
          throw new Error(`[${chart.node.path}] cannot be applied in layer order: it depends on chart ${target.node.path}${Synthesis.describe(target, graph)}, `
            + `which the layer order applies after it; remove the dependency, or place both in layers that are applied in the dependency's order (${Synthesis.LAYER_APPLY_ORDER.join(' → ')})`);
        }
      }
    }
    return ordered;
  }

  /**
   * Synthesizes `app` (instead of `app.synth()`): one manifest file per chart in apply order
   * (or one file, see `SynthesisOptions.singleManifest`), then every `OutputFile` into
   * `filesOutdir`.
   *
   * The app must use `YamlOutputType.FILE_PER_CHART` (the default).
   */
  public static synth(app: App, options: SynthesisOptions = {}): SynthesisResult {
    guardArgs(staticScope('Synthesis.synth'), 'Synthesis', 'synth', [app, options]);
    // the manifests and the output files (the evidence reads the effect check's findings) are one synthesis
    return asOneSynthesis(app, () => Synthesis.synthOnce(app, options));
  }

  private static synthOnce(app: App, options: SynthesisOptions): SynthesisResult {
    if (app.yamlOutputType !== YamlOutputType.FILE_PER_CHART) {
      throw new Error(`Synthesis.synth writes one file per chart in apply order, so the App must use yamlOutputType FILE_PER_CHART (the default), got ${YamlOutputType[app.yamlOutputType]}; `
        + 'leave yamlOutputType out (FILE_PER_RESOURCE loses the order)');
    }
    const single = options.singleManifest ?? isCdk8sStdoutDir(app.outdir);
    const helm = options.helmTemplates ?? isCdk8sHelmTemplatesDir(app.outdir);
    app.synth();

    // the files cdk8s wrote: `<label><ext>`, or `<index>-<label><ext>` once any chart depends on another
    const charts = app.charts;
    const ext = app.outputFileExtension;
    const indexed = charts.some(c => c.node.dependencies.some(d => Chart.isChart(d)));
    const written = new Map(charts.map((c, i) => [c, `${indexed ? `${pad(i)}-` : ''}${Names.toDnsLabel(c)}${ext}`]));
    for (const file of written.values()) {
      if (!fs.existsSync(path.join(app.outdir, file))) {
        throw new Error(`Synthesis.synth: cdk8s did not write ${file} in ${app.outdir}; the installed cdk8s names chart files differently than 2.70 does`);
      }
    }

    const ordered = Synthesis.applyOrder(app);
    let manifests: string[];
    if (single) {
      const parts = ordered.map(c => fs.readFileSync(path.join(app.outdir, written.get(c)!), 'utf8')).filter(t => t.trim() !== '');
      ordered.forEach(c => fs.rmSync(path.join(app.outdir, written.get(c)!)));
      const file = `app${ext}`;
      fs.writeFileSync(path.join(app.outdir, file), parts.map(t => (t.endsWith('\n') ? t : `${t}\n`)).join('---\n'));
      manifests = [file];
    } else {
      // two steps, so that a new name never overwrites a file not renamed yet
      const staged = ordered.map((c, i) => {
        const tmp = `.${pad(i)}-${process.pid}.tmp`;
        fs.renameSync(path.join(app.outdir, written.get(c)!), path.join(app.outdir, tmp));
        return tmp;
      });
      manifests = ordered.map((c, i) => {
        const file = `${pad(i)}-${Names.toDnsLabel(c)}${ext}`;
        fs.renameSync(path.join(app.outdir, staged[i]), path.join(app.outdir, file));
        return file;
      });
    }

    if (helm) {
      for (const file of manifests) {
        const at = path.join(app.outdir, file);
        fs.writeFileSync(at, helmLiteral(fs.readFileSync(at, 'utf8')));
      }
    }

    const filesOutdir = path.resolve(options.filesOutdir ?? defaultFilesDir(app.outdir));
    const files = OutputFile.synthAll(app, filesOutdir);
    return { manifests, filesOutdir, files };
  }

  private static describe(chart: Chart, graph: IntentGraph | undefined): string {
    const layers = graph ? Synthesis.LAYER_APPLY_ORDER.filter(l => {
      const scope = graph.layerScope(l);
      return scope !== undefined && chartOf(scope) === chart;
    }) : [];
    return layers.length > 0 ? ` (layer ${layers.join(', ')})` : '';
  }

  private constructor() {}
}

function chartOf(scope: IConstruct): Chart | undefined {
  for (let c: IConstruct | undefined = scope; c; c = c.node.scope) {
    if (Chart.isChart(c)) return c;
  }
  return undefined;
}

function pad(i: number): string {
  return i.toString().padStart(4, '0');
}
