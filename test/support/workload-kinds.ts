import { ApiObject, Chart, Size } from 'cdk8s';
import * as kplus33 from 'cdk8s-plus-33';
import { AdoptedWorkload, AppProtocol, ExternalWorkload, MeshService, MeshStatefulService, ZeroTrustNamespace } from '../../src';

/**
 * One workload of every kind that joins the intent graph, in one namespace of `chart`: a
 * MeshService, a MeshStatefulService, an AdoptedWorkload of a cdk8s-plus-33 Deployment (two
 * containers: `web` and `log-shipper`), an AdoptedWorkload of a plain ApiObject StatefulSet, and
 * an ExternalWorkload (installed by Helm in another namespace).
 */
export function workloadKinds(chart: Chart, namespace: ZeroTrustNamespace) {
  const ns = namespace.namespaceName;
  const orders = new MeshService(chart, 'orders', { namespace, image: 'ghcr.io/acme/orders:1.0.0', port: 8080 });
  const ledger = new MeshStatefulService(chart, 'ledger', {
    namespace,
    image: 'ghcr.io/acme/ledger:1.0.0',
    port: 5432,
    protocol: AppProtocol.TCP,
    volumeClaims: [{ name: 'data', mountPath: '/var/lib/ledger', storage: Size.gibibytes(1) }],
  });
  const webSa = new kplus33.ServiceAccount(chart, 'web-sa', { metadata: { name: 'web', namespace: ns }, automountToken: false });
  const web = new kplus33.Deployment(chart, 'web', {
    metadata: { name: 'web', namespace: ns },
    serviceAccount: webSa,
    automountServiceAccountToken: false,
    containers: [
      { name: 'web', image: 'ghcr.io/acme/web:2.0.0', ports: [{ number: 8080, name: 'http-web' }], securityContext: { ensureNonRoot: true, user: 10001 } },
      { name: 'log-shipper', image: 'ghcr.io/acme/shipper:1.0.0', securityContext: { ensureNonRoot: true, user: 10002 } },
    ],
  });
  const cacheLabels = { 'app.kubernetes.io/name': 'cache' };
  const cache = new ApiObject(chart, 'cache', {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'cache', namespace: ns },
    spec: {
      serviceName: 'cache',
      selector: { matchLabels: cacheLabels },
      template: {
        metadata: { labels: cacheLabels },
        spec: {
          serviceAccountName: 'cache',
          automountServiceAccountToken: false,
          containers: [{ name: 'cache', image: 'ghcr.io/acme/cache:7.0.0', ports: [{ containerPort: 6379, name: 'tcp-redis' }] }],
        },
      },
    },
  });
  const adoptedWeb = new AdoptedWorkload(chart, 'web-adopted', { workload: web, namespace });
  const adoptedCache = new AdoptedWorkload(chart, 'cache-adopted', { workload: cache, namespace });
  const ingress = new ExternalWorkload(chart, 'ingress', { namespace: 'ingress', podSelector: { app: 'ingress' }, serviceAccountName: 'ingress' });
  return { orders, ledger, web, cache, adoptedWeb, adoptedCache, ingress };
}

/** The pod template of the workload object named `name` (any kind) in `manifests`. */
export function podTemplate(manifests: any[], kind: string, name: string): { metadata: any; spec: any } {
  const found = manifests.filter(m => m.kind === kind && m.metadata?.name === name);
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name}, found ${found.length}`);
  return found[0].kind === 'CronJob' ? found[0].spec.jobTemplate.spec.template : found[0].spec.template;
}

/**
 * The workloads of `workloadKinds()` whose pods the app renders, for `test.each`: a label, the
 * key in `workloadKinds()`'s result, the kind and name of the workload object.
 */
export const POD_WORKLOADS = [
  ['MeshService', 'orders', 'Deployment', 'orders'],
  ['MeshStatefulService', 'ledger', 'StatefulSet', 'ledger'],
  ['AdoptedWorkload of a cdk8s-plus-33 Deployment', 'adoptedWeb', 'Deployment', 'web'],
  ['AdoptedWorkload of a plain ApiObject StatefulSet', 'adoptedCache', 'StatefulSet', 'cache'],
] as const;
