import { IConstruct } from 'constructs';
import { BundleEndpointProfileType, FederatedTrustDomainOptions } from './spiffe-federation';
import { checkCidrList } from '../intent/_cidr';
import { checkTrustDomain, invalid } from '../intent/_validation';

/**
 * A checked federation relationship.
 * @internal
 */
export interface ResolvedFederation {
  readonly trustDomain: string;
  readonly bundleEndpointUrl: string;
  readonly port: number;
  readonly profile: BundleEndpointProfileType;
  readonly endpointSpiffeId?: string;
  readonly trustDomainBundle?: string;
  readonly endpointCidrs?: string[];
}

const HOST = /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const PATH_SEGMENT = /^[A-Za-z0-9._~!$&'()*+,;=:@%-]*$/;
const SPIFFE_PATH_SEGMENT = /^[A-Za-z0-9._-]+$/;

/**
 * Checks a bundle endpoint URL the way the controller manager and SPIRE do (HTTPS, no user
 * info) and stricter (no query, fragment, wildcard, or whitespace; a DNS name or IPv4 address).
 * @internal
 */
export function checkBundleEndpointUrl(scope: IConstruct, prop: string, value: unknown): { host: string; port: number } {
  const allowed = 'must be an https:// URL of a bundle endpoint: a DNS name or IPv4 address, an optional port and path, no user info, query or fragment';
  const fix = 'for example \'https://spire-federation.cluster-b.example.org:8443\'';
  if (typeof value !== 'string' || /[\s*]/.test(value)) {
    invalid(scope, prop, value, allowed, fix);
  }
  const match = /^https:\/\/([^/:?#@]+)(?::(\d{1,5}))?(\/[^?#]*)?$/.exec(value);
  if (!match) {
    invalid(scope, prop, value, allowed, fix);
  }
  const host = match[1];
  if (!HOST.test(host) && !IPV4.test(host)) {
    invalid(scope, prop, value, `${allowed}; ${JSON.stringify(host)} is not a lower-case DNS name or IPv4 address`, fix);
  }
  const port = match[2] === undefined ? 443 : Number(match[2]);
  if (port < 1 || port > 65535) {
    invalid(scope, prop, value, `${allowed}; the port must be between 1 and 65535`, fix);
  }
  if ((match[3] ?? '').split('/').some(s => !PATH_SEGMENT.test(s))) {
    invalid(scope, prop, value, `${allowed}; the path has characters outside RFC 3986`, fix);
  }
  return { host, port };
}

/**
 * Checks a SPIFFE ID (`spiffe://<trust domain>/<path>`), optionally in `trustDomain`.
 * @internal
 */
export function checkSpiffeId(scope: IConstruct, prop: string, value: unknown, trustDomain?: string): { trustDomain: string; path: string[] } {
  const allowed = 'must be a SPIFFE ID: spiffe://<trust domain>/<path segments of letters, digits, \'.\', \'_\' or \'-\'>, without query, fragment, port, user info or trailing \'/\'';
  const match = typeof value === 'string' ? /^spiffe:\/\/([^/]+)((?:\/[^/]+)+)$/.exec(value) : null;
  if (!match || (value as string) !== (value as string).trim() || (value as string).length > 2048) {
    invalid(scope, prop, value, allowed, 'for example \'spiffe://cluster-b.example.org/ns/ledger/sa/ledger\'');
  }
  checkTrustDomain(scope, `${prop} (trust domain)`, match[1]);
  const path = match[2].slice(1).split('/');
  if (path.some(s => !SPIFFE_PATH_SEGMENT.test(s) || s === '.' || s === '..')) {
    invalid(scope, prop, value, allowed);
  }
  if (trustDomain !== undefined && match[1] !== trustDomain) {
    invalid(scope, prop, value, `must be in trust domain ${trustDomain}`);
  }
  return { trustDomain: match[1], path };
}


/**
 * Checks a federation relationship.
 * @internal
 */
export function resolveFederation(scope: IConstruct, localTrustDomain: string, options: FederatedTrustDomainOptions): ResolvedFederation {
  if (!options || typeof options !== 'object') {
    invalid(scope, 'federation', options, 'must be an object with trustDomain and bundleEndpointUrl');
  }
  const trustDomain = checkTrustDomain(scope, 'federation.trustDomain', options.trustDomain);
  if (trustDomain === localTrustDomain) {
    invalid(scope, 'federation.trustDomain', trustDomain, 'is this SPIRE server\'s own trust domain', 'federate with other trust domains only');
  }
  const { port } = checkBundleEndpointUrl(scope, 'federation.bundleEndpointUrl', options.bundleEndpointUrl);
  const profile = options.profile ?? BundleEndpointProfileType.HTTPS_SPIFFE;
  if (!Object.values(BundleEndpointProfileType).includes(profile)) {
    invalid(scope, 'federation.profile', profile, `must be one of ${Object.values(BundleEndpointProfileType).join(', ')}`);
  }
  let endpointSpiffeId: string | undefined;
  if (profile === BundleEndpointProfileType.HTTPS_SPIFFE) {
    endpointSpiffeId = options.endpointSpiffeId ?? `spiffe://${trustDomain}/spire/server`;
    checkSpiffeId(scope, 'federation.endpointSpiffeId', endpointSpiffeId, trustDomain);
  } else if (options.endpointSpiffeId !== undefined) {
    invalid(scope, 'federation.endpointSpiffeId', options.endpointSpiffeId, 'is only used by the https_spiffe profile', 'leave it out for https_web');
  }
  if (options.trustDomainBundle !== undefined) {
    let bundle: any;
    try {
      bundle = JSON.parse(options.trustDomainBundle);
    } catch {
      bundle = undefined;
    }
    if (!bundle || typeof bundle !== 'object' || !Array.isArray(bundle.keys)) {
      invalid(scope, 'federation.trustDomainBundle', '(bundle)', 'must be a SPIFFE bundle: a JWK set (JSON with a "keys" list)',
        'copy the output of `spire-server bundle show -format spiffe` in the federated trust domain');
    }
    if (bundle.keys.some((k: any) => k && typeof k === 'object' && ('d' in k || 'p' in k || 'q' in k || 'k' in k))) {
      invalid(scope, 'federation.trustDomainBundle', '(bundle)', 'contains private key material', 'publish public keys only');
    }
  }
  const endpointCidrs = options.endpointCidrs === undefined ? undefined : checkCidrList(scope, 'federation.endpointCidrs', options.endpointCidrs, { minPrefix4: 1, minPrefix6: 1 });
  const { bundleEndpointUrl, trustDomainBundle } = options;
  return { trustDomain, bundleEndpointUrl, port, profile, endpointSpiffeId, trustDomainBundle, endpointCidrs };
}
