/**
 * Validates synthesized YAML files (default: every *.yaml in dist/) against the Kubernetes 1.32
 * and 1.35 schemas and the pinned CRD schemas, CEL rules included. Exits 1 on any error.
 *
 *   npx projen validate [dir-or-file ...]
 */
import * as fs from 'fs';
import * as path from 'path';
import * as yaml from 'yaml';
import { constraintTemplates, validateManifest } from './schemas';

const targets = process.argv.slice(2).length ? process.argv.slice(2) : ['dist'];
const files = targets.flatMap(t => (fs.statSync(t).isDirectory()
  ? fs.readdirSync(t).filter(f => /\.ya?ml$/.test(f)).sort().map(f => path.join(t, f))
  : [t]));
if (files.length === 0) {
  console.error(`no YAML files in ${targets.join(', ')}: run npm run synth first`);
  process.exit(1);
}
const docsByFile = files.map(file => ({
  file,
  docs: yaml.parseAllDocuments(fs.readFileSync(file, 'utf8')).map(d => d.toJSON()).filter(d => d !== null),
}));
// Gatekeeper constraint kinds come from ConstraintTemplates, which are in an earlier file
const templates = constraintTemplates(docsByFile.flatMap(f => f.docs));
let objects = 0;
const errors: string[] = [];
for (const { file, docs } of docsByFile) {
  objects += docs.length;
  errors.push(...docs.flatMap(d => validateManifest(d, templates)).map(e => `${file}: ${e}`));
}
if (errors.length > 0 || objects === 0) {
  console.error(errors.join('\n') || 'no objects found');
  process.exit(1);
}
console.log(`${objects} objects in ${files.length} files valid against Kubernetes v1.32.0 and v1.35.0 and the pinned CRDs`);
