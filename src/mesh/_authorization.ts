import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { ensureWaypoint } from './_waypoint';
import { endUserTokens } from '../edge/_end-user-tokens';
import { EnforcementPoints, L7Enforcer, Rollout } from '../enforcement/enforcement-points';
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

/** The annotation that makes an AuthorizationPolicy a dry run (evaluated and reported, never enforced). */
export const DRY_RUN_ANNOTATION = 'istio.io/dry-run';

/** Metadata of a policy of `workload`: dry run when its rollout is AUDIT. */
function policyMeta(workload: IMeshWorkload, name: string, dryRun: boolean) {
  return {
    name,
    namespace: workload.zeroTrustNamespace.namespaceName,
    labels: { 'app.kubernetes.io/managed-by': 'cdk8s-zero-trust', 'app.kubernetes.io/name': workload.workloadName },
    ...(dryRun ? { annotations: { [DRY_RUN_ANNOTATION]: 'true' } } : {}),
  };
}

/** The Service a waypoint policy attaches to: MeshServices name their Service like the workload. */
function serviceRef(workload: IMeshWorkload): istio.AuthorizationPolicySpecTargetRefs {
  return { group: '', kind: 'Service', name: workload.workloadName };
}

/**
 * The AuthorizationPolicy that ALLOWs every declared caller of `workload` by its mTLS
 * principal (one per workload, however many callers), defined on first use. Everything else
 * stays denied by the namespace's allow-nothing policy.
 *
 * Where it applies follows the workload's enforcement point: it selects the pods (sidecar,
 * ztunnel) or, behind a waypoint, attaches to the workload's Service with `targetRefs`; then a
 * second policy lets ztunnel admit only the waypoint (and direct sidecar callers). In AUDIT it is
 * a dry run, and when the namespace enforces, an allow-all policy keeps its allow-nothing from
 * denying the workload's traffic.
 */
export function ensureAuthorizationPolicy(graph: IntentGraph, workload: IMeshWorkload): ApiObject {
  const points = EnforcementPoints.of(graph);
  const point = points.forWorkload(workload);
  const audit = point.rollout === Rollout.AUDIT;
  const namespaceEnforces = points.forNamespace(workload.zeroTrustNamespace).rollout === Rollout.ENFORCE;
  const policy = ensurePolicy(graph, workload, 'AuthorizationPolicy', () => new istio.AuthorizationPolicy(graph._placement(Layer.MESH,
    workload as Construct, workloadOwnerKey(workload), 'AuthorizationPolicy').scope, workloadPlacementId(graph, workload, 'AuthorizationPolicy'), {
    metadata: policyMeta(workload, workload.workloadName, audit),
    spec: Lazy.any({
      produce: (): istio.AuthorizationPolicySpec => {
        const behindWaypoint = points.forWorkload(workload).l7 === L7Enforcer.WAYPOINT;
        return {
          ...(behindWaypoint ? { targetRefs: [serviceRef(workload)] } : { selector: { matchLabels: { ...workload.podSelectorLabels } } }),
          action: istio.AuthorizationPolicySpecAction.ALLOW,
          rules: renderRules(graph, workload),
        };
      },
    }),
  }));
  if (audit && namespaceEnforces) {
    ensurePolicy(graph, workload, 'AuditAllowAll', () => new istio.AuthorizationPolicy(graph._placement(Layer.MESH,
      workload as Construct, workloadOwnerKey(workload), 'AuditAllowAll').scope, workloadPlacementId(graph, workload, 'AuditAllowAll'), {
      metadata: policyMeta(workload, `${workload.workloadName}-audit`, false),
      // ALLOW with one empty rule: matches every request, so the allow-nothing policy denies nothing here
      // the selector is read at synthesis (an adopted workload's is read from its manifest)
      spec: {
        selector: Lazy.any({ produce: () => ({ matchLabels: { ...workload.podSelectorLabels } }) }),
        action: istio.AuthorizationPolicySpecAction.ALLOW,
        rules: [{}],
      },
    }));
  }
  if (point.waypoint) {
    ensureWaypoint(graph, point.waypoint, workload);
    // a namespace waypoint also serves the workloads whose policies were defined before it
    for (const behind of points.workloadsBehind(point.waypoint)) {
      const at = graph._placement(Layer.MESH, behind as Construct, workloadOwnerKey(behind), 'AuthorizationPolicy');
      if (at.scope.node.tryFindChild(at.id)) ensureWaypointCompanions(graph, behind);
    }
  }
  return policy;
}

function workloadOwnerKey(workload: IMeshWorkload): string {
  return `${workload.zeroTrustNamespace.namespaceName}-${workload.workloadName}`;
}

function workloadPlacementId(graph: IntentGraph, workload: IMeshWorkload, id: string): string {
  return graph._placement(Layer.MESH, workload as Construct, workloadOwnerKey(workload), id).id;
}

function ensurePolicy(graph: IntentGraph, workload: IMeshWorkload, id: string, create: () => ApiObject): ApiObject {
  const placement = graph._placement(Layer.MESH, workload as Construct, workloadOwnerKey(workload), id);
  return (placement.scope.node.tryFindChild(placement.id) as ApiObject | undefined) ?? create();
}

/**
 * The policies of a workload behind a waypoint, besides its main one: ztunnel admits the
 * declared ports from the waypoint's identity (and from direct sidecar callers) only, so no
 * caller can bypass the waypoint; in AUDIT inside an enforcing namespace, an allow-all policy
 * on the waypoint keeps its allow-nothing from denying.
 */
export function ensureWaypointCompanions(graph: IntentGraph, workload: IMeshWorkload): void {
  const points = EnforcementPoints.of(graph);
  const point = points.forWorkload(workload);
  const audit = point.rollout === Rollout.AUDIT;
  ensurePolicy(graph, workload, 'ZtunnelPolicy', () => new istio.AuthorizationPolicy(graph._placement(Layer.MESH,
    workload as Construct, workloadOwnerKey(workload), 'ZtunnelPolicy').scope, workloadPlacementId(graph, workload, 'ZtunnelPolicy'), {
    metadata: policyMeta(workload, `${workload.workloadName}-ztunnel`, audit),
    spec: Lazy.any({ produce: () => ztunnelSpec(graph, workload) }),
  }));
  if (audit && points.forNamespace(workload.zeroTrustNamespace).rollout === Rollout.ENFORCE) {
    ensurePolicy(graph, workload, 'AuditAllowAllWaypoint', () => new istio.AuthorizationPolicy(graph._placement(Layer.MESH,
      workload as Construct, workloadOwnerKey(workload), 'AuditAllowAllWaypoint').scope, workloadPlacementId(graph, workload, 'AuditAllowAllWaypoint'), {
      metadata: policyMeta(workload, `${workload.workloadName}-audit-waypoint`, false),
      spec: { targetRefs: [serviceRef(workload)], action: istio.AuthorizationPolicySpecAction.ALLOW, rules: [{}] },
    }));
  }
}

/** ztunnel's rules for a workload behind a waypoint: the waypoint's principal, and direct callers'. */
function ztunnelSpec(graph: IntentGraph, workload: IMeshWorkload): istio.AuthorizationPolicySpec {
  const points = EnforcementPoints.of(graph);
  const byPorts = new Map<string, { ports: number[]; principals: Set<string> }>();
  for (const call of graph.callsTo(workload)) {
    const waypoint = points.viaWaypoint(call.caller, workload);
    const principal = waypoint ? `${graph.trustDomain}/ns/${waypoint.namespace}/sa/${waypoint.name}` : call.sourcePrincipal;
    const key = call.ports.join(',');
    const slot = byPorts.get(key) ?? { ports: call.ports, principals: new Set<string>() };
    slot.principals.add(principal);
    byPorts.set(key, slot);
  }
  // workloads of other clusters arrive through an east-west gateway, past the waypoint
  for (const call of remoteCallsOf(graph, workload, true)) {
    const key = call.ports.join(',');
    const slot = byPorts.get(key) ?? { ports: call.ports, principals: new Set<string>() };
    slot.principals.add(call.remote.principal);
    byPorts.set(key, slot);
  }
  return {
    selector: { matchLabels: { ...workload.podSelectorLabels } },
    action: istio.AuthorizationPolicySpecAction.ALLOW,
    rules: [...byPorts.keys()].sort().map(k => byPorts.get(k)!).map(({ ports, principals }) => ({
      from: [{ source: { principals: [...principals].sort() } }],
      to: [{ operation: { ports: ports.map(String) } }],
    })),
  };
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
