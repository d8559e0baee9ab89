import { Duration, Size, Yaml } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { clusterScoped, httpProbe, MANAGED_BY, resources, restrictedContainerSecurity, restrictedPodSecurity } from './_k8s';
import { goDuration, plugin, renderJson } from './_spire-config';
import {
  BUNDLE_CONFIGMAP, BUNDLE_KEY, SERVER_SOCKET_DIR, SERVER_UID, SpireContext, spireClusterMeta, spireClusterRole, spireIdentity,
  spireMeta, spirePlace, spireRole, WEBHOOK_PORT, webhook,
} from './_spire-context';
import { bundleEndpointConfig, ResolvedBundleEndpoint } from './_spire-federation';
import { CaKeyType, SpireDataStore, SpireKeyManager } from './spire-options';
import { checkDns1123Label } from '../intent/_validation';
import { Layer } from '../intent/intent-graph';

/** The server's validated settings. @internal */
export interface SpireServerSettings {
  readonly dataStore: SpireDataStore;
  readonly keyManager: SpireKeyManager;
  readonly caKeyType: CaKeyType;
  readonly x509SvidTtl: Duration;
  readonly jwtSvidTtl: Duration;
  readonly psatAudience: string;
  readonly serverImage: string;
  readonly controllerManagerImage: string;
  readonly oidcDomain?: string;
  readonly storageSize?: Size;
  readonly storageClassName?: string;
  /** The published bundle endpoint (federation). */
  readonly bundleEndpoint?: ResolvedBundleEndpoint;
}

/**
 * Defines the SPIRE namespaces, the server StatefulSet with spire-controller-manager beside
 * it, their configuration, Services, PodDisruptionBudget, webhook and RBAC.
 * @internal
 */
export function deploySpireServer(ctx: SpireContext, settings: SpireServerSettings):
{ statefulSet: k8s.KubeStatefulSet; serverLabels: { [key: string]: string } } {
  const { dataStore, keyManager, caKeyType, x509SvidTtl, jwtSvidTtl, psatAudience, oidcDomain } = settings;
  const image = { server: settings.serverImage, controllerManager: settings.controllerManagerImage };
  const props = { storageSize: settings.storageSize, storageClassName: settings.storageClassName };
  const identity = (childId: string) => spireIdentity(ctx, childId);
  const meta = spireMeta;
  const clusterMeta = spireClusterMeta;
  // --- namespaces -------------------------------------------------------------------------
  const spireNamespace = (childId: string, name: string, level: string) => {
    const at = spirePlace(ctx, Layer.NAMESPACES, childId);
    return clusterScoped(new k8s.KubeNamespace(at.scope, at.id, {
      metadata: {
        name,
        labels: {
          ...MANAGED_BY,
          'app.kubernetes.io/part-of': 'spire',
          'pod-security.kubernetes.io/enforce': level,
          'pod-security.kubernetes.io/enforce-version': 'latest',
          'pod-security.kubernetes.io/audit': level,
          'pod-security.kubernetes.io/audit-version': 'latest',
          'pod-security.kubernetes.io/warn': level,
          'pod-security.kubernetes.io/warn-version': 'latest',
        },
      },
    }));
  };
  spireNamespace('ServerNamespace', ctx.serverNamespace, 'restricted');
  spireNamespace('AgentNamespace', ctx.agentNamespace, 'privileged');

  // --- server -----------------------------------------------------------------------------
  let at = identity('ServerServiceAccount');
  new k8s.KubeServiceAccount(at.scope, at.id, {
    metadata: meta('spire-server', ctx.serverNamespace, 'server'),
    // the server calls the TokenReview API (k8s_psat) and publishes the bundle ConfigMap
    automountServiceAccountToken: true,
  });

  const sql: { [key: string]: unknown } = dataStore.isShared
    ? { database_type: dataStore.databaseType, connection_string: '${SPIRE_DATASTORE_CONNECTION_STRING}' }
    : { database_type: 'sqlite3', connection_string: '/run/spire/data/datastore.sqlite3' };
  const serverConf = {
    server: {
      bind_address: '0.0.0.0',
      bind_port: '8081',
      socket_path: `${SERVER_SOCKET_DIR}/api.sock`,
      trust_domain: ctx.trustDomain,
      data_dir: '/run/spire/data',
      log_level: 'INFO',
      ca_key_type: caKeyType,
      ca_ttl: goDuration(ctx.caTtl),
      default_x509_svid_ttl: goDuration(x509SvidTtl),
      default_jwt_svid_ttl: goDuration(jwtSvidTtl),
      ...(oidcDomain ? { jwt_issuer: `https://${oidcDomain}` } : {}),
      ...(settings.bundleEndpoint ? { federation: bundleEndpointConfig(settings.bundleEndpoint) } : {}),
    },
    plugins: {
      DataStore: plugin('sql', sql),
      KeyManager: keyManager === SpireKeyManager.DISK
        ? plugin('disk', { keys_path: '/run/spire/data/keys.json' })
        : plugin('memory', {}),
      NodeAttestor: plugin('k8s_psat', {
        clusters: {
          [ctx.clusterName]: {
            service_account_allow_list: [`${ctx.agentNamespace}:spire-agent`],
            audience: [psatAudience],
          },
        },
      }),
      BundlePublisher: plugin('k8s_configmap', {
        clusters: {
          [ctx.clusterName]: {
            configmap_name: BUNDLE_CONFIGMAP,
            configmap_key: BUNDLE_KEY,
            namespace: ctx.agentNamespace,
            format: 'spiffe',
          },
        },
      }),
    },
    health_checks: { listener_enabled: true, bind_address: '0.0.0.0', bind_port: '8080', live_path: '/live', ready_path: '/ready' },
  };
  at = identity('ServerConfig');
  new k8s.KubeConfigMap(at.scope, at.id, {
    metadata: meta('spire-server', ctx.serverNamespace, 'server'),
    data: { 'server.conf': renderJson(serverConf) },
  });

  const controllerManagerConf = {
    apiVersion: 'spire.spiffe.io/v1alpha1',
    kind: 'ControllerManagerConfig',
    metrics: { bindAddress: '0.0.0.0:8082' },
    health: { healthProbeBindAddress: '0.0.0.0:8083' },
    leaderElection: { leaderElect: true, resourceName: `${ctx.className}.spiffe.io`, resourceNamespace: ctx.serverNamespace },
    validatingWebhookConfigurationName: `${ctx.serverNamespace}-spire-controller-manager-webhook`,
    clusterName: ctx.clusterName,
    trustDomain: ctx.trustDomain,
    ignoreNamespaces: ['kube-system', 'kube-public', 'local-path-storage'],
    spireServerSocketPath: `${SERVER_SOCKET_DIR}/api.sock`,
    className: ctx.className,
    watchClassless: false,
    parentIDTemplate: 'spiffe://{{ .TrustDomain }}/spire/agent/k8s_psat/{{ .ClusterName }}/{{ .NodeMeta.UID }}',
  };
  at = identity('ControllerManagerConfig');
  new k8s.KubeConfigMap(at.scope, at.id, {
    metadata: meta('spire-controller-manager', ctx.serverNamespace, 'server'),
    data: { 'controller-manager-config.yaml': Yaml.stringify(controllerManagerConf) },
  });

  const serverLabels = { 'app.kubernetes.io/name': 'server', 'app.kubernetes.io/instance': 'spire' };
  const dbEnv: k8s.EnvVar[] = dataStore.isShared ? [{
    name: 'SPIRE_DATASTORE_CONNECTION_STRING',
    valueFrom: { secretKeyRef: { name: dataStore.connectionStringSecret!.name, key: dataStore.connectionStringKey! } },
  }] : [];
  const storageSize = props.storageSize ?? Size.gibibytes(1);
  at = identity('ServerStatefulSet');
  const statefulSet = new k8s.KubeStatefulSet(at.scope, at.id, {
    metadata: meta('spire-server', ctx.serverNamespace, 'server'),
    spec: {
      replicas: ctx.replicas,
      serviceName: 'spire-server',
      selector: { matchLabels: serverLabels },
      template: {
        metadata: { labels: { ...serverLabels } },
        spec: {
          serviceAccountName: 'spire-server',
          automountServiceAccountToken: true,
          securityContext: restrictedPodSecurity(SERVER_UID),
          containers: [{
            name: 'spire-server',
            image: image.server,
            args: ['-expandEnv', '-config', '/run/spire/config/server.conf'],
            env: dbEnv.length ? dbEnv : undefined,
            ports: [
              { name: 'grpc', containerPort: 8081, protocol: 'TCP' },
              { name: 'healthz', containerPort: 8080, protocol: 'TCP' },
              ...(settings.bundleEndpoint ? [{ name: 'federation', containerPort: settings.bundleEndpoint.port, protocol: 'TCP' }] : []),
            ],
            securityContext: restrictedContainerSecurity(),
            resources: resources('100m', '128Mi', '1', '512Mi'),
            livenessProbe: httpProbe('/live', 'healthz', 60, 15, 2),
            readinessProbe: httpProbe('/ready', 'healthz', 5, 5),
            volumeMounts: [
              { name: 'spire-config', mountPath: '/run/spire/config', readOnly: true },
              { name: 'spire-data', mountPath: '/run/spire/data' },
              { name: 'spire-server-socket', mountPath: SERVER_SOCKET_DIR },
            ],
          }, {
            name: 'spire-controller-manager',
            image: image.controllerManager,
            args: ['--config=/run/spire/controller-manager-config/controller-manager-config.yaml'],
            env: [{ name: 'ENABLE_WEBHOOKS', value: 'true' }],
            ports: [
              { name: 'https', containerPort: WEBHOOK_PORT, protocol: 'TCP' },
              { name: 'cm-metrics', containerPort: 8082, protocol: 'TCP' },
              { name: 'cm-healthz', containerPort: 8083, protocol: 'TCP' },
            ],
            securityContext: restrictedContainerSecurity(),
            resources: resources('50m', '64Mi', '500m', '256Mi'),
            livenessProbe: httpProbe('/healthz', 'cm-healthz', 10, 15),
            readinessProbe: httpProbe('/readyz', 'cm-healthz', 10, 5),
            volumeMounts: [
              { name: 'controller-manager-config', mountPath: '/run/spire/controller-manager-config', readOnly: true },
              { name: 'spire-server-socket', mountPath: SERVER_SOCKET_DIR, readOnly: true },
              // writable /tmp (the chart mounts one too): the webhook server keeps its serving certificate there
              { name: 'controller-manager-tmp', mountPath: '/tmp' },
            ],
          }],
          volumes: [
            { name: 'spire-config', configMap: { name: 'spire-server' } },
            { name: 'controller-manager-config', configMap: { name: 'spire-controller-manager' } },
            { name: 'spire-server-socket', emptyDir: { medium: 'Memory', sizeLimit: k8s.Quantity.fromString('1Mi') } },
            { name: 'controller-manager-tmp', emptyDir: { medium: 'Memory', sizeLimit: k8s.Quantity.fromString('16Mi') } },
          ],
        },
      },
      volumeClaimTemplates: [{
        metadata: { name: 'spire-data' },
        spec: {
          accessModes: ['ReadWriteOnce'],
          resources: { requests: { storage: k8s.Quantity.fromString(storageSize.asString()) } },
          ...(props.storageClassName ? { storageClassName: checkDns1123Label(ctx.scope, 'storageClassName', props.storageClassName) } : {}),
        },
      }],
    },
  });

  at = identity('ServerService');
  new k8s.KubeService(at.scope, at.id, {
    metadata: meta('spire-server', ctx.serverNamespace, 'server'),
    spec: {
      selector: { ...serverLabels },
      // agents dial 443; NetworkPolicies see the pod port 8081 after DNAT
      ports: [{ name: 'grpc', port: 443, targetPort: k8s.IntOrString.fromString('grpc'), protocol: 'TCP' }],
    },
  });
  at = identity('WebhookService');
  new k8s.KubeService(at.scope, at.id, {
    metadata: meta('spire-controller-manager-webhook', ctx.serverNamespace, 'server'),
    spec: {
      selector: { ...serverLabels },
      ports: [{ name: 'https', port: 443, targetPort: k8s.IntOrString.fromString('https'), protocol: 'TCP' }],
    },
  });
  if (ctx.replicas > 1) {
    at = identity('ServerDisruptionBudget');
    new k8s.KubePodDisruptionBudget(at.scope, at.id, {
      metadata: meta('spire-server', ctx.serverNamespace, 'server'),
      spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: { ...serverLabels } } },
    });
  }

  at = identity('Webhook');
  clusterScoped(new k8s.KubeValidatingWebhookConfiguration(at.scope, at.id, {
    metadata: clusterMeta(`${ctx.serverNamespace}-spire-controller-manager-webhook`),
    webhooks: [
      webhook(ctx.serverNamespace, 'vclusterfederatedtrustdomain.kb.io', 'clusterfederatedtrustdomain', 'Fail'),
      // Ignore like the chart: the controller manager is not serving yet when the first
      // ClusterSPIFFEIDs are applied right after it; the library validates them at synth time
      webhook(ctx.serverNamespace, 'vclusterspiffeid.kb.io', 'clusterspiffeid', 'Ignore'),
    ],
  }));

  // --- server RBAC ------------------------------------------------------------------------
  // k8s_psat: review the agent's token, then look up its pod and node
  spireClusterRole(ctx, 'Server', `${ctx.serverNamespace}-spire-server`, [
    { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
    { apiGroups: [''], resources: ['pods', 'nodes'], verbs: ['get'] },
  ]);
  // bundle publishing: exactly the spire-bundle ConfigMap
  spireRole(ctx, 'Bundle', 'spire-bundle', ctx.agentNamespace, [
    { apiGroups: [''], resources: ['configmaps'], resourceNames: [BUNDLE_CONFIGMAP], verbs: ['get', 'patch'] },
  ]);
  at = identity('BundleConfigMap');
  new k8s.KubeConfigMap(at.scope, at.id, { metadata: meta(BUNDLE_CONFIGMAP, ctx.agentNamespace) });
  // the controller manager (same pod, same ServiceAccount): the hardened chart's rules
  spireClusterRole(ctx, 'ControllerManager', `${ctx.serverNamespace}-spire-controller-manager`, [
    { apiGroups: [''], resources: ['namespaces', 'nodes', 'endpoints', 'pods'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: ['admissionregistration.k8s.io'], resources: ['validatingwebhookconfigurations'], verbs: ['get', 'list', 'patch', 'watch'] },
    ...['clusterfederatedtrustdomains', 'clusterspiffeids', 'clusterstaticentries'].flatMap(r => [
      { apiGroups: ['spire.spiffe.io'], resources: [r], verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'] },
      { apiGroups: ['spire.spiffe.io'], resources: [`${r}/finalizers`], verbs: ['update'] },
      { apiGroups: ['spire.spiffe.io'], resources: [`${r}/status`], verbs: ['get', 'patch', 'update'] },
    ]),
  ]);
  spireRole(ctx, 'LeaderElection', 'spire-controller-manager-leader-election', ctx.serverNamespace, [
    { apiGroups: [''], resources: ['configmaps'], verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'] },
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'] },
    { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
  ]);
  return { statefulSet, serverLabels };
}
