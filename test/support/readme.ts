/**
 * Runs the README's examples against this checkout's sources, so that what the README shows is
 * what the library does.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vm from 'vm';
import * as cdk8s from 'cdk8s';
import * as kplus33 from 'cdk8s-plus-33';
import * as ts from 'typescript';
import * as lib from '../../src';

/** The first ```ts block after `heading` in the README. */
export function readmeSnippet(heading: string): string {
  const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
  const at = readme.indexOf(heading);
  if (at < 0) throw new Error(`no heading ${heading} in README.md`);
  const match = readme.slice(at).match(/```ts\n([\s\S]*?)```/);
  if (!match) throw new Error(`no ts block after ${heading} in README.md`);
  return match[1];
}

/**
 * Runs a README fragment (no imports) in a context holding `globals`: the names the fragment
 * uses but the README defines elsewhere (a chart, a namespace, ...).
 */
export function runReadmeFragment(code: string, globals: Record<string, unknown>): void {
  const js = ts.transpileModule(code, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
  vm.runInNewContext(js, { ...globals });
}

/**
 * Runs a whole README program (with its imports of `cdk8s` and `cdk8s-zero-trust`) and returns
 * the App it defines, whose output directory is a fresh temporary folder.
 */
export function runReadmeApp(code: string): cdk8s.App {
  let captured: cdk8s.App | undefined;
  const App = class extends cdk8s.App {
    constructor(props?: cdk8s.AppProps) {
      super({ ...props, outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'readme-')) });
      captured = this;
    }
  };
  const modules: Record<string, unknown> = { 'cdk8s': { ...cdk8s, App }, 'cdk8s-zero-trust': lib, 'cdk8s-plus-33': kplus33 };
  const exports = {};
  const requireFromSnippet = (m: string) => {
    if (!(m in modules)) throw new Error(`the README snippet imports ${m}; only ${Object.keys(modules).join(', ')} are provided`);
    return modules[m];
  };
  runReadmeFragment(code, { require: requireFromSnippet, exports, module: { exports } });
  if (!captured) throw new Error('the snippet defines no App');
  return captured;
}
