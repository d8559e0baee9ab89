import { ApiObject, Chart, JsonPatch } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct, IConstruct } from 'constructs';
import { checkImageRef } from '../intent/_image';
import { checkDns1123Label } from '../intent/_validation';

/** Labels every object of the identity layer carries. @internal */
export { MANAGED_BY } from '../intent/_labels';

/** The label every namespace carries with its own name. @internal */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/**
 * Drops the namespace a Chart with `namespace` would stamp on a cluster-scoped object.
 * @internal
 */
export function clusterScoped<T extends ApiObject>(obj: T): T {
  if (Chart.of(obj).namespace !== undefined) {
    obj.addJsonPatch(JsonPatch.remove('/metadata/namespace'));
  }
  return obj;
}

/**
 * The pod security context of a hardened (Pod Security `restricted`) pod.
 * @internal
 */
export function restrictedPodSecurity(uid: number): k8s.PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    fsGroup: uid,
    fsGroupChangePolicy: 'OnRootMismatch',
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/**
 * The container security context of a hardened (Pod Security `restricted`) container.
 * @internal
 */
export function restrictedContainerSecurity(): k8s.SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    privileged: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    capabilities: { drop: ['ALL'] },
  };
}

/** Requests and limits. @internal */
export function resources(cpuRequest: string, memoryRequest: string, cpuLimit: string, memoryLimit: string): k8s.ResourceRequirements {
  return {
    requests: { cpu: k8s.Quantity.fromString(cpuRequest), memory: k8s.Quantity.fromString(memoryRequest) },
    limits: { cpu: k8s.Quantity.fromString(cpuLimit), memory: k8s.Quantity.fromString(memoryLimit) },
  };
}

/** An HTTP GET probe on a named port. @internal */
export function httpProbe(path: string, port: string, periodSeconds: number, initialDelaySeconds: number, failureThreshold = 3): k8s.Probe {
  return {
    httpGet: { path, port: k8s.IntOrString.fromString(port) },
    initialDelaySeconds,
    periodSeconds,
    timeoutSeconds: 3,
    failureThreshold,
  };
}

/** A container image reference without spaces. @internal */
export function checkImage(scope: IConstruct, prop: string, image: string): string {
  return checkImageRef(scope, prop, image, 'ghcr.io/spiffe/spire-server:1.15.3');
}

/** @internal */
export function checkName(scope: IConstruct, prop: string, value: string): string {
  return checkDns1123Label(scope, prop, value);
}

/** A child of `scope` created once (idempotent relationship methods). @internal */
export function once<T extends IConstruct>(scope: Construct, id: string, create: () => T): T {
  return (scope.node.tryFindChild(id) as T | undefined) ?? create();
}
