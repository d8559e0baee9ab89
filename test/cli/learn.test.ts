import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'cdk8s';
import { MeshAccessLogging, ReferenceArchitecture, Synthesis } from '../../src';
import { run } from '../../src/cli/main';

const FIXTURES = path.join(__dirname, 'fixtures');

/** The reference architecture synthesized into a fresh folder, as `npm run synth` writes it. */
function referenceDist(): string {
  const outdir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'learn-')), 'dist');
  const app = new App({ outdir });
  new ReferenceArchitecture(app, 'zero-trust');
  Synthesis.synth(app);
  return outdir;
}

describe('cdk8s-zero-trust learn', () => {
  const dist = referenceDist();

  test('the recorded access log has exactly the fields MeshAccessLogging configures', () => {
    const records = fs.readFileSync(path.join(FIXTURES, 'istio-access-log.jsonl'), 'utf8').split('\n').filter(l => l.startsWith('{')).map(l => JSON.parse(l));
    expect(records.length).toBe(4);
    for (const r of records) expect(Object.keys(r).sort()).toEqual(Object.keys(MeshAccessLogging.logFormat).sort());
  });

  test('prints the declarations that allow what was observed, and the observed calls the manifests deny', () => {
    // WHEN
    const { code, stdout, stderr } = run(['learn', dist, path.join(FIXTURES, 'istio-access-log.jsonl'), path.join(FIXTURES, 'hubble-flows.json')]);
    // THEN
    expect(stderr).toBe('');
    expect(code).toBe(1);
    expect(stdout).toContain('# 8 observed calls (2 lines skipped)');
    const declarations = /```ts\n([\s\S]*?)```/.exec(stdout)![1].trim().split('\n');
    expect(declarations).toEqual([
      'database.allowFrom(inventoryService, { ports: [5432] }); // production/inventory-service[Deployment] -> data/database[StatefulSet]',
      'database.allowFrom(orderService, { ports: [5432] }); // production/order-service[Deployment] -> data/database[StatefulSet]',
      'apiGateway.allowFrom(frontend, { ports: [8080], methods: [\'DELETE\', \'GET\', \'POST\'], paths: [\'/api/orders\', \'/api/orders/42\'] }); // web/frontend[Deployment] -> production/api-gateway[Deployment]',
      'paymentService.allowFrom(apiGateway, { ports: [8080], methods: [\'POST\'], paths: [\'/api/v1/charge\'] }); // production/api-gateway[Deployment] -> production/payment-service[Deployment]',
      'paymentService.allowEgressTo(\'api.stripe.com\', { port: 443 }); // production/payment-service[Deployment]',
      'orderService.allowEgressTo(\'evil.example.com\', { port: 443 }); // production/order-service[Deployment]',
    ]);
    const denied = stdout.slice(stdout.indexOf('## Observed calls the current manifests deny')).split('\n').filter(l => l.startsWith('- '));
    expect(denied).toEqual([
      '- production/api-gateway[Deployment] -> production/payment-service[Deployment]:8080 POST /api/v1/charge (seen in istio)',
      '- production/inventory-service[Deployment] -> data/database[StatefulSet]:5432 (seen in hubble)',
      '- production/order-service[Deployment] -> evil.example.com:443 (seen in hubble)',
      '- web/frontend[Deployment] -> production/api-gateway[Deployment]:8080 DELETE /api/orders/42 (seen in istio)',
    ]);
  });

  test('allowed traffic only: exit code 0 and no denied calls', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'learn-ok-'));
    const lines = fs.readFileSync(path.join(FIXTURES, 'istio-access-log.jsonl'), 'utf8').split('\n');
    fs.writeFileSync(path.join(dir, 'ok.log'), [lines[0], lines[3]].join('\n'));
    const { code, stdout } = run(['learn', dist, path.join(dir, 'ok.log')]);
    expect(stdout).toContain('## Observed calls the current manifests deny (0)');
    expect(code).toBe(0);
  });

  test('usage errors exit 2 and say what is expected', () => {
    expect(run(['learn', dist]).code).toBe(2);
    expect(run(['learn', path.join(dist, 'nope'), 'x.log'])).toEqual({ code: 2, stdout: '', stderr: expect.stringMatching(/is not a folder: give the folder a synthesis wrote its manifests to/) });
    expect(run(['frobnicate']).stderr).toMatch(/^usage:/);
  });
});
