import { ApiObject } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { ConditionError, podLabelField, stringValueProblem } from './_falco-condition';
import { FalcoRuleSet, FalcoRuleSetProps } from './falco-rule-set';
import { FalcoPriority } from './falco-rule-types';
import { EnforcementPoints } from '../enforcement/enforcement-points';
import { guardArgs, guardedProps } from '../intent/_guards';
import { isPodWorkload, podTemplateOf, podTemplatesOf } from '../intent/_pod-templates';
import { checkPort, invalid } from '../intent/_validation';
import { IntentGraph } from '../intent/intent-graph';
import { IMeshWorkload } from '../intent/mesh-workload';
import { Privilege } from '../intent/privileged-workload';

/**
 * Properties of the zero-trust Falco rules.
 */
export interface ZeroTrustFalcoRulesProps extends FalcoRuleSetProps {
  /**
   * Container names (besides the derived ones) allowed to read ServiceAccount tokens in the
   * zero-trust namespaces.
   *
   * These are allowed by name in every zero-trust namespace; the derived readers are each
   * allowed only where they run (namespace + pod labels + container).
   *
   * @default - only the derived readers: `istio-proxy` in sidecar namespaces, `vault-agent` and
   * `vault-agent-init` in the pods annotated for Vault agent injection, and the containers that
   * mount a token (every container of a pod with `automountServiceAccountToken: true`, else
   * those mounting a projected token volume) in exactly their pods
   */
  readonly tokenReaders?: string[];
  /**
   * Containers (besides the derived proxies and agents) whose connections and shells are not
   * the application's: excluded from the outbound-connection and shell rules.
   *
   * @default - `istio-proxy` in sidecar namespaces, `vault-agent` and `vault-agent-init` in
   * Vault-injected pods
   */
  readonly infrastructureContainers?: string[];
  /**
   * Process names reported by the network tool rule.
   *
   * @default ['nc', 'ncat', 'netcat', 'nmap', 'socat', 'tcpdump', 'telnet', 'tshark']
   */
  readonly networkTools?: string[];
}

const TOKEN_READ = 'Zero trust: unauthorized ServiceAccount token read';
const OUTBOUND = 'Zero trust: unexpected outbound connection';
const PRIVILEGED = 'Zero trust: privileged container started';
const SHELL = 'Zero trust: shell in container';
const NETWORK_TOOL = 'Zero trust: network tool in container';
const PACKAGE_MANAGER = 'Zero trust: package manager in container';
const TAGS = ['zero_trust', 'maturity_stable', 'container'];
const TOKEN_DIRS = ['/var/run/secrets/kubernetes.io/serviceaccount/', '/run/secrets/kubernetes.io/serviceaccount/', '/var/run/secrets/tokens/', '/run/secrets/tokens/'];
const CONTAINER_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Defines the zero-trust Falco rules, derived from the app's intent graph and workloads at
 * synthesis time (a FalcoRuleSet: same output and checks). Every rule is tagged `zero_trust`
 * and loads against the stable falco-rules only (no `container_started`, no undefined lists):
 *
 * - **unauthorized ServiceAccount token read** (CRITICAL): a process in a zero-trust namespace
 *   opens a file below `/var/run/secrets/kubernetes.io/serviceaccount/` or
 *   `/var/run/secrets/tokens/` and its container is not an allowed reader. Readers are derived:
 *   `istio-proxy` in sidecar namespaces (pilot-agent reads the istio-token), `vault-agent` /
 *   `vault-agent-init` in Vault-injected pods, containers that mount a token on purpose, each
 *   keyed on its namespace, pod labels and container name (never a container name alone: every
 *   MeshService names its container `app`), plus `tokenReaders` / `allowTokenReader()` by name;
 * - **unexpected outbound connection** (CRITICAL): a `connect` from an application container of
 *   an intent-graph workload to a port that is not one of its callees' Service or container
 *   ports, nor DNS (53), nor a port the app's egress NetworkPolicies open for the workload
 *   (DNS, istiod, exits defined by other layers), nor a port added with `allowOutbound()`.
 *   A workload with an egress rule that opens every port is not checked. It uses its own macro
 *   `zt_connect` rather than the stable `outbound`, which excludes RFC1918 destinations and so
 *   never sees pod-to-pod traffic; a pod of a zero-trust namespace that is not in the graph may
 *   connect to DNS only;
 * - **privileged container started** (CRITICAL): the first process of a container with
 *   `container.privileged=true` (stable macros `spawned_process`, `container`,
 *   `container_entrypoint`), anywhere in the cluster, except exactly the workloads declared
 *   with `IntentGraph.declarePrivilegedWorkload()` with `Privilege.PRIVILEGED_CONTAINER`
 *   (their namespace and pod labels, as the admission exemptions select them);
 * - **shell in container** (WARNING): any shell (stable `shell_procs`) in an application container
 *   of a zero-trust namespace, with or without a terminal;
 * - **network tool in container** (WARNING) and **package manager in container** (WARNING,
 *   stable list `package_mgmt_binaries`) in zero-trust namespaces.
 */
export class ZeroTrustFalcoRules extends FalcoRuleSet {
  private readonly extraTokenReaders = new Set<string>();
  private readonly extraInfrastructure: string[];
  private readonly networkTools: string[];
  private readonly outbound = new Map<IMeshWorkload, number[]>();

  public constructor(scope: Construct, id: string, props: ZeroTrustFalcoRulesProps = {}) {
    super(scope, id, guardedProps(scope, id, 'ZeroTrustFalcoRules', props));
    (props.tokenReaders ?? []).forEach(r => this.allowTokenReader(r));
    this.extraInfrastructure = (props.infrastructureContainers ?? []).map(c => this.checkContainer('infrastructureContainers', c));
    this.networkTools = props.networkTools ?? ['nc', 'ncat', 'netcat', 'nmap', 'socat', 'tcpdump', 'telnet', 'tshark'];
    if (this.networkTools.length === 0 || this.networkTools.some(t => typeof t !== 'string' || !/^[A-Za-z0-9._+-]{1,15}$/.test(t))) {
      invalid(this, 'networkTools', this.networkTools, 'must be non-empty process names (Falco\'s proc.name: at most 15 characters, no spaces)');
    }
    this._addProducer(() => this.produce());
  }

  /**
   * Allows a container (by name) to read ServiceAccount tokens in the zero-trust namespaces.
   */
  public allowTokenReader(containerName: string): void {
    guardArgs(this, 'ZeroTrustFalcoRules', 'allowTokenReader', [containerName]);
    this.extraTokenReaders.add(this.checkContainer('tokenReaders', containerName));
  }

  /**
   * Allows `workload` outbound connections to `ports` beyond its intent-graph callees (for
   * example an external API on 443), so the outbound-connection rule does not report them.
   */
  public allowOutbound(workload: IMeshWorkload, ports: number[]): void {
    guardArgs(this, 'ZeroTrustFalcoRules', 'allowOutbound', [workload, ports]);
    if (!Array.isArray(ports) || ports.length === 0) {
      invalid(this, 'allowOutbound.ports', ports, 'must list at least one port');
    }
    ports.forEach(p => checkPort(this, 'allowOutbound.ports', p));
    this.outbound.set(workload, [...this.outbound.get(workload) ?? [], ...ports]);
  }

  /**
   * Falco conditions matching pod labels (container plugin `k8s.pod.label[<key>]`), sorted by
   * key; each key and value written as one field and one quoted string, never spliced.
   */
  private labelMatch(labels: { [key: string]: string }): string {
    return Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => {
      let field: string;
      try {
        field = podLabelField(k);
      } catch (e) {
        if (!(e instanceof ConditionError)) throw e;
        invalid(this, 'pod labels', k, 'cannot be written into a Falco condition as a pod label key', 'use a Kubernetes label key');
      }
      return `${field}=${this.quoted('pod labels', v)}`;
    }).join(' and ');
  }

  /** Selects the pods of a pod template: namespace and pod labels (or the pod name of a bare Pod). */
  private podMatch(p: PodInfo): string {
    const labels = Object.keys(p.labels).length ? ` and ${this.labelMatch(p.labels)}` : p.kind === 'Pod' ? ` and k8s.pod.name=${this.quoted('pod name', p.name)}` : '';
    return `k8s.ns.name=${this.quoted('namespace', p.namespace)}${labels}`;
  }

  private quoted(what: string, value: string): string {
    const problem = stringValueProblem(value);
    if (problem) invalid(this, what, value, `cannot be written into a Falco condition as one string: it ${problem}`);
    return `"${value}"`;
  }

  private checkContainer(prop: string, name: string): string {
    if (typeof name !== 'string' || name.length > 63 || !CONTAINER_NAME.test(name)) {
      invalid(this, prop, name, 'must be a container name (a DNS-1123 label)');
    }
    return name;
  }

  private produce(): void {
    const graph = IntentGraph.of(this);
    const namespaces = graph.namespaces;
    const pods = podsOf(this.node.root);
    const names = new Set(namespaces.map(n => n.namespaceName));
    const zt = pods.filter(p => names.has(p.namespace));
    const points = EnforcementPoints.of(this);
    const sidecar = namespaces.some(n => points.forNamespace(n).sidecar);
    const vault = zt.some(p => p.annotations['vault.hashicorp.com/agent-inject'] === 'true');
    const infrastructure = sorted([...(sidecar ? ['istio-proxy'] : []), ...(vault ? ['vault-agent', 'vault-agent-init'] : []), ...this.extraInfrastructure]);
    // token readers, each keyed on where it runs: istio-proxy in sidecar namespaces, the Vault
    // agents and the containers of pods that mount a token in exactly those pods (namespace + pod
    // labels + container), never a container name alone (every MeshService names its container app)
    const sidecarNamespaces = namespaces.filter(n => points.forNamespace(n).sidecar).map(n => n.namespaceName); // sorted like the graph's
    const readerClauses = [
      ...(sidecarNamespaces.length ? [`(k8s.ns.name in (${sidecarNamespaces.join(', ')}) and container.name = istio-proxy)`] : []),
      ...zt.flatMap(p => {
        const containers = sorted([
          ...(p.annotations['vault.hashicorp.com/agent-inject'] === 'true' ? ['vault-agent', 'vault-agent-init'] : []),
          ...p.tokenContainers,
        ]);
        return containers.length ? [`(${this.podMatch(p)} and container.name in (${containers.map(c => this.quoted('pod containers', c)).join(', ')}))`] : [];
      }),
    ];
    const namedReaders = sorted([...this.extraInfrastructure, ...this.extraTokenReaders]);
    const tokenOutput = 'ServiceAccount token read by a container that is not an allowed reader | file=%fd.name process=%proc.name command=%proc.cmdline '
      + 'container=%container.name image=%container.image.repository namespace=%k8s.ns.name pod=%k8s.pod.name user=%user.name';

    // privileged containers: cluster-wide, except exactly the declared privileged workloads
    // the declared workloads, selected exactly as the admission exemptions select them: namespace and pod labels,
    const declared = graph.privilegedWorkloads
      .filter(w => w.privileges.includes(Privilege.PRIVILEGED_CONTAINER))
      // and, where the declaration names its containers, exactly those containers
      .map(w => `(k8s.ns.name=${w.namespace} and ${this.labelMatch(w.podLabels)}`
        + `${w.containers.length ? ` and container.name in (${w.containers.map(c => this.quoted('containers', c)).join(', ')})` : ''})`);
    if (declared.length > 0) {
      this.addMacro({ name: 'zt_declared_privileged_workloads', condition: `(${declared.join(' or ')})` });
    }
    this.addRule({
      name: PRIVILEGED,
      desc: 'A container started with privileged: true (full access to the node). Only the workloads declared with IntentGraph.declarePrivilegedWorkload() may do this.',
      condition: `spawned_process and container and container_entrypoint and container.privileged=true${declared.length ? ' and not zt_declared_privileged_workloads' : ''}`,
      output: 'Privileged container started | container=%container.name image=%container.image.repository namespace=%k8s.ns.name pod=%k8s.pod.name process=%proc.name command=%proc.cmdline',
      priority: FalcoPriority.CRITICAL,
      tags: [...TAGS, 'mitre_privilege_escalation', 'T1611'],
    });
    if (names.size === 0) return;

    this.addList({ name: 'zt_namespaces', items: [...names] }); // sorted like the graph's namespaces
    this.addList({ name: 'zt_infrastructure_containers', items: infrastructure });
    this.addList({ name: 'zt_token_reader_containers', items: namedReaders });
    this.addMacro({ name: 'zt_token_reader', condition: `(${['container.name in (zt_token_reader_containers)', ...dedupe(readerClauses)].join(' or ')})` });
    this.addMacro({ name: 'zt_token_file', condition: `(${TOKEN_DIRS.map(d => `fd.name startswith ${d}`).join(' or ')})` });
    this.addMacro({ name: 'zt_namespace', condition: '(k8s.ns.name in (zt_namespaces))' });
    this.addMacro({ name: 'zt_app_container', condition: '(container and zt_namespace and not container.name in (zt_infrastructure_containers))' });

    this.addRule({
      name: TOKEN_READ,
      desc: 'A process of a zero-trust namespace read a ServiceAccount token although its container is not one that needs it (sidecar proxy, Vault agent, a pod that mounts a token on purpose): stolen tokens are the usual way from a compromised pod to the Kubernetes API.',
      condition: 'open_read and container and zt_namespace and zt_token_file and not zt_token_reader',
      output: tokenOutput,
      priority: FalcoPriority.CRITICAL,
      tags: [...TAGS, 'filesystem', 'mitre_credential_access', 'T1528'],
    });

    this.addMacro({
      name: 'zt_connect',
      condition: '(evt.type = connect and (fd.typechar = 4 or fd.typechar = 6) and fd.ip != "0.0.0.0" and fd.net != "127.0.0.0/8" and (evt.rawres >= 0 or evt.res = EINPROGRESS))',
    });
    this.addList({ name: 'zt_dns_ports', items: ['53'] });
    const workloads = graph.workloads.filter(w => names.has(w.zeroTrustNamespace.namespaceName));
    const policies = egressPoliciesOf(this.node.root);
    const violations: string[] = [];
    const members: string[] = [];
    for (const w of workloads) {
      const id = workloadId(w.zeroTrustNamespace.namespaceName, w.workloadName);
      const ports = new Set<number>([53, ...this.outbound.get(w) ?? []]);
      for (const call of graph.callsFrom(w)) {
        for (const p of call.callee.workloadPorts.filter(wp => call.ports.includes(wp.port))) {
          ports.add(p.port);
          ports.add(p.servicePort ?? p.port);
        }
      }
      // its declared exits (allowEgressTo), however the network layer enforces them (NetworkPolicy or Cilium toFQDNs)
      graph.egressFrom(w).forEach(e => ports.add(e.port));
      // what the app's egress NetworkPolicies open for the workload (DNS, istiod, the edge layer's exits)
      // (selected by the labels its pods carry: those of its rendered pod template, else its selector)
      const podLabels = isPodWorkload(w)
        ? { ...podTemplateOf(w.workloadObject.kind, w.workloadObject.toJson())?.metadata?.labels, ...w.podSelectorLabels }
        : w.podSelectorLabels;
      const opened = egressPortsOf(policies, w.zeroTrustNamespace.namespaceName, podLabels);
      opened.ports.forEach(p => ports.add(p));
      const labels = this.labelMatch(w.podSelectorLabels);
      this.addMacro({ name: `zt_workload_${id}`, condition: `(k8s.ns.name=${w.zeroTrustNamespace.namespaceName} and ${labels})` });
      members.push(`zt_workload_${id}`);
      if (opened.unrestricted) continue; // an egress rule without ports: every port is intended
      this.addList({ name: `zt_allowed_ports_${id}`, items: [...ports].sort((a, b) => a - b).map(String) });
      violations.push(`(zt_workload_${id} and not fd.sport in (zt_allowed_ports_${id}))`);
    }
    if (members.length > 0) {
      this.addMacro({ name: 'zt_graph_workload', condition: `(${members.join(' or ')})` });
      violations.push('(not zt_graph_workload and not fd.sport in (zt_dns_ports))');
    } else {
      violations.push('(not fd.sport in (zt_dns_ports))');
    }
    this.addRule({
      name: OUTBOUND,
      desc: 'An application container of a zero-trust namespace connected to a port its intent-graph calls do not allow (the NetworkPolicies should have blocked it: this detects policy gaps and compromised workloads). Unlike the stable outbound macro, zt_connect includes RFC1918 (pod and Service) destinations.',
      condition: `zt_connect and zt_app_container and (${violations.join(' or ')})`,
      output: 'Unexpected outbound connection from a zero-trust workload | connection=%fd.name port=%fd.sport process=%proc.name command=%proc.cmdline container=%container.name namespace=%k8s.ns.name pod=%k8s.pod.name',
      priority: FalcoPriority.CRITICAL,
      tags: [...TAGS, 'network', 'mitre_command_and_control', 'TA0011'],
    });

    this.addRule({
      name: SHELL,
      desc: 'A shell ran in an application container of a zero-trust namespace (with or without a terminal): immutable workloads never need one.',
      condition: 'spawned_process and zt_app_container and shell_procs',
      output: 'Shell in a zero-trust container | shell=%proc.name command=%proc.cmdline parent=%proc.pname terminal=%proc.tty container=%container.name namespace=%k8s.ns.name pod=%k8s.pod.name user=%user.name',
      priority: FalcoPriority.WARNING,
      tags: [...TAGS, 'shell', 'process', 'mitre_execution', 'T1059'],
    });
    this.addList({ name: 'zt_network_tools', items: sorted(this.networkTools) });
    this.addRule({
      name: NETWORK_TOOL,
      desc: 'A network reconnaissance or tunnelling tool ran in an application container of a zero-trust namespace.',
      condition: 'spawned_process and zt_app_container and proc.name in (zt_network_tools)',
      output: 'Network tool in a zero-trust container | process=%proc.name command=%proc.cmdline container=%container.name namespace=%k8s.ns.name pod=%k8s.pod.name',
      priority: FalcoPriority.WARNING,
      tags: [...TAGS, 'network', 'process', 'mitre_discovery', 'T1046'],
    });
    this.addRule({
      name: PACKAGE_MANAGER,
      desc: 'A package manager ran in an application container of a zero-trust namespace: containers are immutable, so this is drift or an attacker installing tools.',
      condition: 'spawned_process and zt_app_container and proc.name in (package_mgmt_binaries)',
      output: 'Package manager in a zero-trust container | process=%proc.name command=%proc.cmdline container=%container.name namespace=%k8s.ns.name pod=%k8s.pod.name',
      priority: FalcoPriority.WARNING,
      tags: [...TAGS, 'process', 'software_mgmt', 'mitre_persistence', 'TA0003'],
    });
  }
}

interface PodInfo {
  kind: string;
  name: string;
  namespace: string;
  labels: { [k: string]: string };
  annotations: { [k: string]: string };
  tokenContainers: string[];
}

/** The pod templates the app deploys (read from the synthesized objects). */
function podsOf(root: IConstruct): PodInfo[] {
  return podTemplatesOf(root).map(({ object, metadata, spec }) => {
    const containers: any[] = [...spec.containers ?? [], ...spec.initContainers ?? []];
    const tokenVolumes = (spec.volumes ?? []).filter((v: any) => v.projected?.sources?.some((s: any) => s.serviceAccountToken))
      .map((v: any) => v.name);
    // the containers that can read a token: all with automount, else those mounting a projected token volume
    const tokenContainers = spec.automountServiceAccountToken === true ? containers.map(x => x.name)
      : containers.filter(x => x.volumeMounts?.some((m: any) => tokenVolumes.includes(m.name))).map(x => x.name);
    return {
      kind: object.kind,
      name: object.metadata.name, // an ApiObject always has its metadata and name
      labels: { ...metadata.labels },
      namespace: object.metadata.namespace ?? 'default',
      annotations: { ...metadata.annotations },
      tokenContainers,
    };
  });
}

/** Every NetworkPolicy restricting egress the app synthesizes (JSON). */
function egressPoliciesOf(root: IConstruct): any[] {
  return root.node.findAll()
    .filter((c): c is ApiObject => c instanceof ApiObject && c.kind === 'NetworkPolicy')
    .map(c => c.toJson())
    // without policyTypes (absent or empty) the API server sets Egress when the policy has egress
    // rules (and a policy without any adds no port either way)
    .filter(p => !p.spec?.policyTypes?.length || p.spec.policyTypes.includes('Egress'));
}

interface EgressPorts { ports: number[]; unrestricted: boolean }

/**
 * The TCP/UDP ports the egress NetworkPolicies of `namespace` open to pods labelled `labels`;
 * `unrestricted` when a rule allows every port (or a named port or a range over 64 ports).
 */
function egressPortsOf(policies: any[], namespace: string, labels: { [key: string]: string }): EgressPorts {
  const ports: number[] = [];
  let unrestricted = false;
  for (const policy of policies.filter(p => p.metadata.namespace === namespace && selects(p.spec?.podSelector ?? {}, labels))) {
    for (const rule of policy.spec?.egress ?? []) {
      if (!rule.ports?.length) { // every port
        unrestricted = true;
        continue;
      }
      for (const p of rule.ports) {
        if (typeof p.port !== 'number') {
          unrestricted = true;
        } else if (p.endPort !== undefined) {
          if (p.endPort - p.port > 64) unrestricted = true;
          else for (let n = p.port; n <= p.endPort; n++) ports.push(n);
        } else {
          ports.push(p.port);
        }
      }
    }
  }
  return { ports, unrestricted };
}

/** Kubernetes label selector semantics. */
function selects(selector: any, labels: { [key: string]: string }): boolean {
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpressions = (selector.matchExpressions ?? []).every((e: any) => {
    const has = e.key in labels;
    switch (e.operator) {
      case 'In': return has && e.values?.includes(labels[e.key]);
      case 'NotIn': return !has || !e.values?.includes(labels[e.key]);
      case 'Exists': return has;
      case 'DoesNotExist': return !has;
    }
    return false; // an unknown operator
  });
  return byLabels && byExpressions;
}

/**
 * A macro-name part for a workload, injective by construction: namespaces and names are DNS
 * labels (`[a-z0-9-]`, checked by the graph's workloads and namespaces), `-` becomes `_` and the
 * namespace length comes first, so `ns` + `a-b` and `ns-a` + `b` get different names.
 */
function workloadId(namespace: string, name: string): string {
  return `${namespace.length}_${namespace.replace(/-/g, '_')}_${name.replace(/-/g, '_')}`;
}

function dedupe(values: string[]): string[] {
  return [...new Set(values)];
}

function sorted(values: string[]): string[] {
  return [...new Set(values)].sort();
}

