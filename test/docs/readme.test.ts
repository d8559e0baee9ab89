import * as fs from 'fs';
import * as path from 'path';
import * as cdk8s from 'cdk8s';
import * as lib from '../../src';
import { Cluster } from '../support/reachability';
import { readmeSnippet, runReadmeApp } from '../support/readme';
import { expectValidManifests } from '../support/schemas';

describe('README', () => {
  test('the quickstart runs, synthesizes valid objects and does what the text says', () => {
    const app = runReadmeApp(readmeSnippet('## Quickstart'));
    const manifests = app.charts.flatMap(c => cdk8s.Testing.synth(c));
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
    const manifests = app.charts.flatMap(c => cdk8s.Testing.synth(c));
    expectValidManifests(manifests);
    const kinds = [...new Set(manifests.map(m => m.kind))].sort();
    expect(kinds).toEqual(expect.arrayContaining(['ConfigMap', 'PodMonitor', 'PrometheusRule', 'Telemetry']));
    const rules = manifests.find(m => m.kind === 'ConfigMap' && m.metadata.name === 'falco-rules').data['zero-trust-rules.yaml'];
    expect(rules).toContain('zt_allowed_ports_production_order_service');
    expect(lib.OutputFile.of(app).map(f => f.relativePath)).toEqual(['helm/falco-values.yaml', 'istio/mesh-config-access-log.yaml']);
    expect(fs.existsSync(path.join(`${app.outdir}-files`, 'helm', 'falco-values.yaml'))).toBe(true);
  });
});
