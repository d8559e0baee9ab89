import { IMeshWorkload } from './mesh-workload';

/**
 * Restrictions of an allowed call.
 */
export interface CallOptions {
  /**
   * Container ports of the callee the caller may reach.
   *
   * @default - every port of the callee
   */
  readonly ports?: number[];

  /**
   * HTTP methods the caller may use (upper case, for example `GET`). Only for HTTP, HTTP/2
   * and gRPC ports.
   *
   * @default - any method
   */
  readonly methods?: string[];

  /**
   * Request paths the caller may use, in Istio syntax: exact (`/api/v1/charge`), prefix
   * (`/api/orders/*`), suffix (`*.json`) or a path template (`/api/{*}/items`, `/static/{**}`).
   * Only for HTTP, HTTP/2 and gRPC ports.
   *
   * @default - any path
   */
  readonly paths?: string[];

  /**
   * JWT claims the end user's token must carry, `claim name -> accepted values` (any one value
   * per claim; every claim listed). For a list claim such as `groups`, one element must match.
   * Only valid when the caller verifies end-user tokens (an `AccessProxy` with its
   * RequestAuthentication): the caller's gateway and the callee both check the claims, as
   * `when` conditions on `request.auth.claims[<name>]`.
   *
   * @example { groups: ['shop-users'], device_trust: ['managed'] }
   * @default - no claim is required (a verified token is still required when the caller is an AccessProxy)
   */
  readonly requireClaims?: { [claim: string]: string[] };

  /**
   * HTTP request headers the caller must send, `lower-case name -> exact value` (every header
   * listed). Rendered as `when: request.headers[<name>]` in Istio, `headerMatches` in Cilium
   * HTTP rules and header matches of the access proxy's routes. Only for HTTP, HTTP/2 and gRPC
   * ports. Headers are set by the caller: use them to pin an API version or a tenant, never as
   * proof of identity.
   *
   * @example { 'x-api-version': 'v1' }
   * @default - no header is required
   */
  readonly requireHeaders?: { [name: string]: string };
}

/**
 * A request to check against the intent graph with `IntentGraph.allows()`.
 */
export interface RequestQuery {
  /**
   * The callee's container port.
   *
   * @default - any one port of the callee is enough
   */
  readonly port?: number;
  /**
   * The HTTP method.
   *
   * @default - the method is not checked (an L4 connection)
   */
  readonly method?: string;
  /**
   * The request path.
   *
   * @default - the path is not checked (an L4 connection)
   */
  readonly path?: string;

  /**
   * The claims of the end user's verified token (`claim -> values`).
   *
   * @default - no token: calls that require claims are not allowed
   */
  readonly claims?: { [claim: string]: string[] };

  /**
   * The request headers (`lower-case name -> value`).
   *
   * @default - no headers: calls that require headers are not allowed
   */
  readonly headers?: { [name: string]: string };
}

/**
 * One allowed call of the intent graph: `caller` may call `callee` on `ports`, restricted to
 * `methods` and `paths` when they are not empty.
 */
export class CallIntent {
  /** @internal */
  public static _create(trustDomain: string, caller: IMeshWorkload, callee: IMeshWorkload,
    ports: number[], methods: string[], paths: string[], claims: { [claim: string]: string[] } = {},
    headers: { [name: string]: string } = {}): CallIntent {
    return new CallIntent(trustDomain, caller, callee, ports, methods, paths, claims, headers);
  }

  /** The calling workload. */
  public readonly caller: IMeshWorkload;
  /** The called workload. */
  public readonly callee: IMeshWorkload;
  /** The callee's container ports the caller may reach (sorted, never empty). */
  public readonly ports: number[];
  /** The HTTP methods allowed (sorted); empty means any method. */
  public readonly methods: string[];
  /** The request paths allowed (sorted); empty means any path. */
  public readonly paths: string[];
  /** JWT claims the end user's token must carry (claim -> accepted values, sorted); empty means none. */
  public readonly requiredClaims: { [claim: string]: string[] };
  /** HTTP headers the request must carry (lower-case name -> exact value); empty means none. */
  public readonly requiredHeaders: { [name: string]: string };

  private readonly trustDomain: string;

  private constructor(trustDomain: string, caller: IMeshWorkload, callee: IMeshWorkload, ports: number[], methods: string[], paths: string[],
    claims: { [claim: string]: string[] }, headers: { [name: string]: string }) {
    this.trustDomain = trustDomain;
    this.requiredClaims = claims;
    this.requiredHeaders = headers;
    this.caller = caller;
    this.callee = callee;
    this.ports = ports;
    this.methods = methods;
    this.paths = paths;
  }

  /** The caller's identity as an Istio source principal (`<trustDomain>/ns/<ns>/sa/<sa>`). */
  public get sourcePrincipal(): string {
    return principalOf(this.trustDomain, this.caller);
  }

  /** Whether the call is restricted at L7 (by method, path or header). */
  public get isL7(): boolean {
    return this.methods.length > 0 || this.paths.length > 0 || Object.keys(this.requiredHeaders).length > 0;
  }

  /** A stable, human-readable key of the call. */
  public get key(): string {
    // ports, methods, claim and header names cannot hold a separator; paths, claim values and
    // header values can (a path may hold ',', a claim value '|'): those are JSON-encoded (quoted)
    // when they hold one, and a plain value never holds a quote, so two different calls never
    // share a key while ordinary keys stay readable
    const l7 = this.isL7 ? ` ${this.methods.join(',') || '*'} ${this.paths.map(keyPart).join(',') || '*'}` : '';
    const claims = Object.keys(this.requiredClaims).map(c => `${c}=${this.requiredClaims[c].map(keyPart).join('|')}`).join(',');
    const headers = Object.keys(this.requiredHeaders).map(h => `${h}: ${keyPart(this.requiredHeaders[h])}`).join(',');
    return `${workloadKey(this.caller)} -> ${workloadKey(this.callee)}:${this.ports.join(',')}${l7}${claims ? ` [${claims}]` : ''}${headers ? ` {${headers}}` : ''}`;
  }
}

/**
 * An in-cluster service outside the intent graph that a workload's injected containers call
 * through its sidecar (for example the Vault agent calling Vault). Layers that restrict what a
 * sidecar may reach (Istio `Sidecar` egress hosts) keep it reachable.
 */
export interface PlatformEndpoint {
  /** The namespace of the service. */
  readonly namespace: string;
  /** The service's fully qualified host name, for example `vault.vault.svc.cluster.local`. */
  readonly host: string;
  /** The port called. */
  readonly port: number;
}

/**
 * A destination outside the cluster a workload may call: `workload` may open connections to
 * `host` on `port`. Recorded with `MeshService.allowEgressTo()`.
 */
export class EgressIntent {
  /** @internal */
  public static _create(workload: IMeshWorkload, host: string, port: number): EgressIntent {
    return new EgressIntent(workload, host, port);
  }

  /** The workload that may call out. */
  public readonly workload: IMeshWorkload;
  /** The external host name (exact, lower case). */
  public readonly host: string;
  /** The TCP port. */
  public readonly port: number;

  private constructor(workload: IMeshWorkload, host: string, port: number) {
    this.workload = workload;
    this.host = host;
    this.port = port;
  }

  /** A stable, human-readable key of the egress. */
  public get key(): string {
    return `${workloadKey(this.workload)} -> ${this.host}:${this.port}`;
  }
}

/** A free-text part of a key: as it is, or JSON-quoted when it holds a separator or a quote. */
function keyPart(value: string): string {
  return /^[^\s,|=:"[\]{}]+$/.test(value) ? value : JSON.stringify(value);
}

/** `<namespace>/<name>` @internal */
export function workloadKey(workload: IMeshWorkload): string {
  return `${workload.zeroTrustNamespace.namespaceName}/${workload.workloadName}`;
}

/** `<trustDomain>/ns/<namespace>/sa/<serviceAccount>` @internal */
export function principalOf(trustDomain: string, workload: IMeshWorkload): string {
  return `${trustDomain}/ns/${workload.zeroTrustNamespace.namespaceName}/sa/${workload.serviceAccountName}`;
}
