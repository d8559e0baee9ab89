import { Chart, Testing } from 'cdk8s';
import { EnforcementPoints, IntentGraph, MeshMode, PodSecurityLevel, Rollout, WaypointScope, ZeroTrustNamespace } from '../../src';
import { requireZeroTrustNamespace } from '../../src/segmentation/zero-trust-namespace';
import { find, synthValid } from '../support/synth';

describe('ZeroTrustNamespace', () => {
  test('sidecar mode (default): snapshot', () => {
    // GIVEN
    const chart = Testing.chart();
    // WHEN
    new ZeroTrustNamespace(chart, 'prod', { name: 'production' });
    // THEN
    expect(synthValid(chart)).toMatchSnapshot();
  });

  test('namespace carries restricted Pod Security and sidecar injection', () => {
    const chart = Testing.chart();
    new ZeroTrustNamespace(chart, 'prod', { name: 'production' });
    const ns = find(synthValid(chart), 'Namespace', 'production');
    expect(ns.metadata.labels).toEqual(expect.objectContaining({
      'istio-injection': 'enabled',
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/audit': 'restricted',
      'pod-security.kubernetes.io/warn': 'restricted',
      'pod-security.kubernetes.io/enforce-version': 'latest',
    }));
  });

  test('default-deny covers ingress and egress of every pod', () => {
    const chart = Testing.chart();
    new ZeroTrustNamespace(chart, 'prod', { name: 'production' });
    const deny = find(synthValid(chart), 'NetworkPolicy', 'default-deny', 'production');
    expect(deny.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
  });

  test('DNS egress: kube-dns pods only (namespace AND pod selector in one peer), UDP and TCP 53', () => {
    const chart = Testing.chart();
    new ZeroTrustNamespace(chart, 'prod', { name: 'production' });
    const dns = find(synthValid(chart), 'NetworkPolicy', 'allow-dns', 'production');
    expect(dns.spec.policyTypes).toEqual(['Egress']);
    expect(dns.spec.egress).toEqual([{
      to: [{
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
        podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
      }],
      ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }],
    }]);
  });

  test('sidecars may reach istiod on 15012 and nothing else of istio-system', () => {
    const chart = Testing.chart();
    new ZeroTrustNamespace(chart, 'prod', { name: 'production' });
    const istiod = find(synthValid(chart), 'NetworkPolicy', 'allow-istiod', 'production');
    expect(istiod.spec.egress).toEqual([{
      to: [{
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'istio-system' } },
        podSelector: { matchLabels: { istio: 'pilot' } },
      }],
      ports: [{ protocol: 'TCP', port: 15012 }],
    }]);
  });

  test('mTLS is STRICT and authorization is allow-nothing (ALLOW with an empty spec, never DENY)', () => {
    const chart = Testing.chart();
    new ZeroTrustNamespace(chart, 'prod', { name: 'production' });
    const manifests = synthValid(chart);
    const pa = find(manifests, 'PeerAuthentication', 'default', 'production');
    expect(pa.apiVersion).toBe('security.istio.io/v1');
    expect(pa.spec).toEqual({ mtls: { mode: 'STRICT' } });
    const ap = find(manifests, 'AuthorizationPolicy', 'allow-nothing', 'production');
    expect(ap.spec).toEqual({});
    expect(manifests.filter(m => m.kind === 'AuthorizationPolicy' && m.spec?.action === 'DENY')).toEqual([]);
  });

  test('ambient mode: ambient label, probe source allowed, no istiod egress', () => {
    const chart = Testing.chart();
    new ZeroTrustNamespace(chart, 'amb', { meshMode: MeshMode.AMBIENT });
    const manifests = synthValid(chart);
    expect(manifests).toMatchSnapshot();
    const ns = find(manifests, 'Namespace', 'amb');
    expect(ns.metadata.labels['istio.io/dataplane-mode']).toBe('ambient');
    expect(ns.metadata.labels['istio-injection']).toBeUndefined();
    const probes = find(manifests, 'NetworkPolicy', 'allow-ambient-probes', 'amb');
    expect(probes.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: [{ ipBlock: { cidr: '169.254.7.127/32' } }] }] });
    expect(manifests.some(m => m.metadata.name === 'allow-istiod')).toBe(false);
  });

  test('istio revision label replaces istio-injection', () => {
    const chart = Testing.chart();
    new ZeroTrustNamespace(chart, 'ns', { istioRevision: '1-30-3' });
    const ns = find(synthValid(chart), 'Namespace', 'ns');
    expect(ns.metadata.labels['istio.io/rev']).toBe('1-30-3');
    expect(ns.metadata.labels['istio-injection']).toBeUndefined();
  });

  test('custom DNS and istiod locations', () => {
    const chart = Testing.chart();
    new ZeroTrustNamespace(chart, 'ns', {
      dns: { namespace: 'dns', podLabels: { app: 'coredns' } },
      istiod: { namespace: 'istio-control', podLabels: { app: 'istiod' } },
    });
    const manifests = synthValid(chart);
    expect(find(manifests, 'NetworkPolicy', 'allow-dns').spec.egress[0].to[0]).toEqual({
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'dns' } },
      podSelector: { matchLabels: { app: 'coredns' } },
    });
    expect(find(manifests, 'NetworkPolicy', 'allow-istiod').spec.egress[0].to[0].podSelector).toEqual({ matchLabels: { app: 'istiod' } });
  });

  test('the cluster-scoped Namespace never gets the namespace of a namespaced chart', () => {
    const chart = new Chart(Testing.app(), 'apps', { namespace: 'apps' });
    new ZeroTrustNamespace(chart, 'prod', { name: 'production' });
    const manifests = synthValid(chart);
    expect(find(manifests, 'Namespace', 'production').metadata.namespace).toBeUndefined();
    expect(find(manifests, 'NetworkPolicy', 'default-deny').metadata.namespace).toBe('production');
  });

  test('every Pod Security mode and version label, from podSecurity and podSecurityVersion', () => {
    const chart = Testing.chart();
    new ZeroTrustNamespace(chart, 'ns', { podSecurity: PodSecurityLevel.BASELINE, podSecurityVersion: 'v1.32', labels: { team: 'payments' } });
    expect(find(synthValid(chart), 'Namespace', 'ns').metadata.labels).toEqual({
      'team': 'payments',
      'app.kubernetes.io/managed-by': 'cdk8s-zero-trust',
      'istio-injection': 'enabled',
      'pod-security.kubernetes.io/enforce': 'baseline',
      'pod-security.kubernetes.io/enforce-version': 'v1.32',
      'pod-security.kubernetes.io/audit': 'baseline',
      'pod-security.kubernetes.io/audit-version': 'v1.32',
      'pod-security.kubernetes.io/warn': 'baseline',
      'pod-security.kubernetes.io/warn-version': 'v1.32',
    });
  });

  test('every object is labelled managed-by and lives in the namespace', () => {
    const chart = Testing.chart();
    new ZeroTrustNamespace(chart, 'prod', { name: 'production' });
    const manifests = synthValid(chart);
    expect(manifests.map(m => [m.kind, m.metadata.name, m.metadata.namespace, m.metadata.labels['app.kubernetes.io/managed-by']])).toEqual([
      ['Namespace', 'production', undefined, 'cdk8s-zero-trust'],
      ['NetworkPolicy', 'default-deny', 'production', 'cdk8s-zero-trust'],
      ['NetworkPolicy', 'allow-dns', 'production', 'cdk8s-zero-trust'],
      ['NetworkPolicy', 'allow-istiod', 'production', 'cdk8s-zero-trust'],
      ['PeerAuthentication', 'default', 'production', 'cdk8s-zero-trust'],
      ['AuthorizationPolicy', 'allow-nothing', 'production', 'cdk8s-zero-trust'],
    ]);
  });

  test('Rollout.AUDIT: allow-nothing is a dry run and an allow-all NetworkPolicy admits every connection; ENFORCE has neither', () => {
    const chart = Testing.chart();
    const audit = new ZeroTrustNamespace(chart, 'audit', { rollout: Rollout.AUDIT });
    const enforce = new ZeroTrustNamespace(chart, 'enforce');
    expect([audit.rollout, enforce.rollout]).toEqual([Rollout.AUDIT, Rollout.ENFORCE]);
    // the other layers read the rollout from the enforcement points
    expect([audit, enforce].map(ns => EnforcementPoints.of(chart).forNamespace(ns).rollout)).toEqual([Rollout.AUDIT, Rollout.ENFORCE]);
    const manifests = synthValid(chart);
    expect(find(manifests, 'AuthorizationPolicy', 'allow-nothing', 'audit').metadata.annotations).toEqual({ 'istio.io/dry-run': 'true' });
    expect(find(manifests, 'AuthorizationPolicy', 'allow-nothing', 'enforce').metadata.annotations).toBeUndefined();
    expect(find(manifests, 'NetworkPolicy', 'audit-allow-all', 'audit').spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'], ingress: [{}], egress: [{}] });
    expect(manifests.filter(m => m.metadata.name === 'audit-allow-all').map(m => m.metadata.namespace)).toEqual(['audit']);
  });

  test('waypoint scope: NAMESPACE by default, the declared one in ambient mode', () => {
    const chart = Testing.chart();
    expect(new ZeroTrustNamespace(chart, 'a', { meshMode: MeshMode.AMBIENT }).waypointScope).toBe(WaypointScope.NAMESPACE);
    expect(new ZeroTrustNamespace(chart, 'b', { meshMode: MeshMode.AMBIENT, waypoint: WaypointScope.SERVICE }).waypointScope).toBe(WaypointScope.SERVICE);
    expect(new ZeroTrustNamespace(chart, 'c').meshMode).toBe(MeshMode.SIDECAR);
  });

  test('Istio CNI: without it only sidecar mode needs the privileged level; ambient injects no init container', () => {
    const chart = Testing.chart();
    const ns = new ZeroTrustNamespace(chart, 'amb', { meshMode: MeshMode.AMBIENT, istioCni: false });
    expect(ns.podSecurity).toBe(PodSecurityLevel.RESTRICTED);
    expect(() => new ZeroTrustNamespace(chart, 'base', { istioCni: false, podSecurity: PodSecurityLevel.BASELINE }))
      .toThrow('[test/base] invalid istioCni false: sidecar injection without the Istio CNI plugin adds the istio-init container, which needs NET_ADMIN and NET_RAW, '
        + 'and the \'baseline\' Pod Security level rejects it; install Istio with the CNI plugin (istioCni: true, recommended) or use MeshMode.AMBIENT');
  });

  test('selectorLabels, isZeroTrustNamespace and requireZeroTrustNamespace', () => {
    const chart = Testing.chart();
    const ns = new ZeroTrustNamespace(chart, 'prod', { name: 'production' });
    expect(ns.selectorLabels).toEqual({ 'kubernetes.io/metadata.name': 'production' });
    const brand = Symbol.for('cdk8s-zero-trust.ZeroTrustNamespace');
    expect([ns, null, undefined, 'production', {}, chart, { [brand]: 'yes' }].map(x => ZeroTrustNamespace.isZeroTrustNamespace(x))).toEqual([true, false, false, false, false, false, false]);
    // a namespace of another copy of the library in node_modules carries the same global brand
    expect(ZeroTrustNamespace.isZeroTrustNamespace({ [brand]: true })).toBe(true);
    expect(requireZeroTrustNamespace(chart, ns)).toBe(ns);
    const fix = 'must be a ZeroTrustNamespace: a workload outside one would run without default-deny, STRICT mTLS and Pod Security; '
      + 'create the namespace with new ZeroTrustNamespace(scope, id, { name }) and pass it as `namespace`';
    expect(() => requireZeroTrustNamespace(chart, chart)).toThrow(`[test] invalid namespace "test": ${fix}`);
    expect(() => requireZeroTrustNamespace(chart, 'production')).toThrow(`[test] invalid namespace "production": ${fix}`);
    expect(() => requireZeroTrustNamespace(chart, null)).toThrow(`[test] invalid namespace null: ${fix}`);
    expect(() => requireZeroTrustNamespace(chart, { name: 'production' })).toThrow(`[test] invalid namespace {"name":"production"}: ${fix}`);
  });

  test('layer scopes hold the objects of two namespaces apart', () => {
    const app = Testing.app();
    const [namespaces, network, mesh] = ['namespaces', 'network', 'mesh'].map(id => new Chart(app, id));
    new IntentGraph(app, 'IntentGraph', { layers: { namespaces, network, mesh } });
    const chart = new Chart(app, 'apps');
    new ZeroTrustNamespace(chart, 'a', { rollout: Rollout.AUDIT });
    new ZeroTrustNamespace(chart, 'b', { meshMode: MeshMode.AMBIENT, rollout: Rollout.AUDIT });
    const placed = (c: Chart) => Testing.synth(c).map(m => `${m.kind} ${m.metadata.namespace ?? ''}/${m.metadata.name}`).sort();
    expect(placed(namespaces)).toEqual(['Namespace /a', 'Namespace /b']);
    expect(placed(network)).toEqual([
      'NetworkPolicy a/allow-dns', 'NetworkPolicy a/allow-istiod', 'NetworkPolicy a/audit-allow-all', 'NetworkPolicy a/default-deny',
      'NetworkPolicy b/allow-ambient-probes', 'NetworkPolicy b/allow-dns', 'NetworkPolicy b/audit-allow-all', 'NetworkPolicy b/default-deny',
    ]);
    expect(placed(mesh)).toEqual(['AuthorizationPolicy a/allow-nothing', 'AuthorizationPolicy b/allow-nothing', 'PeerAuthentication a/default', 'PeerAuthentication b/default']);
    expect(Testing.synth(chart)).toEqual([]);
  });

  describe('fails on bad input, naming the path, prop, value and what is allowed', () => {
    test('throws when the name is not a DNS-1123 label', () => {
      const chart = Testing.chart();
      expect(() => new ZeroTrustNamespace(chart, 'ns', { name: 'Prod_1' }))
        .toThrow(/^\[test\/ns\] invalid name "Prod_1": must be a DNS-1123 label/);
    });

    test('throws when the construct id is used as the name and is invalid', () => {
      const chart = Testing.chart();
      expect(() => new ZeroTrustNamespace(chart, 'Production')).toThrow(/\[test\/Production\] invalid name "Production"/);
    });

    test('throws when a namespace is defined twice', () => {
      const chart = Testing.chart();
      new ZeroTrustNamespace(chart, 'a', { name: 'shared' });
      expect(() => new ZeroTrustNamespace(chart, 'b', { name: 'shared' }))
        .toThrow(/\[test\/b\] invalid name "shared": test\/a already defines this namespace/);
    });

    test('throws when sidecar injection without Istio CNI meets a restricted namespace', () => {
      const chart = Testing.chart();
      expect(() => new ZeroTrustNamespace(chart, 'ns', { istioCni: false }))
        .toThrow(/\[test\/ns\] invalid istioCni false: sidecar injection without the Istio CNI plugin .* NET_ADMIN and NET_RAW.*'restricted'.*install Istio with the CNI plugin/);
    });

    test('sidecar injection without Istio CNI is accepted in a privileged namespace', () => {
      const chart = Testing.chart();
      new ZeroTrustNamespace(chart, 'ns', { istioCni: false, podSecurity: PodSecurityLevel.PRIVILEGED });
      expect(find(synthValid(chart), 'Namespace', 'ns').metadata.labels['pod-security.kubernetes.io/enforce']).toBe('privileged');
    });

    test('throws when an istio revision is given in ambient mode', () => {
      const chart = Testing.chart();
      expect(() => new ZeroTrustNamespace(chart, 'ns', { meshMode: MeshMode.AMBIENT, istioRevision: 'canary' }))
        .toThrow(/\[test\/ns\] invalid istioRevision "canary": applies to sidecar injection only/);
    });

    test('throws on an unknown mesh mode or Pod Security level', () => {
      const chart = Testing.chart();
      expect(() => new ZeroTrustNamespace(chart, 'a', { meshMode: 'gateway' as MeshMode })).toThrow(/invalid meshMode "gateway": must be a MeshMode \(MeshMode.SIDECAR = "sidecar", MeshMode.AMBIENT = "ambient"\)/);
      expect(() => new ZeroTrustNamespace(chart, 'b', { podSecurity: 'strict' as PodSecurityLevel })).toThrow(/invalid podSecurity "strict": must be a PodSecurityLevel \(PodSecurityLevel.RESTRICTED = "restricted", PodSecurityLevel.BASELINE = "baseline", PodSecurityLevel.PRIVILEGED = "privileged"\)/);
    });

    test.each(['1.27', 'v1.', 'v1.x', 'v2.27', 'v1.27 ', 'xlatest', 'latest1', 'Latest', ''])('throws on the Pod Security version %p', version => {
      expect(() => new ZeroTrustNamespace(Testing.chart(), 'ns', { podSecurityVersion: version }))
        .toThrow(`[test/ns] invalid podSecurityVersion ${JSON.stringify(version)}: must be 'latest' or 'v1.<minor>' (for example 'v1.27')`);
    });

    test('throws on an unknown rollout or waypoint scope, and on a waypoint in sidecar mode', () => {
      const chart = Testing.chart();
      expect(() => new ZeroTrustNamespace(chart, 'a', { rollout: 'dry-run' as Rollout })).toThrow(/^\[test\/a\] invalid rollout "dry-run": must be a Rollout \(Rollout.ENFORCE = "enforce", Rollout.AUDIT = "audit"\)/);
      expect(() => new ZeroTrustNamespace(chart, 'b', { meshMode: MeshMode.AMBIENT, waypoint: 'pod' as WaypointScope })).toThrow(/^\[test\/b\] invalid waypoint "pod": must be a WaypointScope \(/);
      expect(() => new ZeroTrustNamespace(chart, 'c', { waypoint: WaypointScope.NONE }))
        .toThrow('[test/c] invalid waypoint "none": applies to ambient namespaces only; in sidecar mode each pod\'s sidecar enforces L7; remove waypoint or use MeshMode.AMBIENT');
    });

    test('throws on an istio revision that is not a DNS-1123 label, and names the fix for one in ambient mode', () => {
      const chart = Testing.chart();
      expect(() => new ZeroTrustNamespace(chart, 'a', { istioRevision: '1.30.3' })).toThrow(/^\[test\/a\] invalid istioRevision "1.30.3": must be a DNS-1123 label/);
      expect(() => new ZeroTrustNamespace(chart, 'b', { meshMode: MeshMode.AMBIENT, istioRevision: 'canary' }))
        .toThrow('[test/b] invalid istioRevision "canary": applies to sidecar injection only; ambient namespaces are not injected; remove istioRevision or use MeshMode.SIDECAR');
    });

    test('throws on a bad DNS or istiod location, or an empty pod selector (it would open the port to the whole namespace)', () => {
      const chart = Testing.chart();
      expect(() => new ZeroTrustNamespace(chart, 'a', { dns: { namespace: 'Kube_System' } })).toThrow(/^\[test\/a\] invalid dns\.namespace "Kube_System": must be a DNS-1123 label/);
      expect(() => new ZeroTrustNamespace(chart, 'b', { dns: { podLabels: {} } })).toThrow(/^\[test\/b\] invalid dns\.podLabels \{\}/);
      expect(() => new ZeroTrustNamespace(chart, 'c', { istiod: { namespace: 'istio system' } })).toThrow(/^\[test\/c\] invalid istiod\.namespace "istio system": must be a DNS-1123 label/);
      expect(() => new ZeroTrustNamespace(chart, 'd', { istiod: { podLabels: {} } })).toThrow(/^\[test\/d\] invalid istiod\.podLabels \{\}/);
      expect(() => new ZeroTrustNamespace(chart, 'e', { istiod: { podLabels: { 'app]': 'istiod' } } })).toThrow(/^\[test\/e\] invalid istiod\.podLabels key "app\]"/);
    });

    test('throws on a malformed Pod Security version', () => {
      const chart = Testing.chart();
      expect(() => new ZeroTrustNamespace(chart, 'ns', { podSecurityVersion: '1.27' })).toThrow(/invalid podSecurityVersion "1.27": must be 'latest' or 'v1.<minor>'/);
    });

    test('throws when labels would override the mesh enrolment, Pod Security or managed-by labels the library writes', () => {
      const chart = Testing.chart();
      // istio-injection: disabled beside istio.io/rev wins in Istio: STRICT mTLS with nothing enforcing it
      expect(() => new ZeroTrustNamespace(chart, 'a', { istioRevision: '1-30-3', labels: { 'istio-injection': 'disabled' } }))
        .toThrow(/^\[test\/a\] invalid labels\["istio-injection"\] "disabled": conflicts with the label istio\.io\/rev the library writes .*remove it from labels/);
      expect(() => new ZeroTrustNamespace(chart, 'b', { labels: { 'istio-injection': 'disabled' } })).toThrow('[test/b] invalid labels["istio-injection"] "disabled": is a label the library writes '
        + '(mesh enrolment, Pod Security and managed-by follow meshMode, istioRevision and podSecurity), and a user value would override it; '
        + 'remove it from labels and use the construct\'s own prop instead');
      expect(() => new ZeroTrustNamespace(chart, 'c', { labels: { 'pod-security.kubernetes.io/enforce': 'privileged' } })).toThrow(/invalid labels\["pod-security\.kubernetes\.io\/enforce"\]/);
      expect(() => new ZeroTrustNamespace(chart, 'd', { labels: { 'pod-security.kubernetes.io/enforce-version': 'v1.20' } })).toThrow(/invalid labels\["pod-security/);
      expect(() => new ZeroTrustNamespace(chart, 'e', { labels: { 'app.kubernetes.io/managed-by': 'Helm' } })).toThrow(/invalid labels\["app\.kubernetes\.io\/managed-by"\]/);
      expect(() => new ZeroTrustNamespace(chart, 'f', { meshMode: MeshMode.AMBIENT, labels: { 'istio-injection': 'enabled' } })).toThrow(/conflicts with the label istio\.io\/dataplane-mode/);
      // other labels are kept
      const ns = new ZeroTrustNamespace(chart, 'g', { labels: { team: 'payments' } });
      expect(ns.namespace.metadata.getLabel('team')).toBe('payments');
    });

    test('throws on labels that are not Kubernetes labels', () => {
      const chart = Testing.chart();
      expect(() => new ZeroTrustNamespace(chart, 'a', { labels: { 'team name': 'x' } })).toThrow(/^\[test\/a\] invalid labels key "team name": is not a Kubernetes label key/);
      expect(() => new ZeroTrustNamespace(chart, 'b', { labels: { team: 'a"b' } })).toThrow(/invalid labels\["team"\] "a\\"b": is not a Kubernetes label value/);
      expect(() => new ZeroTrustNamespace(chart, 'c', { labels: { team: 'x'.repeat(64) } })).toThrow(/is not a Kubernetes label value/);
      expect(() => new ZeroTrustNamespace(chart, 'd', { dns: { podLabels: { 'k8s-app]': 'kube-dns' } } })).toThrow(/invalid dns\.podLabels key "k8s-app\]"/);
    });
  });
});
