export * from './intent/mesh-workload';
export * from './intent/intent-graph';
export * from './segmentation/zero-trust-namespace';
export * from './mesh/mesh-service';
export * from './reference/reference-architecture';
