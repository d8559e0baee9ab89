import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

function real(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

/**
 * Whether `outdir` is the folder `cdk8s synth --stdout` synthesizes into: cdk8s-cli 2.x sets
 * `CDK8S_OUTDIR` to a fresh `cdk8s-XXXXXX` folder in the OS temp folder, prints every `*.yaml`
 * below it and deletes it (`lib/cli/cmds/synth.js`, `lib/util.js` `mkdtemp`).
 *
 * @internal
 */
export function isCdk8sStdoutDir(outdir: string): boolean {
  const env = process.env.CDK8S_OUTDIR;
  if (!env || real(env) !== real(outdir)) return false;
  const dir = real(outdir);
  return path.dirname(dir) === real(os.tmpdir()) && /^cdk8s-[A-Za-z0-9]{6}$/.test(path.basename(dir));
}

/**
 * Whether `outdir` is the `templates/` folder of a chart `cdk8s synth --format helm` writes:
 * cdk8s-cli 2.x writes `Chart.yaml` into the output folder first, then synthesizes into its
 * `templates/` (`lib/cli/cmds/synth.js`, `createHelmScaffolding`).
 *
 * @internal
 */
export function isCdk8sHelmTemplatesDir(outdir: string): boolean {
  const env = process.env.CDK8S_OUTDIR;
  if (!env || real(env) !== real(outdir)) return false;
  const dir = path.resolve(outdir);
  return path.basename(dir) === 'templates' && fs.existsSync(path.join(path.dirname(dir), 'Chart.yaml'));
}

/**
 * Text that Helm renders to exactly `text`: Helm evaluates `templates/*` as Go templates, so every
 * `{{` (Vault agent templates, Prometheus alert annotations, ...) becomes an action printing it
 * (a raw string, no quotes, so a quoted YAML scalar stays valid).
 *
 * @internal
 */
export function helmLiteral(text: string): string {
  return text.split('{{').join('{{`{{`}}');
}

/**
 * Where output files go by default: `<outdir>-files` beside the manifests folder (`dist-files`
 * for `dist`), `dist-files` in the current folder under `cdk8s synth --stdout` (whose
 * manifests folder is deleted after printing), `<chart>-files` beside the chart folder under
 * `cdk8s synth --format helm`.
 *
 * @internal
 */
export function defaultFilesDir(outdir: string): string {
  if (isCdk8sStdoutDir(outdir)) return path.resolve('dist-files');
  // beside the chart folder, not in it (`helm package` would ship them)
  const abs = isCdk8sHelmTemplatesDir(outdir) ? path.dirname(path.resolve(outdir)) : path.resolve(outdir);
  return path.join(path.dirname(abs), `${path.basename(abs)}-files`);
}

/** Whether `child` is `parent` or inside it. @internal */
export function isInside(child: string, parent: string): boolean {
  const rel = path.relative(path.resolve(parent), path.resolve(child));
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
