import { ApiObject, Duration } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct, IConstruct } from 'constructs';
import { checkImage, NAMESPACE_NAME_LABEL } from './_k8s';
import { matchesSelector } from './_selectors';
import { deploySpireAgent } from './_spire-agent';
import { checkDuration, goDuration } from './_spire-config';
import { checkDomain, OIDC_LABELS, OIDC_PORT, SpireContext, WEBHOOK_PORT } from './_spire-context';
import { publishBundleEndpoint, resolveBundleEndpoint, SpireFederations } from './_spire-federation';
import { addIstioSpireTemplate, istioIntegrationProblem, istioSpireTemplateErrors, IstioSpireValues, renderedPodLabels } from './_spire-istio';
import { spireNetworkPolicies } from './_spire-network-policies';
import { deploySpireOidcDiscovery } from './_spire-oidc';
import { deploySpireServer } from './_spire-server';
import { ClusterSpiffeId, clusterSpiffeIdsOf, LabelSelector, LabelSelectorOperator } from './cluster-spiffe-id';
import { FederatedTrustDomainOptions } from './spiffe-federation';
import { CaKeyType, ISpireDeployment, KubeletVerification, SpireDataStore, SpireDeploymentProps, SpireKeyManager } from './spire-options';
import { EnforcementPoints } from '../enforcement/enforcement-points';
import { checkCidr } from '../intent/_cidr';
import { guardArgs, guardProps } from '../intent/_guards';
import { isPodWorkload } from '../intent/_pod-templates';
import { oncePerSynthesis, trackSynthesis } from '../intent/_synthesis-memo';
import { checkDns1123Label, checkPort, checkTrustDomain, invalid } from '../intent/_validation';
import { ClusterPeer } from '../intent/cluster-peer';
import { ClusterPeerKind } from '../intent/cluster-peer-options';
import { IntentGraph, workloadKey } from '../intent/intent-graph';
import { IMeshWorkload } from '../intent/mesh-workload';
import { PrivilegedWorkload } from '../intent/privileged-workload';
import { RemoteWorkload } from '../intent/remote-workload';
import { ZeroTrustNamespace } from '../segmentation/zero-trust-namespace';

export { ISTIO_WORKLOAD_SOCKET_PATH } from './_spire-istio';

/**
 * Defines a production-grade SPIRE deployment the way spiffe/helm-charts-hardened renders it,
 * with typed, validated configuration:
 *
 * - namespaces `spire-server` (Pod Security `restricted`) and `spire-system` (`privileged`);
 * - the server StatefulSet (config `server.conf` rendered as JSON: trust domain, CA and SVID
 *   TTLs, key manager, sql datastore, `k8s_psat` node attestation with an audience, bundle
 *   publishing to the `spire-bundle` ConfigMap, health checks on 8080 `/live` and `/ready`),
 *   with spire-controller-manager beside it (its class name, leader election, webhook);
 *   Services, a PodDisruptionBudget when replicated, least-privilege RBAC;
 * - the agent DaemonSet (`k8s_psat` with a projected token for the server's audience, the k8s
 *   workload attestor with kubelet verification, the Workload API socket on the node, SDS
 *   names that match Istio);
 * - the SPIFFE CSI driver DaemonSet and the `csi.spiffe.io` CSIDriver;
 * - one ClusterSPIFFEID registering every workload of the intent graph with the SPIFFE ID its
 *   callers' AuthorizationPolicies name.
 *
 * The agent and the CSI driver are the only privileged pods; their exact privileges are
 * declared with `IntentGraph.declarePrivilegedWorkload()` (see `privilegedWorkloads`).
 * Everything else runs non-root, read-only, with no privilege escalation, all capabilities
 * dropped, RuntimeDefault seccomp and resource limits.
 *
 * The spire-crds (ClusterSPIFFEID, ClusterFederatedTrustDomain, ClusterStaticEntry) must be
 * installed before the synthesized objects are applied.
 */
export class SpireDeployment extends Construct implements ISpireDeployment {
  /** The trust domain. */
  public readonly trustDomain: string;
  /** The cluster name. */
  public readonly clusterName: string;
  /** The controller manager's class name. */
  public readonly className: string;
  /** The server namespace. */
  public readonly serverNamespace: string;
  /** The agent and CSI driver namespace. */
  public readonly agentNamespace: string;
  /** Server replicas. */
  public readonly replicas: number;
  /** The CA TTL. */
  public readonly caTtl: Duration;
  /** The server's address for agents: `spire-server.<serverNamespace>.svc`. */
  public readonly serverAddress: string;
  /** The server StatefulSet. */
  public readonly serverStatefulSet: k8s.KubeStatefulSet;
  /** The agent DaemonSet. */
  public readonly agentDaemonSet: k8s.KubeDaemonSet;
  /** The SPIFFE CSI driver DaemonSet. */
  public readonly csiDriverDaemonSet: k8s.KubeDaemonSet;
  /** The `csi.spiffe.io` CSIDriver. */
  public readonly csiDriver: k8s.KubeCsiDriver;
  /** The privileged workloads this deployment declared (agent and CSI driver). */
  public readonly privilegedWorkloads: PrivilegedWorkload[];
  /** The OIDC discovery provider Deployment, when `oidcDiscovery` is set. */
  public readonly oidcDiscoveryDeployment?: k8s.KubeDeployment;

  private readonly graph: IntentGraph;
  private readonly istioWorkloads = new Map<string, IMeshWorkload>();
  private readonly istioNamespaces = new Map<string, ZeroTrustNamespace>();
  private meshRegistration?: ClusterSpiffeId;
  private readonly federations: SpireFederations;
  /** The Service of the published bundle endpoint (`spire-server-federation`, port `federation`), if any. */
  public readonly bundleEndpointService?: k8s.KubeService;

  public constructor(scope: Construct, id: string, props: SpireDeploymentProps) {
    super(scope, id);
    guardProps(this, 'SpireDeployment', props);
    this.graph = IntentGraph.of(this);
    if (!props || typeof props !== 'object') {
      invalid(this, 'props', props, 'must be an object with at least clusterName');
    }
    this.trustDomain = checkTrustDomain(this, 'trustDomain', props.trustDomain ?? this.graph.trustDomain);
    if (this.trustDomain !== this.graph.trustDomain) {
      invalid(this, 'trustDomain', this.trustDomain,
        `must equal the mesh trust domain '${this.graph.trustDomain}' (IntentGraph trustDomain, Istio meshConfig.trustDomain): every AuthorizationPolicy principal names it, and SPIRE-issued identities in another trust domain would match none`,
        'leave trustDomain out, or set the same trustDomain on the IntentGraph');
    }
    this.clusterName = checkDns1123Label(this, 'clusterName', props.clusterName);
    if (this.clusterName === 'example-cluster') {
      invalid(this, 'clusterName', this.clusterName, 'must name this cluster, not the Helm chart\'s placeholder', 'for example \'prod-eu-1\'');
    }
    this.serverNamespace = checkDns1123Label(this, 'serverNamespace', props.serverNamespace ?? 'spire-server');
    this.agentNamespace = checkDns1123Label(this, 'agentNamespace', props.agentNamespace ?? 'spire-system');
    if (this.serverNamespace === this.agentNamespace) {
      invalid(this, 'agentNamespace', this.agentNamespace, 'must differ from serverNamespace: the agent namespace is Pod Security privileged, the server namespace restricted');
    }
    for (const ns of [this.serverNamespace, this.agentNamespace]) {
      if (this.graph.namespaces.some(n => n.namespaceName === ns)) {
        invalid(this, ns === this.serverNamespace ? 'serverNamespace' : 'agentNamespace', ns, 'is a ZeroTrustNamespace of the intent graph; SPIRE needs namespaces of its own');
      }
    }
    this.className = checkDns1123Label(this, 'className', props.className ?? `${this.serverNamespace}-spire`);

    this.replicas = props.replicas ?? 1;
    if (!Number.isInteger(this.replicas) || this.replicas < 1 || this.replicas > 7) {
      invalid(this, 'replicas', this.replicas, 'must be an integer between 1 and 7');
    }
    const dataStore = props.dataStore ?? SpireDataStore.sqlite();
    if (this.replicas > 1 && !dataStore.isShared) {
      invalid(this, 'replicas', this.replicas,
        'a replicated SPIRE server needs a shared SQL datastore: with sqlite every replica gets its own database on its own volume (split brain: agents attested by one server are unknown to the others)',
        'use replicas: 1, or dataStore: SpireDataStore.postgres({ connectionStringSecret }) / SpireDataStore.mysql(...)');
    }
    if (dataStore.isShared && !dataStore.connectionStringSecret) {
      invalid(this, 'dataStore.connectionStringSecret', undefined, 'an external datastore needs the Secret holding its connection string');
    }
    if (dataStore.connectionStringKey !== undefined && !/^[-._a-zA-Z0-9]+$/.test(dataStore.connectionStringKey)) {
      invalid(this, 'dataStore.connectionStringKey', dataStore.connectionStringKey, 'must be a Secret key: letters, digits, \'-\', \'_\' or \'.\'');
    }
    const keyManager = props.keyManager ?? SpireKeyManager.DISK;
    if (!Object.values(SpireKeyManager).includes(keyManager)) {
      invalid(this, 'keyManager', keyManager, `must be one of ${Object.values(SpireKeyManager).join(', ')}`);
    }
    const caKeyType = props.caKeyType ?? CaKeyType.RSA_2048;
    if (!Object.values(CaKeyType).includes(caKeyType)) {
      invalid(this, 'caKeyType', caKeyType, `must be one of ${Object.values(CaKeyType).join(', ')}`);
    }
    this.caTtl = checkDuration(this, 'caTtl', props.caTtl ?? Duration.hours(24), Duration.hours(1), Duration.hours(8760), '');
    const halfCa = Duration.seconds(Math.floor(this.caTtl.toSeconds() / 2));
    const why = `half the CA TTL ${goDuration(this.caTtl)} at most: SPIRE rotates its CA at half its lifetime and cannot sign SVIDs that outlive it`;
    const x509SvidTtl = checkDuration(this, 'x509SvidTtl', props.x509SvidTtl ?? Duration.hours(4), Duration.minutes(1), halfCa, why);
    const jwtSvidTtl = checkDuration(this, 'jwtSvidTtl', props.jwtSvidTtl ?? Duration.hours(1), Duration.minutes(1), halfCa, why);
    const psatAudience = props.psatAudience ?? 'spire-server';
    if (typeof psatAudience !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._:/-]*$/.test(psatAudience)) {
      invalid(this, 'psatAudience', psatAudience, 'must be a non-empty token audience without spaces, for example \'spire-server\'');
    }
    const kubeletVerification = props.kubeletVerification ?? KubeletVerification.HOST_CERT;
    if (!Object.values(KubeletVerification).includes(kubeletVerification)) {
      invalid(this, 'kubeletVerification', kubeletVerification, `must be one of ${Object.values(KubeletVerification).join(', ')}`);
    }
    const kubeletPath = props.kubeletPath ?? '/var/lib/kubelet';
    if (typeof kubeletPath !== 'string' || !/^\/[A-Za-z0-9._/-]*[A-Za-z0-9._-]$/.test(kubeletPath)) {
      invalid(this, 'kubeletPath', kubeletPath, 'must be an absolute path without a trailing \'/\'');
    }
    const images = props.images ?? {};
    const image = {
      server: checkImage(this, 'images.server', images.server ?? 'ghcr.io/spiffe/spire-server:1.15.3'),
      agent: checkImage(this, 'images.agent', images.agent ?? 'ghcr.io/spiffe/spire-agent:1.15.3'),
      controllerManager: checkImage(this, 'images.controllerManager', images.controllerManager ?? 'ghcr.io/spiffe/spire-controller-manager:0.6.6'),
      csiDriver: checkImage(this, 'images.csiDriver', images.csiDriver ?? 'ghcr.io/spiffe/spiffe-csi-driver:0.2.7'),
      registrar: checkImage(this, 'images.csiNodeDriverRegistrar', images.csiNodeDriverRegistrar ?? 'registry.k8s.io/sig-storage/csi-node-driver-registrar:v2.13.0'),
      initTools: checkImage(this, 'images.initTools', images.initTools ?? 'docker.io/library/busybox:1.37.0'),
    };
    this.serverAddress = `spire-server.${this.serverNamespace}.svc`;
    const oidc = props.oidcDiscovery;
    const oidcDomain = oidc ? checkDomain(this, 'oidcDiscovery.domain', oidc.domain) : undefined;
    if (oidc && (!oidc.tlsSecret || typeof oidc.tlsSecret.name !== 'string')) {
      invalid(this, 'oidcDiscovery.tlsSecret', oidc.tlsSecret, 'must be the kubernetes.io/tls Secret (in the server namespace) with the certificate for the domain', 'for example kplus.Secret.fromSecretName(scope, \'OidcTls\', \'oidc-discovery-tls\')');
    }
    const oidcReplicas = oidc?.replicas ?? 2;
    if (oidc && (!Number.isInteger(oidcReplicas) || oidcReplicas < 1 || oidcReplicas > 10)) {
      invalid(this, 'oidcDiscovery.replicas', oidcReplicas, 'must be an integer between 1 and 10');
    }
    const oidcImage = oidc ? checkImage(this, 'oidcDiscovery.image', oidc.image ?? 'ghcr.io/spiffe/oidc-discovery-provider:1.15.3') : undefined;

    const ctx: SpireContext = {
      scope: this,
      graph: this.graph,
      trustDomain: this.trustDomain,
      clusterName: this.clusterName,
      className: this.className,
      serverNamespace: this.serverNamespace,
      agentNamespace: this.agentNamespace,
      replicas: this.replicas,
      caTtl: this.caTtl,
      serverAddress: this.serverAddress,
    };
    const federation = props.federation ?? {};
    const bundleEndpoint = federation.bundleEndpoint !== undefined ? resolveBundleEndpoint(this, federation.bundleEndpoint) : undefined;
    const server = deploySpireServer(ctx, {
      bundleEndpoint,
      dataStore,
      keyManager,
      caKeyType,
      x509SvidTtl,
      jwtSvidTtl,
      psatAudience,
      oidcDomain,
      serverImage: image.server,
      controllerManagerImage: image.controllerManager,
      storageSize: props.storageSize,
      storageClassName: props.storageClassName,
    });
    this.serverStatefulSet = server.statefulSet;
    const serverLabels = server.serverLabels;
    this.federations = new SpireFederations(ctx, serverLabels);
    if (bundleEndpoint) {
      this.bundleEndpointService = publishBundleEndpoint(ctx, bundleEndpoint, serverLabels);
    }
    const agent = deploySpireAgent(ctx, {
      kubeletVerification,
      kubeletPath,
      psatAudience,
      disableContainerSelectors: props.disableContainerSelectors,
      agentImage: image.agent,
      initToolsImage: image.initTools,
      csiDriverImage: image.csiDriver,
      registrarImage: image.registrar,
      federated: () => this.federations.trustDomains.length > 0,
    });
    this.agentDaemonSet = agent.agentDaemonSet;
    this.csiDriverDaemonSet = agent.csiDriverDaemonSet;
    this.csiDriver = agent.csiDriver;
    this.privilegedWorkloads = agent.privilegedWorkloads;
    const csiLabels = agent.csiLabels;

    if (props.networkPolicies ?? true) {
      const cidrs = (prop: string, values: string[] | undefined) => {
        if (values !== undefined && !Array.isArray(values)) invalid(this, prop, values, 'must be an array of CIDR strings');
        return (values ?? []).map((c, i) => checkCidr(this, `${prop}[${i}]`, c));
      };
      spireNetworkPolicies(this, {
        serverNamespace: this.serverNamespace,
        agentNamespace: this.agentNamespace,
        serverLabels,
        csiLabels,
        serverIngressPorts: [8080, 8081, 8083, WEBHOOK_PORT],
        oidc: oidc ? { labels: OIDC_LABELS, port: OIDC_PORT } : undefined,
        csiHealthPort: 9809,
        nodeCidrs: cidrs('nodeCidrs', props.nodeCidrs),
        apiServerCidrs: cidrs('apiServerCidrs', props.apiServerCidrs),
        apiServerPorts: (props.apiServerPorts ?? [443, 6443]).map(p => checkPort(this, 'apiServerPorts', p)),
        apiServer: checkApiServerPeer(this, props.apiServer),
        dataStore: dataStore.isShared
          ? { port: checkPort(this, 'dataStore.port', dataStore.port!), cidrs: cidrs('dataStore.cidrs', dataStore.cidrs) }
          : undefined,
      });
    }

    if (federation.federatesWith !== undefined && !Array.isArray(federation.federatesWith)) {
      invalid(this, 'federation.federatesWith', federation.federatesWith, 'must be a list of federated trust domains');
    }
    (federation.federatesWith ?? []).forEach(f => this.federateWith(f));

    if (props.registerMeshWorkloads ?? true) {
      this.registerMeshWorkloads();
    }
    if (oidc) {
      this.oidcDiscoveryDeployment = deploySpireOidcDiscovery(ctx, this, oidcDomain!, oidc.tlsSecret, oidcImage!, oidcReplicas);
    }
    // once per synthesis: cdk8s validates the app again for every chart it renders
    trackSynthesis(this);
    this.node.addValidation({ validate: () => oncePerSynthesis(this, this.node.path, () => this.validateRegistrations()) });
  }

  /**
   * Registers every workload of the intent graph: one ClusterSPIFFEID whose namespace
   * selector lists the graph's namespaces (rendered at synthesis time, so namespaces defined
   * later are included) and whose template is Istio's
   * `spiffe://{{ .TrustDomain }}/ns/{{ .PodMeta.Namespace }}/sa/{{ .PodSpec.ServiceAccountName }}`.
   * The ID comes from the pod's own namespace and ServiceAccount, so a pod can never obtain
   * another workload's identity by copying its labels. Calling it again returns the same
   * registration.
   *
   * @returns the registration
   */
  public registerMeshWorkloads(): ClusterSpiffeId {
    if (this.meshRegistration) return this.meshRegistration;
    const registration = new ClusterSpiffeId(this, 'MeshWorkloads', { spire: this, name: `${this.className}-mesh-workloads` });
    registration._lazyNamespaceSelector(() => this.meshNamespaceSelector());
    // the graph's workloads get the bundles of the trust domains their remote peers belong to
    registration._lazyFederatesWith(() => this.remoteTrustDomains());
    this.meshRegistration = registration;
    return registration;
  }

  /**
   * Makes the Istio sidecar of `workload` take its identity from SPIRE instead of istiod: its
   * pods get the label `spiffe.io/spire-managed-identity: "true"` and `spire` among their Istio
   * injection templates (annotation `inject.istio.io/templates: "sidecar,spire"`, or `spire`
   * added to the templates the pod names). The `spire` injection template (see
   * `istio/spire-integration.values.yaml`) adds the `csi.spiffe.io` volume and mounts it
   * read-only in istio-proxy at `/run/secrets/workload-spiffe-uds`; the pod itself must not
   * declare a volume named `workload-socket` (a synth-time error). Calling it again changes
   * nothing.
   *
   * Any workload whose pods the app renders qualifies: a MeshService, a MeshStatefulService or
   * an AdoptedWorkload (cdk8s-plus of any version, or a plain ApiObject); the pod template is
   * amended as it renders. A workload outside the app (ExternalWorkload) is an error naming the
   * annotation and label to set where it is deployed. Community Istio supports SPIRE for
   * sidecars only: a workload in an ambient namespace is an error.
   *
   * @param workload the workload
   * @returns the workload
   */
  public enableIstioIntegration(workload: IMeshWorkload): IMeshWorkload {
    guardArgs(this, 'SpireDeployment', 'enableIstioIntegration', [workload]);
    const key = workloadKey(workload);
    if (this.istioWorkloads.has(key)) return workload;
    if (IntentGraph.of(workload) !== this.graph || !this.graph.workloads.includes(workload)) {
      invalid(workload, 'spireIntegration', workload.node.path, 'must be a workload of the same app\'s intent graph as the SpireDeployment');
    }
    const unfit = istioIntegrationProblem(workload);
    if (unfit || !isPodWorkload(workload)) {
      return invalid(workload, 'spireIntegration', workload.node.path, unfit!.problem, unfit!.fix);
    }
    if (!EnforcementPoints.of(this).forWorkload(workload).sidecar) {
      invalid(workload, 'spireIntegration', workload.zeroTrustNamespace.namespaceName,
        'community Istio supports SPIRE-issued identities for sidecars only; ambient mode (ztunnel) with SPIRE is not supported',
        'use MeshMode.SIDECAR for this namespace, or keep istiod as the certificate authority');
    }
    addIstioSpireTemplate(workload);
    this.istioWorkloads.set(key, workload);
    this.ensureIstioValues();
    return workload;
  }

  /**
   * Enables the Istio integration for every workload of `namespace` whose pods the app renders
   * (see `enableIstioIntegration()`). Call it after the namespace's workloads are defined: one
   * added to the namespace later is a synth-time error.
   *
   * @param namespace the namespace
   * @returns the workloads enabled
   */
  public enableIstioIntegrationForNamespace(namespace: ZeroTrustNamespace): IMeshWorkload[] {
    guardArgs(this, 'SpireDeployment', 'enableIstioIntegrationForNamespace', [namespace]);
    if (!EnforcementPoints.of(this).forNamespace(namespace).sidecar) {
      invalid(namespace, 'spireIntegration', namespace.namespaceName,
        'community Istio supports SPIRE-issued identities for sidecars only; ambient mode (ztunnel) with SPIRE is not supported',
        'use MeshMode.SIDECAR for this namespace, or keep istiod as the certificate authority');
    }
    this.istioNamespaces.set(namespace.namespaceName, namespace);
    return this.graph.workloads
      .filter(w => w.zeroTrustNamespace === namespace && !istioIntegrationProblem(w))
      .map(w => this.enableIstioIntegration(w));
  }

  /**
   * Federates this trust domain with another one (idempotent): a `ClusterFederatedTrustDomain`
   * tells the controller manager where the other trust domain publishes its bundle and how that
   * endpoint is authenticated; the server's egress NetworkPolicy admits the endpoint's addresses
   * (or public addresses) on the URL's port; the agent's SDS then serves every bundle as
   * Istio's `ROOTCA`, so sidecars with SPIRE-issued identities accept peers of the federated
   * trust domain. The mesh-workload registration lists the trust domains of the graph's remote
   * workloads in `federatesWith`.
   *
   * @param options the federated trust domain
   * @returns the ClusterFederatedTrustDomain
   *
   * @example
   * spire.federateWith({ trustDomain: 'cluster-b.example.org', bundleEndpointUrl: 'https://spire-federation.cluster-b.example.org:8443' });
   */
  public federateWith(options: FederatedTrustDomainOptions): ApiObject {
    guardArgs(this, 'SpireDeployment', 'federateWith', [options]);
    return this.federations.add(this, options);
  }

  /** The trust domains this deployment federates with, sorted. */
  public get federatedTrustDomains(): string[] {
    return this.federations.trustDomains;
  }

  /** The workloads whose sidecars take their identity from SPIRE, sorted. */
  public get istioIntegratedWorkloads(): IMeshWorkload[] {
    return [...this.istioWorkloads.keys()].sort().map(k => this.istioWorkloads.get(k)!);
  }

  /** Every ClusterSPIFFEID of this deployment. */
  public get clusterSpiffeIds(): ClusterSpiffeId[] {
    return clusterSpiffeIdsOf(this);
  }

  /**
   * The ClusterSPIFFEIDs that select `workload`'s pods (exactly one for every workload of the
   * intent graph once synthesis validation passed).
   */
  public registrationsOf(workload: IMeshWorkload): ClusterSpiffeId[] {
    guardArgs(this, 'SpireDeployment', 'registrationsOf', [workload]);
    return this.selecting(this.selectors(), workload);
  }

  /** Every registration with its selectors, read once (the mesh registration's lists every graph namespace). */
  private selectors(): Array<{ registration: ClusterSpiffeId; namespaceSelector?: LabelSelector; podSelector?: LabelSelector }> {
    return clusterSpiffeIdsOf(this).map(registration => ({
      registration, namespaceSelector: registration.namespaceSelector, podSelector: registration.podSelector,
    }));
  }

  /** The registrations of `selectors` that select `workload`'s pods (ClusterSpiffeId.selects), fallbacks only when no other does. */
  private selecting(selectors: ReturnType<SpireDeployment['selectors']>, workload: IMeshWorkload): ClusterSpiffeId[] {
    const nsLabels = namespaceLabelsOf(workload);
    const podLabels = renderedPodLabels(workload);
    const matching = selectors.filter(s => matchesSelector(s.namespaceSelector, nsLabels) && matchesSelector(s.podSelector, podLabels))
      .map(s => s.registration);
    const primary = matching.filter(r => !r.fallback);
    return primary.length > 0 ? primary : matching;
  }

  private meshNamespaceSelector(): LabelSelector {
    const names = [...new Set(this.graph.workloads.map(w => w.zeroTrustNamespace.namespaceName))].sort();
    // an In requirement needs values: with no workloads yet, select no namespace at all
    return names.length > 0
      ? { matchExpressions: [{ key: NAMESPACE_NAME_LABEL, operator: LabelSelectorOperator.IN, values: names }] }
      : { matchExpressions: [{ key: NAMESPACE_NAME_LABEL, operator: LabelSelectorOperator.DOES_NOT_EXIST }] };
  }

  private remoteTrustDomains(): string[] {
    return [...new Set(RemoteWorkload.callsOf(this).map(c => c.remote.trustDomain))].sort();
  }

  private validateRegistrations(): string[] {
    const errors: string[] = [];
    for (const call of RemoteWorkload.callsOf(this)) {
      if (!this.federations.trustDomains.includes(call.remote.trustDomain)) {
        errors.push(`invalid federation ${JSON.stringify(call.remote.trustDomain)}: ${call.key} crosses into trust domain ${call.remote.trustDomain}, which this SPIRE deployment does not federate with, so neither side can verify the other's certificate; `
          + `call federateWith({ trustDomain: '${call.remote.trustDomain}', bundleEndpointUrl }) on ${this.node.path}`);
      }
      if (!this.istioWorkloads.has(workloadKey(call.local))) {
        errors.push(`invalid spireIntegration ${JSON.stringify(call.local.node.path)}: ${call.key} crosses trust domains, and federated bundles reach the sidecar only through SPIRE's SDS; `
          + 'call enableIstioIntegration() for this workload');
      }
    }
    const selectors = this.selectors();
    for (const workload of this.graph.workloads) {
      const matching = this.selecting(selectors, workload);
      if (matching.length > 1) {
        errors.push(`invalid registration ${JSON.stringify(matching.map(r => r.node.path))}: workload ${workloadKey(workload)} is selected by ${matching.length} ClusterSPIFFEIDs; `
          + 'a workload must have exactly one SPIFFE ID registration (or the controller manager picks one arbitrarily); narrow the selectors, or mark extra ones fallback');
      }
      if (matching.length === 0 && this.istioWorkloads.has(workloadKey(workload))) {
        errors.push(`invalid registration []: workload ${workloadKey(workload)} takes its identity from SPIRE but no ClusterSPIFFEID selects it, so its pods never become Ready; `
          + 'keep registerMeshWorkloads on or add a ClusterSpiffeId that selects it');
      }
    }
    for (const workload of this.istioWorkloads.values()) {
      if (isPodWorkload(workload)) errors.push(...istioSpireTemplateErrors(workload));
    }
    for (const ns of this.istioNamespaces.values()) {
      for (const w of this.graph.workloads) {
        if (w.zeroTrustNamespace === ns && !istioIntegrationProblem(w) && !this.istioWorkloads.has(workloadKey(w))) {
          errors.push(`invalid spireIntegration ${JSON.stringify(w.node.path)}: namespace ${ns.namespaceName} uses the SPIRE integration but this workload was defined after enableIstioIntegrationForNamespace(); `
            + 'call it after every workload of the namespace, or call enableIstioIntegration(workload)');
        }
      }
    }
    return errors;
  }

  private ensureIstioValues(): void {
    if (!this.node.tryFindChild('IstioValues')) {
      new IstioSpireValues(this, 'IstioValues', { path: 'istio/spire-integration.values.yaml', trustDomain: this.trustDomain });
    }
  }
}

/** The labels of a workload's namespace (the Namespace object's labels plus the name label). */
function namespaceLabelsOf(workload: IMeshWorkload): { [key: string]: string } {
  const ns = workload.zeroTrustNamespace;
  const labels = ZeroTrustNamespace.isZeroTrustNamespace(ns) ? ApiObject.of(ns.namespace).metadata.toJson().labels ?? {} : {};
  return { ...labels, [NAMESPACE_NAME_LABEL]: ns.namespaceName };
}

function checkApiServerPeer(scope: IConstruct, peer: ClusterPeer | undefined): ClusterPeer | undefined {
  if (peer !== undefined && (!(peer instanceof ClusterPeer) || peer.kind !== ClusterPeerKind.KUBERNETES_API_SERVER)) {
    invalid(scope, 'apiServer', peer, 'must be ClusterPeer.kubernetesApiServer(...)', 'for example ClusterPeer.kubernetesApiServer({ cni: Cni.CILIUM }) or ClusterPeer.kubernetesApiServer({ addresses: [\'172.18.0.2/32\'] })');
  }
  return peer;
}
