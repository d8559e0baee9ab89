/**
 * A scan for secret values in synthesized output: Secret objects with data, env variables with
 * credential-like names and literal values, and credential-looking strings anywhere (private
 * keys, AWS access keys, Vault tokens, URLs with a password).
 */

/** Every string value of an object, with its JSON path. */
export function strings(value: any, at = ''): Array<[string, string]> {
  if (typeof value === 'string') return [[at, value]];
  if (Array.isArray(value)) return value.flatMap((v, i) => strings(v, `${at}[${i}]`));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => strings(v, `${at}.${k}`));
  return [];
}

export const CREDENTIAL_NAME = /(pass(word)?|secret|token|api[-_]?key|private[-_]?key|credential)/i;
export const CREDENTIAL_VALUE = /(-----BEGIN [A-Z ]*PRIVATE KEY-----|AKIA[0-9A-Z]{16}|\b(hvs|hvb|s)\.[A-Za-z0-9]{20,}|:\/\/[^/\s:@]+:[^/\s@{]+@)/;

/** What looks like a secret value in `manifests` and in the text `files` (path → contents). */
export function secretValueFindings(manifests: any[], files: { [path: string]: string } = {}): string[] {
  const found: string[] = [];
  for (const m of manifests) {
    const id = `${m.kind}/${m.metadata?.namespace ?? ''}/${m.metadata?.name}`;
    if (m.kind === 'Secret' && (m.data || m.stringData)) found.push(`${id} has data`);
    for (const [at, value] of strings(m)) {
      if (CREDENTIAL_VALUE.test(value)) found.push(`${id}${at}`);
    }
    const pod = m.spec?.template?.spec ?? m.spec?.jobTemplate?.spec?.template?.spec;
    for (const container of [...(pod?.containers ?? []), ...(pod?.initContainers ?? [])]) {
      for (const env of container.env ?? []) {
        if (CREDENTIAL_NAME.test(env.name) && env.value !== undefined) found.push(`${id} env ${env.name}`);
      }
    }
    for (const [key, value] of Object.entries<string>(m.spec?.template?.metadata?.annotations ?? {})) {
      // injector templates may name variables, but credential values must come from `{{ ... }}` expressions
      const literals = value.replace(/\{\{[^}]*\}\}/g, '{');
      if (key.startsWith('vault.hashicorp.com/agent-inject-template-') && /(pass(word|wd)?|secret|token|key|credential)\w*\s*[=:]\s*[^\s{]/i.test(literals)) {
        found.push(`${id} annotation ${key}`);
      }
    }
  }
  for (const [file, text] of Object.entries(files)) {
    if (CREDENTIAL_VALUE.test(text)) found.push(file);
  }
  return found;
}
