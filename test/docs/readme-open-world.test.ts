import * as lib from '../../src';
import { Cluster, Pod } from '../support/reachability';
import { readmeSnippet, runReadmeApp } from '../support/readme';
import { expectValidManifests } from '../support/schemas';
import { synthCharts } from '../support/synth';

describe('README: existing workloads and the cluster around them', () => {
  test('the snippet adopts a cdk8s-plus-33 Deployment and a plain CronJob, references a Helm-installed gateway, and does what the text says', () => {
    const app = runReadmeApp(readmeSnippet('### Existing workloads and the cluster around them'));
    const manifests = synthCharts(app);
    expectValidManifests(manifests);
    const cluster = new Cluster(manifests);
    const web = cluster.pod('shop', 'web');
    const worker = cluster.pod('shop', 'worker');
    const gateway: Pod = { namespace: 'istio-ingress', name: 'gw', labels: { istio: 'ingressgateway' }, serviceAccount: 'istio-ingressgateway' };
    expect(cluster.request(gateway, web, { port: 8080, method: 'GET', path: '/' }).allowed).toBe(true);
    expect(cluster.request(gateway, web, { port: 8080, method: 'POST', path: '/refresh' }).allowed).toBe(false);
    expect(cluster.request(worker, web, { port: 8080, method: 'POST', path: '/refresh' }).allowed).toBe(true);
    expect(cluster.request(worker, web, { port: 8080, method: 'POST', path: '/admin' }).allowed).toBe(false);
    expect(cluster.networkAllowsToIp(worker, '172.18.0.2', 6443)).toBe(true);
    expect(cluster.networkAllowsToIp(worker, '169.254.169.254', 80)).toBe(false);
    expect(cluster.networkAllowsToIp(web, '172.18.0.2', 6443)).toBe(false);
    // hardened where the templates said nothing
    const cron = manifests.find(m => m.kind === 'CronJob');
    expect(cron.spec.jobTemplate.spec.template.spec.containers[0].securityContext).toEqual({
      allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, privileged: false, capabilities: { drop: ['ALL'] },
    });
    expect(lib.EffectCheck.of(app).differences()).toEqual([]);
  });
});
