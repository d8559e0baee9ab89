import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { markCiliumEgress } from './_egress';
import * as cilium from '../imports/cilium';
import { checkDns1123Label, invalid, sortedUnique } from '../intent/_validation';
import { IntentGraph, Layer, workloadKey } from '../intent/intent-graph';
import { IMeshWorkload } from '../intent/mesh-workload';
import { ClusterDnsOptions, ZeroTrustNamespace } from '../segmentation/zero-trust-namespace';

/**
 * Which enforcement point authorizes a workload's HTTP requests (methods, paths). There is
 * exactly one per workload: Cilium's L7 proxy cannot see HTTP inside Istio mTLS (requests with
 * Cilium HTTP rules on mTLS traffic fail with 503), and Istio cannot authorize by mTLS identity
 * what arrives in plaintext.
 */
export enum HttpEnforcement {
  /**
   * Istio AuthorizationPolicies (the callee's sidecar) check methods and paths, with the
   * caller's mTLS identity; Cilium enforces L3/L4, DNS and FQDN egress only. The only choice in
   * a STRICT mTLS namespace.
   */
  ISTIO = 'istio',
  /**
   * Cilium `rules.http` checks methods and paths. Only valid for workloads whose traffic is not
   * Istio mTLS (mTLS mode DISABLE, per the Cilium Istio integration guide); a workload in a
   * ZeroTrustNamespace (always STRICT) is refused.
   */
  CILIUM = 'cilium',
}

/**
 * Properties of a CiliumWorkloadPolicy.
 */
export interface CiliumWorkloadPolicyProps {
  /**
   * The workload whose external egress Cilium enforces by name.
   */
  readonly workload: IMeshWorkload;

  /**
   * The enforcement point of the workload's HTTP authorization.
   *
   * @default HttpEnforcement.ISTIO
   */
  readonly httpEnforcement?: HttpEnforcement;

  /**
   * Where cluster DNS runs: the DNS-proxy rule targets these pods.
   *
   * @default - kube-system pods labelled k8s-app=kube-dns
   */
  readonly dns?: ClusterDnsOptions;
}

/** Cilium's label of an endpoint's namespace. */
const CILIUM_NAMESPACE_LABEL = 'k8s:io.kubernetes.pod.namespace';

/**
 * A CiliumNetworkPolicy for one workload of the intent graph, derived from its declared
 * external destinations (`MeshService.allowEgressTo()`):
 *
 * - one egress rule per external host with `toFQDNs: [{ matchName }]` on the declared ports;
 * - ALWAYS the DNS-proxy rule: egress to cluster DNS on port 53 (UDP and TCP) with
 *   `rules.dns: [{ matchPattern: '*' }]`. Cilium learns the addresses of a name only by
 *   intercepting the DNS answer in its DNS proxy; without this rule a toFQDNs policy never
 *   matches (Cilium policy language docs; cilium/cilium#32567). `*` keeps in-cluster lookups
 *   working too (an L7 DNS rule refuses names it does not match).
 *
 * Creating it moves the workload's external egress from the Kubernetes NetworkPolicy (public
 * addresses on the port, because NetworkPolicy cannot match names) to this name-based rule:
 * Cilium ORs all policies selecting a pod, so the ipBlock policy is not emitted for it.
 * Requires Cilium with `--enable-l7-proxy=true` (the default); with Istio also
 * `socketLB.hostNamespaceOnly=true`.
 *
 * @example
 * payments.allowEgressTo('api.stripe.com');
 * new CiliumWorkloadPolicy(edgeChart, 'payments-egress', { workload: payments });
 */
export class CiliumWorkloadPolicy extends Construct {
  /** The CiliumNetworkPolicy. Escape hatch: JSON patches with `ApiObject.of()`. */
  public readonly policy: ApiObject;
  /** The workload. */
  public readonly workload: IMeshWorkload;
  /** The HTTP enforcement point of the workload. */
  public readonly httpEnforcement: HttpEnforcement;

  public constructor(scope: Construct, id: string, props: CiliumWorkloadPolicyProps) {
    super(scope, id);
    const graph = IntentGraph.of(this);
    if (!props || typeof props !== 'object') {
      invalid(this, 'props', props, 'must be an object with workload');
    }
    const workload = props.workload;
    if (!workload || !workload.zeroTrustNamespace || !graph.workloads.includes(workload)) {
      invalid(this, 'workload', workload?.node?.path ?? workload, 'must be a workload of this app\'s intent graph (a MeshService in a ZeroTrustNamespace)');
    }
    this.workload = workload;
    this.httpEnforcement = props.httpEnforcement ?? HttpEnforcement.ISTIO;
    if (!Object.values(HttpEnforcement).includes(this.httpEnforcement)) {
      invalid(this, 'httpEnforcement', this.httpEnforcement, `must be one of ${Object.values(HttpEnforcement).join(', ')}`);
    }
    if (this.httpEnforcement === HttpEnforcement.CILIUM && ZeroTrustNamespace.isZeroTrustNamespace(workload.zeroTrustNamespace)) {
      invalid(this, 'httpEnforcement', this.httpEnforcement,
        `${workloadKey(workload)} runs in a ZeroTrustNamespace with STRICT Istio mTLS, and Cilium's L7 proxy cannot see HTTP inside mTLS (requests would fail with 503); one enforcement point per workload`,
        'keep HttpEnforcement.ISTIO: methods and paths from allowFrom() are already enforced by the callee\'s AuthorizationPolicy');
    }
    const dns = props.dns ?? {};
    const dnsNamespace = checkDns1123Label(this, 'dns.namespace', dns.namespace ?? 'kube-system');
    const dnsLabels = dns.podLabels ?? { 'k8s-app': 'kube-dns' };
    markCiliumEgress(graph, workload);

    const namespace = workload.zeroTrustNamespace.namespaceName;
    const at = graph._placement(Layer.EDGE, this, `${namespace}-${workload.workloadName}`, 'CiliumNetworkPolicy');
    this.policy = new cilium.CiliumNetworkPolicy(at.scope, at.id, {
      metadata: {
        name: `${workload.workloadName}-egress`,
        namespace,
        labels: { 'app.kubernetes.io/managed-by': 'cdk8s-zero-trust', 'app.kubernetes.io/name': workload.workloadName },
      },
      spec: Lazy.any({
        produce: (): cilium.CiliumNetworkPolicySpec => {
          const egress = graph.egressFrom(workload);
          const hosts = sortedUnique(egress.map(e => e.host));
          const dnsPeer: { [key: string]: string } = { [CILIUM_NAMESPACE_LABEL]: dnsNamespace };
          for (const [k, v] of Object.entries(dnsLabels)) dnsPeer[`k8s:${k}`] = v;
          return {
            description: `external egress of ${workloadKey(workload)} by name, from the intent graph`,
            endpointSelector: { matchLabels: { ...workload.podSelectorLabels } },
            egress: [
              {
                toEndpoints: [{ matchLabels: dnsPeer }],
                toPorts: [{
                  ports: [
                    { port: '53', protocol: cilium.CiliumNetworkPolicySpecEgressToPortsPortsProtocol.UDP },
                    { port: '53', protocol: cilium.CiliumNetworkPolicySpecEgressToPortsPortsProtocol.TCP },
                  ],
                  rules: { dns: [{ matchPattern: '*' }] },
                }],
              },
              ...hosts.map(host => ({
                toFqdNs: [{ matchName: host }],
                toPorts: [{
                  ports: sortedUnique(egress.filter(e => e.host === host).map(e => e.port))
                    .map(port => ({ port: String(port), protocol: cilium.CiliumNetworkPolicySpecEgressToPortsPortsProtocol.TCP })),
                }],
              })),
            ],
          };
        },
      }),
    });
    this.node.addValidation({
      validate: () => graph.egressFrom(workload).length === 0
        ? [`${workloadKey(workload)} declares no external destination: call allowEgressTo() on it, or remove this CiliumWorkloadPolicy`]
        : [],
    });
  }
}
