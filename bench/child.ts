/**
 * One measurement, run in a fresh Node process by bench.ts (so that maxRSS is per run).
 *
 * Reads BENCH_CHILD={"impl":"ours"|"plain","n":..,"e":..,"seed":..,"synth":"yaml"|"json"},
 * loads every module, warms up on a tiny topology, then times construct building and synthesis
 * of the requested topology in a fresh App, and prints one JSON line.
 */
import { ApiObject, App, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { MeshService, ZeroTrustNamespace } from '../src';
import { generateTopology, Topology } from './topology';

export type Impl = 'ours' | 'plain';
export type SynthMode = 'yaml' | 'json';

const IMAGE = 'ghcr.io/acme/svc:1.0.0';
const PORT = 8080;
const CALL_OPTIONS = { methods: ['GET'], paths: ['/api/*'] };

function buildOurs(app: App, topo: Topology): Chart {
  const chart = new Chart(app, 'bench');
  const namespaces = topo.namespaces.map(name => new ZeroTrustNamespace(chart, name, { name }));
  const services = topo.services.map(s => new MeshService(chart, `${topo.namespaces[s.ns]}-${s.name}`, {
    namespace: namespaces[s.ns], name: s.name, image: IMAGE, port: PORT,
  }));
  for (const [caller, callee] of topo.edges) {
    services[callee].allowFrom(services[caller], CALL_OPTIONS);
  }
  return chart;
}

function buildPlain(app: App, topo: Topology): Chart {
  const chart = new Chart(app, 'bench');
  const deployments = topo.services.map(s => {
    const namespace = topo.namespaces[s.ns];
    const deployment = new kplus.Deployment(chart, `${namespace}-${s.name}`, {
      metadata: { name: s.name, namespace },
      containers: [{ name: 'app', image: IMAGE, portNumber: PORT }],
    });
    deployment.exposeViaService({ name: s.name });
    return deployment;
  });
  for (const [caller, callee] of topo.edges) {
    deployments[callee].connections.allowFrom(deployments[caller], { ports: [kplus.NetworkPolicyPort.tcp(PORT)] });
  }
  return chart;
}

function synth(app: App, mode: SynthMode): number {
  if (mode === 'yaml') {
    return app.synthYaml().length;
  }
  let n = 0;
  for (const chart of app.charts) {
    n += chart.toJson().length;
  }
  return n;
}

function countObjects(app: App): number {
  let n = 0;
  for (const chart of app.charts) {
    n += chart.node.findAll().filter(c => ApiObject.isApiObject(c)).length;
  }
  return n;
}

export interface ChildResult {
  impl: Impl;
  n: number;
  e: number;
  objects: number;
  buildMs: number;
  synthMs: number;
  totalMs: number;
  maxRssMiB: number;
  rssBeforeMiB: number;
  outputSize: number;
}

function run(impl: Impl, topo: Topology, mode: SynthMode) {
  const build = impl === 'ours' ? buildOurs : buildPlain;
  const t0 = process.hrtime.bigint();
  const app = new App();
  build(app, topo);
  const t1 = process.hrtime.bigint();
  const outputSize = synth(app, mode);
  const t2 = process.hrtime.bigint();
  return { app, buildMs: Number(t1 - t0) / 1e6, synthMs: Number(t2 - t1) / 1e6, outputSize };
}

function main(): void {
  const spec = JSON.parse(process.env.BENCH_CHILD ?? '{}');
  const impl: Impl = spec.impl;
  if (impl !== 'ours' && impl !== 'plain') throw new Error(`bad impl ${impl}`);
  const mode: SynthMode = spec.synth === 'json' ? 'json' : 'yaml';
  const topo = generateTopology(spec.n, spec.e, spec.seed ?? 42);

  // warm-up: a tiny topology, same implementation (loads lazily-required code, warms the JIT)
  run(impl, generateTopology(20, 40, 7), mode);
  const rssBeforeMiB = process.memoryUsage().rss / 1024 / 1024;

  const { app, buildMs, synthMs, outputSize } = run(impl, topo, mode);
  const maxRssMiB = process.resourceUsage().maxRSS / 1024; // maxRSS is in KiB

  const result: ChildResult = {
    impl, n: topo.n, e: topo.edges.length,
    objects: countObjects(app),
    buildMs, synthMs, totalMs: buildMs + synthMs,
    maxRssMiB, rssBeforeMiB, outputSize,
  };
  process.stdout.write(`\n${JSON.stringify(result)}\n`);
}

main();
