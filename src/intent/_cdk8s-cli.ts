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
 * Where output files go by default: `<outdir>-files` beside the manifests folder (`dist-files`
 * for `dist`), or `dist-files` in the current folder under `cdk8s synth --stdout` (whose
 * manifests folder is deleted after printing).
 *
 * @internal
 */
export function defaultFilesDir(outdir: string): string {
  if (isCdk8sStdoutDir(outdir)) return path.resolve('dist-files');
  const abs = path.resolve(outdir);
  return path.join(path.dirname(abs), `${path.basename(abs)}-files`);
}

/** Whether `child` is `parent` or inside it. @internal */
export function isInside(child: string, parent: string): boolean {
  const rel = path.relative(path.resolve(parent), path.resolve(child));
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
