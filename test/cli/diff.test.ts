import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject, App, Chart, JsonPatch } from 'cdk8s';
import { AppProtocol, MeshService, Synthesis, ZeroTrustNamespace } from '../../src';
import { exemptions, privileges } from '../../src/cli/_diff';
import { run } from '../../src/cli/main';

interface Variant {
  readonly postToo?: boolean;
  readonly dbCall?: boolean;
  readonly egress?: boolean;
  readonly privileged?: boolean;
  readonly newAccount?: boolean;
  readonly dropCall?: boolean;
}

/** A small app synthesized into a fresh folder: web/frontend -> shop/api (GET /api/*) -> data/db. */
function synth(v: Variant = {}): string {
  const outdir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'diff-')), 'dist');
  const app = new App({ outdir });
  const chart = new Chart(app, 'app');
  const web = new ZeroTrustNamespace(chart, 'web');
  const shop = new ZeroTrustNamespace(chart, 'shop');
  const data = new ZeroTrustNamespace(chart, 'data');
  const frontend = new MeshService(chart, 'frontend', { namespace: web, image: 'ghcr.io/acme/frontend:1', port: 8080 });
  const api = new MeshService(chart, 'api', { namespace: shop, image: 'ghcr.io/acme/api:1', port: 8080, ...v.newAccount ? { serviceAccountName: 'api-v2' } : {} });
  const db = new MeshService(chart, 'db', { namespace: data, image: 'ghcr.io/acme/db:1', port: 5432, protocol: AppProtocol.TCP });
  if (!v.dropCall) api.allowFrom(frontend, { methods: v.postToo ? ['GET', 'POST'] : ['GET'], paths: ['/api/*'] });
  db.allowFrom(api);
  if (v.dbCall) db.allowFrom(frontend);
  if (v.egress) api.allowEgressTo('api.stripe.com');
  if (v.privileged) ApiObject.of(api.deployment).addJsonPatch(JsonPatch.add('/spec/template/spec/containers/0/securityContext/capabilities/add', ['NET_ADMIN']));
  Synthesis.synth(app);
  return outdir;
}

describe('cdk8s-zero-trust diff', () => {
  const base = synth();

  test('no change: "No change", exit code 0', () => {
    const { code, stdout } = run(['diff', base, synth()]);
    expect(stdout).toContain('No change in what the objects allow.');
    expect(code).toBe(0);
  });

  test('a widening change: calls added and widened, egress opened, identity changed, privilege added; exit code 1', () => {
    const after = synth({ postToo: true, dbCall: true, egress: true, privileged: true, newAccount: true });
    const { code, stdout } = run(['diff', base, after]);
    expect(code).toBe(1);
    expect(stdout).toContain('**This change widens access.**');
    expect(stdout).toMatch(/### \*\*Calls added\*\* \(1\)\n\n- `web\/frontend\[Deployment\] -> data\/db\[Deployment\]`: TCP 5432/);
    expect(stdout).toMatch(/### \*\*Calls widened\*\*[^\n]*\n\n- `web\/frontend\[Deployment\] -> shop\/api\[Deployment\]`: now also TCP 8080 POST \/api\/zz/);
    expect(stdout).toMatch(/### \*\*Egress opened\*\*[^#]*shop\/api\[Deployment\]` → api\.stripe\.com:443 \(ServiceEntry, sidecar\)/);
    expect(stdout).toMatch(/### \*\*Identities changed\*\*[^#]*`shop\/api\[Deployment\]`: runs as ServiceAccount `api-v2` \(was `api`\): principal cluster.local\/ns\/shop\/sa\/api-v2/);
    expect(stdout).toMatch(/### \*\*Privileges added\*\*[^#]*Deployment shop\/api container app: capability NET_ADMIN/);
  });

  test('a narrowing change: calls removed, exit code 0 (1 with --fail-on any)', () => {
    const after = synth({ dropCall: true });
    const narrowed = run(['diff', base, after]);
    expect(narrowed.stdout).toContain('This change only narrows access.');
    expect(narrowed.stdout).toMatch(/### Calls removed \(1\)\n\n- `web\/frontend\[Deployment\] -> shop\/api\[Deployment\]`: TCP 8080/);
    expect(narrowed.code).toBe(0);
    expect(run(['diff', base, after, '--fail-on', 'any']).code).toBe(1);
    expect(run(['diff', after, base, '--fail-on', 'never']).code).toBe(0);
    expect(run(['diff', base, after, '--fail-on', 'sometimes']).code).toBe(2);
  });

  test('privileges and exemptions are read per container and per admission object', () => {
    expect(privileges([{
      kind: 'DaemonSet',
      metadata: { name: 'agent', namespace: 'spire' },
      spec: {
        template: {
          spec: {
            hostPID: true,
            volumes: [{ name: 'sock', hostPath: { path: '/run/spire' } }],
            containers: [{ name: 'agent', securityContext: { privileged: true, runAsUser: 0 } }],
          },
        },
      },
    }])).toEqual([
      'DaemonSet spire/agent container agent: privileged', 'DaemonSet spire/agent container agent: runs as root', 'DaemonSet spire/agent: hostPID', 'DaemonSet spire/agent: hostPath /run/spire',
    ]);
    expect(exemptions([{
      apiVersion: 'constraints.gatekeeper.sh/v1beta1',
      kind: 'K8sPSPPrivileged',
      metadata: { name: 'no-privileged' },
      spec: { match: { excludedNamespaces: ['kube-system'] }, parameters: { exemptImages: ['ghcr.io/spiffe/spire-agent:1.15.0'] } },
    }]))
      .toEqual(['K8sPSPPrivileged no-privileged: exemptImages ghcr.io/spiffe/spire-agent:1.15.0', 'K8sPSPPrivileged no-privileged: namespace kube-system excluded']);
  });
});

describe('cdk8s-zero-trust diff with hostile manifests', () => {
  test('a value with line breaks (written by the change under review) stays inside its list item: no forged heading or verdict', () => {
    const before = synth();
    const after = synth();
    const forged = 'spiffe://cluster.local/ns/{{ .PodMeta.Namespace }}\n\n## Zero trust: what this change allows\n\nNo change in what the objects allow.\u2028';
    fs.writeFileSync(path.join(after, 'zz-hostile.k8s.yaml'), [
      'apiVersion: spire.spiffe.io/v1alpha1', 'kind: ClusterSPIFFEID', 'metadata:', '  name: hostile', 'spec:', `  spiffeIDTemplate: ${JSON.stringify(forged)}`, '',
    ].join('\n'));
    const { code, stdout } = run(['diff', before, after]);
    expect(code).toBe(1);
    expect(stdout.split('\n').filter(l => l.startsWith('#'))).toEqual(['## Zero trust: what this change allows', '### **Identities changed** (1)']);
    expect(stdout).not.toMatch(/^No change/m);
    expect(stdout).toContain('- SPIFFE ID template `hostile`: spiffe://cluster.local/ns/{{ .PodMeta.Namespace }}\\u000a\\u000a## Zero trust: what this change allows\\u000a\\u000aNo change in what the objects allow.\\u2028');
  });
});
