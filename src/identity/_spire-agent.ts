import { Lazy } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { clusterScoped, httpProbe, resources, restrictedContainerSecurity, restrictedPodSecurity } from './_k8s';
import { plugin, renderJson } from './_spire-config';
import {
  AGENT_SOCKET_DIR, AGENT_SOCKET_HOST_DIR, AGENT_SOCKET_NAME, AGENT_UID, BUNDLE_CONFIGMAP, BUNDLE_KEY, CSI_DRIVER, SpireContext,
  spireClusterMeta, spireClusterRole, spireIdentity, spireMeta,
} from './_spire-context';
import { KubeletVerification } from './spire-options';
import { Privilege, PrivilegedWorkload } from '../intent/privileged-workload';

/** The agent's validated settings. @internal */
export interface SpireAgentSettings {
  readonly kubeletVerification: KubeletVerification;
  readonly kubeletPath: string;
  readonly disableContainerSelectors?: boolean;
  readonly psatAudience: string;
  readonly agentImage: string;
  readonly initToolsImage: string;
  readonly csiDriverImage: string;
  readonly registrarImage: string;
  /** Whether the deployment federates with other trust domains (read at synthesis). */
  readonly federated?: () => boolean;
}

/** What the agent part defines. @internal */
export interface SpireAgent {
  readonly agentDaemonSet: k8s.KubeDaemonSet;
  readonly csiDriverDaemonSet: k8s.KubeDaemonSet;
  readonly csiDriver: k8s.KubeCsiDriver;
  readonly privilegedWorkloads: PrivilegedWorkload[];
  readonly csiLabels: { [key: string]: string };
}

/**
 * Defines the SPIRE agent DaemonSet (with its configuration and RBAC), the SPIFFE CSI driver
 * DaemonSet and CSIDriver, and declares their privileges.
 * @internal
 */
export function deploySpireAgent(ctx: SpireContext, settings: SpireAgentSettings): SpireAgent {
  const { kubeletVerification, kubeletPath, psatAudience } = settings;
  const image = {
    agent: settings.agentImage, initTools: settings.initToolsImage, csiDriver: settings.csiDriverImage, registrar: settings.registrarImage,
  };
  const props = { disableContainerSelectors: settings.disableContainerSelectors };
  const identity = (childId: string) => spireIdentity(ctx, childId);
  const meta = spireMeta;
  const clusterMeta = spireClusterMeta;
  // --- agent ------------------------------------------------------------------------------
  let at = identity('AgentServiceAccount');
  new k8s.KubeServiceAccount(at.scope, at.id, {
    metadata: meta('spire-agent', ctx.agentNamespace, 'agent'),
    // the k8s workload attestor authenticates to the kubelet with this token
    automountServiceAccountToken: true,
  });
  spireClusterRole(ctx, 'Agent', `${ctx.agentNamespace}-spire-agent`, [
    { apiGroups: [''], resources: ['pods', 'nodes', 'nodes/proxy'], verbs: ['get'] },
  ]);
  const kubeletCert = `${kubeletPath}/pki/kubelet.crt`;
  const attestor: { [key: string]: unknown } = {
    skip_kubelet_verification: kubeletVerification === KubeletVerification.SKIP,
    disable_container_selectors: props.disableContainerSelectors ?? false,
    ...(kubeletVerification === KubeletVerification.HOST_CERT ? { kubelet_ca_path: '/run/spire/kubelet/kubelet.crt' } : {}),
    ...(kubeletVerification === KubeletVerification.API_SERVER_CA ? { kubelet_ca_path: '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt' } : {}),
  };
  const agentConf = {
    agent: {
      data_dir: '/var/lib/spire',
      log_level: 'INFO',
      server_address: ctx.serverAddress,
      server_port: '443',
      socket_path: `${AGENT_SOCKET_DIR}/${AGENT_SOCKET_NAME}`,
      trust_bundle_path: `/run/spire/bundle/${BUNDLE_KEY}`,
      trust_bundle_format: 'spiffe',
      trust_domain: ctx.trustDomain,
      // the names Istio's SDS client asks for (set at synthesis: federation changes them)
      sds: {},
    },
    plugins: {
      NodeAttestor: plugin('k8s_psat', { cluster: ctx.clusterName, token_path: '/var/run/secrets/tokens/spire-agent' }),
      KeyManager: plugin('memory', {}),
      WorkloadAttestor: plugin('k8s', attestor),
    },
    health_checks: { listener_enabled: true, bind_address: '0.0.0.0', bind_port: '9982', live_path: '/live', ready_path: '/ready' },
  };
  at = identity('AgentConfig');
  new k8s.KubeConfigMap(at.scope, at.id, {
    metadata: meta('spire-agent', ctx.agentNamespace, 'agent'),
    // Istio asks SDS for ROOTCA: without federation that is this trust domain's bundle; with
    // federation it must be every bundle, federated ones included (Istio's SPIRE guide:
    // default_bundle_name "null", default_all_bundles_name "ROOTCA")
    data: {
      'agent.conf': Lazy.any({
        produce: () => renderJson({
          ...agentConf,
          agent: {
            ...agentConf.agent,
            sds: settings.federated?.()
              ? { default_svid_name: 'default', default_bundle_name: 'null', default_all_bundles_name: 'ROOTCA' }
              : { default_svid_name: 'default', default_bundle_name: 'ROOTCA', default_all_bundles_name: 'ALL' },
          },
        }),
      }),
    },
  });
  const agentLabels = { 'app.kubernetes.io/name': 'agent', 'app.kubernetes.io/instance': 'spire' };
  const agentHostPaths = [AGENT_SOCKET_HOST_DIR, ...(kubeletVerification === KubeletVerification.HOST_CERT ? [kubeletCert] : [])];
  at = identity('AgentDaemonSet');
  const agentDaemonSet = new k8s.KubeDaemonSet(at.scope, at.id, {
    metadata: meta('spire-agent', ctx.agentNamespace, 'agent'),
    spec: {
      selector: { matchLabels: agentLabels },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(1) } },
      template: {
        metadata: { labels: { ...agentLabels } },
        spec: {
          serviceAccountName: 'spire-agent',
          automountServiceAccountToken: true,
          // hostPID: the workload attestor maps a caller's PID to its pod; hostNetwork: it
          // reaches the kubelet on 127.0.0.1:10250
          hostPid: true,
          hostNetwork: true,
          dnsPolicy: 'ClusterFirstWithHostNet',
          securityContext: restrictedPodSecurity(AGENT_UID),
          initContainers: [{
            name: 'socket-dir-owner',
            image: image.initTools,
            command: ['chown', `${AGENT_UID}:${AGENT_UID}`, AGENT_SOCKET_DIR],
            securityContext: {
              runAsUser: 0,
              runAsGroup: 0,
              runAsNonRoot: false,
              allowPrivilegeEscalation: false,
              privileged: false,
              readOnlyRootFilesystem: true,
              capabilities: { drop: ['ALL'], add: ['CHOWN'] },
            },
            resources: resources('10m', '16Mi', '100m', '32Mi'),
            volumeMounts: [{ name: 'spire-agent-socket-dir', mountPath: AGENT_SOCKET_DIR }],
          }],
          containers: [{
            name: 'spire-agent',
            image: image.agent,
            args: ['-config', '/run/spire/config/agent.conf'],
            ports: [{ name: 'healthz', containerPort: 9982, protocol: 'TCP' }],
            securityContext: restrictedContainerSecurity(),
            resources: resources('50m', '64Mi', '500m', '256Mi'),
            livenessProbe: httpProbe('/live', 'healthz', 60, 15, 2),
            readinessProbe: httpProbe('/ready', 'healthz', 5, 5),
            volumeMounts: [
              { name: 'spire-config', mountPath: '/run/spire/config', readOnly: true },
              { name: 'spire-bundle', mountPath: '/run/spire/bundle', readOnly: true },
              { name: 'spire-agent-socket-dir', mountPath: AGENT_SOCKET_DIR },
              { name: 'spire-token', mountPath: '/var/run/secrets/tokens', readOnly: true },
              { name: 'spire-agent-data', mountPath: '/var/lib/spire' },
              ...(kubeletVerification === KubeletVerification.HOST_CERT ? [{ name: 'kubelet-cert', mountPath: '/run/spire/kubelet/kubelet.crt', readOnly: true }] : []),
            ],
          }],
          volumes: [
            { name: 'spire-config', configMap: { name: 'spire-agent' } },
            { name: 'spire-bundle', configMap: { name: BUNDLE_CONFIGMAP } },
            {
              name: 'spire-token',
              projected: { sources: [{ serviceAccountToken: { path: 'spire-agent', expirationSeconds: 7200, audience: psatAudience } }] },
            },
            { name: 'spire-agent-socket-dir', hostPath: { path: AGENT_SOCKET_HOST_DIR, type: 'DirectoryOrCreate' } },
            { name: 'spire-agent-data', emptyDir: { sizeLimit: k8s.Quantity.fromString('64Mi') } },
            ...(kubeletVerification === KubeletVerification.HOST_CERT ? [{ name: 'kubelet-cert', hostPath: { path: kubeletCert, type: 'File' } }] : []),
          ],
        },
      },
    },
  });

  // --- SPIFFE CSI driver ------------------------------------------------------------------
  at = identity('CsiDriverServiceAccount');
  new k8s.KubeServiceAccount(at.scope, at.id, {
    metadata: meta('spiffe-csi-driver', ctx.agentNamespace, 'spiffe-csi-driver'),
    automountServiceAccountToken: false,
  });
  at = identity('CsiDriver');
  const csiDriver = clusterScoped(new k8s.KubeCsiDriver(at.scope, at.id, {
    metadata: clusterMeta(CSI_DRIVER),
    spec: { attachRequired: false, podInfoOnMount: true, fsGroupPolicy: 'None', volumeLifecycleModes: ['Ephemeral'] },
  }));
  const csiLabels = { 'app.kubernetes.io/name': 'spiffe-csi-driver', 'app.kubernetes.io/instance': 'spire' };
  const pluginDir = `${kubeletPath}/plugins/${CSI_DRIVER}`;
  const csiHostPaths = [AGENT_SOCKET_HOST_DIR, pluginDir, `${kubeletPath}/plugins_registry`, `${kubeletPath}/pods`];
  at = identity('CsiDriverDaemonSet');
  const csiDriverDaemonSet = new k8s.KubeDaemonSet(at.scope, at.id, {
    metadata: meta('spiffe-csi-driver', ctx.agentNamespace, 'spiffe-csi-driver'),
    spec: {
      selector: { matchLabels: csiLabels },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(1) } },
      template: {
        metadata: { labels: { ...csiLabels } },
        spec: {
          serviceAccountName: 'spiffe-csi-driver',
          automountServiceAccountToken: false,
          securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
          containers: [{
            name: 'spiffe-csi-driver',
            image: image.csiDriver,
            args: ['-workload-api-socket-dir', '/spire-agent-socket', '-plugin-name', CSI_DRIVER, '-csi-socket-path', '/spiffe-csi/csi.sock'],
            env: [{ name: 'MY_NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
            // privileged: mounts into pod volumes need Bidirectional mount propagation
            securityContext: { privileged: true, readOnlyRootFilesystem: true, runAsUser: 0, runAsNonRoot: false },
            resources: resources('10m', '32Mi', '200m', '64Mi'),
            volumeMounts: [
              { name: 'spire-agent-socket-dir', mountPath: '/spire-agent-socket', readOnly: true },
              { name: 'spiffe-csi-socket-dir', mountPath: '/spiffe-csi' },
              { name: 'mountpoint-dir', mountPath: `${kubeletPath}/pods`, mountPropagation: 'Bidirectional' },
            ],
          }, {
            name: 'node-driver-registrar',
            image: image.registrar,
            args: ['-csi-address', '/spiffe-csi/csi.sock', '-kubelet-registration-path', `${pluginDir}/csi.sock`, '-health-port', '9809'],
            ports: [{ name: 'healthz', containerPort: 9809, protocol: 'TCP' }],
            livenessProbe: httpProbe('/healthz', 'healthz', 5, 5),
            // writes its registration socket into the root-owned kubelet plugin registry
            securityContext: {
              runAsUser: 0,
              runAsNonRoot: false,
              allowPrivilegeEscalation: false,
              privileged: false,
              readOnlyRootFilesystem: true,
              capabilities: { drop: ['ALL'] },
            },
            resources: resources('10m', '16Mi', '100m', '32Mi'),
            volumeMounts: [
              { name: 'spiffe-csi-socket-dir', mountPath: '/spiffe-csi' },
              { name: 'kubelet-plugin-registration-dir', mountPath: '/registration' },
            ],
          }],
          volumes: [
            { name: 'spire-agent-socket-dir', hostPath: { path: AGENT_SOCKET_HOST_DIR, type: 'DirectoryOrCreate' } },
            { name: 'spiffe-csi-socket-dir', hostPath: { path: pluginDir, type: 'DirectoryOrCreate' } },
            { name: 'mountpoint-dir', hostPath: { path: `${kubeletPath}/pods`, type: 'Directory' } },
            { name: 'kubelet-plugin-registration-dir', hostPath: { path: `${kubeletPath}/plugins_registry`, type: 'Directory' } },
          ],
        },
      },
    },
  });

  // one declaration per container (and one for the pod's host namespaces, paths and token), so
  // that every exemption covers exactly the container that needs it
  const agent = { namespace: ctx.agentNamespace, kind: 'DaemonSet', name: 'spire-agent', podLabels: agentLabels };
  const csi = { namespace: ctx.agentNamespace, kind: 'DaemonSet', name: 'spiffe-csi-driver', podLabels: csiLabels };
  const privilegedWorkloads = [
    ctx.graph.declarePrivilegedWorkload(ctx.scope, {
      ...agent,
      privileges: [Privilege.HOST_PID, Privilege.HOST_NETWORK, Privilege.HOST_PATH, Privilege.SERVICE_ACCOUNT_TOKEN],
      hostPaths: agentHostPaths,
      reason: 'SPIRE agent: hostPID to map a Workload API caller to its pod, hostNetwork to reach the kubelet on localhost, '
        + 'the Workload API socket directory on the node (and the kubelet certificate to verify the kubelet); '
        + 'its ServiceAccount token to ask the API server about the pods it attests',
    }),
    ctx.graph.declarePrivilegedWorkload(ctx.scope, {
      ...agent,
      privileges: [Privilege.RUN_AS_ROOT, Privilege.ADDED_CAPABILITIES],
      containers: ['socket-dir-owner'],
      capabilities: ['CHOWN'],
      reason: 'SPIRE agent: only this init container runs as root, with CHOWN alone, to hand the socket directory to the agent\'s user',
    }),
    ctx.graph.declarePrivilegedWorkload(ctx.scope, {
      namespace: ctx.serverNamespace,
      kind: 'StatefulSet',
      name: 'spire-server',
      podLabels: { 'app.kubernetes.io/name': 'server', 'app.kubernetes.io/instance': 'spire' },
      privileges: [Privilege.SERVICE_ACCOUNT_TOKEN],
      reason: 'SPIRE server and spire-controller-manager: the ServiceAccount token to validate agents\' projected tokens (k8s_psat) '
        + 'and to watch the pods and ClusterSPIFFEIDs it registers',
    }),
    ctx.graph.declarePrivilegedWorkload(ctx.scope, {
      ...csi,
      privileges: [Privilege.HOST_PATH],
      hostPaths: csiHostPaths,
      reason: 'SPIFFE CSI driver: the agent socket directory, the kubelet\'s pod volumes and plugin registry on the node',
    }),
    ctx.graph.declarePrivilegedWorkload(ctx.scope, {
      ...csi,
      privileges: [Privilege.PRIVILEGED_CONTAINER, Privilege.PRIVILEGE_ESCALATION, Privilege.RUN_AS_ROOT],
      containers: ['spiffe-csi-driver'],
      reason: 'SPIFFE CSI driver: a privileged container mounts the agent socket into pod volumes with Bidirectional mount propagation',
    }),
    ctx.graph.declarePrivilegedWorkload(ctx.scope, {
      ...csi,
      privileges: [Privilege.RUN_AS_ROOT],
      containers: ['node-driver-registrar'],
      reason: 'SPIFFE CSI driver: the registrar registers the driver in the kubelet plugin registry, which only root may write; it is not privileged',
    }),
  ];
  return { agentDaemonSet, csiDriverDaemonSet, csiDriver, privilegedWorkloads, csiLabels };
}
