/* Strict schema transforms (always on our own copy: freshly parsed JSON, or structuredClone). */

/**
 * Core kinds that are cluster-scoped (`group/kind`, core group written as ``). The k8s JSON
 * schemas do not carry the scope; a namespace on these objects is a bug (cdk8s stamps the chart's
 * namespace on every object).
 */
/** @internal */
export const CLUSTER_SCOPED_CORE = new Set([
  '/Namespace', '/Node', '/PersistentVolume', '/ComponentStatus',
  'rbac.authorization.k8s.io/ClusterRole', 'rbac.authorization.k8s.io/ClusterRoleBinding',
  'storage.k8s.io/StorageClass', 'storage.k8s.io/CSIDriver', 'storage.k8s.io/CSINode',
  'storage.k8s.io/VolumeAttachment', 'storage.k8s.io/VolumeAttributesClass',
  'scheduling.k8s.io/PriorityClass', 'node.k8s.io/RuntimeClass',
  'networking.k8s.io/IngressClass', 'networking.k8s.io/IPAddress', 'networking.k8s.io/ServiceCIDR',
  'apiextensions.k8s.io/CustomResourceDefinition', 'apiregistration.k8s.io/APIService',
  'admissionregistration.k8s.io/MutatingWebhookConfiguration',
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicy',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding',
  'admissionregistration.k8s.io/MutatingAdmissionPolicy',
  'admissionregistration.k8s.io/MutatingAdmissionPolicyBinding',
  'certificates.k8s.io/CertificateSigningRequest', 'certificates.k8s.io/ClusterTrustBundle',
  'flowcontrol.apiserver.k8s.io/FlowSchema', 'flowcontrol.apiserver.k8s.io/PriorityLevelConfiguration',
  'resource.k8s.io/DeviceClass', 'resource.k8s.io/ResourceSlice',
  'internal.apiserver.k8s.io/StorageVersion', 'storagemigration.k8s.io/StorageVersionMigration',
]);

/**
 * Value sets the API server enforces in Go code but the published k8s JSON schemas do not list
 * (they carry no `enum` except on `kind`). Only values identical in every targeted version are
 * listed. `definition -> property -> allowed values`; `[]` after a property means its items.
 */
/** @internal */
export const CORE_ENUMS: Record<string, Record<string, string[]>> = {
  'io.k8s.api.networking.v1.NetworkPolicySpec': { 'policyTypes[]': ['Ingress', 'Egress'] },
  'io.k8s.api.networking.v1.NetworkPolicyPort': { protocol: ['TCP', 'UDP', 'SCTP'] },
  'io.k8s.api.core.v1.ContainerPort': { protocol: ['TCP', 'UDP', 'SCTP'] },
  'io.k8s.api.core.v1.ServicePort': { protocol: ['TCP', 'UDP', 'SCTP'] },
  'io.k8s.api.core.v1.Container': { imagePullPolicy: ['Always', 'Never', 'IfNotPresent'] },
  'io.k8s.api.core.v1.EphemeralContainer': { imagePullPolicy: ['Always', 'Never', 'IfNotPresent'] },
  'io.k8s.api.core.v1.PodSpec': {
    restartPolicy: ['Always', 'OnFailure', 'Never'],
    dnsPolicy: ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'],
  },
  'io.k8s.api.core.v1.ServiceSpec': {
    type: ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'],
    sessionAffinity: ['ClientIP', 'None'],
    externalTrafficPolicy: ['Cluster', 'Local'],
    internalTrafficPolicy: ['Cluster', 'Local'],
    ipFamilyPolicy: ['SingleStack', 'PreferDualStack', 'RequireDualStack'],
  },
  'io.k8s.api.core.v1.SeccompProfile': { type: ['RuntimeDefault', 'Unconfined', 'Localhost'] },
  'io.k8s.api.core.v1.Toleration': { effect: ['', 'NoSchedule', 'PreferNoSchedule', 'NoExecute'] },
  'io.k8s.api.apps.v1.DeploymentStrategy': { type: ['Recreate', 'RollingUpdate'] },
  'io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement': { operator: ['In', 'NotIn', 'Exists', 'DoesNotExist'] },
  'io.k8s.api.rbac.v1.Subject': { kind: ['User', 'Group', 'ServiceAccount'] },
  'io.k8s.api.admissionregistration.v1.ValidatingWebhook': {
    failurePolicy: ['Ignore', 'Fail'],
    sideEffects: ['None', 'NoneOnDryRun'],
    matchPolicy: ['Exact', 'Equivalent'],
  },
  'io.k8s.api.admissionregistration.v1.MutatingWebhook': {
    failurePolicy: ['Ignore', 'Fail'],
    sideEffects: ['None', 'NoneOnDryRun'],
    matchPolicy: ['Exact', 'Equivalent'],
    reinvocationPolicy: ['Never', 'IfNeeded'],
  },
  'io.k8s.api.policy.v1.PodDisruptionBudgetSpec': { unhealthyPodEvictionPolicy: ['IfHealthyBudget', 'AlwaysAllow'] },
};

/** @internal */
export function isObject(x: unknown): x is Record<string, any> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Core k8s: every object schema with `properties` and no `additionalProperties` becomes closed. */
/** @internal */
export function strictifyCore(node: any): void {
  if (!isObject(node)) return;
  if (node.properties && node.additionalProperties === undefined) node.additionalProperties = false;
  if (isObject(node.properties)) for (const child of Object.values(node.properties)) strictifyCore(child);
  if (node.items) (Array.isArray(node.items) ? node.items : [node.items]).forEach(strictifyCore);
  if (isObject(node.additionalProperties)) strictifyCore(node.additionalProperties);
}

/**
 * CRD structural schema -> strict JSON Schema.
 * - `additionalProperties: false` on every object node (with `properties`, or `type: object`
 *   without any: Kubernetes would prune every field in it), except where
 *   `x-kubernetes-preserve-unknown-fields: true` or `additionalProperties` is already given;
 * - `nullable: true` -> also accept `null` (Ajv's own `nullable` support is not used);
 * - `x-kubernetes-int-or-string: true` -> integer or string;
 * - `x-kubernetes-embedded-resource: true` and the root -> `apiVersion`, `kind`, `metadata`
 *   implicitly allowed (root `metadata` is validated separately against core ObjectMeta);
 * - value validations (`allOf`/`anyOf`/`oneOf`/`not`) are left alone: they may list properties
 *   without closing the object.
 */
/** @internal */
export function strictifyCrd(node: any, resourceRoot: boolean): void {
  if (!isObject(node)) return;
  if (node.nullable !== undefined) {
    if (node.nullable === true) {
      if (typeof node.type === 'string') node.type = [node.type, 'null'];
      if (Array.isArray(node.enum) && !node.enum.includes(null)) node.enum = [...node.enum, null];
    }
    delete node.nullable;
  }
  if (node['x-kubernetes-int-or-string'] === true && node.type === undefined && !node.anyOf && !node.oneOf) {
    node.anyOf = [{ type: 'integer' }, { type: 'string' }];
  }
  const embedded = resourceRoot || node['x-kubernetes-embedded-resource'] === true;
  if (embedded) {
    node.properties = { ...(node.properties ?? {}) };
    node.properties.apiVersion ??= { type: 'string' };
    node.properties.kind ??= { type: 'string' };
    // metadata: free-form here; a resource root's metadata is checked against core ObjectMeta.
    node.properties.metadata = { type: 'object' };
  }
  const preserve = node['x-kubernetes-preserve-unknown-fields'] === true;
  if (!preserve && node.additionalProperties === undefined && (node.properties || node.type === 'object')) {
    node.additionalProperties = false;
  }
  if (isObject(node.properties)) {
    for (const [name, child] of Object.entries(node.properties)) {
      if (embedded && name === 'metadata') continue;
      strictifyCrd(child, false);
    }
  }
  if (node.items) (Array.isArray(node.items) ? node.items : [node.items]).forEach((c: any) => strictifyCrd(c, false));
  if (isObject(node.additionalProperties)) strictifyCrd(node.additionalProperties, false);
}

/** @internal */
export function addCoreEnums(definitions: Record<string, any>): void {
  for (const [def, props] of Object.entries(CORE_ENUMS)) {
    for (const [prop, values] of Object.entries(props)) {
      const items = prop.endsWith('[]');
      let node = definitions[def]?.properties?.[items ? prop.slice(0, -2) : prop];
      if (items) node = node?.items;
      if (isObject(node) && node.enum === undefined) node.enum = values;
    }
  }
}

