import { Construct } from 'constructs';

/**
 * The enforcement layers the intent graph renders into. Each layer's objects can be placed in
 * a scope of their own (for example one Chart per layer) with `IntentGraphProps.layers`.
 */
export enum Layer {
  /** Namespaces and their Pod Security labels. */
  NAMESPACES = 'namespaces',
  /** Kubernetes NetworkPolicies (L3/L4). */
  NETWORK = 'network',
  /** Istio PeerAuthentication and AuthorizationPolicies (identity and L7). */
  MESH = 'mesh',
  /** ServiceAccounts, Deployments and Services. */
  WORKLOADS = 'workloads',
  /** Workload identity: SPIRE, SPIFFE registrations, cloud identity, human access RBAC. */
  IDENTITY = 'identity',
  /** Admission policy templates (Gatekeeper ConstraintTemplates), applied before their constraints. */
  POLICY_TEMPLATES = 'policyTemplates',
  /** Admission policies (Gatekeeper constraints, Kyverno policies). */
  POLICY = 'policy',
  /** The edge and the exits: ingress gateway, request authentication, egress, Cilium policies. */
  EDGE = 'edge',
  /** Secrets delivery: Vault injection, Secrets Store CSI, External Secrets. */
  SECRETS = 'secrets',
  /** Monitoring: Prometheus rules and monitors, access logging. */
  MONITORING = 'monitoring',
  /** Runtime detection: Falco rules. */
  RUNTIME = 'runtime',
}

/**
 * Scopes that receive the objects of each layer.
 *
 * Any layer left out is rendered inside the construct that defines it.
 */
export interface LayerScopes {
  /**
   * Scope for Namespace objects.
   *
   * @default - inside each ZeroTrustNamespace
   */
  readonly namespaces?: Construct;
  /**
   * Scope for NetworkPolicy objects.
   *
   * @default - inside each ZeroTrustNamespace and MeshService
   */
  readonly network?: Construct;
  /**
   * Scope for Istio PeerAuthentication and AuthorizationPolicy objects.
   *
   * @default - inside each ZeroTrustNamespace and MeshService
   */
  readonly mesh?: Construct;
  /**
   * Scope for ServiceAccounts, Deployments and Services.
   *
   * @default - inside each MeshService
   */
  readonly workloads?: Construct;
  /**
   * Scope for identity objects (SPIRE, ClusterSPIFFEIDs, RBAC for people).
   *
   * @default - inside the construct that defines them
   */
  readonly identity?: Construct;
  /**
   * Scope for admission policy templates (applied before the policies that use them).
   *
   * @default - inside the construct that defines them
   */
  readonly policyTemplates?: Construct;
  /**
   * Scope for admission policies.
   *
   * @default - inside the construct that defines them
   */
  readonly policy?: Construct;
  /**
   * Scope for edge and egress objects.
   *
   * @default - inside the construct that defines them
   */
  readonly edge?: Construct;
  /**
   * Scope for secrets delivery objects.
   *
   * @default - inside the construct that defines them
   */
  readonly secrets?: Construct;
  /**
   * Scope for monitoring objects.
   *
   * @default - inside the construct that defines them
   */
  readonly monitoring?: Construct;
  /**
   * Scope for runtime detection objects.
   *
   * @default - inside the construct that defines them
   */
  readonly runtime?: Construct;
}
