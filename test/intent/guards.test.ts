import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Chart, Testing } from 'cdk8s';
import * as lib from '../../src';
import { GUARD_SPEC } from '../../src/intent/_guard-spec.generated';
import { guardArgs, guardProps, staticScope } from '../../src/intent/_guards';

/**
 * The runtime type guards' data is a committed source file (src/intent/_guard-spec.generated.ts,
 * written by `npx projen compile`): the guards are on without a compiled assembly, and missing
 * data is an error, never a silently skipped check.
 */

const ROOT = path.join(__dirname, '..', '..');
const own = Object.entries(GUARD_SPEC).filter(([fqn]) => fqn.startsWith('cdk8s-zero-trust.'));

describe('the guard data', () => {
  test('holds every exported class of the library, and no class it does not export', () => {
    // internal helpers and constants are exported for the other modules too (jsii skips them: lower case, @internal)
    const classes = Object.entries(lib as { [name: string]: unknown }).filter(([name, v]) => typeof v === 'function' && /^[A-Z][a-z]/.test(name)).map(([name]) => name).sort();
    expect(own.filter(([, t]) => t.kind === 'class').map(([, t]) => t.name).sort()).toEqual(classes);
    expect(classes.length).toBeGreaterThan(50);
  });

  test('enums list exactly the exported members', () => {
    for (const [, t] of own.filter(([, x]) => x.kind === 'enum')) {
      const runtime = Object.keys((lib as any)[t.name]).filter(k => !/^\d+$/.test(k)).sort();
      expect([t.name, ...(t.members ?? []).map(m => m.name).sort()]).toEqual([t.name, ...runtime]);
    }
  });

  test('every type it references is in it (the dependencies\' too)', () => {
    const missing = new Set<string>();
    const visit = (o: unknown): void => {
      if (Array.isArray(o)) return o.forEach(visit);
      if (o === null || typeof o !== 'object') return;
      for (const [k, v] of Object.entries(o)) {
        if ((k === 'fqn' || k === 'base') && typeof v === 'string' && !(v in GUARD_SPEC)) missing.add(v);
        if (k === 'interfaces') (v as string[]).filter(i => !(i in GUARD_SPEC)).forEach(i => missing.add(i));
        visit(v);
      }
    };
    visit(GUARD_SPEC);
    expect([...missing]).toEqual([]);
  });

  test('is active on the sources: a wrong type is the clear error without any compiled assembly', () => {
    const chart = new Chart(Testing.app(), 'c');
    expect(() => new lib.ZeroTrustNamespace(chart, 'prod', { labels: 42 as any }))
      .toThrow('[c/prod] invalid labels 42: must be a map of strings or undefined, got number; see ZeroTrustNamespaceProps.labels in the API reference (API.md)');
  });

  test('a construct, method or type missing from it is an error that says how to regenerate it', () => {
    const scope = staticScope('x');
    expect(() => guardProps(scope, 'NoSuchConstruct', {})).toThrow(/cdk8s-zero-trust\.NoSuchConstruct: .*run `npx projen compile`.*commit the file/);
    expect(() => guardArgs(scope, 'MeshService', 'noSuchMethod', [])).toThrow(/MeshService\.noSuchMethod\(\): .*npx projen compile/);
    expect(() => guardProps(scope, 'VaultSecret', {})).toThrow(/VaultSecret: no initializer with props; .*npx projen compile/);
  });
});

// when lib/ and the assembly are newer than every source (a compile ran after the last change),
// the committed file must be what the compile writes (CI also fails on the drift after compiling)
const compiled = spawnSync(process.execPath, [path.join(ROOT, 'projenrc', 'lib-stale.js')], { cwd: ROOT }).status === 1;
(compiled ? test : test.skip)('matches the compiled jsii assembly (node projenrc/guard-spec.js --check)', () => {
  expect(fs.existsSync(path.join(ROOT, '.jsii'))).toBe(true);
  const check = spawnSync(process.execPath, [path.join(ROOT, 'projenrc', 'guard-spec.js'), '--check'], { cwd: ROOT, encoding: 'utf8' });
  expect(check.stderr).toBe('');
  expect(check.status).toBe(0);
});
