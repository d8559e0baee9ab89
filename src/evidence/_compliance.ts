import { createHash } from 'crypto';
import { ConnectivityLine } from './_connectivity';
import { Finding } from './_effect';
import { intToIpv4, ipv4ToInt } from './_network-policy';
import { IntentGraph } from '../intent/intent-graph';

/** The OSCAL version of the component definition (its schema is pinned in the tests). */
export const OSCAL_VERSION = '1.1.1';

const FRAMEWORKS = { nist80053: 'NIST SP 800-53 rev5', nist800207a: 'NIST SP 800-207A', soc2: 'SOC 2 (TSC 2017)', pci: 'PCI DSS 4.0' };
const PROPS_NS = 'https://github.com/cdk8s-zero-trust/cdk8s-zero-trust/ns/oscal';
const SOURCES = {
  nist80053: 'https://raw.githubusercontent.com/usnistgov/oscal-content/main/nist.gov/SP800-53/rev5/json/NIST_SP-800-53_rev5_catalog.json',
  nist800207a: 'https://doi.org/10.6028/NIST.SP.800-207A',
  soc2: 'https://www.aicpa-cima.com/resources/download/2017-trust-services-criteria-with-revised-points-of-focus-2022',
  pci: 'https://docs-prv.pcisecuritystandards.org/PCI%20DSS/Standard/PCI-DSS-v4_0.pdf',
};

interface Evidence {
  readonly objects: string[];
  readonly edges: string[];
}

interface Requirement {
  readonly source: keyof typeof SOURCES;
  readonly controlId: string;
  readonly title: string;
  /** How the generated objects implement it; undefined when the output does not support the claim. */
  readonly claim: (e: Facts) => { description: string; evidence: Evidence } | undefined;
}

/** What the synthesized objects and the graph contain, by control-relevant category. */
interface Facts {
  readonly networkPolicies: string[];
  readonly defaultDeny: string[];
  readonly ciliumPolicies: string[];
  readonly authorizationPolicies: string[];
  readonly allowNothing: string[];
  readonly strictMtls: string[];
  readonly spiffeIds: string[];
  readonly edge: string[];
  readonly egressControls: string[];
  readonly accessLogging: string[];
  readonly alerts: string[];
  readonly runtimeRules: string[];
  readonly admission: string[];
  readonly podSecurity: string[];
  readonly humanAccess: string[];
  readonly calls: string[];
  readonly egress: string[];
  readonly effect: Finding[];
  /** What outside addresses reach (`<workload> from <addresses>: <conn>`), from the connectivity list. */
  readonly inbound: string[];
  /** Where workloads reach outside addresses (`<workload> -> <addresses>: <conn>`). */
  readonly outbound: string[];
}

/**
 * The connectivity list's lines between workloads and outside address ranges, one per workload
 * and connection, with the ranges merged (`any address` when they cover all of IPv4), so a
 * reader sees from where each opening is reachable: `insights/catalog[Deployment] from
 * 169.254.7.127-169.254.7.127: All Connections` (ztunnel's kubelet probes) is not an opening to
 * the internet.
 */
export function outside(lines: ConnectivityLine[], direction: 'in' | 'out'): string[] {
  const isRange = (peer: string) => !peer.includes('[');
  const groups = new Map<string, Array<[number, number]>>();
  for (const l of lines) {
    const [workload, range] = direction === 'in' ? [l.dst, l.src] : [l.src, l.dst];
    if (isRange(workload) || !isRange(range)) continue;
    const [a, b] = range.split('-').map(ipv4ToInt);
    const key = `${workload}\n${l.conn}`;
    groups.set(key, [...groups.get(key) ?? [], [a, b]]);
  }
  return [...groups].map(([key, ranges]) => {
    const [workload, conn] = key.split('\n');
    const merged: Array<[number, number]> = [];
    for (const [a, b] of ranges.sort((x, y) => x[0] - y[0])) {
      const last = merged[merged.length - 1];
      if (last && a <= last[1] + 1) last[1] = Math.max(last[1], b);
      else merged.push([a, b]);
    }
    const where = merged.length === 1 && merged[0][0] === 0 && merged[0][1] === 2 ** 32 - 1
      ? 'any address' : merged.map(([a, b]) => `${intToIpv4(a)}-${intToIpv4(b)}`).join(', ');
    return direction === 'in' ? `${workload} from ${where}: ${conn}` : `${workload} -> ${where}: ${conn}`;
  }).sort();
}

function ref(o: any): string {
  return `${o.kind}/${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name}`;
}

function facts(graph: IntentGraph, manifests: any[], effect: Finding[], lines: ConnectivityLine[]): Facts {
  const of = (pred: (m: any) => boolean) => manifests.filter(m => m && pred(m)).map(ref).sort();
  return {
    networkPolicies: of(m => m.kind === 'NetworkPolicy'),
    defaultDeny: of(m => m.kind === 'NetworkPolicy' && Object.keys(m.spec?.podSelector?.matchLabels ?? {}).length === 0
      && !(m.spec?.podSelector?.matchExpressions?.length) && (m.spec?.policyTypes ?? []).length === 2
      && !(m.spec?.ingress?.length) && !(m.spec?.egress?.length)),
    ciliumPolicies: of(m => m.kind === 'CiliumNetworkPolicy'),
    authorizationPolicies: of(m => m.kind === 'AuthorizationPolicy' && (m.spec?.rules ?? []).length > 0),
    allowNothing: of(m => m.kind === 'AuthorizationPolicy' && !m.spec?.selector && (m.spec?.action ?? 'ALLOW') === 'ALLOW' && !(m.spec?.rules?.length)),
    strictMtls: of(m => m.kind === 'PeerAuthentication' && m.spec?.mtls?.mode === 'STRICT'),
    spiffeIds: of(m => m.kind === 'ClusterSPIFFEID'),
    edge: of(m => (m.kind === 'Gateway' && m.spec?.gatewayClassName === 'istio') || m.kind === 'RequestAuthentication'),
    egressControls: of(m => m.kind === 'ServiceEntry' || (m.kind === 'Sidecar' && m.spec?.outboundTrafficPolicy?.mode === 'REGISTRY_ONLY')
      || (m.kind === 'CiliumNetworkPolicy' && (m.spec?.egress ?? []).some((r: any) => r.toFQDNs))),
    accessLogging: of(m => m.kind === 'Telemetry' && (m.spec?.accessLogging ?? []).length > 0),
    alerts: of(m => m.kind === 'PrometheusRule'),
    runtimeRules: of(m => m.kind === 'ConfigMap' && /falco/i.test(m.metadata?.name ?? '')),
    admission: of(m => ['ConstraintTemplate', 'ValidatingAdmissionPolicy', 'ValidatingPolicy', 'ClusterPolicy'].includes(m.kind)
      || String(m.apiVersion).startsWith('constraints.gatekeeper.sh/')),
    podSecurity: of(m => m.kind === 'Namespace' && m.metadata?.labels?.['pod-security.kubernetes.io/enforce'] === 'restricted'),
    humanAccess: of(m => ['Role', 'RoleBinding'].includes(m.kind) && m.metadata?.labels?.['app.kubernetes.io/managed-by'] === 'cdk8s-zero-trust'),
    calls: graph.calls.map(c => c.key),
    egress: graph.egress.map(e => e.key),
    effect,
    inbound: outside(lines, 'in'),
    outbound: outside(lines, 'out'),
  };
}

const some = (...lists: string[][]) => lists.every(l => l.length > 0);

const REQUIREMENTS: Requirement[] = [
  {
    source: 'nist800207a',
    controlId: 'network-tier-policy',
    title: 'Network-tier policies (NIST SP 800-207A)',
    claim: f => (some(f.defaultDeny, f.networkPolicies) ? {
      description: 'Every namespace denies all ingress and egress by default; each workload admits exactly its declared callers and reaches exactly its declared callees and exits, on the declared ports (Kubernetes NetworkPolicy, and CiliumNetworkPolicy where Cilium enforces names or HTTP).',
      evidence: {
        objects: [...f.defaultDeny, ...f.networkPolicies.filter(o => !f.defaultDeny.includes(o)), ...f.ciliumPolicies],
        edges: [...f.calls, ...f.egress],
      },
    } : undefined),
  },
  {
    source: 'nist800207a',
    controlId: 'identity-tier-policy',
    title: 'Identity-tier policies (NIST SP 800-207A)',
    claim: f => (some(f.strictMtls, f.allowNothing) ? {
      description: 'Every call is authenticated with the caller\'s workload identity (Istio mutual TLS, STRICT) and authorized by that identity per workload (AuthorizationPolicy ALLOW by principal, ports, methods and paths, over an allow-nothing default in every namespace).',
      evidence: { objects: [...f.strictMtls, ...f.allowNothing, ...f.authorizationPolicies, ...f.spiffeIds], edges: f.calls },
    } : undefined),
  },
  {
    source: 'nist80053',
    controlId: 'ac-3',
    title: 'AC-3 Access Enforcement',
    claim: f => (some(f.allowNothing) ? {
      description: 'Access between workloads is enforced by the callee\'s proxy: an allow-nothing AuthorizationPolicy per namespace and one ALLOW policy per workload naming the declared callers\' principals, ports, methods, paths and required token claims.',
      evidence: { objects: [...f.allowNothing, ...f.authorizationPolicies], edges: f.calls },
    } : undefined),
  },
  {
    source: 'nist80053',
    controlId: 'ac-4',
    title: 'AC-4 Information Flow Enforcement',
    claim: f => (some(f.networkPolicies) ? {
      description: 'Information flows between workloads and to outside destinations are limited to the declared calls and exits, at L3/L4 (NetworkPolicy, Cilium) and at the mesh (AuthorizationPolicy, ServiceEntry, Sidecar egress hosts). The effect check proves at synthesis that the objects allow exactly the declared flows.',
      evidence: { objects: [...f.networkPolicies, ...f.ciliumPolicies, ...f.egressControls], edges: [...f.calls, ...f.egress] },
    } : undefined),
  },
  {
    source: 'nist80053',
    controlId: 'au-2',
    title: 'AU-2 Event Logging',
    claim: f => (some(f.accessLogging) ? {
      description: 'Every request and connection is logged by the mesh in a structured JSON record: caller identity (certificate SAN), destination, method, path, response code and the authorization decision details.',
      evidence: { objects: f.accessLogging, edges: [] },
    } : undefined),
  },
  {
    source: 'nist80053',
    controlId: 'cm-7',
    title: 'CM-7 Least Functionality',
    claim: f => (some(f.podSecurity) ? {
      description: 'Namespaces enforce the restricted Pod Security Standard; admission policies reject privileged or non-hardened pods except the declared, per-container exceptions; workloads expose only their declared ports.',
      evidence: { objects: [...f.podSecurity, ...f.admission], edges: [] },
    } : undefined),
  },
  {
    source: 'nist80053',
    controlId: 'ia-9',
    title: 'IA-9 Service Identification and Authentication',
    claim: f => (some(f.strictMtls) ? {
      description: 'Services identify and authenticate each other with X.509 workload identities (SPIFFE IDs per ServiceAccount) over mutual TLS, STRICT in every namespace: plaintext is refused.',
      evidence: { objects: [...f.strictMtls, ...f.spiffeIds], edges: f.calls },
    } : undefined),
  },
  {
    source: 'nist80053',
    controlId: 'sc-7',
    title: 'SC-7 Boundary Protection',
    claim: f => (some(f.defaultDeny) ? {
      description: `Each namespace is a boundary with default-deny ingress and egress. Outside addresses reach only ${f.inbound.join('; ') || 'nothing'}. `
        + `By address, workloads reach outside only ${f.outbound.join('; ') || 'nowhere'}; by name, the declared exits ${f.egress.join('; ') || '(none)'}.`,
      evidence: { objects: [...f.defaultDeny, ...f.edge, ...f.egressControls], edges: f.egress },
    } : undefined),
  },
  {
    source: 'nist80053',
    controlId: 'sc-8',
    title: 'SC-8 Transmission Confidentiality and Integrity',
    claim: f => (some(f.strictMtls) ? {
      description: 'Traffic between workloads is encrypted and integrity-protected by mutual TLS, STRICT (PeerAuthentication); the edge gateway accepts HTTPS.',
      evidence: { objects: [...f.strictMtls, ...f.edge.filter(o => o.startsWith('Gateway/'))], edges: f.calls },
    } : undefined),
  },
  {
    source: 'nist80053',
    controlId: 'si-4',
    title: 'SI-4 System Monitoring',
    claim: f => (some([...f.alerts, ...f.runtimeRules, ...f.accessLogging]) ? {
      description: 'Denied requests, mTLS failures and policy violations are alerted on (Prometheus rules); runtime behaviour outside the declared calls and exits is detected (Falco rules); requests are logged.',
      evidence: { objects: [...f.alerts, ...f.runtimeRules, ...f.accessLogging], edges: [] },
    } : undefined),
  },
  {
    source: 'soc2',
    controlId: 'cc6.1',
    title: 'SOC 2 CC6.1 Logical access security',
    claim: f => (some(f.allowNothing, f.strictMtls) ? {
      description: 'Logical access between services requires an authenticated workload identity and an explicit authorization per caller; people get namespace-scoped RBAC only.',
      evidence: { objects: [...f.strictMtls, ...f.allowNothing, ...f.authorizationPolicies, ...f.humanAccess], edges: f.calls },
    } : undefined),
  },
  {
    source: 'soc2',
    controlId: 'cc6.6',
    title: 'SOC 2 CC6.6 Access from outside the system boundaries',
    claim: f => (some(f.edge) ? {
      description: `Outside access reaches only ${f.inbound.join('; ') || 'nothing'}; the edge gateway requires a verified token from the configured issuer on every route. `
        + `Outbound access is restricted to the declared exits ${f.egress.join('; ') || '(none)'}${f.outbound.length ? ` and, by address, ${f.outbound.join('; ')}` : ''}.`,
      evidence: { objects: [...f.edge, ...f.egressControls], edges: f.egress },
    } : undefined),
  },
  {
    source: 'soc2',
    controlId: 'cc6.7',
    title: 'SOC 2 CC6.7 Transmission of information',
    claim: f => (some(f.strictMtls) ? {
      description: 'Transmission between services is restricted to the declared calls and protected by mutual TLS; transmission outside the cluster is restricted to declared exits.',
      evidence: { objects: [...f.strictMtls, ...f.egressControls], edges: [...f.calls, ...f.egress] },
    } : undefined),
  },
  {
    source: 'soc2',
    controlId: 'cc7.2',
    title: 'SOC 2 CC7.2 Monitoring of system components',
    claim: f => (some([...f.alerts, ...f.runtimeRules]) ? {
      description: 'System components are monitored for anomalies: alert rules on denied traffic and mTLS failures, runtime detection rules for unexpected processes and connections.',
      evidence: { objects: [...f.alerts, ...f.runtimeRules, ...f.accessLogging], edges: [] },
    } : undefined),
  },
  {
    source: 'pci',
    controlId: 'req-1.2',
    title: 'PCI DSS 4.0 Requirement 1.2 Network security controls are configured and maintained',
    claim: f => (some(f.networkPolicies) ? {
      description: 'Network security controls are generated from one declared intent graph and reviewed as code; the allowed flows are documented by the connectivity list and the trust-graph diagram generated with them (1.2.4).',
      evidence: { objects: [...f.networkPolicies, ...f.ciliumPolicies], edges: [...f.calls, ...f.egress] },
    } : undefined),
  },
  {
    source: 'pci',
    controlId: 'req-1.3',
    title: 'PCI DSS 4.0 Requirement 1.3 Network access to and from the cardholder data environment is restricted',
    claim: f => (some(f.defaultDeny) ? {
      description: 'Namespaces are segmented: all traffic not declared is denied in both directions, so a namespace holding cardholder data admits and reaches only its declared peers.',
      evidence: { objects: [...f.defaultDeny, ...f.networkPolicies.filter(o => !f.defaultDeny.includes(o))], edges: f.calls },
    } : undefined),
  },
];

/** A name-based UUID (version 5 layout, SHA-1): stable across syntheses. */
export function stableUuid(name: string): string {
  const h = createHash('sha1').update(`cdk8s-zero-trust:${name}`).digest('hex');
  const variant = ((parseInt(h[16], 16) % 4) + 8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * The OSCAL 1.1 component-definition and the Markdown report: one component (the app's zero
 * trust configuration), one control implementation per framework, one implemented requirement
 * per control the objects support, with the objects and graph edges as evidence props.
 */
export function compliance(graph: IntentGraph, manifests: any[], effect: Finding[], lines: ConnectivityLine[],
  lastModified: string = timestamp()): { oscal: any; markdown: string } {
  const f = facts(graph, manifests, effect, lines);
  const effectProp = { name: 'effect-check', ns: PROPS_NS, value: effect.length === 0 ? 'passed' : `failed: ${effect.length} differences` };
  type Claim = { r: Requirement; c: { description: string; evidence: Evidence } };
  const claims = REQUIREMENTS.map(r => ({ r, c: r.claim(f) })).filter(x => x.c !== undefined) as Claim[];
  const implementations = (Object.keys(SOURCES) as Array<keyof typeof SOURCES>).map(source => {
    const reqs = claims.filter(x => x.r.source === source);
    if (!reqs.length) return undefined;
    return {
      'uuid': stableUuid(`control-implementation/${source}`),
      'source': SOURCES[source],
      'description': `Controls of ${source} implemented by the synthesized objects.`,
      'implemented-requirements': reqs.map(({ r, c }) => ({
        'uuid': stableUuid(`implemented-requirement/${source}/${r.controlId}`),
        'control-id': r.controlId,
        'description': c.description,
        'props': [
          { name: 'implementation-status', value: effect.length === 0 ? 'implemented' : 'partial' },
          effectProp,
          ...[...new Set(c.evidence.objects)].map(o => ({ name: 'evidence-object', ns: PROPS_NS, value: o })),
          ...[...new Set(c.evidence.edges)].map(e => ({ name: 'evidence-edge', ns: PROPS_NS, value: e })),
        ],
        'links': [{ href: './connectivity.json', rel: 'reference', text: 'Connectivity the objects allow' }, { href: './trust-graph.md', rel: 'reference', text: 'Trust graph' }],
      })),
    };
  }).filter(x => x !== undefined);
  const oscal = {
    'component-definition': {
      uuid: stableUuid(`component-definition/${graph.trustDomain}`),
      metadata: { 'title': `Zero trust configuration (${graph.trustDomain})`, 'last-modified': lastModified, 'version': '1.0.0', 'oscal-version': OSCAL_VERSION },
      components: [{
        'uuid': stableUuid(`component/${graph.trustDomain}`),
        'type': 'software',
        'title': 'cdk8s-zero-trust configuration',
        'description': `Kubernetes, Istio and Cilium objects synthesized from one intent graph: ${f.calls.length} declared calls, ${f.egress.length} declared exits.`,
        'props': [effectProp],
        'control-implementations': implementations,
      }],
    },
  };
  return { oscal, markdown: report(claims, f) };
}

function report(claims: Array<{ r: Requirement; c: { description: string; evidence: Evidence } }>, f: Facts): string {
  const out = ['# Compliance evidence', '',
    f.effect.length === 0
      ? 'The effect check passed: the synthesized objects allow exactly the declared calls and exits.'
      : `The effect check found ${f.effect.length} differences between the objects and the intent graph: ${f.effect.map(x => x.message).join('; ')}`,
    '', 'Only controls the generated objects support are listed; each with the objects and graph edges that implement it.', ''];
  out.push('| framework | control | how | objects | edges |', '|---|---|---|---|---|');
  for (const { r, c } of claims) {
    out.push(`| ${FRAMEWORKS[r.source]} | ${r.title} | ${c.description} | ${[...new Set(c.evidence.objects)].length} | ${[...new Set(c.evidence.edges)].length} |`);
  }
  for (const { r, c } of claims) {
    out.push('', `## ${r.title}`, '', c.description, '', '<details><summary>evidence</summary>', '');
    [...new Set(c.evidence.objects)].forEach(o => out.push(`- object \`${o}\``));
    [...new Set(c.evidence.edges)].forEach(e => out.push(`- edge \`${e}\``));
    out.push('', '</details>');
  }
  return `${out.join('\n')}\n`;
}

function timestamp(): string {
  const epoch = process.env.SOURCE_DATE_EPOCH;
  return (epoch && /^\d+$/.test(epoch) ? new Date(Number(epoch) * 1000) : new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
