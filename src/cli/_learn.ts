import { Cluster } from '../evidence/_cluster';
import { Pod, podRef, Request } from '../evidence/_model';

/** A call seen on the wire: who called whom, on which port, with which method and path. */
export interface ObservedCall {
  readonly from: Pod | { readonly external: string };
  readonly to: Pod | { readonly external: string };
  readonly port: number;
  readonly method?: string;
  readonly path?: string;
  /** Where it was seen: `istio` (access log) or `hubble` (flow). */
  readonly source: string;
}

const SPIFFE = /^spiffe:\/\/[^/]+\/ns\/([^/]+)\/sa\/([^/]+)$/;
/**
 * What a log line may carry into the report (Markdown) and the suggested TypeScript: the lines
 * are recorded traffic, written by whoever sent it. An HTTP method is a token of letters; a path
 * is an RFC 3986 path (unreserved, percent-encoded, sub-delims, ':', '@', '/'), no spaces,
 * quotes other than `'`, backslashes, backticks, angle brackets or line breaks; an external peer
 * is a SPIFFE ID, an address or a DNS name. A line with anything else is skipped (counted), never
 * shortened to a wider call.
 */
const METHOD = /^[A-Z]{1,20}$/;
const PATH = /^\/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2}){0,2047}$/;
const PEER = /^[A-Za-z0-9.:/_\-[\]]{1,253}$/;

/**
 * Reads observed calls from lines of Istio JSON access logs (the record `MeshAccessLogging`
 * configures: `source_principal`, `destination_principal` as SPIFFE IDs, `destination_address`
 * `ip:port`, `method`, `path`) and Hubble flows (`hubble observe -o json`: `{"flow": {...}}` with
 * `source`/`destination` endpoints (namespace, labels, workloads), `l4.TCP.destination_port`,
 * `l7.http.method`/`url`, `destination_names`, `verdict`, `is_reply`). Unparseable lines and replies
 * are skipped; the callers and callees are matched to the manifests' workloads.
 */
export function readObservations(text: string, cluster: Cluster): { calls: ObservedCall[]; skipped: number } {
  const calls: ObservedCall[] = [];
  let skipped = 0;
  for (const line of text.split('\n').map(l => l.trim()).filter(l => l.length > 0)) {
    let record: any;
    try {
      record = JSON.parse(line);
    } catch {
      skipped++;
      continue;
    }
    let call: ObservedCall | undefined;
    try {
      const istio = record?.source_principal !== undefined || record?.destination_principal !== undefined;
      call = record?.flow ? fromHubble(record.flow, cluster) : istio ? fromIstio(record, cluster) : undefined;
    } catch {
      // a record of valid JSON with fields of other types (labels: 5, url: {}): not a log line
      call = undefined;
    }
    if (call && wellFormed(call)) calls.push(call);
    else skipped++;
  }
  return { calls, skipped };
}

/** Whether every value of `call` that reaches the report and the suggested code has its grammar. */
function wellFormed(call: ObservedCall): boolean {
  const external = (x: ObservedCall['from']) => isPod(x) || (typeof x.external === 'string' && PEER.test(x.external));
  return Number.isInteger(call.port) && call.port >= 1 && call.port <= 65535
    && (call.method === undefined || METHOD.test(call.method))
    && (call.path === undefined || PATH.test(call.path))
    && external(call.from) && external(call.to);
}

/** A TypeScript string literal of `s` (quotes, backslashes and line breaks escaped). */
function literal(s: string): string {
  return `'${JSON.stringify(s).slice(1, -1).replace(/\\"/g, '"').replace(/'/g, "\\'")}'`;
}

function byIdentity(cluster: Cluster, spiffeId: string | undefined): Pod | undefined {
  const m = SPIFFE.exec(spiffeId ?? '');
  return m ? cluster.pods.find(p => p.namespace === m[1] && p.serviceAccount === m[2]) : undefined;
}

function fromIstio(r: any, cluster: Cluster): ObservedCall | undefined {
  const to = byIdentity(cluster, r.destination_principal);
  const from = byIdentity(cluster, r.source_principal);
  const port = Number(String(r.destination_address ?? '').split(':').pop());
  if (!to || !Number.isInteger(port) || port <= 0) return undefined;
  const method = r.method && r.method !== '-' ? String(r.method) : undefined;
  const path = r.path && r.path !== '-' ? String(r.path).split('?')[0] : undefined;
  if (path === '') return undefined; // a logged path that is no path: not widened to any path
  const source = from ?? { external: r.source_principal && r.source_principal !== '-' ? r.source_principal : String(r.source_address ?? 'unknown').split(':')[0] };
  return { from: source, to, port, ...method ? { method } : {}, ...path ? { path } : {}, source: 'istio' };
}

function endpoint(e: any, cluster: Cluster): Pod | undefined {
  if (!e?.namespace) return undefined;
  const workload = (e.workloads ?? [])[0];
  if (workload?.name) {
    const pod = cluster.tryPod(e.namespace, workload.name);
    if (pod) return pod;
  }
  const labels: Record<string, string> = {};
  for (const l of e.labels ?? []) {
    const m = /^k8s:([^=]+)=(.*)$/.exec(l);
    if (m && !m[1].startsWith('io.')) labels[m[1]] = m[2];
  }
  // the pod whose labels agree with every label of the flow it has, sharing at least one (unique)
  const agree = cluster.pods.filter(p => p.namespace === e.namespace && Object.entries(labels).some(([k, v]) => p.labels[k] === v)
    && Object.entries(labels).every(([k, v]) => p.labels[k] === undefined || p.labels[k] === v));
  return agree.length === 1 ? agree[0] : undefined;
}

function fromHubble(f: any, cluster: Cluster): ObservedCall | undefined {
  if (f.is_reply === true) return undefined;
  const port = f.l4?.TCP?.destination_port ?? f.l4?.UDP?.destination_port;
  if (!port) return undefined;
  const from = endpoint(f.source, cluster);
  const to = endpoint(f.destination, cluster);
  const world = (e: any) => (e?.labels ?? []).includes('reserved:world');
  const http = f.l7?.http;
  const path = http?.url ? urlPath(http.url) : undefined;
  if (http?.url && path === undefined) return undefined; // a URL that is no URL: not widened to any path
  const dst = to ?? (world(f.destination) ? { external: (f.destination_names ?? [])[0] ?? f.IP?.destination ?? 'world' } : undefined);
  const src = from ?? (world(f.source) ? { external: f.IP?.source ?? 'world' } : undefined);
  if (!dst || !src) return undefined;
  return { from: src, to: dst, port: Number(port), ...http?.method ? { method: String(http.method) } : {}, ...path ? { path } : {}, source: 'hubble' };
}

function urlPath(url: string): string | undefined {
  const m = /^[a-z]+:\/\/[^/]+(\/[^?#]*)?/.exec(url);
  return m ? m[1] ?? '/' : url.startsWith('/') ? url.split('?')[0] : undefined;
}

const isPod = (x: ObservedCall['from']): x is Pod => (x as Pod).namespace !== undefined;

/** A TypeScript identifier for a workload (`order-service` -> `orderService`). */
function ident(name: string): string {
  return name.replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : '')).replace(/^[^A-Za-z_]/, '_$&');
}

/**
 * What a person adds to the app so the graph allows what was observed: `callee.allowFrom(caller,
 * { ports, methods, paths })` per pair, `workload.allowEgressTo(host, { port })` per exit by name;
 * and the observed calls the current manifests deny (evaluated like the effect check).
 */
export function learn(calls: ObservedCall[], cluster: Cluster): { declarations: string[]; denied: string[]; unmatched: string[] } {
  const pairs = new Map<string, { from: Pod; to: Pod; ports: Set<number>; methods: Set<string>; paths: Set<string>; l4: boolean }>();
  const egress = new Map<string, { from: Pod; host: string; port: number }>();
  const denied = new Set<string>();
  const unmatched = new Set<string>();
  for (const c of calls) {
    if (isPod(c.from) && isPod(c.to)) {
      const k = `${podRef(c.from)} ${podRef(c.to)}`;
      const slot = pairs.get(k) ?? { from: c.from, to: c.to, ports: new Set(), methods: new Set(), paths: new Set(), l4: false };
      slot.ports.add(c.port);
      if (c.method) slot.methods.add(c.method); else slot.l4 = true;
      if (c.path) slot.paths.add(c.path);
      pairs.set(k, slot);
      const request: Request = { port: c.port, ...c.method ? { method: c.method } : {}, ...c.path ? { path: c.path } : {} };
      if (!cluster.verdict(c.from, c.to, request).allowed) {
        denied.add(`${podRef(c.from)} -> ${podRef(c.to)}:${c.port}${c.method ? ` ${c.method}` : ''}${c.path ? ` ${c.path}` : ''} (seen in ${c.source})`);
      }
    } else if (isPod(c.from) && !isPod(c.to) && /^[a-z0-9.-]+\.[a-z]{2,}$/i.test(c.to.external)) {
      egress.set(`${podRef(c.from)} ${c.to.external}:${c.port}`, { from: c.from, host: c.to.external.toLowerCase().replace(/\.$/, ''), port: c.port });
      const byName = cluster.ciliumAllowsFqdn(c.from, c.to.external, c.port) || (c.from.mesh === 'sidecar' && cluster.meshAllowsExternal(c.from, c.to.external, c.port, 'REGISTRY_ONLY'));
      if (!byName) denied.add(`${podRef(c.from)} -> ${c.to.external}:${c.port} (seen in ${c.source})`);
    } else {
      unmatched.add(`${isPod(c.from) ? podRef(c.from) : c.from.external} -> ${isPod(c.to) ? podRef(c.to) : c.to.external}:${c.port} (seen in ${c.source})`);
    }
  }
  const declarations: string[] = [];
  const sorted = [...pairs.values()].sort((a, b) => (podRef(a.to) + podRef(a.from) < podRef(b.to) + podRef(b.from) ? -1 : 1));
  for (const { from, to, ports, methods, paths, l4 } of sorted) {
    const opts = [`ports: [${[...ports].sort((a, b) => a - b).join(', ')}]`];
    if (!l4 && methods.size) opts.push(`methods: [${[...methods].sort().map(literal).join(', ')}]`);
    if (!l4 && paths.size) opts.push(`paths: [${[...paths].sort().map(literal).join(', ')}]`);
    declarations.push(`${ident(to.name)}.allowFrom(${ident(from.name)}, { ${opts.join(', ')} }); // ${podRef(from)} -> ${podRef(to)}`);
  }
  for (const { from, host, port } of [...egress.values()].sort((a, b) => (`${a.host}${a.port}` < `${b.host}${b.port}` ? -1 : 1))) {
    declarations.push(`${ident(from.name)}.allowEgressTo(${literal(host)}, { port: ${port} }); // ${podRef(from)}`);
  }
  return { declarations, denied: [...denied].sort(), unmatched: [...unmatched].sort() };
}
