import { Duration, Lazy } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import { ResolvedFederation, resolveFederation } from './_federation-checks';
import { clusterScoped, MANAGED_BY } from './_k8s';
import { checkDuration, goDuration } from './_spire-config';
import { SpireContext, spireClusterMeta, spireIdentity, spireMeta } from './_spire-context';
import { BundleEndpointProfileType, FederatedTrustDomainOptions, SpireBundleEndpointOptions } from './spiffe-federation';
import * as spire from '../imports/spire';
import { checkCidrList, NON_PUBLIC_IPV4 } from '../intent/_cidr';
import { checkPort, invalid } from '../intent/_validation';
import { Layer } from '../intent/intent-graph';
import { tcpPorts } from '../network/_network-policies';

const PROFILE = spire.ClusterFederatedTrustDomainSpecBundleEndpointProfileType;

/** The bundle endpoint, checked. @internal */
export interface ResolvedBundleEndpoint {
  readonly port: number;
  readonly refreshHint: Duration;
  readonly allowedCidrs: string[];
}

/** @internal */
export function resolveBundleEndpoint(scope: IConstruct, options: SpireBundleEndpointOptions): ResolvedBundleEndpoint {
  if (!options || typeof options !== 'object') {
    invalid(scope, 'federation.bundleEndpoint', options, 'must be an object with allowedCidrs');
  }
  const port = checkPort(scope, 'federation.bundleEndpoint.port', options.port ?? 8443);
  if ([8080, 8081, 8082, 8083, 9443].includes(port)) {
    invalid(scope, 'federation.bundleEndpoint.port', port, 'is used by the SPIRE server pod (8080, 8081, 8082, 8083, 9443)', 'for example 8443');
  }
  const refreshHint = checkDuration(scope, 'federation.bundleEndpoint.refreshHint', options.refreshHint ?? Duration.minutes(5),
    Duration.minutes(1), Duration.days(1), 'SPIRE refreshes at most once a minute and warns above a day');
  const allowedCidrs = checkCidrList(scope, 'federation.bundleEndpoint.allowedCidrs', options.allowedCidrs, { minPrefix4: 1, minPrefix6: 1 });
  return { port, refreshHint, allowedCidrs };
}

/** The `federation` section of `server.conf` (HCL as JSON). @internal */
export function bundleEndpointConfig(endpoint: ResolvedBundleEndpoint): { [key: string]: unknown } {
  return {
    bundle_endpoint: {
      address: '0.0.0.0',
      port: endpoint.port,
      refresh_hint: goDuration(endpoint.refreshHint),
      // `profile "https_spiffe" {}`: the endpoint serves TLS with the server's own SVID
      profile: { https_spiffe: {} },
    },
  };
}

/** The Service and NetworkPolicy of a published bundle endpoint. @internal */
export function publishBundleEndpoint(ctx: SpireContext, endpoint: ResolvedBundleEndpoint, serverLabels: { [key: string]: string }): k8s.KubeService {
  let at = spireIdentity(ctx, 'FederationService');
  const service = new k8s.KubeService(at.scope, at.id, {
    metadata: spireMeta('spire-server-federation', ctx.serverNamespace, 'server'),
    spec: {
      selector: { ...serverLabels },
      ports: [{ name: 'federation', port: endpoint.port, targetPort: k8s.IntOrString.fromString('federation'), protocol: 'TCP' }],
    },
  });
  at = ctx.graph._placement(Layer.NETWORK, ctx.scope, 'spire', 'BundleEndpointPolicy');
  new k8s.KubeNetworkPolicy(at.scope, at.id, {
    metadata: { name: 'spire-server-bundle-endpoint', namespace: ctx.serverNamespace, labels: { ...MANAGED_BY, 'app.kubernetes.io/part-of': 'spire' } },
    spec: {
      podSelector: { matchLabels: { ...serverLabels } },
      policyTypes: ['Ingress'],
      ingress: [{ from: endpoint.allowedCidrs.map(cidr => ({ ipBlock: { cidr } })), ports: tcpPorts([endpoint.port]) }],
    },
  });
  return service;
}

/**
 * The federation relationships of one SPIRE deployment: a ClusterFederatedTrustDomain each, and
 * one egress NetworkPolicy letting the server fetch their bundles.
 * @internal
 */
export class SpireFederations {
  private readonly byTrustDomain = new Map<string, { resolved: ResolvedFederation; object: spire.ClusterFederatedTrustDomain }>();

  public constructor(private readonly ctx: SpireContext, private readonly serverLabels: { [key: string]: string }) {}

  /** The federated trust domains, sorted. */
  public get trustDomains(): string[] {
    return [...this.byTrustDomain.keys()].sort();
  }

  public add(scope: IConstruct, options: FederatedTrustDomainOptions): spire.ClusterFederatedTrustDomain {
    const resolved = resolveFederation(scope, this.ctx.trustDomain, options);
    const existing = this.byTrustDomain.get(resolved.trustDomain);
    if (existing) {
      if (JSON.stringify(existing.resolved) !== JSON.stringify(resolved)) {
        invalid(scope, 'federation', options, `federates with ${resolved.trustDomain} already, with other settings`, 'declare each federated trust domain once');
      }
      return existing.object;
    }
    if (this.byTrustDomain.size === 0) {
      this.egressPolicy();
    }
    const name = `${this.ctx.className}-${resolved.trustDomain.replace(/_/g, '-')}`;
    if (name.length > 253 || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name)) {
      invalid(scope, 'federation.trustDomain', resolved.trustDomain, `gives the object name ${JSON.stringify(name)}, which is not a DNS subdomain of at most 253 characters`);
    }
    const at = spireIdentity(this.ctx, `Federation-${resolved.trustDomain}`);
    const object = clusterScoped(new spire.ClusterFederatedTrustDomain(at.scope, at.id, {
      metadata: spireClusterMeta(name),
      spec: {
        className: this.ctx.className,
        trustDomain: resolved.trustDomain,
        bundleEndpointUrl: resolved.bundleEndpointUrl,
        bundleEndpointProfile: resolved.profile === BundleEndpointProfileType.HTTPS_SPIFFE
          ? { type: PROFILE.HTTPS_UNDERSCORE_SPIFFE, endpointSpiffeid: resolved.endpointSpiffeId }
          : { type: PROFILE.HTTPS_UNDERSCORE_WEB },
        ...(resolved.trustDomainBundle !== undefined ? { trustDomainBundle: resolved.trustDomainBundle } : {}),
      },
    }));
    this.byTrustDomain.set(resolved.trustDomain, { resolved, object });
    return object;
  }

  private egressPolicy(): void {
    const at = this.ctx.graph._placement(Layer.NETWORK, this.ctx.scope, 'spire', 'FederationEgressPolicy');
    new k8s.KubeNetworkPolicy(at.scope, at.id, {
      metadata: { name: 'spire-server-federation', namespace: this.ctx.serverNamespace, labels: { ...MANAGED_BY, 'app.kubernetes.io/part-of': 'spire' } },
      spec: Lazy.any({
        produce: (): k8s.NetworkPolicySpec => ({
          podSelector: { matchLabels: { ...this.serverLabels } },
          policyTypes: ['Egress'],
          // one rule per federated bundle endpoint: its declared addresses, or public addresses
          egress: this.trustDomains.map(td => this.byTrustDomain.get(td)!.resolved).map(f => ({
            to: f.endpointCidrs
              ? f.endpointCidrs.map(cidr => ({ ipBlock: { cidr } }))
              : [{ ipBlock: { cidr: '0.0.0.0/0', except: [...NON_PUBLIC_IPV4] } }],
            ports: tcpPorts([f.port]),
          })),
        }),
      }),
    });
  }
}
