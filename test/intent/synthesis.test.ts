import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject, App, Chart, Testing, YamlOutputType } from 'cdk8s';
import { Construct } from 'constructs';
import { parseAllDocuments } from 'yaml';
import { IntentGraph, MeshService, OutputFile, Synthesis, ZeroTrustNamespace } from '../../src';

class Text extends OutputFile {
  public constructor(scope: Construct, id: string, filePath: string) {
    super(scope, id, { path: filePath });
  }
  public renderContents(): string {
    return 'customRules:\n  zero-trust.yaml: "- rule: x"\n';
  }
}

/** A user's app whose layer charts are created in alphabetical order, not in apply order. */
function layeredApp(props: { outdir?: string } = {}): App {
  const app = props.outdir ? new App({ outdir: props.outdir }) : Testing.app();
  const apps = new Chart(app, 'apps');
  const mesh = new Chart(app, 'mesh');
  const namespaces = new Chart(app, 'namespaces');
  const network = new Chart(app, 'network');
  new IntentGraph(app, 'IntentGraph', { layers: { namespaces, network, mesh, workloads: apps } });
  const shop = new ZeroTrustNamespace(apps, 'shop', { name: 'shop' });
  const web = new MeshService(apps, 'web', { namespace: shop, image: 'ghcr.io/acme/web:1.0.0', port: 8080 });
  const api = new MeshService(apps, 'api', { namespace: shop, image: 'ghcr.io/acme/api:1.0.0', port: 8080 });
  api.allowFrom(web);
  new Text(apps, 'values', 'helm/values.yaml');
  return app;
}

function docs(file: string): any[] {
  return parseAllDocuments(fs.readFileSync(file, 'utf8')).map(d => {
    expect(d.errors).toEqual([]);
    return d.toJSON();
  });
}

describe('Synthesis', () => {
  test('numbers the layer charts in apply order (cdk8s alone leaves them unnumbered, alphabetical)', () => {
    // GIVEN
    const app = layeredApp();
    // WHEN
    const result = Synthesis.synth(app);
    // THEN
    expect(result.manifests).toEqual(['0000-namespaces.k8s.yaml', '0001-network.k8s.yaml', '0002-mesh.k8s.yaml', '0003-apps.k8s.yaml']);
    expect(fs.readdirSync(app.outdir).sort()).toEqual(result.manifests);
    expect(docs(path.join(app.outdir, '0000-namespaces.k8s.yaml')).map(o => o.kind)).toEqual(['Namespace']);
    expect(docs(path.join(app.outdir, '0003-apps.k8s.yaml')).map(o => o.kind)).toEqual(expect.arrayContaining(['Deployment', 'Service', 'ServiceAccount']));
  });

  test('the plain cdk8s output of the same app is not in apply order (why the helper exists)', () => {
    const app = layeredApp();
    app.synth();
    expect(fs.readdirSync(app.outdir).sort()).toEqual(['apps.k8s.yaml', 'mesh.k8s.yaml', 'namespaces.k8s.yaml', 'network.k8s.yaml']);
  });

  test('writes output files beside the manifests folder, never inside it', () => {
    const app = layeredApp();
    const result = Synthesis.synth(app);
    expect(result.filesOutdir).toBe(path.resolve(`${app.outdir}-files`));
    expect(result.files).toEqual(['helm/values.yaml']);
    expect(fs.existsSync(path.join(result.filesOutdir, 'helm/values.yaml'))).toBe(true);
    expect(fs.readdirSync(app.outdir).filter(f => !f.endsWith('.k8s.yaml'))).toEqual([]);
  });

  test('singleManifest writes one file in apply order with a separator between charts', () => {
    const app = layeredApp();
    const result = Synthesis.synth(app, { singleManifest: true });
    expect(result.manifests).toEqual(['app.k8s.yaml']);
    expect(fs.readdirSync(app.outdir)).toEqual(['app.k8s.yaml']);
    const objects = docs(path.join(app.outdir, 'app.k8s.yaml'));
    expect(objects[0].kind).toBe('Namespace');
    expect(objects.filter(o => o.kind === 'NetworkPolicy').length).toBeGreaterThan(0);
    // apply order: every NetworkPolicy before every AuthorizationPolicy before every Deployment
    const last = (kind: string) => objects.map(o => o.kind).lastIndexOf(kind);
    const first = (kind: string) => objects.map(o => o.kind).indexOf(kind);
    expect(last('NetworkPolicy')).toBeLessThan(first('AuthorizationPolicy'));
    expect(last('AuthorizationPolicy')).toBeLessThan(first('Deployment'));
  });

  describe('under cdk8s synth --stdout (CDK8S_OUTDIR is a fresh cdk8s-XXXXXX folder in the OS temp folder)', () => {
    const saved = { env: process.env.CDK8S_OUTDIR, cwd: process.cwd() };
    afterEach(() => {
      if (saved.env === undefined) delete process.env.CDK8S_OUTDIR;
      else process.env.CDK8S_OUTDIR = saved.env;
      process.chdir(saved.cwd);
    });

    test('writes one manifest file, and the output files into dist-files in the current folder', () => {
      const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-'));
      const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'project-'));
      process.env.CDK8S_OUTDIR = outdir;
      process.chdir(cwd);
      const result = Synthesis.synth(layeredApp({ outdir }));
      expect(result.manifests).toEqual(['app.k8s.yaml']);
      expect(fs.readdirSync(outdir)).toEqual(['app.k8s.yaml']);
      expect(fs.realpathSync(result.filesOutdir)).toBe(path.join(fs.realpathSync(cwd), 'dist-files'));
      expect(fs.existsSync(path.join(cwd, 'dist-files', 'helm', 'values.yaml'))).toBe(true);
    });

    test('a CDK8S_OUTDIR that is not the CLI\'s temporary folder keeps one file per chart', () => {
      const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'out-'));
      process.env.CDK8S_OUTDIR = outdir;
      expect(Synthesis.synth(layeredApp({ outdir })).manifests).toHaveLength(4);
    });
  });

  describe('under cdk8s synth --format helm (CDK8S_OUTDIR is templates/ beside the CLI\'s Chart.yaml)', () => {
    const saved = process.env.CDK8S_OUTDIR;
    afterEach(() => {
      if (saved === undefined) delete process.env.CDK8S_OUTDIR;
      else process.env.CDK8S_OUTDIR = saved;
    });

    test('every {{ becomes a Go template action printing it, and the output files go beside the chart folder', () => {
      const chart = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'helm-')), 'chart');
      fs.mkdirSync(path.join(chart, 'templates'), { recursive: true });
      fs.writeFileSync(path.join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: app\nversion: 1.0.0\n');
      process.env.CDK8S_OUTDIR = path.join(chart, 'templates');
      const app = layeredApp({ outdir: path.join(chart, 'templates') });
      const apps = app.node.findChild('apps') as Chart;
      new ApiObject(apps, 'cm', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'tpl', annotations: { t: '{{- with secret "kv/x" -}}{{ .Data.v }}{{ end }}' } } });
      const result = Synthesis.synth(app);
      const text = fs.readFileSync(path.join(chart, 'templates', '0003-apps.k8s.yaml'), 'utf8');
      expect(text).toContain('{{`{{`}}- with secret "kv/x" -}}{{`{{`}} .Data.v }}{{`{{`}} end }}');
      expect(text.split('{{').length - 1).toBe(2 * 3);
      // still YAML; the value Helm prints is the original
      const cm = docs(path.join(chart, 'templates', '0003-apps.k8s.yaml')).find(o => o.kind === 'ConfigMap');
      expect(cm.metadata.annotations.t.split('{{`{{`}}').join('{{')).toBe('{{- with secret "kv/x" -}}{{ .Data.v }}{{ end }}');
      expect(result.filesOutdir).toBe(`${chart}-files`);
      expect(fs.readdirSync(chart).sort()).toEqual(['Chart.yaml', 'templates']);
    });

    test('helmTemplates: false leaves the manifests as synthesized', () => {
      const chart = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'helm-')), 'chart');
      fs.mkdirSync(path.join(chart, 'templates'), { recursive: true });
      fs.writeFileSync(path.join(chart, 'Chart.yaml'), 'apiVersion: v2\n');
      process.env.CDK8S_OUTDIR = path.join(chart, 'templates');
      const app = layeredApp({ outdir: path.join(chart, 'templates') });
      new ApiObject(app.node.findChild('apps') as Chart, 'cm', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'tpl', annotations: { t: '{{ x }}' } } });
      Synthesis.synth(app, { helmTemplates: false });
      expect(fs.readFileSync(path.join(chart, 'templates', '0003-apps.k8s.yaml'), 'utf8')).toContain('t: "{{ x }}"');
    });
  });

  test('charts outside the layers keep their place; a chart dependency keeps its order', () => {
    const app = Testing.app();
    const crds = new Chart(app, 'crds');
    const b = new Chart(app, 'b');
    const a = new Chart(app, 'a');
    b.addDependency(crds);
    new IntentGraph(app, 'IntentGraph', { layers: { workloads: b, namespaces: a } });
    new ZeroTrustNamespace(a, 'ns', { name: 'ns' });
    expect(Synthesis.applyOrder(app).map(c => c.node.id)).toEqual(['crds', 'a', 'b']);
    expect(Synthesis.synth(app).manifests).toEqual(['0000-crds.k8s.yaml', '0001-a.k8s.yaml', '0002-b.k8s.yaml']);
  });

  test('throws when the layer order would apply a chart before one it depends on', () => {
    const app = Testing.app();
    const workloads = new Chart(app, 'workloads');
    const namespaces = new Chart(app, 'namespaces');
    namespaces.addDependency(workloads);
    new IntentGraph(app, 'IntentGraph', { layers: { workloads, namespaces } });
    expect(() => Synthesis.applyOrder(app)).toThrow(/\[namespaces\] cannot be applied in layer order: it depends on chart workloads \(layer workloads\), which the layer order applies after it/);
  });

  test('throws for an output type whose order cannot be kept', () => {
    const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'synthesis-')), yamlOutputType: YamlOutputType.FILE_PER_RESOURCE });
    expect(() => Synthesis.synth(app)).toThrow(/must use yamlOutputType FILE_PER_CHART \(the default\), got FILE_PER_RESOURCE/);
  });
});
