/**
 * Which version of a CustomResourceDefinition `npx projen import` keeps (projenrc/import-crds.ts):
 * Kubernetes version priority, the most stable served and not deprecated version, and the schema
 * properties left out of it.
 */

/** The parts of a CustomResourceDefinition this script reads. */
export interface CrdVersion {
  readonly name: string;
  readonly served?: boolean;
  readonly deprecated?: boolean;
  readonly storage?: boolean;
  readonly schema?: { readonly openAPIV3Schema?: unknown };
}
export interface Crd {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string };
  readonly spec: {
    readonly group: string;
    readonly names: { readonly kind: string };
    versions: CrdVersion[];
  };
}

/** What happened to one CRD: the version kept and why the others were dropped. */
export interface Selection {
  readonly source: string;
  readonly group: string;
  readonly kind: string;
  readonly kept: string;
  readonly dropped: string[];
  /** Schema properties left out of the kept version (see omitJavaGetterNames). */
  readonly omitted: string[];
}

/** An error of the import, reported without a stack trace. */
export class ImportError extends Error {}

/**
 * Kubernetes version priority (the order `kubectl` and the API server use for CRD versions):
 * GA before beta before alpha; within a level, the higher major and then the higher minor first;
 * names that do not look like `v1`, `v2beta1`, `v1alpha3` come last, in alphabetical order.
 * Returns a negative number when `a` has the higher priority.
 */
export function compareVersionPriority(a: string, b: string): number {
  const pa = parseKubeVersion(a);
  const pb = parseKubeVersion(b);
  if (pa && pb) {
    return (pb.level - pa.level) || (pb.major - pa.major) || (pb.minor - pa.minor);
  }
  if (pa) return -1;
  if (pb) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function parseKubeVersion(name: string): { level: number; major: number; minor: number } | undefined {
  const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(name);
  if (!m) return undefined;
  const level = m[2] === undefined ? 2 : m[2] === 'beta' ? 1 : 0;
  return { level, major: Number(m[1]), minor: m[3] === undefined ? 0 : Number(m[3]) };
}

/**
 * Keeps only one version of the CRD: among the versions with `served: true` and without
 * `deprecated: true`, the one with the highest Kubernetes version priority.
 * The CRD is modified in place; the returned record says what was kept and dropped.
 */
export function selectVersion(crd: Crd, source: string, narrowKept: (schema: unknown) => void = () => {}): Selection {
  const versions = crd.spec.versions;
  const candidates = versions.filter(v => v.served === true && v.deprecated !== true);
  if (candidates.length === 0) {
    const list = versions.map(v => `${v.name} (${describe(v)})`).join(', ');
    throw new ImportError(`${source}: CRD ${crd.metadata.name} has no version that is served and not deprecated: ${list}`);
  }
  const kept = [...candidates].sort((a, b) => compareVersionPriority(a.name, b.name))[0];
  crd.spec.versions = [kept];
  narrowKept(kept.schema?.openAPIV3Schema);
  let omitted: string[];
  try {
    omitted = omitJavaGetterNames(kept.schema?.openAPIV3Schema);
  } catch (e) {
    throw new ImportError(`${source}: ${crd.spec.names.kind} ${kept.name}: ${(e as Error).message}`);
  }
  return {
    source,
    group: crd.spec.group,
    kind: crd.spec.names.kind,
    kept: kept.name,
    dropped: versions.filter(v => v !== kept).map(v => `${v.name} (${describe(v)})`),
    omitted,
  };
}

/**
 * jsii refuses any public property whose name looks like a Java getter (`getXxx`: error JSII5000,
 * which cannot be downgraded), so a generated module holding one can be compiled but not exported
 * from the library. Such optional properties are removed from the schema before the import; the
 * paths removed are returned (and printed). The field still exists in the cluster's CRD and can be
 * set with `ApiObject.addJsonPatch`. A required one is an error.
 */
export function omitJavaGetterNames(schema: unknown, at = ''): string[] {
  if (typeof schema !== 'object' || schema === null) return [];
  if (Array.isArray(schema)) return schema.flatMap((s, i) => omitJavaGetterNames(s, `${at}[${i}]`));
  const node = schema as Record<string, unknown>;
  const omitted: string[] = [];
  const properties = node.properties as Record<string, unknown> | undefined;
  if (typeof properties === 'object' && properties !== null) {
    for (const key of Object.keys(properties)) {
      const where = at === '' ? key : `${at}.${key}`;
      // jsii tests Case.snake(name).startsWith('get_'): getFoo, get-foo, get_foo, get2fa
      if (/^[Gg]et[^a-z]/.test(key)) {
        if (Array.isArray(node.required) && node.required.includes(key)) {
          throw new Error(`required property ${where} has a Java-getter-like name that jsii rejects (JSII5000)`);
        }
        delete properties[key];
        omitted.push(where);
      } else {
        omitted.push(...omitJavaGetterNames(properties[key], where));
      }
    }
  }
  // the other keywords that hold sub-schemas (not `default`, `example` or `enum`, which hold data)
  for (const key of ['items', 'additionalProperties', 'allOf', 'anyOf', 'oneOf', 'not']) {
    const where = key === 'items' ? `${at}[]` : key === 'additionalProperties' ? `${at}{}` : `${at}(${key})`;
    omitted.push(...omitJavaGetterNames(node[key], where));
  }
  return omitted;
}

function describe(v: CrdVersion): string {
  const notes = [];
  if (v.served !== true) notes.push('not served');
  if (v.deprecated === true) notes.push('deprecated');
  if (notes.length === 0) notes.push('older');
  if (v.storage === true) notes.push('storage');
  return notes.join(', ');
}
