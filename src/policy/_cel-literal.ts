/**
 * A JSON value as a CEL literal (maps, lists, strings, numbers, booleans) that means exactly what
 * the JSON means. Kubernetes compiles CEL with homogeneous aggregate literals, so every map value
 * and list element is wrapped in `dyn()`; map keys are sorted (the same data, the same text). As
 * in JSON, a map entry whose value is undefined is left out (`has()` is false for it, as for the
 * Gatekeeper constraint's parameters), and an undefined list element or value is null. A number
 * JSON cannot carry (NaN, Infinity) is refused rather than turned into null or an identifier.
 */
export function celLiteral(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(v => `dyn(${celLiteral(v)})`).join(', ')}]`;
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'object') {
    const keys = Object.keys(value as object).filter(k => (value as any)[k] !== undefined).sort();
    return `{${keys.map(k => `${JSON.stringify(k)}: dyn(${celLiteral((value as any)[k])})`).join(', ')}}`;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) throw new Error(`celLiteral: ${value} has no CEL literal (nor a JSON one)`);
  return JSON.stringify(value);
}
