import { App, Chart, Duration, Testing } from 'cdk8s';
import { ClusterSpiffeId, IntentGraph, LabelSelectorOperator, SpireDeployment } from '../../src';
import { find, synthValid } from '../support/synth';

function setup(): { app: App; chart: Chart; spire: SpireDeployment } {
  const app = Testing.app();
  new IntentGraph(app, 'IntentGraph', { trustDomain: 'example.com' });
  const chart = new Chart(app, 'c');
  const spire = new SpireDeployment(chart, 'spire', { clusterName: 'c1', className: 'prod-spire', registerMeshWorkloads: false });
  return { app, chart, spire };
}

describe('ClusterSpiffeId', () => {
  test('Istio ingress gateway registration: snapshot, jwtTtl (not jwtTTL), className of the controller manager', () => {
    const { chart, spire } = setup();
    new ClusterSpiffeId(chart, 'istio-ingressgateway', {
      spire,
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'istio-system' } },
      podSelector: { matchExpressions: [{ key: 'app', operator: LabelSelectorOperator.IN, values: ['istio-ingressgateway'] }] },
      ttl: Duration.hours(1),
      jwtTtl: Duration.minutes(5),
      dnsNameTemplates: ['{{ .PodMeta.Name }}.istio-system.svc'],
      workloadSelectorTemplates: ['k8s:sa:istio-ingressgateway-service-account'],
      hint: 'gateway',
    });
    const id = find(synthValid(chart), 'ClusterSPIFFEID', 'istio-ingressgateway');
    expect(id).toMatchSnapshot();
    expect(id.metadata.namespace).toBeUndefined();
    expect(id.spec.jwtTtl).toBe('5m');
    expect(id.spec).not.toHaveProperty('jwtTTL');
    expect(id.spec.ttl).toBe('1h');
    expect(id.spec.className).toBe('prod-spire');
    expect(id.spec.spiffeIDTemplate).toBe('spiffe://{{ .TrustDomain }}/ns/{{ .PodMeta.Namespace }}/sa/{{ .PodSpec.ServiceAccountName }}');
  });

  test('selects() follows Kubernetes label selector semantics', () => {
    const { chart, spire } = setup();
    const id = new ClusterSpiffeId(chart, 'x', {
      spire,
      namespaceSelector: { matchExpressions: [{ key: 'team', operator: LabelSelectorOperator.NOT_IN, values: ['ops'] }] },
      podSelector: { matchLabels: { app: 'a' }, matchExpressions: [{ key: 'canary', operator: LabelSelectorOperator.DOES_NOT_EXIST }] },
    });
    expect(id.selects({}, { app: 'a' })).toBe(true);
    expect(id.selects({ team: 'ops' }, { app: 'a' })).toBe(false);
    expect(id.selects({}, { app: 'a', canary: 'yes' })).toBe(false);
    expect(id.selects({}, { app: 'b' })).toBe(false);
  });

  test('a literal trust domain equal to SPIRE\'s is accepted', () => {
    const { chart, spire } = setup();
    new ClusterSpiffeId(chart, 'batch', { spire, spiffeIdTemplate: 'spiffe://example.com/batch/{{ .PodMeta.Name }}' });
    expect(find(synthValid(chart), 'ClusterSPIFFEID', 'batch').spec.spiffeIDTemplate).toBe('spiffe://example.com/batch/{{ .PodMeta.Name }}');
  });

  test.each([
    ['a constant ID of another workload', 'spiffe://example.com/ns/production/sa/payment-service'],
    ['the namespace with another field as service account', 'spiffe://{{ .TrustDomain }}/ns/{{ .PodMeta.Namespace }}/sa/{{ .PodMeta.Name }}'],
    ['a label as namespace', 'spiffe://{{ .TrustDomain }}/ns/{{ index .PodMeta.Labels "team" }}/sa/{{ .PodSpec.ServiceAccountName }}'],
    ['a field that may read ns', 'spiffe://{{ .TrustDomain }}/{{ .PodMeta.Name }}/production/sa/payment-service'],
  ])('fails when the template could produce another workload\'s identity: %s', (_what, template) => {
    const { chart, spire } = setup();
    expect(() => new ClusterSpiffeId(chart, 'x', { spire, spiffeIdTemplate: template }))
      .toThrow(/^\[c\/x\] invalid spiffeIdTemplate .*could produce a workload identity of the mesh \(\/ns\/<namespace>\/sa\/<service account>\) that is not the pod's own/);
  });

  test('fails when the template builds the ID with functions', () => {
    const { chart, spire } = setup();
    expect(() => new ClusterSpiffeId(chart, 'x', { spire, spiffeIdTemplate: 'spiffe://{{ .TrustDomain }}/{{ printf "ns/%s/sa/%s" "a" "b" }}' }))
      .toThrow(/^\[c\/x\] invalid spiffeIdTemplate .*may use only field references/);
    // Istio's template, spelled with other spacing, is Istio's template
    expect(new ClusterSpiffeId(chart, 'y', { spire, spiffeIdTemplate: 'spiffe://{{ .TrustDomain }}/ns/{{.PodMeta.Namespace}}/sa/{{.PodSpec.ServiceAccountName}}' })).toBeDefined();
  });

  test('fails when the template leaves the trust domain', () => {
    const { chart, spire } = setup();
    expect(() => new ClusterSpiffeId(chart, 'x', { spire, spiffeIdTemplate: 'spiffe://cluster.local/ns/{{ .PodMeta.Namespace }}' }))
      .toThrow(/^\[c\/x\] invalid spiffeIdTemplate "spiffe:\/\/cluster.local\/ns\/\{\{ .PodMeta.Namespace \}\}": must be a SPIFFE ID in the SPIRE trust domain/);
  });

  test('fails when a TTL is out of bounds', () => {
    const { chart, spire } = setup();
    expect(() => new ClusterSpiffeId(chart, 'x', { spire, jwtTtl: Duration.hours(13) }))
      .toThrow(/^\[c\/x\] invalid jwtTtl "13h": must be between 1m and 12h/);
  });

  test('fails on a selector requirement without values', () => {
    const { chart, spire } = setup();
    expect(() => new ClusterSpiffeId(chart, 'x', { spire, podSelector: { matchExpressions: [{ key: 'app', operator: LabelSelectorOperator.IN }] } }))
      .toThrow(/^\[c\/x\] invalid podSelector.matchExpressions.values null: must be non-empty for In and NotIn/);
  });

  test('fails on two registrations with the same name', () => {
    const { chart, spire } = setup();
    new ClusterSpiffeId(chart, 'x', { spire });
    expect(() => new ClusterSpiffeId(chart, 'y', { spire, name: 'x' })).toThrow(/^\[c\/y\] invalid name "x": c\/x already defines a ClusterSPIFFEID with this name/);
  });
});
