import * as fs from 'fs';
import * as path from 'path';
import { App } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { defaultFilesDir, isInside } from './_cdk8s-cli';
import { guardArgs, guardProps, staticScope } from './_guards';
import { invalid } from './_validation';

/**
 * Properties of an output file.
 */
export interface OutputFileProps {
  /**
   * The file's path relative to the output files folder, in a sub-folder (for example
   * `vault/production/order-service.policy.hcl`).
   */
  readonly path: string;
}

const OUTPUT_FILE = Symbol.for('cdk8s-zero-trust.OutputFile');
const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

/**
 * Checks the path of an output file (a relative path in a sub-folder, plain segments) under the
 * name of the prop the user wrote.
 *
 * @internal
 */
export function checkOutputPath(scope: IConstruct, prop: string, value: unknown): string {
  const segments = typeof value === 'string' ? value.split('/') : [];
  if (segments.length < 2 || !segments.every(s => SEGMENT.test(s))) {
    invalid(scope, prop, value,
      'must be a relative path in a sub-folder (at least \'folder/file\'), each segment made of letters, digits, \'.\', \'_\' or \'-\' and not starting with \'.\' or \'-\'',
      'for example \'vault/production/order-service.policy.hcl\'');
  }
  return segments.join('/');
}

/**
 * A file the app writes beside its Kubernetes manifests: configuration for systems outside
 * the cluster's API (Vault policies and roles, Helm values), derived from the same constructs.
 *
 * Subclasses render the contents at synthesis time. `Synthesis.synth(app)` (or
 * `OutputFile.synthAll(app)` after `app.synth()`) writes every output file of an app into a
 * folder of its own, `dist-files/` beside `dist/` by default, never among the manifests.
 *
 * @example
 * app.synth();
 * OutputFile.synthAll(app);
 */
export abstract class OutputFile extends Construct {
  /** Whether `x` is an OutputFile. */
  public static isOutputFile(x: any): x is OutputFile {
    return x !== null && typeof x === 'object' && OUTPUT_FILE in x;
  }

  /**
   * Every output file of `scope`'s tree, sorted by path. Two files with the same path are an
   * error.
   */
  public static of(scope: IConstruct): OutputFile[] {
    guardArgs(staticScope('OutputFile.of'), 'OutputFile', 'of', [scope]);
    const files = scope.node.findAll().filter(OutputFile.isOutputFile);
    const byPath = new Map<string, OutputFile>();
    for (const file of files) {
      const other = byPath.get(file.relativePath);
      if (other) {
        invalid(file, 'path', file.relativePath, `${other.node.path} already writes this file`, 'give each output file its own path');
      }
      byPath.set(file.relativePath, file);
    }
    return [...byPath.keys()].sort().map(p => byPath.get(p)!);
  }

  /**
   * Writes every output file of `app` below `outdir`, creating folders as needed.
   *
   * The folder is never the manifests folder (`app.outdir`) nor inside it: `cdk8s synth
   * --stdout` prints every `*.yaml` below that folder, so a Helm values file there would end up
   * inside the last Kubernetes object, and `kubectl apply -R -f dist/` would apply it.
   *
   * @param app the app
   * @param outdir the folder for the files
   * @default outdir - `<app.outdir>-files` beside the manifests folder (`dist-files` for
   * `dist`); under `cdk8s synth --stdout`, whose manifests folder is temporary, `dist-files` in
   * the current folder
   * @returns the paths written, relative to `outdir`, sorted
   */
  public static synthAll(app: App, outdir?: string): string[] {
    guardArgs(staticScope('OutputFile.synthAll'), 'OutputFile', 'synthAll', [app, outdir]);
    const root = outdir ?? defaultFilesDir(app.outdir);
    if (isInside(root, app.outdir)) {
      throw new Error(`invalid output files folder ${JSON.stringify(root)}: it is inside the app's manifests folder ${JSON.stringify(app.outdir)}, `
        + 'where `cdk8s synth --stdout` would print every *.yaml file as Kubernetes objects; give a folder beside it, for example '
        + `${JSON.stringify(defaultFilesDir(app.outdir))} (the default)`);
    }
    return OutputFile.of(app).map(file => {
      const target = path.join(root, file.relativePath);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, file.renderContents());
      return file.relativePath;
    });
  }

  /** The path relative to the output directory. */
  public readonly relativePath: string;

  public constructor(scope: Construct, id: string, props: OutputFileProps) {
    super(scope, id);
    guardProps(this, 'OutputFile', props);
    Object.defineProperty(this, OUTPUT_FILE, { value: true });
    this.relativePath = checkOutputPath(this, 'path', props?.path);
  }

  /** The file's contents, rendered at synthesis time. */
  public abstract renderContents(): string;
}
