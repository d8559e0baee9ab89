import { ApiObject, Chart, JsonPatch } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct, IConstruct } from 'constructs';
import { EnforcementPoints, Rollout, WaypointScope } from '../enforcement/enforcement-points';
import { EffectCheck } from '../evidence/effect-check';
import * as istio from '../imports/istio-security';
import { guardProps } from '../intent/_guards';
import { MANAGED_BY } from '../intent/_labels';
import { checkDns1123Label, checkLabels, checkNotOwned, invalid } from '../intent/_validation';
import { IntentGraph, Layer } from '../intent/intent-graph';
import { IZeroTrustNamespace, MeshMode } from '../intent/mesh-workload';
import { ensureAuditNetworkPolicy, NAMESPACE_NAME_LABEL, podPeer, tcpPorts } from '../network/_network-policies';

/**
 * A Pod Security Standards level, enforced by the built-in Pod Security admission.
 *
 * @see https://kubernetes.io/docs/concepts/security/pod-security-standards/
 */
export enum PodSecurityLevel {
  /** Hardened pods only: non-root, no privilege escalation, all capabilities dropped, seccomp. */
  RESTRICTED = 'restricted',
  /** Prevents known privilege escalations; allows the default capabilities. */
  BASELINE = 'baseline',
  /** No restrictions. Only for system components that truly need it. */
  PRIVILEGED = 'privileged',
}

/**
 * Where cluster DNS runs.
 */
export interface ClusterDnsOptions {
  /**
   * The namespace of the DNS pods.
   *
   * @default 'kube-system'
   */
  readonly namespace?: string;
  /**
   * Labels of the DNS pods.
   *
   * @default { 'k8s-app': 'kube-dns' } (CoreDNS and kube-dns)
   */
  readonly podLabels?: { [key: string]: string };
}

/**
 * Where the Istio control plane runs.
 */
export interface IstiodOptions {
  /**
   * The namespace of istiod.
   *
   * @default 'istio-system'
   */
  readonly namespace?: string;
  /**
   * Labels of the istiod pods.
   *
   * @default { istio: 'pilot' }
   */
  readonly podLabels?: { [key: string]: string };
}

/**
 * Properties of a ZeroTrustNamespace.
 */
export interface ZeroTrustNamespaceProps {
  /**
   * The namespace name (a DNS-1123 label).
   *
   * @default - the construct id
   */
  readonly name?: string;

  /**
   * How pods join the mesh.
   *
   * @default MeshMode.SIDECAR
   */
  readonly meshMode?: MeshMode;

  /**
   * Whether the Istio CNI plugin is installed. Sidecar injection without it adds the
   * `istio-init` container, which needs the NET_ADMIN and NET_RAW capabilities that only the
   * `privileged` Pod Security level admits. Ambient mode does not inject init containers.
   *
   * @default true
   */
  readonly istioCni?: boolean;

  /**
   * The Pod Security level enforced (also audited and warned) in the namespace.
   *
   * @default PodSecurityLevel.RESTRICTED
   */
  readonly podSecurity?: PodSecurityLevel;

  /**
   * The Pod Security Standards version, `latest` or `v1.<minor>`.
   *
   * @default 'latest'
   */
  readonly podSecurityVersion?: string;

  /**
   * The Istio revision to inject (sidecar mode): sets `istio.io/rev: <revision>` instead of
   * `istio-injection: enabled`.
   *
   * @default - the default revision (`istio-injection: enabled`)
   */
  readonly istioRevision?: string;

  /**
   * Where cluster DNS runs; pods may reach it on UDP and TCP 53.
   *
   * @default - kube-system pods labelled k8s-app=kube-dns
   */
  readonly dns?: ClusterDnsOptions;

  /**
   * Where istiod runs; sidecars may reach it on TCP 15012 (xDS and certificates).
   *
   * @default - istio-system pods labelled istio=pilot
   */
  readonly istiod?: IstiodOptions;

  /**
   * Extra labels for the Namespace.
   *
   * @default - none
   */
  readonly labels?: { [key: string]: string };

  /**
   * Ambient mode: which workloads share a waypoint once a call into the namespace is restricted
   * by method, path, header or claim. The waypoint then authorizes every call into its scope
   * (AuthorizationPolicies attached to the Services with `targetRefs`), and ztunnel admits the
   * pods' ports only from the waypoint's identity (and from sidecar callers, which Istio sends
   * past waypoints, at L4).
   *
   * @default WaypointScope.NAMESPACE
   */
  readonly waypoint?: WaypointScope;

  /**
   * Whether the namespace's traffic policies enforce or only audit. In AUDIT nothing is
   * denied: AuthorizationPolicies are dry runs (`istio.io/dry-run: "true"`) whose would-be
   * denials the proxies report, and an allow-all NetworkPolicy admits every connection (a
   * NetworkPolicy has no dry-run). Switch to ENFORCE once the dry-run deny metrics stay at zero.
   *
   * @default Rollout.ENFORCE
   */
  readonly rollout?: Rollout;
}

const ZERO_TRUST_NAMESPACE = Symbol.for('cdk8s-zero-trust.ZeroTrustNamespace');
const PSS_VERSION = /^(latest|v1\.\d+)$/;

/**
 * Defines a namespace where nothing is reachable until it is declared.
 *
 * Synthesizes:
 * - the Namespace, with Pod Security labels (enforce, audit, warn; `restricted` by default)
 *   and mesh enrolment (`istio-injection: enabled`, or `istio.io/dataplane-mode: ambient`);
 * - NetworkPolicy `default-deny`: no ingress and no egress for any pod;
 * - NetworkPolicy `allow-dns`: egress to cluster DNS on UDP and TCP 53 (namespace and pod
 *   selector ANDed, so only the DNS pods are reachable);
 * - NetworkPolicy `allow-istiod` (sidecar mode): egress to istiod on TCP 15012, without which
 *   sidecars get neither configuration nor certificates;
 * - NetworkPolicy `allow-ambient-probes` (ambient mode): ingress from 169.254.7.127/32, the
 *   address kubelet probes are SNATed to in ambient mode;
 * - PeerAuthentication `default` with mTLS mode STRICT: plaintext is refused (Istio's own
 *   default is PERMISSIVE);
 * - AuthorizationPolicy `allow-nothing`: an ALLOW policy with an empty spec, so every request
 *   is denied until a MeshService allows it. It is never written as `action: DENY`, which would
 *   override every ALLOW and could not be reopened.
 *
 * Workloads are added with `MeshService` and opened with `MeshService.allowFrom()`.
 */
export class ZeroTrustNamespace extends Construct implements IZeroTrustNamespace {
  /** Whether `x` is a ZeroTrustNamespace. */
  public static isZeroTrustNamespace(x: any): x is ZeroTrustNamespace {
    return x !== null && typeof x === 'object' && x[ZERO_TRUST_NAMESPACE] === true;
  }

  /** The namespace name. */
  public readonly namespaceName: string;
  /** How pods join the mesh. */
  public readonly meshMode: MeshMode;
  /** The Pod Security level enforced. */
  public readonly podSecurity: PodSecurityLevel;
  /** The Namespace object. */
  public readonly namespace: k8s.KubeNamespace;
  /** The NetworkPolicy that denies all ingress and egress by default. */
  public readonly defaultDenyPolicy: k8s.KubeNetworkPolicy;
  /** The namespace's STRICT PeerAuthentication. */
  public readonly peerAuthentication: ApiObject;
  /** The namespace's allow-nothing AuthorizationPolicy. */
  public readonly allowNothingPolicy: ApiObject;
  /** Whether the namespace's traffic policies enforce or only audit. */
  public readonly rollout: Rollout;
  /** Which workloads share a waypoint (ambient mode). */
  public readonly waypointScope: WaypointScope;
  /** Where istiod runs, as a NetworkPolicy peer. @internal */
  public readonly _istiodPeer: k8s.NetworkPolicyPeer;

  public constructor(scope: Construct, id: string, props: ZeroTrustNamespaceProps = {}) {
    super(scope, id);
    guardProps(this, 'ZeroTrustNamespace', props);
    Object.defineProperty(this, ZERO_TRUST_NAMESPACE, { value: true });
    const graph = IntentGraph.of(this);
    // synthesis fails when the objects' effect differs from the graph (context key to opt out)
    EffectCheck.of(this);

    this.namespaceName = checkDns1123Label(this, 'name', props.name ?? id);
    // guardProps has checked the enums (meshMode, podSecurity, rollout, waypoint) against their values
    this.meshMode = props.meshMode ?? MeshMode.SIDECAR;
    this.podSecurity = props.podSecurity ?? PodSecurityLevel.RESTRICTED;
    const podSecurityVersion = props.podSecurityVersion ?? 'latest';
    if (!PSS_VERSION.test(podSecurityVersion)) {
      invalid(this, 'podSecurityVersion', podSecurityVersion, 'must be \'latest\' or \'v1.<minor>\' (for example \'v1.27\')');
    }
    const istioCni = props.istioCni ?? true;
    if (this.meshMode === MeshMode.SIDECAR && !istioCni && this.podSecurity !== PodSecurityLevel.PRIVILEGED) {
      invalid(this, 'istioCni', false,
        `sidecar injection without the Istio CNI plugin adds the istio-init container, which needs NET_ADMIN and NET_RAW, and the '${this.podSecurity}' Pod Security level rejects it`,
        'install Istio with the CNI plugin (istioCni: true, recommended) or use MeshMode.AMBIENT');
    }
    if (props.istioRevision !== undefined) {
      if (this.meshMode === MeshMode.AMBIENT) {
        invalid(this, 'istioRevision', props.istioRevision, 'applies to sidecar injection only; ambient namespaces are not injected', 'remove istioRevision or use MeshMode.SIDECAR');
      }
      checkDns1123Label(this, 'istioRevision', props.istioRevision);
    }
    this.rollout = props.rollout ?? Rollout.ENFORCE;
    this.waypointScope = props.waypoint ?? WaypointScope.NAMESPACE;
    if (props.waypoint !== undefined && this.meshMode !== MeshMode.AMBIENT) {
      invalid(this, 'waypoint', props.waypoint, 'applies to ambient namespaces only; in sidecar mode each pod\'s sidecar enforces L7', 'remove waypoint or use MeshMode.AMBIENT');
    }
    graph._addNamespace(this);
    EnforcementPoints.of(this)._declareNamespace(this, { waypoint: this.waypointScope, rollout: this.rollout });

    const place = (layer: Layer, childId: string) => graph._placement(layer, this, this.namespaceName, childId);
    const enrolment: { [key: string]: string } = this.meshMode === MeshMode.AMBIENT
      ? { 'istio.io/dataplane-mode': 'ambient' }
      : props.istioRevision ? { 'istio.io/rev': props.istioRevision } : { 'istio-injection': 'enabled' };

    const owned: { [key: string]: string } = {
      ...MANAGED_BY,
      ...enrolment,
      'pod-security.kubernetes.io/enforce': this.podSecurity,
      'pod-security.kubernetes.io/enforce-version': podSecurityVersion,
      'pod-security.kubernetes.io/audit': this.podSecurity,
      'pod-security.kubernetes.io/audit-version': podSecurityVersion,
      'pod-security.kubernetes.io/warn': this.podSecurity,
      'pod-security.kubernetes.io/warn-version': podSecurityVersion,
    };
    const userLabels = checkLabels(this, 'labels', props.labels ?? {});
    checkNotOwned(this, 'labels', userLabels, owned, 'mesh enrolment, Pod Security and managed-by follow meshMode, istioRevision and podSecurity');

    const namespaceAt = place(Layer.NAMESPACES, 'Namespace');
    this.namespace = new k8s.KubeNamespace(namespaceAt.scope, namespaceAt.id, {
      metadata: {
        name: this.namespaceName,
        labels: { ...userLabels, ...owned },
      },
    });

    // a Namespace is cluster-scoped: drop the namespace a Chart with `namespace` would stamp on it
    if (Chart.of(this.namespace).namespace !== undefined) {
      this.namespace.addJsonPatch(JsonPatch.remove('/metadata/namespace'));
    }

    const meta = (name: string) => ({ name, namespace: this.namespaceName, labels: { ...MANAGED_BY } });

    const networkPolicy = (childId: string, name: string, spec: k8s.NetworkPolicySpec) => {
      const policyAt = place(Layer.NETWORK, childId);
      return new k8s.KubeNetworkPolicy(policyAt.scope, policyAt.id, { metadata: meta(name), spec });
    };
    const egressOfAllPodsTo = (peer: k8s.NetworkPolicyPeer, ports: k8s.NetworkPolicyPort[]): k8s.NetworkPolicySpec =>
      ({ podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [peer], ports }] });

    this.defaultDenyPolicy = networkPolicy('DefaultDeny', 'default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });

    const dns = props.dns ?? {};
    const dnsPods = podPeer(checkDns1123Label(this, 'dns.namespace', dns.namespace ?? 'kube-system'), checkLabels(this, 'dns.podLabels', dns.podLabels ?? { 'k8s-app': 'kube-dns' }, { nonEmpty: true }));
    networkPolicy('AllowDns', 'allow-dns', egressOfAllPodsTo(dnsPods, [
      { protocol: 'UDP', port: k8s.IntOrString.fromNumber(53) },
      { protocol: 'TCP', port: k8s.IntOrString.fromNumber(53) },
    ]));

    const istiod = props.istiod ?? {};
    const istiodPods = podPeer(checkDns1123Label(this, 'istiod.namespace', istiod.namespace ?? 'istio-system'), checkLabels(this, 'istiod.podLabels', istiod.podLabels ?? { istio: 'pilot' }, { nonEmpty: true }));
    this._istiodPeer = istiodPods;
    if (this.meshMode === MeshMode.SIDECAR) {
      networkPolicy('AllowIstiod', 'allow-istiod', egressOfAllPodsTo(istiodPods, tcpPorts([15012])));
    } else {
      networkPolicy('AllowAmbientProbes', 'allow-ambient-probes', {
        podSelector: {},
        policyTypes: ['Ingress'],
        ingress: [{ from: [{ ipBlock: { cidr: '169.254.7.127/32' } }] }],
      });
    }

    const peerAuthenticationAt = place(Layer.MESH, 'PeerAuthentication');
    this.peerAuthentication = new istio.PeerAuthentication(peerAuthenticationAt.scope, peerAuthenticationAt.id, {
      metadata: meta('default'),
      spec: { mtls: { mode: istio.PeerAuthenticationSpecMtlsMode.STRICT } },
    });

    const allowNothingAt = place(Layer.MESH, 'AllowNothing');
    // ALLOW (the default action) with no rules: matches nothing, so nothing is allowed
    this.allowNothingPolicy = new istio.AuthorizationPolicy(allowNothingAt.scope, allowNothingAt.id, {
      metadata: { ...meta('allow-nothing'), ...(this.rollout === Rollout.AUDIT ? { annotations: { 'istio.io/dry-run': 'true' } } : {}) },
      spec: {},
    });
    if (this.rollout === Rollout.AUDIT) {
      ensureAuditNetworkPolicy(graph, this, this.namespaceName, this.namespaceName, 'audit-allow-all');
    }
  }

  /** Labels that select this namespace in a NetworkPolicy peer. */
  public get selectorLabels(): { [key: string]: string } {
    return { [NAMESPACE_NAME_LABEL]: this.namespaceName };
  }
}

/** @internal */
export function requireZeroTrustNamespace(scope: IConstruct, value: unknown): ZeroTrustNamespace {
  if (!ZeroTrustNamespace.isZeroTrustNamespace(value)) {
    const shown = value && typeof value === 'object' && 'node' in value ? (value as IConstruct).node.path : value;
    invalid(scope, 'namespace', shown,
      'must be a ZeroTrustNamespace: a workload outside one would run without default-deny, STRICT mTLS and Pod Security',
      'create the namespace with new ZeroTrustNamespace(scope, id, { name }) and pass it as `namespace`');
  }
  return value;
}
