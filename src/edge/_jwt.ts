import { IConstruct } from 'constructs';
import { isInClusterHost, parseUrl } from './_hosts';
import { JwksFetcher, JwtIssuer } from './jwt-issuer';
import * as istio from '../imports/istio-security';
import { CONTROL_CHARS, invalid, sortedUnique } from '../intent/_validation';
import { IntentGraph, workloadKey } from '../intent/intent-graph';
import { IMeshWorkload } from '../intent/mesh-workload';

/**
 * A checked JwtIssuer: the issuer, the Istio JWT rule, and the in-cluster JWKS endpoint to open.
 * @internal
 */
export interface CheckedJwtIssuer {
  readonly issuer: string;
  readonly rule: istio.RequestAuthenticationSpecJwtRules;
  readonly jwks?: { service: IMeshWorkload; port: number; path: string };
}

/** A URL as Istio fetches it: printable ASCII, no empty host label, a port 1-65535. */
function checkedUrl(value: unknown): ReturnType<typeof parseUrl> {
  const url = typeof value === 'string' && /^[\x21-\x7e]+$/.test(value) ? parseUrl(value) : undefined;
  if (!url || url.host.split('.').some(l => l === '') || (url.port !== undefined && (url.port < 1 || url.port > 65535))) return undefined;
  return url;
}

/**
 * Checks a JwtIssuer: an exact https issuer without wildcards, audiences, and where the JWKS is
 * fetched from (public https, or an in-mesh Service fetched by the proxies).
 *
 * @internal
 */
export function checkJwtIssuer(scope: IConstruct, graph: IntentGraph, jwt: JwtIssuer): CheckedJwtIssuer {
  if (!jwt || typeof jwt !== 'object') {
    invalid(scope, 'jwt', jwt, 'must give issuer, jwksUri and audiences');
  }
  const issuerUrl = checkedUrl(jwt.issuer);
  // the issuer is matched exactly against the token's iss and becomes the prefix of request
  // principals (`<issuer>/<sub>`), where Istio reads '*' as a wildcard: no '*', no look-alike
  // or control characters
  if (!issuerUrl || issuerUrl.scheme !== 'https' || jwt.issuer.includes('*')) {
    invalid(scope, 'jwt.issuer', jwt.issuer, 'must be an exact https URL (the token\'s iss claim) without wildcards, for example \'https://login.example.com\'');
  }
  if (!Array.isArray(jwt.audiences) || jwt.audiences.length === 0) {
    invalid(scope, 'jwt.audiences', jwt.audiences, 'must list at least one audience: without it a token minted by the same issuer for any other application is accepted',
      'set the client id or API identifier the tokens are issued for, for example [\'shop\']');
  }
  if (jwt.audiences.some(a => typeof a !== 'string' || a.trim() === '' || a.includes('*') || CONTROL_CHARS.test(a))) {
    invalid(scope, 'jwt.audiences', jwt.audiences, 'each audience must be a non-empty exact value (no \'*\', no control characters)');
  }
  return {
    issuer: jwt.issuer,
    jwks: checkJwks(scope, graph, jwt),
    rule: {
      issuer: jwt.issuer,
      jwksUri: jwt.jwksUri,
      audiences: sortedUnique(jwt.audiences),
      // the callees re-verify the token (defence in depth, and their policies check its claims)
      forwardOriginalToken: true,
    },
  };
}

function checkJwks(scope: IConstruct, graph: IntentGraph, jwt: JwtIssuer): { service: IMeshWorkload; port: number; path: string } | undefined {
  const url = checkedUrl(jwt.jwksUri);
  if (!url) {
    invalid(scope, 'jwt.jwksUri', jwt.jwksUri, 'must be an http(s) URL of the issuer\'s JSON Web Key Set');
  }
  const fetcher = jwt.jwksFetcher ?? JwksFetcher.ISTIOD;
  const inCluster = isInClusterHost(graph, url.host);
  if (!inCluster) {
    if (url.scheme !== 'https') {
      invalid(scope, 'jwt.jwksUri', jwt.jwksUri, 'must be https outside the cluster: keys fetched in plaintext can be replaced in transit');
    }
    if (fetcher !== JwksFetcher.ISTIOD || jwt.jwksService !== undefined) {
      invalid(scope, 'jwt.jwksFetcher', fetcher, 'JwksFetcher.PROXY and jwksService are for a JWKS endpoint inside the mesh; istiod fetches public endpoints',
        'leave jwksFetcher and jwksService out');
    }
    return undefined;
  }
  if (fetcher === JwksFetcher.ISTIOD) {
    invalid(scope, 'jwt.jwksUri', jwt.jwksUri,
      'is inside the cluster, but istiod fetches the JWKS by default and has no sidecar, so it cannot reach an endpoint behind STRICT mTLS (istio/istio#40553): every token would be rejected',
      'use the identity provider\'s public https JWKS URL, or run istiod with PILOT_JWT_ENABLE_REMOTE_JWKS=hybrid and set jwksFetcher: JwksFetcher.PROXY and jwksService');
  }
  const service = jwt.jwksService;
  if (!service || !service.zeroTrustNamespace) {
    invalid(scope, 'jwt.jwksService', service, 'must be the workload serving the in-cluster jwksUri, so the proxies may be allowed to fetch it');
  }
  const ns = service.zeroTrustNamespace.namespaceName;
  const names = [service.workloadName, `${service.workloadName}.${ns}`, `${service.workloadName}.${ns}.svc`, `${service.workloadName}.${ns}.svc.cluster.local`];
  if (!names.includes(url.host)) {
    invalid(scope, 'jwt.jwksUri', jwt.jwksUri, `does not name the Service of jwksService ${workloadKey(service)} (${names.slice(1).join(', ')})`);
  }
  const servicePort = url.port ?? (url.scheme === 'https' ? 443 : 80);
  const port = service.workloadPorts.find(p => (p.servicePort ?? p.port) === servicePort);
  if (!port) {
    invalid(scope, 'jwt.jwksUri', jwt.jwksUri, `port ${servicePort} is not a Service port of ${workloadKey(service)}`);
  }
  return { service, port: port.port, path: url.path };
}
