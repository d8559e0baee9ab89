import { IConstruct } from 'constructs';
import { invalid } from '../intent/_validation';
import { IntentGraph } from '../intent/intent-graph';


const LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** Suffixes that only resolve inside the cluster or the local network. */
const INTERNAL_SUFFIXES = ['.cluster.local', '.svc', '.local', '.localhost', '.internal', '.localdomain', '.home.arpa', '.in-addr.arpa', '.ip6.arpa'];

/**
 * Whether `host` names something inside the cluster: a Service name (`svc`,
 * `svc.ns`, `svc.ns.svc`, `*.cluster.local`) or a name under a namespace of the intent graph.
 */
export function isInClusterHost(graph: IntentGraph, host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  if (!h.includes('.') || h === 'localhost') {
    return true;
  }
  if (INTERNAL_SUFFIXES.some(s => h.endsWith(s))) {
    return true;
  }
  const labels = h.split('.');
  return labels.length === 2 && graph.namespaces.some(ns => ns.namespaceName === labels[1]);
}

/**
 * An external host name for egress: lower-case, fully qualified (at least two labels), no
 * wildcard, no IP literal, not a cluster-internal or private name.
 */
export function checkExternalHost(scope: IConstruct, graph: IntentGraph, prop: string, host: string): string {
  const allowed = 'must be an exact, fully qualified public DNS name such as \'api.stripe.com\' (lower case, at least two labels, no scheme, port, path or trailing dot)';
  if (typeof host !== 'string' || host.length === 0) {
    invalid(scope, prop, host, allowed);
  }
  if (host.includes('*')) {
    invalid(scope, prop, host, 'wildcard patterns are not allowed: a wildcard ServiceEntry cannot be resolved by DNS and would open every name under it',
      'list each external host name you call, one allowEgressTo() per host');
  }
  if (IPV4.test(host) || /^\[?[0-9a-f:]+\]?$/i.test(host) && host.includes(':')) {
    invalid(scope, prop, host, 'IP addresses are not allowed: egress is declared by host name so that the mesh and Cilium can match it', 'use the DNS name of the destination');
  }
  if (host !== host.toLowerCase() || host.length > 253 || host.endsWith('.') || /[/\s@?#]/.test(host)) {
    invalid(scope, prop, host, allowed);
  }
  if (isInClusterHost(graph, host)) {
    invalid(scope, prop, host, 'names a destination inside the cluster or the private network (a single label, localhost, *.svc, *.cluster.local, *.local, *.internal or <service>.<namespace>), which is not external egress',
      'call in-cluster workloads with callee.allowFrom(caller)');
  }
  const labels = host.split('.');
  if (labels.length < 2 || !labels.every(l => LABEL.test(l)) || /^\d+$/.test(labels[labels.length - 1])) {
    invalid(scope, prop, host, allowed);
  }
  return host;
}

/** The parsed parts of an https or http URL, or undefined when it is not one. */
export function parseUrl(value: string): { scheme: string; host: string; port?: number; path: string } | undefined {
  const m = /^(https?):\/\/([a-z0-9.-]+)(?::(\d{1,5}))?(\/[^\s?#]*)?$/i.exec(value);
  if (!m) {
    return undefined;
  }
  return { scheme: m[1].toLowerCase(), host: m[2].toLowerCase(), port: m[3] === undefined ? undefined : Number(m[3]), path: m[4] ?? '/' };
}
