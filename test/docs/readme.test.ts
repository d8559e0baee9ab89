import * as fs from 'fs';
import * as path from 'path';
import * as cdk8s from 'cdk8s';
import * as lib from '../../src';
import { Cluster } from '../support/reachability';
import { readmeSnippet, runReadmeApp } from '../support/readme';
import { expectValidManifests } from '../support/schemas';
import { synthCharts } from '../support/synth';

describe('README', () => {
  test('the quickstart runs, synthesizes valid objects and does what the text says', () => {
    const app = runReadmeApp(readmeSnippet('## Quickstart'));
    const manifests = synthCharts(app);
    expectValidManifests(manifests);
    const cluster = new Cluster(manifests);
    const frontend = cluster.pod('web', 'frontend');
    const gateway = cluster.pod('production', 'api-gateway');
    const database = cluster.pod('data', 'database');
    expect(cluster.allows(frontend, gateway, { port: 8080, method: 'GET', path: '/api/orders' })).toBe(true);
    // "In particular the frontend cannot reach the database."
    expect(cluster.networkAllows(frontend, database, 5432)).toBe(false);
    expect(cluster.meshAllows(frontend, database, { port: 5432 })).toBe(false);
    expect(cluster.allows(cluster.pod('production', 'order-service'), database, { port: 5432 })).toBe(true);
  });

  test('the error example is the message the library gives', () => {
    const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
    const shown = readme.match(/```\n(\[shop\/order-service\] invalid methods[^\n]*)\n```/)![1];
    const chart = new cdk8s.Chart(cdk8s.Testing.app(), 'shop');
    const ns = new lib.ZeroTrustNamespace(chart, 'production');
    const caller = new lib.MeshService(chart, 'api-gateway', { namespace: ns, image: 'ghcr.io/acme/gw:1', port: 8080 });
    const orders = new lib.MeshService(chart, 'order-service', { namespace: ns, image: 'ghcr.io/acme/o:1', port: 8080 });
    expect(() => orders.allowFrom(caller, { methods: ['get'] })).toThrow(shown);
  });
});

describe('README: runtime detection and monitoring', () => {
  test('the snippet runs and synthesizes valid objects, the Falco rules and the output files', () => {
    const app = runReadmeApp(readmeSnippet('### Runtime detection and monitoring'));
    const manifests = synthCharts(app);
    expectValidManifests(manifests);
    const kinds = [...new Set(manifests.map(m => m.kind))].sort();
    expect(kinds).toEqual(expect.arrayContaining(['ConfigMap', 'PodMonitor', 'PrometheusRule', 'Telemetry']));
    const rules = manifests.find(m => m.kind === 'ConfigMap' && m.metadata.name === 'falco-rules').data['zero-trust-rules.yaml'];
    expect(rules).toContain('zt_allowed_ports_10_production_order_service');
    expect(lib.OutputFile.of(app).map(f => f.relativePath)).toEqual(['helm/falco-values.yaml', 'istio/mesh-config-access-log.yaml']);
    expect(fs.existsSync(path.join(`${app.outdir}-files`, 'helm', 'falco-values.yaml'))).toBe(true);
  });
});

describe('README: pipelines and the intent graph', () => {
  test('the pipeline example writes apply-ordered files and the Helm values beside them', () => {
    const app = runReadmeApp(readmeSnippet('## Pipelines'));
    expect(fs.readdirSync(app.outdir).sort()).toEqual(['0000-namespaces.k8s.yaml', '0001-network.k8s.yaml', '0002-mesh.k8s.yaml', '0003-apps.k8s.yaml']);
    expect(fs.existsSync(path.join(`${app.outdir}-files`, 'helm', 'falco-values.yaml'))).toBe(true);
    expectValidManifests(synthCharts(app));
  });

  test('the intent graph example puts each layer in its chart, in apply order, under the trust domain', () => {
    const app = runReadmeApp(readmeSnippet('## The intent graph'));
    expect(fs.readdirSync(app.outdir).sort()).toEqual(['0000-namespaces.k8s.yaml', '0001-network.k8s.yaml', '0002-mesh.k8s.yaml', '0003-apps.k8s.yaml']);
    const mesh = cdk8s.Testing.synth(app.node.findChild('mesh') as cdk8s.Chart);
    const api = mesh.find(o => o.kind === 'AuthorizationPolicy' && o.metadata.name === 'api');
    expect(api.spec.rules[0].from[0].source.principals).toEqual(['prod.example.org/ns/shop/sa/web']);
  });
});

describe('README: every TypeScript block', () => {
  const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map(m => m[1]);

  test('there are blocks, and each is a whole program: it imports what it uses and creates its App', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(8);
    for (const block of blocks) {
      expect(block).toMatch(/^import \{[^}]*\bApp\b[^}]*\} from 'cdk8s';/);
      expect(block).toMatch(/\nconst app = new App\(\);\n/);
      expect(block).toMatch(/\n(app\.synth\(\)|Synthesis\.synth\(app\));/);
    }
  });

  test.each(blocks.map((b, i) => [i + 1, b]))('block %i runs as written and synthesizes valid objects', (_i, block) => {
    const app = runReadmeApp(block as string);
    const written = fs.readdirSync(app.outdir).filter(f => f.endsWith('.k8s.yaml'));
    expect(written.length).toBeGreaterThan(0);
    expectValidManifests(synthCharts(app));
  });
});
