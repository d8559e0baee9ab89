export * from './intent/mesh-workload';
export * from './intent/intent-graph';
export * from './intent/privileged-workload';
export * from './intent/output-file';
export * from './segmentation/zero-trust-namespace';
export * from './mesh/mesh-service';
export * from './reference/reference-architecture';
