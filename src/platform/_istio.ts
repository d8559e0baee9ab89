/**
 * Istio 1.30.3 as its charts (istio/istio manifests/charts at tag 1.30.3, released with
 * `global.hub: docker.io/istio` and `global.tag: 1.30.3`) deploy it with default values.
 */
import { apiServer, dns, internetHttps, istiodXds } from './_egress';
import { checkDigestsUsed, imageRenderer, invalidOption, label } from './_images';
import type { IstioComponentOptions, IstioGatewayOptions, KubernetesGatewayOptions, PlatformPort, _ComponentData } from './platform-workload';
import { PlatformPeer } from './platform-workload';
import { Privilege } from '../intent/privileged-workload';

export const ISTIO_VERSION = '1.30.3';
const CHART_REPOSITORY = 'https://istio-release.storage.googleapis.com/charts';
const DEFAULT_NAMESPACE = 'istio-system';

function hubOf(component: string, options: { hub?: string }): string {
  const hub = options.hub ?? 'docker.io/istio';
  if (typeof hub !== 'string' || !/^[a-z0-9]([a-z0-9.:-]*[a-z0-9])?(\/[a-z0-9]([a-z0-9._-]*[a-z0-9])?)*$/.test(hub)) {
    invalidOption(component, 'hub', hub, 'must be an image hub without trailing \'/\' (for example \'docker.io/istio\')');
  }
  return hub;
}

/** istio/istiod: manifests/charts/istio-control/istio-discovery/templates/deployment.yaml. */
export function istiodDescription(options: IstioComponentOptions): _ComponentData {
  const namespace = label('istiod', 'namespace', options.namespace, DEFAULT_NAMESPACE);
  const image = imageRenderer('istiod', options);
  const pilot = image(`${hubOf('istiod', options)}/pilot`, ISTIO_VERSION);
  checkDigestsUsed('istiod', image);
  return {
    name: 'istiod',
    chart: { repository: CHART_REPOSITORY, chart: 'istiod', version: ISTIO_VERSION },
    appVersion: ISTIO_VERSION,
    namespace,
    workloads: [{
      kind: 'Deployment',
      name: 'istiod',
      namespace,
      podLabels: { app: 'istiod', istio: 'pilot' },
      serviceAccount: 'istiod',
      containers: [{
        name: 'discovery',
        image: pilot,
        privileges: [Privilege.UNBOUNDED_RESOURCES, Privilege.UNCONFINED_SECCOMP],
        reason: 'the chart requests 500m CPU and 2048Mi memory and sets no limits (values `resources`), and no seccomp profile (values `seccompProfile: {}`)',
      }],
      podPrivileges: [Privilege.SERVICE_ACCOUNT_TOKEN],
      reason: 'watches the cluster\'s Services, endpoints and Istio resources and answers admission reviews with its ServiceAccount token',
      ports: [
        { port: 15010, name: 'grpc-xds', from: [PlatformPeer.MESH] },
        { port: 15012, name: 'tls-xds', from: [PlatformPeer.MESH] },
        { port: 15017, name: 'https-webhooks', from: [PlatformPeer.API_SERVER] },
        { port: 15014, name: 'http-monitoring', from: [PlatformPeer.MONITORING] },
        { port: 8080, name: 'http-debug', from: [] },
      ],
      egress: [
        dns('the JWKS hosts of RequestAuthentications', 'istiod fetches jwksUri itself unless PILOT_JWT_ENABLE_REMOTE_JWKS is set: Istio security reference, RequestAuthentication'),
        apiServer('watches Services, EndpointSlices, Pods and Istio resources, signs certificates after TokenReviews and patches its webhook configurations',
          'istio-discovery templates/clusterrole.yaml'),
        internetHttps('fetches the JWKS of RequestAuthentications whose jwksUri is public and inlines them into the proxies\' configuration',
          'default PILOT_JWT_ENABLE_REMOTE_JWKS=false; Istio security reference, RequestAuthentication'),
      ],
    }],
    webhooks: [
      { kind: 'MutatingWebhookConfiguration', name: 'istio-sidecar-injector', service: 'istiod', targetPort: 15017 },
      { kind: 'ValidatingWebhookConfiguration', name: `istio-validator-${namespace}`, service: 'istiod', targetPort: 15017 },
    ],
  };
}

/** istio/cni: manifests/charts/istio-cni/templates/daemonset.yaml. */
export function istioCniDescription(options: IstioComponentOptions): _ComponentData {
  const namespace = label('istioCni', 'namespace', options.namespace, DEFAULT_NAMESPACE);
  const image = imageRenderer('istioCni', options);
  const installCni = image(`${hubOf('istioCni', options)}/install-cni`, ISTIO_VERSION);
  checkDigestsUsed('istioCni', image);
  const ambient = options.ambient ?? false;
  return {
    name: 'istio-cni',
    chart: { repository: CHART_REPOSITORY, chart: 'cni', version: ISTIO_VERSION },
    appVersion: ISTIO_VERSION,
    namespace,
    workloads: [{
      kind: 'DaemonSet',
      name: 'istio-cni-node',
      namespace,
      podLabels: { 'k8s-app': 'istio-cni-node' },
      serviceAccount: 'istio-cni',
      containers: [{
        name: 'install-cni',
        image: installCni,
        privileges: [
          Privilege.RUN_AS_ROOT, Privilege.ADDED_CAPABILITIES, Privilege.PRIVILEGE_ESCALATION,
          Privilege.WRITABLE_ROOT_FILESYSTEM, Privilege.UNBOUNDED_RESOURCES, Privilege.UNCONFINED_SECCOMP,
        ],
        capabilities: ['DAC_OVERRIDE', 'NET_ADMIN', 'NET_RAW', 'SYS_ADMIN', 'SYS_PTRACE'],
        reason: 'installs the CNI plugin and its configuration on the node and programs pod network namespaces (iptables, ipsets, routes) as root '
          + 'with NET_ADMIN, NET_RAW, SYS_PTRACE, SYS_ADMIN and DAC_OVERRIDE; the chart sets neither allowPrivilegeEscalation nor readOnlyRootFilesystem, '
          + 'requests 100m CPU and 100Mi memory without limits, and sets no seccomp profile',
      }],
      podPrivileges: [Privilege.HOST_PATH, Privilege.SERVICE_ACCOUNT_TOKEN],
      // repair.repairPods is on by default: /proc is mounted with or without ambient
      hostPaths: ['/etc/cni/net.d', '/opt/cni/bin', '/proc', '/var/run/istio-cni', '/var/run/netns', ...(ambient ? ['/var/run/ztunnel'] : [])],
      reason: 'the CNI binary and configuration directories, /proc and the network namespaces of the node\'s pods, and the CNI agent\'s sockets; '
        + 'its ServiceAccount token to watch the node\'s pods',
      ports: [{ port: 15014, name: 'metrics', from: [PlatformPeer.MONITORING] }],
      egress: [
        apiServer('watches the pods and namespaces of its node to enrol them (ambient) and repair them', 'istio-cni templates/clusterrole.yaml'),
      ],
    }],
    webhooks: [],
  };
}

/** istio/ztunnel: manifests/charts/ztunnel/templates/daemonset.yaml. */
export function ztunnelDescription(options: IstioComponentOptions): _ComponentData {
  const namespace = label('ztunnel', 'namespace', options.namespace, DEFAULT_NAMESPACE);
  const image = imageRenderer('ztunnel', options);
  const ztunnel = image(`${hubOf('ztunnel', options)}/ztunnel`, ISTIO_VERSION);
  checkDigestsUsed('ztunnel', image);
  return {
    name: 'ztunnel',
    chart: { repository: CHART_REPOSITORY, chart: 'ztunnel', version: ISTIO_VERSION },
    appVersion: ISTIO_VERSION,
    namespace,
    workloads: [{
      kind: 'DaemonSet',
      name: 'ztunnel',
      namespace,
      podLabels: { app: 'ztunnel' },
      serviceAccount: 'ztunnel',
      containers: [{
        name: 'istio-proxy',
        image: ztunnel,
        privileges: [
          Privilege.RUN_AS_ROOT, Privilege.ADDED_CAPABILITIES, Privilege.PRIVILEGE_ESCALATION,
          Privilege.UNBOUNDED_RESOURCES, Privilege.UNCONFINED_SECCOMP,
        ],
        capabilities: ['NET_ADMIN', 'NET_RAW', 'SYS_ADMIN'],
        reason: 'enters each ambient pod\'s network namespace (setns needs SYS_ADMIN, allowPrivilegeEscalation: true and root) to run its transparent proxy '
          + '(NET_ADMIN, NET_RAW for TPROXY); the chart requests 200m CPU and 512Mi memory without limits and sets no seccomp profile',
      }],
      podPrivileges: [Privilege.HOST_PATH, Privilege.SERVICE_ACCOUNT_TOKEN],
      hostPaths: ['/var/run/ztunnel'],
      reason: 'the socket directory istio-cni hands pod network namespaces over; its ServiceAccount token',
      ports: [{ port: 15020, name: 'ztunnel-stats', from: [PlatformPeer.MONITORING] }],
      // the connections ztunnel proxies are opened in each ambient pod's network namespace, where
      // that pod's NetworkPolicies apply; from its own namespace it reaches istiod only
      egress: [
        dns('istiod\'s Service name', 'ztunnel templates/daemonset.yaml: CA_ADDRESS and XDS_ADDRESS istiod.<namespace>.svc:15012'),
        istiodXds('ztunnel templates/daemonset.yaml'),
      ],
    }],
    webhooks: [],
  };
}

function checkListenerPorts(component: string, ports: number[]): number[] {
  for (const p of ports) {
    if (typeof p !== 'number' || !Number.isInteger(p) || p < 1 || p > 65535) invalidOption(component, 'listenerPorts', p, 'must be integers between 1 and 65535');
  }
  return [...new Set(ports)].sort((a, b) => a - b);
}

/** The options every proxy gateway description reads, checked, and its proxy image rendered. */
function gatewayBasics(component: string, options: IstioGatewayOptions, defaultListeners: number[]) {
  if (!options || typeof options !== 'object') invalidOption(component, 'options', options, 'must give at least name and namespace');
  const name = label(component, 'name', options.name, '');
  const namespace = label(component, 'namespace', options.namespace, '');
  const image = imageRenderer(component, options);
  const proxy = image(`${hubOf(component, options)}/proxyv2`, ISTIO_VERSION);
  checkDigestsUsed(component, image);
  return { name, namespace, proxy, listeners: checkListenerPorts(component, options.listenerPorts ?? defaultListeners) };
}

/** A component of one Deployment running Istio's proxy (`istio-proxy`), as istiod's templates render it. */
function proxyGateway(g: { name: string; namespace: string; proxy: string }, w: {
  chart: string;
  workload: string;
  podLabels: { [key: string]: string };
  seccompReason?: string;
  template: string;
  renderedBy: string;
  ports: PlatformPort[];
  egressPorts: number[];
}): _ComponentData {
  return {
    name: g.name,
    chart: { repository: CHART_REPOSITORY, chart: w.chart, version: ISTIO_VERSION },
    appVersion: ISTIO_VERSION,
    namespace: g.namespace,
    workloads: [{
      kind: 'Deployment',
      name: w.workload,
      namespace: g.namespace,
      podLabels: w.podLabels,
      serviceAccount: w.workload,
      containers: [{
        name: 'istio-proxy',
        image: g.proxy,
        ...(w.seccompReason ? { privileges: [Privilege.UNCONFINED_SECCOMP], reason: w.seccompReason } : {}),
      }],
      podPrivileges: [Privilege.SERVICE_ACCOUNT_TOKEN],
      reason: `the pod mounts its ServiceAccount token (${w.renderedBy} does not turn automounting off)`,
      ports: w.ports,
      egress: gatewayEgress(`istio-discovery ${w.template}`, w.egressPorts),
    }],
    webhooks: [],
  };
}

const INJECTION_SECCOMP = 'Istio\'s injection template sets no seccomp profile (values `global.proxy.seccompProfile: {}`)';

/**
 * istio/gateway: manifests/charts/gateway/templates/deployment.yaml (`image: auto`), as istiod's
 * gateway injection template (files/gateway-injection-template.yaml) completes it.
 */
export function istioGatewayDescription(options: IstioGatewayOptions): _ComponentData {
  const g = gatewayBasics('istioGateway', options, [80, 443]);
  return proxyGateway(g, {
    chart: 'gateway',
    workload: g.name,
    podLabels: { app: g.name, istio: g.name.replace(/^istio-/, '') },
    seccompReason: INJECTION_SECCOMP,
    template: 'files/gateway-injection-template.yaml',
    renderedBy: 'the chart',
    ports: [
      ...g.listeners.map(port => ({ port, name: `listener-${port}`, from: [PlatformPeer.ANY] })),
      { port: 15021, name: 'status-port', from: [PlatformPeer.ANY] },
      { port: 15090, name: 'http-envoy-prom', from: [PlatformPeer.MONITORING] },
    ],
    egressPorts: [],
  });
}

/**
 * A gateway's egress: DNS and istiod for itself, and the pods of the mesh it forwards to (on
 * `ports`; every port when empty, for routes the description cannot know).
 */
function gatewayEgress(template: string, ports: number[]) {
  return [
    dns('istiod\'s Service name and the hosts of its routes', `${template}: CA_ADDR istiod.<namespace>.svc:15012`),
    istiodXds(template),
    {
      to: PlatformPeer.MESH,
      ports,
      reason: ports.length
        ? `forwards the requests it authorizes to the destination pods over HBONE on ${ports.join(', ')} (istio.io docs, ambient data plane: a waypoint sends to the destination workload over HBONE)`
        : 'forwards the requests of its routes to the pods of the mesh (the routes, and so the destinations, are declared outside this description: gateway chart docs)',
    },
  ];
}

/**
 * A gateway istiod deploys for a Gateway API `Gateway` of class `istio` (istiod's
 * files/kube-gateway.yaml): Deployment and ServiceAccount `<name>-istio`, pods labelled
 * `gateway.networking.k8s.io/gateway-name: <name>`, one `istio-proxy` container (proxyv2,
 * non-root 1337, read-only root filesystem, drop ALL, the proxy's resource limits), the
 * `net.ipv4.ip_unprivileged_port_start=0` sysctl so it binds its listener ports. The template
 * sets a seccomp profile only from `gateways.seccompProfile` or a `parametersRef` patch.
 */
export function kubernetesGatewayDescription(options: KubernetesGatewayOptions): _ComponentData {
  const g = gatewayBasics('kubernetesGateway', options, [443]);
  if (g.name.length > 57) invalidOption('kubernetesGateway', 'name', g.name, 'must be at most 57 characters: istiod names the Deployment and ServiceAccount `<name>-istio`');
  const seccomp = options.runtimeDefaultSeccomp ?? false;
  if (typeof seccomp !== 'boolean') invalidOption('kubernetesGateway', 'runtimeDefaultSeccomp', seccomp, 'must be a boolean');
  return proxyGateway(g, {
    chart: 'istiod',
    workload: `${g.name}-istio`,
    podLabels: { 'gateway.networking.k8s.io/gateway-name': g.name },
    seccompReason: seccomp ? undefined
      : 'istiod\'s kube-gateway template sets no seccomp profile (values `gateways.seccompProfile: {}`; patch one in through the Gateway\'s parametersRef)',
    template: 'files/kube-gateway.yaml',
    renderedBy: 'the kube-gateway template',
    ports: [
      ...g.listeners.map(port => ({ port, name: `listener-${port}`, from: [PlatformPeer.ANY] })),
      { port: 15020, name: 'metrics', from: [PlatformPeer.MONITORING] },
      { port: 15021, name: 'status-port', from: [] },
      { port: 15090, name: 'http-envoy-prom', from: [PlatformPeer.MONITORING] },
    ],
    egressPorts: [],
  });
}

/** A waypoint: istiod's files/waypoint.yaml for a Gateway of class istio-waypoint. */
export function waypointDescription(options: IstioGatewayOptions): _ComponentData {
  const g = gatewayBasics('waypoint', options, [15008]);
  return proxyGateway(g, {
    chart: 'istiod',
    workload: g.name,
    podLabels: { 'gateway.networking.k8s.io/gateway-name': g.name },
    seccompReason: INJECTION_SECCOMP,
    template: 'files/waypoint.yaml',
    renderedBy: 'the chart',
    ports: [
      ...g.listeners.map(port => ({ port, name: `hbone-${port}`, from: [PlatformPeer.MESH] })),
      { port: 15021, name: 'status-port', from: [] },
      { port: 15020, name: 'metrics', from: [PlatformPeer.MONITORING] },
    ],
    egressPorts: [15008],
  });
}
