import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import Ajv from 'ajv';
import { Chart, JsonPatch, Testing } from 'cdk8s';
import { IntentGraph, MeshAccessLogging, ReferenceArchitecture, ZeroTrustNamespace, MeshService } from '../../src';
import { Cluster } from '../../src/evidence/_cluster';
import { compliance, OSCAL_VERSION, outside, stableUuid } from '../../src/evidence/_compliance';
import { connectivity } from '../../src/evidence/_connectivity';
import { appManifests, checkEffect } from '../../src/evidence/_effect';

const SCHEMA_FILE = path.join(__dirname, '..', 'fixtures', 'oscal', 'oscal_component_schema-1.1.1.json');
const SCHEMA_SHA256 = '5c7b11665df35c23073f28f0bcba88046a0bc494609859405b4467edbc762d2d';

/** A validator of the pinned OSCAL 1.1.1 component-definition schema, with its formats. */
function oscalValidator() {
  const text = fs.readFileSync(SCHEMA_FILE);
  expect(createHash('sha256').update(text).digest('hex')).toBe(SCHEMA_SHA256);
  const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: true });
  ajv.addFormat('date-time', { validate: (s: string) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(s) && !isNaN(Date.parse(s)) });
  ajv.addFormat('email', /^[^@\s]+@[^@\s]+$/);
  ajv.addFormat('uri', { validate: (s: string) => /^[A-Za-z][A-Za-z0-9+.-]*:/.test(s) && !/\s/.test(s) });
  ajv.addFormat('uri-reference', { validate: (s: string) => !/\s/.test(s) });
  return ajv.compile(JSON.parse(text.toString('utf8')));
}

function reference() {
  const app = Testing.app();
  new ReferenceArchitecture(app, 'zero-trust');
  const manifests = appManifests(app);
  const graph = IntentGraph.of(app);
  const cluster = new Cluster(manifests, graph.trustDomain);
  return { app, graph, manifests, cluster, result: compliance(graph, manifests, checkEffect(graph, manifests, cluster), connectivity(cluster, manifests), '2026-12-01T00:00:00Z') };
}

describe('compliance evidence', () => {
  test('the OSCAL component-definition of the reference architecture validates against the pinned OSCAL 1.1.1 schema', () => {
    const { result } = reference();
    const validate = oscalValidator();
    const valid = validate(result.oscal);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    expect(result.oscal['component-definition'].metadata['oscal-version']).toBe(OSCAL_VERSION);
  });

  test('controls: NIST SP 800-207A tiers, NIST SP 800-53 rev5 ids in lower case, SOC 2, PCI DSS 4.0 1.2-1.3', () => {
    const { result } = reference();
    const impls = result.oscal['component-definition'].components[0]['control-implementations'];
    const ids = Object.fromEntries(impls.map((i: any) => [i.source, i['implemented-requirements'].map((r: any) => r['control-id'])]));
    expect(Object.values(ids)).toEqual([
      ['ac-3', 'ac-4', 'au-2', 'cm-7', 'ia-9', 'sc-7', 'sc-8', 'si-4'],
      ['network-tier-policy', 'identity-tier-policy'],
      ['cc6.1', 'cc6.6', 'cc6.7', 'cc7.2'],
      ['req-1.2', 'req-1.3'],
    ]);
    expect(Object.keys(ids)[0]).toMatch(/NIST_SP-800-53_rev5_catalog\.json$/);
  });

  test('every claim carries its evidence: the exact objects and graph edges', () => {
    const { result, graph } = reference();
    const impls = result.oscal['component-definition'].components[0]['control-implementations'];
    const req = (id: string) => impls.flatMap((i: any) => i['implemented-requirements']).find((r: any) => r['control-id'] === id);
    const values = (id: string, name: string) => req(id).props.filter((p: any) => p.name === name).map((p: any) => p.value);
    expect(values('sc-8', 'evidence-object')).toEqual(expect.arrayContaining(['PeerAuthentication/production/default', 'PeerAuthentication/data/default']));
    expect(values('ac-3', 'evidence-edge')).toEqual(graph.calls.map(c => c.key));
    expect(values('ac-4', 'evidence-edge')).toEqual([...graph.calls.map(c => c.key), ...graph.egress.map(e => e.key)]);
    expect(values('au-2', 'evidence-object')).toEqual(['Telemetry/istio-system/mesh-default']);
    expect(values('ac-3', 'effect-check')).toEqual(['passed']);
    // SC-7 names every workload outside addresses reach, not only the edge proxy
    expect(req('sc-7').description).toMatch(/edge\/access-proxy\[Gateway\] from any address: TCP 443/);
  });

  test('only claims the output supports: without access logging there is no AU-2; a broken rendering is reported as partial', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'c');
    const ns = new ZeroTrustNamespace(chart, 'shop');
    const a = new MeshService(chart, 'a', { namespace: ns, image: 'ghcr.io/acme/a:1', port: 8080 });
    new MeshService(chart, 'b', { namespace: ns, image: 'ghcr.io/acme/b:1', port: 8080 }).allowFrom(a);
    const graph = IntentGraph.of(app);
    const manifests = appManifests(app);
    const cluster = new Cluster(manifests);
    const ids = (r: any) => r.oscal['component-definition'].components[0]['control-implementations'].flatMap((i: any) => i['implemented-requirements'].map((x: any) => x['control-id']));
    const ok = compliance(graph, manifests, [], connectivity(cluster, manifests), '2026-12-01T00:00:00Z');
    expect(ids(ok)).not.toContain('au-2');
    expect(ids(ok)).not.toContain('si-4');
    new MeshAccessLogging(chart, 'logs');
    const withLogs = appManifests(app);
    expect(ids(compliance(graph, withLogs, [], connectivity(new Cluster(withLogs), withLogs), '2026-12-01T00:00:00Z'))).toContain('au-2');
    const broken = compliance(graph, manifests, [{ kind: 'denied', call: 'x', objects: [], message: 'm' }], [], '2026-12-01T00:00:00Z');
    const statuses = broken.oscal['component-definition'].components[0]['control-implementations'].flatMap((i: any) => i['implemented-requirements'])
      .map((r: any) => r.props.find((p: any) => p.name === 'implementation-status').value);
    expect(new Set(statuses)).toEqual(new Set(['partial']));
    expect(broken.markdown).toMatch(/The effect check found 1 differences/);
    void JsonPatch;
  });

  test('uuids are stable name-based version-5 uuids; the Markdown report lists objects per control', () => {
    expect(stableUuid('x')).toBe(stableUuid('x'));
    expect(stableUuid('x')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const { result } = reference();
    expect(result.markdown).toMatch(/^# Compliance evidence\n/);
    expect(result.markdown).toMatch(/## AC-4 Information Flow Enforcement[\s\S]*- object `NetworkPolicy\/production\/default-deny`/);
  });
});

describe('outside openings in the compliance text', () => {
  test('ranges merge per workload and connection; all of IPv4 is "any address"; others are named', () => {
    const lines = [
      { src: '0.0.0.0-169.254.7.126', dst: 'edge/proxy[Gateway]', conn: 'TCP 443' },
      { src: '169.254.7.127-169.254.7.127', dst: 'edge/proxy[Gateway]', conn: 'TCP 443' },
      { src: '169.254.7.127-169.254.7.127', dst: 'insights/catalog[Deployment]', conn: 'All Connections' },
      { src: '169.254.7.128-255.255.255.255', dst: 'edge/proxy[Gateway]', conn: 'TCP 443' },
      { src: 'a/b[Deployment]', dst: '10.0.0.0-10.255.255.255', conn: 'TCP 5432' },
      { src: 'a/b[Deployment]', dst: 'c/d[Deployment]', conn: 'TCP 8080' },
    ];
    expect(outside(lines, 'in')).toEqual([
      'edge/proxy[Gateway] from any address: TCP 443',
      'insights/catalog[Deployment] from 169.254.7.127-169.254.7.127: All Connections',
    ]);
    expect(outside(lines, 'out')).toEqual(['a/b[Deployment] -> 10.0.0.0-10.255.255.255: TCP 5432']);
  });

  test('the reference architecture: the internet reaches the edge proxy on 443; ambient pods only from the probe address', () => {
    const { result } = reference();
    const sc7 = result.markdown.split('\n').find(l => l.includes('SC-7 Boundary Protection'))!;
    expect(sc7).toContain('edge/access-proxy[Gateway] from any address: TCP 443');
    expect(sc7).toContain('insights/catalog[Deployment] from 169.254.7.127-169.254.7.127: All Connections');
    expect(sc7).not.toMatch(/insights\/catalog\[Deployment\] from any address/);
  });
});
