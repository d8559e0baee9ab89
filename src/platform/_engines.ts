/**
 * The admission engines as their charts deploy them with default values: Gatekeeper chart 3.23.0
 * (open-policy-agent/gatekeeper charts/gatekeeper at v3.23.0) and Kyverno chart 3.9.0
 * (kyverno/kyverno charts/kyverno at v1.19.0).
 */
import { apiServer, dns } from './_egress';
import { checkDigestsUsed, imageRenderer, label } from './_images';
import type { PlatformComponentOptions, PlatformContainer, PlatformEgress, PlatformWorkload, _ComponentData } from './platform-workload';
import { PlatformPeer } from './platform-workload';
import { Privilege } from '../intent/privileged-workload';

export const GATEKEEPER_VERSION = '3.23.0';
export const KYVERNO_VERSION = '1.19.0';
export const KYVERNO_CHART_VERSION = '3.9.0';

const NO_LIMITS = (what: string) => ({ privileges: [Privilege.UNBOUNDED_RESOURCES], reason: `the chart ${what}` });

/** templates/gatekeeper-{controller-manager,audit}-deployment.yaml and the install hooks. */
export function gatekeeperDescription(options: PlatformComponentOptions): _ComponentData {
  const namespace = label('gatekeeper', 'namespace', options.namespace, 'gatekeeper-system');
  const image = imageRenderer('gatekeeper', options);
  const gatekeeper = image('openpolicyagent/gatekeeper', `v${GATEKEEPER_VERSION}`);
  const crds = image('openpolicyagent/gatekeeper-crds', `v${GATEKEEPER_VERSION}`);
  const curl = image('curlimages/curl', '8.20.0');
  checkDigestsUsed('gatekeeper', image);
  const manager: PlatformContainer = { name: 'manager', image: gatekeeper, ...NO_LIMITS('requests 100m CPU and 512Mi memory and limits memory only (512Mi), not CPU') };
  const TOKEN = { podPrivileges: [Privilege.SERVICE_ACCOUNT_TOKEN], reason: 'calls the Kubernetes API with its ServiceAccount token' };
  const api = (what: string, template: string) => apiServer(what, `gatekeeper chart ${template}`);
  const job = (name: string, labels: { [k: string]: string }, serviceAccount: string, containers: PlatformContainer[],
    egress: PlatformEgress[]): PlatformWorkload => ({
    kind: 'Job', name, namespace, podLabels: labels, serviceAccount, containers, ...TOKEN, egress,
  });
  return {
    name: 'gatekeeper',
    chart: { repository: 'https://open-policy-agent.github.io/gatekeeper/charts', chart: 'gatekeeper', version: GATEKEEPER_VERSION },
    appVersion: GATEKEEPER_VERSION,
    namespace,
    workloads: [
      {
        kind: 'Deployment',
        name: 'gatekeeper-controller-manager',
        namespace,
        podLabels: { 'control-plane': 'controller-manager', 'gatekeeper.sh/operation': 'webhook' },
        serviceAccount: 'gatekeeper-admin',
        containers: [manager],
        ...TOKEN,
        ports: [
          // the post-install hook probes the webhook before labelling the namespace
          { port: 8443, name: 'webhook-server', from: [PlatformPeer.API_SERVER], fromWorkloads: ['gatekeeper-update-namespace-label'] },
          { port: 8888, name: 'metrics', from: [PlatformPeer.MONITORING] },
          { port: 9090, name: 'healthz', from: [] },
        ],
        egress: [api('watches every resource its constraints match, syncs data and writes constraint status and its webhook certificate',
          'templates/gatekeeper-manager-role-clusterrole.yaml')],
      },
      {
        kind: 'Deployment',
        name: 'gatekeeper-audit',
        namespace,
        podLabels: { 'control-plane': 'audit-controller', 'gatekeeper.sh/operation': 'audit' },
        serviceAccount: 'gatekeeper-admin',
        containers: [manager],
        ...TOKEN,
        ports: [
          { port: 8888, name: 'metrics', from: [PlatformPeer.MONITORING] },
          { port: 9090, name: 'healthz', from: [] },
        ],
        egress: [api('lists the cluster\'s resources to audit them and writes the violations into constraint status', 'templates/gatekeeper-audit-deployment.yaml')],
      },
      // Helm hooks (pre-install/pre-upgrade CRD upgrade, post-install namespace label and webhook probe)
      job('gatekeeper-update-crds-hook', { 'job-name': 'gatekeeper-update-crds-hook' }, 'gatekeeper-admin-upgrade-crds',
        [{ name: 'crds-upgrade', image: crds, ...NO_LIMITS('sets no resources for the CRD upgrade hook (values `crds.resources: {}`)') }],
        [api('applies the CustomResourceDefinitions', 'templates/upgrade-crds-hook.yaml')]),
      job('gatekeeper-update-namespace-label', { 'job-name': 'gatekeeper-update-namespace-label' }, 'gatekeeper-update-namespace-label', [
        { name: 'webhook-probe-post', image: curl, init: true, ...NO_LIMITS('sets no resources for the post-install hook (values `postInstall.resources: {}`)') },
        { name: 'kubectl-label', image: crds, ...NO_LIMITS('sets no resources for the post-install hook (values `postInstall.resources: {}`)') },
      ], [
        dns('gatekeeper-webhook-service.<namespace>.svc', 'templates/_helpers.tpl gatekeeper.postInstallWebhookProbeContainer'),
        {
          workload: 'gatekeeper-controller-manager',
          ports: [8443],
          reason: 'curl probes https://gatekeeper-webhook-service.<namespace>.svc/v1/admitlabel (Service port 443, pod port 8443) until the webhook answers '
            + '(templates/_helpers.tpl gatekeeper.postInstallWebhookProbeContainer)',
        },
        api('labels its namespace admission.gatekeeper.sh/ignore=no-self-managing', 'templates/namespace-post-install.yaml'),
      ]),
    ],
    webhooks: [
      { kind: 'ValidatingWebhookConfiguration', name: 'gatekeeper-validating-webhook-configuration', service: 'gatekeeper-webhook-service', targetPort: 8443 },
      { kind: 'MutatingWebhookConfiguration', name: 'gatekeeper-mutating-webhook-configuration', service: 'gatekeeper-webhook-service', targetPort: 8443 },
    ],
  };
}

/** templates/{admission,background,cleanup,reports}-controller/deployment.yaml. */
export function kyvernoDescription(options: PlatformComponentOptions): _ComponentData {
  const namespace = label('kyverno', 'namespace', options.namespace, 'kyverno');
  const release = label('kyverno', 'releaseName', options.releaseName, 'kyverno');
  const image = imageRenderer('kyverno', options);
  const tag = `v${KYVERNO_VERSION}`;
  const images = {
    pre: image('reg.kyverno.io/kyverno/kyvernopre', tag),
    kyverno: image('reg.kyverno.io/kyverno/kyverno', tag),
    background: image('reg.kyverno.io/kyverno/background-controller', tag),
    cleanup: image('reg.kyverno.io/kyverno/cleanup-controller', tag),
    reports: image('reg.kyverno.io/kyverno/reports-controller', tag),
  };
  checkDigestsUsed('kyverno', image);
  const controller = (component: string, containers: PlatformContainer[], webhook: boolean): PlatformWorkload => ({
    kind: 'Deployment',
    name: `${release}-${component}`,
    namespace,
    podLabels: { 'app.kubernetes.io/component': component, 'app.kubernetes.io/instance': release, 'app.kubernetes.io/part-of': release },
    serviceAccount: `${release}-${component}`,
    containers,
    podPrivileges: [Privilege.SERVICE_ACCOUNT_TOKEN],
    reason: 'calls the Kubernetes API with its ServiceAccount token',
    ports: [
      { port: 9443, name: 'https', from: webhook ? [PlatformPeer.API_SERVER] : [] },
      { port: 8000, name: 'metrics', from: [PlatformPeer.MONITORING] },
    ],
    egress: [apiServer(`watches policies and the resources they match, and writes ${component === 'reports-controller' ? 'policy reports' : 'its results'}`,
      `kyverno chart templates/${component}/clusterrole.yaml`)],
  });
  const memoryOnly = NO_LIMITS('limits memory only, not CPU');
  return {
    name: 'kyverno',
    chart: { repository: 'https://kyverno.github.io/kyverno', chart: 'kyverno', version: KYVERNO_CHART_VERSION },
    appVersion: KYVERNO_VERSION,
    namespace,
    workloads: [
      controller('admission-controller', [
        { name: 'kyverno-pre', image: images.pre, init: true },
        { name: 'kyverno', image: images.kyverno, ...memoryOnly },
      ], true),
      controller('background-controller', [{ name: 'controller', image: images.background, ...memoryOnly }], false),
      controller('cleanup-controller', [{ name: 'controller', image: images.cleanup, ...memoryOnly }], true),
      controller('reports-controller', [{ name: 'controller', image: images.reports, ...memoryOnly }], false),
    ],
    webhooks: [
      { kind: 'ValidatingWebhookConfiguration', name: `${release}-resource-validating-webhook-cfg`, service: `${release}-svc`, targetPort: 9443 },
      { kind: 'MutatingWebhookConfiguration', name: `${release}-resource-mutating-webhook-cfg`, service: `${release}-svc`, targetPort: 9443 },
      { kind: 'ValidatingWebhookConfiguration', name: `${release}-cleanup-validating-webhook-cfg`, service: `${release}-cleanup-controller`, targetPort: 9443 },
    ],
  };
}
