import { Cluster } from './_cluster';
import { ConnectivityLine } from './_connectivity';
import { bindWorkloads } from './_effect';
import { Pod } from './_model';
import { endUserTokens } from '../edge/_end-user-tokens';
import { CallIntent, IntentGraph, workloadKey } from '../intent/intent-graph';
import { IMeshWorkload } from '../intent/mesh-workload';

/**
 * The trust graph as a Mermaid flowchart, in the subset GitHub and GitLab render:
 * `flowchart LR`, `subgraph <id>["<label>"]` ... `end`, nodes `<id>["<label>"]`,
 * `<id>(["<label>"])` (external exits) and `<id>(("<label>"))` (the internet), edges
 * `<id> -->|"<label>"| <id>`. Ids are `[A-Za-z0-9_]`; labels are quoted, with `"`, `#`, `<`, `>`,
 * `|` written as Mermaid entity codes (`#quot;`, `#35;`, `#lt;`, `#gt;`, `#124;`) and `<br/>` as the
 * only markup.
 *
 * Each workload's node names how the synthesized objects put it in the mesh, read from the
 * manifests as the enforcement points see them (not from the declaration): `sidecar`, `ambient`
 * (ztunnel only, L4) or `ambient, waypoint <name>`, `no mesh`, with the mTLS mode its
 * PeerAuthentications give it; `Istio gateway` for an edge gateway's Envoy, and
 * `outside this app` for a workload declared by reference.
 */
export function trustGraphMermaid(graph: IntentGraph, manifests: any[], cluster: Cluster = new Cluster(manifests, graph.trustDomain)): string {
  const lines = ['flowchart LR'];
  const ids = new Ids();
  const nodeId = (w: IMeshWorkload) => ids.of('w', workloadKey(w));
  const pods = bindWorkloads(graph, cluster);
  const byNamespace = new Map<string, IMeshWorkload[]>();
  for (const w of graph.workloads) {
    const ns = w.zeroTrustNamespace.namespaceName;
    byNamespace.set(ns, [...byNamespace.get(ns) ?? [], w]);
  }
  for (const [ns, workloads] of [...byNamespace].sort(([a], [b]) => compare(a, b))) {
    lines.push(`  subgraph ${ids.of('ns', ns)}["namespace ${label(ns)}"]`);
    for (const w of workloads) {
      lines.push(`    ${nodeId(w)}["${[w.workloadName, `sa ${w.serviceAccountName}`, meshLabel(cluster, pods.get(w)!)].map(label).join('<br/>')}"]`);
    }
    lines.push('  end');
  }
  // the edge: who may enter from outside, and with which tokens
  const gateways = manifests.filter(m => m?.kind === 'Gateway' && m.spec?.gatewayClassName === 'istio');
  for (const g of gateways) {
    const w = graph.workloads.find(x => x.zeroTrustNamespace.namespaceName === g.metadata.namespace && x.workloadName === g.metadata.name);
    if (!w) continue;
    const listeners = (g.spec.listeners ?? []).map((l: any) => `${l.protocol} ${l.port}`);
    const issuers = endUserTokens(graph).issuersOf(w);
    lines.push('  internet(("internet"))');
    lines.push(`  internet -->|"${label([...new Set(listeners)].join(', '))}${issuers.length ? `<br/>${label(`JWT from ${issuers.join(', ')}`)}` : ''}"| ${nodeId(w)}`);
  }
  for (const call of graph.calls) {
    lines.push(`  ${nodeId(call.caller)} -->|"${callLabel(call, endUserTokens(graph).issuersOfCall(call))}"| ${nodeId(call.callee)}`);
  }
  const exits = new Set<string>();
  for (const e of graph.egress) {
    const exit = ids.of('exit', e.host);
    if (!exits.has(exit)) {
      lines.push(`  ${exit}(["${label(e.host)}"])`);
      exits.add(exit);
    }
    lines.push(`  ${nodeId(e.workload)} -->|"${label(`TCP ${e.port}`)}"| ${exit}`);
  }
  return `${lines.join('\n')}\n`;
}

/** How the manifests put `pod` in the mesh: the data plane, the waypoint, the mTLS mode. */
function meshLabel(cluster: Cluster, pod: Pod): string {
  const origin = pod.kind === 'Workload' ? ['outside this app'] : [];
  if (pod.gatewayClass === 'istio') return 'Istio gateway';
  if (pod.mesh === 'none') return [...origin, 'no mesh'].join(', ');
  const waypoint = pod.mesh === 'ambient' ? cluster.waypointFor(pod) : undefined;
  const plane = pod.mesh === 'ambient' ? (waypoint ? `ambient, waypoint ${waypoint.pod.name}` : 'ambient') : 'sidecar';
  return [...origin, plane, `mTLS ${cluster.mtlsMode(pod)}`].join(', ');
}

/** The label of a call's edge: ports, then methods, paths, required claims and headers. */
function callLabel(call: CallIntent, issuers: string[]): string {
  const parts = [`${call.ports.join(',')}`];
  if (call.methods.length) parts.push(call.methods.join(','));
  if (call.paths.length) parts.push(call.paths.join(' '));
  const claims = Object.entries(call.requiredClaims).map(([c, v]) => `${c}=${v.join('|')}`);
  if (claims.length) parts.push(`claims ${claims.join(' ')}`);
  else if (issuers.length) parts.push('verified end-user token');
  const headers = Object.entries(call.requiredHeaders).map(([h, v]) => `${h}: ${v}`);
  if (headers.length) parts.push(`headers ${headers.join(' ')}`);
  return parts.map(label).join('<br/>');
}

/**
 * The Mermaid ids of one diagram: letters, digits and `_` only, prefixed, readable for DNS names
 * (`-` as `_`, `/` as `__`), and one per value: a value whose readable form another value of the
 * diagram already has (`a/b--c` and `a--b/c` are both `a__b__c`) gets a numbered suffix, so two
 * workloads never merge into one node.
 */
class Ids {
  private readonly byValue = new Map<string, string>();
  private readonly used = new Set<string>();

  public of(prefix: string, value: string): string {
    const key = `${prefix} ${value}`;
    const known = this.byValue.get(key);
    if (known) return known;
    const base = `${prefix}_${value.replace(/[^A-Za-z0-9]/g, c => (c === '-' ? '_' : c === '/' ? '__' : `_${c.charCodeAt(0)}_`))}`;
    let id = base;
    for (let n = 2; this.used.has(id); n++) id = `${base}_${n}`;
    this.used.add(id);
    this.byValue.set(key, id);
    return id;
  }
}

/** A quoted label's text with Mermaid entity codes for the characters that would end or break it. */
export function label(text: string): string {
  return text.replace(/#/g, '#35;').replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;').replace(/\|/g, '#124;');
}

/** The connectivity list as a Markdown table, one row per source, one column per destination with connections. */
export function connectivityMarkdown(lines: ConnectivityLine[]): string {
  const sources = [...new Set(lines.map(l => l.src))].sort(compare);
  const targets = [...new Set(lines.map(l => l.dst))].sort(compare);
  const cell = new Map(lines.map(l => [`${l.src} ${l.dst}`, l.conn]));
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const out = [
    '# Connectivity',
    '',
    'What the synthesized objects allow, every layer together (NetworkPolicy or Cilium, Istio mTLS and authorization): rows call columns.',
    `${lines.length} connections between ${new Set([...sources, ...targets]).size} peers. Empty cells: denied.`,
    '',
    `| from \\ to | ${targets.map(esc).join(' | ')} |`,
    `|---|${targets.map(() => '---').join('|')}|`,
    ...sources.map(s => `| ${esc(s)} | ${targets.map(t => esc(cell.get(`${s} ${t}`) ?? '')).join(' | ')} |`),
  ];
  return `${out.join('\n')}\n`;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
