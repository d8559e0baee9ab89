// The options of ClusterPeer's factories and calls, and the enums they use (kept apart from
// cluster-peer.ts, which holds the peer and its calls)

/**
 * The network plugin that enforces L4 policy in the cluster. Peers outside the pod network
 * (the API server, nodes) are matched differently by each.
 */
export enum Cni {
  /**
   * Any plugin that enforces Kubernetes NetworkPolicy (Calico, Antrea, Weave, kube-router,
   * Cilium without Cilium policies): peers outside the pod network are matched by address
   * (`ipBlock`) only, so their addresses must be given.
   */
  GENERIC = 'generic',
  /**
   * Cilium: the API server, the local host and the other nodes are matched by Cilium's
   * reserved entities (`kube-apiserver`, `host`, `remote-node`) in a CiliumNetworkPolicy, which
   * follow address changes.
   */
  CILIUM = 'cilium',
}

/** What a ClusterPeer is. */
export enum ClusterPeerKind {
  /** The Kubernetes API server (and the control plane calling admission webhooks). */
  KUBERNETES_API_SERVER = 'kubernetes-api-server',
  /** The cluster's nodes: kubelet, node-level health checks (load balancers), NodePort traffic. */
  NODES = 'nodes',
  /** Pods outside the intent graph, selected by namespace and labels (cluster monitoring, ingress controllers). */
  PODS = 'pods',
  /** Addresses outside the cluster, by CIDR. */
  CIDRS = 'cidrs',
  /** The cloud instance metadata endpoint (169.254.169.254, fd00:ec2::254). */
  CLOUD_METADATA = 'cloud-metadata',
}

/** Options of `ClusterPeer.kubernetesApiServer()`. */
export interface KubernetesApiServerPeerOptions {
  /**
   * The cluster's network plugin. With `Cni.CILIUM` the peer is Cilium's `kube-apiserver`
   * entity and `addresses` must be left out.
   *
   * @default Cni.GENERIC
   */
  readonly cni?: Cni;
  /**
   * The API server's addresses as the pods' traffic reaches them: the endpoints of the
   * `kubernetes` Service (`kubectl get endpointslices -l kubernetes.io/service-name=kubernetes`),
   * not its ClusterIP. NetworkPolicy is evaluated after kube-proxy (or its replacement) has
   * translated the ClusterIP, and whether the translation happens before or after policy is not
   * defined by Kubernetes, so list the endpoint addresses (and, where your CNI evaluates before
   * translation, the ClusterIP too). Managed control planes may move these addresses.
   *
   * @default - required unless `cni` is `Cni.CILIUM`
   */
  readonly addresses?: string[];
  /**
   * The API server ports, as the endpoints listen (6443 on kubeadm clusters, 443 on most managed
   * ones; the `kubernetes` Service's own port is 443).
   *
   * @default [443, 6443]
   */
  readonly ports?: number[];
}

/** Options of `ClusterPeer.nodes()`. */
export interface NodesPeerOptions {
  /**
   * The cluster's network plugin. With `Cni.CILIUM` the peer is Cilium's `host` and
   * `remote-node` entities and `cidrs` must be left out.
   *
   * @default Cni.GENERIC
   */
  readonly cni?: Cni;
  /**
   * The node addresses (the nodes' subnet). Traffic from the node a pod runs on is always
   * allowed by Kubernetes NetworkPolicy; these ranges admit the other nodes (load balancer
   * health checks and NodePort traffic forwarded by another node).
   *
   * @default - required unless `cni` is `Cni.CILIUM`
   */
  readonly cidrs?: string[];
}

/** Options of a peer selecting pods outside the intent graph. */
export interface PodsPeerOptions {
  /** The pods' namespace. */
  readonly namespace: string;
  /** Labels selecting the pods in `namespace` (at least one). */
  readonly podLabels: { [key: string]: string };
}

/** Options of `ClusterPeer.monitoring()`. */
export interface MonitoringPeerOptions {
  /**
   * The namespace of the Prometheus pods.
   *
   * @default 'monitoring'
   */
  readonly namespace?: string;
  /**
   * Labels of the Prometheus pods.
   *
   * @default { 'app.kubernetes.io/name': 'prometheus' }
   */
  readonly podLabels?: { [key: string]: string };
}

/** Options of `ClusterPeer.ingressController()`. */
export interface IngressControllerPeerOptions {
  /**
   * The namespace of the ingress controller pods.
   *
   * @default 'ingress-nginx'
   */
  readonly namespace?: string;
  /**
   * Labels of the ingress controller pods.
   *
   * @default { 'app.kubernetes.io/name': 'ingress-nginx', 'app.kubernetes.io/component': 'controller' }
   */
  readonly podLabels?: { [key: string]: string };
}

/** Options of `ClusterPeer.addresses()`. */
export interface CidrPeerOptions {
  /** The addresses (IPv4 /8 to /32, IPv6 /16 to /128, no host bits set). */
  readonly cidrs: string[];
  /**
   * A short name of the peer for the docs and error messages.
   *
   * @default 'cidrs'
   */
  readonly name?: string;
}

/** Options of a call between a workload and a ClusterPeer. */
export interface PeerCallOptions {
  /**
   * The TCP ports: of the workload for a call from the peer, of the peer for a call to it.
   *
   * @default - the peer's ports (API server 443 and 6443, metadata 80) for calls to it; the workload's ports for calls from it
   */
  readonly ports?: number[];
}
