import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import { Cluster } from './_cluster';
import { istioPathMatch, Jwt, Pod, Request, samplePath } from './_model';
import { checkPeers } from './_peers';
import { EffectFinding } from './effect-finding';
import { endUserTokens } from '../edge/_end-user-tokens';
import { EnforcementPoints, Rollout } from '../enforcement/enforcement-points';
import { CallIntent, IntentGraph, workloadKey } from '../intent/intent-graph';
import { AppProtocol, IMeshWorkload, WorkloadOrigin } from '../intent/mesh-workload';

export type Finding = EffectFinding;

/**
 * Every Kubernetes object of `scope`'s app (only those of `kinds` when given), resolved as it
 * would be synthesized (no validation).
 */
export function appManifests(scope: IConstruct, kinds?: ReadonlySet<string>): any[] {
  return scope.node.root.node.findAll().filter((c): c is ApiObject => ApiObject.isApiObject(c) && (!kinds || kinds.has(c.kind))).map(o => o.toJson());
}

const HTTP_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'];
/** A port no workload declares: a rule that opens it opens every port. */
const UNDECLARED_PORT = 1;
/** A public address (outside every private range) to probe ipBlock rules with. */
export const PUBLIC_PROBE_ADDRESS = '34.200.1.1';

/**
 * Compares the effect of `manifests` with `graph`: every declared call must be allowed (every
 * port, method, path, claim and header combination the graph allows), nothing else between
 * the graph's workloads may be, calls must be authenticated by mTLS, and the exits must be
 * exactly the declared egress. Cost: the sum over workloads of (declared callers + callers the
 * policies name) times the probes per port — linear in the number of calls.
 */
export function checkEffect(graph: IntentGraph, manifests: any[], cluster: Cluster = new Cluster(manifests, graph.trustDomain)): Finding[] {
  const findings: Finding[] = [];
  const podOf = bindWorkloads(graph, cluster);
  const workloadOfPod = new Map<Pod, IMeshWorkload>();
  for (const [w, p] of podOf) workloadOfPod.set(p, w);
  const audiences = jwtAudiences(manifests);

  // a workload in staged rollout (Rollout.AUDIT) is deliberately open beside its dry-run policies: observed, not enforced
  const points = EnforcementPoints.of(graph);
  const audited = new Set(graph.workloads.filter(w => points.forWorkload(w).rollout === Rollout.AUDIT));
  for (const callee of graph.workloads) {
    if (audited.has(callee)) continue;
    // a workload outside the app nobody in the graph calls: the app defines no policy for its pods
    if (callee.workloadOrigin === WorkloadOrigin.EXTERNAL && graph.callsTo(callee).length === 0) continue;
    const to = podOf.get(callee)!;
    const calls = graph.callsTo(callee);
    const byCaller = new Map<IMeshWorkload, CallIntent[]>();
    for (const c of calls) byCaller.set(c.caller, [...byCaller.get(c.caller) ?? [], c]);
    const ports = [...callee.workloadPorts.map(p => ({ port: p.port, http: p.protocol !== AppProtocol.TCP })),
      { port: UNDECLARED_PORT, http: false }];

    // declared callers: every probe must be decided as the graph decides it
    for (const [caller, callerCalls] of byCaller) {
      compare(findings, cluster, podOf.get(caller)!, to, caller, callee, callerCalls, ports, graph, audiences);
    }
    // anyone else a layer could admit: each layer must keep undeclared callers out on its own
    const byNetwork = cluster.networkCandidates(to);
    const byMesh = cluster.meshCandidates(to);
    const others = new Set<Pod>([...byNetwork === 'any' ? [] : byNetwork, ...byMesh === 'any' ? [] : byMesh]);
    for (const from of others) {
      const w = workloadOfPod.get(from);
      if (from === to || (w && byCaller.has(w))) continue;
      // the callee's own waypoint is a hop of its declared callers, checked on their path
      if (from.gatewayClass === 'istio-waypoint' && cluster.waypointFor(to)?.pod === from) continue;
      compare(findings, cluster, from, to, w, callee, [], ports, graph, audiences);
    }
    if (byNetwork === 'any' || byMesh === 'any') {
      for (const s of [stranger(to.namespace), stranger('zz-not-in-the-graph')]) compare(findings, cluster, s, to, undefined, callee, [], ports, graph, audiences);
    }
  }

  // each caller's egress on its own admits only its declared callees (a workload outside the
  // app, ExternalWorkload, keeps its own namespace's egress: the callees' ingress admits it)
  const unowned = new Set([...audited, ...graph.workloads.filter(w => w.workloadOrigin === WorkloadOrigin.EXTERNAL)]);
  for (const caller of graph.workloads) {
    if (unowned.has(caller)) continue;
    const from = podOf.get(caller)!;
    const declared = new Map<Pod, CallIntent[]>();
    for (const c of graph.callsFrom(caller)) declared.set(podOf.get(c.callee)!, [...declared.get(podOf.get(c.callee)!) ?? [], c]);
    const candidates = cluster.networkPolicies.candidatePeers(from, 'Egress');
    const ciliumCandidates = cluster.cilium.present && cluster.cilium.selecting(from, 'Egress').length ? cluster.cilium.candidatePeers(from, 'Egress') : [];
    const targets = candidates === 'any' || ciliumCandidates === 'any' ? [...podOf.values()] : [...new Set([...candidates, ...ciliumCandidates])];
    for (const to of targets) {
      const w = workloadOfPod.get(to);
      if (to === from || !w || audited.has(w)) continue;
      const calls = declared.get(to) ?? [];
      const hbone = cluster.usesHbone(from, to);
      for (const { port } of [...w.workloadPorts, { port: UNDECLARED_PORT }]) {
        const intended = hbone ? calls.length > 0 : calls.some(c => c.ports.includes(port));
        const request: Request = { port: hbone ? 15008 : port };
        const v = cluster.direction('Egress', from, to, request);
        const viaHttp = !v.allowed && cluster.direction('Egress', from, to, { ...request, method: 'GET', path: '/' }).allowed;
        if (!intended && (v.allowed || viaHttp)) {
          findings.push({
            kind: 'undeclared',
            call: `${workloadKey(caller)} -> ${workloadKey(w)}:${request.port}`,
            objects: v.objects,
            message: `the network layer (egress of ${workloadKey(caller)}) lets ${workloadKey(caller)} -> ${workloadKey(w)}:${request.port} through, which the intent graph does not declare (allowed by ${v.objects.join(', ') || 'the absence of an egress policy'})`,
          });
          break;
        }
      }
    }
  }

  // mTLS: declared calls are identity-bound
  for (const callee of graph.workloads) {
    const to = podOf.get(callee)!;
    if (graph.callsTo(callee).length === 0 || audited.has(callee)) continue;
    // ports some declared call uses (whether other ports are reachable is the undeclared checks' business)
    const used = new Set(graph.callsTo(callee).flatMap(c => c.ports));
    for (const { port } of callee.workloadPorts.filter(p => used.has(p.port))) {
      const mtls = cluster.istio.mtlsMode(to, port);
      // Cilium authorizing HTTP by endpoint identity is the one enforcement point of such a port
      if (cluster.ciliumEnforcesHttp(to, port)) continue;
      if (to.mesh === 'none' || mtls.mode !== 'STRICT') {
        findings.push({
          kind: 'unauthenticated',
          call: `* -> ${workloadKey(callee)}:${port}`,
          objects: mtls.by ? [mtls.by] : [],
          message: to.mesh === 'none'
            ? `${workloadKey(callee)} is not in the mesh (no sidecar, not ambient): calls to it carry no verified identity`
            : `calls to ${workloadKey(callee)} on port ${port} are not authenticated: mTLS mode is ${mtls.mode}${mtls.by ? ` (${mtls.by})` : ' (no PeerAuthentication applies)'}, so plaintext callers are accepted`,
        });
      }
    }
  }

  checkEgress(findings, graph, cluster, podOf, unowned);
  checkPeers(findings, graph, cluster, podOf, unowned);
  return findings;
}

/** Each graph workload's pod in the manifests, or (for workloads deployed elsewhere) one built from the graph. */
export function bindWorkloads(graph: IntentGraph, cluster: Cluster): Map<IMeshWorkload, Pod> {
  const out = new Map<IMeshWorkload, Pod>();
  for (const w of graph.workloads) {
    const ns = w.zeroTrustNamespace.namespaceName;
    const found = cluster.index.select({ matchLabels: { ...w.podSelectorLabels } }, ns).find(p => p.serviceAccount === w.serviceAccountName);
    const nsLabels = cluster.namespaceLabelsOf(ns);
    out.set(w, found ?? {
      namespace: ns,
      name: w.workloadName,
      kind: 'Workload',
      labels: { ...w.podSelectorLabels },
      serviceAccount: w.serviceAccountName,
      ports: w.workloadPorts.map(p => ({ port: p.port, protocol: 'TCP' })),
      // a namespace outside the manifests (an ExternalWorkload's): the mesh mode the graph declares for it
      mesh: Object.keys(nsLabels).length <= 1 ? w.zeroTrustNamespace.meshMode as Pod['mesh']
        : nsLabels['istio.io/dataplane-mode'] === 'ambient' ? 'ambient' : nsLabels['istio-injection'] === 'enabled' || nsLabels['istio.io/rev'] ? 'sidecar' : 'none',
    });
  }
  return out;
}

function stranger(namespace: string): Pod {
  return { namespace, name: 'zz-stranger', kind: 'Pod', labels: { app: 'zz-stranger' }, serviceAccount: 'zz-stranger', ports: [], mesh: 'sidecar' };
}

/** Audiences the RequestAuthentications accept per issuer (a probe token carries them). */
function jwtAudiences(manifests: any[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const ra of manifests.filter(m => m?.kind === 'RequestAuthentication')) {
    for (const r of ra.spec?.jwtRules ?? []) out.set(r.issuer, [...out.get(r.issuer) ?? [], ...r.audiences ?? []]);
  }
  return out;
}

interface Probe extends Request {
  readonly claims?: Record<string, string>;
}

/**
 * Probes every port of the callee with requests built from the declared calls and the values
 * the callee's policies mention (methods, paths, claims, headers), plus values nobody declared,
 * and reports the first disagreement per port and direction.
 */
function compare(findings: Finding[], cluster: Cluster, from: Pod, to: Pod, caller: IMeshWorkload | undefined, callee: IMeshWorkload,
  calls: CallIntent[], ports: Array<{ port: number; http: boolean }>, graph: IntentGraph, audiences: Map<string, string[]>): void {
  // the edge layer's state (which callers verify and forward end-user tokens) is intent, not rendering
  const tokenState = endUserTokens(graph);
  const issuers = caller ? tokenState.issuersOf(caller) : [];
  const policyValues = mentionedValues(cluster, to);
  const fromName = caller ? workloadKey(caller) : `${from.namespace}/${from.name} (not in the intent graph)`;
  for (const { port, http } of ports) {
    const onPort = calls.filter(c => c.ports.includes(port));
    const probes = http ? httpProbes(onPort, policyValues, port) : [{ port } as Probe];
    // a caller forwarding end-user tokens sends them, except on calls it makes on its own behalf
    const carriesTokens = onPort.length === 0 || onPort.some(c => tokenState.issuersOfCall(c).length > 0);
    const tokens: Array<Jwt | undefined> = [undefined, ...carriesTokens ? issuers.map(iss => ({ iss, sub: 'probe-user', aud: audiences.get(iss) ?? [] })) : []];
    const reported = new Set<string>();
    const report = (kind: string, layer: string, request: Request, objects: string[]) => {
      if (reported.has(`${kind}/${layer}`)) return;
      reported.add(`${kind}/${layer}`);
      const call = `${fromName} -> ${workloadKey(callee)}:${port}${describe(request)}`;
      findings.push(kind === 'denied'
        ? { kind, call, objects, message: `declared call ${call} is denied by the ${layer} layer (${objects.join(', ') || 'no policy admits it'})` }
        : { kind, call, objects, message: `the ${layer} layer lets ${call} through, which the intent graph does not declare (allowed by ${objects.join(', ') || 'the absence of a restricting policy'})` });
    };
    const hbone = cluster.usesHbone(from, to);
    const ciliumL7 = cluster.ciliumEnforcesHttp(to, port);
    for (const probe of probes) {
      for (const token of tokens) {
        const jwt = token ? { ...token, claims: probe.claims } : undefined;
        const request: Request = { port, method: probe.method, path: probe.path, headers: probe.headers, jwt };
        const intended = onPort.some(c => intentAllows(c, tokenState.issuersOfCall(c), request));
        const v = cluster.verdict(from, to, request);
        if (intended && !v.allowed) report('denied', v.layer, request, v.objects);
        if (intended) continue;
        if (v.allowed) report('undeclared', 'combined', request, [...cluster.networkPolicies.admits('Ingress', to, from, port, 'TCP').by, ...v.objects]);
        // each layer on its own: the network layer at port granularity (any call between the
        // pair over HBONE, whose inner port ztunnel checks), unless Cilium enforces HTTP there
        const networkIntended = ciliumL7 ? false : hbone ? calls.length > 0 : onPort.length > 0;
        if (!networkIntended) {
          const n = cluster.direction('Ingress', to, from, hbone ? { ...request, port: 15008 } : request);
          if (n.allowed) report('undeclared', 'network (ingress)', request, n.objects);
        }
        if (to.mesh !== 'none' && !ciliumL7) {
          const m = cluster.meshVerdict(from, to, request);
          if (m.allowed) report('undeclared', 'mesh', request, m.objects);
        }
      }
    }
  }
}

function describe(r: Request): string {
  const parts = [r.method, r.path].filter(x => x !== undefined);
  const claims = r.jwt ? ` token(${r.jwt.iss}${r.jwt.claims && Object.keys(r.jwt.claims).length ? ` ${JSON.stringify(r.jwt.claims)}` : ''})` : '';
  const headers = r.headers && Object.keys(r.headers).length ? ` headers ${JSON.stringify(r.headers)}` : '';
  return `${parts.length ? ` ${parts.join(' ')}` : ''}${claims}${headers}`;
}

/** The intent's decision: a call on the port whose methods, paths, claims, headers and token issuers admit the request. */
export function intentAllows(c: CallIntent, issuers: string[], r: Request): boolean {
  if (!c.ports.includes(r.port)) return false;
  if (c.methods.length && (r.method === undefined || !c.methods.includes(r.method))) return false;
  if (c.paths.length && (r.path === undefined || !c.paths.some(p => istioPathMatch(p, r.path!)))) return false;
  if (issuers.length && (!r.jwt || !issuers.includes(r.jwt.iss))) return false;
  for (const [claim, values] of Object.entries(c.requiredClaims)) {
    const raw = r.jwt?.claims?.[claim];
    const have = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
    if (!have.some(v => values.includes(v))) return false;
  }
  return Object.entries(c.requiredHeaders).every(([h, v]) => r.headers?.[h] === v);
}

interface Mentioned { methods: Set<string>; paths: Set<string>; claims: Array<Record<string, string>>; headers: Array<Record<string, string>> }

/** Methods, paths, claim and header values the callee's Istio policies mention. */
function mentionedValues(cluster: Cluster, to: Pod): Mentioned {
  const out: Mentioned = { methods: new Set(), paths: new Set(), claims: [], headers: [] };
  const wp = to.mesh === 'ambient' ? cluster.waypointFor(to) : undefined;
  const policies = [...cluster.istio.boundToWorkload(to), ...wp ? cluster.istio.boundToWaypoint(wp.pod, to.namespace, wp.service) : []];
  for (const p of policies) {
    for (const rule of p.spec?.rules ?? []) {
      for (const t of rule.to ?? []) {
        (t.operation?.methods ?? []).forEach((m: string) => out.methods.add(m));
        (t.operation?.paths ?? []).forEach((x: string) => out.paths.add(x));
      }
      const claims: Record<string, string> = {};
      const headers: Record<string, string> = {};
      for (const c of rule.when ?? []) {
        const claim = /^request\.auth\.claims\[([^\]]+)\]$/.exec(c.key);
        const header = /^request\.headers\[([^\]]+)\]$/.exec(c.key);
        if (claim && c.values?.length) claims[claim[1]] = c.values[0];
        if (header && c.values?.length) headers[header[1].toLowerCase()] = c.values[0];
      }
      if (Object.keys(claims).length) out.claims.push(claims);
      if (Object.keys(headers).length) out.headers.push(headers);
    }
  }
  return out;
}

function httpProbes(calls: CallIntent[], mentioned: Mentioned, port: number): Probe[] {
  const methods = new Set<string>(['GET', ...mentioned.methods]);
  const paths = new Set<string>(['/', '/zz-undeclared', ...[...mentioned.paths].map(samplePath)]);
  const claims: Array<Record<string, string> | undefined> = [undefined, ...mentioned.claims];
  const headers: Array<Record<string, string> | undefined> = [undefined, ...mentioned.headers];
  for (const c of calls) {
    c.methods.forEach(m => methods.add(m));
    c.paths.forEach(p => paths.add(samplePath(p)));
    if (Object.keys(c.requiredClaims).length) claims.push(Object.fromEntries(Object.entries(c.requiredClaims).map(([k, v]) => [k, v[0]])));
    if (Object.keys(c.requiredHeaders).length) headers.push({ ...c.requiredHeaders });
  }
  const unused = HTTP_METHODS.find(m => !methods.has(m));
  if (unused) methods.add(unused);
  const out: Probe[] = [];
  for (const method of methods) {
    for (const path of paths) {
      for (const claim of uniq(claims)) {
        for (const header of uniq(headers)) out.push({ port, method, path, ...claim ? { claims: claim } : {}, ...header ? { headers: header } : {} });
      }
    }
  }
  return out;
}

function uniq<T>(values: T[]): T[] {
  const seen = new Map<string, T>();
  for (const v of values) seen.set(JSON.stringify(v ?? null), v);
  return [...seen.values()];
}

/** Declared exits must be open (by name through Cilium, or to public addresses, and through the sidecar); nothing else. */
function checkEgress(findings: Finding[], graph: IntentGraph, cluster: Cluster, podOf: Map<IMeshWorkload, Pod>,
  audited: Set<IMeshWorkload>): void {
  for (const w of graph.workloads) {
    if (audited.has(w)) continue;
    const pod = podOf.get(w)!;
    const declared = graph.egressFrom(w);
    const fqdns = cluster.cilium.fqdnExits(pod);
    for (const e of declared) {
      const byName = cluster.ciliumAllowsFqdn(pod, e.host, e.port);
      const byAddress = cluster.l4(pod, { ip: PUBLIC_PROBE_ADDRESS }, { port: e.port }).allowed;
      const mesh = pod.mesh !== 'sidecar' || cluster.meshAllowsExternal(pod, e.host, e.port);
      if (!(byName || byAddress) || !mesh) {
        findings.push({
          kind: 'egress-denied',
          call: e.key,
          objects: [],
          message: `declared egress ${e.key} is blocked: ${!(byName || byAddress) ? 'no NetworkPolicy ipBlock or Cilium toFQDNs rule (with its DNS rule) opens it' : 'the sidecar does not see the host (Sidecar egress hosts / ServiceEntry)'}`,
        });
      }
    }
    const declaredNames = new Set(declared.map(e => `${e.host}:${e.port}`));
    for (const exit of fqdns) {
      if (!declaredNames.has(exit)) {
        findings.push({ kind: 'egress-undeclared', call: `${workloadKey(w)} -> ${exit}`, objects: cluster.cilium.selecting(pod, 'Egress').map(s => `${s.object.kind}/${s.object.metadata?.namespace}/${s.object.metadata?.name}`), message: `${workloadKey(w)} may reach ${exit} (Cilium toFQDNs), which the intent graph does not declare` });
      }
    }
    const declaredPorts = new Set(declared.map(e => e.port));
    for (const port of [...declaredPorts, 443, 80, UNDECLARED_PORT].filter((p, i, a) => a.indexOf(p) === i)) {
      if (declaredPorts.has(port)) continue;
      if (cluster.l4(pod, { ip: PUBLIC_PROBE_ADDRESS }, { port }).allowed) {
        findings.push({
          kind: 'egress-undeclared',
          call: `${workloadKey(w)} -> ${PUBLIC_PROBE_ADDRESS}:${port}`,
          objects: cluster.networkPolicies.admits('Egress', pod, { ip: PUBLIC_PROBE_ADDRESS }, port, 'TCP').by,
          message: `${workloadKey(w)} may open connections to public addresses on port ${port}, which the intent graph does not declare`,
        });
        break;
      }
    }
    if (pod.mesh === 'sidecar') {
      for (const hp of cluster.serviceEntryHosts(pod)) {
        const port = Number(hp.slice(hp.lastIndexOf(':') + 1));
        if (declaredNames.has(hp) || !cluster.l4(pod, { ip: PUBLIC_PROBE_ADDRESS }, { port }).allowed) continue;
        if (declared.some(e => e.host === hp.slice(0, hp.lastIndexOf(':')))) continue;
        findings.push({ kind: 'egress-undeclared', call: `${workloadKey(w)} -> ${hp}`, objects: [], message: `${workloadKey(w)}'s sidecar may reach ${hp} (a ServiceEntry it sees) and the network lets it out, but the intent graph does not declare it` });
      }
    }
  }
}
