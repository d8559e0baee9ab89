import { Chart, Testing } from 'cdk8s';
import * as fc from 'fast-check';
import { hostile, rejection, RUNS } from './_hostile';
import { CiliumWorkloadPolicy, ClusterPeer, Cni, HttpEnforcement, MeshService, ZeroTrustNamespace } from '../../src';

/**
 * Hostile strings in the Cilium-specific props: the DNS peer of a CiliumWorkloadPolicy (namespace,
 * pod labels, which become Cilium endpoint labels `k8s:<key>`), the HTTP rules Cilium enforces with
 * `HttpEnforcement.CILIUM` (paths become Cilium `rules.http[].path` regular expressions; methods and
 * header values land there too), and the ClusterPeers that become Cilium entities. Each value is
 * rejected with the library's clear error, or the CiliumNetworkPolicy means exactly the
 * declaration: label grammar from the Kubernetes docs, and the path regex admits exactly the
 * paths Istio's matching rules (Istio AuthorizationPolicy reference: exact, `prefix*`, `*suffix`,
 * `*`, path templates `{*}` and `{**}`), written here as a matcher, not as a regex.
 */

const IMAGE = 'ghcr.io/acme/app:1.0.0';
const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const PREFIX = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const isLabelKey = (k: string) => (k.includes('/') ? PREFIX.test(k.slice(0, k.indexOf('/'))) && NAME.test(k.slice(k.indexOf('/') + 1)) : NAME.test(k));
const isLabelValue = (v: string) => v === '' || NAME.test(v);
const DNS1123 = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** Whether Istio's `paths` entry `pattern` matches the request path `path` (independent model). */
function istioMatches(pattern: string, path: string): boolean {
  if (pattern.includes('{')) {
    const want = pattern.split('/');
    const got = path.split('/');
    const match = (i: number, j: number): boolean => {
      if (i === want.length) return j === got.length;
      if (want[i] === '{**}') return i === want.length - 1 ? j < got.length : false; // zero or more segments, last operator only
      if (j === got.length) return false;
      if (want[i] === '{*}') return got[j] !== '' && match(i + 1, j + 1);
      return want[i] === got[j] && match(i + 1, j + 1);
    };
    return match(0, 0);
  }
  if (pattern === '*') return true;
  if (pattern.endsWith('*')) return path.startsWith(pattern.slice(0, -1));
  if (pattern.startsWith('*')) return path.endsWith(pattern.slice(1));
  return path === pattern;
}

/** Request paths near `pattern`: itself, its wildcards filled, and one character changed or added at each place. */
function probes(pattern: string): string[] {
  const filled = ['', 'x', 'x/y', 'X.Y'].flatMap(f => [
    pattern.replace(/\{\*\*\}/g, f).replace(/\{\*\}/g, f).replace(/\*/g, f),
  ]);
  const near = filled.flatMap(p => [...p].flatMap((_, i) => [p.slice(0, i) + 'Q' + p.slice(i + 1), p.slice(0, i) + p.slice(i + 1), p.slice(0, i) + '/' + p.slice(i)]));
  return [...new Set([pattern, ...filled, ...near, ...filled.map(p => `${p}/`), ...filled.map(p => `${p}z`)])];
}

const pathArb = fc.oneof(
  { weight: 3, arbitrary: hostile.map(h => `/${h}`) },
  { weight: 1, arbitrary: hostile },
  { weight: 2, arbitrary: fc.constantFrom('/api/orders', '/api/*', '*.json', '/v1/{*}/items', '/v1/{**}', '/a.b+c(d)', '/x[1]', '/$^', '/a|b', '/a?b', '/ü', '*') },
);

function cilium(chart: Chart) {
  const ns = new ZeroTrustNamespace(chart, 'shop');
  const api = new MeshService(chart, 'api', { namespace: ns, image: IMAGE, port: 8080 });
  const web = new MeshService(chart, 'web', { namespace: ns, image: IMAGE, port: 8080 });
  return { api, web };
}

describe('hostile input: Cilium-specific props', () => {
  test('CiliumWorkloadPolicy dns.namespace and dns.podLabels: rejected, or the DNS rule selects exactly those Cilium endpoint labels', () => {
    const tally = { accepted: 0, rejected: 0 };
    const labels = fc.oneof(fc.tuple(hostile, hostile).map(([k, v]) => ({ [k]: v })), fc.constantFrom<{ [key: string]: string }>({}, { 'k8s-app': 'kube-dns' }, { 'k8s:io.kubernetes.pod.namespace': 'default' }));
    fc.assert(fc.property(hostile, labels, (namespace, podLabels) => {
      const chart = Testing.chart();
      const { api } = cilium(chart);
      api.allowEgressTo('api.stripe.com');
      const error = rejection(() => new CiliumWorkloadPolicy(chart, 'p', { workload: api, dns: { namespace, podLabels } }), /^\[test\/p\] invalid dns\.(namespace|podLabels)\b/);
      if (error) { tally.rejected++; return; }
      tally.accepted++;
      expect(DNS1123.test(namespace)).toBe(true);
      expect(Object.keys(podLabels).length).toBeGreaterThan(0);
      expect(Object.entries(podLabels).every(([k, v]) => isLabelKey(k) && isLabelValue(v))).toBe(true);
      const policy = Testing.synth(chart).find(o => o.kind === 'CiliumNetworkPolicy');
      const expected = { 'k8s:io.kubernetes.pod.namespace': namespace, ...Object.fromEntries(Object.entries(podLabels).map(([k, v]) => [`k8s:${k}`, v])) };
      expect(policy.spec.egress[0].toEndpoints).toEqual([{ matchLabels: expected }]);
    }), RUNS);
    expect(tally.accepted).toBeGreaterThan(0);
    expect(tally.rejected).toBeGreaterThan(0);
  });

  test('HttpEnforcement.CILIUM paths, methods and headers: rejected, or each rules.http path regex admits exactly the paths Istio\'s rule would', () => {
    const tally = { accepted: 0, rejected: 0 };
    const methods = fc.oneof(fc.constant(undefined), fc.array(fc.oneof(hostile, fc.constantFrom('GET', 'POST', 'G.T', 'GET|POST', '.*')), { minLength: 1, maxLength: 2 }));
    const headers = fc.oneof(fc.constant(undefined), fc.tuple(hostile, hostile).map(([k, v]) => ({ [k]: v })), fc.constant({ 'x-tenant': 'acme' }));
    fc.assert(fc.property(fc.array(pathArb, { minLength: 1, maxLength: 2 }), methods, headers, (paths, ms, requireHeaders) => {
      const chart = Testing.chart();
      const { api, web } = cilium(chart);
      const error = rejection(() => {
        api.allowFrom(web, { paths, methods: ms, requireHeaders });
        new CiliumWorkloadPolicy(chart, 'p', { workload: api, httpEnforcement: HttpEnforcement.CILIUM });
      }, /^\[test\/(api|p)\] invalid /);
      if (error) { tally.rejected++; return; }
      tally.accepted++;
      const policy = Testing.synth(chart).find(o => o.kind === 'CiliumNetworkPolicy');
      const http: any[] = policy.spec.ingress[0].toPorts[0].rules.http;
      // every emitted regex, matched over the whole path as Envoy does, admits exactly what some declared path admits
      const regexes = [...new Set(http.map(r => r.path))].map(p => new RegExp(`^(?:${p})$`));
      expect(regexes.length).toBe(new Set(paths).size);
      for (const pattern of paths) {
        for (const probe of probes(pattern)) {
          expect({ probe, cilium: regexes.some(r => r.test(probe)) }).toEqual({ probe, cilium: paths.some(p => istioMatches(p, probe)) });
        }
      }
      // methods are Cilium regexes too: only plain method names
      for (const r of http) if (r.method !== undefined) expect(r.method).toMatch(/^[A-Z]+$/);
      expect(new Set(http.map(r => r.method))).toEqual(new Set(ms ?? [undefined]));
      for (const r of http) expect(r.headerMatches ?? []).toEqual(Object.entries(requireHeaders ?? {}).map(([name, value]) => ({ name, value })));
    }), RUNS);
    expect(tally.accepted).toBeGreaterThan(0);
    expect(tally.rejected).toBeGreaterThan(0);
  });

  test('ClusterPeer with Cni.CILIUM: a hostile cni, ports or addresses are rejected; accepted peers become exactly the fixed Cilium entities', () => {
    const tally = { accepted: 0, rejected: 0 };
    const cni = fc.oneof(fc.constantFrom(Cni.CILIUM, Cni.GENERIC, undefined), hostile as fc.Arbitrary<any>);
    const port = fc.oneof(fc.integer({ min: -5, max: 70000 }), fc.constantFrom(443, 6443, NaN, 1.5));
    const ports = fc.oneof(fc.constant(undefined), fc.array(port, { minLength: 0, maxLength: 2 }));
    fc.assert(fc.property(cni, ports, fc.boolean(), (c, p, addresses) => {
      const chart = Testing.chart();
      const { api } = cilium(chart);
      const error = rejection(() => ClusterPeer.kubernetesApiServer({ cni: c, ports: p, ...(addresses ? { addresses: ['172.18.0.2/32'] } : {}) }).allowFrom(api),
        /^\[(ClusterPeer\.kubernetesApiServer|test\/api)\] invalid /);
      if (error) { tally.rejected++; return; }
      tally.accepted++;
      const out = Testing.synth(chart);
      const rules = out.filter(o => o.kind === 'CiliumNetworkPolicy' || o.kind === 'NetworkPolicy').flatMap(o => o.spec.egress ?? [])
        .filter((r: any) => r.toEntities !== undefined || (r.to ?? []).some((t: any) => t.ipBlock?.cidr === '172.18.0.2/32'));
      expect(rules.flatMap((r: any) => r.toEntities ?? [])).toEqual(c === Cni.CILIUM ? ['kube-apiserver'] : []);
      expect(rules.length).toBe(1);
      const rulePorts = (rules[0].toPorts?.flatMap((t: any) => t.ports) ?? rules[0].ports).map((x: any) => Number(x.port));
      expect(rulePorts.sort()).toEqual([...new Set(p ?? [443, 6443])].sort());
    }), RUNS);
    expect(tally.accepted).toBeGreaterThan(0);
    expect(tally.rejected).toBeGreaterThan(0);
  });
});
