import { Duration } from 'cdk8s';

/**
 * How a SPIRE server authenticates a federated trust domain's bundle endpoint.
 */
export enum BundleEndpointProfileType {
  /**
   * The endpoint presents an X.509-SVID of the federated trust domain with a known SPIFFE ID
   * (SPIRE's default: the server's own SVID, `spiffe://<trust domain>/spire/server`). The first
   * fetch needs the federated bundle (`trustDomainBundle`) to authenticate it.
   */
  HTTPS_SPIFFE = 'https_spiffe',
  /** The endpoint presents a Web PKI certificate (for example from an ACME CA). */
  HTTPS_WEB = 'https_web',
}

/**
 * A trust domain this cluster's SPIRE server federates with: where its bundle is published and
 * how that endpoint is authenticated.
 */
export interface FederatedTrustDomainOptions {
  /** The federated trust domain, for example `cluster-b.example.org`. */
  readonly trustDomain: string;
  /**
   * The HTTPS URL of the federated trust domain's bundle endpoint, for example
   * `https://spire-federation.cluster-b.example.org:8443` (no user info, query or fragment).
   */
  readonly bundleEndpointUrl: string;
  /**
   * How the endpoint is authenticated.
   *
   * @default BundleEndpointProfileType.HTTPS_SPIFFE
   */
  readonly profile?: BundleEndpointProfileType;
  /**
   * The SPIFFE ID the endpoint presents (`https_spiffe` only), in the federated trust domain.
   *
   * @default - `spiffe://<trustDomain>/spire/server` (a SPIRE server's own identity)
   */
  readonly endpointSpiffeId?: string;
  /**
   * The federated trust domain's current bundle (SPIFFE bundle JSON), to authenticate the first
   * `https_spiffe` fetch. Public keys only, never a secret. Later bundles are fetched from the
   * endpoint.
   *
   * @default - none: set it with `kubectl edit clusterfederatedtrustdomain` or `spire-server bundle set` before the first fetch
   */
  readonly trustDomainBundle?: string;
  /**
   * The addresses (CIDRs) of the bundle endpoint. The SPIRE server's egress NetworkPolicy admits
   * exactly these on the URL's port.
   *
   * @default - public addresses on the URL's port (NetworkPolicies cannot match host names; private, link-local and metadata ranges stay closed)
   */
  readonly endpointCidrs?: string[];
}

/**
 * Publishing this trust domain's SPIFFE bundle endpoint, which federated SPIRE servers fetch
 * this trust domain's bundle from.
 */
export interface SpireBundleEndpointOptions {
  /**
   * The addresses (CIDRs) the federated trust domains' SPIRE servers fetch the bundle from, as
   * this cluster sees them (their egress NAT addresses, or the load balancer's in front of the
   * endpoint). The endpoint's NetworkPolicy admits exactly these.
   */
  readonly allowedCidrs: string[];
  /**
   * The port the server listens on for the bundle endpoint (the `federation` port of the
   * `spire-server-federation` Service).
   *
   * @default 8443
   */
  readonly port?: number;
  /**
   * How often federated servers should refresh the bundle (`refresh_hint`), between 1 minute and
   * 1 day.
   *
   * @default Duration.minutes(5)
   */
  readonly refreshHint?: Duration;
}

/**
 * SPIFFE federation of a SPIRE deployment.
 */
export interface SpireFederationOptions {
  /**
   * Publish this trust domain's bundle endpoint with the `https_spiffe` profile (the server
   * authenticates with its own SVID, `spiffe://<trustDomain>/spire/server`).
   *
   * @default - not published
   */
  readonly bundleEndpoint?: SpireBundleEndpointOptions;
  /**
   * Trust domains to federate with (more with `SpireDeployment.federateWith()`).
   *
   * @default - none
   */
  readonly federatesWith?: FederatedTrustDomainOptions[];
}
