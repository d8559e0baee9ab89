import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Testing } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import { IntentGraph, OutputFile, ReferenceArchitecture, Synthesis, ZeroTrustEvidence } from '../../src';
import { Cluster } from '../../src/evidence/_cluster';
import { connectivity } from '../../src/evidence/_connectivity';
import { trustGraphMermaid } from '../../src/evidence/_diagram';
import { appManifests } from '../../src/evidence/_effect';

const FILES = ['compliance.md', 'connectivity.json', 'connectivity.md', 'oscal-component-definition.json', 'trust-graph.md'];

function referenceApp(outdir: string): App {
  const app = new App({ outdir });
  new ReferenceArchitecture(app, 'zero-trust');
  new ZeroTrustEvidence(app, 'Evidence');
  return app;
}

describe('ZeroTrustEvidence', () => {
  test('Synthesis.synth writes the evidence beside the manifests folder (dist-files/evidence), never inside it', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'evidence-'));
    const outdir = path.join(root, 'dist');
    const app = referenceApp(outdir);
    const result = Synthesis.synth(app);
    expect(fs.readdirSync(outdir).every(f => f.endsWith('.k8s.yaml'))).toBe(true);
    expect(fs.readdirSync(path.join(root, 'dist-files', 'evidence')).sort()).toEqual(FILES);
    expect(result.files.filter(f => f.startsWith('evidence/')).sort()).toEqual(FILES.map(f => `evidence/${f}`));

    // the files are what the evaluator and the diagram compute from the same app
    const manifests = appManifests(app);
    const json = JSON.parse(fs.readFileSync(path.join(root, 'dist-files', 'evidence', 'connectivity.json'), 'utf8'));
    expect(json).toEqual(connectivity(new Cluster(manifests, IntentGraph.of(app).trustDomain), manifests));
    expect(json.length).toBeGreaterThan(0);
    const graph = fs.readFileSync(path.join(root, 'dist-files', 'evidence', 'trust-graph.md'), 'utf8');
    expect(graph).toContain(`\`\`\`mermaid\n${trustGraphMermaid(IntentGraph.of(app), manifests)}\`\`\``);
    const oscal = JSON.parse(fs.readFileSync(path.join(root, 'dist-files', 'evidence', 'oscal-component-definition.json'), 'utf8'));
    expect(Object.keys(oscal)).toEqual(['component-definition']);
  });

  describe('under cdk8s synth --stdout (CDK8S_OUTDIR is a fresh cdk8s-XXXXXX folder in the OS temp folder)', () => {
    const saved = { env: process.env.CDK8S_OUTDIR, cwd: process.cwd() };
    afterEach(() => {
      if (saved.env === undefined) delete process.env.CDK8S_OUTDIR;
      else process.env.CDK8S_OUTDIR = saved.env;
      process.chdir(saved.cwd);
    });

    test('the printed folder holds one stream of Kubernetes objects only; the evidence goes to ./dist-files/evidence', () => {
      const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-'));
      const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'project-'));
      process.env.CDK8S_OUTDIR = outdir;
      process.chdir(cwd);
      Synthesis.synth(referenceApp(outdir));
      // what cdk8s synth --stdout prints: every *.yaml below the output folder
      const printed = fs.readdirSync(outdir, { recursive: true }) as string[];
      expect(printed).toEqual(['app.k8s.yaml']);
      const docs = parseAllDocuments(fs.readFileSync(path.join(outdir, 'app.k8s.yaml'), 'utf8'));
      expect(docs.length).toBeGreaterThan(100);
      for (const d of docs) {
        expect(d.errors).toEqual([]);
        const o = d.toJSON();
        expect(typeof o.apiVersion).toBe('string');
        expect(typeof o.kind).toBe('string');
        expect(typeof o.metadata.name).toBe('string');
      }
      expect(fs.readdirSync(path.join(cwd, 'dist-files', 'evidence')).sort()).toEqual(FILES);
    });
  });

  test('folder: the files go below the folder given, relative to the output files folder', () => {
    const app = Testing.app();
    new ReferenceArchitecture(app, 'zero-trust');
    const evidence = new ZeroTrustEvidence(app, 'Evidence', { folder: 'audit/zt' });
    expect(evidence.folder).toBe('audit/zt');
    expect(OutputFile.of(app).map(f => f.relativePath).filter(p => p.startsWith('audit/')).sort()).toEqual(FILES.map(f => `audit/zt/${f}`));
  });
});
