import { ApiObject, Chart, JsonPatch, Testing } from 'cdk8s';
import { IntentGraph, MeshMode, OutputFile, SpireDeployment, ZeroTrustNamespace } from '../../src';
import { find, synthValid } from '../support/synth';
import { POD_WORKLOADS, podTemplate, workloadKinds } from '../support/workload-kinds';

function setup(meshMode = MeshMode.SIDECAR) {
  const app = Testing.app();
  new IntentGraph(app, 'IntentGraph', { trustDomain: 'example.com' });
  const chart = new Chart(app, 'c');
  const shop = new ZeroTrustNamespace(chart, 'shop', { meshMode });
  const kinds = workloadKinds(chart, shop);
  const spire = new SpireDeployment(chart, 'spire', { clusterName: 'c1' });
  return { app, chart, shop, spire, ...kinds };
}

describe('SpireDeployment.enableIstioIntegration: every workload whose pods the app renders', () => {
  test.each(POD_WORKLOADS)('%s: the SPIRE label and injection template on its pods, nothing else of the pod changed', (_, key, kind, name) => {
    // GIVEN
    const before = setup();
    const unchanged = podTemplate(synthValid(before.chart), kind, name);
    const s = setup();
    const workload = s[key];
    // WHEN
    expect(s.spire.enableIstioIntegration(workload)).toBe(workload);
    s.spire.enableIstioIntegration(workload);
    // THEN
    const manifests = synthValid(s.chart);
    const pod = podTemplate(manifests, kind, name);
    expect(pod.metadata.labels).toEqual({ ...unchanged.metadata.labels, 'spiffe.io/spire-managed-identity': 'true' });
    expect(pod.metadata.annotations).toEqual({ ...unchanged.metadata.annotations, 'inject.istio.io/templates': 'sidecar,spire' });
    // the pod spec is untouched: same ServiceAccount, no token, no volume (the spire template injects the CSI volume, read-only, into istio-proxy only)
    expect(pod.spec).toEqual(unchanged.spec);
    expect(pod.spec.serviceAccountName).toBe(workload.serviceAccountName);
    expect(pod.spec.automountServiceAccountToken).toBe(false);
    expect((pod.spec.volumes ?? []).map((v: any) => v.name)).not.toContain('workload-socket');
    // the other workloads are left alone
    for (const [, , otherKind, other] of POD_WORKLOADS.filter(w => w[1] !== key)) {
      expect(podTemplate(manifests, otherKind, other).metadata.labels['spiffe.io/spire-managed-identity']).toBeUndefined();
    }
    expect(s.spire.istioIntegratedWorkloads).toEqual([workload]);
    expect(s.spire.registrationsOf(workload).map(r => r.node.path)).toEqual(['c/spire/MeshWorkloads']);
    expect(OutputFile.of(s.app).map(f => f.relativePath)).toEqual(['istio/spire-integration.values.yaml']);
  });

  test('a namespace opts in: every workload of it whose pods the app renders, of every kind', () => {
    const s = setup();
    expect(s.spire.enableIstioIntegrationForNamespace(s.shop).map(w => w.workloadName)).toEqual(['cache', 'ledger', 'orders', 'web']);
    const manifests = synthValid(s.chart);
    for (const [, , kind, name] of POD_WORKLOADS) {
      expect(podTemplate(manifests, kind, name).metadata.annotations['inject.istio.io/templates']).toBe('sidecar,spire');
    }
  });

  test('the pod template is amended as it renders: no validation needed, changes made afterwards kept, the pod\'s own templates kept', () => {
    const s = setup();
    s.spire.enableIstioIntegration(s.adoptedCache);
    // a change to the object after the integration was enabled
    s.cache.addJsonPatch(JsonPatch.add('/spec/template/metadata/annotations', { 'inject.istio.io/templates': 'sidecar,custom' }));
    // rendered before any validation ran
    const rendered = s.cache.toJson().spec.template.metadata;
    expect(rendered.annotations).toEqual({ 'inject.istio.io/templates': 'sidecar,custom,spire' });
    expect(rendered.labels).toEqual({ 'app.kubernetes.io/name': 'cache', 'spiffe.io/spire-managed-identity': 'true' });
    // validating changes nothing
    expect(s.spire.node.validate()).toEqual([]);
    expect(s.cache.toJson()).toEqual(s.cache.toJson());
    expect(podTemplate(synthValid(s.chart), 'StatefulSet', 'cache').metadata).toEqual(rendered);
  });

  test('an ExternalWorkload is registered by SPIRE but its pods cannot be annotated by the app: the error says what to set where it is deployed', () => {
    const s = setup();
    expect(s.spire.registrationsOf(s.ingress).map(r => r.node.path)).toEqual(['c/spire/MeshWorkloads']);
    expect(() => s.spire.enableIstioIntegration(s.ingress)).toThrow(
      '[c/ingress] invalid spireIntegration "c/ingress": is a workload outside this app (its pods are rendered where it is installed), so the app cannot annotate its pods; '
      + 'the mesh-workload ClusterSPIFFEID registers it already (it selects its namespace); set on its pod template, where it is deployed, the annotation '
      + 'inject.istio.io/templates: "sidecar,spire" and the label spiffe.io/spire-managed-identity: "true" (for Helm charts: their podAnnotations and podLabels values)');
    expect(s.spire.istioIntegratedWorkloads).toEqual([]);
  });

  test('fails at synthesis when an adopted pod declares the volume the spire template injects', () => {
    const s = setup();
    s.spire.enableIstioIntegration(s.adoptedCache);
    s.cache.addJsonPatch(JsonPatch.add('/spec/template/spec/volumes', [{ name: 'workload-socket', emptyDir: {} }]));
    expect(() => Testing.synth(s.chart)).toThrow(/invalid spireIntegration "c\/cache-adopted": its pod declares a volume named workload-socket, which the Istio spire injection template adds/);
  });

  test('fails for an adopted workload in an ambient namespace (community Istio supports SPIRE for sidecars only)', () => {
    const s = setup(MeshMode.AMBIENT);
    expect(() => s.spire.enableIstioIntegration(s.adoptedWeb)).toThrow(/invalid spireIntegration "shop": community Istio supports SPIRE-issued identities for sidecars only/);
  });

  test('fails for a workload of another app', () => {
    const s = setup();
    const other = setup();
    expect(() => s.spire.enableIstioIntegration(other.adoptedWeb)).toThrow(/invalid spireIntegration "c\/web-adopted": must be a workload of the same app's intent graph as the SpireDeployment/);
  });

  test('the registration reads the pods as they render, for every kind', () => {
    const s = setup();
    const found = (kind: string, name: string) => find(synthValid(s.chart), kind, name, 'shop');
    expect(found('StatefulSet', 'cache').spec.template.metadata.labels).toEqual({ 'app.kubernetes.io/name': 'cache' });
    for (const w of [s.orders, s.ledger, s.adoptedWeb, s.adoptedCache]) {
      expect(s.spire.registrationsOf(w)).toHaveLength(1);
    }
    expect(ApiObject.isApiObject(s.adoptedWeb.workloadObject)).toBe(true);
  });
});
