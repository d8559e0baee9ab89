/**
 * What the pods of platform components connect to, each with the upstream source that
 * documents it. Controllers reach the API server through the in-cluster configuration
 * (`KUBERNETES_SERVICE_HOST`, an address), so they need no DNS; pods that resolve names
 * (`istiod.istio-system.svc`, registries, JWKS hosts) get DNS.
 */
import type { PlatformEgress } from './platform-workload';
import { PlatformPeer } from './platform-workload';

/** The Kubernetes API server (watches, writes, TokenReviews), on the API server peer's ports. */
export function apiServer(what: string, source: string): PlatformEgress {
  return { to: PlatformPeer.API_SERVER, ports: [], reason: `${what} (${source})` };
}

/** Cluster DNS, UDP and TCP 53. */
export function dns(what: string, source: string): PlatformEgress {
  return { to: PlatformPeer.DNS, ports: [53], reason: `resolves ${what} (${source})` };
}

/** istiod's xDS and CA port 15012, as the proxies reach it (`CA_ADDR` / `XDS_ADDRESS` `istiod.<ns>.svc:15012`). */
export function istiodXds(source: string): PlatformEgress {
  return { to: PlatformPeer.ISTIOD, ports: [15012], reason: `fetches its configuration (xDS) and workload certificates (CA) from istiod on 15012 (${source})` };
}

/** Public addresses on HTTPS 443. */
export function internetHttps(what: string, source: string): PlatformEgress {
  return { to: PlatformPeer.INTERNET, ports: [443], reason: `${what} (${source})` };
}
