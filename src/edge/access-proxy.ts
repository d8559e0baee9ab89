import { ApiObject, ApiObjectMetadata, ApiObjectProps, Lazy, Yaml } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { endUserTokens } from './_end-user-tokens';
import { checkJwtIssuer } from './_jwt';
import { istioPathToRegex } from './_paths';
import { JwtIssuer } from './jwt-issuer';
import { EnforcementPoints } from '../enforcement/enforcement-points';
import * as gw from '../imports/gateway-api';
import * as istio from '../imports/istio-security';
import { checkCidrList } from '../intent/_cidr';
import { guardArgs, guardProps, staticScope } from '../intent/_guards';
import { MANAGED_BY } from '../intent/_labels';
import { checkDns1123Label, checkPort, invalid, sortedUnique } from '../intent/_validation';
import { CallIntent, IntentGraph, Layer, workloadKey } from '../intent/intent-graph';
import { AppProtocol, IMeshWorkload, IZeroTrustNamespace, WorkloadPort } from '../intent/mesh-workload';
import { claimConditions, ensureAuthorizationPolicy, headerConditions } from '../mesh/_authorization';
import { ensureEgressPolicy, ensureIngressPolicy, NAMESPACE_NAME_LABEL } from '../network/_network-policies';
import { PlatformComponent } from '../platform/platform-component';
import { PlatformComponents } from '../platform/platform-components';
import { ProxyImageOptions } from '../platform/platform-workload';
import { requireZeroTrustNamespace, ZeroTrustNamespace } from '../segmentation/zero-trust-namespace';

/**
 * Properties of an AccessProxy.
 */
export interface AccessProxyProps {
  /**
   * The zero-trust namespace the gateway runs in.
   */
  readonly namespace: ZeroTrustNamespace;

  /**
   * The host names users reach the proxy by (the routes' `hostnames`).
   */
  readonly hostnames: string[];

  /**
   * The name of the `kubernetes.io/tls` Secret (in the gateway's namespace) with the listener's
   * certificate. Tokens are bearer credentials: the proxy only listens on HTTPS.
   */
  readonly tlsSecretName: string;

  /**
   * The identity provider whose tokens are verified.
   */
  readonly jwt: JwtIssuer;

  /**
   * The Gateway name (a DNS-1123 label). Istio deploys the gateway as Deployment and Service
   * `<name>-istio` running as ServiceAccount `<name>-istio`.
   *
   * @default - the construct id
   */
  readonly name?: string;

  /**
   * The HTTPS listener port (also the gateway pods' container port).
   *
   * @default 443
   */
  readonly port?: number;

  /**
   * The source CIDRs that may reach the gateway pods (the NetworkPolicy ingress). With a
   * load balancer that does not preserve client addresses, these are node or load balancer
   * addresses.
   *
   * @default ['0.0.0.0/0', '::/0']
   */
  readonly allowedSourceRanges?: string[];

  /**
   * The GatewayClass.
   *
   * @default 'istio'
   */
  readonly gatewayClassName?: string;

  /**
   * How istiod renders the gateway's proxy image (hub, registry mirror, digest): the gateway's
   * platform description (`PlatformComponent.kubernetesGateway()`, which the policy pack admits
   * and exempts exactly) uses it.
   *
   * @default - docker.io/istio/proxyv2 at Istio's pinned version
   */
  readonly proxyImage?: ProxyImageOptions;
}

const GATEWAY_NAME_LABEL = 'gateway.networking.k8s.io/gateway-name';
const HOSTNAME = /^(\*\.)?[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)+$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const MAX_ROUTE_RULES = 16;
const MAX_RULE_MATCHES = 64;

/**
 * An identity-aware access proxy (the BeyondCorp pattern): an Istio ingress gateway, defined
 * with the Kubernetes Gateway API, where every request must carry a valid end-user JWT and is
 * authorized per route.
 *
 * It is a workload of the intent graph, so routes are ordinary calls:
 * `frontend.allowFrom(proxy, { paths, methods, requireClaims })` opens exactly those routes at
 * every layer — the HTTPRoute, the gateway's AuthorizationPolicy (verified request principal,
 * claims), the callee's NetworkPolicy and AuthorizationPolicy (the gateway's mTLS identity AND
 * the forwarded token, re-verified by a RequestAuthentication on the callee).
 *
 * Synthesizes: a Gateway (class `istio`, one HTTPS listener terminating TLS, routes accepted
 * only from the namespaces of declared callees); a RequestAuthentication on the gateway pods
 * (issuer, JWKS, audiences; the token is forwarded); an AuthorizationPolicy
 * `<name>-require-jwt` that ALLOWs only declared routes with a verified request principal and
 * the required claims (so a request without a token gets 403 at the edge); a NetworkPolicy
 * admitting `allowedSourceRanges` on the listener port; per callee an HTTPRoute (in the
 * callee's namespace) and a RequestAuthentication.
 *
 * Istio deploys the gateway itself (Deployment, Service and ServiceAccount `<name>-istio`,
 * pods labelled `gateway.networking.k8s.io/gateway-name: <name>`), customized through a
 * ConfigMap `<name>-gateway-options` (the Gateway's `infrastructure.parametersRef`) that adds
 * the RuntimeDefault seccomp profile the `restricted` Pod Security level requires.
 *
 * @example
 * const proxy = new AccessProxy(edgeChart, 'access-proxy', {
 *   namespace: edge, hostnames: ['shop.example.com'], tlsSecretName: 'shop-example-com-tls',
 *   jwt: { issuer: 'https://login.example.com', jwksUri: 'https://login.example.com/.well-known/jwks.json', audiences: ['shop'] },
 * });
 * frontend.allowFrom(proxy, { methods: ['GET'], paths: ['/', '/static/*'], requireClaims: { groups: ['customers'] } });
 */
export class AccessProxy extends Construct implements IMeshWorkload {
  /**
   * The JWT issuers whose verified end-user tokens `workload` forwards to the workloads it
   * calls: an AccessProxy's issuer, none for any other workload.
   *
   * @param workload a workload of the intent graph
   * @returns the issuers, sorted
   */
  public static endUserTokenIssuersOf(workload: IMeshWorkload): string[] {
    guardArgs(staticScope('AccessProxy.endUserTokenIssuersOf'), 'AccessProxy', 'endUserTokenIssuersOf', [workload]);
    return endUserTokens(IntentGraph.of(workload)).issuersOf(workload);
  }

  /** The Gateway name. */
  public readonly workloadName: string;
  /** The zero-trust namespace. */
  public readonly zeroTrustNamespace: IZeroTrustNamespace;
  /** The ServiceAccount of the gateway pods, created by Istio: `<name>-istio`. */
  public readonly serviceAccountName: string;
  /** Labels of the gateway pods (set by Istio's gateway deployment). */
  public readonly podSelectorLabels: { [key: string]: string };
  /** The listener port. */
  public readonly workloadPorts: WorkloadPort[];
  /** The JWT issuer. */
  public readonly issuer: string;
  /** The Gateway. Escape hatch: `ApiObject.of(...)` JSON patches. */
  public readonly gateway: ApiObject;
  /** The gateway's RequestAuthentication. */
  public readonly requestAuthentication: ApiObject;
  /** The gateway's AuthorizationPolicy requiring a verified token on every route. */
  public readonly authorizationPolicy: ApiObject;
  /** The NetworkPolicy admitting clients to the gateway pods. */
  public readonly ingressPolicy: k8s.KubeNetworkPolicy;
  /**
   * The ConfigMap the Gateway's `infrastructure.parametersRef` points to: a patch of the
   * Deployment Istio generates (RuntimeDefault seccomp profile, for Pod Security `restricted`).
   * Add keys (`deployment`, `service`, `horizontalPodAutoscaler`, `podDisruptionBudget`) with
   * JSON patches on it.
   */
  public readonly gatewayOptions: k8s.KubeConfigMap;
  /**
   * The gateway pods istiod deploys, as istiod 1.30's kube-gateway template renders them with
   * this construct's seccomp patch (image, container, privileges, ports, egress).
   */
  public readonly gatewayComponent: PlatformComponent;

  private readonly graph: IntentGraph;
  private readonly hostnames: string[];
  private readonly jwtRule: istio.RequestAuthenticationSpecJwtRules;
  private readonly jwks?: { service: IMeshWorkload; port: number; path: string };
  private fetchingJwks = false;

  public constructor(scope: Construct, id: string, props: AccessProxyProps) {
    super(scope, id);
    guardProps(this, 'AccessProxy', props);
    this.graph = IntentGraph.of(this);
    if (!props || typeof props !== 'object') {
      invalid(this, 'props', props, 'must be an object with namespace, hostnames, tlsSecretName and jwt');
    }
    this.zeroTrustNamespace = requireZeroTrustNamespace(this, props.namespace);
    if (!EnforcementPoints.of(this).forNamespace(this.zeroTrustNamespace).sidecar) {
      invalid(this, 'namespace', this.zeroTrustNamespace.namespaceName, 'the access proxy must run in a sidecar-mode namespace (Istio injects the gateway like a sidecar)',
        'put the proxy in a ZeroTrustNamespace with MeshMode.SIDECAR');
    }
    this.workloadName = checkDns1123Label(this, 'name', props.name ?? id);
    if (this.workloadName.length > 57) {
      invalid(this, 'name', this.workloadName, 'must be at most 57 characters: Istio names the gateway Deployment, Service and ServiceAccount `<name>-istio` (at most 63)');
    }
    this.serviceAccountName = `${this.workloadName}-istio`;
    this.podSelectorLabels = { [GATEWAY_NAME_LABEL]: this.workloadName };
    const port = checkPort(this, 'port', props.port ?? 443);
    this.workloadPorts = [{ port, protocol: AppProtocol.HTTP }];
    if (!Array.isArray(props.hostnames) || props.hostnames.length === 0) {
      invalid(this, 'hostnames', props.hostnames, 'must list at least one host name', 'for example [\'shop.example.com\']');
    }
    for (const host of props.hostnames) {
      if (typeof host !== 'string' || !HOSTNAME.test(host) || host.length > 253) {
        invalid(this, 'hostnames', host, 'must be a lower-case DNS name, optionally with a leading \'*.\' (Gateway API hostname)');
      }
    }
    this.hostnames = sortedUnique(props.hostnames);
    if (typeof props.tlsSecretName !== 'string' || props.tlsSecretName.length > 253 || !DNS1123_SUBDOMAIN.test(props.tlsSecretName)) {
      invalid(this, 'tlsSecretName', props.tlsSecretName, 'must be the name of a Secret (a DNS-1123 subdomain: lower-case alphanumerics, \'-\' and \'.\')');
    }
    const sources = props.allowedSourceRanges ?? ['0.0.0.0/0', '::/0'];
    checkCidrList(this, 'allowedSourceRanges', sources);
    const gatewayClassName = checkDns1123Label(this, 'gatewayClassName', props.gatewayClassName ?? 'istio');
    if (props.proxyImage !== undefined && (props.proxyImage === null || typeof props.proxyImage !== 'object')) {
      invalid(this, 'proxyImage', props.proxyImage, 'must be an object with hub, registry or digests');
    }
    // the gateway pods istiod deploys, as a platform component: the pack admits exactly their image
    // and exempts exactly their pod's ServiceAccount token; their NetworkPolicies are this
    // construct's and the network layer's
    this.gatewayComponent = PlatformComponents._declare(this, PlatformComponent.kubernetesGateway({
      ...props.proxyImage,
      name: this.workloadName,
      namespace: this.zeroTrustNamespace.namespaceName,
      listenerPorts: [port],
      runtimeDefaultSeccomp: true,
    }));

    const jwt = checkJwtIssuer(this, this.graph, props.jwt);
    this.issuer = jwt.issuer;
    this.jwks = jwt.jwks;
    this.jwtRule = jwt.rule;

    this.graph._addWorkload(this);
    endUserTokens(this.graph).registerVerifier(this, [this.issuer]);
    this.graph._onCall(call => this.onCall(call));

    const namespace = this.zeroTrustNamespace.namespaceName;
    const place = (childId: string) => this.graph._placement(Layer.EDGE, this, `${namespace}-${this.workloadName}`, childId);
    const meta = (name: string) => ({ name, namespace, labels: { ...MANAGED_BY, 'app.kubernetes.io/name': this.workloadName } });

    // Istio's generated gateway Deployment sets no seccomp profile, which the `restricted` Pod
    // Security level rejects (istio/istio#56383): patch it in through the Gateway's parametersRef
    let at = place('Options');
    this.gatewayOptions = new k8s.KubeConfigMap(at.scope, at.id, {
      metadata: meta(`${this.workloadName}-gateway-options`),
      data: { deployment: Yaml.stringify({ spec: { template: { spec: { securityContext: { seccompProfile: { type: 'RuntimeDefault' } } } } } }) },
    });

    at = place('Gateway');
    this.gateway = new gw.Gateway(at.scope, at.id, {
      metadata: meta(this.workloadName),
      spec: {
        gatewayClassName,
        infrastructure: { parametersRef: { group: '', kind: 'ConfigMap', name: `${this.workloadName}-gateway-options` } },
        listeners: [{
          name: 'https',
          port,
          protocol: 'HTTPS',
          tls: { mode: gw.GatewaySpecListenersTlsMode.TERMINATE, certificateRefs: [{ group: '', kind: 'Secret', name: props.tlsSecretName }] },
          allowedRoutes: {
            kinds: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute' }],
            namespaces: Lazy.any({ produce: () => this.allowedRouteNamespaces() }),
          },
        }],
      },
    });

    at = place('RequestAuthentication');
    this.requestAuthentication = requestAuthentication(at.scope, at.id, meta(this.workloadName), this.podSelectorLabels, this.jwtRule);

    at = place('AuthorizationPolicy');
    this.authorizationPolicy = new istio.AuthorizationPolicy(at.scope, at.id, {
      metadata: meta(`${this.workloadName}-require-jwt`),
      spec: Lazy.any({
        produce: (): istio.AuthorizationPolicySpec => ({
          selector: { matchLabels: { ...this.podSelectorLabels } },
          action: istio.AuthorizationPolicySpecAction.ALLOW,
          rules: this.gatewayRules(),
        }),
      }),
    });

    at = place('IngressPolicy');
    this.ingressPolicy = new k8s.KubeNetworkPolicy(at.scope, at.id, {
      metadata: meta(`${this.workloadName}-external-ingress`),
      spec: {
        podSelector: { matchLabels: { ...this.podSelectorLabels } },
        policyTypes: ['Ingress'],
        ingress: [{ from: sources.map(cidr => ({ ipBlock: { cidr } })), ports: [{ protocol: 'TCP', port: k8s.IntOrString.fromNumber(port) }] }],
      },
    });

    if (this.jwks) {
      this.allowJwksFetch(this);
    }
  }

  /** The routes (calls) this proxy forwards, from the intent graph. */
  public get routes(): CallIntent[] {
    // not the proxy's own calls (JWKS fetches), which carry no end-user token
    return this.graph.callsFrom(this).filter(c => endUserTokens(this.graph).carriesToken(c));
  }

  /** Request principals of verified tokens: `<issuer>/*`. */
  public get requestPrincipals(): string[] {
    return [`${this.issuer}/*`];
  }

  /** Lets `fetcher` (the gateway or a callee: every proxy enforcing the RequestAuthentication) GET the JWKS. */
  private allowJwksFetch(fetcher: IMeshWorkload): void {
    const jwks = this.jwks!;
    if (fetcher === jwks.service) {
      return;
    }
    this.fetchingJwks = true;
    try {
      const call = this.graph._addCall(fetcher, jwks.service, { ports: [jwks.port], methods: ['GET'], paths: [jwks.path] });
      endUserTokens(this.graph).markWithoutToken(call);
    } finally {
      this.fetchingJwks = false;
    }
    ensureIngressPolicy(this.graph, jwks.service);
    ensureAuthorizationPolicy(this.graph, jwks.service);
    ensureEgressPolicy(this.graph, fetcher);
  }

  private onCall(call: CallIntent): void {
    if (call.caller !== this || this.fetchingJwks) {
      return;
    }
    const callee = call.callee;
    if (call.ports.length !== 1) {
      invalid(callee, 'ports', call.ports, 'a route from an access proxy goes to exactly one port of the callee', 'name the HTTP port with ports: [<port>]');
    }
    const protocol = callee.workloadPorts.find(p => p.port === call.ports[0])?.protocol;
    if (protocol === AppProtocol.TCP || protocol === AppProtocol.GRPC) {
      invalid(callee, 'ports', call.ports, `port ${call.ports[0]} of ${workloadKey(callee)} is ${protocol}; an HTTPRoute forwards HTTP`, 'route to an HTTP or HTTP/2 port');
    }
    const routes = this.routes.filter(c => c.callee === callee);
    if (routes.length > MAX_ROUTE_RULES) {
      invalid(callee, 'routes', routes.length, `an HTTPRoute holds at most ${MAX_ROUTE_RULES} rules`, 'merge paths into fewer allowFrom() calls');
    }
    if (Math.max(1, call.paths.length) * Math.max(1, call.methods.length) > MAX_RULE_MATCHES) {
      invalid(callee, 'paths', call.paths, `paths x methods must be at most ${MAX_RULE_MATCHES} (an HTTPRoute rule's matches)`);
    }
    const calleeNs = callee.zeroTrustNamespace.namespaceName;
    const at = (childId: string) => this.graph._placement(Layer.EDGE, this, `${this.zeroTrustNamespace.namespaceName}-${this.workloadName}`, `${childId}-${calleeNs}-${callee.workloadName}`);
    const meta = (name: string) => ({ name, namespace: calleeNs, labels: { ...MANAGED_BY, 'app.kubernetes.io/name': callee.workloadName } });

    const routeAt = at('Route');
    if (!routeAt.scope.node.tryFindChild(routeAt.id)) {
      new gw.HttpRoute(routeAt.scope, routeAt.id, {
        metadata: meta(`${this.workloadName}-${callee.workloadName}`),
        spec: Lazy.any({ produce: () => this.renderRoute(callee) }),
      });
    }
    const authnAt = at('RequestAuthentication');
    if (!authnAt.scope.node.tryFindChild(authnAt.id)) {
      // the callee verifies the forwarded token itself, so its AuthorizationPolicy can check the
      // request principal and the claims
      requestAuthentication(authnAt.scope, authnAt.id, meta(`${callee.workloadName}-${this.workloadName}-jwt`), callee.podSelectorLabels, this.jwtRule);
      if (this.jwks) {
        this.allowJwksFetch(callee);
      }
    }
  }

  private allowedRouteNamespaces(): gw.GatewaySpecListenersAllowedRoutesNamespaces {
    const namespaces = sortedUnique(this.routes.map(c => c.callee.zeroTrustNamespace.namespaceName));
    if (namespaces.length === 0) {
      return { from: gw.GatewaySpecListenersAllowedRoutesNamespacesFrom.SAME };
    }
    return {
      from: gw.GatewaySpecListenersAllowedRoutesNamespacesFrom.SELECTOR,
      selector: { matchExpressions: [{ key: NAMESPACE_NAME_LABEL, operator: 'In', values: namespaces }] },
    };
  }

  private renderRoute(callee: IMeshWorkload): gw.HttpRouteSpec {
    const calls = this.routes.filter(c => c.callee === callee);
    return {
      parentRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: this.workloadName, namespace: this.zeroTrustNamespace.namespaceName, sectionName: 'https' }],
      hostnames: [...this.hostnames],
      rules: calls.map(call => {
        const port = callee.workloadPorts.find(p => p.port === call.ports[0])!;
        const paths: Array<gw.HttpRouteSpecRulesMatchesPath | undefined> = call.paths.length ? call.paths.map(routePath) : [undefined];
        const methods: Array<string | undefined> = call.methods.length ? call.methods : [undefined];
        const headers = Object.keys(call.requiredHeaders)
          .map(name => ({ type: gw.HttpRouteSpecRulesMatchesHeadersType.EXACT, name, value: call.requiredHeaders[name] }));
        return {
          matches: paths.flatMap(path => methods.map(method => ({
            path: path ?? { type: gw.HttpRouteSpecRulesMatchesPathType.PATH_PREFIX, value: '/' },
            ...(method ? { method: method as gw.HttpRouteSpecRulesMatchesMethod } : {}),
            ...(headers.length ? { headers } : {}),
          }))),
          backendRefs: [{ name: callee.workloadName, port: port.servicePort ?? port.port }],
        };
      }),
    };
  }

  /** One ALLOW rule per route: a verified token, the route's methods and paths, and its claims. */
  private gatewayRules(): istio.AuthorizationPolicySpecRules[] {
    const rules = new Map<string, istio.AuthorizationPolicySpecRules>();
    for (const call of this.routes) {
      const when = [...claimConditions(call.requiredClaims), ...headerConditions(call.requiredHeaders)];
      const rule: istio.AuthorizationPolicySpecRules = {
        from: [{ source: { requestPrincipals: this.requestPrincipals } }],
        ...(call.methods.length || call.paths.length ? {
          to: [{
            operation: {
              ...(call.methods.length ? { methods: call.methods } : {}),
              ...(call.paths.length ? { paths: call.paths } : {}),
            },
          }],
        } : {}),
        ...(when.length ? { when } : {}),
      };
      rules.set(JSON.stringify(rule), rule);
    }
    return [...rules.keys()].sort().map(k => rules.get(k)!);
  }
}

/**
 * A RequestAuthentication selecting `podLabels`. Written as a plain ApiObject of the binding's
 * GVK because the generated binding serializes `jwksUri` as the legacy `jwks_uri` (both are in
 * the CRD); the output keeps the documented field name.
 */
function requestAuthentication(scope: Construct, id: string, metadata: ApiObjectMetadata, podLabels: { [key: string]: string },
  rule: istio.RequestAuthenticationSpecJwtRules): ApiObject {
  return new ApiObject(scope, id, {
    ...istio.RequestAuthentication.GVK,
    metadata,
    spec: { selector: { matchLabels: { ...podLabels } }, jwtRules: [{ ...rule }] },
  } as ApiObjectProps);
}

/** An Istio path as a Gateway API path match: Exact, or RE2 for prefixes, suffixes and templates. */
function routePath(path: string): gw.HttpRouteSpecRulesMatchesPath {
  const exact = !path.includes('{') && !path.includes('*');
  return exact
    ? { type: gw.HttpRouteSpecRulesMatchesPathType.EXACT, value: path }
    : { type: gw.HttpRouteSpecRulesMatchesPathType.REGULAR_EXPRESSION, value: istioPathToRegex(path) };
}
