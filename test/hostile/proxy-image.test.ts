import { Chart, Testing } from 'cdk8s';
import * as fc from 'fast-check';
import { hostile, rejection, RUNS } from './_hostile';
import { AccessProxy, JwtIssuer, ZeroTrustNamespace } from '../../src';

// AccessProxy.proxyImage (issue 13): the hub, registry mirror and digests land in the image
// the policy pack admits (Rego/CEL data) and in the gateway's platform description. Each hostile
// value is rejected with the clear error, or the admitted image is exactly the declared one and
// a valid image reference. The grammar is written here from the OCI distribution reference
// grammar (distribution/reference), independent of src/.
const COMPONENT = /[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*/.source;
const HOST = /(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?)/.source;
const REFERENCE = new RegExp(`^(?:${HOST}/)?${COMPONENT}(?:/${COMPONENT})*:[\\w][\\w.-]{0,127}(?:@sha256:[a-f0-9]{64})?$`);
const JWT: JwtIssuer = { issuer: 'https://login.example.com', jwksUri: 'https://login.example.com/.well-known/jwks.json', audiences: ['shop'] };
const DIGEST = `sha256:${'a'.repeat(64)}`;

function proxy(proxyImage: any): AccessProxy {
  const chart = new Chart(Testing.app(), 'c');
  return new AccessProxy(chart, 'access-proxy', {
    namespace: new ZeroTrustNamespace(chart, 'edge'), hostnames: ['shop.example.com'], tlsSecretName: 'tls', jwt: JWT, proxyImage,
  });
}
const ERROR = /^\[(c\/access-proxy|PlatformComponent\.kubernetesGateway)\] invalid (proxyImage|hub|registry|digests)\b/;

describe('hostile input: AccessProxy.proxyImage', () => {
  test('hub and registry: rejected, or the admitted gateway image is exactly <registry or hub>/proxyv2:<tag> and a valid reference', () => {
    const seen = { accepted: 0, rejected: 0 };
    fc.assert(fc.property(hostile, fc.option(hostile, { nil: undefined }), (hub, registry) => {
      let p: AccessProxy | undefined;
      if (rejection(() => { p = proxy({ hub, registry }); }, ERROR)) {
        seen.rejected++;
        return;
      }
      seen.accepted++;
      const images = p!.gatewayComponent.images;
      expect(images).toHaveLength(1);
      expect(images[0]).toMatch(REFERENCE);
      const repository = registry === undefined ? `${hub}/proxyv2` : `${registry}/${`${hub}/proxyv2`.replace(/^[^/]*[.:][^/]*\//, '')}`;
      expect(images[0]).toBe(`${repository}:1.30.3`);
    }), RUNS);
    expect(seen.accepted).toBeGreaterThan(0);
    expect(seen.rejected).toBeGreaterThan(0);
  });

  test('digests: a hostile digest or repository is rejected; a valid one is pinned exactly', () => {
    const seen = { accepted: 0, rejected: 0 };
    fc.assert(fc.property(fc.oneof(hostile, fc.constant(DIGEST)), fc.oneof(hostile, fc.constant('docker.io/istio/proxyv2')), (digest, repository) => {
      let p: AccessProxy | undefined;
      if (rejection(() => { p = proxy({ digests: { [repository]: digest } }); }, ERROR)) {
        seen.rejected++;
        return;
      }
      seen.accepted++;
      expect({ digest, repository }).toEqual({ digest: DIGEST, repository: 'docker.io/istio/proxyv2' });
      expect(p!.gatewayComponent.images).toEqual([`docker.io/istio/proxyv2:1.30.3@${DIGEST}`]);
    }), RUNS);
    expect(seen.accepted).toBeGreaterThan(0);
    expect(seen.rejected).toBeGreaterThan(0);
  });

  test('not an object: the clear error', () => {
    for (const bad of ['docker.io/istio', 42, null]) expect(() => proxy(bad)).toThrow(ERROR);
  });
});
