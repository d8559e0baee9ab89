import { celEnv, parse as parseCel, plan } from '@bufbuild/cel';
import { App, Chart, Testing } from 'cdk8s';
import * as fc from 'fast-check';
import { hostile, rejection, RUNS } from './_hostile';
import {
  AccessProxy, CloudGrant, CloudWorkloadIdentity, MeshService, OutputFile, SpireDeployment, WaypointScope, ZeroTrustNamespace,
} from '../../src';
import { MeshMode } from '../../src/intent/mesh-workload';
import { find } from '../support/synth';

/**
 * Hostile strings in the props of the edge (egress names, JWT issuers), the cloud identities
 * (ARNs, bucket names and prefixes) and SPIRE federation (trust domains, bundle endpoint URLs),
 * and the ambient waypoint names: each is rejected with the library's error, or lands in the
 * output meaning exactly what was declared, checked with grammars written from the upstream
 * documentation (not the library's) and real parsers (WHATWG URL, @bufbuild/cel).
 */

const IMAGE = 'ghcr.io/acme/app:1.0.0';
/** DNS names as Cilium's toFQDNs.matchName accepts them (the pinned CRD's pattern), lower case. */
const CILIUM_MATCH_NAME = /^([-a-zA-Z0-9_]+[.]?)+$/;
/** A SPIFFE trust domain, from the SPIFFE ID specification (2.1). */
const SPIFFE_TRUST_DOMAIN = /^[a-z0-9._-]{1,255}$/;
/** An S3 bucket name, from the Amazon S3 bucket naming rules (general purpose buckets). */
const S3_BUCKET = /^(?!\d+\.\d+\.\d+\.\d+$)(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

const hostName = fc.oneof(hostile, fc.constantFrom('api.stripe.com', 'hooks.slack.com', '169.254.169.254.nip.io', 'API.Stripe.com', 'a..b.com', '*.stripe.com'));

function meshService(chart: Chart, mode = MeshMode.SIDECAR) {
  const ns = new ZeroTrustNamespace(chart, 'prod', { meshMode: mode });
  return new MeshService(chart, 'orders', { namespace: ns, image: IMAGE, port: 8080 });
}

describe('hostile input: edge, cloud identity, federation, waypoints', () => {
  test('allowEgressTo(host): rejected, or every emitted name (ServiceEntry, Cilium toFQDNs) is exactly the declared public host', () => {
    const tally = { accepted: 0, rejected: 0 };
    fc.assert(fc.property(hostName, (host) => {
      const chart = Testing.chart();
      const orders = meshService(chart);
      const error = rejection(() => orders.allowEgressTo(host), /^\[test\/orders\] invalid /);
      if (error) { tally.rejected++; return; }
      tally.accepted++;
      const manifests = Testing.synth(chart);
      const entry = manifests.find(m => m.kind === 'ServiceEntry');
      expect(entry.spec.hosts).toEqual([host]);
      expect(CILIUM_MATCH_NAME.test(host)).toBe(true);
      expect(host).toBe(host.toLowerCase());
      expect(host.includes('*')).toBe(false);
      // a name is public: the WHATWG URL parser reads it as the same host, not an IP address
      expect(new URL(`https://${host}/`).hostname).toBe(host);
      expect(/^[\d.]+$/.test(host.split('.').pop()!)).toBe(false);
    }), RUNS);
    expect(tally.accepted).toBeGreaterThan(0);
    expect(tally.rejected).toBeGreaterThan(0);
  });

  test('JWT issuer and jwksUri: rejected, or exact https URLs (WHATWG URL reads the same host and path) without wildcards or control characters', () => {
    const tally = { accepted: 0, rejected: 0 };
    const url = fc.oneof(hostile.map(h => `https://${h}`), hostile, fc.constantFrom('https://login.example.com', 'https://*.example.com', 'http://login.example.com', 'https://login.example.com:99999/x'));
    fc.assert(fc.property(url, url, (issuer, jwksUri) => {
      const chart = Testing.chart();
      const edge = new ZeroTrustNamespace(chart, 'edge');
      const error = rejection(() => new AccessProxy(chart, 'proxy', {
        namespace: edge, hostnames: ['shop.example.com'], tlsSecretName: 'tls', jwt: { issuer, jwksUri, audiences: ['shop'] },
      }), /^\[test\/proxy\] invalid jwt\.(issuer|jwksUri|jwksFetcher|jwksService) /);
      if (error) { tally.rejected++; return; }
      tally.accepted++;
      const authn = Testing.synth(chart).find(m => m.kind === 'RequestAuthentication');
      expect(authn.spec.jwtRules[0]).toEqual(expect.objectContaining({ issuer, jwksUri }));
      for (const u of [issuer, jwksUri]) {
        const parsed = new URL(u);
        expect(parsed.protocol).toBe('https:');
        expect(u.startsWith(`https://${parsed.hostname}`)).toBe(true);
        expect(/[*\s\u0000-\u001f\u007f-\uffff]/.test(u)).toBe(false);
      }
    }), RUNS);
    expect(tally.accepted).toBeGreaterThan(0);
    expect(tally.rejected).toBeGreaterThan(0);
  });

  test('awsS3Read bucket and prefix: rejected, or the IAM resource is exactly arn:aws:s3:::<bucket>/<prefix>* with no IAM wildcard or policy variable inside', () => {
    const tally = { accepted: 0, rejected: 0 };
    const bucket = fc.oneof(hostile, fc.constantFrom('acme-reports', 'acme.reports.eu', 'a1b'), fc.constantFrom('acme..reports', '192.168.1.1', 'Acme', 'a'));
    const prefix = fc.oneof(hostile, fc.constantFrom('daily/', 'reports/2026/', 'x'), fc.constantFrom('${aws:username}/', 'a*', 'a?b/', ''));
    fc.assert(fc.property(bucket, prefix, (b, p) => {
      const app = Testing.app();
      const chart = new Chart(app, 'c');
      const prod = new ZeroTrustNamespace(chart, 'production');
      const error = rejection(() => {
        const identity = CloudWorkloadIdentity.eksPodIdentity({
          roleArn: 'arn:aws:iam::123456789012:role/reports',
          clusterArn: 'arn:aws:eks:us-east-1:123456789012:cluster/prod',
          grants: [CloudGrant.awsS3Read({ bucket: b, prefix: p })],
        });
        new MeshService(chart, 'reports', { namespace: prod, image: IMAGE, port: 8080, cloudIdentity: identity });
        OutputFile.of(app).map(f => f.renderContents());
      }, /^\[c\/reports\S*\] invalid /);
      if (error) { tally.rejected++; return; }
      tally.accepted++;
      const policy = OutputFile.of(app).map(f => JSON.parse(f.renderContents())).find(d => JSON.stringify(d).includes('s3:GetObject'));
      const get = policy.Statement.find((s: any) => [s.Action].flat().includes('s3:GetObject'));
      expect([get.Resource].flat()).toEqual([`arn:aws:s3:::${b}/${p}*`]);
      expect(S3_BUCKET.test(b)).toBe(true);
      // IAM reads '*' and '?' as wildcards and '${...}' as policy variables in resources
      expect(/[*?$]/.test(p)).toBe(false);
    }), RUNS);
    expect(tally.accepted).toBeGreaterThan(0);
    expect(tally.rejected).toBeGreaterThan(0);
  });

  test('gcpStorageRead prefix: rejected, or the IAM condition (parsed and run by @bufbuild/cel) admits exactly the objects below the prefix', () => {
    const tally = { accepted: 0, rejected: 0 };
    fc.assert(fc.property(fc.oneof(hostile, fc.constantFrom('daily/', '") || true || ("', '\\', 'a"+"b')), (p) => {
      const app = Testing.app();
      const chart = new Chart(app, 'c');
      const prod = new ZeroTrustNamespace(chart, 'production');
      const error = rejection(() => {
        const identity = CloudWorkloadIdentity.gkeWorkloadIdentity({
          serviceAccountEmail: 'reports@acme-prod.iam.gserviceaccount.com', grants: [CloudGrant.gcpStorageRead({ bucket: 'acme-reports', prefix: p })],
        });
        new MeshService(chart, 'reports', { namespace: prod, image: IMAGE, port: 8080, cloudIdentity: identity });
        OutputFile.of(app).map(f => f.renderContents());
      }, /^\[c\/reports\S*\] invalid /);
      if (error) { tally.rejected++; return; }
      tally.accepted++;
      const document = OutputFile.of(app).map(f => JSON.parse(f.renderContents())).find(d => d.bindings);
      const expression = document.bindings.find((x: any) => x.condition).condition.expression;
      const run = plan(celEnv(), parseCel(expression));
      const allows = (name: string) => run({ resource: new Map([['name', name]]) } as any) === true;
      const base = 'projects/_/buckets/acme-reports/objects/';
      expect(allows(`${base}${p}x`)).toBe(true);
      expect(allows(`${base}other-${p}`)).toBe(p === '' || `other-${p}`.startsWith(p));
      expect(allows('projects/_/buckets/other/objects/x')).toBe(false);
    }), RUNS);
    expect(tally.accepted).toBeGreaterThan(0);
    expect(tally.rejected).toBeGreaterThan(0);
  });

  test('SPIRE federation: trust domains and bundle endpoint URLs are rejected, or written exactly as declared and valid by the SPIFFE and URL grammars', () => {
    const tally = { accepted: 0, rejected: 0 };
    const td = fc.oneof(hostile, fc.constantFrom('b.example.org', 'B.example.org', 'spiffe://b.example.org', 'b.example.org/x'));
    const url = fc.oneof(hostile.map(h => `https://${h}:8443`), hostile, fc.constantFrom('https://spire.b.example.org:8443', 'http://spire.b.example.org', 'https://spire.b.example.org:8443/#x'));
    fc.assert(fc.property(td, url, (trustDomain, bundleEndpointUrl) => {
      const chart = Testing.chart();
      const error = rejection(() => new SpireDeployment(chart, 'spire', { clusterName: 'a', federation: { federatesWith: [{ trustDomain, bundleEndpointUrl }] } }),
        /^\[test\/spire\] invalid federation\./);
      if (error) { tally.rejected++; return; }
      tally.accepted++;
      const ftd = Testing.synth(chart).find(m => m.kind === 'ClusterFederatedTrustDomain');
      expect([ftd.spec.trustDomain, ftd.spec.bundleEndpointURL]).toEqual([trustDomain, bundleEndpointUrl]);
      expect(SPIFFE_TRUST_DOMAIN.test(trustDomain)).toBe(true);
      const parsed = new URL(bundleEndpointUrl);
      expect(parsed.protocol).toBe('https:');
      expect(parsed.hash).toBe('');
      expect(/[\s\u0000-\u001f\u007f-\uffff]/.test(bundleEndpointUrl)).toBe(false);
    }), { ...RUNS, numRuns: 40 });
    expect(tally.accepted).toBeGreaterThan(0);
    expect(tally.rejected).toBeGreaterThan(0);
  });

  test('waypoint names (<service>-waypoint): the service is rejected, or the name is a DNS-1123 label used as the Gateway and the use-waypoint label', () => {
    const tally = { accepted: 0, rejected: 0 };
    fc.assert(fc.property(fc.oneof(hostile, fc.constantFrom('orders', 'a'.repeat(54), 'a'.repeat(55), 'a'.repeat(63))), (name) => {
      const chart = Testing.chart();
      const error = rejection(() => {
        const ns = new ZeroTrustNamespace(chart, 'prod', { meshMode: MeshMode.AMBIENT, waypoint: WaypointScope.SERVICE });
        const callee = new MeshService(chart, 'callee', { namespace: ns, name, image: IMAGE, port: 8080 });
        const caller = new MeshService(chart, 'caller', { namespace: ns, image: IMAGE, port: 8080 });
        callee.allowFrom(caller, { methods: ['GET'] });
        Testing.synth(chart);
      }, /^\[test\/callee\] invalid name /);
      if (error) { tally.rejected++; return; }
      tally.accepted++;
      const manifests = Testing.synth(chart);
      const gateway = manifests.find(m => m.kind === 'Gateway');
      expect(gateway.metadata.name).toBe(`${name}-waypoint`);
      expect(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(gateway.metadata.name)).toBe(true);
      expect(find(manifests, 'Service', name).metadata.labels['istio.io/use-waypoint']).toBe(gateway.metadata.name);
    }), RUNS);
    expect(tally.accepted).toBeGreaterThan(0);
    expect(tally.rejected).toBeGreaterThan(0);
  });
});

export type { App };
