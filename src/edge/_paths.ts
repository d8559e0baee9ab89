/**
 * An Istio path pattern (exact, prefix `/a/*`, suffix `*.json`, templates `{*}` and `{**}`) as
 * an RE2 / POSIX extended regular expression matching the whole path. Gateway API
 * `RegularExpression` matches and Cilium `rules.http[].path` use it.
 */
export function istioPathToRegex(path: string): string {
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  if (path.includes('{')) {
    return path.split('/').map(s => (s === '{**}' ? '.*' : s === '{*}' ? '[^/]+' : esc(s))).join('/');
  }
  if (path.endsWith('*')) {
    return `${esc(path.slice(0, -1))}.*`;
  }
  if (path.startsWith('*')) {
    return `.*${esc(path.slice(1))}`;
  }
  return esc(path);
}
