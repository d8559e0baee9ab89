import { Chart, Testing } from 'cdk8s';
import fc from 'fast-check';
import {
  AppProtocol, CiliumWorkloadPolicy, HttpEnforcement, IntentGraph, MeshMode, MeshService, Rollout, WaypointScope, ZeroTrustNamespace,
} from '../../src';
import { Cluster } from '../support/reachability';
import { synthValid } from '../support/synth';

/**
 * Random topologies mixing sidecar, ambient (no waypoint, a namespace waypoint, service
 * waypoints) and Cilium-L7 namespaces, checked with the project's one evaluator (src/evidence, the
 * effect check's, through test/support/reachability.ts)
 * (written from Istio's and Kubernetes' documented semantics, not from the renderers): exactly
 * the declared calls go through, at L4 (ports) and L7 (methods, paths); in AUDIT nothing is
 * denied and exactly the undeclared requests are reported as would-be denials.
 */

type Mode = 'sidecar' | 'ambient-namespace-waypoint' | 'ambient-service-waypoints' | 'ambient-no-waypoint' | 'cilium-l7';
const MODES: Mode[] = ['sidecar', 'ambient-namespace-waypoint', 'ambient-service-waypoints', 'ambient-no-waypoint', 'cilium-l7'];
const METHODS = ['GET', 'POST'];
const PATHS = ['/a', '/b/*'];
const SAMPLES = [
  { method: 'GET', path: '/a' }, { method: 'POST', path: '/a' }, { method: 'GET', path: '/b/x' }, { method: 'DELETE', path: '/c' },
];

interface CallSpec {
  readonly caller: number;
  readonly callee: number;
  readonly tcp: boolean;
  readonly l7?: { methods?: string[]; paths?: string[] };
}

const topology = fc.record({
  namespaces: fc.array(fc.constantFrom(...MODES), { minLength: 2, maxLength: 4 }),
  services: fc.array(fc.record({ ns: fc.nat(), tcp: fc.boolean() }), { minLength: 2, maxLength: 7 }),
  calls: fc.array(fc.record({
    caller: fc.nat(),
    callee: fc.nat(),
    tcp: fc.boolean(),
    l7: fc.option(fc.record({
      methods: fc.option(fc.subarray(METHODS, { minLength: 1 }), { nil: undefined }),
      paths: fc.option(fc.subarray(PATHS, { minLength: 1 }), { nil: undefined }),
    }), { nil: undefined }),
  }), { maxLength: 10 }),
});

type Topology = { namespaces: Mode[]; services: Array<{ ns: number; tcp: boolean }>; calls: CallSpec[] };

function build(t: Topology, rollout: Rollout) {
  const app = Testing.app();
  const chart = new Chart(app, 'topology');
  const namespaces = t.namespaces.map((mode, i) => new ZeroTrustNamespace(chart, `ns${i}`, {
    meshMode: mode.startsWith('ambient') ? MeshMode.AMBIENT : MeshMode.SIDECAR,
    ...(mode === 'ambient-service-waypoints' ? { waypoint: WaypointScope.SERVICE } : {}),
    ...(mode === 'ambient-no-waypoint' ? { waypoint: WaypointScope.NONE } : {}),
    rollout,
  }));
  const modeOf = (s: number) => t.namespaces[t.services[s].ns % t.namespaces.length];
  const services = t.services.map((s, i) => new MeshService(chart, `svc${i}`, {
    namespace: namespaces[s.ns % namespaces.length],
    image: 'ghcr.io/acme/app:1.0.0',
    ports: [{ port: 8080, protocol: AppProtocol.HTTP }, ...(s.tcp ? [{ port: 5432, protocol: AppProtocol.TCP }] : [])],
  }));
  for (const c of t.calls) {
    const caller = c.caller % services.length;
    const callee = c.callee % services.length;
    if (caller === callee) continue;
    const calleeMode = modeOf(callee);
    const callerAmbient = modeOf(caller).startsWith('ambient');
    // what the library refuses by design: Cilium's L7 proxy cannot see an ambient caller's HBONE
    if (calleeMode === 'cilium-l7' && callerAmbient) continue;
    const tcp = c.tcp && t.services[callee].tcp;
    // L7 restrictions only where an L7 enforcement point can see them
    const l7Possible = !tcp && (calleeMode === 'sidecar' || calleeMode === 'cilium-l7' || (calleeMode.startsWith('ambient') && calleeMode !== 'ambient-no-waypoint' && callerAmbient));
    const l7 = l7Possible && c.l7 && (c.l7.methods || c.l7.paths) ? c.l7 : undefined;
    services[callee].allowFrom(services[caller], { ports: [tcp ? 5432 : 8080], ...(l7 ?? {}) });
  }
  services.forEach((s, i) => {
    if (modeOf(i) === 'cilium-l7') new CiliumWorkloadPolicy(chart, `cilium${i}`, { workload: s, httpEnforcement: HttpEnforcement.CILIUM });
  });
  const manifests = synthValid(chart);
  return { graph: IntentGraph.of(chart), services, cluster: new Cluster(manifests), modeOf };
}

function requestsTo(service: MeshService): Array<{ port: number; method?: string; path?: string }> {
  return service.workloadPorts.flatMap(p => (p.protocol === AppProtocol.TCP ? [{ port: p.port }] : SAMPLES.map(s => ({ port: p.port, ...s }))));
}

describe('mixed mesh modes, waypoints and Cilium L7 over random topologies', () => {
  test('ENFORCE: exactly the declared calls are allowed (NetworkPolicies, ztunnel, waypoints, sidecars, Cilium)', () => {
    fc.assert(fc.property(topology, t => {
      const { graph, services, cluster, modeOf } = build(t, Rollout.ENFORCE);
      services.forEach((from, i) => services.forEach((to, j) => {
        if (i === j) return;
        const caller = cluster.pod(from.zeroTrustNamespace.namespaceName, from.workloadName);
        const callee = cluster.pod(to.zeroTrustNamespace.namespaceName, to.workloadName);
        for (const request of requestsTo(to)) {
          const verdict = cluster.request(caller, callee, request);
          const intended = graph.allows(from, to, request);
          expect({ from: from.node.path, to: to.node.path, request, allowed: verdict.allowed }).toEqual({
            from: from.node.path,
            to: to.node.path,
            request,
            allowed: intended,
          });
          // without HBONE on the path, the NetworkPolicies alone admit exactly the declared ports
          if (!modeOf(i).startsWith('ambient') && !modeOf(j).startsWith('ambient') && modeOf(j) !== 'cilium-l7') {
            const declaredPort = graph.callsTo(to).some(c => c.caller === from && c.ports.includes(request.port));
            expect({ from: from.node.path, to: to.node.path, port: request.port, l4: verdict.l4 }).toEqual({
              from: from.node.path,
              to: to.node.path,
              port: request.port,
              l4: declaredPort,
            });
          }
          expect(verdict.wouldDeny).toBe(false);
        }
      }));
    }), { numRuns: 60 });
  });

  test('AUDIT: nothing is denied, and exactly the undeclared requests are reported as would-be denials', () => {
    // Cilium has no per-policy dry run (only the agent-wide policy-audit-mode), so AUDIT topologies have no Cilium-L7 namespace
    const auditTopology = topology.map(t => ({ ...t, namespaces: t.namespaces.map(m => (m === 'cilium-l7' ? 'sidecar' : m)) as Mode[] }));
    fc.assert(fc.property(auditTopology, t => {
      const { graph, services, cluster } = build(t, Rollout.AUDIT);
      services.forEach((from, i) => services.forEach((to, j) => {
        if (i === j) return;
        const caller = cluster.pod(from.zeroTrustNamespace.namespaceName, from.workloadName);
        const callee = cluster.pod(to.zeroTrustNamespace.namespaceName, to.workloadName);
        for (const request of requestsTo(to)) {
          const verdict = cluster.request(caller, callee, request);
          const intended = graph.allows(from, to, request);
          expect({ from: from.node.path, to: to.node.path, request, allowed: verdict.allowed, wouldDeny: verdict.wouldDeny })
            .toEqual({ from: from.node.path, to: to.node.path, request, allowed: true, wouldDeny: !intended });
        }
      }));
    }), { numRuns: 40 });
  });
});
