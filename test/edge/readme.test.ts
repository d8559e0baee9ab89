import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vm from 'vm';
import * as cdk8s from 'cdk8s';
import * as ts from 'typescript';
import * as lib from '../../src';
import { Cluster } from '../support/reachability';
import { expectValidManifests } from '../support/schemas';
import { find } from '../support/synth';

/** Runs the README's "Edge and egress" example against this checkout's sources. */
function runSnippet(): cdk8s.App {
  const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
  const code = readme.slice(readme.indexOf('### Edge and egress')).match(/```ts\n([\s\S]*?)```/)![1];
  const js = ts.transpileModule(code, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
  let captured: cdk8s.App | undefined;
  const App = class extends cdk8s.App {
    constructor(props?: cdk8s.AppProps) {
      super({ ...props, outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'readme-edge-')) });
      captured = this;
    }
  };
  const modules: Record<string, unknown> = { 'cdk8s': { ...cdk8s, App }, 'cdk8s-zero-trust': lib };
  const exports = {};
  vm.runInNewContext(js, { require: (m: string) => modules[m], exports, module: { exports } });
  return captured!;
}

test('README: the edge and egress example runs and does what the text says', () => {
  const app = runSnippet();
  const manifests = app.charts.flatMap(c => cdk8s.Testing.synth(c));
  expectValidManifests(manifests);
  const c = new Cluster(manifests);
  const proxy = c.pod('edge', 'access-proxy');
  const payments = c.pod('web', 'payment-service');
  const user = { iss: 'https://login.example.com', sub: 'bob', aud: ['shop'], claims: { groups: ['customers'], device_trust: 'managed' } };
  // "a request without a token is refused with 403 at the edge"
  expect(c.meshAllows({ namespace: '', name: 'browser', labels: {}, serviceAccount: '' }, proxy, { port: 443, method: 'GET', path: '/' })).toBe(false);
  expect(c.meshAllows({ namespace: '', name: 'browser', labels: {}, serviceAccount: '' }, proxy, { port: 443, method: 'POST', path: '/account/x', jwt: user })).toBe(true);
  // "toFQDNs per host AND the DNS-proxy rule"; "the ipBlock policy is then not emitted"
  expect(find(manifests, 'CiliumNetworkPolicy', 'payment-service-cilium').spec.egress[0].toPorts[0].rules).toEqual({ dns: [{ matchPattern: '*' }] });
  expect(c.ciliumAllowsFqdn(payments, 'api.stripe.com', 443)).toBe(true);
  expect(manifests.some(m => m.metadata.name === 'payment-service-external-egress')).toBe(false);
  expect(c.meshAllowsExternal(payments, 'api.stripe.com', 443)).toBe(true);
  expect(c.meshAllowsExternal(c.pod('web', 'frontend'), 'api.stripe.com', 443)).toBe(false);
});
