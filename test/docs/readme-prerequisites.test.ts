import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, YamlOutputType } from 'cdk8s';
import * as yaml from 'yaml';
import { PolicyEngine, ReferenceArchitecture } from '../../src';

/** The README's "Prerequisites and apply order" section, parsed independently of the library. */
function prerequisites() {
  const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
  const start = readme.indexOf('### Prerequisites and apply order');
  expect(start).toBeGreaterThan(0);
  const section = readme.slice(start, readme.indexOf('\n## ', start));
  const rows = section.split('\n').filter(l => /^\| `[a-z0-9-]+` \|/.test(l)).map(l => {
    const cells = l.split(' | ').map(c => c.replace(/^\| ?| ?\|$/g, ''));
    return { namespace: cells[0].replace(/`/g, ''), createdBy: cells[1] };
  });
  // "The output creates the namespaces `a`, ... and `z` (`0000-namespaces`)."
  const sentence = section.slice(section.indexOf('The output creates the namespaces'), section.indexOf('(`0000-namespaces`)'));
  const created = [...sentence.matchAll(/`([a-z0-9-]+)`/g)].map(m => m[1]);
  // "4. `kubectl apply -f dist/`, which applies the files in this order: `0000-...`, ... (`.k8s.yaml`)."
  const step4 = section.slice(section.indexOf('4. `kubectl apply -f dist/`'), section.indexOf('(`.k8s.yaml`)'));
  const files = [...step4.matchAll(/`(\d{4}-[a-z-]+)`/g)].map(m => `${m[1]}.k8s.yaml`);
  return { rows, created, files };
}

/** The reference synthesized as `npm run synth` writes it, one file per layer. */
function synthesized(engine: PolicyEngine) {
  const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'prereq-')), yamlOutputType: YamlOutputType.FILE_PER_CHART });
  const ref = new ReferenceArchitecture(app, 'zero-trust', { policyEngine: engine });
  app.synth();
  const files = fs.readdirSync(app.outdir).sort();
  const objects = files.flatMap(f => yaml.parseAllDocuments(fs.readFileSync(path.join(app.outdir, f), 'utf8')).map(d => d.toJSON()))
    .filter(o => o);
  return { ref, files, objects };
}

describe('README: prerequisites and apply order of the reference architecture', () => {
  const { rows, created, files } = prerequisites();
  const engines = [PolicyEngine.GATEKEEPER, PolicyEngine.KYVERNO, PolicyEngine.KUBERNETES];
  const synths = engines.map(e => ({ engine: e, ...synthesized(e) }));

  test('every namespace an object of the output goes into is created by the output or listed, with what creates it', () => {
    const listed = new Set(rows.map(r => r.namespace));
    const uncreatedAnywhere = new Set<string>();
    for (const { engine, objects } of synths) {
      const createdByOutput = objects.filter(o => o.kind === 'Namespace').map(o => o.metadata.name).sort();
      // the sentence naming the namespaces the output creates is exact
      expect({ engine, created: createdByOutput }).toEqual({ engine, created: [...created].sort() });
      const used = [...new Set(objects.map(o => o.metadata.namespace).filter((n: any) => typeof n === 'string'))].sort() as string[];
      const uncreated = used.filter(n => !createdByOutput.includes(n));
      uncreated.forEach(n => uncreatedAnywhere.add(n));
      expect({ engine, unlisted: uncreated.filter(n => !listed.has(n)) }).toEqual({ engine, unlisted: [] });
    }
    // and every listed namespace is one the output uses (with some engine): no stale rows
    expect([...listed].sort()).toEqual([...uncreatedAnywhere].sort());
    // each row says what creates its namespace: a Helm install into it (kube-system: the cluster itself)
    for (const r of rows.filter(x => x.namespace !== 'kube-system')) {
      expect(r.createdBy).toMatch(new RegExp(`^\`helm install [a-z0-9-]+ [a-z0-9-]+ --repo https://\\S+ --version \\S+ -n ${r.namespace}( |\`)`));
    }
    // the first row of each namespace creates it
    for (const ns of [...listed].filter(n => n !== 'kube-system')) expect(rows.find(r => r.namespace === ns)!.createdBy).toContain('--create-namespace');
    expect(rows.find(r => r.namespace === 'kube-system')?.createdBy).toBe('Kubernetes itself (every cluster has it)');
  });

  test('each platform component the reference declares is installed by a row with its chart, repository, version and namespace', () => {
    for (const { engine, ref } of synths) {
      const components = [...ref.platform.components];
      expect(components.length).toBeGreaterThanOrEqual(6);
      for (const c of components) {
        // waypoints are deployed by istiod from the mesh layer's Gateway, not by a chart of their own
        if (c.workloads.every(w => w.podLabels['gateway.networking.k8s.io/gateway-name'])) continue;
        const install = ` ${c.chart.chart} --repo ${c.chart.repository} --version ${c.chart.version} -n ${c.namespace}`;
        const installs = rows.filter(r => r.createdBy.includes(install)).length;
        expect({ engine, component: c.name, installs }).toEqual({ engine, component: c.name, installs: 1 });
      }
    }
    // the reference declares the engine it runs: Gatekeeper's or Kyverno's controllers, none for Kubernetes' own
    const names = (engine: PolicyEngine) => synths.find(s => s.engine === engine)!.ref.platform.components.map(c => c.name);
    expect(names(PolicyEngine.GATEKEEPER)).toContain('gatekeeper');
    expect(names(PolicyEngine.GATEKEEPER)).not.toContain('kyverno');
    expect(names(PolicyEngine.KYVERNO)).toContain('kyverno');
    expect(names(PolicyEngine.KUBERNETES).filter(n => ['gatekeeper', 'kyverno'].includes(n))).toEqual([]);
    expect(names(PolicyEngine.GATEKEEPER)).toEqual(expect.arrayContaining(['istiod', 'istio-cni', 'ztunnel', 'vault-agent-injector', 'falco', 'prometheus-operator']));
  });

  test('the apply order names exactly the files the synthesis writes, in their order', () => {
    for (const s of synths) expect({ engine: s.engine, files }).toEqual({ engine: s.engine, files: s.files });
  });
});
