import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { ensureAuthorizationPolicy } from './_authorization';
import * as istio from '../imports/istio-security';
import { MANAGED_BY } from '../intent/_labels';
import { CallIntent, CallOptions, IntentGraph, Layer } from '../intent/intent-graph';
import { IMeshWorkload, WorkloadOrigin } from '../intent/mesh-workload';
import { ensureEgressPolicy, ensureIngressPolicy } from '../network/_network-policies';

/**
 * Adds the call `caller -> callee` to the graph and defines, on first use, the objects that
 * render it: the callee's ingress NetworkPolicy and AuthorizationPolicy, and the caller's egress
 * NetworkPolicy (not for a workload outside the app, whose namespace's egress baseline is not
 * the app's). A callee outside the app's namespaces also gets a STRICT PeerAuthentication of
 * its own pods, which its namespace does not provide.
 */
export function allowCall(graph: IntentGraph, callee: IMeshWorkload, caller: IMeshWorkload, options: CallOptions): CallIntent {
  const call = graph._addCall(caller, callee, options);
  ensureIngressPolicy(graph, callee);
  ensureAuthorizationPolicy(graph, callee);
  if (caller.workloadOrigin !== WorkloadOrigin.EXTERNAL) ensureEgressPolicy(graph, caller);
  if (callee.workloadOrigin === WorkloadOrigin.EXTERNAL && !graph.namespaces.includes(callee.zeroTrustNamespace)) {
    ensureStrictPeerAuthentication(graph, callee);
  }
  return call;
}

/** A PeerAuthentication with mTLS STRICT for `workload`'s pods, defined on first use. */
function ensureStrictPeerAuthentication(graph: IntentGraph, workload: IMeshWorkload): ApiObject {
  const namespace = workload.zeroTrustNamespace.namespaceName;
  const at = graph._placement(Layer.MESH, workload as Construct, `${namespace}-${workload.workloadName}`, 'StrictMtls');
  const existing = at.scope.node.tryFindChild(at.id);
  if (existing) return existing as ApiObject;
  return new istio.PeerAuthentication(at.scope, at.id, {
    metadata: { name: `${workload.workloadName}-strict`, namespace, labels: { ...MANAGED_BY, 'app.kubernetes.io/name': workload.workloadName } },
    spec: { selector: { matchLabels: { ...workload.podSelectorLabels } }, mtls: { mode: istio.PeerAuthenticationSpecMtlsMode.STRICT } },
  });
}
