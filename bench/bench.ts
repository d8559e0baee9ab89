/**
 * Benchmark: cdk8s-zero-trust (ZeroTrustNamespace + MeshService + allowFrom) vs plain
 * cdk8s-plus-27 (Deployment + Service + connections.allowFrom) on the same topology.
 *
 *   npm run bench                      # N=1000, E=3000, 5 reps + linearity N in {250,500,1000,2000}
 *   BENCH_QUICK=1 npm run bench        # smoke run, tiny sizes (< 30 s)
 *
 * Env:
 *   BENCH_N, BENCH_E      target size (default 1000, 3*N)
 *   BENCH_REPS            repetitions per implementation at the target size (default 5)
 *   BENCH_LIN_REPS        repetitions per implementation at each linearity size (default 3)
 *   BENCH_LIN_SIZES       comma-separated N for the linearity run, E = 3N (default 250,500,1000,2000;
 *                         'none' to skip)
 *   BENCH_LIN_PLAIN=0     skip the plain baseline in the linearity run
 *   BENCH_SYNTH           'yaml' (app.synthYaml(), default) or 'json' (chart.toJson() per chart)
 *   BENCH_SEED            topology seed (default 42)
 *   BENCH_STACK=full      'ours' becomes the full stack (every layer: namespaces, policy templates and
 *                         pack, SPIRE, network, edge, mesh, secrets, monitoring, Falco, workloads; see
 *                         bench/child.ts), with the synth-time EffectCheck; at the target size the
 *                         full stack without the EffectCheck is measured too (ratio timeNoEffect)
 *   BENCH_EFFECT_CHECK=0  with BENCH_STACK=full: 'ours' is the full stack without the EffectCheck
 *   BENCH_PROFILE=1       also write one --cpu-prof profile per implementation at the target size
 *                         into bench/.profiles and print the hottest functions
 *
 * Every measurement is a fresh Node process (bench/child.ts), so maxRSS is per run; inside it
 * only construct building + synthesis is timed, after module loading and a warm-up. Runs
 * alternate ours, plain, ours, plain... The last line of output is one JSON object.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import type { ChildResult, Impl } from './child';
import { summarizeProfile } from './profile';

const ROOT = path.resolve(__dirname, '..');
const CHILD = path.join(__dirname, 'child.ts');

function envInt(name: string, dflt: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got '${v}'`);
  return n;
}

const QUICK = process.env.BENCH_QUICK === '1' || process.env.BENCH_QUICK === 'true';
const N = envInt('BENCH_N', QUICK ? 50 : 1000);
const E = envInt('BENCH_E', 3 * N);
const REPS = Math.max(1, envInt('BENCH_REPS', QUICK ? 1 : 5));
const LIN_REPS = Math.max(1, envInt('BENCH_LIN_REPS', QUICK ? 1 : 3));
const LIN_SIZES = (() => {
  const v = process.env.BENCH_LIN_SIZES ?? (QUICK ? '25,50,100' : '250,500,1000,2000');
  if (v === 'none' || v === '') return [];
  return v.split(',').map(s => Number(s.trim())).filter(n => Number.isInteger(n) && n >= 2);
})();
const LIN_PLAIN = process.env.BENCH_LIN_PLAIN !== '0';
const SYNTH = process.env.BENCH_SYNTH === 'json' ? 'json' : 'yaml';
const SEED = envInt('BENCH_SEED', 42);
const PROFILE = process.env.BENCH_PROFILE === '1';
const FULL = process.env.BENCH_STACK === 'full';
const NO_EFFECT = process.env.BENCH_EFFECT_CHECK === '0';
/** The implementation compared with plain cdk8s-plus-27. */
const OURS: Impl = FULL ? (NO_EFFECT ? 'full-noeffect' : 'full') : 'ours';
const PROFILE_DIR = path.join(__dirname, '.profiles');

function measure(impl: Impl, n: number, e: number, cpuProf?: string): ChildResult {
  const nodeArgs = ['-r', 'ts-node/register/transpile-only'];
  if (cpuProf) {
    fs.mkdirSync(PROFILE_DIR, { recursive: true });
    nodeArgs.push('--cpu-prof', '--cpu-prof-dir', PROFILE_DIR, '--cpu-prof-name', cpuProf);
  }
  const r = spawnSync(process.execPath, [...nodeArgs, CHILD], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: {
      ...process.env,
      TS_NODE_PROJECT: path.join(ROOT, 'test', 'tsconfig.json'),
      TS_NODE_TRANSPILE_ONLY: 'true',
      BENCH_CHILD: JSON.stringify({ impl, n, e, seed: SEED, synth: SYNTH }),
    },
  });
  if (r.status !== 0) {
    throw new Error(`child ${impl} N=${n} E=${e} failed (status ${r.status}, signal ${r.signal}):\n${r.stderr}\n${r.stdout}`);
  }
  const last = r.stdout.trim().split('\n').pop()!;
  return JSON.parse(last) as ChildResult;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

interface Stats { median: number; min: number; max: number }
function stats(xs: number[]): Stats {
  return { median: round(median(xs), 2), min: round(Math.min(...xs), 2), max: round(Math.max(...xs), 2) };
}

interface Summary {
  reps: number;
  objects: number;
  buildMs: Stats;
  synthMs: Stats;
  totalMs: Stats;
  /** Process CPU time of building and synthesis (every thread: GC helpers included); steadier than wall time on a shared machine. */
  cpuMs: Stats;
  maxRssMiB: Stats;
  runs: Array<{ buildMs: number; synthMs: number; totalMs: number; cpuMs: number; maxRssMiB: number }>;
}

function summarize(runs: ChildResult[]): Summary {
  return {
    reps: runs.length,
    objects: runs[0].objects,
    buildMs: stats(runs.map(r => r.buildMs)),
    synthMs: stats(runs.map(r => r.synthMs)),
    totalMs: stats(runs.map(r => r.totalMs)),
    cpuMs: stats(runs.map(r => r.cpuMs)),
    maxRssMiB: stats(runs.map(r => r.maxRssMiB)),
    runs: runs.map(r => ({ buildMs: round(r.buildMs), synthMs: round(r.synthMs), totalMs: round(r.totalMs), cpuMs: round(r.cpuMs), maxRssMiB: round(r.maxRssMiB) })),
  };
}

/** Alternates ours, plain, ours, plain... `reps` times each. */
function alternate(n: number, e: number, reps: number, withPlain = true): { ours: ChildResult[]; plain: ChildResult[] } {
  const ours: ChildResult[] = [];
  const plain: ChildResult[] = [];
  for (let i = 0; i < reps; i++) {
    const o = measure(OURS, n, e);
    ours.push(o);
    log(`  N=${n} E=${e} rep ${i + 1}/${reps} ${OURS}: total ${o.totalMs.toFixed(0)} ms (build ${o.buildMs.toFixed(0)}, synth ${o.synthMs.toFixed(0)}), CPU ${o.cpuMs.toFixed(0)} ms, maxRSS ${o.maxRssMiB.toFixed(0)} MiB`);
    if (withPlain) {
      const p = measure('plain', n, e);
      plain.push(p);
      log(`  N=${n} E=${e} rep ${i + 1}/${reps} plain: total ${p.totalMs.toFixed(0)} ms (build ${p.buildMs.toFixed(0)}, synth ${p.synthMs.toFixed(0)}), CPU ${p.cpuMs.toFixed(0)} ms, maxRSS ${p.maxRssMiB.toFixed(0)} MiB`);
    }
  }
  return { ours, plain };
}

function log(msg: string): void {
  process.stdout.write(`${msg}\n`);
}

function pad(s: string | number, w: number): string {
  const str = String(s);
  return str.length >= w ? str : ' '.repeat(w - str.length) + str;
}

/** Least-squares slope of log(y) against log(x): 1 is linear, 2 quadratic. */
function logLogSlope(xs: number[], ys: number[]): number {
  const lx = xs.map(Math.log);
  const ly = ys.map(Math.log);
  const mx = lx.reduce((a, b) => a + b, 0) / lx.length;
  const my = ly.reduce((a, b) => a + b, 0) / ly.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < lx.length; i++) {
    num += (lx[i] - mx) * (ly[i] - my);
    den += (lx[i] - mx) ** 2;
  }
  return den === 0 ? NaN : num / den;
}

function main(): void {
  const started = Date.now();
  log(`cdk8s-zero-trust benchmark — node ${process.version}, ${require('os').cpus().length} CPUs, synth=${SYNTH}${QUICK ? ', QUICK' : ''}`);
  log(`target N=${N} E=${E}, ${REPS} reps per implementation (alternating); linearity N in {${LIN_SIZES.join(', ')}}, E=3N, ${LIN_REPS} reps`);

  // target size
  const target = alternate(N, E, REPS);
  const ours = summarize(target.ours);
  const plain = summarize(target.plain);
  // the full stack without the synth-time EffectCheck, at the target size
  let noEffect: Summary | undefined;
  if (FULL && !NO_EFFECT) {
    const runs: ChildResult[] = [];
    for (let i = 0; i < REPS; i++) {
      const r = measure('full-noeffect', N, E);
      runs.push(r);
      log(`  N=${N} E=${E} rep ${i + 1}/${REPS} full-noeffect: total ${r.totalMs.toFixed(0)} ms (build ${r.buildMs.toFixed(0)}, synth ${r.synthMs.toFixed(0)}), CPU ${r.cpuMs.toFixed(0)} ms, maxRSS ${r.maxRssMiB.toFixed(0)} MiB`);
    }
    noEffect = summarize(runs);
  }
  const ratio = {
    ...(noEffect ? {
      timeNoEffect: round(noEffect.totalMs.median / plain.totalMs.median, 3),
      cpuNoEffect: round(noEffect.cpuMs.median / plain.cpuMs.median, 3),
      rssNoEffect: round(noEffect.maxRssMiB.median / plain.maxRssMiB.median, 3),
    } : {}),
    time: round(ours.totalMs.median / plain.totalMs.median, 3),
    cpu: round(ours.cpuMs.median / plain.cpuMs.median, 3),
    build: round(ours.buildMs.median / plain.buildMs.median, 3),
    synth: round(ours.synthMs.median / plain.synthMs.median, 3),
    rss: round(ours.maxRssMiB.median / plain.maxRssMiB.median, 3),
  };

  // linearity (E = 3N); reuses the target runs when a size matches it
  const lin: Array<{ n: number; e: number; ours: Summary; plain?: Summary }> = [];
  for (const n of LIN_SIZES) {
    const e = 3 * n;
    if (n === N && e === E) {
      lin.push({ n, e, ours, plain });
      continue;
    }
    const r = alternate(n, e, LIN_REPS, LIN_PLAIN);
    lin.push({ n, e, ours: summarize(r.ours), plain: r.plain.length ? summarize(r.plain) : undefined });
  }

  let profiles: any;
  if (PROFILE) {
    profiles = {};
    for (const impl of [OURS, 'plain'] as Impl[]) {
      const file = `${impl}-N${N}-E${E}.cpuprofile`;
      measure(impl, N, E, file);
      profiles[impl] = summarizeProfile(path.join(PROFILE_DIR, file), 15);
    }
  }

  // table
  log('');
  log(`== N=${N} services, E=${E} edges (medians of ${REPS}; [min..max]) ==`);
  log(`${'impl'.padEnd(6)} ${pad('objects', 8)} ${pad('build ms', 10)} ${pad('synth ms', 10)} ${pad('total ms', 10)} ${pad('total [min..max]', 22)} ${pad('CPU ms', 8)} ${pad('maxRSS MiB', 11)} ${pad('RSS [min..max]', 16)}`);
  for (const [name, s] of [[OURS, ours], ...(noEffect ? [['full-noeffect', noEffect]] : []), ['plain', plain]] as Array<[string, Summary]>) {
    log(`${name.padEnd(6)} ${pad(s.objects, 8)} ${pad(s.buildMs.median.toFixed(0), 10)} ${pad(s.synthMs.median.toFixed(0), 10)} ${pad(s.totalMs.median.toFixed(0), 10)} `
      + `${pad(`[${s.totalMs.min.toFixed(0)}..${s.totalMs.max.toFixed(0)}]`, 22)} ${pad(s.cpuMs.median.toFixed(0), 8)} ${pad(s.maxRssMiB.median.toFixed(0), 11)} `
      + `${pad(`[${s.maxRssMiB.min.toFixed(0)}..${s.maxRssMiB.max.toFixed(0)}]`, 16)}`);
  }
  const goal = FULL ? 1.0 : 1.5;
  log(`ratio ${OURS}/plain (medians): time ${ratio.time}× (build ${ratio.build}×, synth ${ratio.synth}×), CPU ${ratio.cpu}×, maxRSS ${ratio.rss}× — target time ≤ ${goal}×: ${ratio.time <= goal ? 'MET' : 'NOT MET'}`);
  if (noEffect) log(`ratio full-noeffect/plain (medians): time ${ratio.timeNoEffect}×, CPU ${ratio.cpuNoEffect}×, maxRSS ${ratio.rssNoEffect}×`);

  let linearity: any;
  if (lin.length >= 2) {
    log('');
    log(`== linearity (E = 3N, medians of ${LIN_REPS}; the target size reuses its ${REPS} runs) ==`);
    log(`${pad('N', 6)} ${pad('E', 6)} ${pad('ours ms', 10)} ${pad('ours ms/svc', 12)} ${pad('plain ms', 10)} ${pad('plain ms/svc', 13)} ${pad('ours/plain', 11)} `
      + `${pad('ours CPU', 9)} ${pad('plain CPU', 10)} ${pad('CPU ratio', 10)} ${pad('ours MiB', 9)} ${pad('plain MiB', 10)}`);
    for (const l of lin) {
      const o = l.ours.totalMs.median;
      const p = l.plain?.totalMs.median;
      log(`${pad(l.n, 6)} ${pad(l.e, 6)} ${pad(o.toFixed(0), 10)} ${pad((o / l.n).toFixed(2), 12)} ${pad(p !== undefined ? p.toFixed(0) : '-', 10)} `
        + `${pad(p !== undefined ? (p / l.n).toFixed(2) : '-', 13)} ${pad(p !== undefined ? (o / p).toFixed(2) : '-', 11)} `
        + `${pad(l.ours.cpuMs.median.toFixed(0), 9)} ${pad(l.plain ? l.plain.cpuMs.median.toFixed(0) : '-', 10)} `
        + `${pad(l.plain ? (l.ours.cpuMs.median / l.plain.cpuMs.median).toFixed(2) : '-', 10)} `
        + `${pad(l.ours.maxRssMiB.median.toFixed(0), 9)} ${pad(l.plain ? l.plain.maxRssMiB.median.toFixed(0) : '-', 10)}`);
    }
    const first = lin[0];
    const last = lin[lin.length - 1];
    const scale = last.n / first.n;
    const oursSlope = logLogSlope(lin.map(l => l.n), lin.map(l => l.ours.totalMs.median));
    const oursCpuSlope = logLogSlope(lin.map(l => l.n), lin.map(l => l.ours.cpuMs.median));
    const plainSlope = lin.every(l => l.plain) ? logLogSlope(lin.map(l => l.n), lin.map(l => l.plain!.totalMs.median)) : undefined;
    const oursScaled = last.ours.totalMs.median / first.ours.totalMs.median / scale;
    const plainScaled = first.plain && last.plain ? last.plain.totalMs.median / first.plain.totalMs.median / scale : undefined;
    linearity = {
      sizes: lin.map(l => ({
        n: l.n, e: l.e,
        oursMs: l.ours.totalMs.median, oursMsPerService: round(l.ours.totalMs.median / l.n, 3),
        oursBuildMs: l.ours.buildMs.median, oursSynthMs: l.ours.synthMs.median, oursCpuMs: l.ours.cpuMs.median, oursRssMiB: l.ours.maxRssMiB.median,
        ...(l.plain ? {
          plainMs: l.plain.totalMs.median, plainMsPerService: round(l.plain.totalMs.median / l.n, 3),
          plainCpuMs: l.plain.cpuMs.median, plainRssMiB: l.plain.maxRssMiB.median,
          ratio: round(l.ours.totalMs.median / l.plain.totalMs.median, 3), cpuRatio: round(l.ours.cpuMs.median / l.plain.cpuMs.median, 3),
        } : {}),
      })),
      oursTimeRatioOverScale: round(oursScaled, 3),
      plainTimeRatioOverScale: plainScaled !== undefined ? round(plainScaled, 3) : undefined,
      oursLogLogSlope: round(oursSlope, 3),
      oursCpuLogLogSlope: round(oursCpuSlope, 3),
      plainLogLogSlope: plainSlope !== undefined ? round(plainSlope, 3) : undefined,
    };
    log(`ours : (time at N=${last.n})/(time at N=${first.n})/${scale} = ${linearity.oursTimeRatioOverScale} (1 = linear); log-log slope ${linearity.oursLogLogSlope} (1 = linear, 2 = quadratic), of CPU time ${linearity.oursCpuLogLogSlope}`);
    if (plainSlope !== undefined) {
      log(`plain: (time at N=${last.n})/(time at N=${first.n})/${scale} = ${linearity.plainTimeRatioOverScale}; log-log slope ${linearity.plainLogLogSlope}`);
    }
  }

  if (profiles) {
    for (const impl of Object.keys(profiles)) {
      log('');
      log(`== CPU profile ${impl} (self time, top functions; file bench/.profiles/${impl}-N${N}-E${E}.cpuprofile) ==`);
      for (const f of profiles[impl].top) {
        log(`${pad(f.selfPct.toFixed(1), 6)}%  ${f.fn}  ${f.where}`);
      }
      log('by file (self time):');
      for (const f of profiles[impl].byFile.slice(0, 10)) {
        log(`${pad(f.selfPct.toFixed(1), 6)}%  ${f.file}`);
      }
    }
  }

  log('');
  log(`elapsed ${((Date.now() - started) / 1000).toFixed(0)} s`);
  const json = {
    n: N, e: E, reps: REPS, synth: SYNTH, seed: SEED, quick: QUICK, stack: OURS,
    ours, ...(noEffect ? { fullNoEffect: noEffect } : {}), plain, ratio,
    ...(linearity ? { linearity } : {}),
    ...(profiles ? { profiles: Object.fromEntries(Object.entries(profiles).map(([k, v]: [string, any]) => [k, v.top.slice(0, 10)])) } : {}),
    node: process.version,
    cpus: require('os').cpus().length,
  };
  process.stdout.write(`${JSON.stringify(json)}\n`);
}

main();
