import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Chart, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import * as fc from 'fast-check';
import * as lib from '../../src';
import { GUARD_SPEC } from '../../src/intent/_guard-spec.generated';
import { guardsActive } from '../../src/intent/_guards';
import { synthCharts } from '../support/synth';

/**
 * Every public construct, driven with any value (fast-check `anything()` plus the classic wrong
 * types) in each prop of its props, one prop at a time, the others valid: the result is either
 * the library's clear error naming that prop, or a synthesis without `undefined`, `NaN` or
 * `[object Object]` in any object or output file. Never a TypeError, never a crash.
 *
 * The constructs and their props are read from the guards' own data (the jsii assembly as
 * src/intent/_guard-spec.generated.ts holds it), so a new construct or prop is driven without
 * touching this file; a new construct needs a fixture below (the first test fails until it has one).
 */
const IMAGE = 'ghcr.io/acme/app:1.0.0';
const JWT = { issuer: 'https://login.example.com', jwksUri: 'https://login.example.com/jwks.json', audiences: ['shop'] };
const ALERT = {
  name: 'HighErrorRate',
  expr: 'rate(errors_total[5m]) > 1',
  severity: lib.AlertSeverity.WARNING,
  summary: 'errors',
  description: 'too many errors',
  runbookUrl: 'https://runbooks.example.com/errors',
};
const REGO = 'package k8srequiredowner\n\nviolation[{"msg": msg}] {\n\tnot input.review.object.metadata.labels["owner"]\n\tmsg := "every object needs an owner"\n}\n';

interface Built { props: { [prop: string]: unknown }; build: (props: any) => unknown; synth?: boolean; runs?: number }
type Fixture = (app: App, chart: Chart) => Built;

function workload(chart: Chart) {
  const ns = new lib.ZeroTrustNamespace(chart, 'prod');
  const svc = new lib.MeshService(chart, 'orders', { namespace: ns, image: IMAGE, port: 8080 });
  return { ns, svc };
}
function vault(chart: Chart) {
  return new lib.VaultConnection(chart, 'vault', { address: 'https://vault.example.com' });
}

/** A valid construction of every public construct (props, then how to build it in `chart`). */
const FIXTURES: { [className: string]: Fixture } = {
  AdoptedWorkload: (_a, c) => {
    const sa = new kplus.ServiceAccount(c, 'web-sa', { metadata: { name: 'web', namespace: 'shop' }, automountToken: false });
    const web = new kplus.Deployment(c, 'web', {
      metadata: { name: 'web', namespace: 'shop' },
      serviceAccount: sa,
      automountServiceAccountToken: false,
      containers: [{ name: 'web', image: IMAGE, ports: [{ number: 8080, name: 'http-web' }], securityContext: { ensureNonRoot: true, user: 10001 } }],
    });
    return { props: { workload: web, namespace: new lib.ZeroTrustNamespace(c, 'shop') }, build: p => new lib.AdoptedWorkload(c, 'target', p) };
  },
  AccessProxy: (_a, c) => ({ props: { namespace: new lib.ZeroTrustNamespace(c, 'edge'), hostnames: ['shop.example.com'], tlsSecretName: 'tls', jwt: JWT }, build: p => new lib.AccessProxy(c, 'target', p) }),
  CiliumWorkloadPolicy: (_a, c) => {
    const { svc } = workload(c);
    svc.allowEgressTo('api.stripe.com');
    return { props: { workload: svc }, build: p => new lib.CiliumWorkloadPolicy(c, 'target', p) };
  },
  CloudPermissionPolicy: (_a, c) => ({ props: { path: 'aws/policy.json', provider: lib.CloudProvider.AWS }, build: p => new lib.CloudPermissionPolicy(c, 'target', p) }),
  CloudTrustFile: (_a, c) => ({ props: { path: 'gcp/trust.json', document: { members: ['a'] } }, build: p => new lib.CloudTrustFile(c, 'target', p) }),
  ClusterSpiffeId: (_a, c) => ({ props: { spire: new lib.SpireDeployment(c, 'spire', { clusterName: 'a' }) }, build: p => new lib.ClusterSpiffeId(c, 'target', p) }),
  Constraint: (_a, c) => ({
    props: { template: new lib.ConstraintTemplate(c, 'tpl', { kind: 'K8sRequiredOwner', rego: REGO }), name: 'require-owner', match: { kinds: [{ apiGroups: [''], kinds: ['Namespace'] }] } },
    build: p => new lib.Constraint(c, 'target', p),
  }),
  ConstraintTemplate: (_a, c) => ({ props: { kind: 'K8sRequiredOwner', rego: REGO }, build: p => new lib.ConstraintTemplate(c, 'target', p) }),
  EffectCheck: (a, c) => ({ props: { enabled: true }, build: p => { new lib.EffectCheck(a, 'EffectCheck', p); workload(c); } }),
  ExternalWorkload: (_a, c) => ({
    props: { namespace: 'ingress', podSelector: { app: 'gateway' }, serviceAccountName: 'gateway', ports: [{ port: 8443 }] },
    build: p => workload(c).svc.allowFrom(new lib.ExternalWorkload(c, 'target', p)),
  }),
  FalcoRuleSet: (_a, c) => ({ props: {}, build: p => new lib.FalcoRuleSet(c, 'target', p) }),
  IntentGraph: (a, c) => ({ props: { trustDomain: 'a.example.org' }, build: p => { new lib.IntentGraph(a, 'IntentGraph', p); workload(c); } }),
  IrsaTrustPolicy: (_a, c) => ({
    props: { path: 'aws/trust.json', partition: 'aws', accountId: '123456789012', oidcIssuer: 'oidc.eks.us-east-1.amazonaws.com/id/ABC', audience: 'sts.amazonaws.com', subject: 'system:serviceaccount:prod:orders' },
    build: p => new lib.IrsaTrustPolicy(c, 'target', p),
  }),
  MeshAccessLogging: (_a, c) => ({ props: {}, build: p => new lib.MeshAccessLogging(c, 'target', p) }),
  MeshMetricsScraping: (_a, c) => ({ props: {}, build: p => new lib.MeshMetricsScraping(c, 'target', p) }),
  MeshService: (_a, c) => ({ props: { namespace: new lib.ZeroTrustNamespace(c, 'prod'), image: IMAGE, port: 8080 }, build: p => new lib.MeshService(c, 'target', p) }),
  MeshStatefulService: (_a, c) => ({
    props: { namespace: new lib.ZeroTrustNamespace(c, 'prod'), image: IMAGE, port: 5432, volumeClaims: [{ name: 'data', mountPath: '/data', storage: Size.gibibytes(1) }] },
    build: p => new lib.MeshStatefulService(c, 'target', p),
  }),
  MetricsPodMonitor: (_a, c) => ({ props: { component: lib.MonitoredComponent.istiod() }, build: p => new lib.MetricsPodMonitor(c, 'target', p) }),
  NamespaceAccess: (_a, c) => ({ props: { namespace: new lib.ZeroTrustNamespace(c, 'prod'), groupPrefix: 'oidc:' }, build: p => (new lib.NamespaceAccess(c, 'target', p)).grantReadOnly('sre') }),
  PlatformComponents: (_a, c) => ({
    props: { apiServer: lib.ClusterPeer.kubernetesApiServer({ cni: lib.Cni.CILIUM }) }, build: p => new lib.PlatformComponents(c, 'target', p),
  }),
  PodIdentityAssociation: (_a, c) => ({
    props: { path: 'aws/association.json', clusterName: 'prod', namespace: 'prod', serviceAccount: 'orders', roleArn: 'arn:aws:iam::123456789012:role/orders' },
    build: p => new lib.PodIdentityAssociation(c, 'target', p),
  }),
  PodIdentityTrustPolicy: (_a, c) => ({
    props: { path: 'aws/pod-identity-trust.json', clusterArn: 'arn:aws:eks:us-east-1:123456789012:cluster/prod', namespace: 'prod', serviceAccount: 'orders' },
    build: p => new lib.PodIdentityTrustPolicy(c, 'target', p),
  }),
  PrometheusRules: (_a, c) => ({ props: {}, build: p => new lib.PrometheusRules(c, 'target', p).addAlert('app', ALERT) }),
  ReferenceArchitecture: (_a, c) => ({ props: {}, build: p => new lib.ReferenceArchitecture(c, 'target', p), runs: 2 }),
  RemoteWorkload: (_a, c) => ({
    props: { spiffeId: 'spiffe://b.example.org/ns/ledger/sa/ledger', ports: [{ port: 8443 }], path: { remoteCidrs: ['198.51.100.20/32'] } },
    build: p => new lib.RemoteWorkload(c, 'target', p),
  }),
  SchemaValidator: () => ({ props: {}, build: p => new lib.SchemaValidator(p), synth: false, runs: 3 }),
  SpireDeployment: (_a, c) => ({ props: { clusterName: 'a' }, build: p => new lib.SpireDeployment(c, 'target', p), runs: 4 }),
  VaultConnection: (_a, c) => ({ props: { address: 'https://vault.example.com' }, build: p => new lib.VaultConnection(c, 'target', p) }),
  VaultCsiSecrets: (_a, c) => ({
    props: { workload: workload(c).svc, vault: vault(c), secrets: [{ name: 'password', secret: lib.VaultSecret.databaseCredentials('orders'), key: 'password' }] },
    build: p => new lib.VaultCsiSecrets(c, 'target', p),
  }),
  VaultExternalSecrets: (_a, c) => ({
    props: { workload: workload(c).svc, vault: vault(c), secrets: [{ name: 'api', secret: lib.VaultSecret.kv('secret', 'production/orders/api') }] },
    build: p => new lib.VaultExternalSecrets(c, 'target', p),
  }),
  VaultInjectedDeployment: (_a, c) => ({
    props: { namespace: new lib.ZeroTrustNamespace(c, 'prod'), image: IMAGE, port: 8080, vault: vault(c), secrets: [{ name: 'db', secret: lib.VaultSecret.databaseCredentials('orders') }] },
    build: p => new lib.VaultInjectedDeployment(c, 'target', p),
  }),
  VaultKubernetesRole: (_a, c) => ({
    props: { workload: workload(c).svc, vault: vault(c), secrets: [lib.VaultSecret.kv('secret', 'production/orders/api')] },
    build: p => new lib.VaultKubernetesRole(c, 'target', p),
  }),
  ZeroTrustAlerts: (_a, c) => ({ props: {}, build: p => new lib.ZeroTrustAlerts(c, 'target', p) }),
  ZeroTrustEvidence: (a, c) => ({ props: {}, build: p => { new lib.ZeroTrustEvidence(a, 'Evidence', p); workload(c); } }),
  ZeroTrustFalcoRules: (_a, c) => ({ props: {}, build: p => new lib.ZeroTrustFalcoRules(c, 'target', p) }),
  ZeroTrustNamespace: (_a, c) => ({ props: {}, build: p => new lib.ZeroTrustNamespace(c, 'target', p) }),
  ZeroTrustPolicyPack: (_a, c) => ({ props: { engine: lib.PolicyEngine.KUBERNETES, allowedRegistries: ['ghcr.io/acme/'] }, build: p => new lib.ZeroTrustPolicyPack(c, 'target', p), runs: 4 }),
  ZeroTrustValidation: () => ({ props: { schemas: false }, build: p => new lib.ZeroTrustValidation(p).check([]), synth: false }),
};

/** The public constructs with a props parameter, and the props of each (inherited included). */
function publicConstructs(): { name: string; props: string[] }[] {
  const types: any = GUARD_SPEC;
  const propsOf = (fqn: string): string[] => {
    const t = types[fqn];
    return [...(t.properties ?? []).map((p: any) => p.name), ...(t.interfaces ?? []).flatMap(propsOf)];
  };
  return Object.values<any>(types)
    .filter(t => t.kind === 'class' && !t.abstract && t.initializer?.parameters?.at(-1)?.name === 'props')
    .map(t => ({ name: t.name, props: [...new Set(propsOf(t.initializer.parameters.at(-1).type.fqn))].sort() }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** The classic wrong types, then arbitrary values (fixed seed: reproducible). */
function samples(runs: number): unknown[] {
  return [undefined, null, 42, 'x', [], {}, true, NaN, ['x'], { x: 1 }, () => 1,
    ...fc.sample(fc.anything({ withBoxedValues: false }), { numRuns: runs, seed: 20261201 })];
}

const BAD_OUTPUT = ['undefined', 'NaN', '[object Object]'];

/**
 * An app like `Testing.app()`, in one output folder for all of them: nothing here writes into it
 * (`Testing.app()` makes a new temporary folder per app, and this file builds thousands of apps).
 */
const OUTDIR = fs.mkdtempSync(path.join(os.tmpdir(), 'guards-'));
function newApp(): App {
  return new App({ outdir: OUTDIR });
}

/** Runs one construction with `prop` replaced; returns what went wrong, or undefined. */
function drive(name: string, prop: string, value: unknown): string | undefined {
  const app = newApp();
  const chart = new Chart(app, 'c');
  const fixture = FIXTURES[name](app, chart);
  const props = { ...fixture.props, [prop]: value };
  try {
    fixture.build(props);
    if (fixture.synth === false) return undefined;
    const output = JSON.stringify(synthCharts(app))
      + lib.OutputFile.of(app).map(f => f.renderContents()).join('\n');
    const input = String(safe(value));
    const bad = BAD_OUTPUT.find(b => output.includes(b) && !input.includes(b));
    return bad === undefined ? undefined : `output holds ${bad}`;
  } catch (e) {
    const message = (e as Error)?.message ?? String(e);
    if (!(e instanceof Error) || e.constructor !== Error) return `${(e as Error)?.constructor?.name}: ${message}`;
    if (!/^\[[^\]]*\] invalid \S/.test(message)) return `not the library's error shape: ${message}`;
    if (!new RegExp(`\\b${prop}\\b`).test(message) && !message.includes('invalid props ')) return `does not name ${prop}: ${message}`;
    return undefined;
  }
}

function safe(value: unknown): string {
  try {
    return typeof value === 'function' ? 'function' : JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

describe('runtime type guards at every public construct', () => {
  const constructs = publicConstructs();

  test('the guards have their data (src/intent/_guard-spec.generated.ts, no compile needed)', () => {
    expect(guardsActive()).toBe(true);
    expect(constructs.length).toBeGreaterThan(30);
  });

  test('every public construct has a fixture here', () => {
    expect(constructs.map(c => c.name).filter(n => !FIXTURES[n])).toEqual([]);
  });

  test.each(constructs.map(c => [c.name, c.props] as [string, string[]]))('%s: any value in any prop is a clear error naming it, or valid output', (name, props) => {
    const { runs = 8 } = FIXTURES[name](newApp(), new Chart(newApp(), 'probe'));
    const problems: string[] = [];
    for (const prop of props) {
      for (const value of samples(runs)) {
        const problem = drive(name, prop, value);
        if (problem) problems.push(`${prop} = ${safe(value).slice(0, 80)}: ${problem.slice(0, 300)}`);
      }
    }
    expect(problems).toEqual([]);
  });

  test('the whole props: null, a string, an array are the clear error', () => {
    for (const { name } of constructs) {
      for (const value of [null, 'x', [1]]) {
        const app = newApp();
        const chart = new Chart(app, 'c');
        const fixture = FIXTURES[name](app, chart);
        expect(() => fixture.build(value)).toThrow(/invalid props .*must be an? \w+Props object/);
      }
    }
  });
});
