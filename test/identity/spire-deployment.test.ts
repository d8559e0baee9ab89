import { App, Chart, Duration, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import * as yaml from 'yaml';
import {
  ClusterPeer, ClusterSpiffeId, Cni, IntentGraph, KubeletVerification, MeshMode, MeshService, Privilege, SpireDataStore, SpireDeployment,
  ZeroTrustNamespace,
} from '../../src';
import { OutputFile } from '../../src/intent/output-file';
import { declaredPrivileges, usedPrivileges as usedPodPrivileges } from '../support/privileges';
import { readmeSnippet, runReadmeApp } from '../support/readme';
import { find, ofKind, synthValid } from '../support/synth';

function setup(trustDomain = 'example.com'): { app: App; chart: Chart; prod: ZeroTrustNamespace; orders: MeshService; payments: MeshService } {
  const app = Testing.app();
  new IntentGraph(app, 'IntentGraph', { trustDomain });
  const chart = new Chart(app, 'c');
  const prod = new ZeroTrustNamespace(chart, 'production');
  const orders = new MeshService(chart, 'orders', { namespace: prod, image: 'ghcr.io/acme/orders:1', port: 8080 });
  const payments = new MeshService(chart, 'payments', { namespace: prod, image: 'ghcr.io/acme/payments:1', port: 8080 });
  payments.allowFrom(orders);
  return { app, chart, prod, orders, payments };
}

const conf = (manifests: any[], name: string, ns: string, key: string) => JSON.parse(find(manifests, 'ConfigMap', name, ns).data[key]);
const podOf = (workload: any) => workload.spec.template.spec;
const containersOf = (pod: any): any[] => [...(pod.initContainers ?? []), ...pod.containers];

/** The privileges a pod spec really uses, computed from the spec (not from the declaration). */
function expectRestricted(pod: any): void {
  expect(pod.hostPID ?? false).toBe(false);
  expect(pod.hostNetwork ?? false).toBe(false);
  expect((pod.volumes ?? []).filter((v: any) => v.hostPath)).toEqual([]);
  expect(pod.securityContext).toEqual(expect.objectContaining({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } }));
  for (const c of containersOf(pod)) {
    expect({ name: c.name, sc: c.securityContext }).toEqual({
      name: c.name,
      sc: { allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } },
    });
    expect(c.resources.limits).toEqual({ cpu: expect.anything(), memory: expect.anything() });
  }
}

describe('SpireDeployment', () => {
  test('snapshot; every object validates against the Kubernetes and CRD schemas', () => {
    const { chart } = setup();
    new SpireDeployment(chart, 'spire', { clusterName: 'prod-eu-1' });
    const manifests = synthValid(chart);
    expect(manifests.filter(m => m.metadata.labels?.['app.kubernetes.io/part-of'] === 'spire' || m.kind === 'ClusterSPIFFEID')).toMatchSnapshot();
  });

  test('server.conf: typed settings, JSON plugin lists as the hardened chart renders them', () => {
    const { chart } = setup();
    new SpireDeployment(chart, 'spire', { clusterName: 'prod-eu-1', caTtl: Duration.hours(48), x509SvidTtl: Duration.hours(2), jwtSvidTtl: Duration.minutes(5) });
    const manifests = synthValid(chart);
    const server = conf(manifests, 'spire-server', 'spire-server', 'server.conf');
    expect(server.server).toEqual(expect.objectContaining({
      trust_domain: 'example.com', bind_port: '8081', ca_ttl: '48h', default_x509_svid_ttl: '2h', default_jwt_svid_ttl: '5m', ca_key_type: 'rsa-2048',
    }));
    expect(server.plugins.DataStore).toEqual([{ sql: { plugin_data: { database_type: 'sqlite3', connection_string: '/run/spire/data/datastore.sqlite3' } } }]);
    expect(server.plugins.KeyManager).toEqual([{ disk: { plugin_data: { keys_path: '/run/spire/data/keys.json' } } }]);
    expect(server.plugins.NodeAttestor).toEqual([{
      k8s_psat: { plugin_data: { clusters: { 'prod-eu-1': { service_account_allow_list: ['spire-system:spire-agent'], audience: ['spire-server'] } } } },
    }]);
    expect(server.plugins.BundlePublisher[0].k8s_configmap.plugin_data.clusters['prod-eu-1'])
      .toEqual({ configmap_name: 'spire-bundle', configmap_key: 'bundle.spiffe', namespace: 'spire-system', format: 'spiffe' });
    expect(server.health_checks).toEqual({ listener_enabled: true, bind_address: '0.0.0.0', bind_port: '8080', live_path: '/live', ready_path: '/ready' });
    const sts = find(manifests, 'StatefulSet', 'spire-server', 'spire-server');
    expect(sts.spec.replicas).toBe(1);
    const container = podOf(sts).containers.find((c: any) => c.name === 'spire-server');
    expect(container.livenessProbe.httpGet).toEqual({ path: '/live', port: 'healthz' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/ready', port: 'healthz' });
    expect(container.ports).toEqual([{ name: 'grpc', containerPort: 8081, protocol: 'TCP' }, { name: 'healthz', containerPort: 8080, protocol: 'TCP' }]);
  });

  test('agent: PSAT audience, kubelet verification on, server address and bundle all line up with the server', () => {
    const { chart } = setup();
    new SpireDeployment(chart, 'spire', { clusterName: 'prod-eu-1', psatAudience: 'spire-prod' });
    const manifests = synthValid(chart);
    const server = conf(manifests, 'spire-server', 'spire-server', 'server.conf');
    const agent = conf(manifests, 'spire-agent', 'spire-system', 'agent.conf');
    const ds = find(manifests, 'DaemonSet', 'spire-agent', 'spire-system');
    const token = podOf(ds).volumes.find((v: any) => v.name === 'spire-token').projected.sources[0].serviceAccountToken;
    expect(server.plugins.NodeAttestor[0].k8s_psat.plugin_data.clusters['prod-eu-1'].audience).toEqual([token.audience]);
    expect(token.audience).toBe('spire-prod');
    expect(agent.plugins.NodeAttestor[0].k8s_psat.plugin_data).toEqual({ cluster: 'prod-eu-1', token_path: `/var/run/secrets/tokens/${token.path}` });
    expect(agent.plugins.WorkloadAttestor[0].k8s.plugin_data).toEqual({
      skip_kubelet_verification: false, disable_container_selectors: false, kubelet_ca_path: '/run/spire/kubelet/kubelet.crt',
    });
    // the agent dials the server Service, whose port maps to the server's grpc port
    const service = find(manifests, 'Service', 'spire-server', 'spire-server');
    expect(agent.agent.server_address).toBe('spire-server.spire-server.svc');
    expect(service.spec.ports).toEqual([{ name: 'grpc', port: Number(agent.agent.server_port), targetPort: 'grpc', protocol: 'TCP' }]);
    expect(agent.agent.trust_domain).toBe(server.server.trust_domain);
    expect(agent.agent.trust_bundle_path).toBe('/run/spire/bundle/bundle.spiffe');
    expect(podOf(ds).volumes.find((v: any) => v.name === 'spire-bundle').configMap.name).toBe('spire-bundle');
    expect(agent.agent.socket_path).toBe('/tmp/spire-agent/public/socket');
    expect(agent.agent.sds).toEqual({ default_svid_name: 'default', default_bundle_name: 'ROOTCA', default_all_bundles_name: 'ALL' });
  });

  test('kubelet verification can use the cluster CA; skipping it is explicit', () => {
    const { chart } = setup();
    new SpireDeployment(chart, 'spire', { clusterName: 'c1', kubeletVerification: KubeletVerification.API_SERVER_CA });
    const manifests = synthValid(chart);
    const attestor = conf(manifests, 'spire-agent', 'spire-system', 'agent.conf').plugins.WorkloadAttestor[0].k8s.plugin_data;
    expect(attestor).toEqual(expect.objectContaining({ skip_kubelet_verification: false, kubelet_ca_path: '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt' }));
    expect(podOf(find(manifests, 'DaemonSet', 'spire-agent')).volumes.filter((v: any) => v.hostPath).map((v: any) => v.hostPath.path)).toEqual(['/run/spire/agent-sockets']);
  });

  test('only the agent and the CSI driver are privileged, with exactly the privileges they declare', () => {
    const { chart } = setup();
    const spire = new SpireDeployment(chart, 'spire', { clusterName: 'c1' });
    const manifests = synthValid(chart);
    expectRestricted(podOf(find(manifests, 'StatefulSet', 'spire-server')));
    const declared = IntentGraph.of(chart).privilegedWorkloads.filter(p => p.kind === 'DaemonSet');
    // the server mounts its token only (to validate agents' tokens and watch pods)
    expect(IntentGraph.of(chart).privilegedWorkloads.filter(p => p.kind !== 'DaemonSet').map(p => [p.key, p.privileges]))
      .toEqual([['spire-server/StatefulSet/spire-server', [Privilege.SERVICE_ACCOUNT_TOKEN]]]);
    // exact per container: the pod's host namespaces and paths once, then each container with its own
    expect(declared.map(p => p.key)).toEqual([
      'spire-system/DaemonSet/spiffe-csi-driver',
      'spire-system/DaemonSet/spiffe-csi-driver[node-driver-registrar]',
      'spire-system/DaemonSet/spiffe-csi-driver[spiffe-csi-driver]',
      'spire-system/DaemonSet/spire-agent',
      'spire-system/DaemonSet/spire-agent[socket-dir-owner]',
    ]);
    expect(spire.privilegedWorkloads).toHaveLength(6);
    for (const name of ['spire-agent', 'spiffe-csi-driver']) {
      const ds = find(manifests, 'DaemonSet', name, 'spire-system');
      const ofWorkload = declared.filter(p => p.name === name);
      // what the pod spec uses is exactly what is declared, container by container
      expect(declaredPrivileges(ofWorkload)).toEqual(usedPodPrivileges(podOf(ds)));
      for (const p of ofWorkload) {
        expect(ds.spec.selector.matchLabels).toEqual(p.podLabels);
        expect(p.reason.length).toBeGreaterThan(40);
      }
      for (const c of containersOf(podOf(ds))) expect(c.resources.limits).toBeDefined();
    }
    // the registrar is root, never privileged; the agent's main container holds no container privilege
    expect(usedPodPrivileges(podOf(find(manifests, 'DaemonSet', 'spiffe-csi-driver'))).containers['node-driver-registrar']).toEqual({ privileges: [Privilege.RUN_AS_ROOT], capabilities: [] });
    expect(usedPodPrivileges(podOf(find(manifests, 'DaemonSet', 'spire-agent'))).containers['spire-agent']).toBeUndefined();
    const agent = podOf(find(manifests, 'DaemonSet', 'spire-agent'));
    expect(agent.containers[0].securityContext).toEqual(expect.objectContaining({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } }));
    expect(agent.securityContext.runAsNonRoot).toBe(true);
    const csi = podOf(find(manifests, 'DaemonSet', 'spiffe-csi-driver'));
    expect(csi.automountServiceAccountToken).toBe(false);
    expect(csi.containers.find((c: any) => c.name === 'node-driver-registrar').securityContext.privileged).toBe(false);
  });

  test('namespaces: server restricted, agent and CSI driver privileged', () => {
    const { chart } = setup();
    new SpireDeployment(chart, 'spire', { clusterName: 'c1' });
    const manifests = synthValid(chart);
    expect(find(manifests, 'Namespace', 'spire-server').metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
    expect(find(manifests, 'Namespace', 'spire-system').metadata.labels['pod-security.kubernetes.io/enforce']).toBe('privileged');
    for (const kind of ['StatefulSet']) for (const o of ofKind(manifests, kind)) expect(o.metadata.namespace).toBe('spire-server');
    for (const o of ofKind(manifests, 'DaemonSet')) expect(o.metadata.namespace).toBe('spire-system');
  });

  test('CSIDriver csi.spiffe.io as the SPIFFE CSI driver chart defines it', () => {
    const { chart } = setup();
    new SpireDeployment(chart, 'spire', { clusterName: 'c1' });
    expect(find(synthValid(chart), 'CSIDriver', 'csi.spiffe.io').spec)
      .toEqual({ attachRequired: false, podInfoOnMount: true, fsGroupPolicy: 'None', volumeLifecycleModes: ['Ephemeral'] });
  });

  test('RBAC: exact verbs and resources, never a wildcard, Secrets or cluster-admin', () => {
    const { chart } = setup();
    new SpireDeployment(chart, 'spire', { clusterName: 'c1' });
    const manifests = synthValid(chart);
    const roles = [...ofKind(manifests, 'ClusterRole'), ...ofKind(manifests, 'Role')];
    expect(roles.length).toBe(5);
    for (const role of roles) {
      for (const rule of role.rules) {
        expect(rule.verbs).not.toContain('*');
        expect(rule.resources).not.toContain('*');
        expect(rule.apiGroups).not.toContain('*');
        expect(rule.resources).not.toContain('secrets');
      }
    }
    for (const b of [...ofKind(manifests, 'ClusterRoleBinding'), ...ofKind(manifests, 'RoleBinding')]) expect(b.roleRef.name).not.toBe('cluster-admin');
    expect(find(manifests, 'ClusterRole', 'spire-server-spire-server').rules).toEqual([
      { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
      { apiGroups: [''], resources: ['pods', 'nodes'], verbs: ['get'] },
    ]);
    expect(find(manifests, 'Role', 'spire-bundle', 'spire-system').rules)
      .toEqual([{ apiGroups: [''], resources: ['configmaps'], resourceNames: ['spire-bundle'], verbs: ['get', 'patch'] }]);
    expect(find(manifests, 'ClusterRole', 'spire-system-spire-agent').rules)
      .toEqual([{ apiGroups: [''], resources: ['pods', 'nodes', 'nodes/proxy'], verbs: ['get'] }]);
  });

  test('the controller manager reconciles exactly the class of the ClusterSPIFFEIDs, in the same trust domain', () => {
    const { chart } = setup();
    new SpireDeployment(chart, 'spire', { clusterName: 'c1', className: 'prod-spire' });
    const manifests = synthValid(chart);
    const cm = yaml.parse(find(manifests, 'ConfigMap', 'spire-controller-manager', 'spire-server').data['controller-manager-config.yaml']);
    expect(cm).toEqual(expect.objectContaining({
      kind: 'ControllerManagerConfig',
      className: 'prod-spire',
      watchClassless: false,
      trustDomain: 'example.com',
      clusterName: 'c1',
      spireServerSocketPath: '/tmp/spire-server/private/api.sock',
    }));
    expect(cm.ignoreNamespaces).toEqual(['kube-system', 'kube-public', 'local-path-storage']);
    const manager = podOf(find(manifests, 'StatefulSet', 'spire-server')).containers.find((c: any) => c.name === 'spire-controller-manager');
    expect(manager.args).toEqual(['--config=/run/spire/controller-manager-config/controller-manager-config.yaml']);
    expect(manager.volumeMounts).toEqual(expect.arrayContaining([
      { name: 'controller-manager-config', mountPath: '/run/spire/controller-manager-config', readOnly: true },
      { name: 'spire-server-socket', mountPath: '/tmp/spire-server/private', readOnly: true },
    ]));
    for (const id of ofKind(manifests, 'ClusterSPIFFEID')) expect(id.spec.className).toBe('prod-spire');
    expect(find(manifests, 'ValidatingWebhookConfiguration', 'spire-server-spire-controller-manager-webhook').metadata.name).toBe(cm.validatingWebhookConfigurationName);
  });

  test('replicated on an external database: PodDisruptionBudget, connection string only from the Secret', () => {
    const { chart } = setup();
    const secret = kplus.Secret.fromSecretName(chart, 'db', 'spire-db');
    new SpireDeployment(chart, 'spire', { clusterName: 'c1', replicas: 3, dataStore: SpireDataStore.postgres({ connectionStringSecret: secret }) });
    const manifests = synthValid(chart);
    expect(find(manifests, 'StatefulSet', 'spire-server').spec.replicas).toBe(3);
    expect(find(manifests, 'PodDisruptionBudget', 'spire-server', 'spire-server').spec)
      .toEqual({ maxUnavailable: 1, selector: { matchLabels: { 'app.kubernetes.io/name': 'server', 'app.kubernetes.io/instance': 'spire' } } });
    const server = conf(manifests, 'spire-server', 'spire-server', 'server.conf');
    expect(server.plugins.DataStore[0].sql.plugin_data).toEqual({ database_type: 'postgres', connection_string: '${SPIRE_DATASTORE_CONNECTION_STRING}' });
    const container = podOf(find(manifests, 'StatefulSet', 'spire-server')).containers[0];
    expect(container.args).toContain('-expandEnv');
    expect(container.env).toEqual([{ name: 'SPIRE_DATASTORE_CONNECTION_STRING', valueFrom: { secretKeyRef: { name: 'spire-db', key: 'connection-string' } } }]);
  });

  test('no PodDisruptionBudget for a single replica', () => {
    const { chart } = setup();
    new SpireDeployment(chart, 'spire', { clusterName: 'c1' });
    expect(ofKind(synthValid(chart), 'PodDisruptionBudget')).toEqual([]);
  });

  test('NetworkPolicies: SPIRE namespaces default-deny; the server admits its own ports (8081, not the Service\'s 443) and reaches DNS, the API server and its database', () => {
    const { chart } = setup();
    const secret = kplus.Secret.fromSecretName(chart, 'db', 'spire-db');
    new SpireDeployment(chart, 'spire', {
      clusterName: 'c1',
      replicas: 2,
      dataStore: SpireDataStore.postgres({ connectionStringSecret: secret, cidrs: ['10.20.0.0/24'] }),
      nodeCidrs: ['10.0.0.0/16'],
    });
    const manifests = synthValid(chart);
    for (const ns of ['spire-server', 'spire-system']) {
      expect(find(manifests, 'NetworkPolicy', 'default-deny', ns).spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    }
    const server = find(manifests, 'NetworkPolicy', 'spire-server', 'spire-server').spec;
    const pod = podOf(find(manifests, 'StatefulSet', 'spire-server'));
    // every port the pod exposes to others (not the metrics port), as container ports
    const exposed = pod.containers.flatMap((c: any) => c.ports).filter((p: any) => p.name !== 'cm-metrics').map((p: any) => p.containerPort).sort();
    expect(server.ingress).toEqual([{ from: [{ ipBlock: { cidr: '10.0.0.0/16' } }], ports: exposed.map((port: number) => ({ protocol: 'TCP', port })) }]);
    expect(server.ingress[0].ports.map((p: any) => p.port)).not.toContain(443);
    expect(server.podSelector.matchLabels).toEqual(find(manifests, 'StatefulSet', 'spire-server').spec.selector.matchLabels);
    expect(server.egress).toEqual([
      {
        to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
        ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }],
      },
      { ports: [{ protocol: 'TCP', port: 443 }, { protocol: 'TCP', port: 6443 }] },
      { to: [{ ipBlock: { cidr: '10.20.0.0/24' } }], ports: [{ protocol: 'TCP', port: 5432 }] },
    ]);
    expect(find(manifests, 'NetworkPolicy', 'spiffe-csi-driver', 'spire-system').spec.ingress)
      .toEqual([{ from: [{ ipBlock: { cidr: '10.0.0.0/16' } }], ports: [{ protocol: 'TCP', port: 9809 }] }]);
  });

  test('NetworkPolicies: with apiServer the server reaches exactly the API server peer (its addresses and ports, or the kube-apiserver entity), not any address', () => {
    const { chart } = setup();
    new SpireDeployment(chart, 'spire', { clusterName: 'c1', apiServer: ClusterPeer.kubernetesApiServer({ addresses: ['172.18.0.2/32'], ports: [6443] }) });
    const manifests = synthValid(chart);
    const egress = find(manifests, 'NetworkPolicy', 'spire-server', 'spire-server').spec.egress;
    expect(egress[1]).toEqual({ to: [{ ipBlock: { cidr: '172.18.0.2/32' } }], ports: [{ protocol: 'TCP', port: 6443 }] });
    // no rule without destination: nothing reaches any address
    expect(egress.filter((r: any) => r.to === undefined)).toEqual([]);
    expect(ofKind(manifests, 'CiliumNetworkPolicy').filter(c => c.metadata.namespace === 'spire-server')).toEqual([]);

    const { chart: onCilium } = setup();
    new SpireDeployment(onCilium, 'spire', { clusterName: 'c1', apiServer: ClusterPeer.kubernetesApiServer({ cni: Cni.CILIUM }) });
    const objs = synthValid(onCilium);
    const rules = find(objs, 'NetworkPolicy', 'spire-server', 'spire-server').spec.egress;
    expect(rules.filter((r: any) => r.to === undefined)).toEqual([]);
    expect(rules.flatMap((r: any) => r.ports.map((p: any) => p.port))).toEqual([53, 53]);
    const cnp = find(objs, 'CiliumNetworkPolicy', 'spire-server-api-server', 'spire-server');
    expect(cnp.spec.endpointSelector.matchLabels).toEqual(find(objs, 'StatefulSet', 'spire-server').spec.selector.matchLabels);
    expect(cnp.spec.egress).toEqual([{ toEntities: ['kube-apiserver'], toPorts: [{ ports: [{ port: '443', protocol: 'TCP' }, { port: '6443', protocol: 'TCP' }] }] }]);
    expect(() => new SpireDeployment(setup().chart, 'spire', { clusterName: 'c1', apiServer: ClusterPeer.monitoring() }))
      .toThrow(/\[c\/spire\] invalid apiServer .*must be ClusterPeer\.kubernetesApiServer/);
  });

  test('NetworkPolicies can be left to the user', () => {
    const { chart } = setup();
    new SpireDeployment(chart, 'spire', { clusterName: 'c1', networkPolicies: false });
    expect(ofKind(synthValid(chart), 'NetworkPolicy').filter(p => p.metadata.namespace.startsWith('spire'))).toEqual([]);
  });

  test('OIDC discovery provider: HTTPS from a TLS Secret, keys through the CSI Workload API socket, its own registration, restricted', () => {
    const { chart } = setup();
    const spire = new SpireDeployment(chart, 'spire', {
      clusterName: 'c1',
      oidcDiscovery: { domain: 'oidc.example.com', tlsSecret: kplus.Secret.fromSecretName(chart, 'tls', 'oidc-tls') },
    });
    const manifests = synthValid(chart);
    expect(conf(manifests, 'spire-server', 'spire-server', 'server.conf').server.jwt_issuer).toBe('https://oidc.example.com');
    const provider = conf(manifests, 'spiffe-oidc-discovery-provider', 'spire-server', 'oidc-discovery-provider.conf');
    expect(provider).toEqual({
      log_level: 'info',
      domains: ['oidc.example.com'],
      serving_cert_file: { cert_file_path: '/run/spire/oidc-tls/tls.crt', key_file_path: '/run/spire/oidc-tls/tls.key', addr: ':8443' },
      workload_api: { socket_path: '/spiffe-workload-api/socket', trust_domain: 'example.com' },
    });
    const deployment = find(manifests, 'Deployment', 'spiffe-oidc-discovery-provider', 'spire-server');
    const pod = podOf(deployment);
    expectRestricted(pod);
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.volumes).toEqual(expect.arrayContaining([
      { name: 'oidc-tls', secret: { secretName: 'oidc-tls' } },
      { name: 'spiffe-workload-api', csi: { driver: 'csi.spiffe.io', readOnly: true } },
    ]));
    expect(spire.oidcDiscoveryDeployment).toBeDefined();
    // exactly one registration selects the provider's pods
    const nsLabels = { 'kubernetes.io/metadata.name': 'spire-server' };
    const matching = spire.clusterSpiffeIds.filter(r => r.selects(nsLabels, deployment.spec.template.metadata.labels));
    expect(matching.map(r => r.name)).toEqual(['spire-server-spire-oidc-discovery-provider']);
    expect(find(manifests, 'ClusterSPIFFEID', 'spire-server-spire-oidc-discovery-provider').spec.dnsNameTemplates).toEqual(['oidc.example.com']);
    expect(find(manifests, 'NetworkPolicy', 'spiffe-oidc-discovery-provider', 'spire-server').spec.ingress).toEqual([{ ports: [{ protocol: 'TCP', port: 8443 }] }]);
    expect(find(manifests, 'Service', 'spiffe-oidc-discovery-provider', 'spire-server').spec.ports).toEqual([{ name: 'https', port: 443, targetPort: 'https', protocol: 'TCP' }]);
  });

  describe('bad input', () => {
    test('fails when a replicated server would use sqlite', () => {
      const { chart } = setup();
      expect(() => new SpireDeployment(chart, 'spire', { clusterName: 'c1', replicas: 3 }))
        .toThrow(/^\[c\/spire\] invalid replicas 3: a replicated SPIRE server needs a shared SQL datastore.*split brain.*; use replicas: 1, or dataStore: SpireDataStore.postgres/);
    });
    test('fails when the trust domain differs from the mesh trust domain', () => {
      const { chart } = setup('example.com');
      expect(() => new SpireDeployment(chart, 'spire', { clusterName: 'c1', trustDomain: 'example.org' }))
        .toThrow(/^\[c\/spire\] invalid trustDomain "example.org": must equal the mesh trust domain 'example.com'/);
    });
    test('fails on a malformed trust domain', () => {
      const { chart } = setup();
      expect(() => new SpireDeployment(chart, 'spire', { clusterName: 'c1', trustDomain: 'spiffe://Example.com' }))
        .toThrow(/^\[c\/spire\] invalid trustDomain "spiffe:\/\/Example.com": must be a SPIFFE trust domain/);
    });
    test('fails when an SVID TTL exceeds half the CA TTL', () => {
      const { chart } = setup();
      expect(() => new SpireDeployment(chart, 'spire', { clusterName: 'c1', x509SvidTtl: Duration.hours(13) }))
        .toThrow(/^\[c\/spire\] invalid x509SvidTtl "13h": must be between 1m and 12h \(half the CA TTL 24h at most/);
      expect(() => new SpireDeployment(chart, 'spire2', { clusterName: 'c1', jwtSvidTtl: Duration.seconds(30) }))
        .toThrow(/^\[c\/spire2\] invalid jwtSvidTtl "30s": must be between 1m and 12h/);
    });
    test('fails when the CA TTL is out of bounds', () => {
      const { chart } = setup();
      expect(() => new SpireDeployment(chart, 'spire', { clusterName: 'c1', caTtl: Duration.minutes(30) }))
        .toThrow(/^\[c\/spire\] invalid caTtl "30m": must be between 1h and 8760h/);
    });
    test('fails on an OIDC discovery domain with a scheme', () => {
      const { chart } = setup();
      expect(() => new SpireDeployment(chart, 'spire', {
        clusterName: 'c1', oidcDiscovery: { domain: 'https://oidc.example.com', tlsSecret: kplus.Secret.fromSecretName(chart, 'tls', 'oidc-tls') },
      })).toThrow(/^\[c\/spire\] invalid oidcDiscovery.domain "https:\/\/oidc.example.com": must be a lower-case DNS name/);
    });
    test('fails on a malformed CIDR', () => {
      const { chart } = setup();
      expect(() => new SpireDeployment(chart, 'spire', { clusterName: 'c1', nodeCidrs: ['10.0.0.0/33'] }))
        .toThrow(/^\[c\/spire\] invalid nodeCidrs\[0\] "10.0.0.0\/33": must be an IPv4 or IPv6 CIDR/);
    });
    test('fails on the chart\'s placeholder cluster name', () => {
      const { chart } = setup();
      expect(() => new SpireDeployment(chart, 'spire', { clusterName: 'example-cluster' }))
        .toThrow(/^\[c\/spire\] invalid clusterName "example-cluster": must name this cluster/);
    });
    test('fails when SPIRE would share a namespace with the mesh', () => {
      const { chart } = setup();
      expect(() => new SpireDeployment(chart, 'spire', { clusterName: 'c1', serverNamespace: 'production' }))
        .toThrow(/^\[c\/spire\] invalid serverNamespace "production": is a ZeroTrustNamespace/);
    });
  });

  describe('registration of the intent graph', () => {
    test('every workload is selected by exactly one ClusterSPIFFEID, namespaces defined later included', () => {
      const { chart, orders, payments } = setup();
      const spire = new SpireDeployment(chart, 'spire', { clusterName: 'c1' });
      const later = new ZeroTrustNamespace(chart, 'later');
      const batch = new MeshService(chart, 'batch', { namespace: later, image: 'ghcr.io/acme/batch:1', port: 8080 });
      const manifests = synthValid(chart);
      const ids = ofKind(manifests, 'ClusterSPIFFEID');
      expect(ids).toHaveLength(1);
      expect(ids[0].spec).toEqual({
        className: 'spire-server-spire',
        spiffeIDTemplate: 'spiffe://{{ .TrustDomain }}/ns/{{ .PodMeta.Namespace }}/sa/{{ .PodSpec.ServiceAccountName }}',
        namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['later', 'production'] }] },
      });
      for (const w of [orders, payments, batch]) expect(spire.registrationsOf(w)).toHaveLength(1);
    });

    test('registerMeshWorkloads() is idempotent', () => {
      const { chart } = setup();
      const spire = new SpireDeployment(chart, 'spire', { clusterName: 'c1' });
      expect(spire.registerMeshWorkloads()).toBe(spire.registerMeshWorkloads());
      expect(ofKind(synthValid(chart), 'ClusterSPIFFEID')).toHaveLength(1);
    });

    test('fails when a workload is registered twice', () => {
      const { chart } = setup();
      const spire = new SpireDeployment(chart, 'spire', { clusterName: 'c1' });
      new ClusterSpiffeId(chart, 'orders-again', { spire, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'orders' } } });
      expect(() => Testing.synth(chart)).toThrow(/invalid registration \["c\/spire\/MeshWorkloads","c\/orders-again"\]: workload production\/orders is selected by 2 ClusterSPIFFEIDs/);
    });

    test('a fallback registration does not count as a duplicate', () => {
      const { chart, orders } = setup();
      const spire = new SpireDeployment(chart, 'spire', { clusterName: 'c1' });
      new ClusterSpiffeId(chart, 'catch-all', { spire, fallback: true });
      synthValid(chart);
      expect(spire.registrationsOf(orders).map(r => r.name)).toEqual(['spire-server-spire-mesh-workloads']);
    });
  });

  describe('Istio integration', () => {
    test('a service opts in: label and injection template on the pod, the CSI volume left to the template', () => {
      const { app, chart, orders } = setup();
      const spire = new SpireDeployment(chart, 'spire', { clusterName: 'c1' });
      expect(spire.enableIstioIntegration(orders)).toBe(orders);
      spire.enableIstioIntegration(orders);
      const manifests = synthValid(chart);
      const pod = find(manifests, 'Deployment', 'orders', 'production').spec.template;
      expect(pod.metadata.labels['spiffe.io/spire-managed-identity']).toBe('true');
      expect(pod.metadata.annotations['inject.istio.io/templates']).toBe('sidecar,spire');
      // the spire template adds the workload-socket volume: declaring it too would clash
      expect(pod.spec.volumes ?? []).toEqual([]);
      expect(find(manifests, 'Deployment', 'payments').spec.template.metadata.labels['spiffe.io/spire-managed-identity']).toBeUndefined();
      const files = OutputFile.of(app);
      expect(files.map(f => f.relativePath)).toEqual(['istio/spire-integration.values.yaml']);
      const values = yaml.parse(files[0].renderContents());
      expect(values.meshConfig.trustDomain).toBe('example.com');
      const template = yaml.parse(values.sidecarInjectorWebhook.templates.spire);
      expect(template.labels).toEqual({ 'spiffe.io/spire-managed-identity': 'true' });
      expect(template.spec.volumes).toEqual([{ name: 'workload-socket', csi: { driver: 'csi.spiffe.io', readOnly: true } }]);
      expect(template.spec.containers[0].volumeMounts).toEqual([{ name: 'workload-socket', mountPath: '/run/secrets/workload-spiffe-uds', readOnly: true }]);
      expect(spire.istioIntegratedWorkloads).toEqual([orders]);
    });

    test('a namespace opts in: every MeshService of it', () => {
      const { chart, prod, orders, payments } = setup();
      const spire = new SpireDeployment(chart, 'spire', { clusterName: 'c1' });
      expect(spire.enableIstioIntegrationForNamespace(prod)).toEqual([orders, payments]);
      const manifests = synthValid(chart);
      for (const name of ['orders', 'payments']) {
        expect(find(manifests, 'Deployment', name).spec.template.metadata.annotations['inject.istio.io/templates']).toBe('sidecar,spire');
      }
    });

    test('fails when a service joins an opted-in namespace afterwards', () => {
      const { chart, prod } = setup();
      const spire = new SpireDeployment(chart, 'spire', { clusterName: 'c1' });
      spire.enableIstioIntegrationForNamespace(prod);
      new MeshService(chart, 'late', { namespace: prod, image: 'ghcr.io/acme/late:1', port: 8080 });
      expect(() => Testing.synth(chart)).toThrow(/invalid spireIntegration "c\/late": namespace production uses the SPIRE integration but this workload was defined after/);
    });

    test('fails in ambient mode (community Istio supports SPIRE for sidecars only)', () => {
      const { chart } = setup();
      const ambient = new ZeroTrustNamespace(chart, 'amb', { meshMode: MeshMode.AMBIENT });
      const svc = new MeshService(chart, 'svc', { namespace: ambient, image: 'ghcr.io/acme/svc:1', port: 8080 });
      const spire = new SpireDeployment(chart, 'spire', { clusterName: 'c1' });
      expect(() => spire.enableIstioIntegration(svc)).toThrow(/^\[c\/svc\] invalid spireIntegration "amb": community Istio supports SPIRE-issued identities for sidecars only/);
      expect(() => spire.enableIstioIntegrationForNamespace(ambient)).toThrow(/^\[c\/amb\] invalid spireIntegration "amb"/);
    });

    test('fails when an integrated workload has no registration', () => {
      const { chart, orders } = setup();
      const spire = new SpireDeployment(chart, 'spire', { clusterName: 'c1', registerMeshWorkloads: false });
      spire.enableIstioIntegration(orders);
      expect(() => Testing.synth(chart)).toThrow(/invalid registration \[\]: workload production\/orders takes its identity from SPIRE but no ClusterSPIFFEID selects it/);
    });
  });

  test('the README example runs as written', () => {
    const app = runReadmeApp(readmeSnippet('### Identity: SPIFFE/SPIRE'));
    const manifests = synthValid(app.node.findChild('identity') as Chart);
    expect(find(manifests, 'Deployment', 'order-service').spec.template.metadata.annotations['inject.istio.io/templates']).toBe('sidecar,spire');
    expect(ofKind(manifests, 'ClusterSPIFFEID')).toHaveLength(1);
  });
});
