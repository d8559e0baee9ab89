import { Cluster } from '../support/reachability';
import { readmeSnippet, runReadmeApp } from '../support/readme';
import { expectValidManifests } from '../support/schemas';
import { find, synthCharts } from '../support/synth';

test('README: the edge and egress example runs and does what the text says', () => {
  const app = runReadmeApp(readmeSnippet('### Edge and egress'));
  const manifests = synthCharts(app);
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
