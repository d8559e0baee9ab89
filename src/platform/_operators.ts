/**
 * The Vault agent injector (hashicorp/vault-helm chart 0.34.1, templates/injector-deployment.yaml)
 * and the Prometheus Operator of kube-prometheus-stack chart 88.5.3
 * (prometheus-community/helm-charts charts/kube-prometheus-stack, templates/prometheus-operator/),
 * as their charts deploy them with default values.
 */
import { apiServer } from './_egress';
import { checkDigestsUsed, imageRenderer, label } from './_images';
import type { PlatformComponentOptions, _ComponentData } from './platform-workload';
import { PlatformPeer } from './platform-workload';
import { Privilege } from '../intent/privileged-workload';

export const VAULT_CHART_VERSION = '0.34.1';
export const VAULT_K8S_VERSION = '1.7.6';
export const KUBE_PROMETHEUS_STACK_VERSION = '88.5.3';
export const PROMETHEUS_OPERATOR_VERSION = '0.93.1';

export function vaultInjectorDescription(options: PlatformComponentOptions): _ComponentData {
  const namespace = label('vaultAgentInjector', 'namespace', options.namespace, 'vault');
  const release = label('vaultAgentInjector', 'releaseName', options.releaseName, 'vault');
  const image = imageRenderer('vaultAgentInjector', options);
  const injector = image('hashicorp/vault-k8s', VAULT_K8S_VERSION);
  checkDigestsUsed('vaultAgentInjector', image);
  return {
    name: 'vault-agent-injector',
    chart: { repository: 'https://helm.releases.hashicorp.com', chart: 'vault', version: VAULT_CHART_VERSION },
    appVersion: VAULT_K8S_VERSION,
    namespace,
    workloads: [{
      kind: 'Deployment',
      name: `${release}-agent-injector`,
      namespace,
      podLabels: { 'app.kubernetes.io/name': 'vault-agent-injector', 'app.kubernetes.io/instance': release, 'component': 'webhook' },
      serviceAccount: `${release}-agent-injector`,
      containers: [{
        name: 'sidecar-injector',
        image: injector,
        privileges: [Privilege.WRITABLE_ROOT_FILESYSTEM, Privilege.UNBOUNDED_RESOURCES, Privilege.UNCONFINED_SECCOMP],
        reason: 'the chart\'s default container securityContext sets allowPrivilegeEscalation: false and drops ALL capabilities but not readOnlyRootFilesystem, '
          + 'nor a seccomp profile, and `injector.resources` is empty: set injector.securityContext.container and injector.resources to lift this',
      }],
      podPrivileges: [Privilege.SERVICE_ACCOUNT_TOKEN],
      reason: 'watches its MutatingWebhookConfiguration and the pods it injects with its ServiceAccount token',
      ports: [{ port: 8080, name: 'https', from: [PlatformPeer.API_SERVER] }],
      // the injector only mutates pod specs: the injected agents talk to Vault, not the injector
      egress: [apiServer('watches its MutatingWebhookConfiguration to keep its CA bundle current and reads namespaces and pods',
        'vault chart templates/injector-clusterrole.yaml')],
    }],
    webhooks: [
      { kind: 'MutatingWebhookConfiguration', name: `${release}-agent-injector-cfg`, service: `${release}-agent-injector-svc`, targetPort: 8080 },
    ],
  };
}

export function prometheusOperatorDescription(options: PlatformComponentOptions): _ComponentData {
  const namespace = label('prometheusOperator', 'namespace', options.namespace, 'monitoring');
  const release = label('prometheusOperator', 'releaseName', options.releaseName, 'kube-prometheus-stack');
  const image = imageRenderer('prometheusOperator', options);
  const operator = image('quay.io/prometheus-operator/prometheus-operator', `v${PROMETHEUS_OPERATOR_VERSION}`);
  const certgen = image('ghcr.io/jkroepke/kube-webhook-certgen', '1.8.7');
  checkDigestsUsed('prometheusOperator', image);
  const hook = (suffix: string, container: string) => ({
    kind: 'Job',
    name: `${release}-admission-${suffix}`,
    namespace,
    podLabels: { 'job-name': `${release}-admission-${suffix}` },
    serviceAccount: `${release}-admission`,
    podPrivileges: [Privilege.SERVICE_ACCOUNT_TOKEN],
    reason: 'writes the webhook certificate Secret and patches the webhook configurations with its ServiceAccount token',
    egress: [apiServer('creates the webhook certificate Secret and patches the webhook configurations',
      'kube-prometheus-stack templates/prometheus-operator/admission-webhooks/job-patch')],
    containers: [{
      name: container,
      image: certgen,
      privileges: [Privilege.UNBOUNDED_RESOURCES],
      reason: 'the chart sets no resources for the admission webhook certificate hooks (values `prometheusOperator.admissionWebhooks.patch.resources: {}`)',
    }],
  });
  return {
    name: 'prometheus-operator',
    chart: { repository: 'https://prometheus-community.github.io/helm-charts', chart: 'kube-prometheus-stack', version: KUBE_PROMETHEUS_STACK_VERSION },
    appVersion: PROMETHEUS_OPERATOR_VERSION,
    namespace,
    workloads: [
      {
        kind: 'Deployment',
        name: `${release}-operator`,
        namespace,
        podLabels: { app: `${release}-operator`, release },
        serviceAccount: `${release}-operator`,
        podPrivileges: [Privilege.SERVICE_ACCOUNT_TOKEN],
        reason: 'reconciles Prometheus, Alertmanager and their monitors with its ServiceAccount token',
        containers: [{
          name: release,
          image: operator,
          privileges: [Privilege.UNBOUNDED_RESOURCES],
          reason: 'the chart sets no resources for the operator (values `prometheusOperator.resources: {}`)',
        }],
        ports: [{ port: 10250, name: 'https', from: [PlatformPeer.API_SERVER, PlatformPeer.MONITORING] }],
        egress: [apiServer('reconciles Prometheus, Alertmanager and their monitors into StatefulSets, Secrets and Services',
          'kube-prometheus-stack templates/prometheus-operator/clusterrole.yaml')],
      },
      hook('create', 'create'),
      hook('patch', 'patch'),
    ],
    webhooks: [
      { kind: 'MutatingWebhookConfiguration', name: `${release}-admission`, service: `${release}-operator`, targetPort: 10250 },
      { kind: 'ValidatingWebhookConfiguration', name: `${release}-admission`, service: `${release}-operator`, targetPort: 10250 },
    ],
  };
}
