/**
 * Summarizes a V8 .cpuprofile (from `node --cpu-prof`): self time per function and per file,
 * plus total (inclusive) time of the functions of src/.
 *
 *   npx ts-node --transpile-only --project test/tsconfig.json bench/profile.ts bench/.profiles/ours-N1000-E3000.cpuprofile
 */
import * as fs from 'fs';
import * as path from 'path';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

export interface ProfileSummary {
  totalMs: number;
  top: Array<{ fn: string; where: string; selfMs: number; selfPct: number }>;
  byFile: Array<{ file: string; selfMs: number; selfPct: number }>;
  /** Inclusive time of functions defined in src/ (recursion counted once per stack). */
  srcInclusive: Array<{ fn: string; where: string; totalMs: number; totalPct: number }>;
}

function shortUrl(url: string): string {
  const u = url.replace(/^file:\/\//, '');
  const i = u.indexOf('/node_modules/');
  if (i >= 0) return u.slice(i + 1);
  const root = path.resolve(__dirname, '..') + '/';
  return u.startsWith(root) ? u.slice(root.length) : u || '(native)';
}

export function summarizeProfile(file: string, topN = 20): ProfileSummary {
  const prof = JSON.parse(fs.readFileSync(file, 'utf8'));
  const nodes: Node[] = prof.nodes;
  const byId = new Map<number, Node>(nodes.map(n => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  // time per sample: timeDeltas[i] belongs to samples[i]
  const selfUs = new Map<number, number>();
  const samples: number[] = prof.samples;
  const deltas: number[] = prof.timeDeltas;
  for (let i = 0; i < samples.length; i++) {
    selfUs.set(samples[i], (selfUs.get(samples[i]) ?? 0) + Math.max(0, deltas[i] ?? 0));
  }
  const totalUs = [...selfUs.values()].reduce((a, b) => a + b, 0);

  const key = (n: Node) => `${n.callFrame.functionName || '(anonymous)'}\u0000${shortUrl(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
  const selfByFn = new Map<string, number>();
  const selfByFile = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const n = byId.get(id)!;
    selfByFn.set(key(n), (selfByFn.get(key(n)) ?? 0) + us);
    const f = shortUrl(n.callFrame.url);
    selfByFile.set(f, (selfByFile.get(f) ?? 0) + us);
  }

  // inclusive time of src/ functions: walk each sampled node's stack once
  const inclusive = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur)!;
      const url = shortUrl(n.callFrame.url);
      if (!url.startsWith('src/')) continue;
      const k = key(n);
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + us);
    }
  }

  const pct = (us: number) => (totalUs ? (100 * us) / totalUs : 0);
  const split = (k: string) => { const [fn, where] = k.split('\u0000'); return { fn, where }; };
  return {
    totalMs: totalUs / 1000,
    top: [...selfByFn.entries()].sort((a, b) => b[1] - a[1]).slice(0, topN)
      .map(([k, us]) => ({ ...split(k), selfMs: Math.round(us / 1000), selfPct: Math.round(pct(us) * 10) / 10 })),
    byFile: [...selfByFile.entries()].sort((a, b) => b[1] - a[1])
      .map(([file, us]) => ({ file, selfMs: Math.round(us / 1000), selfPct: Math.round(pct(us) * 10) / 10 })),
    srcInclusive: [...inclusive.entries()].sort((a, b) => b[1] - a[1]).slice(0, topN)
      .map(([k, us]) => ({ ...split(k), totalMs: Math.round(us / 1000), totalPct: Math.round(pct(us) * 10) / 10 })),
  };
}

if (require.main === module) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: bench/profile.ts <file.cpuprofile> [topN]');
    process.exit(1);
  }
  const s = summarizeProfile(file, Number(process.argv[3] ?? 25));
  console.log(`total sampled ${s.totalMs.toFixed(0)} ms`);
  console.log('\nself time by function:');
  for (const f of s.top) console.log(`${f.selfPct.toFixed(1).padStart(6)}%  ${String(f.selfMs).padStart(7)} ms  ${f.fn}  ${f.where}`);
  console.log('\nself time by file:');
  for (const f of s.byFile.slice(0, 15)) console.log(`${f.selfPct.toFixed(1).padStart(6)}%  ${String(f.selfMs).padStart(7)} ms  ${f.file}`);
  console.log('\ninclusive time of src/ functions:');
  for (const f of s.srcInclusive) console.log(`${f.totalPct.toFixed(1).padStart(6)}%  ${String(f.totalMs).padStart(7)} ms  ${f.fn}  ${f.where}`);
}
