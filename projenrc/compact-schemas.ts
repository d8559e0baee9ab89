/**
 * Generates `schemas/*.json.gz`: the Kubernetes and pinned CRD schemas the package's validator
 * (`SchemaValidator`, the `ZeroTrustValidation` plugin) ships with.
 *
 * Input: `ZERO_TRUST_SHARED_DIR` (default `../shared`, relative to the repository root):
 * `k8s-schemas/<version>/_definitions.json` and `crds/**.yaml`. Output, for size: `description`
 * keywords removed (field names called `description` are kept), minified, gzipped (level 9, no
 * timestamp, so the bytes only change with the input). Run by `npx projen import`; CI fails when
 * the committed files differ.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { parseAllDocuments } from 'yaml';

const ROOT = path.resolve(__dirname, '..');
const SHARED = path.resolve(ROOT, process.env.ZERO_TRUST_SHARED_DIR ?? '../shared');
const OUT = path.join(ROOT, 'schemas');
/** The Kubernetes versions the package validates against by default (SchemaValidator). */
const VERSIONS = ['v1.32.0', 'v1.35.0'];

function isObject(x: unknown): x is Record<string, any> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** A JSON schema node without `description` keywords, recursively (schema positions only). */
function strip(node: any): any {
  if (Array.isArray(node)) return node.map(strip);
  if (!isObject(node)) return node;
  const out: Record<string, any> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'description' && typeof v === 'string') continue;
    if (k === 'properties' || k === 'definitions' || k === 'patternProperties') {
      out[k] = Object.fromEntries(Object.entries(v as object).map(([name, child]) => [name, strip(child)]));
    } else if (['items', 'additionalProperties', 'not', 'allOf', 'anyOf', 'oneOf'].includes(k)) {
      out[k] = strip(v);
    } else {
      out[k] = v; // enum, default, x-kubernetes-validations, ...: values, kept as they are
    }
  }
  return out;
}

function listYaml(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap(e => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return listYaml(full);
    return /\.ya?ml$/.test(e.name) ? [full] : [];
  }).sort();
}

function write(name: string, value: unknown): void {
  const json = Buffer.from(JSON.stringify(value));
  const gz = zlib.gzipSync(json, { level: 9 });
  fs.writeFileSync(path.join(OUT, name), gz);
  console.log(`schemas/${name}: ${json.length} bytes of JSON, ${gz.length} gzipped`);
}

fs.mkdirSync(OUT, { recursive: true });
for (const f of fs.readdirSync(OUT)) if (f.endsWith('.json.gz')) fs.rmSync(path.join(OUT, f));
for (const v of VERSIONS) {
  const file = path.join(SHARED, 'k8s-schemas', v, '_definitions.json');
  const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  write(`k8s-${v}.json.gz`, strip({ definitions: doc.definitions }));
}
const crds: any[] = [];
const crdRoot = path.join(SHARED, 'crds');
for (const file of listYaml(crdRoot)) {
  const source = path.relative(crdRoot, file).split(path.sep).join('/');
  for (const doc of parseAllDocuments(fs.readFileSync(file, 'utf8'))) {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0].message}`);
    const o: any = doc.toJS({ maxAliasCount: -1 });
    if (!isObject(o) || o.kind !== 'CustomResourceDefinition' || !isObject(o.spec)) continue;
    crds.push({
      source,
      group: o.spec.group,
      kind: o.spec.names?.kind,
      scope: o.spec.scope,
      versions: (o.spec.versions ?? []).map((ver: any) => ({
        name: ver.name,
        served: ver.served === true,
        deprecated: ver.deprecated === true,
        // an unserved version is refused by name; its schema is never read
        schema: ver.served === true ? strip(ver.schema?.openAPIV3Schema) : undefined,
      })),
    });
  }
}
write('crds.json.gz', crds);
