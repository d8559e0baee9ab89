import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'cdk8s';
import { ValidationContext } from 'cdk8s-cli/plugins';
import { parse } from 'yaml';
import { ReferenceArchitecture, Synthesis, ZeroTrustValidation } from '../../src';

function tmp(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Runs the plugin the way cdk8s-cli does and returns the report as JSON. */
async function runPlugin(plugin: ZeroTrustValidation, manifests: string[]): Promise<{ json: any; text: string; logs: string[] }> {
  const context = new ValidationContext(manifests, 'cdk8s-zero-trust', '0.0.0');
  const logs: string[] = [];
  (context.logger as any).log = (m: string) => logs.push(m);
  await plugin.validate(context);
  return { json: context.report.toJson(), text: context.report.toString(), logs };
}

/** A Deployment as a typical Helm chart renders it: root, writable, no limits, `latest`. */
const HELM_DEPLOYMENT = `---
# Source: web/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: release-web
  namespace: shop
  labels: { app.kubernetes.io/managed-by: Helm }
spec:
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
        - name: web
          image: nginx:latest
          ports: [{ containerPort: 80 }]
`;

describe('ZeroTrustValidation (cdk8s-cli plugin)', () => {
  test('the reference architecture passes with exactly the suppressions of cdk8s.yaml', async () => {
    // GIVEN the repository's cdk8s.yaml declaration
    const config = parse(fs.readFileSync(path.join(__dirname, '..', '..', 'cdk8s.yaml'), 'utf8'));
    const declared = config.validations.find((v: any) => v.class === 'ZeroTrustValidation');
    const app = new App({ outdir: tmp('validate-reference-') });
    new ReferenceArchitecture(app, 'zero-trust');
    const { manifests } = Synthesis.synth(app);
    // WHEN
    const { json, logs } = await runPlugin(new ZeroTrustValidation(declared.properties), manifests.map(m => path.join(app.outdir, m)));
    // THEN
    expect(json.violations).toEqual([]);
    expect(json.summary.status).toBe('success');
    expect(json.summary.metadata).toEqual(expect.objectContaining({ errors: '0', warnings: '0', suppressed: '16' }));
    expect(json.summary.metadata.schemas).toMatch(/^Kubernetes v1\.32\.0, v1\.35\.0 and CRDs from the schemas shipped in cdk8s-zero-trust/);
    // every suppression is used, and only on the declared privileged SPIRE workloads
    expect(logs).toHaveLength(16);
    expect(logs.every(l => /^suppressed \S+ on (DaemonSet\/spire-system\/(spire-agent|spiffe-csi-driver)|StatefulSet\/spire-server\/spire-server) /.test(l))).toBe(true);
    // without them, the validation fails on exactly those findings
    const bare = await runPlugin(new ZeroTrustValidation(), manifests.map(m => path.join(app.outdir, m)));
    expect(bare.json.summary.status).toBe('failure');
    expect(bare.json.violations.map((v: any) => v.ruleName).sort()).toEqual([
      'drop-all-capabilities [error]', 'host-namespaces [error]', 'host-path-volumes [error]', 'privilege-escalation [error]',
      'privileged-containers [error]', 'run-as-non-root [error]', 'service-account-token [warning]',
    ]);
  });

  test('Helm output the library did not produce: each broken rule is a violation with locations, the report fails', async () => {
    const dir = tmp('validate-helm-');
    const file = path.join(dir, 'web.yaml');
    fs.writeFileSync(file, HELM_DEPLOYMENT);
    const { json, text } = await runPlugin(new ZeroTrustValidation(), [file]);
    expect(json.summary.status).toBe('failure');
    const byRule = Object.fromEntries(json.violations.map((v: any) => [v.ruleName, v]));
    expect(Object.keys(byRule).sort()).toEqual([
      'dedicated-service-account [error]', 'drop-all-capabilities [error]', 'image-pinned [error]', 'privilege-escalation [error]',
      'read-only-root-filesystem [error]', 'resource-limits [warning]', 'run-as-non-root [error]', 'seccomp-profile [error]',
      'service-account-token [warning]',
    ]);
    expect(byRule['image-pinned [error]']).toEqual({
      ruleName: 'image-pinned [error]',
      recommendation: expect.stringMatching(/what runs must be what was reviewed/),
      fix: expect.stringMatching(/pin every image/),
      violatingConstructs: [{
        resourceName: 'release-web',
        manifestPath: file,
        constructPath: undefined,
        locations: ['Deployment/shop/release-web /spec/template/spec/containers/0/image: container web image "nginx:latest" is tagged latest'],
      }],
    });
    expect(json.summary.metadata).toEqual(expect.objectContaining({ errors: '7', warnings: '2', suppressed: '0' }));
    expect(text).toContain('Validation Report (cdk8s-zero-trust@0.0.0)');
  });

  test('schema errors (unknown fields, wrong types) are violations of rule `schema`', async () => {
    const dir = tmp('validate-schema-');
    const file = path.join(dir, 'bad.yaml');
    fs.writeFileSync(file, [
      'apiVersion: v1\nkind: Namespace\nmetadata: { name: shop }\nspec: { finalizers: [kubernetes] }\nstatuss: {}',
      'apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: { name: default, namespace: shop }\nspec: { mtls: { mode: STRICT, strict: true } }',
    ].join('\n---\n'));
    const { json } = await runPlugin(new ZeroTrustValidation(), [file]);
    const schema = json.violations.find((v: any) => v.ruleName === 'schema [error]');
    expect(schema.violatingConstructs.flatMap((c: any) => c.locations)).toEqual([
      expect.stringMatching(/^Namespace\/shop \/: \[k8s v1\.32\.0 \+ k8s v1\.35\.0\] \/: must NOT have additional properties: unknown field "statuss"$/),
      expect.stringMatching(/^PeerAuthentication\/shop\/default \/spec\/mtls: \[crd istio\/istio-crds\.yaml security\.istio\.io\/v1 PeerAuthentication\] \/spec\/mtls: must NOT have additional properties: unknown field "strict"$/),
    ]);
  });

  test('suppressions need a known rule and a reason; they match Kind/namespace/name patterns', async () => {
    expect(() => new ZeroTrustValidation({ suppressions: [{ rule: 'run-as-root', reason: 'x' }] })).toThrow(/suppressions\[0\]: rule "run-as-root" is not one of schema, privileged-containers/);
    expect(() => new ZeroTrustValidation({ suppressions: [{ rule: 'image-pinned', reason: ' ' }] })).toThrow(/needs a reason/);
    expect(() => new ZeroTrustValidation({ suppressions: [{ rule: 'image-pinned', resources: ['web'], reason: 'r' }] })).toThrow(/must be Kind\/namespace\/name or Kind\/name/);
    const dir = tmp('validate-suppress-');
    const file = path.join(dir, 'web.yaml');
    fs.writeFileSync(file, HELM_DEPLOYMENT);
    const plugin = new ZeroTrustValidation({
      schemas: false,
      suppressions: [
        { rule: 'image-pinned', resources: ['Deployment/shop/release-*'], reason: 'the chart pins by digest at deploy time (ticket OPS-7)' },
        { rule: 'image-pinned', resources: ['Deployment/other/*'], reason: 'not this one' },
      ],
    });
    const findings = plugin.check(parse(HELM_DEPLOYMENT) ? [parse(HELM_DEPLOYMENT)] : []);
    expect(findings.find(f => f.rule === 'image-pinned')?.suppressedBecause).toBe('the chart pins by digest at deploy time (ticket OPS-7)');
    const { json, logs } = await runPlugin(plugin, [file]);
    expect(json.violations.map((v: any) => v.ruleName)).not.toContain('image-pinned [error]');
    expect(logs).toEqual(['suppressed image-pinned on Deployment/shop/release-web /spec/template/spec/containers/0/image: the chart pins by digest at deploy time (ticket OPS-7)']);
  });

  test('warnings fail only with failOnWarnings', async () => {
    const dir = tmp('validate-warn-');
    const file = path.join(dir, 'sa.yaml');
    const hardened = HELM_DEPLOYMENT.replace('      containers:', [
      '      serviceAccountName: web',
      '      securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: RuntimeDefault } }',
      '      containers:',
    ].join('\n')).replace('image: nginx:latest', 'image: nginx:1.27.3\n          securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: [ALL] } }');
    fs.writeFileSync(file, hardened);
    const lenient = await runPlugin(new ZeroTrustValidation(), [file]);
    expect(lenient.json.violations.map((v: any) => v.ruleName)).toEqual(['resource-limits [warning]', 'service-account-token [warning]']);
    expect(lenient.json.summary.status).toBe('success');
    expect((await runPlugin(new ZeroTrustValidation({ failOnWarnings: true }), [file])).json.summary.status).toBe('failure');
  });
});
