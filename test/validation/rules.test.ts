import { ZeroTrustValidation } from '../../src';

/** A compliant Deployment: every posture rule passes on it. */
function deployment(patch: (d: any) => void = () => {}): any {
  const d: any = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'shop' },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          serviceAccountName: 'web',
          automountServiceAccountToken: false,
          securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [{
            name: 'web',
            image: 'ghcr.io/acme/web:1.0.0',
            resources: { limits: { cpu: '500m', memory: '256Mi' } },
            securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
          }],
        },
      },
    },
  };
  patch(d);
  return d;
}

const pod = (d: any) => d.spec.template.spec;
const container = (d: any) => d.spec.template.spec.containers[0];

/** The findings of one rule on some objects (schemas off: posture rules only). */
function findings(rule: string, objects: any[]): Array<{ resource: string; location: string; severity: string }> {
  return new ZeroTrustValidation({ schemas: false }).check(objects).filter(f => f.rule === rule)
    .map(f => ({ resource: f.resource, location: f.location, severity: f.severity }));
}

const WORKLOAD_RULES: Array<[string, string, (d: any) => void, string]> = [
  ['privileged-containers', 'error', d => { container(d).securityContext.privileged = true; }, '/containers/0/securityContext/privileged'],
  ['privilege-escalation', 'error', d => { delete container(d).securityContext.allowPrivilegeEscalation; }, '/containers/0/securityContext/allowPrivilegeEscalation'],
  ['run-as-non-root', 'error', d => { pod(d).securityContext.runAsUser = 0; }, '/containers/0/securityContext/runAsUser'],
  ['drop-all-capabilities', 'error', d => { container(d).securityContext.capabilities = { drop: ['NET_RAW'] }; }, '/containers/0/securityContext/capabilities/drop'],
  ['read-only-root-filesystem', 'error', d => { container(d).securityContext.readOnlyRootFilesystem = false; }, '/containers/0/securityContext/readOnlyRootFilesystem'],
  ['seccomp-profile', 'error', d => { pod(d).securityContext.seccompProfile = { type: 'Unconfined' }; }, '/containers/0/securityContext/seccompProfile'],
  ['resource-limits', 'warning', d => { delete container(d).resources.limits.memory; }, '/containers/0/resources/limits'],
  ['host-namespaces', 'error', d => { pod(d).hostPID = true; }, '/hostPID'],
  ['host-path-volumes', 'error', d => { pod(d).volumes = [{ name: 'sock', hostPath: { path: '/var/run/docker.sock' } }]; }, '/volumes/0/hostPath'],
  ['dedicated-service-account', 'error', d => { pod(d).serviceAccountName = 'default'; }, '/serviceAccountName'],
  ['service-account-token', 'warning', d => { delete pod(d).automountServiceAccountToken; }, '/automountServiceAccountToken'],
  ['image-pinned', 'error', d => { container(d).image = 'nginx'; }, '/containers/0/image'],
];

describe('posture rules', () => {
  test('a hardened Deployment passes every rule', () => {
    expect(new ZeroTrustValidation({ schemas: false }).check([deployment()])).toEqual([]);
  });

  test.each(WORKLOAD_RULES)('%s (%s): fails on the changed field, passes without the change', (rule, severity, patch, location) => {
    expect(findings(rule, [deployment()])).toEqual([]);
    expect(findings(rule, [deployment(patch)])).toEqual([{ resource: 'Deployment/shop/web', location: `/spec/template/spec${location}`, severity }]);
  });

  test('rules read every pod template: Pod, CronJob, init containers', () => {
    const cron = { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'job', namespace: 'shop' }, spec: { jobTemplate: { spec: { template: { spec: pod(deployment()) } } } } };
    const bare = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'shop' }, spec: { ...pod(deployment()), initContainers: [{ name: 'init', image: 'busybox:latest' }] } };
    expect(findings('image-pinned', [cron, bare])).toEqual([{ resource: 'Pod/shop/p', location: '/spec/initContainers/0/image', severity: 'error' }]);
    expect(findings('privilege-escalation', [bare]).map(f => f.location)).toEqual(['/spec/initContainers/0/securityContext/allowPrivilegeEscalation']);
  });

  test('run-as-non-root: runAsNonRoot must be true for the container or the pod', () => {
    expect(findings('run-as-non-root', [deployment(d => { delete pod(d).securityContext.runAsNonRoot; })]).map(f => f.location))
      .toEqual(['/spec/template/spec/containers/0/securityContext/runAsNonRoot']);
  });

  test('service-account-token: a ServiceAccount that disables automount is enough', () => {
    const d = deployment(x => { delete pod(x).automountServiceAccountToken; });
    const sa = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'web', namespace: 'shop' }, automountServiceAccountToken: false };
    expect(findings('service-account-token', [d, sa])).toEqual([]);
    expect(findings('service-account-token', [d, { ...sa, metadata: { name: 'web', namespace: 'other' } }])).toHaveLength(1);
  });

  test('image-pinned: digests and version tags pass, registry ports are not tags', () => {
    for (const image of ['nginx@sha256:abc', 'registry:5000/team/app:1.2', 'ghcr.io/acme/web:1.0.0']) {
      expect(findings('image-pinned', [deployment(d => { container(d).image = image; })])).toEqual([]);
    }
    expect(findings('image-pinned', [deployment(d => { container(d).image = 'registry:5000/team/app'; })])).toHaveLength(1);
  });

  test('no-secret-values: a Secret with data fails, one without values passes', () => {
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: 'shop' }, stringData: { password: 'hunter2' } };
    expect(findings('no-secret-values', [secret])).toEqual([{ resource: 'Secret/shop/db', location: '/stringData', severity: 'error' }]);
    expect(findings('no-secret-values', [{ ...secret, stringData: {} }])).toEqual([]);
  });

  describe('strict-mtls', () => {
    const pa = (spec: any) => ({ apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'default', namespace: 'shop' }, spec });
    test('fails on PERMISSIVE and DISABLE, also per port; passes STRICT', () => {
      expect(findings('strict-mtls', [pa({ mtls: { mode: 'STRICT' }, portLevelMtls: { 8080: { mode: 'STRICT' } } })])).toEqual([]);
      expect(findings('strict-mtls', [pa({ mtls: { mode: 'PERMISSIVE' } })]).map(f => f.location)).toEqual(['/spec/mtls/mode']);
      expect(findings('strict-mtls', [pa({ mtls: { mode: 'STRICT' }, portLevelMtls: { 8080: { mode: 'DISABLE' } } })]).map(f => f.location)).toEqual(['/spec/portLevelMtls/8080/mode']);
    });
  });

  describe('authorization-deny-trap', () => {
    const ap = (spec: any) => ({ apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'deny', namespace: 'shop' }, spec });
    test('fails on DENY with an empty rule and on DENY without rules; passes allow-nothing and real DENY rules', () => {
      expect(findings('authorization-deny-trap', [ap({ action: 'DENY', rules: [{}] })]).map(f => f.location)).toEqual(['/spec/rules/0']);
      expect(findings('authorization-deny-trap', [ap({ action: 'DENY' })]).map(f => f.location)).toEqual(['/spec/rules']);
      expect(findings('authorization-deny-trap', [ap({}), ap({ action: 'DENY', rules: [{ to: [{ operation: { paths: ['/admin/*'] } }] }] })])).toEqual([]);
    });
  });

  describe('namespace-default-deny', () => {
    const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } };
    const np = (policyTypes: string[], extra: any = {}) => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'deny', namespace: 'shop' }, spec: { podSelector: {}, policyTypes, ...extra } });
    test('a Namespace needs a policy selecting every pod that denies ingress and egress', () => {
      expect(findings('namespace-default-deny', [ns, np(['Ingress', 'Egress'])])).toEqual([]);
      expect(findings('namespace-default-deny', [ns])).toEqual([{ resource: 'Namespace/shop', location: '/metadata/name', severity: 'error' }]);
      // an ingress rule opens the namespace: it is not a default deny
      expect(findings('namespace-default-deny', [ns, np(['Ingress', 'Egress'], { ingress: [{}] })])).toHaveLength(1);
      expect(findings('namespace-default-deny', [ns, np(['Ingress'])])).toHaveLength(1);
      expect(findings('namespace-default-deny', [{ ...ns, metadata: { name: 'kube-system' } }])).toEqual([]);
    });
  });

  test('every rule id is a file of src/validation/rules and has a failing fixture above', () => {
    const tested = new Set([...WORKLOAD_RULES.map(r => r[0]), 'no-secret-values', 'strict-mtls', 'authorization-deny-trap', 'namespace-default-deny']);
    expect(ZeroTrustValidation.RULE_IDS.filter(id => id !== 'schema').sort()).toEqual([...tested].sort());
  });
});
