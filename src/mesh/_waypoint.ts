import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { EnforcementPoints, HBONE_PORT, Rollout, Waypoint, WAYPOINT_CLASS } from '../enforcement/enforcement-points';
import * as gateway from '../imports/gateway-api';
import * as istio from '../imports/istio-security';
import { MANAGED_BY } from '../intent/_labels';
import { IntentGraph, Layer } from '../intent/intent-graph';
import { IMeshWorkload } from '../intent/mesh-workload';
import { ensureWaypointNetworkPolicy, podPeer } from '../network/_network-policies';
import { ZeroTrustNamespace } from '../segmentation/zero-trust-namespace';

/** The label that sends a namespace's or a Service's traffic through a waypoint. */
export const USE_WAYPOINT_LABEL = 'istio.io/use-waypoint';

/**
 * A waypoint for `workload`'s enforcement point, defined on first use: the Gateway (class
 * `istio-waypoint`, one HBONE listener on 15008, for traffic addressed to services), the
 * `istio.io/use-waypoint` label on the namespace (or on the workload's Service for
 * `WaypointScope.SERVICE`), an allow-nothing policy on the waypoint so that traffic no service
 * policy allows is denied there too, and the waypoint's NetworkPolicy.
 *
 * @returns the Gateway
 */
export function ensureWaypoint(graph: IntentGraph, waypoint: Waypoint, workload: IMeshWorkload): ApiObject {
  const namespace = workload.zeroTrustNamespace;
  const owner: Construct = !waypoint.forService && ZeroTrustNamespace.isZeroTrustNamespace(namespace) ? namespace : workload as Construct;
  const ownerKey = `${waypoint.namespace}-${waypoint.name}`;
  const placement = graph._placement(Layer.MESH, owner, ownerKey, 'Waypoint');
  const existing = placement.scope.node.tryFindChild(placement.id) as ApiObject | undefined;
  if (existing) return existing;

  const gw = new gateway.Gateway(placement.scope, placement.id, {
    metadata: { name: waypoint.name, namespace: waypoint.namespace, labels: { ...MANAGED_BY, 'istio.io/waypoint-for': 'service' } },
    spec: { gatewayClassName: WAYPOINT_CLASS, listeners: [{ name: 'mesh', port: HBONE_PORT, protocol: 'HBONE' }] },
  });
  if (waypoint.forService) {
    const service = (workload as any).service;
    if (!service || !service.metadata || typeof service.metadata.addLabel !== 'function') {
      throw new Error(`[${workload.node.path}] a service waypoint needs the workload's Service (a MeshService); use WaypointScope.NAMESPACE`);
    }
    service.metadata.addLabel(USE_WAYPOINT_LABEL, waypoint.name);
  } else if (ZeroTrustNamespace.isZeroTrustNamespace(namespace)) {
    namespace.namespace.metadata.addLabel(USE_WAYPOINT_LABEL, waypoint.name);
  }
  const audit = EnforcementPoints.of(graph).forNamespace(namespace).rollout === Rollout.AUDIT;
  const denyAt = graph._placement(Layer.MESH, owner, ownerKey, 'WaypointAllowNothing');
  new istio.AuthorizationPolicy(denyAt.scope, denyAt.id, {
    metadata: {
      name: `${waypoint.name}-allow-nothing`,
      namespace: waypoint.namespace,
      labels: { ...MANAGED_BY },
      ...(audit ? { annotations: { 'istio.io/dry-run': 'true' } } : {}),
    },
    spec: { targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: waypoint.name }] },
  });
  const istiod = ZeroTrustNamespace.isZeroTrustNamespace(namespace) ? namespace._istiodPeer : podPeer('istio-system', { istio: 'pilot' });
  ensureWaypointNetworkPolicy(graph, waypoint, owner, istiod);
  return gw;
}
