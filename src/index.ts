// the intent graph and what every layer shares
export * from './intent/mesh-workload';
export * from './intent/intent-graph';
export * from './intent/privileged-workload';
export * from './intent/output-file';
export * from './intent/synthesis';
export * from './intent/remote-workload';
export * from './intent/cluster-peer';
export * from './intent/cluster-peer-options';
// who enforces each call (L4, L7)
export * from './enforcement/enforcement-points';
// segmentation, mesh
export * from './segmentation/zero-trust-namespace';
export * from './mesh/graph-workload';
export * from './mesh/mesh-service';
export * from './mesh/mesh-service-props';
export * from './mesh/writable-directory';
export * from './mesh/mesh-stateful-service';
export * from './mesh/adopted-workload';
export * from './mesh/external-workload';
// identity
export * from './identity/spire-options';
export * from './identity/spire-deployment';
export * from './identity/cluster-spiffe-id';
export * from './identity/spiffe-federation';
export * from './identity/cloud-provider';
export * from './identity/cloud-identity';
export * from './identity/cloud-grant';
export * from './identity/cloud-permission-policy';
export * from './identity/irsa-trust-policy';
export * from './identity/cloud-trust-file';
export * from './identity/pod-identity-trust-policy';
export * from './identity/pod-identity-association';
export * from './identity/human-access';
// policy
export * from './policy/constraint-template';
export * from './policy/constraint';
export * from './policy/policy-options';
export * from './policy/zero-trust-policy-pack';
// edge and egress
export * from './edge/jwt-issuer';
export * from './edge/access-proxy';
export * from './edge/cilium-workload-policy';
// secrets
export * from './secrets/vault-connection';
export * from './secrets/vault-secret';
export * from './secrets/vault-role';
export * from './secrets/vault-injected-deployment';
export * from './secrets/vault-csi-secrets';
export * from './secrets/vault-external-secrets';
// monitoring
export * from './monitoring/prometheus-rules';
export * from './monitoring/zero-trust-alerts';
export * from './monitoring/metrics-pod-monitor';
export * from './monitoring/mesh-metrics-scraping';
export * from './monitoring/mesh-access-logging';
// runtime
export * from './runtime/falco-base-ruleset';
export * from './runtime/falco-rule-set';
export * from './runtime/falco-rule-types';
export * from './runtime/zero-trust-falco-rules';
// evidence: the objects' effect checked against the intent graph
export * from './evidence/effect-finding';
export * from './evidence/effect-check';
export * from './evidence/zero-trust-evidence';
// the reference architecture
export * from './reference/reference-architecture';
// validation: the cdk8s synth --validate plugin and the schema validator behind it
export * from './validation/schema-validator';
export * from './validation/zero-trust-validation';
// platform components
export * from './platform/platform-component';
export * from './platform/platform-components';
export * from './platform/platform-workload';
