import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'cdk8s';
import * as fc from 'fast-check';
import * as ts from 'typescript';
import { ReferenceArchitecture, Synthesis } from '../../src';
import { run } from '../../src/cli/main';
import { hostile } from '../hostile/_hostile';

/**
 * `cdk8s-zero-trust learn` reads recorded traffic, which whoever sent it wrote: hostile methods,
 * paths, peers, ports and malformed records never reach the report's Markdown or the suggested
 * TypeScript other than as data. Every line is either skipped (counted) or its values are
 * well-formed; the suggested code parses (TypeScript's parser) into exactly the expected calls
 * with string literals holding exactly the logged values; no line break or fence enters the
 * Markdown.
 */

const FIXTURES = path.join(__dirname, 'fixtures');
const dist = (() => {
  const outdir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'learn-hostile-')), 'dist');
  const app = new App({ outdir });
  new ReferenceArchitecture(app, 'zero-trust');
  Synthesis.synth(app);
  return outdir;
})();
const TEMPLATE = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'istio-access-log.jsonl'), 'utf8').split('\n').filter(l => l.startsWith('{'))[1]);

/** The string literals of every call expression of `code`, in order, after TypeScript parses it. */
function parsed(code: string): { diagnostics: number; calls: string[]; strings: string[] } {
  const file = ts.createSourceFile('learned.ts', code, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const calls: string[] = [];
  const strings: string[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n)) calls.push(n.expression.getText(file));
    if (ts.isStringLiteral(n)) strings.push(n.text);
    ts.forEachChild(n, visit);
  };
  visit(file);
  return { diagnostics: (file as unknown as { parseDiagnostics: unknown[] }).parseDiagnostics.length, calls, strings };
}

describe('cdk8s-zero-trust learn with hostile log lines', () => {
  test('methods, paths, peers and ports from the log: skipped, or data only in the Markdown and the suggested code', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'learn-lines-'));
    const tally = { skipped: 0, used: 0 };
    const odd = fc.oneof(hostile, fc.constantFrom("/a'b", '/a\\\'b', '/x\n## Declarations', '/```', '`', '/<script>', 'POST\'); process.exit(1); (\''));
    const mostly = (ordinary: fc.Arbitrary<string>) => fc.oneof({ weight: 2, arbitrary: ordinary }, { weight: 1, arbitrary: odd });
    const methods = mostly(fc.constantFrom('GET', 'POST'));
    const paths = mostly(fc.constantFrom('/api/orders', "/api/o'rders", '/api/orders?x=`1`'));
    const sources = mostly(fc.constant('keep'));
    const addresses = fc.oneof({ weight: 3, arbitrary: fc.constant('10.0.0.1:8080') }, { weight: 1, arbitrary: hostile });
    fc.assert(fc.property(methods, paths, sources, addresses, (method, p, source, address) => {
      const line = JSON.stringify({ ...TEMPLATE, method, path: p, source_principal: source === 'keep' ? TEMPLATE.source_principal : source, destination_address: address });
      const file = path.join(dir, 'log.jsonl');
      fs.writeFileSync(file, `${line}\n`);
      const { stdout, stderr, code } = run(['learn', dist, file]);
      expect(stderr).toBe('');
      expect([0, 1]).toContain(code);
      const fence = /```ts\n([\s\S]*?)```\n/.exec(stdout);
      expect(fence).not.toBeNull();
      // the Markdown: exactly the report's own headings, each list item one line
      const headings = stdout.split('\n').filter(l => l.startsWith('#'));
      const allowed = [/^# [01] observed calls \([01] lines skipped\)$/, /^## Declarations that allow what was observed$/,
        /^## Observed calls the current manifests deny \([01]\)$/, /^## Observed calls between unknown peers \([01]\)$/];
      for (const h of headings) expect({ h, allowed: allowed.some(r => r.test(h)) }).toEqual({ h, allowed: true });
      expect((stdout.match(/```/g) ?? []).length).toBe(2);
      const skipped = stdout.startsWith('# 0 observed calls (1 lines skipped)');
      if (skipped) { tally.skipped++; return; }
      tally.used++;
      expect(method).toMatch(/^[A-Z]+$/);
      expect(p.split('?')[0]).toMatch(/^\/[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*$/);
      const code2 = parsed(fence![1]);
      expect(code2.diagnostics).toBe(0);
      for (const c of code2.calls) expect(c).toMatch(/^\w+\.(allowFrom|allowEgressTo)$/);
      if (fence![1].includes('methods:')) expect(code2.strings).toEqual(expect.arrayContaining([method, p.split('?')[0]]));
    }), { numRuns: 40, seed: 20261201 });
    expect(tally.skipped).toBeGreaterThan(0);
    expect(tally.used).toBeGreaterThan(0);
  });

  test('valid JSON of the wrong shape, huge lines and garbage are skipped, never a crash', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'learn-junk-'));
    const lines = [
      '{"flow": {"source": {"namespace": "web", "labels": 5}, "destination": {"namespace": "production", "labels": "x"}, "l4": {"TCP": {"destination_port": 8080}}, "l7": {"http": {"method": "GET", "url": {}}}}}',
      '{"flow": {"source": {"namespace": "web", "workloads": 5}, "destination": null, "l4": {"TCP": {"destination_port": "80; rm -rf /"}}}}',
      JSON.stringify({ ...TEMPLATE, method: { toString: 1 }, path: ['/a'] }),
      JSON.stringify({ ...TEMPLATE, destination_address: '10.0.0.1:99999' }),
      `{"x": "${'a'.repeat(2_000_000)}"}`,
      'null', '42', '"text"', '[]', '{', '\u0000',
    ];
    fs.writeFileSync(path.join(dir, 'junk.jsonl'), lines.join('\n'));
    const { stdout, stderr } = run(['learn', dist, path.join(dir, 'junk.jsonl')]);
    expect(stderr).toBe('');
    expect(stdout).toContain(`# 0 observed calls (${lines.length} lines skipped)`);
  });
});
