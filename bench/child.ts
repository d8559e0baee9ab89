/**
 * One measurement, run in a fresh Node process by bench.ts (so that maxRSS is per run).
 *
 * Reads BENCH_CHILD={"impl":"ours"|"plain","n":..,"e":..,"seed":..,"synth":"yaml"|"json"},
 * loads every module, warms up on a tiny topology, then times construct building and synthesis
 * of the requested topology in a fresh App, and prints one JSON line.
 */
import * as fs from 'fs';
import * as inspector from 'inspector';
import { ApiObject, App, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import {
  AccessProxy, EFFECT_CHECK_CONTEXT, IntentGraph, MeshAccessLogging, MeshMetricsScraping, MeshService, MetricsPodMonitor,
  MonitoredComponent, PolicyEngine, PolicyMode, SpireDeployment, VaultConnection, VaultInjectedDeployment, VaultSecret,
  ZeroTrustAlerts, ZeroTrustFalcoRules, ZeroTrustNamespace, ZeroTrustPolicyPack,
} from '../src';
import { generateTopology, Topology } from './topology';

/**
 * ours: namespaces, services and calls (L4 + L7: NetworkPolicy, Istio mTLS and AuthorizationPolicy);
 * plain: cdk8s-plus-27 Deployments, Services and NetworkPolicies (L4 only);
 * full: every layer (namespaces, policy templates and pack, SPIRE identity, network, edge, mesh,
 * secrets, monitoring, Falco runtime rules, workloads), with the synth-time EffectCheck;
 * full-noeffect: the same without the EffectCheck (context cdk8s-zero-trust/effect-check=false).
 */
export type Impl = 'ours' | 'plain' | 'full' | 'full-noeffect';
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

/**
 * Every layer, in the reference architecture's layer charts, on the same topology: one
 * ZeroTrustNamespace per namespace, each service a MeshService (every 10th one a
 * VaultInjectedDeployment with a KV secret), every call allowFrom with methods and paths; the
 * first service of each namespace is reached through the access proxy and every 50th service may
 * call one external host; Gatekeeper policy pack (ENFORCE), SPIRE, alerts, PodMonitors, mesh
 * metrics scraping, access logging and the zero-trust Falco rules.
 */
function buildFull(app: App, topo: Topology, effectCheck: boolean): Chart {
  if (!effectCheck) app.node.setContext(EFFECT_CHECK_CONTEXT, false);
  const layerNames = ['namespaces', 'policy-templates', 'policy', 'identity', 'network', 'edge', 'mesh', 'secrets', 'monitoring', 'runtime', 'workloads'] as const;
  const charts = Object.fromEntries(layerNames.map(name => [name, new Chart(app, name)])) as Record<typeof layerNames[number], Chart>;
  if (process.env.BENCH_NO_CHART_DEPS !== "1") for (const name of layerNames.slice(1)) charts[name].addDependency(charts.namespaces);
  const root = new Chart(app, 'bench');
  new IntentGraph(root, 'IntentGraph', {
    layers: {
      namespaces: charts.namespaces, policyTemplates: charts['policy-templates'], policy: charts.policy,
      identity: charts.identity, network: charts.network, edge: charts.edge, mesh: charts.mesh,
      secrets: charts.secrets, monitoring: charts.monitoring, runtime: charts.runtime, workloads: charts.workloads,
    },
  });
  new ZeroTrustPolicyPack(root, 'policy', { engine: PolicyEngine.GATEKEEPER, mode: PolicyMode.ENFORCE, allowedRegistries: ['ghcr.io/acme/'], allowAppImages: true });
  const vault = new VaultConnection(root, 'Vault', { address: 'https://vault.vault.svc:8200', caCertSecret: 'vault-ca' });
  const namespaces = topo.namespaces.map(name => new ZeroTrustNamespace(root, name, { name }));
  const services = topo.services.map((s, i) => {
    const id = `${topo.namespaces[s.ns]}-${s.name}`;
    const props = { namespace: namespaces[s.ns], name: s.name, image: IMAGE, port: PORT };
    return i % 10 === 9
      ? new VaultInjectedDeployment(root, id, { ...props, vault, secrets: [{ name: 'api', secret: VaultSecret.kv('secret', `${topo.namespaces[s.ns]}/${s.name}/api`) }] })
      : new MeshService(root, id, props);
  });
  for (const [caller, callee] of topo.edges) {
    services[callee].allowFrom(services[caller], CALL_OPTIONS);
  }
  const edge = new ZeroTrustNamespace(root, 'edge', { name: 'edge' });
  const proxy = new AccessProxy(root, 'access-proxy', {
    namespace: edge,
    hostnames: ['shop.example.com'],
    tlsSecretName: 'shop-tls',
    jwt: { issuer: 'https://login.example.com', jwksUri: 'https://login.example.com/.well-known/jwks.json', audiences: ['shop'] },
  });
  topo.services.forEach((s, i) => {
    if (i % 50 === 0) {
      services[i].allowFrom(proxy, { methods: ['GET'], paths: ['/'] });
      services[i].allowEgressTo('api.stripe.com', { port: 443 });
    }
  });
  new ZeroTrustAlerts(root, 'Alerts');
  for (const component of [MonitoredComponent.istiod(), MonitoredComponent.gatekeeper(), MonitoredComponent.falco()]) {
    new MetricsPodMonitor(root, `${component.name}Monitor`, { component });
  }
  new MeshMetricsScraping(root, 'MetricsScraping');
  new MeshAccessLogging(root, 'AccessLogging');
  new ZeroTrustFalcoRules(root, 'FalcoRules');
  new SpireDeployment(root, 'spire', { clusterName: 'bench' });
  return root;
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
  /** CPU time (user + system, every thread of the process: GC helpers included) of building and synthesis. */
  cpuMs: number;
  maxRssMiB: number;
  rssBeforeMiB: number;
  outputSize: number;
}

function run(impl: Impl, topo: Topology, mode: SynthMode) {
  const build = impl === 'ours' ? buildOurs : impl === 'plain' ? buildPlain : (a: App, t: Topology) => buildFull(a, t, impl === 'full');
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const app = new App();
  build(app, topo);
  const t1 = process.hrtime.bigint();
  const outputSize = synth(app, mode);
  const t2 = process.hrtime.bigint();
  const cpu = process.cpuUsage(c0);
  return { app, buildMs: Number(t1 - t0) / 1e6, synthMs: Number(t2 - t1) / 1e6, cpuMs: (cpu.user + cpu.system) / 1000, outputSize };
}

function main(): void {
  const spec = JSON.parse(process.env.BENCH_CHILD ?? '{}');
  const impl: Impl = spec.impl;
  if (!['ours', 'plain', 'full', 'full-noeffect'].includes(impl)) throw new Error(`bad impl ${impl}`);
  const mode: SynthMode = spec.synth === 'json' ? 'json' : 'yaml';
  const topo = generateTopology(spec.n, spec.e, spec.seed ?? 42);

  // warm-up: a tiny topology, same implementation (loads lazily-required code, warms the JIT)
  run(impl, generateTopology(20, 40, 7), mode);
  const rssBeforeMiB = process.memoryUsage().rss / 1024 / 1024;

  // BENCH_TIMED_PROFILE=<file>: a CPU profile of the timed region only (not module loading)
  const profileFile = process.env.BENCH_TIMED_PROFILE;
  const session = profileFile ? new inspector.Session() : undefined;
  if (session) {
    session.connect();
    session.post('Profiler.enable');
    session.post('Profiler.start');
  }
  const { app, buildMs, synthMs, cpuMs, outputSize } = run(impl, topo, mode);
  if (session) {
    session.post('Profiler.stop', (err, result) => {
      if (err) throw err;
      fs.writeFileSync(profileFile!, JSON.stringify(result.profile));
    });
    session.disconnect();
  }
  const maxRssMiB = process.resourceUsage().maxRSS / 1024; // maxRSS is in KiB

  const result: ChildResult = {
    impl, n: topo.n, e: topo.edges.length,
    objects: countObjects(app),
    buildMs, synthMs, totalMs: buildMs + synthMs, cpuMs,
    maxRssMiB, rssBeforeMiB, outputSize,
  };
  process.stdout.write(`\n${JSON.stringify(result)}\n`);
}

main();
