import { Duration } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct, IConstruct } from 'constructs';
import { clusterScoped, MANAGED_BY } from './_k8s';
import { invalid } from '../intent/_validation';
import { IntentGraph, Layer } from '../intent/intent-graph';

// the constants of a SPIRE deployment, shared by its parts (server, agent, OIDC, Istio)
export const SERVER_UID = 1000;
export const AGENT_UID = 1000;
export const AGENT_SOCKET_HOST_DIR = '/run/spire/agent-sockets';
export const AGENT_SOCKET_DIR = '/tmp/spire-agent/public';
export const SERVER_SOCKET_DIR = '/tmp/spire-server/private';
export const CSI_DRIVER = 'csi.spiffe.io';
export const BUNDLE_CONFIGMAP = 'spire-bundle';
export const BUNDLE_KEY = 'bundle.spiffe';
/** The socket file name Istio looks for (`/run/secrets/workload-spiffe-uds/socket`). */
export const AGENT_SOCKET_NAME = 'socket';
export const WEBHOOK_PORT = 9443;
export const OIDC_PORT = 8443;
export const OIDC_LABELS = { 'app.kubernetes.io/name': 'spiffe-oidc-discovery-provider', 'app.kubernetes.io/instance': 'spire' };

/**
 * What every part of a SPIRE deployment needs: the deployment (the scope of its objects) and
 * its validated settings.
 * @internal
 */
export interface SpireContext {
  readonly scope: Construct;
  readonly graph: IntentGraph;
  readonly trustDomain: string;
  readonly clusterName: string;
  readonly className: string;
  readonly serverNamespace: string;
  readonly agentNamespace: string;
  readonly replicas: number;
  readonly caTtl: Duration;
  readonly serverAddress: string;
}

/** The scope and id of a SPIRE object of `layer`. @internal */
export function spirePlace(ctx: SpireContext, layer: Layer, childId: string): { scope: Construct; id: string } {
  return ctx.graph._placement(layer, ctx.scope, 'spire', childId);
}

/** The scope and id of a SPIRE object of the identity layer. @internal */
export function spireIdentity(ctx: SpireContext, childId: string): { scope: Construct; id: string } {
  return spirePlace(ctx, Layer.IDENTITY, childId);
}

/** Metadata of a namespaced SPIRE object. @internal */
export function spireMeta(name: string, namespace: string, component?: string) {
  return { name, namespace, labels: { ...MANAGED_BY, 'app.kubernetes.io/part-of': 'spire', ...(component ? { 'app.kubernetes.io/name': component } : {}) } };
}

/** Metadata of a cluster-scoped SPIRE object. @internal */
export function spireClusterMeta(name: string) {
  return { name, labels: { ...MANAGED_BY, 'app.kubernetes.io/part-of': 'spire' } };
}

/** A ClusterRole and its binding to the server's (or, for `Agent`, the agent's) ServiceAccount. @internal */
export function spireClusterRole(ctx: SpireContext, childId: string, name: string, rules: k8s.PolicyRule[]): k8s.KubeClusterRoleBinding {
  const serverSubject = [{ kind: 'ServiceAccount', name: 'spire-server', namespace: ctx.serverNamespace }];
  let a = spireIdentity(ctx, `${childId}ClusterRole`);
  clusterScoped(new k8s.KubeClusterRole(a.scope, a.id, { metadata: spireClusterMeta(name), rules }));
  a = spireIdentity(ctx, `${childId}ClusterRoleBinding`);
  return clusterScoped(new k8s.KubeClusterRoleBinding(a.scope, a.id, {
    metadata: spireClusterMeta(name),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
    subjects: childId === 'Agent' ? [{ kind: 'ServiceAccount', name: 'spire-agent', namespace: ctx.agentNamespace }] : serverSubject,
  }));
}

/** A Role in `namespace` and its binding to the server's ServiceAccount. @internal */
export function spireRole(ctx: SpireContext, childId: string, name: string, namespace: string, rules: k8s.PolicyRule[]): void {
  const serverSubject = [{ kind: 'ServiceAccount', name: 'spire-server', namespace: ctx.serverNamespace }];
  let a = spireIdentity(ctx, `${childId}Role`);
  new k8s.KubeRole(a.scope, a.id, { metadata: spireMeta(name, namespace), rules });
  a = spireIdentity(ctx, `${childId}RoleBinding`);
  new k8s.KubeRoleBinding(a.scope, a.id, {
    metadata: spireMeta(name, namespace),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
    subjects: serverSubject,
  });
}

const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

export function checkDomain(scope: IConstruct, prop: string, domain: string): string {
  if (typeof domain !== 'string' || !DOMAIN.test(domain)) {
    invalid(scope, prop, domain, 'must be a lower-case DNS name without scheme, port or path', 'for example \'oidc-discovery.example.org\'');
  }
  return domain;
}

export function webhook(namespace: string, name: string, resource: string, failurePolicy: string): k8s.ValidatingWebhook {
  return {
    name,
    admissionReviewVersions: ['v1'],
    sideEffects: 'None',
    failurePolicy,
    clientConfig: { service: { name: 'spire-controller-manager-webhook', namespace, path: `/validate-spire-spiffe-io-v1alpha1-${resource}` } },
    rules: [{ apiGroups: ['spire.spiffe.io'], apiVersions: ['v1alpha1'], operations: ['CREATE', 'UPDATE'], resources: [`${resource}s`] }],
  };
}
