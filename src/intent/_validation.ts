import { IConstruct } from 'constructs';

/**
 * Throws the library's error for a bad prop: the construct path, the prop, the bad value,
 * what is allowed and (optionally) how to fix it.
 *
 * @internal
 */
export function invalid(scope: IConstruct, prop: string, value: unknown, allowed: string, fix?: string): never {
  const shown = typeof value === 'string' ? JSON.stringify(value) : safeJson(value);
  const hint = fix ? `; ${fix}` : '';
  throw new Error(`[${scope.node.path}] invalid ${prop} ${shown}: ${allowed}${hint}`);
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** @internal */
export function checkDns1123Label(scope: IConstruct, prop: string, value: string): string {
  if (typeof value !== 'string' || value.length > 63 || !DNS1123_LABEL.test(value)) {
    invalid(scope, prop, value, 'must be a DNS-1123 label: at most 63 lower-case alphanumeric characters or \'-\', starting and ending with an alphanumeric character');
  }
  return value;
}

/** @internal */
export function checkDns1035Label(scope: IConstruct, prop: string, value: string): string {
  if (typeof value !== 'string' || value.length > 63 || !DNS1035_LABEL.test(value)) {
    invalid(scope, prop, value, 'must be a DNS-1035 label (Kubernetes Service names): at most 63 lower-case alphanumeric characters or \'-\', starting with a letter and ending with an alphanumeric character');
  }
  return value;
}

const TRUST_DOMAIN = /^[a-z0-9._-]+$/;

/**
 * A SPIFFE trust domain: lower-case letters, digits, '.', '-' and '_' only (no scheme, no port,
 * no path), at most 255 characters.
 *
 * @see https://github.com/spiffe/spiffe/blob/main/standards/SPIFFE-ID.md#21-trust-domain
 * @internal
 */
export function checkTrustDomain(scope: IConstruct, prop: string, value: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 255 || !TRUST_DOMAIN.test(value)) {
    invalid(scope, prop, value, 'must be a SPIFFE trust domain: 1-255 characters of lower-case letters, digits, \'.\', \'-\' or \'_\' (no scheme, port or path)',
      'for example \'cluster.local\' or \'example.org\'');
  }
  return value;
}

/** @internal */
export function checkPort(scope: IConstruct, prop: string, value: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65535) {
    invalid(scope, prop, value, 'must be an integer between 1 and 65535');
  }
  return value;
}

/** @internal */
export function sortedUnique<T extends string | number>(values: readonly T[]): T[] {
  return [...new Set(values)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
