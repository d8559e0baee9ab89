// Synthesizes the reference zero-trust architecture: one numbered YAML file per layer chart in
// dist/ (or $CDK8S_OUTDIR when run by `cdk8s synth`; one file under `cdk8s synth --stdout`), and
// the files for systems outside the Kubernetes API (Vault policies, Helm values) and the evidence
// (connectivity, trust graph, compliance) in dist-files/.
// Run with `npm run synth`: it uses the compiled library in lib/ (built first when src/ changed).
import { App } from 'cdk8s';
import { ReferenceArchitecture, Synthesis, ZeroTrustEvidence } from '../../lib';

const app = new App();
new ReferenceArchitecture(app, 'zero-trust');
// connectivity, trust graph, compliance evidence in dist-files/evidence/
new ZeroTrustEvidence(app, 'Evidence');
Synthesis.synth(app);
