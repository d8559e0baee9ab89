import { IMeshWorkload } from '../intent/mesh-workload';

/**
 * Who fetches the JWKS (the issuer's public keys) of a RequestAuthentication.
 */
export enum JwksFetcher {
  /**
   * istiod fetches the keys and pushes them to the proxies (Istio's default). istiod has no
   * sidecar: it can reach public endpoints, but not a JWKS endpoint inside the mesh behind
   * STRICT mTLS (istio/istio#40553).
   */
  ISTIOD = 'istiod',
  /**
   * Each enforcing Envoy fetches the keys itself, over the mesh, so an in-mesh JWKS endpoint
   * works under STRICT mTLS. Requires istiod to run with
   * `PILOT_JWT_ENABLE_REMOTE_JWKS=hybrid` (or `envoy`); the library then also allows every
   * enforcing proxy to call the JWKS service (`JwtIssuer.jwksService`).
   */
  PROXY = 'proxy',
}

/**
 * The identity provider whose tokens the access proxy verifies.
 */
export interface JwtIssuer {
  /**
   * The issuer (`iss` claim), an https URL. Request principals are `<issuer>/<sub>`.
   */
  readonly issuer: string;

  /**
   * The URL of the issuer's JSON Web Key Set. https for endpoints outside the cluster; an
   * in-cluster URL (`http://keycloak.identity.svc.cluster.local/...`) needs
   * `jwksFetcher: JwksFetcher.PROXY` and `jwksService`.
   */
  readonly jwksUri: string;

  /**
   * The accepted audiences (`aud` claim): tokens minted for other applications are refused.
   */
  readonly audiences: string[];

  /**
   * Who fetches the JWKS.
   *
   * @default JwksFetcher.ISTIOD
   */
  readonly jwksFetcher?: JwksFetcher;

  /**
   * The workload serving an in-cluster `jwksUri` (with `JwksFetcher.PROXY`). The gateway and
   * every service it routes to are allowed to GET the JWKS path from it.
   *
   * @default - none (required for an in-cluster jwksUri)
   */
  readonly jwksService?: IMeshWorkload;
}
