import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { markCiliumEgress } from './_egress';
import { endUserTokens } from './_end-user-tokens';
import { istioPathToRegex } from './_paths';
import { EnforcementPoints, Rollout } from '../enforcement/enforcement-points';
import * as cilium from '../imports/cilium';
import * as istio from '../imports/istio-security';
import { NON_PUBLIC_IPV4, NON_PUBLIC_IPV6 } from '../intent/_cidr';
import { guardProps } from '../intent/_guards';
import { checkDns1123Label, checkLabels, invalid, sortedUnique } from '../intent/_validation';
import { IntentGraph, Layer, workloadKey } from '../intent/intent-graph';
import { IMeshWorkload } from '../intent/mesh-workload';
import { ClusterDnsOptions } from '../segmentation/zero-trust-namespace';

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
   * Cilium checks callers (by endpoint identity, `fromEndpoints`) and methods and paths
   * (`rules.http`) of the requests the workload receives. Cilium cannot see HTTP inside mTLS,
   * so the workload's inbound traffic is switched to plaintext (a workload PeerAuthentication
   * with mTLS DISABLE, the Cilium Istio guide's fix); its Istio AuthorizationPolicy then opens
   * the declared ports only and its Kubernetes ingress NetworkPolicy admits nothing (an L4
   * rule would widen Cilium's L7 rules). Enable Cilium transparent encryption (WireGuard or
   * IPsec) to keep the wire encrypted. Refused in ambient namespaces (ztunnel always uses
   * mTLS) and for workloads called by an AccessProxy or with required claims (end-user tokens
   * are verified by Istio).
   */
  CILIUM = 'cilium',
}

/**
 * Properties of a CiliumWorkloadPolicy.
 */
export interface CiliumWorkloadPolicyProps {
  /**
   * The workload: Cilium enforces its external egress by name, and with
   * `HttpEnforcement.CILIUM` the requests it receives.
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
/** One CiliumWorkloadPolicy per workload. */
const POLICIES = new WeakMap<IMeshWorkload, CiliumWorkloadPolicy>();

/** Cilium endpoint labels selecting `workload`'s pods from any namespace. */
function endpointLabels(workload: IMeshWorkload): { [key: string]: string } {
  const labels: { [key: string]: string } = { [CILIUM_NAMESPACE_LABEL]: workload.zeroTrustNamespace.namespaceName };
  for (const [k, v] of Object.entries(workload.podSelectorLabels)) labels[`k8s:${k}`] = v;
  return labels;
}

/**
 * A CiliumNetworkPolicy for one workload of the intent graph, derived from its declared
 * external destinations (`MeshService.allowEgressTo()`):
 *
 * - one egress rule per external host with `toFQDNs: [{ matchName }]` on the declared ports;
 * - ALWAYS with them, `egressDeny` of the non-public ranges (private, carrier-grade NAT,
 *   loopback, link-local including the cloud metadata endpoints 169.254.169.254 and
 *   fd00:ec2::254, IPv6 unique-local): a public name may resolve to such an address, and
 *   Cilium's deny rules win over its allow rules. CIDR rules only match destinations outside
 *   the cluster, so DNS and pod-to-pod traffic are unaffected;
 * - ALWAYS the DNS-proxy rule: egress to cluster DNS on port 53 (UDP and TCP) with
 *   `rules.dns: [{ matchPattern: '*' }]`. Cilium learns the addresses of a name only by
 *   intercepting the DNS answer in its DNS proxy; without this rule a toFQDNs policy never
 *   matches (Cilium policy language docs; cilium/cilium#32567). `*` keeps in-cluster lookups
 *   working too (an L7 DNS rule refuses names it does not match).
 *
 * With `httpEnforcement: HttpEnforcement.CILIUM` it also holds the workload's ingress: one
 * rule per declared call, `fromEndpoints` the caller's pods, `toPorts` the call's ports with
 * `rules.http` (method, and the path as a regular expression) when the call is restricted by
 * method or path.
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
  /** With `HttpEnforcement.CILIUM`: the workload PeerAuthentication switching its inbound traffic to plaintext. */
  public readonly peerAuthentication?: ApiObject;

  public constructor(scope: Construct, id: string, props: CiliumWorkloadPolicyProps) {
    super(scope, id);
    // guardProps rejects props that are not an object and an httpEnforcement that is not an HttpEnforcement
    guardProps(this, 'CiliumWorkloadPolicy', props);
    const graph = IntentGraph.of(this);
    const workload = props.workload;
    // guardProps has checked that it is an object with the members of an IMeshWorkload
    if (!graph.workloads.includes(workload)) {
      invalid(this, 'workload', workload.node?.path ?? workload, 'must be a workload of this app\'s intent graph (a MeshService in a ZeroTrustNamespace)');
    }
    this.workload = workload;
    this.httpEnforcement = props.httpEnforcement ?? HttpEnforcement.ISTIO;
    const other = POLICIES.get(workload);
    if (other) {
      invalid(this, 'workload', workloadKey(workload), `${other.node.path} already defines the Cilium policy of this workload`, 'define one CiliumWorkloadPolicy per workload');
    }
    const cil = this.httpEnforcement === HttpEnforcement.CILIUM;
    const points = EnforcementPoints.of(this);
    if (cil && points.forWorkload(workload).hbone) {
      invalid(this, 'httpEnforcement', this.httpEnforcement,
        `${workloadKey(workload)} is in an ambient namespace, where ztunnel always tunnels traffic in mTLS (HBONE) and Cilium's L7 proxy cannot see HTTP`,
        'keep HttpEnforcement.ISTIO (with a waypoint for L7), or use a sidecar-mode namespace');
    }
    const dns = props.dns ?? {};
    const dnsNamespace = checkDns1123Label(this, 'dns.namespace', dns.namespace ?? 'kube-system');
    // the same check as ZeroTrustNamespace's dns.podLabels: Kubernetes label grammar, at least one
    // label (an empty selector would open port 53 to every pod of the DNS namespace)
    const dnsLabels = checkLabels(this, 'dns.podLabels', dns.podLabels ?? { 'k8s-app': 'kube-dns' }, { nonEmpty: true });
    // registered once every prop is valid: a refused policy does not take the workload
    POLICIES.set(workload, this);
    markCiliumEgress(graph, workload);
    const namespace = workload.zeroTrustNamespace.namespaceName;
    const labels = { 'app.kubernetes.io/managed-by': 'cdk8s-zero-trust', 'app.kubernetes.io/name': workload.workloadName };

    if (cil) {
      points._enforceL7WithCilium(workload);
      const paAt = graph._placement(Layer.MESH, this, `${namespace}-${workload.workloadName}`, 'PeerAuthentication');
      // Cilium's L7 proxy needs the requests in plaintext (Cilium Istio integration guide)
      this.peerAuthentication = new istio.PeerAuthentication(paAt.scope, paAt.id, {
        metadata: { name: `${workload.workloadName}-cilium-http`, namespace, labels },
        spec: { selector: { matchLabels: { ...workload.podSelectorLabels } }, mtls: { mode: istio.PeerAuthenticationSpecMtlsMode.DISABLE } },
      });
    }

    const at = graph._placement(Layer.EDGE, this, `${namespace}-${workload.workloadName}`, 'CiliumNetworkPolicy');
    this.policy = new cilium.CiliumNetworkPolicy(at.scope, at.id, {
      metadata: {
        name: `${workload.workloadName}-cilium`,
        namespace,
        labels,
      },
      spec: Lazy.any({
        produce: (): cilium.CiliumNetworkPolicySpec => {
          const egress = graph.egressFrom(workload);
          const hosts = sortedUnique(egress.map(e => e.host));
          const dnsPeer: { [key: string]: string } = { [CILIUM_NAMESPACE_LABEL]: dnsNamespace };
          for (const [k, v] of Object.entries(dnsLabels)) dnsPeer[`k8s:${k}`] = v;
          return {
            description: `${cil ? 'requests to and ' : ''}external egress of ${workloadKey(workload)}, from the intent graph`,
            endpointSelector: { matchLabels: { ...workload.podSelectorLabels } },
            ...(cil ? { ingress: this.ingressRules(graph) } : {}),
            ...(hosts.length === 0 ? {} : {
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
              // a public name can resolve to a non-public address (169.254.169.254.nip.io): deny
              // those ranges outside the cluster, as the NetworkPolicy path's ipBlock excepts do.
              // Deny wins over allow in Cilium, and CIDR rules apply only to destinations
              // outside the cluster, so DNS and pod-to-pod traffic are unaffected
              egressDeny: [{ toCidrSet: [...NON_PUBLIC_IPV4, ...NON_PUBLIC_IPV6].map(cidr => ({ cidr })) }],
            }),
          };
        },
      }),
    });
    this.node.addValidation({ validate: () => this.conflicts(graph) });
  }

  /** One rule per call to the workload: the caller's pods, the ports, and HTTP rules for L7 calls. */
  private ingressRules(graph: IntentGraph): cilium.CiliumNetworkPolicySpecIngress[] {
    return graph.callsTo(this.workload).map(call => {
      const paths: Array<string | undefined> = call.paths.length ? call.paths.map(istioPathToRegex) : [undefined];
      const methods: Array<string | undefined> = call.methods.length ? call.methods : [undefined];
      const headerMatches = Object.keys(call.requiredHeaders).map(name => ({ name, value: call.requiredHeaders[name] }));
      const http = paths.flatMap(path => methods.map(method => ({
        ...(method ? { method } : {}),
        ...(path ? { path } : {}),
        ...(headerMatches.length ? { headerMatches } : {}),
      })));
      return {
        fromEndpoints: [{ matchLabels: endpointLabels(call.caller) }],
        toPorts: [{
          ports: call.ports.map(port => ({ port: String(port), protocol: cilium.CiliumNetworkPolicySpecIngressToPortsPortsProtocol.TCP })),
          ...(call.isL7 ? { rules: { http } } : {}),
        }],
      };
    });
  }

  /** Synth-time conflicts: nothing to enforce; end-user tokens on a Cilium-enforced workload. */
  private conflicts(graph: IntentGraph): string[] {
    const errors: string[] = [];
    const key = workloadKey(this.workload);
    if (this.httpEnforcement === HttpEnforcement.ISTIO && graph.egressFrom(this.workload).length === 0) {
      errors.push(`${key} declares no external destination: call allowEgressTo() on it, use HttpEnforcement.CILIUM, or remove this CiliumWorkloadPolicy`);
    }
    if (this.httpEnforcement === HttpEnforcement.CILIUM) {
      if (EnforcementPoints.of(graph).forWorkload(this.workload).rollout === Rollout.AUDIT) {
        errors.push(`invalid httpEnforcement "cilium": ${key} is in Rollout.AUDIT, but a CiliumNetworkPolicy has no dry run (only the agent-wide policy-audit-mode), `
          + 'so its HTTP rules would deny; keep HttpEnforcement.ISTIO while auditing, or enforce this workload');
      }
      for (const call of graph.callsTo(this.workload)) {
        if (EnforcementPoints.of(graph).forWorkload(call.caller).hbone) {
          errors.push(`invalid httpEnforcement "cilium": ${workloadKey(call.caller)} is in an ambient namespace, whose ztunnel tunnels its calls to ${key} in mTLS (HBONE), `
            + 'where Cilium\'s L7 proxy cannot see HTTP; keep HttpEnforcement.ISTIO for workloads with ambient callers');
        }
        // a call that requires claims always has an issuer: allowFrom() refuses requireClaims from a caller without one
        if (endUserTokens(graph).issuersOfCall(call).length > 0) {
          errors.push(`invalid httpEnforcement "cilium": ${workloadKey(call.caller)} calls ${key} with an end-user token, which only Istio verifies `
            + '(RequestAuthentication and the gateway\'s mTLS identity); keep HttpEnforcement.ISTIO for workloads behind an AccessProxy');
        }
      }
    }
    return errors;
  }
}
