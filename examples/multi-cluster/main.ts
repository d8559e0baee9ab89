// Synthesizes the multi-cluster example into dist/multi-cluster/cluster-a and .../cluster-b (one
// numbered YAML file per layer chart each), with the files for systems outside the Kubernetes
// API (cluster-a's AWS IAM and EKS files, Istio values) beside them in <cluster>-files/.
// Run with `npx projen synth:multi-cluster`.
import * as path from 'path';
import { Synthesis } from '../../src';
import { clusterA, clusterB } from './clusters';

const root = path.join('dist', 'multi-cluster');
Synthesis.synth(clusterA(path.join(root, 'cluster-a')).app);
Synthesis.synth(clusterB(path.join(root, 'cluster-b')).app);
