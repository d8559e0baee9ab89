import { Testing } from 'cdk8s';
import { MeshMode, PolicyEngine, ReferenceArchitecture } from '../../src';
import { admissionObjects, gatekeeperReview, kubernetesReview, kyvernoReview } from '../support/policy-engine';
import { expectValidManifests } from '../support/schemas';
import { find, ofKind, synthAppValid } from '../support/synth';

/** The reference architecture under its own admission policy pack, for each engine (split from reference-architecture.test.ts). */
describe.each([PolicyEngine.GATEKEEPER, PolicyEngine.KYVERNO, PolicyEngine.KUBERNETES])('ReferenceArchitecture passes its own %s policy pack', engine => {
  const app = Testing.app();
  const ref = new ReferenceArchitecture(app, 'zero-trust', { policyEngine: engine });
  const manifests = synthAppValid(app);
  const review = {
    [PolicyEngine.GATEKEEPER]: gatekeeperReview, [PolicyEngine.KYVERNO]: kyvernoReview, [PolicyEngine.KUBERNETES]: kubernetesReview,
  }[engine];
  // generic: every object every chart synthesizes (later layers included) and the Pod of every pod template
  const admitted = admissionObjects(manifests);

  test('no policy rejects any object or pod, and every policy was evaluated', () => {
    const evaluated = new Set<string>();
    let pods = 0;
    for (const obj of admitted) {
      const r = review(manifests, obj);
      expect({ object: `${obj.kind}/${obj.metadata.namespace}/${obj.metadata.name}`, violations: r.violations })
        .toEqual({ object: `${obj.kind}/${obj.metadata.namespace}/${obj.metadata.name}`, violations: [] });
      r.evaluated.forEach(p => evaluated.add(p));
      if (obj.kind === 'Pod') {
        pods++;
        // admission sees the pod with the containers mutating webhooks inject before validating webhooks
        // run: Istio's sidecar in the mesh namespaces, the Vault agent where Vault injection is annotated
        const names = obj.spec.containers.map((c: any) => c.name);
        const meshNamespaces = ref.graph.namespaces.filter(n => n.meshMode === MeshMode.SIDECAR).map(n => n.namespaceName);
        if (meshNamespaces.includes(obj.metadata.namespace)) expect(names).toContain('istio-proxy');
        if (['order-service', 'payment-service'].includes(obj.metadata.name)) {
          expect(names).toContain('vault-agent');
          expect(obj.spec.initContainers.map((c: any) => c.name)).toContain('vault-agent-init');
        }
        // every pod check ran on every pod (the default-deny check is Rego-only / generate)
        expect(r.evaluated).toHaveLength(14);
      }
    }
    // the six services, the SPIRE server StatefulSet, the SPIRE agent and CSI driver DaemonSets
    expect(pods).toBe(['Deployment', 'StatefulSet', 'DaemonSet'].reduce((n, kind) => n + ofKind(manifests, kind).length, 0));
    expect(pods).toBe(11); // 9 + the ambient namespace insights' two services
    expect(pods).toBeGreaterThan(0);
    // the pod checks, the PeerAuthentication check and the Namespace check
    expect(evaluated.size).toBe(16);
  });

  test('the pack enforces, allows the reference registry (and the repositories of the app\'s own images) and polices every namespace but the system ones', () => {
    expect(ref.policyPack.engine).toBe(engine);
    expect(ref.policyPack.allowedRegistries).toEqual(['ghcr.io/cdk8s-zero-trust/demo/']);
    expect(ref.policyPack.systemNamespaces).toEqual({
      [PolicyEngine.GATEKEEPER]: ['gatekeeper-system', 'kube-system'], [PolicyEngine.KYVERNO]: ['kube-system', 'kyverno'], [PolicyEngine.KUBERNETES]: ['kube-system'],
    }[engine]);
    if (engine === PolicyEngine.GATEKEEPER) {
      const constraints = manifests.filter(m => m.apiVersion.startsWith('constraints.gatekeeper.sh/'));
      expect(new Set(constraints.map(c => c.spec.enforcementAction))).toEqual(new Set(['deny']));
      // every image the app deploys is admitted by the registry prefix or by its exact repository
      expect(find(manifests, 'K8sAllowedRepos', 'zero-trust-allowed-registries').spec.parameters.repos).toEqual([
        // the declared platform components' images, exactly (Gatekeeper's hook)
        'curlimages/curl:8.20.0',
        // Falco, its falcoctl and driver loader
        'docker.io/falcosecurity/falco-driver-loader:0.44.1', 'docker.io/falcosecurity/falco:0.44.1', 'docker.io/falcosecurity/falcoctl:0.13.0',
        // istio-cni, istiod
        'docker.io/istio/install-cni:1.30.3', 'docker.io/istio/pilot:1.30.3',
        // the injected proxy, by tag or digest (also the waypoint's)
        'docker.io/istio/proxyv2:', 'docker.io/istio/proxyv2@',
        // ztunnel
        'docker.io/istio/ztunnel:1.30.3',
        // the database's image is pinned by tag and digest: only that tag
        'docker.io/library/busybox:', 'docker.io/library/postgres:17.11@', 'ghcr.io/cdk8s-zero-trust/demo/',
        // the Prometheus Operator's certificate hooks
        'ghcr.io/jkroepke/kube-webhook-certgen:1.8.7',
        'ghcr.io/spiffe/spiffe-csi-driver:', 'ghcr.io/spiffe/spire-agent:', 'ghcr.io/spiffe/spire-controller-manager:', 'ghcr.io/spiffe/spire-server:',
        // the Vault injector, exactly; the Vault agent, as the pod templates pin it for the injector
        'hashicorp/vault-k8s:1.7.6', 'hashicorp/vault:',
        // Gatekeeper
        'openpolicyagent/gatekeeper-crds:v3.23.0', 'openpolicyagent/gatekeeper:v3.23.0',
        // the Prometheus Operator
        'quay.io/prometheus-operator/prometheus-operator:v0.93.1',
        'registry.k8s.io/sig-storage/csi-node-driver-registrar:',
      ]);
    } else if (engine === PolicyEngine.KYVERNO) {
      expect(new Set(ofKind(manifests, 'ValidatingPolicy').map(p => JSON.stringify(p.spec.validationActions)))).toEqual(new Set(['["Deny"]']));
    } else {
      expect(new Set(ofKind(manifests, 'ValidatingAdmissionPolicyBinding').map(p => JSON.stringify(p.spec.validationActions)))).toEqual(new Set(['["Deny"]']));
    }
  });

  test('every enrolled namespace has the allow-nothing AuthorizationPolicy the default-deny check requires', () => {
    const enrolled = ofKind(manifests, 'Namespace').filter(n => n.metadata.labels['istio-injection'] === 'enabled'
      || n.metadata.labels['istio.io/rev'] !== undefined || n.metadata.labels['istio.io/dataplane-mode'] === 'ambient');
    expect(enrolled.map(n => n.metadata.name).sort()).toEqual(['data', 'edge', 'insights', 'production', 'web']);
    for (const ns of enrolled) {
      if (engine === PolicyEngine.GATEKEEPER) {
        // the Rego's allow_nothing(spec): ALLOW, no rules, no selector, no targetRef(s)
        const allowNothing = ofKind(manifests, 'AuthorizationPolicy').filter(p => p.metadata.namespace === ns.metadata.name
          && (p.spec.action ?? 'ALLOW') === 'ALLOW' && (p.spec.rules ?? []).length === 0 && !p.spec.selector && !p.spec.targetRef && !p.spec.targetRefs);
        expect(allowNothing).toHaveLength(1);
        // the edge namespace's only pods are the gateway's, which Istio deploys from the Gateway
        const pod = admitted.find(o => o.kind === 'Pod' && o.metadata.namespace === ns.metadata.name);
        if (pod) expect(gatekeeperReview(manifests, pod).regoOnly).toEqual(['K8sIstioDefaultDenyAuthz/zero-trust-default-deny-authorization']);
        else expect(ns.metadata.name).toBe('edge');
      } else if (engine === PolicyEngine.KYVERNO) {
        const generated = kyvernoReview(manifests, ns).generated;
        expect(generated.map(g => [g.object.metadata.namespace, g.object.spec])).toEqual([[ns.metadata.name, {}]]);
        expectValidManifests(generated.map(g => g.object));
      } else {
        // the native engine cannot read other objects: the namespace layer creates the policy itself
        expect(ofKind(manifests, 'AuthorizationPolicy').filter(p => p.metadata.namespace === ns.metadata.name && p.metadata.name === 'allow-nothing')).toHaveLength(1);
      }
    }
  });
});
