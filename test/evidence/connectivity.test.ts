import { Chart, Testing } from 'cdk8s';
import { ExternalWorkload, IntentGraph, MeshService, ReferenceArchitecture, ZeroTrustNamespace } from '../../src';
import { Cluster } from '../../src/evidence/_cluster';
import { connectivity, externalRanges, format, sortLines } from '../../src/evidence/_connectivity';
import { connectivityMarkdown, label, trustGraphMermaid } from '../../src/evidence/_diagram';
import { appManifests } from '../../src/evidence/_effect';

/**
 * np-guard netpol-analyzer `list -o json` (docs/connlist_output.md and its test_outputs): an
 * array of objects with exactly `src`, `dst`, `conn`; workloads as `<ns>/<name>[<Kind>]`,
 * outside peers as `a.b.c.d-e.f.g.h` ranges, `conn` either `All Connections` or protocols with
 * ports and ranges joined by commas (`TCP 8080,UDP 80,5000-6000`).
 */
const NETPOL_ANALYZER_DOC_SAMPLE = [
  { src: '0.0.0.0-255.255.255.255', dst: 'helloworld/hello-world[Deployment]', conn: 'All Connections' },
  { src: 'helloworld/hello-world[Deployment]', dst: 'ingressworld/ingress-world[Deployment]', conn: 'All Connections' },
  { src: 'ns1/pod1[Deployment]', dst: 'ns3/pod1[Deployment]', conn: 'TCP 8080,UDP 80,5000-6000' },
  { src: 'ns1/pod1[Deployment]', dst: '104.154.164.170-104.154.164.170', conn: 'TCP 8080,UDP 5000-6000' },
  // docs/diff_output.md: `TCP 9090,UDP 53`; test_outputs/connlist/anp_and_banp_using_networks_test: a single address is `a-a`
  { src: 'default/frontend[Deployment]', dst: 'default/backend[Deployment]', conn: 'TCP 9090,UDP 53' },
  { src: '8.8.4.4-8.8.4.4', dst: 'ns1/pod1[Deployment]', conn: 'All Connections' },
];
/**
 * The line order of test_outputs/connlist/anp_and_banp_using_networks_test_connlist_output.txt
 * (Go's sort by src, then dst, as byte strings: `10.` < `208.` < `60.` < `8.` < `ns1/`).
 */
const NETPOL_ANALYZER_ORDER = [
  ['0.0.0.0-8.8.4.3', 'ns1/pod1[Deployment]'], ['0.0.0.0-8.8.4.3', 'ns2/pod1[Deployment]'], ['10.0.0.0-10.255.255.255', 'ns1/pod1[Deployment]'],
  ['208.67.222.222-208.67.222.222', 'ns1/pod1[Deployment]'], ['60.45.72.0-60.45.75.255', 'ns1/pod1[Deployment]'], ['8.8.4.4-8.8.4.4', 'ns1/pod1[Deployment]'],
  ['ns1/pod1[Deployment]', '10.0.0.0-10.255.255.255'], ['ns1/pod1[Deployment]', 'ns2/pod1[Deployment]'],
];
const WORKLOAD = /^[a-z0-9-]+\/[a-z0-9.-]+\[[A-Za-z]+\]$/;
const RANGE = /^(\d{1,3}\.){3}\d{1,3}-(\d{1,3}\.){3}\d{1,3}$/;
const CONN = /^(All Connections|(TCP|UDP|SCTP) \d+(-\d+)?(,\d+(-\d+)?)*(,(TCP|UDP|SCTP) \d+(-\d+)?(,\d+(-\d+)?)*)*)$/;

function reference() {
  const app = Testing.app();
  new ReferenceArchitecture(app, 'zero-trust');
  const manifests = appManifests(app);
  const cluster = new Cluster(manifests);
  return { graph: IntentGraph.of(app), manifests, cluster, lines: connectivity(cluster, manifests) };
}

describe('connectivity list (np-guard netpol-analyzer list -o json)', () => {
  test('the documented samples match the shape the checks below apply', () => {
    for (const line of NETPOL_ANALYZER_DOC_SAMPLE) {
      expect(Object.keys(line)).toEqual(['src', 'dst', 'conn']);
      expect(WORKLOAD.test(line.src) || RANGE.test(line.src)).toBe(true);
      expect(WORKLOAD.test(line.dst) || RANGE.test(line.dst)).toBe(true);
      expect(line.conn).toMatch(CONN);
    }
  });

  test('lines are sorted as netpol-analyzer sorts them (src, then dst, byte order)', () => {
    const shuffled = [...NETPOL_ANALYZER_ORDER].reverse().map(([src, dst]) => ({ src, dst, conn: 'All Connections' }));
    expect(sortLines(shuffled).map(l => [l.src, l.dst])).toEqual(NETPOL_ANALYZER_ORDER);
  });

  test('conn strings: protocols in order, ports ascending, consecutive ports as ranges', () => {
    expect(format([{ port: 8080, protocol: 'TCP' }, { port: 80, protocol: 'UDP' }, ...[5000, 5001, 5002].map(port => ({ port, protocol: 'UDP' }))]))
      .toBe('TCP 8080,UDP 80,5000-5002');
    expect(format([{ port: 9090, protocol: 'TCP' }, { port: 8080, protocol: 'TCP' }, { port: 8081, protocol: 'TCP' }])).toBe('TCP 8080-8081,9090');
    expect(format([{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }])).toBe('TCP 53,UDP 53');
    // netpol-analyzer sorts the per-protocol strings (Go sort.Strings): SCTP before TCP before UDP
    expect(format([{ port: 53, protocol: 'UDP' }, { port: 9090, protocol: 'TCP' }, { port: 7000, protocol: 'SCTP' }])).toBe('SCTP 7000,TCP 9090,UDP 53');
  });

  test('outside addresses: 0.0.0.0/0 cut into ranges at every ipBlock boundary', () => {
    expect(externalRanges([])).toEqual([[0, 2 ** 32 - 1]]);
    expect(externalRanges(['10.0.0.0/8'])).toEqual([[0, 167772159], [167772160, 184549375], [184549376, 2 ** 32 - 1]]);
  });

  test('the reference architecture: field for field the netpol-analyzer shape, and exactly the declared calls between graph workloads', () => {
    const { lines, graph, cluster } = reference();
    for (const line of lines) {
      expect(Object.keys(line)).toEqual(['src', 'dst', 'conn']);
      expect(WORKLOAD.test(line.src) || RANGE.test(line.src)).toBe(true);
      expect(WORKLOAD.test(line.dst) || RANGE.test(line.dst)).toBe(true);
      expect(line.conn).toMatch(CONN);
    }
    const workloads = new Set(graph.workloads.map(w => `${w.zeroTrustNamespace.namespaceName}/${w.workloadName}`));
    const between = lines.filter(l => workloads.has(l.src.replace(/\[.*$/, '')) && workloads.has(l.dst.replace(/\[.*$/, '')));
    const declared = new Map<string, Set<number>>();
    for (const c of graph.calls) {
      const k = `${c.caller.zeroTrustNamespace.namespaceName}/${c.caller.workloadName} ${c.callee.zeroTrustNamespace.namespaceName}/${c.callee.workloadName}`;
      declared.set(k, new Set([...declared.get(k) ?? [], ...c.ports]));
    }
    expect(between.map(l => `${l.src.replace(/\[.*$/, '')} ${l.dst.replace(/\[.*$/, '')} ${l.conn}`).sort())
      .toEqual([...declared].map(([k, ports]) => `${k} ${format([...ports].map(port => ({ port, protocol: 'TCP' })))}`).sort());
    // the internet reaches the edge proxy on 443 only, among the graph's workloads; the one other
    // outside source is 169.254.7.127, from which ztunnel delivers the kubelet's probes to ambient pods
    const inbound = lines.filter(l => RANGE.test(l.src) && workloads.has(l.dst.replace(/\[.*$/, '')));
    const PROBES = '169.254.7.127-169.254.7.127';
    // (every IPv4 address, in the segments the output's ipBlocks cut the address space into)
    const toProxy = inbound.filter(l => l.dst === 'edge/access-proxy[Gateway]');
    expect(new Set(toProxy.map(l => l.conn))).toEqual(new Set(['TCP 443']));
    expect(toProxy.map(l => l.src)).toContain(PROBES);
    const ip = (a: string) => a.split('.').reduce((n, o) => n * 256 + Number(o), 0);
    const segments = toProxy.filter(l => !l.src.includes(':')).map(l => l.src.split('-').map(ip)).sort((a, b) => a[0] - b[0]);
    expect(segments[0][0]).toBe(0);
    expect(segments[segments.length - 1][1]).toBe(2 ** 32 - 1);
    segments.slice(1).forEach((seg, i) => expect(seg[0]).toBe(segments[i][1] + 1));
    const ambient = cluster.pods.filter(p => p.mesh === 'ambient' && p.gatewayClass !== 'istio-waypoint' && workloads.has(`${p.namespace}/${p.name}`));
    expect(ambient.length).toBeGreaterThan(0);
    expect(inbound.filter(l => l.dst !== 'edge/access-proxy[Gateway]'))
      .toEqual(ambient.map(p => ({ src: PROBES, dst: `${p.namespace}/${p.name}[${p.kind}]`, conn: 'All Connections' })).sort((a, b) => (a.dst < b.dst ? -1 : 1)));
  });

  test('the Markdown matrix has one row per source and one column per destination', () => {
    const md = connectivityMarkdown([{ src: 'a/x[Deployment]', dst: 'b/y[Deployment]', conn: 'TCP 8080' }, { src: 'a/x[Deployment]', dst: 'c/z[Deployment]', conn: 'All Connections' }]);
    expect(md).toContain('| from \\ to | b/y[Deployment] | c/z[Deployment] |');
    expect(md).toContain('| a/x[Deployment] | TCP 8080 | All Connections |');
  });
});

/**
 * The Mermaid subset GitHub and GitLab render (mermaid flowchart syntax): a `flowchart LR`
 * header, `subgraph id["label"]` / `end`, nodes `id["label"]`, `id(["label"])`, `id(("label"))`,
 * edges `id -->|"label"| id`; ids of letters, digits and `_`; labels quoted, without raw `"`.
 */
const MERMAID_LINE = [
  /^flowchart LR$/,
  /^ {2}subgraph [A-Za-z0-9_]+\["[^"]*"\]$/,
  /^ {2}end$/,
  /^ {2,4}[A-Za-z0-9_]+(\["[^"]*"\]|\(\["[^"]*"\]\)|\(\("[^"]*"\)\))$/,
  /^ {2}[A-Za-z0-9_]+ -->\|"[^"]*"\| [A-Za-z0-9_]+$/,
];

describe('trust graph (Mermaid)', () => {
  test('every line is in the documented subset; namespaces are subgraphs; every call, the internet and the exits are edges', () => {
    const { graph, manifests } = reference();
    const mermaid = trustGraphMermaid(graph, manifests);
    const lines = mermaid.trimEnd().split('\n');
    for (const line of lines) expect({ line, ok: MERMAID_LINE.some(re => re.test(line)) }).toEqual({ line, ok: true });
    expect(lines.filter(l => l.trim().startsWith('subgraph ')).length).toBe(graph.namespaces.length);
    expect(lines.filter(l => l.trim() === 'end').length).toBe(graph.namespaces.length);
    expect(lines.filter(l => l.includes(' -->|')).length).toBe(graph.calls.length + graph.egress.length + 1);
    expect(mermaid).toContain('internet -->|"HTTPS 443<br/>JWT from https://login.example.com"| w_edge__access_proxy');
    expect(mermaid).toContain('w_production__order_service -->|"8080<br/>POST<br/>/api/v1/charge"| w_production__payment_service');
    expect(mermaid).toContain('w_edge__access_proxy -->|"8080<br/>GET,POST<br/>/account/*<br/>claims device_trust=managed groups=customers"| w_web__frontend');
    expect(mermaid).toContain('exit_api_46_stripe_46_com(["api.stripe.com"])');
    // every node an edge uses is declared
    const declared = new Set(lines.map(l => /^ +([A-Za-z0-9_]+)[[(]/.exec(l)?.[1]).filter(Boolean));
    for (const l of lines.filter(x => x.includes(' -->|'))) {
      const [, from, to] = /^ +([A-Za-z0-9_]+) -->\|"[^"]*"\| ([A-Za-z0-9_]+)$/.exec(l)!;
      expect([declared.has(from), declared.has(to)]).toEqual([true, true]);
    }
  });

  test('labels cannot break out of their quotes', () => {
    expect(label('a"b|c<d>#e')).toBe('a#quot;b#124;c#lt;d#gt;#35;e');
  });

  test('each workload node says how the synthesized objects put it in the mesh, read from the manifests', () => {
    const { graph, manifests } = reference();
    const node = (mermaid: string, key: string) => new RegExp(`^ {4}w_${key}\\["([^"]*)"\\]$`, 'm').exec(mermaid)?.[1].split('<br/>');
    const mermaid = trustGraphMermaid(graph, manifests);
    expect(node(mermaid, 'data__database')).toEqual(['database', 'sa database', 'sidecar, mTLS STRICT']);
    expect(node(mermaid, 'insights__catalog')).toEqual(['catalog', 'sa catalog', 'ambient, waypoint waypoint, mTLS STRICT']);
    expect(node(mermaid, 'edge__access_proxy')).toEqual(['access-proxy', 'sa access-proxy-istio', 'Istio gateway']);
    // the manifests decide, not the declaration: without the namespace's waypoint label and its
    // PeerAuthentications, the same graph draws ztunnel only and Istio's default mode
    const edited = manifests
      .filter(m => !(m.kind === 'PeerAuthentication' && m.metadata.namespace === 'insights'))
      .map(m => (m.kind === 'Namespace' && m.metadata.name === 'insights'
        ? { ...m, metadata: { ...m.metadata, labels: Object.fromEntries(Object.entries(m.metadata.labels).filter(([k]) => k !== 'istio.io/use-waypoint')) } }
        : m));
    expect(node(trustGraphMermaid(graph, edited), 'insights__catalog')).toEqual(['catalog', 'sa catalog', 'ambient, mTLS PERMISSIVE']);
    const external = Testing.app();
    const chart = new Chart(external, 'c');
    const api = new MeshService(chart, 'api', { namespace: new ZeroTrustNamespace(chart, 'shop'), image: 'ghcr.io/acme/api:1.0.0', port: 8080 });
    api.allowFrom(new ExternalWorkload(chart, 'search', { namespace: 'search', podSelector: { app: 'opensearch' }, serviceAccountName: 'opensearch' }));
    expect(node(trustGraphMermaid(IntentGraph.of(external), appManifests(external)), 'search__search')?.[2]).toMatch(/^outside this app, (sidecar|ambient|no mesh)/);
  });

  test('workloads whose readable ids collide (a/b--c and a--b/c are both a__b__c) stay two nodes, each with its own edges', () => {
    const chart = Testing.chart();
    const a = new ZeroTrustNamespace(chart, 'a', { name: 'a' });
    const ab = new ZeroTrustNamespace(chart, 'ab', { name: 'a--b' });
    const one = new MeshService(chart, 'one', { namespace: a, name: 'b--c', image: 'ghcr.io/acme/app:1.0.0', port: 8080 });
    const two = new MeshService(chart, 'two', { namespace: ab, name: 'c', image: 'ghcr.io/acme/app:1.0.0', port: 8080 });
    two.allowFrom(one);
    const mermaid = trustGraphMermaid(IntentGraph.of(chart), Testing.synth(chart));
    const nodes = [...mermaid.matchAll(/^ {4}([A-Za-z0-9_]+)\["([^"<]*)</gm)].map(m => [m[1], m[2]]);
    expect(nodes).toEqual([['w_a__b__c', 'b--c'], ['w_a__b__c_2', 'c']]);
    expect(mermaid).toContain('  w_a__b__c -->|"8080"| w_a__b__c_2\n');
  });
});
