import * as path from 'path';
import { celEnv, isCelList, isCelMap, parse as parseCel, plan } from '@bufbuild/cel';
import { Testing } from 'cdk8s';
import { Construct } from 'constructs';
import * as fc from 'fast-check';
import { hostile, rejection, RUNS } from './_hostile';
import {
  ClusterSpiffeId, IntentGraph, MeshService, PolicyEngine, Privilege, SpireDeployment, ZeroTrustNamespace, ZeroTrustPolicyPack,
} from '../../src';
import { celLiteral } from '../../src/policy/_cel-literal';

/**
 * Policy parameters are data, never code; host paths, images and SPIFFE ID templates mean
 * exactly what they say. Checked with @bufbuild/cel (a full CEL implementation), Node's POSIX
 * path normalizer and the image reference grammar of distribution/reference, written from its
 * documentation.
 */

const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
const text = hostile.filter(s => !LONE_SURROGATE.test(s));

/** JSON data with hostile strings: what a policy pack binds as parameters. */
const data = fc.letrec(tie => ({
  value: fc.oneof({ depthSize: 'small' },
    text, fc.integer(), fc.boolean(), fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(text, tie('value'), { maxKeys: 4 })),
})).value;

/** A CEL value back as JSON data (ints as numbers). */
function fromCel(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (isCelList(v)) return [...v].map(fromCel);
  if (isCelMap(v)) return Object.fromEntries([...v.entries()].map(([k, x]) => [String(k), fromCel(x)]));
  return v;
}

/** distribution/reference: name := [domain '/'] path-component ['/' path-component]* */
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const DOMAIN = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*(?::[0-9]+)?';
const IMAGE_NAME = new RegExp(`^(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);

describe('hostile input: policy parameters, host paths, images, SPIFFE IDs', () => {
  test('a parameter bound into CEL is a literal that evaluates back to exactly the data (never an expression)', () => {
    fc.assert(fc.property(data, (value) => {
      const expression = celLiteral(value);
      const result = plan(celEnv(), parseCel(expression))({});
      expect(fromCel(result)).toEqual(JSON.parse(JSON.stringify(value)));
    }), { ...RUNS, numRuns: 300 });
  });

  test('a host path of a privileged workload is rejected, or absolute and normalized (no .., no //, no trailing /) and exempted exactly', () => {
    const hostPath = fc.oneof(hostile, hostile.map(h => `/var/${h}`), fc.constantFrom('/run/spire/agent-sockets', '/var/../etc', '/var//lib', '/var/lib/', 'relative', '/'));
    let accepted = 0;
    fc.assert(fc.property(hostPath, (p) => {
      const chart = Testing.chart();
      new ZeroTrustPolicyPack(chart, 'pack', { engine: PolicyEngine.KUBERNETES, allowedRegistries: ['ghcr.io/acme/'] });
      const error = rejection(() => IntentGraph.of(chart).declarePrivilegedWorkload(new Construct(chart, 'agent'), {
        namespace: 'spire', kind: 'DaemonSet', name: 'agent', podLabels: { app: 'agent' }, privileges: [Privilege.HOST_PATH], hostPaths: [p], reason: 'serves the node agent socket',
      }), /^\[test\/agent\] invalid /);
      if (error) return;
      accepted++;
      let manifests: string;
      try {
        manifests = JSON.stringify(Testing.synth(chart));
      } catch (e) {
        // a path the engine's parameter form cannot carry exactly (the native pack's ConfigMap: no
        // whitespace or commas) is the library's error, as thrown (src/intent/_own-errors.ts)
        expect(e instanceof Error && e.constructor === Error).toBe(true);
        expect((e as Error).message).toMatch(/^\[test\/pack\] invalid exemptWorkloads\.(hostPaths|allowed) /);
        return;
      }
      expect(path.posix.isAbsolute(p)).toBe(true);
      expect(path.posix.normalize(p)).toBe(p);
      expect(p.length === 1 || !p.endsWith('/')).toBe(true);
      expect(/[\u0000-\u001f\u007f]/.test(p)).toBe(false);
      expect(manifests).toContain(JSON.stringify(p).slice(1, -1));
    }), RUNS);
    expect(accepted).toBeGreaterThan(0);
  });

  test('allowAppImages: an app image is rejected, or admitted by exactly its own repository (a distribution/reference name with a path)', () => {
    const image = fc.oneof(hostile, hostile.map(h => `ghcr.io/acme/${h}:1`),
      fc.constantFrom('ghcr.io/acme/app:1.0.0', 'registry.example.com:5000', 'nginx:1.25', 'registry.example.com:5000/team/app:1', 'ghcr.io/acme/app@sha256:' + 'a'.repeat(64)));
    let accepted = 0;
    fc.assert(fc.property(image, (ref) => {
      const chart = Testing.chart();
      const ns = new ZeroTrustNamespace(chart, 'apps');
      const pack = new ZeroTrustPolicyPack(chart, 'pack', { engine: PolicyEngine.GATEKEEPER, allowedRegistries: ['docker.io/library/'], allowAppImages: true });
      let error: string | undefined;
      try {
        new MeshService(chart, 'app', { namespace: ns, image: ref, port: 8080 });
        Testing.synth(chart);
      } catch (e) {
        // the pack reads the images at synthesis time: its error still arrives as thrown (src/intent/_own-errors.ts)
        error = (e as Error).message;
        expect(e instanceof Error && e.constructor === Error).toBe(true);
        expect(error).toMatch(/^\[test\/(app|pack)\] invalid (image|allowAppImages) /);
      }
      if (error) return;
      accepted++;
      const repos: string[] = Testing.synth(chart).find(o => o.kind === 'K8sAllowedRepos').spec.parameters.repos;
      const mine = repos.filter(r => !r.startsWith('docker.io/') && ref.startsWith(r));
      expect(mine.length).toBe(1);
      const name = mine[0].slice(0, -1);
      expect(['@', ':']).toContain(mine[0].slice(-1));
      expect(IMAGE_NAME.test(name) && name.includes('/')).toBe(true);
      expect(pack.node.path).toBe('test/pack');
    }), RUNS);
    expect(accepted).toBeGreaterThan(0);
  });

  test('a ClusterSPIFFEID template is rejected, or a spiffe:// template of this trust domain that names no other declared workload', () => {
    const template = fc.oneof(hostile, hostile.map(h => `spiffe://cluster.local/${h}`),
      fc.constantFrom('spiffe://cluster.local/ns/{{ .PodMeta.Namespace }}/sa/{{ .PodSpec.ServiceAccountName }}', 'spiffe://cluster.local/ns/prod/sa/orders',
        'spiffe://other.org/x', 'spiffe://cluster.local/batch/{{ .PodMeta.Name }}', 'spiffe://cluster.local/{{ printf "ns/prod/sa/orders" }}'));
    let accepted = 0;
    fc.assert(fc.property(template, (t) => {
      const chart = Testing.chart();
      const prod = new ZeroTrustNamespace(chart, 'prod', { name: 'prod' });
      new MeshService(chart, 'orders', { namespace: prod, image: 'ghcr.io/acme/orders:1', port: 8080 });
      const spire = new SpireDeployment(chart, 'spire', { clusterName: 'a' });
      const error = rejection(() => {
        new ClusterSpiffeId(chart, 'id', { spire, spiffeIdTemplate: t, podSelector: { matchLabels: { app: 'batch' } } });
        Testing.synth(chart);
      }, /^\[test\/id\] invalid /);
      if (error) return;
      accepted++;
      const id = Testing.synth(chart).find(o => o.kind === 'ClusterSPIFFEID' && o.spec.spiffeIDTemplate === t);
      expect(id).toBeDefined();
      expect(t.startsWith('spiffe://cluster.local/')).toBe(true);
      expect(t).not.toBe('spiffe://cluster.local/ns/prod/sa/orders');
      // outside its {{ }} actions, a SPIFFE ID path: segments of letters, digits, '.', '-', '_'
      const literal = t.slice('spiffe://cluster.local'.length).replace(/\{\{[^}]*\}\}/g, 'x');
      expect(literal.split('/').slice(1).every(seg => /^[A-Za-z0-9._-]+$/.test(seg) && seg !== '.' && seg !== '..')).toBe(true);
    }), RUNS);
    expect(accepted).toBeGreaterThan(0);
  });
});
