/**
 * The package as npm would publish it (`npm pack`): only what runs, at most 4 MB unpacked, and
 * `require('cdk8s-zero-trust')` cheap (lib/index.js loads each module on first use, see
 * projenrc/lazy-index.js) yet exporting exactly what src/index.ts exports.
 *
 * Needs the compiled library (lib/, `npx projen compile`); run by `npx projen test:e2e`.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';

const ROOT = path.resolve(__dirname, '..', '..');
const LIB = path.join(ROOT, 'lib');

interface Packed { unpackedSize: number; files: Array<{ path: string; size: number }> }

function libFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap(e => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? libFiles(full) : [full];
  });
}

describe('the packed library', () => {
  let packed: Packed;

  beforeAll(() => {
    if (!fs.existsSync(path.join(LIB, 'index.js'))) throw new Error('lib/ is missing: run npx projen compile first');
    packed = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }))[0];
  }, 120_000);

  test('is at most 4 MB unpacked and holds what runs: lib/, schemas, the jsii assembly, README, LICENSE', () => {
    expect(packed.unpackedSize).toBeLessThanOrEqual(4_000_000);
    const top = [...new Set(packed.files.map(f => f.path.split('/')[0]))].sort();
    expect(top).toEqual(['.jsii', '.jsii.gz', 'LICENSE', 'README.md', 'docs', 'lib', 'package.json', 'schemas']);
    const paths = packed.files.map(f => f.path);
    expect(paths.filter(p => /\.(map|tgz|ts)$/.test(p) && !p.endsWith('.d.ts'))).toEqual([]);
    expect(paths).not.toContain('API.md');
    // no inline source maps either
    const withMaps = libFiles(LIB).filter(f => f.endsWith('.js') && fs.readFileSync(f, 'utf8').includes('sourceMappingURL='));
    expect(withMaps).toEqual([]);
  });

  test('every generated CRD binding it ships is used by the library (unused kinds are not generated)', () => {
    const bindings = packed.files.map(f => f.path).filter(p => /^lib\/imports\/[^/]+\.js$/.test(p)).map(p => path.basename(p, '.js'));
    expect(bindings.length).toBeGreaterThan(0);
    const code = libFiles(LIB).filter(f => f.endsWith('.js') && !f.includes(`${path.sep}imports${path.sep}`)).map(f => fs.readFileSync(f, 'utf8')).join('\n');
    for (const b of bindings) expect({ binding: b, used: code.includes(`require("../imports/${b}")`) }).toEqual({ binding: b, used: true });
    // and each file holds only the kinds the library writes (imports/sources.json "bindings")
    const kinds = (b: string) => [...fs.readFileSync(path.join(LIB, 'imports', `${b}.js`), 'utf8').matchAll(/^class (\w+) extends cdk8s_1\.ApiObject/gm)].map(m => m[1]).sort();
    expect(kinds('istio-networking')).toEqual(['ServiceEntry', 'Sidecar']);
    expect(kinds('cilium')).toEqual(['CiliumNetworkPolicy']);
    expect(kinds('external-secrets')).toEqual(['ExternalSecret', 'SecretStore']);
    expect(kinds('prometheus-operator')).toEqual(['PodMonitor', 'PrometheusRule']);
    expect(bindings).not.toContain('gatekeeper-mutations');
  });

  test('require() loads no module of the library, its peers or the validator until an export is read', () => {
    const probe = [
      'const c = process.cpuUsage();',
      'const before = new Set(Object.keys(require.cache));',
      `const lib = require(${JSON.stringify(ROOT)});`,
      'const u = process.cpuUsage(c);',
      'const loaded = Object.keys(require.cache).filter(f => !before.has(f));',
      'const cpuMs = (u.user + u.system) / 1000;',
      'const n = Object.keys(lib).length;',
      'const g = lib.IntentGraph;',
      'const after = Object.keys(require.cache).filter(f => !before.has(f));',
      'console.log(JSON.stringify({ loaded, cpuMs, n, graph: typeof g, after: after.length }));',
    ].join('\n');
    const r = JSON.parse(execFileSync(process.execPath, ['-e', probe], { cwd: ROOT, encoding: 'utf8' }));
    expect(r.loaded.map((f: string) => path.relative(ROOT, f))).toEqual(['lib/index.js']);
    expect(r.cpuMs).toBeLessThan(150);
    expect(r.n).toBeGreaterThan(50);
    // reading an export loads its module (and what it needs) on demand
    expect(r.graph).toBe('function');
    expect(r.after).toBeGreaterThan(10);
  });

  test('the runtime type guards run from lib/ without reading any jsii assembly (their data is compiled in)', () => {
    const probe = [
      "const fs = require('fs');",
      "for (const k of ['readFileSync', 'existsSync', 'statSync', 'openSync']) { const o = fs[k]; fs[k] = function (p, ...a) { if (String(p).includes('.jsii')) throw new Error('read ' + p); return o.call(this, p, ...a); }; }",
      `const lib = require(${JSON.stringify(ROOT)});`,
      "const { Chart, Testing } = require('cdk8s');",
      "try { new lib.ZeroTrustNamespace(new Chart(Testing.app(), 'c'), 'prod', { labels: 42 }); console.log('accepted'); } catch (e) { console.log(e.message); }",
    ].join('\n');
    const out = execFileSync(process.execPath, ['-e', probe], { cwd: ROOT, encoding: 'utf8' }).trim();
    expect(out).toBe('[c/prod] invalid labels 42: must be a map of strings or undefined, got number; see ZeroTrustNamespaceProps.labels in the API reference (API.md)');
    expect(packed.files.map(f => f.path)).toContain('lib/intent/_guard-spec.generated.js');
  });

  test('the lazy index exports exactly the names and objects of `export *` over the same modules, every jsii type included', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const lib = require(LIB);
    const source = fs.readFileSync(path.join(LIB, 'index.js'), 'utf8');
    const modules = [...source.matchAll(/^lazy\("(\.\/[^"]+)",/gm)].map(m => m[1]);
    // the modules are src/index.ts's `export *` lines, in order
    const declared = [...fs.readFileSync(path.join(ROOT, 'src', 'index.ts'), 'utf8').matchAll(/^export \* from '(\.\/[^']+)';$/gm)].map(m => m[1]);
    expect(modules).toEqual(declared);
    const expected = new Map<string, unknown>();
    for (const file of modules) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require(path.join(LIB, file));
      for (const name of Object.keys(mod)) if (name !== '__esModule' && !expected.has(name)) expected.set(name, mod[name]);
    }
    expect(Object.keys(lib).sort()).toEqual([...expected.keys()].sort());
    for (const [name, value] of expected) expect(lib[name]).toBe(value);
    // the compressed assembly: .jsii is a redirect to the gzipped .jsii.gz (jsii's file-redirect schema)
    const redirect = JSON.parse(fs.readFileSync(path.join(ROOT, '.jsii'), 'utf8'));
    expect(redirect).toEqual({ schema: 'jsii/file-redirect', compression: 'gzip', filename: '.jsii.gz' });
    const assembly = JSON.parse(zlib.gunzipSync(fs.readFileSync(path.join(ROOT, redirect.filename))).toString('utf8'));
    const runtimeTypes = Object.values(assembly.types as Record<string, { kind: string; name: string; namespace?: string }>)
      .filter(t => t.kind !== 'interface' && t.namespace === undefined);
    expect(runtimeTypes.length).toBeGreaterThan(30);
    for (const t of runtimeTypes) expect({ type: t.name, defined: lib[t.name] !== undefined }).toEqual({ type: t.name, defined: true });
  });
});
