import * as fs from 'fs';
import * as path from 'path';
import { loadYaml } from '../validation/_schema-source';

/**
 * Every Kubernetes object of the YAML files in `dir` (and its sub-folders): the manifests a
 * synthesis wrote. Documents without `apiVersion` and `kind` are skipped.
 */
export function readManifests(dir: string): any[] {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new Error(`${dir} is not a folder: give the folder a synthesis wrote its manifests to (for example dist/)`);
  }
  const files: string[] = [];
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(entry.name)) files.push(p);
    }
  };
  walk(dir);
  return files.flatMap(f => documentsOf(fs.readFileSync(f, 'utf8')))
    .filter(o => o && typeof o === 'object' && o.apiVersion && o.kind);
}

/** The documents of the YAML texts parsed last (text -> documents), oldest first. */
const PARSED = new Map<string, any[]>();
const KEEP_PARSED = 32;

/**
 * The documents of a YAML text, parsed as cdk8s' Yaml.load parses (YAML 1.1, the version cdk8s
 * writes), without its child process per file (Yaml.load runs `node` to read a URL or file
 * synchronously: ~0.1 s a file). A process that reads the same text again (a test, a loop over
 * one synthesis) gets a copy of what it parsed: parsing is ~50 times the cost of the copy. Only
 * JSON data is kept (YAML 1.1 can also yield binary data, which a copy would not restore as such).
 */
function documentsOf(text: string): any[] {
  const known = PARSED.get(text);
  if (known) return structuredClone(known);
  const documents = loadYaml().parseAllDocuments(text, { version: '1.1' }).map(d => d.toJSON());
  if (isJsonData(documents)) {
    PARSED.set(text, structuredClone(documents));
    if (PARSED.size > KEEP_PARSED) PARSED.delete(PARSED.keys().next().value!);
  }
  return documents;
}

function isJsonData(value: unknown): boolean {
  if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) return true;
  if (Array.isArray(value)) return value.every(isJsonData);
  if (typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return false;
  return Object.values(value as object).every(isJsonData);
}

/**
 * The mesh trust domain of manifests: the trust domain most AuthorizationPolicy principals
 * name, else `cluster.local`.
 */
export function inferTrustDomain(manifests: any[]): string {
  const counts = new Map<string, number>();
  for (const p of manifests.filter(m => m.kind === 'AuthorizationPolicy')) {
    for (const rule of p.spec?.rules ?? []) {
      for (const f of rule.from ?? []) {
        for (const principal of f.source?.principals ?? []) {
          const m = /^([^/*]+)\/ns\/[^/]+\/sa\/[^/]+$/.exec(principal);
          if (m) counts.set(m[1], (counts.get(m[1]) ?? 0) + 1);
        }
      }
    }
  }
  return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'cluster.local';
}
