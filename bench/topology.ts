/**
 * Deterministic topology generator shared by both implementations of the benchmark.
 */

/** A seeded PRNG (mulberry32): same seed, same sequence, on every machine. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Topology {
  /** Number of services. */
  readonly n: number;
  /** Namespace names, `ns0`..`ns<k-1>`. */
  readonly namespaces: string[];
  /** Services: name (unique per namespace, here globally unique too) and namespace index. */
  readonly services: Array<{ name: string; ns: number }>;
  /** Distinct directed edges [caller, callee] (indices into services), caller != callee. */
  readonly edges: Array<[number, number]>;
  /** How many edges stay inside one namespace. */
  readonly intraNamespaceEdges: number;
}

export const SERVICES_PER_NAMESPACE = 50;
export const INTRA_NAMESPACE_SHARE = 0.7;

/**
 * N services spread over ceil(N/50) namespaces (contiguous blocks of 50), E distinct directed
 * edges (caller != callee), ~70% of them within one namespace.
 */
export function generateTopology(n: number, e: number, seed = 42): Topology {
  if (!Number.isInteger(n) || n < 2) throw new Error(`BENCH_N must be an integer >= 2, got ${n}`);
  if (!Number.isInteger(e) || e < 0) throw new Error(`BENCH_E must be a non-negative integer, got ${e}`);
  if (e > n * (n - 1)) throw new Error(`BENCH_E=${e} exceeds the ${n * (n - 1)} distinct directed edges of ${n} services`);

  const nsCount = Math.ceil(n / SERVICES_PER_NAMESPACE);
  const namespaces = Array.from({ length: nsCount }, (_, i) => `ns${i}`);
  const services = Array.from({ length: n }, (_, i) => ({ name: `svc-${i}`, ns: Math.floor(i / SERVICES_PER_NAMESPACE) }));
  const members: number[][] = namespaces.map(() => []);
  services.forEach((s, i) => members[s.ns].push(i));

  const rand = mulberry32(seed);
  const pick = (arr: number[]) => arr[Math.floor(rand() * arr.length)];
  const seen = new Set<number>();
  const edges: Array<[number, number]> = [];
  let intra = 0;
  let attempts = 0;
  const maxAttempts = 200 * e + 10_000;
  while (edges.length < e) {
    if (++attempts > maxAttempts) {
      throw new Error(`could not draw ${e} distinct edges among ${n} services (got ${edges.length})`);
    }
    const caller = Math.floor(rand() * n);
    const wantIntra = nsCount === 1 || rand() < INTRA_NAMESPACE_SHARE;
    let callee: number;
    if (wantIntra) {
      callee = pick(members[services[caller].ns]);
    } else {
      callee = Math.floor(rand() * n);
      if (services[callee].ns === services[caller].ns) continue;
    }
    if (callee === caller) continue;
    const key = caller * n + callee;
    if (seen.has(key)) continue;
    seen.add(key);
    edges.push([caller, callee]);
    if (services[caller].ns === services[callee].ns) intra++;
  }
  return { n, namespaces, services, edges, intraNamespaceEdges: intra };
}
