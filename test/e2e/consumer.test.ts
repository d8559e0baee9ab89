/**
 * End to end, as a user: a fresh cdk8s app in a temporary folder installs the packed library
 * (`npm pack`, then `npm install --offline` of the tarball: it has no dependencies, only peers),
 * finds its peers (cdk8s, cdk8s-plus-27, constructs), cdk8s-cli and TypeScript in a node_modules
 * folder above it that links this repository's (so no registry is needed), compiles the
 * README's pipeline example verbatim as its main.ts, and runs the real cdk8s-cli:
 * `cdk8s synth`, `cdk8s synth --stdout` (parsed into documents, each valid) and
 * `cdk8s synth --validate`. Every TypeScript block of the README compiles (strict) and runs there.
 *
 * Needs the compiled library (lib/, `npx projen compile`; CI compiles before testing).
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { readmeSnippet } from '../support/readme';
import { expectValidManifests } from '../support/schemas';

const ROOT = path.resolve(__dirname, '..', '..');
const MODULES = path.join(ROOT, 'node_modules');
const CLI = ['--no-check-upgrade'];

function run(cwd: string, cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CDK8S_OUTDIR: undefined } as any, maxBuffer: 64 * 1024 * 1024 });
  } catch (e: any) {
    throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd} (exit ${e.status}):\n${e.stdout}\n${e.stderr}`);
  }
}

function documents(text: string): any[] {
  return parseAllDocuments(text).map(d => {
    if (d.errors.length > 0) throw new Error(`not a valid YAML stream: ${d.errors[0].message}`);
    return d.toJSON();
  }).filter(o => o !== null);
}

/** The README's Install section: the clone's build line ends in `npm pack`; the app installs one tarball. */
function readmeInstall(): { pack: string; tarball: string } {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Install\n'), readme.indexOf('\n## Quickstart\n'));
  const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map(m => m[1].trim());
  expect(blocks).toHaveLength(2);
  const [clone, app] = blocks;
  const lines = clone.split('\n');
  expect(lines[0]).toMatch(/^git clone https:\/\/github\.com\/cdk8s-zero-trust\/cdk8s-zero-trust\.git$/);
  const build = lines[1].replace(/\s+#.*$/, '');
  // exactly what .ci/run does on its fresh clone before this test: npm ci, then compile
  expect(build).toBe('cd cdk8s-zero-trust && npm ci && npx projen compile && npm pack');
  const m = /^npm install (\S+\.tgz)$/.exec(app);
  if (!m) throw new Error(`README Install: expected \`npm install <tarball>\`, got: ${app}`);
  return { pack: build.split(' && ').pop()!, tarball: m[1] };
}

describe('a fresh cdk8s app using the packed library', () => {
  let app: string;
  let packed: { filename: string; version: string };
  const cdk8s = (): string[] => [path.join(MODULES, 'cdk8s-cli', 'bin', 'cdk8s')];

  beforeAll(() => {
    if (!fs.existsSync(path.join(ROOT, 'lib', 'index.js'))) throw new Error('lib/ is missing: run npx projen compile first');
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'zero-trust-consumer-'));
    // what a project already has: the peers, the CLI, TypeScript (linked, no registry needed)
    fs.mkdirSync(path.join(root, 'node_modules', '@types'), { recursive: true });
    // cdk8s-plus-33: the README's block on existing workloads adopts a Deployment of another cdk8s-plus version
    for (const name of ['cdk8s', 'cdk8s-plus-27', 'cdk8s-plus-33', 'constructs', 'cdk8s-cli', 'typescript', '@types/node']) {
      fs.symlinkSync(path.join(MODULES, name), path.join(root, 'node_modules', name), 'dir');
    }
    app = path.join(root, 'app');
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
    // the README's Install commands: `npm pack` in the clone (this checkout, which CI cloned, ran
    // npm ci in and compiled: the README's first line), then `npm install ../cdk8s-zero-trust/<tgz>`
    // in the app beside it, as written; the test adds only flags that keep npm off the registry
    // (the peers are linked above)
    const install = readmeInstall();
    expect(install.pack).toBe('npm pack');
    const clone = path.join(root, 'cdk8s-zero-trust');
    fs.mkdirSync(clone);
    packed = JSON.parse(run(ROOT, 'npm', ['pack', '--json', '--pack-destination', clone]))[0];
    expect(install.tarball).toBe(`../cdk8s-zero-trust/${packed.filename}`);
    run(app, 'npm', ['install', install.tarball, '--offline', '--no-audit', '--no-fund', '--ignore-scripts', '--legacy-peer-deps']);
    // the README's pipeline example, verbatim, as the app
    fs.writeFileSync(path.join(app, 'main.ts'), readmeSnippet('## Pipelines'));
    fs.writeFileSync(path.join(app, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'commonjs', strict: true, esModuleInterop: true, skipLibCheck: true, types: ['node'] },
      files: ['main.ts'],
    }));
    run(app, 'node', [path.join(MODULES, 'typescript', 'bin', 'tsc'), '-p', '.']);
    // cdk8s.yaml as the README's Validation section declares the plugin
    fs.writeFileSync(path.join(app, 'cdk8s.yaml'), [
      'language: typescript',
      'app: node main.js',
      'validations:',
      '  - package: ./node_modules/cdk8s-zero-trust',
      `    version: ${packed.version}`,
      '    class: ZeroTrustValidation',
      '',
    ].join('\n'));
  }, 300_000);

  test('the package holds the compiled library and its schemas, and no tarball', () => {
    const installed = path.join(app, 'node_modules', 'cdk8s-zero-trust');
    expect(fs.lstatSync(installed).isSymbolicLink()).toBe(false);
    expect(JSON.parse(fs.readFileSync(path.join(app, 'package.json'), 'utf8')).dependencies).toEqual({ 'cdk8s-zero-trust': `file:../cdk8s-zero-trust/${packed.filename}` });
    for (const f of ['lib/index.js', 'lib/index.d.ts', 'schemas/k8s-v1.32.0.json.gz', 'schemas/k8s-v1.35.0.json.gz', 'schemas/crds.json.gz']) {
      expect(fs.existsSync(path.join(installed, f))).toBe(true);
    }
    expect(fs.readdirSync(installed).filter(f => f.endsWith('.tgz'))).toEqual([]);
  });

  test('cdk8s synth: one file per layer chart in apply order in dist/, the output files in dist-files/', () => {
    run(app, 'node', [...cdk8s(), 'synth', '--no-validate', ...CLI]);
    expect(fs.readdirSync(path.join(app, 'dist')).sort()).toEqual(['0000-namespaces.k8s.yaml', '0001-network.k8s.yaml', '0002-mesh.k8s.yaml', '0003-apps.k8s.yaml']);
    expect(fs.existsSync(path.join(app, 'dist-files', 'helm', 'falco-values.yaml'))).toBe(true);
    const objects = fs.readdirSync(path.join(app, 'dist')).sort().flatMap(f => documents(fs.readFileSync(path.join(app, 'dist', f), 'utf8')));
    expectValidManifests(objects);
  });

  test('cdk8s synth --stdout: one valid stream, every object once, in apply order', () => {
    const objects = documents(run(app, 'node', [...cdk8s(), 'synth', '--stdout', '--no-validate', ...CLI]));
    expectValidManifests(objects);
    const fromFiles = fs.readdirSync(path.join(app, 'dist')).sort().flatMap(f => documents(fs.readFileSync(path.join(app, 'dist', f), 'utf8')));
    expect(objects).toEqual(fromFiles);
    expect(objects[0].kind).toBe('Namespace');
    expect(objects.map(o => o.kind)).not.toContain('customRules'); // no Helm values in the stream
  });

  test('cdk8s synth --stdout with the validation plugin declared: stdout is still only the manifests, the report goes to stderr', () => {
    const r = spawnSync('node', [...cdk8s(), 'synth', '--stdout', ...CLI], { cwd: app, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    expect(r.status).toBe(0);
    const objects = documents(r.stdout);
    expectValidManifests(objects);
    const fromFiles = fs.readdirSync(path.join(app, 'dist')).sort().flatMap(f => documents(fs.readFileSync(path.join(app, 'dist', f), 'utf8')));
    expect(objects).toEqual(fromFiles);
    expect(r.stdout).not.toMatch(/Validation|Performing/);
    expect(r.stderr).toMatch(/Validation Report \(.*cdk8s-zero-trust@0\.0\.0\)/);
    expect(r.stderr).toMatch(/Status\s+│ success/);
    expect(r.stderr).toContain('Validations ended succesfully');
  });

  test('cdk8s synth --format helm --chart-version 1.0.0: Go\'s text/template (Helm\'s engine) renders the templates to exactly the objects, {{ included', () => {
    // the reference architecture: Vault agent templates and alert annotations hold {{
    fs.writeFileSync(path.join(app, 'ref.js'), [
      'const { App } = require("cdk8s");',
      'const { ReferenceArchitecture, Synthesis } = require("cdk8s-zero-trust");',
      'const app = new App();',
      'new ReferenceArchitecture(app, "reference");',
      'Synthesis.synth(app);',
    ].join('\n'));
    run(app, 'node', [...cdk8s(), 'synth', '--app', 'node ref.js', '--output', 'ref-dist', '--no-validate', ...CLI]);
    run(app, 'node', [...cdk8s(), 'synth', '--format', 'helm', '--chart-version', '1.0.0', '--app', 'node ref.js', '--output', 'ref-chart', '--no-validate', ...CLI]);
    const chart = path.join(app, 'ref-chart');
    expect(fs.readFileSync(path.join(chart, 'Chart.yaml'), 'utf8')).toMatch(/^version: "1\.0\.0"$/m);
    // the files for other systems beside the chart, not in it (helm package would ship them)
    expect(fs.readdirSync(chart).sort()).toEqual(['Chart.yaml', 'README.md', 'templates']);
    expect(fs.existsSync(path.join(app, 'ref-chart-files', 'vault', 'apply.sh'))).toBe(true);
    const templates = fs.readdirSync(path.join(chart, 'templates')).sort();
    expect(templates).toEqual(fs.readdirSync(path.join(app, 'ref-dist')).sort());
    expect(templates.some(f => fs.readFileSync(path.join(app, 'ref-dist', f), 'utf8').includes('{{'))).toBe(true);
    // render as Helm does (text/template; the chart uses no values) and compare with the plain synthesis
    const renderer = path.join(app, 'render-go-template');
    fs.mkdirSync(renderer, { recursive: true });
    fs.writeFileSync(path.join(renderer, 'main.go'), [
      'package main',
      'import ("os"; "text/template")',
      'func main() {',
      '  for _, f := range os.Args[1:] {',
      '    b, err := os.ReadFile(f); if err != nil { panic(err) }',
      '    t, err := template.New(f).Option("missingkey=error").Parse(string(b)); if err != nil { panic(err) }',
      '    os.Stdout.WriteString("---\\n"); if err := t.Execute(os.Stdout, nil); err != nil { panic(err) }',
      '  }',
      '}',
    ].join('\n'));
    const rendered = execFileSync('go', ['run', 'main.go', ...templates.map(f => path.join(chart, 'templates', f))],
      { cwd: renderer, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: { ...process.env, GO111MODULE: 'off' } });
    const plain = templates.flatMap(f => documents(fs.readFileSync(path.join(app, 'ref-dist', f), 'utf8')));
    expect(documents(rendered)).toEqual(plain);
    expectValidManifests(plain);
  }, 300_000);

  test('cdk8s synth --validate: the plugin runs from the installed package and passes', () => {
    const out = run(app, 'node', [...cdk8s(), 'synth', '--validate', ...CLI]);
    expect(out).toMatch(/Validation Report \(.*cdk8s-zero-trust@0\.0\.0\)/);
    expect(out).toMatch(/Status\s+│ success/);
    expect(out).toMatch(/schemas\s+│ Kubernetes v1\.32\.0, v1\.35\.0 and CRDs from the schemas shipped in cdk8s-zero-trust/);
    expect(out).toContain('Validations ended succesfully');
  });

  test('cdk8s synth --validate fails (exit 2) on a manifest that breaks the posture rules', () => {
    const bad = path.join(app, 'bad.js');
    fs.writeFileSync(bad, [
      'const { App, Chart, ApiObject } = require("cdk8s");',
      'const app = new App();',
      'const chart = new Chart(app, "helm");',
      'new ApiObject(chart, "pod", { apiVersion: "v1", kind: "Pod", metadata: { name: "root" }, spec: { containers: [{ name: "c", image: "nginx" }] } });',
      'app.synth();',
    ].join('\n'));
    let status = 0;
    let stdout = '';
    try {
      execFileSync('node', [...cdk8s(), 'synth', '--validate', '--app', 'node bad.js', '--output', 'bad-dist', ...CLI], { cwd: app, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e: any) {
      status = e.status;
      stdout = e.stdout;
    }
    expect(status).toBe(2);
    expect(stdout).toMatch(/Status\s+│ failure/);
    expect(stdout).toContain('image-pinned [error]');
    expect(stdout).toContain('Pod/root /spec/containers/0/image');
  });

  test('cdk8s synth --stdout --validate on a manifest that breaks the posture rules: exit 2, the report on stderr, stdout only the manifest', () => {
    const r = spawnSync('node', [...cdk8s(), 'synth', '--stdout', '--validate', '--app', 'node bad.js', ...CLI], { cwd: app, encoding: 'utf8' });
    expect(r.status).toBe(2);
    // the CLI exits before it finished piping the manifest: at most the Pod, never report text
    expect(r.stdout).not.toMatch(/Validation|Performing|Status/);
    expect(documents(r.stdout).map(o => `${o.kind}/${o.metadata.name}`)).not.toContain(expect.not.stringMatching(/^Pod\/root$/));
    expect(r.stderr).toMatch(/Status\s+│ failure/);
    expect(r.stderr).toContain('image-pinned [error]');
  });

  test('npx cdk8s-zero-trust, installed with the package: the README\'s diff and learn lines run as pasted and answer as the source does', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const lines = [...readme.matchAll(/```sh\n(npx cdk8s-zero-trust [^\n]*)\n```/g)].map(m => m[1]);
    expect(lines).toEqual(['npx cdk8s-zero-trust diff base/dist dist > zero-trust-diff.md', 'npx cdk8s-zero-trust learn dist access.log flows.json']);
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'zero-trust-cli-'));
    run(app, 'node', [...cdk8s(), 'synth', '--no-validate', ...CLI]);
    fs.cpSync(path.join(app, 'dist'), path.join(cwd, 'dist'), { recursive: true });
    fs.cpSync(path.join(app, 'dist'), path.join(cwd, 'base', 'dist'), { recursive: true });
    fs.copyFileSync(path.join(ROOT, 'test', 'cli', 'fixtures', 'istio-access-log.jsonl'), path.join(cwd, 'access.log'));
    fs.copyFileSync(path.join(ROOT, 'test', 'cli', 'fixtures', 'hubble-flows.json'), path.join(cwd, 'flows.json'));
    // the bin link npm made in the app, through a shell, as a pipeline step runs it (npx finds
    // node_modules/.bin of the app: the working directory is the app, the paths are the pasted ones)
    const shell = (line: string) => spawnSync('sh', ['-c', line.replace(/ (base\/dist|dist|access\.log|flows\.json|zero-trust-diff\.md)\b/g, ` ${cwd}/$1`)], {
      cwd: app, encoding: 'utf8', env: { ...process.env, npm_config_offline: 'true', npm_config_update_notifier: 'false' },
    });
    expect(fs.realpathSync(path.join(app, 'node_modules', '.bin', 'cdk8s-zero-trust'))).toBe(path.join(fs.realpathSync(app), 'node_modules', 'cdk8s-zero-trust', 'lib', 'cli', 'main.js'));
    const diff = shell(lines[0]);
    expect({ status: diff.status, stderr: diff.stderr }).toEqual({ status: 0, stderr: '' });
    const diffText = fs.readFileSync(path.join(cwd, 'zero-trust-diff.md'), 'utf8');
    expect(diffText).toContain('No change in what the objects allow.');
    const learn = shell(lines[1]);
    // the installed command answers exactly as the source's entry point does on the same files
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { run: source } = require(path.join(ROOT, 'lib', 'cli', 'main.js'));
    const expected = source(['learn', path.join(cwd, 'dist'), path.join(cwd, 'access.log'), path.join(cwd, 'flows.json')]);
    expect({ status: learn.status, stdout: learn.stdout, stderr: learn.stderr })
      .toEqual({ status: expected.code, stdout: expected.stdout, stderr: expected.stderr });
    expect(learn.stdout.length).toBeGreaterThan(0);
    expect(source(['diff', path.join(cwd, 'base', 'dist'), path.join(cwd, 'dist')]).stdout).toBe(diffText);
  }, 120_000);

  test('every TypeScript block of the README compiles (strict) against the package and runs', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map(m => m[1]);
    expect(blocks.length).toBeGreaterThanOrEqual(8);
    const dirs = blocks.map((block, i) => {
      const dir = path.join(app, 'readme', `block${i + 1}`);
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'main.ts'), block);
      return dir;
    });
    fs.writeFileSync(path.join(app, 'readme', 'tsconfig.json'), JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'commonjs', strict: true, esModuleInterop: true, skipLibCheck: true, types: ['node'] },
      include: ['*/main.ts'],
    }));
    run(path.join(app, 'readme'), 'node', [path.join(MODULES, 'typescript', 'bin', 'tsc'), '-p', '.']);
    for (const dir of dirs) {
      run(dir, 'node', ['main.js']);
      expect(fs.readdirSync(path.join(dir, 'dist')).filter(f => f.endsWith('.k8s.yaml')).length).toBeGreaterThan(0);
    }
  }, 300_000);
});
