// Synthesizes the reference zero-trust architecture: one numbered YAML file per layer chart in
// dist/ (or $CDK8S_OUTDIR when run by `cdk8s synth`), plus the files for systems outside the
// Kubernetes API (for example Vault policies) in sub-folders. Run with `npm run synth`.
import { App, YamlOutputType } from 'cdk8s';
import { OutputFile, ReferenceArchitecture } from '../../src';

const app = new App({ yamlOutputType: YamlOutputType.FILE_PER_CHART });
new ReferenceArchitecture(app, 'zero-trust');
app.synth();
OutputFile.synthAll(app);
