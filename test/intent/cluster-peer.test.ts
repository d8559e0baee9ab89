import { Chart, Testing } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Cni, ClusterPeer, EffectCheck, MeshMode, MeshService, ZeroTrustNamespace } from '../../src';
import { Cluster } from '../support/reachability';
import { find, ofKind, synthValid } from '../support/synth';

function setup(meshMode = MeshMode.SIDECAR) {
  const app = Testing.app();
  const chart = new Chart(app, 'c');
  const ops = new ZeroTrustNamespace(chart, 'ops', { meshMode });
  const operator = new MeshService(chart, 'operator', { namespace: ops, image: 'ghcr.io/acme/operator:1', port: 8080 });
  return { app, chart, operator };
}

describe('ClusterPeer', () => {
  test('the API server on any NetworkPolicy CNI: egress to the given endpoint addresses on 443 and 6443 only', () => {
    // GIVEN
    const { chart, operator } = setup();
    // WHEN
    const call = ClusterPeer.kubernetesApiServer({ addresses: ['172.18.0.2/32'] }).allowFrom(operator);
    // THEN
    expect(call.key).toBe('ops/operator -> kubernetes-api-server:kubernetes-api-server(172.18.0.2/32):443,6443');
    expect(ClusterPeer.kubernetesApiServer({ addresses: ['172.18.0.2/32'] }).allowFrom(operator)).toBe(call);
    const manifests = synthValid(chart);
    expect(find(manifests, 'NetworkPolicy', 'operator-egress').spec.egress).toEqual([{
      to: [{ ipBlock: { cidr: '172.18.0.2/32' } }],
      ports: [{ protocol: 'TCP', port: 443 }, { protocol: 'TCP', port: 6443 }],
    }]);
    expect(ofKind(manifests, 'CiliumNetworkPolicy')).toEqual([]);
    const cluster = new Cluster(manifests);
    const pod = cluster.pod('ops', 'operator');
    expect(cluster.networkAllowsToIp(pod, '172.18.0.2', 6443)).toBe(true);
    expect(cluster.networkAllowsToIp(pod, '172.18.0.3', 6443)).toBe(false);
    expect(cluster.networkAllowsToIp(pod, '172.18.0.2', 22)).toBe(false);
    expect(EffectCheck.of(chart).differences()).toEqual([]);
  });

  test('the API server on Cilium: a CiliumNetworkPolicy with the kube-apiserver entity, no address', () => {
    const { chart, operator } = setup();
    ClusterPeer.kubernetesApiServer({ cni: Cni.CILIUM, ports: [443] }).allowFrom(operator);
    const manifests = synthValid(chart);
    const cnp = find(manifests, 'CiliumNetworkPolicy', 'operator-cluster-peers', 'ops');
    expect(cnp.spec.endpointSelector).toEqual({ matchLabels: { 'app.kubernetes.io/name': 'operator' } });
    expect(cnp.spec.egress).toEqual([{ toEntities: ['kube-apiserver'], toPorts: [{ ports: [{ port: '443', protocol: 'TCP' }] }] }]);
    expect(cnp.spec.ingress).toBeUndefined();
    expect(manifests.filter(m => m.kind === 'NetworkPolicy' && m.metadata.name === 'operator-egress')).toEqual([]);
    expect(EffectCheck.of(chart).differences()).toEqual([]);
  });

  test('nodes and monitoring call the uncaptured sidecar ports (15020, 15021) only', () => {
    const { chart, operator } = setup();
    ClusterPeer.nodes({ cidrs: ['10.0.0.0/16'] }).mayCall(operator, { ports: [15021] });
    ClusterPeer.monitoring().mayCall(operator, { ports: [15020] });
    const manifests = synthValid(chart);
    expect(find(manifests, 'NetworkPolicy', 'operator-ingress').spec.ingress).toEqual([
      { from: [{ ipBlock: { cidr: '10.0.0.0/16' } }], ports: [{ protocol: 'TCP', port: 15021 }] },
      { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } } }], ports: [{ protocol: 'TCP', port: 15020 }] },
    ]);
    const cluster = new Cluster(manifests);
    const pod = cluster.pod('ops', 'operator');
    expect(cluster.networkAllowsFromIp('10.0.3.4', pod, 15021)).toBe(true);
    expect(cluster.networkAllowsFromIp('10.0.3.4', pod, 8080)).toBe(false);
    expect(cluster.networkAllowsFromIp('10.1.3.4', pod, 15021)).toBe(false);
    expect(EffectCheck.of(chart).differences()).toEqual([]);
  });

  test('nodes on Cilium: host and remote-node entities', () => {
    const { chart, operator } = setup();
    ClusterPeer.nodes({ cni: Cni.CILIUM }).mayCall(operator, { ports: [15021] });
    const cnp = find(synthValid(chart), 'CiliumNetworkPolicy', 'operator-cluster-peers');
    expect(cnp.spec.ingress).toEqual([{ fromEntities: ['host', 'remote-node'], toPorts: [{ ports: [{ port: '15021', protocol: 'TCP' }] }] }]);
  });

  test('a CIDR range covering the cloud metadata endpoint keeps it closed; cloudMetadata() opens it explicitly', () => {
    const { chart, operator } = setup();
    ClusterPeer.addresses({ cidrs: ['169.254.0.0/16'], name: 'link-local' }).allowFrom(operator, { ports: [80] });
    let manifests = synthValid(chart);
    expect(find(manifests, 'NetworkPolicy', 'operator-egress').spec.egress).toEqual([{
      to: [{ ipBlock: { cidr: '169.254.0.0/16', except: ['169.254.169.254/32'] } }],
      ports: [{ protocol: 'TCP', port: 80 }],
    }]);
    let cluster = new Cluster(manifests);
    expect(cluster.networkAllowsToIp(cluster.pod('ops', 'operator'), '169.254.1.1', 80)).toBe(true);
    expect(cluster.networkAllowsToIp(cluster.pod('ops', 'operator'), '169.254.169.254', 80)).toBe(false);
    expect(EffectCheck.of(chart).differences()).toEqual([]);

    const other = setup();
    ClusterPeer.cloudMetadata().allowFrom(other.operator);
    manifests = synthValid(other.chart);
    cluster = new Cluster(manifests);
    expect(cluster.networkAllowsToIp(cluster.pod('ops', 'operator'), '169.254.169.254', 80)).toBe(true);
    expect(EffectCheck.of(other.chart).differences()).toEqual([]);
  });

  test('the effect check reports a workload that can reach the cloud metadata endpoint without declaring it', () => {
    const { chart } = setup();
    new k8s.KubeNetworkPolicy(chart, 'too-wide', {
      metadata: { name: 'too-wide', namespace: 'ops' },
      spec: { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '169.254.0.0/16' } }] }] },
    });
    expect(EffectCheck.of(chart).differences()).toEqual([expect.objectContaining({
      kind: 'egress-undeclared',
      call: 'ops/operator -> 169.254.169.254:80',
    })]);
  });

  test('the effect check reports a declared peer exit no object opens', () => {
    const { chart, operator } = setup();
    const call = ClusterPeer.addresses({ cidrs: ['192.0.2.0/24'], name: 'partner' }).allowFrom(operator, { ports: [443] });
    Testing.synth(chart); // renders once
    const egress = find(Testing.synth(chart), 'NetworkPolicy', 'operator-egress');
    expect(egress.spec.egress[0].to).toEqual([{ ipBlock: { cidr: '192.0.2.0/24' } }]);
    // a renderer that dropped the rule is caught: drop it with an escape hatch
    const policy = chart.node.findAll().find(c => (c as any).kind === 'NetworkPolicy' && (c as any).name === 'operator-egress') as any;
    policy.addJsonPatch({ _toJson: () => ({ op: 'replace', path: '/spec/egress', value: [] }) } as any);
    expect(EffectCheck.of(chart).differences().map(f => f.call)).toContain(call.key);
  });

  test.each([
    [() => ClusterPeer.kubernetesApiServer(), /\[ClusterPeer.kubernetesApiServer\] invalid addresses undefined: must list the API server's endpoint addresses/],
    [() => ClusterPeer.kubernetesApiServer({ cni: Cni.CILIUM, addresses: ['10.0.0.1/32'] }), /invalid addresses \["10.0.0.1\/32"\]: must be left out with Cni.CILIUM/],
    [() => ClusterPeer.kubernetesApiServer({ addresses: ['0.0.0.0/0'] }), /invalid addresses\[0\] "0.0.0.0\/0": must be an IPv4 CIDR of \/8 to \/32.*prefix shorter than \/8/],
    [() => ClusterPeer.kubernetesApiServer({ addresses: ['10.0.0.1/32'], ports: [0] }), /invalid ports 0: must be an integer between 1 and 65535/],
    [() => ClusterPeer.nodes(), /\[ClusterPeer.nodes\] invalid cidrs undefined: must list the node addresses/],
    [() => ClusterPeer.addresses({ cidrs: ['10.0.0.1/8'] }), /invalid cidrs\[0\] "10.0.0.1\/8": .*has host bits set/],
    [() => ClusterPeer.addresses({ cidrs: ['fd00::1/64'] }), /invalid cidrs\[0\] "fd00::1\/64"/],
    [() => ClusterPeer.addresses({ cidrs: ['169.254.169.254/32'] }), /is the cloud metadata endpoint.*declare ClusterPeer.cloudMetadata\(\) instead/],
    [() => ClusterPeer.addresses({ cidrs: ['10.0.0.0/8'], name: 'Bad Name' }), /invalid name "Bad Name"/],
    [() => ClusterPeer.pods({ namespace: 'ingress', podLabels: {} }), /\[ClusterPeer.pods\] invalid podLabels \{\}: must select the pods with at least one label/],
    [() => ClusterPeer.pods({ namespace: 'Ingress!', podLabels: { a: 'b' } }), /invalid namespace "Ingress!": must be a DNS-1123 label/],
    [() => ClusterPeer.monitoring({ podLabels: { app: 'a b' } }), /invalid podLabels\["app"\] "a b": is not a Kubernetes label/],
  ])('throws on hostile input %#', (make, error) => {
    expect(make).toThrow(error);
  });

  test('throws when a peer without mesh identity calls a mesh port (STRICT mTLS refuses it), naming the fix', () => {
    const { operator } = setup();
    expect(() => ClusterPeer.ingressController().mayCall(operator)).toThrow(
      /\[c\/operator\] invalid ports 8080: ops\/operator is in the mesh \(sidecar\) with STRICT mTLS, which refuses the plaintext of ingress-controller .*declare a caller that runs in the mesh as an ExternalWorkload/);
    expect(() => ClusterPeer.ingressController().mayCall(operator)).toThrow(
      /enrol its namespace in the mesh \(sidecar injection or istio\.io\/dataplane-mode=ambient\)\. The library never opens a plaintext port on a workload in the mesh/);
    expect(() => ClusterPeer.monitoring().mayCall(operator, { ports: [9999] })).toThrow(/invalid ports 9999: ops\/operator listens on 8080 only/);
    expect(() => ClusterPeer.cloudMetadata().mayCall(operator)).toThrow(/invalid peer "cloud-metadata": never calls workloads/);
    const ambient = setup(MeshMode.AMBIENT);
    expect(() => ClusterPeer.monitoring().mayCall(ambient.operator, { ports: [15020] })).toThrow(/listens on 8080 only/);
  });
});
