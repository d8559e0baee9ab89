import * as kplus from 'cdk8s-plus-27';
import { k8s } from 'cdk8s-plus-27';
import { MANAGED_BY, NAMESPACE_NAME_LABEL, resources, restrictedContainerSecurity, restrictedPodSecurity } from './_k8s';
import { renderJson } from './_spire-config';
import { AGENT_SOCKET_NAME, CSI_DRIVER, OIDC_LABELS, OIDC_PORT, SERVER_UID, SpireContext, spireIdentity } from './_spire-context';
import { ClusterSpiffeId } from './cluster-spiffe-id';
import { ISpireDeployment } from './spire-options';

/**
 * Defines the SPIFFE OIDC discovery provider: its configuration, ServiceAccount, Service,
 * Deployment and the ClusterSPIFFEID it reads the JWT keys with.
 * @internal
 */
export function deploySpireOidcDiscovery(ctx: SpireContext, spire: ISpireDeployment, domain: string, tlsSecret: kplus.ISecret, image: string,
  replicas: number): k8s.KubeDeployment {
  const identity = (childId: string) => spireIdentity(ctx, childId);
  const metadata = {
    name: 'spiffe-oidc-discovery-provider',
    namespace: ctx.serverNamespace,
    labels: { ...MANAGED_BY, 'app.kubernetes.io/part-of': 'spire', 'app.kubernetes.io/name': 'spiffe-oidc-discovery-provider' },
  };
  const conf = {
    log_level: 'info',
    domains: [domain],
    serving_cert_file: { cert_file_path: '/run/spire/oidc-tls/tls.crt', key_file_path: '/run/spire/oidc-tls/tls.key', addr: `:${OIDC_PORT}` },
    workload_api: { socket_path: `/spiffe-workload-api/${AGENT_SOCKET_NAME}`, trust_domain: ctx.trustDomain },
  };
  let at = identity('OidcDiscoveryConfig');
  new k8s.KubeConfigMap(at.scope, at.id, { metadata, data: { 'oidc-discovery-provider.conf': renderJson(conf) } });
  at = identity('OidcDiscoveryServiceAccount');
  new k8s.KubeServiceAccount(at.scope, at.id, { metadata, automountServiceAccountToken: false });
  at = identity('OidcDiscoveryService');
  new k8s.KubeService(at.scope, at.id, {
    metadata,
    spec: { selector: { ...OIDC_LABELS }, ports: [{ name: 'https', port: 443, targetPort: k8s.IntOrString.fromString('https'), protocol: 'TCP' }] },
  });
  // the provider's health listener binds to localhost, out of the kubelet's reach: probe the HTTPS port
  const probe = (periodSeconds: number): k8s.Probe => ({ tcpSocket: { port: k8s.IntOrString.fromString('https') }, periodSeconds, timeoutSeconds: 3, failureThreshold: 3 });
  at = identity('OidcDiscoveryDeployment');
  const deployment = new k8s.KubeDeployment(at.scope, at.id, {
    metadata,
    spec: {
      replicas,
      selector: { matchLabels: { ...OIDC_LABELS } },
      template: {
        metadata: { labels: { ...OIDC_LABELS } },
        spec: {
          serviceAccountName: 'spiffe-oidc-discovery-provider',
          automountServiceAccountToken: false,
          securityContext: restrictedPodSecurity(SERVER_UID),
          containers: [{
            name: 'spiffe-oidc-discovery-provider',
            image,
            args: ['-config', '/run/spire/oidc-config/oidc-discovery-provider.conf'],
            ports: [{ name: 'https', containerPort: OIDC_PORT, protocol: 'TCP' }],
            securityContext: restrictedContainerSecurity(),
            resources: resources('10m', '32Mi', '200m', '128Mi'),
            livenessProbe: probe(10),
            readinessProbe: probe(5),
            volumeMounts: [
              { name: 'oidc-config', mountPath: '/run/spire/oidc-config', readOnly: true },
              { name: 'oidc-tls', mountPath: '/run/spire/oidc-tls', readOnly: true },
              { name: 'spiffe-workload-api', mountPath: '/spiffe-workload-api', readOnly: true },
            ],
          }],
          volumes: [
            { name: 'oidc-config', configMap: { name: 'spiffe-oidc-discovery-provider' } },
            { name: 'oidc-tls', secret: { secretName: tlsSecret.name } },
            // the Workload API through the SPIFFE CSI driver, not a hostPath: the pod stays restricted
            { name: 'spiffe-workload-api', csi: { driver: CSI_DRIVER, readOnly: true } },
          ],
        },
      },
    },
  });
  // the provider reads the JWT keys through the Workload API, so it needs a registration
  new ClusterSpiffeId(ctx.scope, 'OidcDiscoveryProvider', {
    spire,
    name: `${ctx.className}-oidc-discovery-provider`,
    namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: ctx.serverNamespace } },
    podSelector: { matchLabels: { ...OIDC_LABELS } },
    dnsNameTemplates: [domain],
  });
  return deployment;
}
