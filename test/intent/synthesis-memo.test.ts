import * as fs from 'fs';
import { ApiObject, App, Chart, Lazy, Testing, Yaml } from 'cdk8s';
import { Construct } from 'constructs';
import { MeshService, PolicyEngine, PolicyMode, ZeroTrustNamespace, ZeroTrustPolicyPack } from '../../src';
import { oncePerSynthesis, trackSynthesis } from '../../src/intent/_synthesis-memo';

/**
 * Layer charts that depend on a namespaces chart (as the reference architecture's do), objects
 * with dependencies inside one chart (a Gatekeeper template and its constraints), and an
 * ordinary cdk8s chart: what cdk8s itself renders, chart by chart.
 */
function layeredApp(): { app: App; charts: Chart[] } {
  const app = Testing.app();
  const namespaces = new Chart(app, 'namespaces');
  const policy = new Chart(app, 'policy');
  const mesh = new Chart(app, 'mesh');
  const other = new Chart(app, 'other');
  for (const chart of [policy, mesh]) chart.addDependency(namespaces);
  const web = new ZeroTrustNamespace(namespaces, 'web');
  const api = new MeshService(mesh, 'api', { namespace: web, image: 'ghcr.io/acme/api:1.0.0', port: 8080 });
  new MeshService(mesh, 'frontend', { namespace: web, image: 'ghcr.io/acme/frontend:1.0.0', port: 8080 }).allowFrom(api);
  new ZeroTrustPolicyPack(policy, 'pack', { engine: PolicyEngine.GATEKEEPER, mode: PolicyMode.ENFORCE, allowedRegistries: ['ghcr.io/acme/'] });
  const first = new ApiObject(other, 'first', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'first' } });
  const second = new ApiObject(other, 'second', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'second' } });
  first.addDependency(second);
  return { app, charts: [namespaces, policy, mesh, other] };
}

/** The YAML cdk8s renders for `app` with its own `Chart.toJson()`, outside any tracked synthesis. */
function cdk8sYaml(app: App): string {
  return Yaml.stringify(...app.charts.flatMap(c => c.toJson()));
}

describe('one synthesis, one pass', () => {
  test('App.synthYaml() renders every chart exactly as cdk8s does (dependency order inside charts, chart order)', () => {
    // GIVEN
    const { app } = layeredApp();
    const expected = cdk8sYaml(app);
    // WHEN
    const yaml = app.synthYaml();
    // THEN
    expect(yaml).toEqual(expected);
    expect(yaml.indexOf('name: second')).toBeLessThan(yaml.indexOf('name: first'));
    expect(yaml.indexOf('kind: ConstraintTemplate')).toBeLessThan(yaml.indexOf('kind: K8sAllowedRepos'));
  });

  test('App.synth() writes the files cdk8s writes (numbered in dependency order) with the same objects', () => {
    const { app, charts } = layeredApp();
    const expected = charts.map(c => Yaml.stringify(...c.toJson()));
    app.synth();
    const files = fs.readdirSync(app.outdir).sort();
    expect(files).toEqual(['0000-namespaces.k8s.yaml', '0001-policy.k8s.yaml', '0002-mesh.k8s.yaml', '0003-other.k8s.yaml']);
    expect(files.map((f: string) => fs.readFileSync(`${app.outdir}/${f}`, 'utf8'))).toEqual(expected);
  });

  test('the app is validated once per synthesis, and again at the next one', () => {
    // GIVEN an app of four charts with a counting validation
    const { app } = layeredApp();
    let validations = 0;
    const counted = new Construct(app, 'Counted');
    counted.node.addValidation({ validate: () => oncePerSynthesis(counted, 'counted', () => { validations++; return []; }) });
    // WHEN
    app.synth();
    app.synthYaml();
    // THEN
    expect(validations).toBe(2);
  });

  test('a validation error stops the synthesis', () => {
    const { app } = layeredApp();
    const failing = new Construct(app, 'Failing');
    failing.node.addValidation({ validate: () => oncePerSynthesis(failing, 'failing', () => ['broken on purpose']) });
    expect(() => app.synthYaml()).toThrow(/\[Failing\] broken on purpose/);
  });

  test('an object defined while a chart renders is rendered and validated as cdk8s does (its own Chart.toJson() takes over)', () => {
    // GIVEN a value that defines an object in a later chart when it is resolved
    const lateApp = (problems: string[]) => {
      const { app, charts } = layeredApp();
      new ApiObject(charts[0], 'trigger', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'trigger' },
        data: Lazy.any({
          produce: () => {
            if (!charts[3].node.tryFindChild('late')) {
              new ApiObject(charts[3], 'late', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'late' } })
                .node.addValidation({ validate: () => problems });
            }
            return { defined: 'late' };
          },
        }) as any,
      });
      return app;
    };
    // THEN it is in the output, and its validation runs before the chart it is in renders
    expect(lateApp([]).synthYaml()).toContain('name: late');
    expect(() => lateApp(['late object checked']).synthYaml()).toThrow(/\[late\] late object checked|late object checked/);
  });

  test('a chart with its own toJson() keeps it; the charts are cdk8s\' own again after the synthesis', () => {
    const { app, charts } = layeredApp();
    class Custom extends Chart {
      public toJson(): any[] {
        return [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'custom' } }];
      }
    }
    new Custom(app, 'custom');
    expect(app.synthYaml()).toContain('name: custom');
    for (const chart of charts) expect(Object.prototype.hasOwnProperty.call(chart, 'toJson')).toBe(false);
  });

  test('tracking is idempotent and leaves a root that is not an App alone', () => {
    const { app } = layeredApp();
    const synth = app.synth;
    trackSynthesis(app);
    expect(app.synth).toBe(synth);
    const chart = Testing.chart();
    trackSynthesis(chart);
    expect(Object.prototype.hasOwnProperty.call(chart, 'toJson')).toBe(false);
  });
});
