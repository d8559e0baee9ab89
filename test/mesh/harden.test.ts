import { ApiObject, Chart, JsonPatch, Testing } from 'cdk8s';
import * as kplus33 from 'cdk8s-plus-33';
import { AdoptedWorkload, ZeroTrustNamespace } from '../../src';
import { podTemplatesOf } from '../../src/intent/_pod-templates';
import { hardenPodSpec } from '../../src/mesh/_harden';
import { synthValid } from '../support/synth';
import { podTemplate } from '../support/workload-kinds';

function plainCronJob(chart: Chart): ApiObject {
  const labels = { 'app.kubernetes.io/name': 'report' };
  return new ApiObject(chart, 'report', {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'report', namespace: 'shop' },
    spec: {
      schedule: '0 * * * *',
      jobTemplate: {
        spec: {
          template: {
            metadata: { labels },
            spec: {
              serviceAccountName: 'report',
              restartPolicy: 'Never',
              initContainers: [{ name: 'migrate', image: 'ghcr.io/acme/migrate:1.0.0', securityContext: { runAsUser: 10001 } }],
              containers: [{ name: 'report', image: 'ghcr.io/acme/report:1.0.0' }],
            },
          },
        },
      },
    },
  });
}

/** The container security context `harden: true` fills in where the template is silent. */
const HARDENED = { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, privileged: false, readOnlyRootFilesystem: true };

function hardenedApp() {
  const chart = new Chart(Testing.app(), 'c');
  const shop = new ZeroTrustNamespace(chart, 'shop');
  const report = plainCronJob(chart);
  const adoptedReport = new AdoptedWorkload(chart, 'report-adopted', { workload: report, namespace: shop, harden: true });
  return { chart, shop, report, adoptedReport };
}

describe('AdoptedWorkload harden: true', () => {
  test('hardens the pod template as it renders, exactly where it is silent (a plain CronJob with an init container)', () => {
    const { chart, report } = hardenedApp();
    const spec = podTemplate(synthValid(chart), 'CronJob', 'report').spec;
    expect(spec).toEqual({
      automountServiceAccountToken: false,
      serviceAccountName: 'report',
      restartPolicy: 'Never',
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      initContainers: [{ name: 'migrate', image: 'ghcr.io/acme/migrate:1.0.0', securityContext: { ...HARDENED, runAsUser: 10001 } }],
      containers: [{ name: 'report', image: 'ghcr.io/acme/report:1.0.0', securityContext: HARDENED }],
    });
    // the same before any validation ran: rendering hardens, validation only checks
    expect(report.toJson().spec.jobTemplate.spec.template.spec).toEqual(spec);
  });

  test('validation changes nothing: the object renders the same before and after it, and every reader sees the hardened template', () => {
    const { chart, report, adoptedReport } = hardenedApp();
    const rendered = report.toJson();
    expect(podTemplatesOf(chart).find(t => t.object.metadata.name === 'report')!.spec.securityContext).toEqual({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(adoptedReport.node.validate()).toEqual([]);
    expect(adoptedReport.node.validate()).toEqual([]);
    expect(report.toJson()).toEqual(rendered);
    // a change made after validation still renders (nothing was frozen into patches)
    report.addJsonPatch(JsonPatch.add('/spec/jobTemplate/spec/template/spec/containers/0/securityContext', { runAsUser: 20000 }));
    expect(report.toJson().spec.jobTemplate.spec.template.spec.containers[0].securityContext).toEqual({ ...HARDENED, runAsUser: 20000 });
  });

  test('a cdk8s-plus-33 Deployment and a plain StatefulSet keep their explicit values and get the rest', () => {
    const chart = new Chart(Testing.app(), 'c');
    const shop = new ZeroTrustNamespace(chart, 'shop');
    const sa = new kplus33.ServiceAccount(chart, 'web-sa', { metadata: { name: 'web', namespace: 'shop' }, automountToken: false });
    const web = new kplus33.Deployment(chart, 'web', {
      metadata: { name: 'web', namespace: 'shop' },
      serviceAccount: sa,
      containers: [{ name: 'web', image: 'ghcr.io/acme/web:2.0.0', portNumber: 8080, securityContext: { ensureNonRoot: true, user: 10001 } }],
    });
    const labels = { 'app.kubernetes.io/name': 'kv' };
    const kv = new ApiObject(chart, 'kv', {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'kv', namespace: 'shop' },
      spec: {
        serviceName: 'kv',
        selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: { serviceAccountName: 'kv', securityContext: { fsGroup: 999 }, containers: [{ name: 'kv', image: 'ghcr.io/acme/kv:1.0.0', securityContext: { readOnlyRootFilesystem: true, runAsUser: 999 } }] } },
      },
    });
    new AdoptedWorkload(chart, 'web-adopted', { workload: web, namespace: shop, harden: true });
    new AdoptedWorkload(chart, 'kv-adopted', { workload: kv, namespace: shop, harden: true });
    const manifests = synthValid(chart);
    expect(podTemplate(manifests, 'StatefulSet', 'kv').spec).toEqual({
      automountServiceAccountToken: false,
      serviceAccountName: 'kv',
      securityContext: { fsGroup: 999, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [{ name: 'kv', image: 'ghcr.io/acme/kv:1.0.0', securityContext: { ...HARDENED, runAsUser: 999 } }],
    });
    const webSpec = podTemplate(manifests, 'Deployment', 'web').spec;
    expect(webSpec.automountServiceAccountToken).toBe(false);
    expect(webSpec.serviceAccountName).toBe('web');
    expect(webSpec.securityContext).toEqual(expect.objectContaining({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } }));
    expect(webSpec.containers[0].securityContext).toEqual(expect.objectContaining({ ...HARDENED, runAsNonRoot: true, runAsUser: 10001 }));
  });

  test('a contrary explicit value is reported at synthesis and the template renders unhardened (no half-hardened pod)', () => {
    const { chart, report } = hardenedApp();
    report.addJsonPatch(JsonPatch.add('/spec/jobTemplate/spec/template/spec/containers/0/securityContext', { allowPrivilegeEscalation: true }));
    expect(report.toJson().spec.jobTemplate.spec.template.spec.securityContext).toBeUndefined();
    expect(() => Testing.synth(chart)).toThrow(/invalid harden true: container report sets allowPrivilegeEscalation to true explicitly; the library does not override a declared privilege/);
  });

  test('hardenPodSpec only reports when not applying, and reports root', () => {
    const spec = { containers: [{ name: 'a', securityContext: { runAsUser: 0, capabilities: { add: ['NET_ADMIN'] } } }], securityContext: { seccompProfile: { type: 'Unconfined' } } };
    const copy = JSON.parse(JSON.stringify(spec));
    expect(hardenPodSpec(spec, false)).toEqual([
      'invalid harden true: the pod sets seccompProfile to {"type":"Unconfined"} explicitly; the library does not override a declared privilege: change it in the workload, or drop harden',
      'invalid harden true: container a sets capabilities to {"add":["NET_ADMIN"]} explicitly; the library does not override a declared privilege: change it in the workload, or drop harden',
      'invalid harden true: container a sets runAsUser to 0 (root) explicitly; run as a non-root user, or drop harden',
    ]);
    expect(spec).toEqual(copy);
  });
});
