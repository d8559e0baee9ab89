import { ApiObject, Testing } from 'cdk8s';
import * as fc from 'fast-check';
import { hostile, rejection, RUNS } from './_hostile';
import { AdoptedWorkload, MeshService, ZeroTrustNamespace } from '../../src';

/**
 * AdoptedWorkload reads labels, the ServiceAccount, container ports and the injection opt-out
 * from a manifest someone else wrote: hostile values there are rejected with the library's clear
 * error, or the policies mean exactly the manifest. Grammars from the Kubernetes docs and the
 * injection rule from Istio's injector (`strings.ToLower(value)`: `y`, `yes`, `true`, `on` inject,
 * empty is the namespace default, anything else opts out), written here independently of src/.
 */

const IMAGE = 'ghcr.io/acme/app:1.0.0';
const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const PREFIX = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const isLabelKey = (k: string) => (k.includes('/') ? PREFIX.test(k.slice(0, k.indexOf('/'))) && NAME.test(k.slice(k.indexOf('/') + 1)) : NAME.test(k));
const isLabelValue = (v: string) => v === '' || NAME.test(v);
const SUBDOMAIN = PREFIX;
const injected = (v: string | undefined) => v === undefined || ['', 'y', 'yes', 'true', 'on'].includes(v.toLowerCase());

interface Manifest { key: string; value: string; extraKey: string; extraValue: string; sa: string; inject?: string; injectOn: 'label' | 'annotation'; portName?: string; port: number }

/** Mostly an ordinary value (so that whole manifests are accepted too), else a hostile one. */
const mostly = <T>(ordinary: fc.Arbitrary<T>, other: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 4, arbitrary: ordinary }, { weight: 1, arbitrary: other });

const manifest: fc.Arbitrary<Manifest> = fc.record({
  key: mostly(fc.constantFrom('app', 'app.kubernetes.io/name'), hostile),
  value: mostly(fc.constantFrom('web', ''), hostile),
  extraKey: mostly(fc.constantFrom('team'), hostile),
  extraValue: mostly(fc.constantFrom('shop'), hostile),
  sa: mostly(fc.constantFrom('web', 'web.v1'), fc.oneof(hostile, fc.constantFrom('*', 'a/sa/b', 'WEB'))),
  inject: fc.option(mostly(fc.constantFrom('true', 'yes', 'ON', ''), fc.oneof(hostile, fc.constantFrom('false', 'False', 'no', 'off', '0'))), { nil: undefined }),
  injectOn: fc.constantFrom('label' as const, 'annotation' as const),
  portName: fc.option(mostly(fc.constantFrom('http-web', 'grpc', 'tcp-db'), fc.oneof(hostile, fc.constantFrom('http--x', 'HTTP', '1234'))), { nil: undefined }),
  port: mostly(fc.integer({ min: 1, max: 65535 }), fc.constantFrom(0, -1, 70000, 1.5, NaN)),
});

describe('hostile input: the manifests AdoptedWorkload reads', () => {
  test('labels, ServiceAccount, injection opt-out and ports of the adopted manifest: rejected, or exactly the selector and identity in the policies, and in the mesh', () => {
    const tally = { accepted: 0, rejected: 0 };
    fc.assert(fc.property(manifest, m => {
      const chart = Testing.chart();
      const ns = new ZeroTrustNamespace(chart, 'shop');
      const labels: { [k: string]: string } = { [m.extraKey]: m.extraValue, [m.key]: m.value };
      if (m.inject !== undefined && m.injectOn === 'label') labels['sidecar.istio.io/inject'] = m.inject;
      const annotations = m.inject !== undefined && m.injectOn === 'annotation' ? { 'sidecar.istio.io/inject': m.inject } : undefined;
      const selector = { [m.key]: labels[m.key] };
      const web = new ApiObject(chart, 'web', {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web', namespace: 'shop' },
        spec: {
          selector: { matchLabels: selector },
          template: {
            metadata: { labels, ...(annotations ? { annotations } : {}) },
            spec: { serviceAccountName: m.sa, containers: [{ name: 'web', image: IMAGE, ports: [{ containerPort: m.port, ...(m.portName !== undefined ? { name: m.portName } : {}) }] }] },
          },
        },
      });
      const api = new MeshService(chart, 'api', { namespace: ns, image: IMAGE, port: 8080 });
      let out: any[] = [];
      const error = rejection(() => {
        const adopted = new AdoptedWorkload(chart, 'target', { workload: web, namespace: ns, allowDefaultServiceAccount: true });
        api.allowFrom(adopted);
        adopted.allowFrom(api);
        out = Testing.synth(chart);
      }, /^\[test\/target\] invalid workload/);
      if (error) { tally.rejected++; return; }
      tally.accepted++;
      // the manifest is one Kubernetes accepts, and its pods are in the mesh
      expect(Object.entries(labels).every(([k, v]) => isLabelKey(k) && isLabelValue(v))).toBe(true);
      expect(SUBDOMAIN.test(m.sa)).toBe(true);
      expect(Number.isInteger(m.port) && m.port >= 1 && m.port <= 65535).toBe(true);
      expect(m.portName === undefined || /^(?!.*--)[a-z0-9]([-a-z0-9]{0,13}[a-z0-9])?$/.test(m.portName)).toBe(true);
      expect(injected(labels['sidecar.istio.io/inject'] ?? annotations?.['sidecar.istio.io/inject'])).toBe(true);
      // the policies select exactly the manifest's selector and name exactly its ServiceAccount
      const authz = out.find(o => o.kind === 'AuthorizationPolicy' && o.metadata.name === 'api');
      expect(authz.spec.rules.flatMap((r: any) => r.from[0].source.principals)).toEqual([`cluster.local/ns/shop/sa/${m.sa}`]);
      const own = out.filter(o => o.kind === 'AuthorizationPolicy' && o.metadata.name !== 'api' && o.spec?.selector);
      expect(own.map(o => o.spec.selector.matchLabels)).toContainEqual(selector);
      const egress = out.find(o => o.kind === 'NetworkPolicy' && o.metadata.name === 'api-ingress');
      expect(JSON.stringify(egress.spec.ingress)).toContain(JSON.stringify({ matchLabels: selector }));
    }), { ...RUNS, numRuns: 120 });
    expect(tally.accepted).toBeGreaterThan(0);
    expect(tally.rejected).toBeGreaterThan(0);
  });
});
