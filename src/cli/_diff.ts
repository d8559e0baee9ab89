import { Cluster } from '../evidence/_cluster';
import { connectivity, probeRequests, probeTokens } from '../evidence/_connectivity';
import { Pod, podRef, Request } from '../evidence/_model';

/** One side of a diff: the manifests of a synthesis, evaluated. */
interface Side {
  readonly manifests: any[];
  readonly cluster: Cluster;
  readonly pods: Map<string, Pod>;
}

/** What changed between two syntheses, by kind, each a list of Markdown-ready lines. */
export interface SemanticDiff {
  readonly callsAdded: string[];
  readonly callsRemoved: string[];
  readonly callsWidened: string[];
  readonly callsNarrowed: string[];
  readonly identitiesChanged: string[];
  readonly privilegesAdded: string[];
  readonly exemptionsAdded: string[];
  readonly egressOpened: string[];
  readonly egressClosed: string[];
}

function side(manifests: any[], trustDomain: string): Side {
  const cluster = new Cluster(manifests, trustDomain);
  return { manifests, cluster, pods: new Map(cluster.pods.map(p => [podRef(p), p])) };
}

/**
 * Compares what two sets of manifests allow: calls (pairs of workloads, by port, method, path,
 * token and header, every layer together), identities (ServiceAccounts), privileges and
 * admission exemptions, and exits (outside address ranges, Cilium names, ServiceEntry hosts).
 */
export function semanticDiff(oldManifests: any[], newManifests: any[], trustDomain: string): SemanticDiff {
  const a = side(oldManifests, trustDomain);
  const b = side(newManifests, trustDomain);
  const before = connectivity(a.cluster, a.manifests);
  const after = connectivity(b.cluster, b.manifests);
  const key = (l: { src: string; dst: string }) => `${l.src} -> ${l.dst}`;
  const internal = (l: { src: string; dst: string }) => l.src.includes('[') && l.dst.includes('[');
  const beforeByKey = new Map(before.filter(internal).map(l => [key(l), l.conn]));
  const afterByKey = new Map(after.filter(internal).map(l => [key(l), l.conn]));
  const out: SemanticDiff = {
    callsAdded: [],
    callsRemoved: [],
    callsWidened: [],
    callsNarrowed: [],
    identitiesChanged: [],
    privilegesAdded: [],
    exemptionsAdded: [],
    egressOpened: [],
    egressClosed: [],
  };
  for (const [k, conn] of afterByKey) if (!beforeByKey.has(k)) out.callsAdded.push(`\`${k}\`: ${conn}`);
  for (const [k, conn] of beforeByKey) if (!afterByKey.has(k)) out.callsRemoved.push(`\`${k}\`: ${conn}`);
  const tokens = [...probeTokens(a.manifests), ...probeTokens(b.manifests)];
  for (const k of [...afterByKey.keys()].filter(x => beforeByKey.has(x))) {
    const [src, dst] = k.split(' -> ');
    const gained: string[] = [];
    const lost: string[] = [];
    const ports = new Map<string, { port: number; protocol: string }>();
    for (const p of [...a.pods.get(dst)?.ports ?? [], ...b.pods.get(dst)?.ports ?? []]) ports.set(`${p.protocol}/${p.port}`, p);
    for (const { port, protocol } of ports.values()) {
      const requests = unique([...probeRequests(a.cluster, a.pods.get(dst)!, port, tokens),
        ...probeRequests(b.cluster, b.pods.get(dst)!, port, tokens)]);
      for (const r of requests) {
        const request: Request = { ...r, protocol: protocol as any };
        const was = a.cluster.verdict(a.pods.get(src)!, a.pods.get(dst)!, request).allowed;
        const is = b.cluster.verdict(b.pods.get(src)!, b.pods.get(dst)!, request).allowed;
        if (is && !was) gained.push(describe(request));
        if (was && !is) lost.push(describe(request));
      }
    }
    if (beforeByKey.get(k) !== afterByKey.get(k) && gained.length === 0 && lost.length === 0) {
      (wider(afterByKey.get(k)!, beforeByKey.get(k)!) ? gained : lost).push(`${beforeByKey.get(k)} → ${afterByKey.get(k)}`);
    }
    if (gained.length) out.callsWidened.push(`\`${k}\`: now also ${summarize(gained)}`);
    if (lost.length) out.callsNarrowed.push(`\`${k}\`: no longer ${summarize(lost)}`);
  }
  for (const [ref, pod] of b.pods) {
    const old = a.pods.get(ref);
    if (old && old.serviceAccount !== pod.serviceAccount) {
      out.identitiesChanged.push(`\`${ref}\`: runs as ServiceAccount \`${pod.serviceAccount}\` (was \`${old.serviceAccount}\`): principal ${b.cluster.principal(pod)}`);
    }
  }
  const spiffeBefore = new Set(spiffeTemplates(a.manifests));
  for (const t of spiffeTemplates(b.manifests)) if (!spiffeBefore.has(t)) out.identitiesChanged.push(`SPIFFE ID template ${t}`);
  const privBefore = new Set(privileges(a.manifests));
  for (const p of privileges(b.manifests)) if (!privBefore.has(p)) out.privilegesAdded.push(p);
  const exBefore = new Set(exemptions(a.manifests));
  for (const e of exemptions(b.manifests)) if (!exBefore.has(e)) out.exemptionsAdded.push(e);
  const exitsBefore = new Set(exits(a, before));
  const exitsAfter = new Set(exits(b, after));
  for (const e of exitsAfter) if (!exitsBefore.has(e)) out.egressOpened.push(e);
  for (const e of exitsBefore) if (!exitsAfter.has(e)) out.egressClosed.push(e);
  return out;
}

/** Whether the diff opens anything: added or widened calls, changed identities, new privileges, exemptions or exits. */
export function widens(d: SemanticDiff): boolean {
  return d.callsAdded.length + d.callsWidened.length + d.identitiesChanged.length
    + d.privilegesAdded.length + d.exemptionsAdded.length + d.egressOpened.length > 0;
}

export function changes(d: SemanticDiff): number {
  return Object.values(d).reduce((n, l: string[]) => n + l.length, 0);
}

/**
 * One list item's text on one line: the values come from the manifests under review (written by
 * the change's author), and a line break in one (a SPIFFE ID template, a capability, a name) would
 * start new Markdown lines, for example a forged heading or a 'No change' verdict. Control and
 * line-separator characters are shown as `\\uXXXX`.
 */
function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The diff as Markdown for a pull request comment. */
export function diffMarkdown(d: SemanticDiff, oldDir: string, newDir: string): string {
  const sections: Array<[string, string[]]> = [
    ['Calls added', d.callsAdded], ['Calls widened', d.callsWidened], ['Egress opened', d.egressOpened],
    ['Identities changed', d.identitiesChanged], ['Privileges added', d.privilegesAdded], ['Exemptions added', d.exemptionsAdded],
    ['Calls removed', d.callsRemoved], ['Calls narrowed', d.callsNarrowed], ['Egress closed', d.egressClosed],
  ];
  const out = ['## Zero trust: what this change allows', '', `Compared \`${oldDir}\` (before) with \`${newDir}\` (after), every layer evaluated together.`, ''];
  if (changes(d) === 0) {
    out.push('No change in what the objects allow.');
  } else {
    out.push(widens(d) ? '**This change widens access.** Review the sections in bold.' : 'This change only narrows access.', '');
    for (const [title, lines] of sections) {
      if (!lines.length) continue;
      const opens = ['Calls added', 'Calls widened', 'Egress opened', 'Identities changed', 'Privileges added', 'Exemptions added'].includes(title);
      out.push(opens ? `### **${title}** (${lines.length})` : `### ${title} (${lines.length})`, '', ...lines.map(l => `- ${oneLine(l)}`), '');
    }
  }
  return `${out.join('\n').trimEnd()}\n`;
}

function describe(r: Request): string {
  const parts = [`${r.protocol ?? 'TCP'} ${r.port}`, r.method, r.path].filter(x => x !== undefined);
  if (r.jwt) parts.push(`with a token of ${r.jwt.iss}${r.jwt.claims && Object.keys(r.jwt.claims).length ? ` ${JSON.stringify(r.jwt.claims)}` : ''}`);
  if (r.headers && Object.keys(r.headers).length) parts.push(`headers ${JSON.stringify(r.headers)}`);
  return parts.join(' ');
}

function summarize(items: string[]): string {
  const u = [...new Set(items)];
  return u.length > 6 ? `${u.slice(0, 6).join('; ')}; and ${u.length - 6} more` : u.join('; ');
}

function unique(requests: Request[]): Request[] {
  return [...new Map(requests.map(r => [JSON.stringify(r), r])).values()];
}

function wider(after: string, before: string): boolean {
  return after === 'All Connections' || (before !== 'All Connections' && after.length > before.length);
}

function spiffeTemplates(manifests: any[]): string[] {
  return manifests.filter(m => m.kind === 'ClusterSPIFFEID').map(m => `\`${m.metadata.name}\`: ${m.spec?.spiffeIDTemplate}`);
}

/** Privileges per container: privileged, added capabilities, host namespaces and paths, root, escalation. */
export function privileges(manifests: any[]): string[] {
  const out: string[] = [];
  for (const m of manifests) {
    const spec = m.spec?.template?.spec ?? m.spec?.jobTemplate?.spec?.template?.spec ?? (m.kind === 'Pod' ? m.spec : undefined);
    if (!spec) continue;
    const at = `${m.kind} ${m.metadata?.namespace ?? 'default'}/${m.metadata?.name}`;
    for (const k of ['hostNetwork', 'hostPID', 'hostIPC']) if (spec[k]) out.push(`${at}: ${k}`);
    for (const v of spec.volumes ?? []) if (v.hostPath) out.push(`${at}: hostPath ${v.hostPath.path}`);
    for (const c of [...spec.initContainers ?? [], ...spec.containers ?? []]) {
      const sc = c.securityContext ?? {};
      const where = `${at} container ${c.name}`;
      if (sc.privileged) out.push(`${where}: privileged`);
      for (const cap of sc.capabilities?.add ?? []) out.push(`${where}: capability ${cap}`);
      if (sc.allowPrivilegeEscalation === true) out.push(`${where}: allowPrivilegeEscalation`);
      if (sc.runAsUser === 0 || sc.runAsNonRoot === false) out.push(`${where}: runs as root`);
    }
  }
  return out.sort();
}

/** Admission exemptions: excluded namespaces, exempt images and exceptions of the policy engines. */
export function exemptions(manifests: any[]): string[] {
  const out: string[] = [];
  for (const m of manifests) {
    const at = `${m.kind} ${m.metadata?.name}`;
    if (String(m.apiVersion).startsWith('constraints.gatekeeper.sh/')) {
      for (const ns of m.spec?.match?.excludedNamespaces ?? []) out.push(`${at}: namespace ${ns} excluded`);
      for (const [k, v] of Object.entries(m.spec?.parameters ?? {})) {
        if (/^exempt/i.test(k)) for (const x of Array.isArray(v) ? v : [v]) out.push(`${at}: ${k} ${typeof x === 'string' ? x : JSON.stringify(x)}`);
      }
    }
    if (m.kind === 'PolicyException' || m.kind === 'Config' && String(m.apiVersion).startsWith('config.gatekeeper.sh/')) {
      out.push(`${at}: ${JSON.stringify(m.spec?.exceptions ?? m.spec?.match ?? m.spec)}`);
    }
    if (m.kind === 'ValidatingAdmissionPolicyBinding' || m.kind === 'ValidatingPolicy' || m.kind === 'ClusterPolicy') {
      for (const ex of m.spec?.matchResources?.excludeResourceRules ?? []) out.push(`${at}: excludes ${JSON.stringify(ex)}`);
      for (const ex of m.spec?.matchConstraints?.excludeResourceRules ?? []) out.push(`${at}: excludes ${JSON.stringify(ex)}`);
    }
  }
  return out.sort();
}

/** Exits: outside address ranges (with ports), Cilium names and ServiceEntry hosts, per workload. */
function exits(s: Side, lines: Array<{ src: string; dst: string; conn: string }>): string[] {
  const out = lines.filter(l => l.src.includes('[') && !l.dst.includes('[')).map(l => `\`${l.src}\` → ${l.dst}: ${l.conn}`);
  for (const pod of s.cluster.pods) {
    for (const fqdn of s.cluster.cilium.fqdnExits(pod)) out.push(`\`${podRef(pod)}\` → ${fqdn} (Cilium toFQDNs)`);
    if (pod.mesh === 'sidecar') for (const hp of s.cluster.serviceEntryHosts(pod)) out.push(`\`${podRef(pod)}\` → ${hp} (ServiceEntry, sidecar)`);
  }
  return out.sort();
}
