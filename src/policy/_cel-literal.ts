/**
 * A JSON value as a CEL literal (maps, lists, strings, numbers, booleans). Kubernetes compiles CEL
 * with homogeneous aggregate literals, so every map value and list element is wrapped in `dyn()`.
 */
export function celLiteral(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(v => `dyn(${celLiteral(v)})`).join(', ')}]`;
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'object') {
    return `{${Object.keys(value as object).sort().map(k => `${JSON.stringify(k)}: dyn(${celLiteral((value as any)[k])})`).join(', ')}}`;
  }
  if (typeof value === 'number' && !Number.isInteger(value)) return `${value}`;
  return JSON.stringify(value);
}
