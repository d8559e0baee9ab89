import { Chart, Testing } from 'cdk8s';
import {
  AccessProxy, ClusterPeer, FalcoDriver, IntentGraph, PlatformComponent, PlatformComponents, PlatformPeer, PolicyEngine, PolicyMode, Privilege,
  ZeroTrustNamespace, ZeroTrustPolicyPack,
} from '../../src';
import { ENGINE_CHARTS, GATEKEEPER_AUDIT, GATEKEEPER_CONTROLLER_MANAGER, GATEKEEPER_LABEL_NAMESPACE, GATEKEEPER_UPGRADE_CRDS, KYVERNO_ADMISSION, KYVERNO_BACKGROUND, KYVERNO_CLEANUP, KYVERNO_REPORTS } from './fixtures/engines';
import { ACCESS_PROXY_GATEWAY, INGRESS_GATEWAY, ISTIO_CHARTS, ISTIOD, WAYPOINT, ZTUNNEL, istioCni } from './fixtures/istio';
import { FALCO, OPERATOR_CHARTS, PROMETHEUS_OPERATOR, PROMETHEUS_OPERATOR_ADMISSION_CREATE, PROMETHEUS_OPERATOR_ADMISSION_PATCH, VAULT_INJECTOR } from './fixtures/operators';
import { gatekeeperReview, kubernetesReview, kyvernoReview } from '../support/policy-engine';
import { declaredPrivileges, usedPrivileges } from '../support/privileges';
import { synthValid } from '../support/synth';

const ENGINES = [PolicyEngine.GATEKEEPER, PolicyEngine.KYVERNO, PolicyEngine.KUBERNETES];

/** Each component as the platform installs it, with the pods its pinned chart renders by default. */
function platform(): Array<{ component: PlatformComponent; pods: any[] }> {
  return [
    { component: PlatformComponent.istiod(), pods: [ISTIOD] },
    { component: PlatformComponent.istioCni(), pods: [istioCni(false)] },
    { component: PlatformComponent.ztunnel(), pods: [ZTUNNEL] },
    { component: PlatformComponent.istioGateway({ name: 'istio-ingressgateway', namespace: 'istio-ingress' }), pods: [INGRESS_GATEWAY] },
    { component: PlatformComponent.waypoint({ name: 'waypoint', namespace: 'shop' }), pods: [WAYPOINT] },
    { component: PlatformComponent.kubernetesGateway({ name: 'access-proxy', namespace: 'edge', runtimeDefaultSeccomp: true }), pods: [ACCESS_PROXY_GATEWAY] },
    {
      component: PlatformComponent.gatekeeper(),
      pods: [GATEKEEPER_CONTROLLER_MANAGER, GATEKEEPER_AUDIT, GATEKEEPER_UPGRADE_CRDS, GATEKEEPER_LABEL_NAMESPACE],
    },
    { component: PlatformComponent.kyverno(), pods: [KYVERNO_ADMISSION, KYVERNO_BACKGROUND, KYVERNO_CLEANUP, KYVERNO_REPORTS] },
    { component: PlatformComponent.vaultAgentInjector(), pods: [VAULT_INJECTOR] },
    { component: PlatformComponent.falco(), pods: [FALCO] },
    {
      component: PlatformComponent.prometheusOperator(),
      pods: [PROMETHEUS_OPERATOR, PROMETHEUS_OPERATOR_ADMISSION_CREATE, PROMETHEUS_OPERATOR_ADMISSION_PATCH],
    },
  ];
}

function selects(podLabels: Record<string, string>, pod: any): boolean {
  return Object.entries(podLabels).every(([k, v]) => pod.metadata.labels?.[k] === v);
}

/** An app with the pack in ENFORCE (policing the engines' own namespaces too) and the platform declared. */
function enforcedApp(engine: PolicyEngine, components: PlatformComponent[]) {
  const chart = new Chart(Testing.app(), 'platform');
  new ZeroTrustPolicyPack(chart, 'pack', { engine, mode: PolicyMode.ENFORCE, allowedRegistries: ['ghcr.io/acme/'], systemNamespaces: ['kube-system'] });
  new PlatformComponents(chart, 'components', { components, apiServer: ClusterPeer.kubernetesApiServer({ addresses: ['172.18.0.2/32'] }) });
  return { chart, objs: synthValid(chart) };
}

function rejectedBy(engine: PolicyEngine, objs: any[], pod: any): string[] {
  const review = engine === PolicyEngine.GATEKEEPER ? gatekeeperReview(objs, pod)
    : engine === PolicyEngine.KYVERNO ? kyvernoReview(objs, pod) : kubernetesReview(objs, pod);
  expect(review.evaluated.length).toBeGreaterThan(0);
  return [...new Set(review.violations.map(v => v.policy.split('/')[1].replace(/^zero-trust-/, '')))].sort();
}

describe('PlatformComponent', () => {
  test('each description is what its pinned chart renders: workloads, containers, images, and the privileges each container and pod uses', () => {
    for (const { component, pods } of platform()) {
      // GIVEN the component declared in an app
      const chart = Testing.chart();
      PlatformComponents._declare(chart, component);
      const declared = IntentGraph.of(chart).privilegedWorkloads;
      expect(component.workloads).toHaveLength(pods.length);
      for (const pod of pods) {
        // THEN exactly one workload of the description selects the chart's pod
        const matching = component.workloads.filter(w => w.namespace === pod.metadata.namespace && selects(w.podLabels, pod));
        expect({ pod: pod.metadata.name, matching: matching.length }).toEqual({ pod: pod.metadata.name, matching: 1 });
        const [w] = matching;
        const containers = (p: any) => [...(p.spec.initContainers ?? []).map((c: any) => ({ name: c.name, image: c.image, init: true })),
          ...(p.spec.containers ?? []).map((c: any) => ({ name: c.name, image: c.image, init: false }))].sort((a, b) => a.name.localeCompare(b.name));
        const described = w.containers.map(c => ({ name: c.name, image: c.image, init: c.init ?? false }));
        expect(described.sort((a, b) => a.name.localeCompare(b.name))).toEqual(containers(pod));
        expect(w.serviceAccount).toBe(pod.spec.serviceAccountName);
        // and the privileges declared for it are exactly those the pod uses, container by container
        const ofWorkload = declared.filter(d => d.namespace === w.namespace && d.kind === w.kind && d.name === w.name);
        expect({ workload: w.name, ...declaredPrivileges(ofWorkload) }).toEqual({ workload: w.name, ...usedPrivileges(pod) });
        for (const d of ofWorkload) expect(d.reason.length).toBeGreaterThan(30);
      }
    }
  });

  test('each description is pinned to the chart version its fixture pods are written from', () => {
    const fixtureCharts: Record<string, string> = { ...ISTIO_CHARTS, ...ENGINE_CHARTS, ...OPERATOR_CHARTS };
    for (const { component } of platform()) {
      expect({ component: component.name, chart: component.chart.chart, version: component.chart.version })
        .toEqual({ component: component.name, chart: component.chart.chart, version: fixtureCharts[component.chart.chart] });
    }
  });

  test('the ambient node agent mounts the ztunnel socket directory too', () => {
    const chart = Testing.chart();
    const cni = PlatformComponents._declare(chart, PlatformComponent.istioCni({ ambient: true }));
    const pod = istioCni(true);
    expect(declaredPrivileges(IntentGraph.of(chart).privilegedWorkloads)).toEqual(usedPrivileges(pod));
    expect(cni.workloads[0].hostPaths).toContain('/var/run/ztunnel');
  });

  test.each(ENGINES)('%s: every platform pod as its chart renders it passes the pack in ENFORCE', engine => {
    // GIVEN the pack in ENFORCE and every component declared
    const components = platform();
    const { objs } = enforcedApp(engine, components.map(c => c.component));
    // THEN every pod is admitted
    for (const pod of components.flatMap(c => c.pods)) {
      expect({ pod: pod.metadata.name, rejectedBy: rejectedBy(engine, objs, pod) }).toEqual({ pod: pod.metadata.name, rejectedBy: [] });
    }
  });

  test.each(ENGINES)('%s: a changed image, an extra privileged container or a privilege moved to another container is rejected', engine => {
    const components = platform();
    const { objs } = enforcedApp(engine, components.map(c => c.component));
    const changed = (pod: any, f: (spec: any) => void) => { const p = structuredClone(pod); f(p.spec); return p; };
    for (const pod of components.flatMap(c => c.pods)) {
      // another version, another registry, another repository of the same registry
      const image = pod.spec.containers[0].image as string;
      // (Istio's proxy, which sidecar injection adds to any pod, is admitted in any version by the pack's injectedImages)
      const versions = image.startsWith('docker.io/istio/proxyv2:') ? [] : [image.replace(/:[^:/@]+$/, ':9.9.9')];
      for (const other of [...versions, `evil.example/${image}`, image.replace(/\/([^/:@]+)([:@])/, '/$1-evil$2')]) {
        expect({ pod: pod.metadata.name, other, rejectedBy: rejectedBy(engine, objs, changed(pod, s => { s.containers[0].image = other; })) })
          .toEqual({ pod: pod.metadata.name, other, rejectedBy: expect.arrayContaining(['allowed-registries']) });
      }
      // an extra privileged container with the pod's own image
      const extra = changed(pod, s => { s.containers.push({ ...structuredClone(s.containers[0]), name: 'debug', securityContext: { privileged: true } }); });
      expect(rejectedBy(engine, objs, extra)).toEqual(expect.arrayContaining(['privileged-containers']));
    }
    // exact per container: Falco's own container is privileged, falcoctl's may not be
    const falcoctl = changed(FALCO, s => { s.containers.find((c: any) => c.name === 'falcoctl-artifact-follow').securityContext = { privileged: true }; });
    expect(rejectedBy(engine, objs, falcoctl)).toEqual(['privileged-containers']);
    // istiod runs as non-root: root is not exempted for it
    const rootIstiod = changed(ISTIOD, s => { s.containers[0].securityContext.runAsNonRoot = false; s.containers[0].securityContext.runAsUser = 0; });
    expect(rejectedBy(engine, objs, rootIstiod)).toEqual(['run-as-non-root']);
    // a hostPath the description does not list
    const hostPath = changed(ZTUNNEL, s => { s.volumes.push({ name: 'root', hostPath: { path: '/' } }); });
    expect(rejectedBy(engine, objs, hostPath)).toEqual(['host-filesystem']);
  });

  test.each(ENGINES)('%s: images pinned by digest pass exactly with that digest; injected proxies pinned by digest pass', engine => {
    const digest = `sha256:${'a'.repeat(64)}`;
    const istiod = PlatformComponent.istiod({ digests: { 'docker.io/istio/pilot': digest } });
    expect(istiod.images).toEqual([`docker.io/istio/pilot:1.30.3@${digest}`]);
    expect(istiod.allowedImagePrefixes).toEqual([`docker.io/istio/pilot:1.30.3@${digest}`, `docker.io/istio/pilot@${digest}`]);
    const { objs } = enforcedApp(engine, [istiod, PlatformComponent.istioGateway({ name: 'istio-ingressgateway', namespace: 'istio-ingress' })]);
    const withImage = (image: string) => { const p = structuredClone(ISTIOD); p.spec.containers[0].image = image; return p; };
    expect(rejectedBy(engine, objs, withImage(`docker.io/istio/pilot@${digest}`))).toEqual([]);
    expect(rejectedBy(engine, objs, withImage(`docker.io/istio/pilot:1.30.3@${digest}`))).toEqual([]);
    expect(rejectedBy(engine, objs, withImage(`docker.io/istio/pilot@sha256:${'b'.repeat(64)}`))).toEqual(['allowed-registries']);
    expect(rejectedBy(engine, objs, withImage('docker.io/istio/pilot:1.30.3'))).toEqual(['allowed-registries']);
    // Istio's proxy injected by digest (global.proxy.image: docker.io/istio/proxyv2@sha256:...)
    const gateway = structuredClone(INGRESS_GATEWAY);
    gateway.spec.containers[0].image = `docker.io/istio/proxyv2@sha256:${'c'.repeat(64)}`;
    expect(rejectedBy(engine, objs, gateway)).toEqual([]);
  });

  test('a registry mirror moves every image; ports and webhooks say who calls', () => {
    const kyverno = PlatformComponent.kyverno({ registry: 'registry.example/mirror' });
    expect(kyverno.images).toContain('registry.example/mirror/kyverno/kyverno:v1.19.0');
    expect(PlatformComponent.gatekeeper({ registry: 'registry.example/mirror' }).images).toContain('registry.example/mirror/openpolicyagent/gatekeeper:v3.23.0');
    expect(PlatformComponent.istiod({ hub: 'gcr.io/istio-release' }).images).toEqual(['gcr.io/istio-release/pilot:1.30.3']);
    const istiod = PlatformComponent.istiod();
    expect(istiod.workloads[0].ports).toEqual(expect.arrayContaining([
      { port: 15012, name: 'tls-xds', from: [PlatformPeer.MESH] },
      { port: 15017, name: 'https-webhooks', from: [PlatformPeer.API_SERVER] },
    ]));
    expect(istiod.webhooks.map(w => w.kind)).toEqual(['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']);
    expect(istiod.chart).toEqual({ repository: 'https://istio-release.storage.googleapis.com/charts', chart: 'istiod', version: '1.30.3' });
    expect(PlatformComponent.falco({ driver: FalcoDriver.MODERN_EBPF }).workloads[0].containers.map(c => c.name)).not.toContain('falco-driver-loader');
  });

  test('throws when an option would describe something the chart cannot render', () => {
    expect(() => PlatformComponent.istiod({ namespace: 'Istio_System' })).toThrow(/^\[PlatformComponent\.istiod\] invalid namespace "Istio_System": must be a DNS-1123 label/);
    expect(() => PlatformComponent.kyverno({ registry: 'https://registry.example/' })).toThrow(/invalid registry "https:\/\/registry\.example\/": must be a registry host/);
    expect(() => PlatformComponent.istiod({ digests: { 'docker.io/istio/pilot': 'sha256:abc' } })).toThrow(/invalid digests\.docker\.io\/istio\/pilot "sha256:abc": must be 'sha256:' followed by 64/);
    expect(() => PlatformComponent.istiod({ digests: { 'docker.io/istio/proxyv2': `sha256:${'a'.repeat(64)}` } })).toThrow(/invalid digests "docker\.io\/istio\/proxyv2": names no image of this component/);
    expect(() => PlatformComponent.istioGateway({ name: 'gw', namespace: 'edge', listenerPorts: [0] })).toThrow(/invalid listenerPorts 0/);
    expect(() => PlatformComponent.falco({ driver: 'ebpf' as FalcoDriver })).toThrow(/invalid driver "ebpf": must be a FalcoDriver \(FalcoDriver.AUTO = "auto"/);
  });

  test.each(ENGINES)('%s: an AccessProxy declares the gateway pods istiod deploys for it, and they pass the pack in ENFORCE (a changed image does not)', engine => {
    // GIVEN an app with an AccessProxy, the pack in ENFORCE and no platform declared by hand
    const chart = new Chart(Testing.app(), 'edge-app');
    new ZeroTrustPolicyPack(chart, 'pack', { engine, mode: PolicyMode.ENFORCE, allowedRegistries: ['ghcr.io/acme/'], systemNamespaces: ['kube-system'] });
    const edge = new ZeroTrustNamespace(chart, 'edge', { name: 'edge' });
    const proxy = new AccessProxy(chart, 'access-proxy', {
      namespace: edge,
      hostnames: ['shop.example.com'],
      tlsSecretName: 'shop-tls',
      jwt: { issuer: 'https://login.example.com', jwksUri: 'https://login.example.com/.well-known/jwks.json', audiences: ['shop'] },
    });
    // THEN the gateway is a platform component of the app, with the pod istiod 1.30's kube-gateway template renders
    expect(PlatformComponents.of(chart).map(c => c.name)).toEqual(['access-proxy']);
    expect(proxy.gatewayComponent.workloads.map(w => [w.kind, w.name, w.serviceAccount, w.podLabels])).toEqual([
      ['Deployment', 'access-proxy-istio', 'access-proxy-istio', { 'gateway.networking.k8s.io/gateway-name': 'access-proxy' }],
    ]);
    const objs = synthValid(chart);
    expect(rejectedBy(engine, objs, ACCESS_PROXY_GATEWAY)).toEqual([]);
    const moved = structuredClone(ACCESS_PROXY_GATEWAY);
    moved.spec.containers[0].image = 'docker.io/evil/proxyv2:1.30.3';
    expect(rejectedBy(engine, objs, moved)).toContain('allowed-registries');
    const unpatched = structuredClone(ACCESS_PROXY_GATEWAY);
    delete unpatched.spec.securityContext.seccompProfile;
    expect(rejectedBy(engine, objs, unpatched)).toContain('seccomp-profile');
  });

  test('declaring the same component twice is idempotent; a different description of it is an error', () => {
    const chart = Testing.chart();
    const components = new PlatformComponents(chart, 'components', { egress: false });
    components.add(PlatformComponent.falco());
    components.add(PlatformComponent.falco());
    expect(components.components).toHaveLength(1);
    expect(IntentGraph.of(chart).privilegedWorkloads.filter(w => w.privileges.includes(Privilege.PRIVILEGED_CONTAINER)).map(w => w.containers))
      .toEqual([['falco-driver-loader'], ['falco']]);
    expect(() => components.add(PlatformComponent.falco({ driver: FalcoDriver.KMOD })))
      .toThrow(/\[test\/components\] invalid component "falco\/falco": test\/components already declared falco\/falco with a different description/);
    expect(() => components.add({} as PlatformComponent)).toThrow(/invalid component \{\}: must be a PlatformComponent/);
  });
});
