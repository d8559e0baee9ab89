import * as path from 'path';
import { Size, Testing } from 'cdk8s';
import * as fc from 'fast-check';
import { hostile, rejection, RUNS } from './_hostile';
import { ClusterPeer, ExternalWorkload, MeshService, MeshStatefulService, ZeroTrustNamespace } from '../../src';

// Open-world props (issue 13) with hostile strings: each is rejected with the library's clear
// error, or lands in the output exactly as declared and valid in the target grammar (written
// here from the Kubernetes docs, independent of src/)
const DNS1123 = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const PREFIX = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const isLabelKey = (k: string) => (k.includes('/') ? PREFIX.test(k.slice(0, k.indexOf('/'))) && NAME.test(k.slice(k.indexOf('/') + 1)) : NAME.test(k));
const isLabelValue = (v: string) => v === '' || NAME.test(v);
const IMAGE = 'ghcr.io/acme/app:1.0.0';

describe('hostile input: open-world workloads and peers', () => {
  test('ExternalWorkload: rejected, or its namespace, selector and ServiceAccount reach the callee\'s policies exactly', () => {
    let accepted = 0;
    fc.assert(fc.property(hostile, hostile, hostile, hostile, (namespace, key, value, sa) => {
      const chart = Testing.chart();
      const api = new MeshService(chart, 'api', { namespace: new ZeroTrustNamespace(chart, 'shop'), image: IMAGE, port: 8080 });
      const error = rejection(() => {
        const ext = new ExternalWorkload(chart, 'ext', { namespace, podSelector: { [key]: value }, serviceAccountName: sa });
        api.allowFrom(ext);
      }, /^\[test\/(ext|api)\] invalid /);
      if (error) return;
      accepted++;
      expect(DNS1123.test(namespace) && DNS1123.test(sa) && isLabelKey(key) && isLabelValue(value)).toBe(true);
      const out = Testing.synth(chart);
      const ingress = out.find(o => o.kind === 'NetworkPolicy' && o.metadata.name === 'api-ingress');
      expect(ingress.spec.ingress).toContainEqual(expect.objectContaining({
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } }, podSelector: { matchLabels: { [key]: value } } }],
      }));
      const authz = out.find(o => o.kind === 'AuthorizationPolicy' && o.metadata.name === 'api');
      expect(authz.spec.rules.flatMap((r: any) => r.from[0].source.principals)).toEqual([`cluster.local/ns/${namespace}/sa/${sa}`]);
    }), RUNS);
    expect(accepted).toBeGreaterThan(0);
  });

  test('ClusterPeer.pods: rejected, or the caller\'s egress selects exactly that namespace and those labels', () => {
    let accepted = 0;
    fc.assert(fc.property(hostile, hostile, hostile, (namespace, key, value) => {
      const chart = Testing.chart();
      const api = new MeshService(chart, 'api', { namespace: new ZeroTrustNamespace(chart, 'shop'), image: IMAGE, port: 8080 });
      const error = rejection(() => ClusterPeer.pods({ namespace, podLabels: { [key]: value } }).allowFrom(api, { ports: [443] }), /^\[ClusterPeer\.pods\] invalid /);
      if (error) return;
      accepted++;
      expect(DNS1123.test(namespace) && isLabelKey(key) && isLabelValue(value)).toBe(true);
      const egress = Testing.synth(chart).filter(o => o.kind === 'NetworkPolicy').flatMap(o => o.spec.egress ?? []).flatMap((r: any) => r.to ?? []);
      expect(egress).toContainEqual({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } }, podSelector: { matchLabels: { [key]: value } } });
    }), RUNS);
    expect(accepted).toBeGreaterThan(0);
  });

  test('MeshStatefulService writableDirectories: rejected, or mounted at exactly that absolute, normalized path', () => {
    let accepted = 0;
    fc.assert(fc.property(fc.oneof(hostile, hostile.map(h => `/${h}`), fc.constantFrom('/tmp', '/var/run/postgresql')), mountPath => {
      const chart = Testing.chart();
      const error = rejection(() => new MeshStatefulService(chart, 'db', {
        namespace: new ZeroTrustNamespace(chart, 'data'),
        image: IMAGE,
        port: 5432,
        writableDirectories: [{ mountPath }],
        volumeClaims: [{ name: 'data', mountPath: '/var/lib/data', storage: Size.gibibytes(1) }],
      }), /^\[test\/db\] invalid /);
      if (error) return;
      accepted++;
      expect(mountPath.startsWith('/') && path.posix.normalize(mountPath) === mountPath && !/[\0\n\r]/.test(mountPath)).toBe(true);
      const sts = Testing.synth(chart).find(o => o.kind === 'StatefulSet');
      const mounts = sts.spec.template.spec.containers.flatMap((c: any) => c.volumeMounts ?? []).map((m: any) => m.mountPath);
      expect(mounts).toContain(mountPath);
    }), RUNS);
    expect(accepted).toBeGreaterThan(0);
  });
});
