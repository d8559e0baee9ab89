import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Testing } from 'cdk8s';
import { IntentGraph, ReferenceArchitecture, Synthesis } from '../../src';
import { run } from '../../src/cli/main';
import { trustGraphMermaid } from '../../src/evidence/_diagram';
import { appManifests } from '../../src/evidence/_effect';

const ROOT = path.join(__dirname, '..', '..');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const SECTION = README.slice(README.indexOf('## Evidence: effect = intent'));

/** The code blocks of `lang` in the README's evidence section. */
function blocks(lang: string): string[] {
  return [...SECTION.slice(0, SECTION.indexOf('\n## ', 5)).matchAll(new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``, 'g'))].map(m => m[1]);
}

/**
 * Runs a README command line as pasted: `npx cdk8s-zero-trust <args> [> file]`, with the
 * package's command (src/cli/main.ts) in `cwd`.
 */
function runLine(line: string, cwd: string): number {
  const [command, redirect] = line.split(' > ');
  const argv = command.trim().split(/\s+/);
  expect(argv.slice(0, 2)).toEqual(['npx', 'cdk8s-zero-trust']);
  const abs = argv.slice(2).map(a => (fs.existsSync(path.join(cwd, a)) ? path.join(cwd, a) : a));
  const { code, stdout, stderr } = run(abs);
  expect(stderr).toBe('');
  if (redirect) fs.writeFileSync(path.join(cwd, redirect.trim()), stdout);
  return code;
}

function synthReference(outdir: string): void {
  const app = new App({ outdir });
  new ReferenceArchitecture(app, 'zero-trust');
  Synthesis.synth(app);
}

describe('README: evidence', () => {
  test('the diagram is the reference architecture\'s trust graph, as ZeroTrustEvidence draws it', () => {
    const app = Testing.app();
    new ReferenceArchitecture(app, 'zero-trust');
    expect(blocks('mermaid')).toEqual([trustGraphMermaid(IntentGraph.of(app), appManifests(app))]);
  });

  test('the CI commands run as pasted: diff of two syntheses, learn from recorded traffic', () => {
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'readme-evidence-'));
    synthReference(path.join(cwd, 'base', 'dist'));
    synthReference(path.join(cwd, 'dist'));
    fs.copyFileSync(path.join(ROOT, 'test', 'cli', 'fixtures', 'istio-access-log.jsonl'), path.join(cwd, 'access.log'));
    fs.copyFileSync(path.join(ROOT, 'test', 'cli', 'fixtures', 'hubble-flows.json'), path.join(cwd, 'flows.json'));
    const [diff, learn] = blocks('sh').map(b => b.trim());
    expect(runLine(diff, cwd)).toBe(0);
    expect(fs.readFileSync(path.join(cwd, 'zero-trust-diff.md'), 'utf8')).toContain('No change in what the objects allow.');
    expect(runLine(learn, cwd)).toBe(1);
  });

  test('the package has the command: bin cdk8s-zero-trust -> lib/cli/main.js, an executable script', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.bin).toEqual({ 'cdk8s-zero-trust': 'lib/cli/main.js' });
    expect(fs.readFileSync(path.join(ROOT, 'src', 'cli', 'main.ts'), 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });
});
