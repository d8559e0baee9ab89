import { Construct, IConstruct } from 'constructs';
import { platformNetworkPolicies, platformPolicyName, PlatformPeerSelectors } from './_network-policies';
import { PlatformComponent } from './platform-component';
import { EnforcementPoints } from '../enforcement/enforcement-points';
import { guardArgs, guardProps, staticScope } from '../intent/_guards';
import { checkType, invalid } from '../intent/_validation';
import { ClusterPeer } from '../intent/cluster-peer';
import { ClusterPeerKind } from '../intent/cluster-peer-options';
import { IntentGraph } from '../intent/intent-graph';
import { podPeer } from '../network/_network-policies';

/** The components declared in each app, by `<namespace>/<name>`. */
const DECLARED = new WeakMap<object, Map<string, { component: PlatformComponent; owner: IConstruct }>>();
/** The platform workloads whose NetworkPolicy each app already has, by `<namespace>/<policy name>`. */
const POLICED = new WeakMap<object, Set<string>>();

/**
 * Properties of PlatformComponents.
 */
export interface PlatformComponentsProps {
  /**
   * The platform components the cluster runs.
   *
   * @default - none; add them with `add()`
   */
  readonly components?: PlatformComponent[];

  /**
   * Whether each workload of the components gets a NetworkPolicy (in the intent graph's network
   * layer) selecting exactly its pods: it admits the peers their description names
   * (`PlatformPort.from`) on exactly those ports, and (with `egress`) lets the pods reach
   * exactly the destinations their description names (`PlatformWorkload.egress`: DNS, the API
   * server, istiod, ...), and nothing else, so default-deny holds for the platform's own pods
   * too. Set `false` for components whose pods other constructs already police (the waypoints
   * and gateways of the intent graph, whose exact policies the network and edge layers write).
   *
   * @default true
   */
  readonly networkPolicies?: boolean;

  /**
   * Who calls the components' admission webhooks (`PlatformPeer.API_SERVER` ports):
   * `ClusterPeer.kubernetesApiServer({ addresses })` with the control plane's addresses, or
   * `ClusterPeer.kubernetesApiServer({ cni: Cni.CILIUM })` (its `kube-apiserver` entity, in a
   * CiliumNetworkPolicy `platform-<kind>-<name>-webhooks` beside the NetworkPolicy), plus
   * `ClusterPeer.nodes(...)` on managed control planes whose calls arrive from node addresses.
   *
   * @default - any source, on the webhook ports only (the API server's address is specific to
   * the cluster; managed control planes may call from addresses that change)
   */
  readonly webhookCallers?: ClusterPeer[];

  /**
   * Who scrapes the components' metrics ports (`PlatformPeer.MONITORING`).
   *
   * @default ClusterPeer.monitoring() (pods `app.kubernetes.io/name: prometheus` in namespace `monitoring`)
   */
  readonly monitoring?: ClusterPeer;

  /**
   * Whether the components' pods are isolated for egress too: they reach exactly what their
   * description lists (`PlatformWorkload.egress`). `false` leaves egress as the charts leave it
   * (open), and needs no `apiServer`.
   *
   * @default true
   */
  readonly egress?: boolean;

  /**
   * The Kubernetes API server the components' controllers call:
   * `ClusterPeer.kubernetesApiServer({ cni: Cni.CILIUM })` (its `kube-apiserver` entity, in a
   * CiliumNetworkPolicy `platform-<kind>-<name>-api-server` beside each NetworkPolicy) or
   * `ClusterPeer.kubernetesApiServer({ addresses })` with the endpoints of the `kubernetes`
   * Service (`kubectl get endpointslices -l kubernetes.io/service-name=kubernetes`).
   *
   * @default - the `kubernetesApiServer` peer among `webhookCallers`; required with `egress` otherwise
   */
  readonly apiServer?: ClusterPeer;

  /**
   * The cluster DNS pods the components resolve names with (UDP and TCP 53).
   *
   * @default ClusterPeer.pods({ namespace: 'kube-system', podLabels: { 'k8s-app': 'kube-dns' } })
   */
  readonly dns?: ClusterPeer;

  /**
   * Where the components reach the internet (Falco's artifact registry, istiod's JWKS fetches):
   * for example `ClusterPeer.addresses({ name: 'egress-proxy', cidrs: [...] })` when traffic
   * leaves through a proxy or NAT of known addresses.
   *
   * @default - every public address (private, loopback, link-local and cloud metadata ranges excepted), on the described ports only
   */
  readonly internet?: ClusterPeer;
}

/**
 * Declares the platform components a cluster runs (Istio parts, the admission engine, the Vault
 * injector, Falco, the Prometheus Operator), each as its pinned chart deploys it, so that the
 * zero-trust layers protect them and let them work:
 *
 * - each container's privileges are declared in the intent graph exactly (one declaration per
 *   container, one per pod for host namespaces and host paths), so the policy pack exempts exactly
 *   that container from exactly those checks, and the Falco rules allow exactly those privileged
 *   containers;
 * - the policy pack admits exactly their images (`<repository>:<tag>`, or the pinned digest);
 * - each of their workloads gets a NetworkPolicy that admits exactly the described peers on the
 *   described ports and lets the pods reach exactly the described destinations (DNS, the API
 *   server, istiod, the internet on 443 where the chart pulls artifacts), each with its
 *   upstream source (`networkPolicies`, `egress`);
 * - their namespaces are created by their charts (`helm install --create-namespace`), which are
 *   installed before the app's output is applied.
 *
 * The components themselves are installed with their charts: this construct synthesizes only
 * their NetworkPolicies.
 */
export class PlatformComponents extends Construct {
  /** Every platform component declared in `scope`'s app, sorted by namespace and name. */
  public static of(scope: IConstruct): PlatformComponent[] {
    guardArgs(staticScope('PlatformComponents.of'), 'PlatformComponents', 'of', [scope]);
    const declared = DECLARED.get(scope.node.root) ?? new Map();
    return [...declared.keys()].sort().map(k => declared.get(k)!.component);
  }

  /**
   * Declares `component` in `owner`'s app (idempotent for the same description).
   * @internal
   */
  public static _declare(owner: IConstruct, component: PlatformComponent): PlatformComponent {
    const declared = DECLARED.get(owner.node.root) ?? new Map<string, { component: PlatformComponent; owner: IConstruct }>();
    DECLARED.set(owner.node.root, declared);
    const key = `${component.namespace}/${component.name}`;
    const existing = declared.get(key);
    if (existing) {
      if (JSON.stringify(existing.component) !== JSON.stringify(component)) {
        invalid(owner, 'component', key, `${existing.owner.node.path} already declared ${key} with a different description (images, containers or privileges)`,
          'declare each platform component once, with the options it is installed with');
      }
      return existing.component;
    }
    declared.set(key, { component, owner });
    const graph = IntentGraph.of(owner);
    const source = `${component.chart.chart} chart ${component.chart.version}`;
    for (const w of component.workloads) {
      const base = { namespace: w.namespace, kind: w.kind, name: w.name, podLabels: { ...w.podLabels } };
      if ((w.podPrivileges ?? []).length > 0) {
        graph.declarePrivilegedWorkload(owner, {
          ...base,
          privileges: [...w.podPrivileges!],
          ...(w.hostPaths?.length ? { hostPaths: [...w.hostPaths] } : {}),
          reason: `${component.name} (${source}): ${w.reason ?? 'pod-level privileges of the chart'}`,
        });
      }
      for (const c of w.containers) {
        if ((c.privileges ?? []).length === 0) continue;
        graph.declarePrivilegedWorkload(owner, {
          ...base,
          privileges: [...c.privileges!],
          containers: [c.name],
          ...(c.capabilities?.length ? { capabilities: [...c.capabilities] } : {}),
          reason: `${component.name} (${source}), container ${c.name}: ${c.reason ?? 'privileges of the chart'}`,
        });
      }
    }
    return component;
  }

  private readonly networkPolicies: boolean;
  private readonly peers: PlatformPeerSelectors;
  /** The components whose NetworkPolicies this construct wrote. */
  private readonly policed: PlatformComponent[] = [];

  public constructor(scope: Construct, id: string, props: PlatformComponentsProps = {}) {
    super(scope, id);
    guardProps(this, 'PlatformComponents', props);
    if (props.networkPolicies !== undefined) checkType(this, 'networkPolicies', props.networkPolicies, 'boolean');
    this.networkPolicies = props.networkPolicies ?? true;
    const webhookCallers = props.webhookCallers ?? [];
    if (!Array.isArray(webhookCallers) || webhookCallers.some(p => !(p instanceof ClusterPeer) || p.kind === ClusterPeerKind.CLOUD_METADATA)) {
      invalid(this, 'webhookCallers', webhookCallers, 'must be a list of ClusterPeers that call admission webhooks',
        'for example [ClusterPeer.kubernetesApiServer({ addresses: [\'10.0.0.10/32\'] })]');
    }
    const monitoring = props.monitoring ?? ClusterPeer.monitoring();
    if (!(monitoring instanceof ClusterPeer) || ![ClusterPeerKind.PODS, ClusterPeerKind.CIDRS].includes(monitoring.kind)) {
      invalid(this, 'monitoring', monitoring, 'must be a ClusterPeer of the Prometheus pods or addresses', 'for example ClusterPeer.monitoring({ namespace: \'observability\' })');
    }
    if (props.egress !== undefined) checkType(this, 'egress', props.egress, 'boolean');
    const egress = props.egress ?? true;
    const apiServer = props.apiServer ?? webhookCallers.find(p => p.kind === ClusterPeerKind.KUBERNETES_API_SERVER);
    if (apiServer !== undefined && (!(apiServer instanceof ClusterPeer) || apiServer.kind !== ClusterPeerKind.KUBERNETES_API_SERVER)) {
      invalid(this, 'apiServer', apiServer, 'must be ClusterPeer.kubernetesApiServer(...)', 'for example ClusterPeer.kubernetesApiServer({ cni: Cni.CILIUM })');
    }
    if (this.networkPolicies && egress && apiServer === undefined) {
      invalid(this, 'apiServer', apiServer, 'is needed to isolate the components\' egress: their controllers call the Kubernetes API server, whose addresses are specific to the cluster',
        'set apiServer: ClusterPeer.kubernetesApiServer({ cni: Cni.CILIUM }) on Cilium, or ClusterPeer.kubernetesApiServer({ addresses: [...] }) with the endpoints of '
        + 'kubectl get endpointslices -l kubernetes.io/service-name=kubernetes; or egress: false to leave their egress open');
    }
    const dns = props.dns ?? ClusterPeer.pods({ namespace: 'kube-system', podLabels: { 'k8s-app': 'kube-dns' } });
    if (!(dns instanceof ClusterPeer) || dns.kind !== ClusterPeerKind.PODS) {
      invalid(this, 'dns', dns, 'must be ClusterPeer.pods(...) selecting the cluster DNS pods', 'for example ClusterPeer.pods({ namespace: \'kube-system\', podLabels: { \'k8s-app\': \'kube-dns\' } })');
    }
    if (props.internet !== undefined && (!(props.internet instanceof ClusterPeer) || props.internet.kind !== ClusterPeerKind.CIDRS)) {
      invalid(this, 'internet', props.internet, 'must be ClusterPeer.addresses(...)', 'for example ClusterPeer.addresses({ name: \'egress-proxy\', cidrs: [\'203.0.113.10/32\'] })');
    }
    this.peers = {
      webhookCallers: [...webhookCallers],
      monitoring,
      egress,
      apiServer,
      dns,
      internet: props.internet,
      istiod: () => {
        // the app's declared istiod, else Istio's default namespace
        const istiod = PlatformComponents.of(this).find(c => c.name === 'istiod')?.workloads[0];
        return podPeer(istiod?.namespace ?? 'istio-system', { istio: 'pilot' });
      },
    };
    // a waypoint of the intent graph already has its exact NetworkPolicy (network layer): a
    // second one admitting the whole mesh on its HBONE port would widen it
    this.node.addValidation({ validate: () => this.overlapsWithGraphWaypoints() });
    for (const c of props.components ?? []) this.add(c);
  }

  /**
   * Declares a platform component the cluster runs (idempotent for the same description).
   *
   * @returns the component
   */
  public add(component: PlatformComponent): PlatformComponent {
    guardArgs(staticScope('PlatformComponents.add'), 'PlatformComponents', 'add', [component]);
    if (!(component instanceof PlatformComponent)) {
      invalid(this, 'component', component, 'must be a PlatformComponent', 'use the factories, for example PlatformComponent.istiod()');
    }
    const declared = PlatformComponents._declare(this, component);
    if (this.networkPolicies) {
      const policed = POLICED.get(this.node.root) ?? new Set<string>();
      POLICED.set(this.node.root, policed);
      const keys = declared.workloads.map(w => `${w.namespace}/${platformPolicyName(w)}`);
      if (!keys.every(k => policed.has(k))) {
        keys.forEach(k => policed.add(k));
        this.policed.push(declared);
        platformNetworkPolicies(this, declared, this.peers);
      }
    }
    return declared;
  }

  private overlapsWithGraphWaypoints(): string[] {
    const graph = IntentGraph.tryOf(this);
    if (!graph || this.policed.length === 0) return [];
    const waypoints = new Set(EnforcementPoints.of(graph).waypoints.map(w => `${w.namespace}/${w.name}`));
    return this.policed.flatMap(c => c.workloads)
      .filter(w => w.podLabels['gateway.networking.k8s.io/gateway-name'] !== undefined
        && waypoints.has(`${w.namespace}/${w.podLabels['gateway.networking.k8s.io/gateway-name']}`))
      .map(w => `[${this.node.path}] invalid component "${w.namespace}/${w.name}": is a waypoint of the intent graph, whose exact NetworkPolicy the network layer writes; `
        + 'a second policy admitting the whole mesh on its ports would widen it; declare it in a PlatformComponents with networkPolicies: false');
  }

  /** The components declared in this app. */
  public get components(): PlatformComponent[] {
    return PlatformComponents.of(this);
  }
}
