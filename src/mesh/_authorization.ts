import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { endUserTokens } from '../edge/_end-user-tokens';
import { EnforcementPoints, L7Enforcer } from '../enforcement/enforcement-points';
import * as istio from '../imports/istio-security';
import { IntentGraph, Layer } from '../intent/intent-graph';
import { IMeshWorkload } from '../intent/mesh-workload';
import { onRemoteCall, remoteCallsOf } from '../intent/remote-workload';

/**
 * Renders the ALLOW rules of `callee`: one rule per distinct operation (ports, methods, paths),
 * with the principals of every caller allowed that operation.
 */
function renderRules(graph: IntentGraph, callee: IMeshWorkload): istio.AuthorizationPolicySpecRules[] {
  if (EnforcementPoints.of(graph).forWorkload(callee).l7 === L7Enforcer.CILIUM) {
    // Cilium authorizes this workload's requests (callers by endpoint identity, methods and
    // paths by its L7 proxy) on plaintext traffic, where Istio sees no principal: open the
    // declared ports only, to any source
    const ports = [...new Set(graph.callsTo(callee).flatMap(c => c.ports))].sort((a, b) => a - b);
    return ports.length ? [{ to: [{ operation: { ports: ports.map(String) } }] }] : [];
  }
  type Operation = {
    ports: number[];
    methods: string[];
    paths: string[];
    requestPrincipals: string[];
    claims: { [claim: string]: string[] };
    headers: { [name: string]: string };
    principals: Set<string>;
  };
  const byOperation = new Map<string, Operation>();
  const tokens = endUserTokens(graph);
  for (const call of graph.callsTo(callee)) {
    // a caller that forwards verified end-user tokens (an AccessProxy): the callee re-checks the token
    const requestPrincipals = tokens.issuersOfCall(call).map(issuer => `${issuer}/*`);
    const key = JSON.stringify([call.ports, call.methods, call.paths, requestPrincipals, call.requiredClaims, call.requiredHeaders]);
    const fresh: Operation = {
      ports: call.ports,
      methods: call.methods,
      paths: call.paths,
      requestPrincipals,
      claims: call.requiredClaims,
      headers: call.requiredHeaders,
      principals: new Set<string>(),
    };
    const slot = byOperation.get(key) ?? fresh;
    slot.principals.add(call.sourcePrincipal);
    byOperation.set(key, slot);
  }
  // workloads of other trust domains: their mTLS principal (federated trust), never a namespace or wildcard
  for (const call of remoteCallsOf(graph, callee, true)) {
    const key = JSON.stringify([call.ports, call.methods, call.paths, [], {}, {}]);
    const slot = byOperation.get(key) ?? {
      ports: call.ports, methods: call.methods, paths: call.paths, requestPrincipals: [], claims: {}, headers: {}, principals: new Set<string>(),
    };
    slot.principals.add(call.remote.principal);
    byOperation.set(key, slot);
  }
  return [...byOperation.keys()].sort().map(key => {
    const op = byOperation.get(key)!;
    const when = [...claimConditions(op.claims), ...headerConditions(op.headers)];
    return {
      from: [{
        source: {
          principals: [...op.principals].sort(),
          ...(op.requestPrincipals.length ? { requestPrincipals: op.requestPrincipals } : {}),
        },
      }],
      to: [{
        operation: {
          ports: op.ports.map(String),
          ...(op.methods.length ? { methods: op.methods } : {}),
          ...(op.paths.length ? { paths: op.paths } : {}),
        },
      }],
      ...(when.length ? { when } : {}),
    };
  });
}

/** One `when` condition per required header: `request.headers[<name>]` equal to the value. */
export function headerConditions(headers: { [name: string]: string }): istio.AuthorizationPolicySpecRulesWhen[] {
  return Object.keys(headers).sort().map(name => ({ key: `request.headers[${name}]`, values: [headers[name]] }));
}

/** One `when` condition per required claim: `request.auth.claims[<claim>]` in the accepted values. */
export function claimConditions(claims: { [claim: string]: string[] }): istio.AuthorizationPolicySpecRulesWhen[] {
  return Object.keys(claims).sort().map(claim => ({ key: `request.auth.claims[${claim}]`, values: [...claims[claim]] }));
}

/**
 * The AuthorizationPolicy that ALLOWs every declared caller of `workload` by its mTLS
 * principal (one per workload, however many callers), defined on first use. Everything else
 * stays denied by the namespace's allow-nothing policy.
 */
export function ensureAuthorizationPolicy(graph: IntentGraph, workload: IMeshWorkload): ApiObject {
  const namespace = workload.zeroTrustNamespace.namespaceName;
  const placement = graph._placement(Layer.MESH, workload as Construct, `${namespace}-${workload.workloadName}`, 'AuthorizationPolicy');
  const existing = placement.scope.node.tryFindChild(placement.id);
  if (existing) {
    return existing as ApiObject;
  }
  return new istio.AuthorizationPolicy(placement.scope, placement.id, {
    metadata: {
      name: workload.workloadName,
      namespace,
      labels: { 'app.kubernetes.io/managed-by': 'cdk8s-zero-trust', 'app.kubernetes.io/name': workload.workloadName },
    },
    spec: Lazy.any({
      produce: (): istio.AuthorizationPolicySpec => ({
        selector: { matchLabels: { ...workload.podSelectorLabels } },
        action: istio.AuthorizationPolicySpecAction.ALLOW,
        rules: renderRules(graph, workload),
      }),
    }),
  });
}

// a workload of another trust domain calling in is admitted by its principal; Cilium's L7 proxy
// sees plaintext without a principal, so a callee it enforces could only deny the remote caller
onRemoteCall((graph, call) => {
  if (!call.inbound) return;
  ensureAuthorizationPolicy(graph, call.local);
  call.local.node.addValidation({
    validate: () => (EnforcementPoints.of(graph).forWorkload(call.local).l7 === L7Enforcer.CILIUM
      ? [`invalid remote caller ${JSON.stringify(call.remote.spiffeId)}: ${call.key} needs the callee's sidecar or waypoint to check the remote principal, but Cilium enforces L7 for it (HttpEnforcement.CILIUM), where no mTLS principal is visible; `
        + 'enforce this workload\'s HTTP rules with Istio, or remove the remote call']
      : []),
  });
});
