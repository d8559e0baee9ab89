import { Testing } from 'cdk8s';
import { IntentGraph, Privilege, PrivilegedWorkloadOptions } from '../../src';

// a failing comparison of constructs (or of objects holding them) makes jest print whole construct
// trees, which takes minutes: compare construct paths, keys or identities instead
const keys = (xs: readonly { key: string }[]) => xs.map(x => x.key);

const agent: PrivilegedWorkloadOptions = {
  namespace: 'spire-system',
  kind: 'DaemonSet',
  name: 'spire-agent',
  podLabels: { 'app.kubernetes.io/name': 'spire-agent' },
  privileges: [Privilege.HOST_PID, Privilege.HOST_PATH],
  hostPaths: ['/run/spire/agent-sockets', '/var/lib/kubelet'],
  reason: 'the k8s workload attestor reads the PIDs of workload containers on the node',
};

describe('IntentGraph.declarePrivilegedWorkload', () => {
  test('records exactly the declared privileges, sorted and keyed', () => {
    const chart = Testing.chart();
    const graph = IntentGraph.of(chart);
    const declared = graph.declarePrivilegedWorkload(chart, agent);
    expect(declared.key).toBe('spire-system/DaemonSet/spire-agent');
    expect(declared.privileges).toEqual(['host-path', 'host-pid']);
    expect(declared.hostPaths).toEqual(['/run/spire/agent-sockets', '/var/lib/kubelet']);
    expect(declared.capabilities).toEqual([]);
    expect(declared.owner === chart).toBe(true);
    expect(keys(graph.privilegedWorkloads)).toEqual([declared.key]);
  });

  test('lists workloads sorted by namespace, kind and name', () => {
    const chart = Testing.chart();
    const graph = IntentGraph.of(chart);
    graph.declarePrivilegedWorkload(chart, { ...agent, namespace: 'spire-system', name: 'spiffe-csi-driver' });
    graph.declarePrivilegedWorkload(chart, { ...agent, namespace: 'falco', name: 'falco' });
    graph.declarePrivilegedWorkload(chart, agent);
    expect(graph.privilegedWorkloads.map(w => w.key)).toEqual([
      'falco/DaemonSet/falco', 'spire-system/DaemonSet/spiffe-csi-driver', 'spire-system/DaemonSet/spire-agent',
    ]);
  });

  test.each<[string, Partial<PrivilegedWorkloadOptions>, RegExp]>([
    ['no reason', { reason: '' }, /invalid privilegedWorkload.reason "": must say why/],
    ['no privileges', { privileges: [] }, /invalid privilegedWorkload.privileges \[\]: must list at least one/],
    ['unknown privilege', { privileges: ['root' as Privilege] }, /invalid privileges\[0\] "root": must be a Privilege \(/],
    ['host path privilege without paths', { hostPaths: [] }, /hostPaths \[\]: must list the mounted host paths exactly when/],
    ['paths without host path privilege', { privileges: [Privilege.HOST_PID] }, /hostPaths .*: must list the mounted host paths exactly when/],
    ['relative host path', { hostPaths: ['var/lib'] }, /hostPaths \["var\/lib"\]: must be absolute, normalized paths/],
    ['capabilities without the privilege', { capabilities: ['SYS_ADMIN'] }, /capabilities \["SYS_ADMIN"\]: must list the added capabilities/],
    ['no pod labels', { podLabels: {} }, /podLabels \{\}: must select the workload's pods/],
    ['bad kind', { kind: 'ReplicaSet' }, /kind "ReplicaSet": must be one of DaemonSet/],
    ['bad namespace', { namespace: 'Kube_System' }, /namespace "Kube_System": must be a DNS-1123 label/],
  ])('rejects %s with the path, prop and value', (_, patch, message) => {
    const chart = Testing.chart();
    expect(() => IntentGraph.of(chart).declarePrivilegedWorkload(chart, { ...agent, ...patch })).toThrow(message);
    expect(() => IntentGraph.of(chart).declarePrivilegedWorkload(chart, { ...agent, ...patch })).toThrow(/^\[test\] invalid/);
  });

  test('a workload is declared once for its pod and once per container: never twice for one container', () => {
    // GIVEN the pod-level privileges, and one container's
    const chart = Testing.chart();
    const graph = IntentGraph.of(chart);
    graph.declarePrivilegedWorkload(chart, agent);
    const init = graph.declarePrivilegedWorkload(chart, {
      ...agent, privileges: [Privilege.RUN_AS_ROOT, Privilege.ADDED_CAPABILITIES], hostPaths: [], capabilities: ['CHOWN'], containers: ['socket-dir-owner'],
    });
    expect(init.key).toBe('spire-system/DaemonSet/spire-agent[socket-dir-owner]');
    expect(init.podLevelOnly).toBe(false);
    // THEN another container may be declared, the same one or the pod again may not
    graph.declarePrivilegedWorkload(chart, { ...agent, privileges: [Privilege.RUN_AS_ROOT], hostPaths: [], containers: ['spire-agent'] });
    expect(graph.privilegedWorkloads.map(w => w.key)).toEqual([
      'spire-system/DaemonSet/spire-agent', 'spire-system/DaemonSet/spire-agent[socket-dir-owner]', 'spire-system/DaemonSet/spire-agent[spire-agent]',
    ]);
    expect(() => graph.declarePrivilegedWorkload(chart, agent))
      .toThrow(/invalid privilegedWorkload "spire-system\/DaemonSet\/spire-agent": test already declared spire-system\/DaemonSet\/spire-agent;/);
    expect(() => graph.declarePrivilegedWorkload(chart, { ...agent, privileges: [Privilege.RUN_AS_ROOT], hostPaths: [], containers: ['spire-agent', 'other'] }))
      .toThrow(/invalid privilegedWorkload "spire-system\/DaemonSet\/spire-agent\[other,spire-agent\]": test already declared spire-system\/DaemonSet\/spire-agent\[spire-agent\]/);
    // container privileges for every container exclude any per-container declaration
    const other = Testing.chart();
    IntentGraph.of(other).declarePrivilegedWorkload(other, { ...agent, privileges: [Privilege.RUN_AS_ROOT], hostPaths: [] });
    expect(() => IntentGraph.of(other).declarePrivilegedWorkload(other, { ...agent, privileges: [Privilege.RUN_AS_ROOT], hostPaths: [], containers: ['x'] }))
      .toThrow(/already declared spire-system\/DaemonSet\/spire-agent/);
  });

  test('a container declared first: the pod-level privileges may follow, privileges for every container may not', () => {
    const chart = Testing.chart();
    const graph = IntentGraph.of(chart);
    const container = { ...agent, privileges: [Privilege.RUN_AS_ROOT], hostPaths: [], containers: ['a'] };
    graph.declarePrivilegedWorkload(chart, container);
    expect(graph.declarePrivilegedWorkload(chart, agent).key).toBe('spire-system/DaemonSet/spire-agent');
    const other = Testing.chart();
    IntentGraph.of(other).declarePrivilegedWorkload(other, container);
    expect(() => IntentGraph.of(other).declarePrivilegedWorkload(other, { ...agent, privileges: [Privilege.RUN_AS_ROOT], hostPaths: [] }))
      .toThrow('[test] invalid privilegedWorkload "spire-system/DaemonSet/spire-agent": test already declared spire-system/DaemonSet/spire-agent[a]; '
        + 'declare each container of a privileged workload once, with every privilege it needs (and the pod-level privileges once, without containers)');
    // another workload's declarations never conflict
    expect(IntentGraph.of(other).declarePrivilegedWorkload(other, { ...agent, name: 'other', privileges: [Privilege.RUN_AS_ROOT], hostPaths: [] }).key)
      .toBe('spire-system/DaemonSet/other');
  });

  test.each([
    ['a container with pod-level privileges, then the same container', [Privilege.HOST_PID], ['a'], [Privilege.RUN_AS_ROOT], ['a']],
    ['a container, then the same container with pod-level privileges', [Privilege.RUN_AS_ROOT], ['a'], [Privilege.HOST_PID], ['a']],
    ['two containers, then one of them with another', [Privilege.RUN_AS_ROOT], ['a', 'b'], [Privilege.RUN_AS_ROOT], ['b', 'c']],
  ])('%s is refused', (_, firstPrivileges, firstContainers, privileges, containers) => {
    const chart = Testing.chart();
    const graph = IntentGraph.of(chart);
    const first = graph.declarePrivilegedWorkload(chart, { ...agent, privileges: firstPrivileges, hostPaths: [], containers: firstContainers });
    expect(() => graph.declarePrivilegedWorkload(chart, { ...agent, privileges, hostPaths: [], containers }))
      .toThrow(`: test already declared ${first.key}; declare each container of a privileged workload once`);
  });

  test('fails on pod labels that are not Kubernetes labels (they select the exemption in every layer, Falco conditions included)', () => {
    const chart = Testing.chart();
    const graph = IntentGraph.of(chart);
    expect(() => graph.declarePrivilegedWorkload(chart, { ...agent, podLabels: { app: 'agent" or k8s.ns.name!="' } }))
      .toThrow(/^\[test\] invalid privilegedWorkload\.podLabels\["app"\] "agent\\" or k8s\.ns\.name!=\\"": is not a Kubernetes label value/);
    expect(() => graph.declarePrivilegedWorkload(chart, { ...agent, podLabels: { 'app]': 'x' } }))
      .toThrow(/^\[test\] invalid privilegedWorkload\.podLabels key "app\]": is not a Kubernetes label key/);
    expect(() => graph.declarePrivilegedWorkload(chart, { ...agent, podLabels: 'app=x' as any })).toThrow(/invalid podLabels "app=x": must be a map of strings, got string/);
  });

  test('fails on host paths that are not normalized absolute paths', () => {
    const chart = Testing.chart();
    for (const hostPaths of [['/run/spire/../../etc'], ['/run/./spire'], ['/run//spire'], ['/run/spire/'], ['run/spire'], ['/run/\u0000']]) {
      expect(() => IntentGraph.of(chart).declarePrivilegedWorkload(chart, { ...agent, hostPaths }))
        .toThrow(/^\[test\] invalid privilegedWorkload\.hostPaths .*must be absolute, normalized paths/);
    }
  });
});
