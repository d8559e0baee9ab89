import * as fs from 'fs';
import { join } from 'path';
import { ApiObject, App, Chart, JsonPatch, Testing } from 'cdk8s';
import {
  AppProtocol, EFFECT_CHECK_CONTEXT, EffectCheck, IntentGraph, MeshMode, MeshService, ReferenceArchitecture, Synthesis,
  ZeroTrustEvidence, ZeroTrustNamespace,
} from '../../src';
import { Cluster } from '../../src/evidence/_cluster';
import { appManifests, checkEffect } from '../../src/evidence/_effect';

/** A small app: frontend (web) -> api (production, GET /api/*) -> db (data, TCP 5432). */
function small(app: App = Testing.app()): { app: App; chart: Chart; api: MeshService; db: MeshService; frontend: MeshService } {
  const chart = new Chart(app, 'c');
  const web = new ZeroTrustNamespace(chart, 'web');
  const prod = new ZeroTrustNamespace(chart, 'production');
  const data = new ZeroTrustNamespace(chart, 'data');
  const frontend = new MeshService(chart, 'frontend', { namespace: web, image: 'ghcr.io/acme/frontend:1.0.0', port: 8080 });
  const api = new MeshService(chart, 'api', { namespace: prod, image: 'ghcr.io/acme/api:1.0.0', port: 8080 });
  const db = new MeshService(chart, 'db', { namespace: data, image: 'ghcr.io/acme/db:1.0.0', port: 5432, protocol: AppProtocol.TCP });
  api.allowFrom(frontend, { methods: ['GET'], paths: ['/api/*'] });
  db.allowFrom(api);
  return { app, chart, api, db, frontend };
}

/** The object of `kind` named `name` in the app. */
function object(chart: Chart, kind: string, name: string, namespace: string): ApiObject {
  const found = chart.node.findAll().filter((c): c is ApiObject => ApiObject.isApiObject(c)
    && c.kind === kind && c.name === name && c.metadata.namespace === namespace);
  if (found.length !== 1) throw new Error(`expected one ${kind} ${namespace}/${name}, found ${found.length}`);
  return found[0];
}

describe('EffectCheck', () => {
  test('the reference architecture allows exactly its intent graph, and synthesis passes', () => {
    // GIVEN
    const app = Testing.app();
    new ReferenceArchitecture(app, 'zero-trust');
    // THEN
    expect(EffectCheck.of(app).differences()).toEqual([]);
    expect(() => app.synth()).not.toThrow();
  });

  test('one check per app, created by the first ZeroTrustNamespace', () => {
    const { app } = small();
    const checks = app.node.findAll().filter(c => c instanceof EffectCheck);
    expect(checks).toHaveLength(1);
    expect(EffectCheck.of(app)).toBe(checks[0]);
    expect(EffectCheck.of(app).enabled).toBe(true);
    expect(() => new EffectCheck(app, 'Another')).toThrow(/an app has one EffectCheck and EffectCheck already exists/);
  });

  describe('catches broken renderings (escape hatches applied to the generated objects)', () => {
    test('a dropped rule: the declared call is denied, naming the call and the NetworkPolicy', () => {
      const { chart } = small();
      object(chart, 'NetworkPolicy', 'db-ingress', 'data').addJsonPatch(JsonPatch.replace('/spec/ingress', []));
      expect(() => Testing.synth(chart)).toThrow(
        /effect differs from intent \(denied\): declared call production\/api -> data\/db:5432 is denied by the network layer \(NetworkPolicy\/data\/default-deny, [^)]*NetworkPolicy\/data\/db-ingress\)/);
    });

    test('a widened selector: any pod of any namespace may reach the callee at the network layer', () => {
      const { chart } = small();
      object(chart, 'NetworkPolicy', 'db-ingress', 'data').addJsonPatch(JsonPatch.replace('/spec/ingress/0/from/0', { namespaceSelector: {} }));
      expect(() => Testing.synth(chart)).toThrow(
        /effect differs from intent \(undeclared\): the network \(ingress\) layer lets web\/frontend -> data\/db:5432 through, which the intent graph does not declare \(allowed by NetworkPolicy\/data\/db-ingress\)/);
    });

    test('a widened principal: the mesh layer admits anyone with a certificate', () => {
      const { chart } = small();
      object(chart, 'AuthorizationPolicy', 'db', 'data').addJsonPatch(JsonPatch.replace('/spec/rules/0/from/0/source/principals', ['*']));
      expect(() => Testing.synth(chart)).toThrow(/\(undeclared\): the mesh layer lets data\/zz-stranger \(not in the intent graph\) -> data\/db:5432 through, which the intent graph does not declare \(allowed by AuthorizationPolicy\/data\/db\)/);
    });

    test('PERMISSIVE mTLS: calls are not authenticated', () => {
      const { chart } = small();
      object(chart, 'PeerAuthentication', 'default', 'data').addJsonPatch(JsonPatch.replace('/spec/mtls/mode', 'PERMISSIVE'));
      expect(() => Testing.synth(chart)).toThrow(
        /\(unauthenticated\): calls to data\/db on port 5432 are not authenticated: mTLS mode is PERMISSIVE \(PeerAuthentication\/data\/default\)/);
    });

    test('a missing port: the AuthorizationPolicy names another port', () => {
      const { chart } = small();
      object(chart, 'AuthorizationPolicy', 'api', 'production').addJsonPatch(JsonPatch.replace('/spec/rules/0/to/0/operation/ports', ['9090']));
      expect(() => Testing.synth(chart)).toThrow(
        /\(denied\): declared call web\/frontend -> production\/api:8080 GET \/api\/zz is denied by the authorization layer \([^)]*AuthorizationPolicy\/production\/api\)/);
    });

    test('a rule without ports opens every port', () => {
      const { chart } = small();
      object(chart, 'NetworkPolicy', 'db-ingress', 'data').addJsonPatch(JsonPatch.remove('/spec/ingress/0/ports'));
      expect(() => Testing.synth(chart)).toThrow(/\(undeclared\): the network \(ingress\) layer lets production\/api -> data\/db:1 through/);
    });

    test('a dropped path restriction: undeclared paths get through the mesh', () => {
      const { chart } = small();
      object(chart, 'AuthorizationPolicy', 'api', 'production').addJsonPatch(JsonPatch.remove('/spec/rules/0/to/0/operation/paths'));
      expect(() => Testing.synth(chart)).toThrow(/\(undeclared\): the mesh layer lets web\/frontend -> production\/api:8080 GET \/ through/);
    });

    test('a caller without its egress rule: the declared call is denied at the caller', () => {
      const { chart } = small();
      object(chart, 'NetworkPolicy', 'api-egress', 'production').addJsonPatch(JsonPatch.replace('/spec/egress', []));
      expect(() => Testing.synth(chart)).toThrow(/\(denied\): declared call production\/api -> data\/db:5432 is denied by the network layer/);
    });

    test('a workload nobody isolates: every layer open is reported', () => {
      const { chart } = small();
      object(chart, 'NetworkPolicy', 'default-deny', 'data').addJsonPatch(JsonPatch.replace('/spec/podSelector', { matchLabels: { nothing: 'here' } }));
      object(chart, 'NetworkPolicy', 'db-ingress', 'data').addJsonPatch(JsonPatch.replace('/spec/podSelector', { matchLabels: { nothing: 'here' } }));
      expect(() => Testing.synth(chart)).toThrow(/\(undeclared\): the network \(ingress\) layer lets data\/zz-stranger \(not in the intent graph\) -> data\/db:5432 through/);
    });
  });

  test('the findings name the call, the kind and the objects', () => {
    const { chart, app } = small();
    object(chart, 'PeerAuthentication', 'default', 'data').addJsonPatch(JsonPatch.replace('/spec/mtls/mode', 'PERMISSIVE'));
    expect(EffectCheck.of(app).differences()).toEqual([{
      kind: 'unauthenticated',
      call: '* -> data/db:5432',
      objects: ['PeerAuthentication/data/default'],
      message: 'calls to data/db on port 5432 are not authenticated: mTLS mode is PERMISSIVE (PeerAuthentication/data/default), so plaintext callers are accepted',
    }]);
  });

  test('opt out with the context key: synthesis passes, differences() still reports', () => {
    const optedOut = Testing.app();
    optedOut.node.setContext(EFFECT_CHECK_CONTEXT, false);
    const { chart, app } = small(optedOut);
    object(chart, 'NetworkPolicy', 'db-ingress', 'data').addJsonPatch(JsonPatch.replace('/spec/ingress', []));
    expect(EffectCheck.of(app).enabled).toBe(false);
    expect(() => Testing.synth(chart)).not.toThrow();
    expect(EffectCheck.of(app).differences().map(f => f.kind)).toContain('denied');
  });

  test('props turn the check off too', () => {
    const app = Testing.app();
    const check = new EffectCheck(app, 'EffectCheck', { enabled: false });
    const { chart } = small(app);
    object(chart, 'NetworkPolicy', 'db-ingress', 'data').addJsonPatch(JsonPatch.replace('/spec/ingress', []));
    expect(EffectCheck.of(app)).toBe(check);
    expect(() => Testing.synth(chart)).not.toThrow();
  });

  describe('runs once per synthesis (cdk8s validates the app again for every chart it renders)', () => {
    /** An app of `charts` charts around small(), counting the evaluations of the check. */
    function counted(charts: number): { app: App; chart: Chart; evaluations: () => number } {
      const app = Testing.app();
      const { chart } = small(app);
      for (let i = 1; i < charts; i++) new Chart(app, `extra${i}`);
      const check = EffectCheck.of(app);
      const differences = jest.spyOn(check, 'differences');
      return { app, chart, evaluations: () => differences.mock.calls.length };
    }

    test('App.synth() and App.synthYaml() of a four-chart app evaluate it once each', () => {
      // GIVEN
      const { app, evaluations } = counted(4);
      // WHEN
      app.synth();
      // THEN
      expect(evaluations()).toBe(1);
      expect(app.synthYaml()).toContain('kind: NetworkPolicy');
      expect(evaluations()).toBe(2);
    });

    test('Synthesis.synth() of an app with ZeroTrustEvidence evaluates it once: the evidence reads the same findings', () => {
      // GIVEN
      const { app, evaluations } = counted(3);
      new ZeroTrustEvidence(app, 'Evidence');
      const findings = jest.spyOn(EffectCheck.of(app), '_findings');
      // WHEN
      const result = Synthesis.synth(app);
      // THEN the validation and the evidence asked for the findings, evaluated once
      expect(findings.mock.calls.length).toBeGreaterThanOrEqual(2);
      expect(evaluations()).toBe(1);
      expect(fs.readFileSync(join(result.filesOutdir, 'evidence', 'compliance.md'), 'utf8'))
        .toContain('The effect check passed: the synthesized objects allow exactly the declared calls and exits.');
    });

    test('every Chart.toJson() outside App.synth() evaluates it', () => {
      const { chart, evaluations } = counted(2);
      Testing.synth(chart);
      Testing.synth(chart);
      expect(evaluations()).toBe(2);
    });

    test('fails when a rendering broken after a first synthesis is synthesized again (no stale result)', () => {
      // GIVEN an app that synthesized cleanly
      const { app, chart } = counted(3);
      expect(() => app.synth()).not.toThrow();
      // WHEN a rule is dropped
      object(chart, 'NetworkPolicy', 'db-ingress', 'data').addJsonPatch(JsonPatch.replace('/spec/ingress', []));
      // THEN the next synthesis finds it
      expect(() => app.synth()).toThrow(/effect differs from intent \(denied\): declared call production\/api -> data\/db:5432 is denied by the network layer/);
      expect(() => app.synthYaml()).toThrow(/effect differs from intent \(denied\)/);
    });
  });

  test('ambient callers reach sidecar callees over HBONE: a missing 15008 ingress rule is found', () => {
    // istio.io ambient/usage/networkpolicy: sidecar workloads receiving traffic from ambient
    // workloads must allow inbound 15008; the caller's egress must allow it too
    const app = Testing.app();
    const chart = new Chart(app, 'c');
    const a = new ZeroTrustNamespace(chart, 'a', { meshMode: MeshMode.AMBIENT });
    const b = new ZeroTrustNamespace(chart, 'b');
    const client = new MeshService(chart, 'client', { namespace: a, image: 'ghcr.io/acme/c:1', port: 8080 });
    const server = new MeshService(chart, 'server', { namespace: b, image: 'ghcr.io/acme/s:1', port: 8080 });
    server.allowFrom(client);
    const c = new Cluster(appManifests(app));
    expect(c.usesHbone(c.pod('a', 'client'), c.pod('b', 'server'))).toBe(true);
    const hbone = (kind: string) => appManifests(app).filter(m => m.kind === 'NetworkPolicy' && m.metadata.name === `${kind}`)
      .some(np => JSON.stringify(np.spec).includes('15008'));
    // the check agrees with the rendering exactly when both policies open HBONE
    const findings = EffectCheck.of(app).differences();
    expect(findings.length === 0).toBe(hbone('server-ingress') && hbone('client-egress'));
  });

  test('an ambient namespace: HBONE 15008 at the network layer, identity and port at ztunnel', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'c');
    const a = new ZeroTrustNamespace(chart, 'a', { meshMode: MeshMode.AMBIENT });
    const b = new ZeroTrustNamespace(chart, 'b', { meshMode: MeshMode.AMBIENT });
    const client = new MeshService(chart, 'client', { namespace: a, image: 'ghcr.io/acme/c:1', port: 8080 });
    const server = new MeshService(chart, 'server', { namespace: b, image: 'ghcr.io/acme/s:1', ports: [{ port: 8080 }, { port: 9090 }] });
    server.allowFrom(client, { ports: [8080] });
    expect(EffectCheck.of(app).differences()).toEqual([]);
    const c = new Cluster(appManifests(app));
    const [from, to] = [c.pod('a', 'client'), c.pod('b', 'server')];
    expect(c.usesHbone(from, to)).toBe(true);
    expect(c.allows(from, to, { port: 8080 })).toBe(true);
    expect(c.allows(from, to, { port: 9090 })).toBe(false);
    expect(c.allows(to, from, { port: 8080 })).toBe(false);
  });
});

/** A seeded generator (a linear congruential one): the same topologies on every run. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

/** Whether the rendering opens HBONE on sidecar callees of ambient callers (issue 11); then random topologies mix them. */
const HBONE_TO_SIDECARS = (() => {
  const app = Testing.app();
  const chart = new Chart(app, 'c');
  const a = new ZeroTrustNamespace(chart, 'a', { meshMode: MeshMode.AMBIENT });
  const b = new ZeroTrustNamespace(chart, 'b');
  const client = new MeshService(chart, 'client', { namespace: a, image: 'ghcr.io/acme/c:1', port: 8080 });
  new MeshService(chart, 'server', { namespace: b, image: 'ghcr.io/acme/s:1', port: 8080 }).allowFrom(client);
  return EffectCheck.of(app).differences().length === 0;
})();

describe('agrees with the intent graph on random topologies', () => {
  const PATHS = ['/a/*', '/b', '/c/{*}/d', '*.json'];
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    test(`seed ${seed}`, () => {
      const rnd = random(seed);
      const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)];
      const app = Testing.app();
      const chart = new Chart(app, 'c');
      const namespaces = [0, 1, 2].map(i => new ZeroTrustNamespace(chart, `ns${i}`, { meshMode: i === 2 && seed % 2 === 0 ? MeshMode.AMBIENT : MeshMode.SIDECAR }));
      // ambient callers of sidecar callees need HBONE on both policies (see the test above)
      const supported = (caller: MeshService, callee: MeshService) => !(caller.zeroTrustNamespace.meshMode === MeshMode.AMBIENT
        && callee.zeroTrustNamespace.meshMode === MeshMode.SIDECAR && !HBONE_TO_SIDECARS);
      const services = [...Array(8).keys()].map(i => {
        const namespace = pick(namespaces);
        const ports = rnd() < 0.3
          ? [{ port: 5432, protocol: AppProtocol.TCP }]
          : [{ port: 8080 }, ...rnd() < 0.4 ? [{ port: 9090, protocol: AppProtocol.TCP }] : []];
        return new MeshService(chart, `svc${i}`, { namespace, image: `ghcr.io/acme/svc${i}:1`, ports });
      });
      for (let i = 0; i < 14; i++) {
        const [caller, callee] = [pick(services), pick(services)];
        if (caller === callee || !supported(caller, callee)) continue;
        const httpPorts = callee.workloadPorts.filter(p => p.protocol !== AppProtocol.TCP).map(p => p.port);
        const l7 = httpPorts.length > 0 && callee.zeroTrustNamespace.meshMode === MeshMode.SIDECAR && rnd() < 0.5;
        callee.allowFrom(caller, l7 ? { ports: httpPorts, methods: [pick(['GET', 'POST'])], paths: [pick(PATHS)] } : {});
      }
      // THEN the check finds nothing ...
      expect(EffectCheck.of(app).differences()).toEqual([]);
      // ... and the evaluator decides every sampled request exactly as the graph does
      const graph = IntentGraph.of(app);
      const manifests = appManifests(app);
      expect(checkEffect(graph, manifests)).toEqual([]);
      const c = new Cluster(manifests);
      for (const caller of services) {
        for (const callee of services) {
          if (caller === callee) continue;
          for (const { port, protocol } of callee.workloadPorts) {
            const http = protocol !== AppProtocol.TCP;
            const requests = http ? ['GET', 'POST'].flatMap(method => ['/a/x', '/b', '/c/1/d', '/x.json', '/z'].map(path => ({ port, method, path }))) : [{ port }];
            for (const request of requests) {
              const from = c.pod(caller.zeroTrustNamespace.namespaceName, caller.workloadName);
              const to = c.pod(callee.zeroTrustNamespace.namespaceName, callee.workloadName);
              expect({ caller: caller.node.id, callee: callee.node.id, ...request, allowed: c.allows(from, to, request) })
                .toEqual({ caller: caller.node.id, callee: callee.node.id, ...request, allowed: graph.allows(caller, callee, request) });
            }
          }
        }
      }
    });
  }
});
