/**
 * A small, independent model of AWS IAM policy evaluation, written from the IAM User Guide
 * ("Policy evaluation logic", "IAM JSON policy elements: Condition operators") — not from the
 * library's code. Enough for identity policies and role trust policies with `Allow` statements:
 *
 * - a request is allowed when at least one statement matches it (no explicit deny is modelled:
 *   the library never writes `Deny`);
 * - `Action` and `Resource` values match case-insensitively for actions and case-sensitively for
 *   resources, with `*` (any run of characters, `/` included) and `?` (one character);
 * - `Principal` is matched for trust policies (`{ Service }`, `{ Federated }`, `{ AWS }`);
 * - `Condition`: operators are ANDed, keys within an operator are ANDed, the values of one key
 *   are ORed; a key missing from the request context makes `StringEquals`/`StringLike` false.
 */

export interface IamRequest {
  readonly action: string;
  /** The resource ARN (identity policies). */
  readonly resource?: string;
  /** The calling principal (trust policies), for example `{ Service: 'pods.eks.amazonaws.com' }`. */
  readonly principal?: { [type: string]: string };
  /** Condition keys of the request context. */
  readonly context?: { [key: string]: string };
}

function list(value: unknown): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value.map(String) : [String(value)];
}

function glob(pattern: string, value: string, ignoreCase: boolean): boolean {
  const regex = pattern.split('').map(c => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\/]/g, '\\$&'))).join('');
  return new RegExp(`^${regex}$`, ignoreCase ? 'i' : '').test(value);
}

function conditionHolds(condition: any, context: { [key: string]: string }): boolean {
  return Object.entries(condition ?? {}).every(([operator, keys]) => Object.entries(keys as any).every(([key, values]) => {
    const actual = context[key];
    if (actual === undefined) {
      return false;
    }
    switch (operator) {
      case 'StringEquals': return list(values).some(v => v === actual);
      case 'StringLike': return list(values).some(v => glob(v, actual, false));
      default: throw new Error(`condition operator ${operator} is not modelled`);
    }
  }));
}

/** Whether `policy` allows `request`. */
export function iamAllows(policy: any, request: IamRequest): boolean {
  const statements = Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement];
  return statements.some((s: any) => {
    if (s.Effect !== 'Allow' || s.NotAction || s.NotResource || s.NotPrincipal) {
      return false;
    }
    if (!list(s.Action).some(a => glob(a, request.action, true))) {
      return false;
    }
    if (request.resource !== undefined && !list(s.Resource).some(r => glob(r, request.resource!, false))) {
      return false;
    }
    if (request.principal !== undefined) {
      const matches = Object.entries(request.principal).some(([type, id]) => list(s.Principal?.[type]).includes(id));
      if (!matches) {
        return false;
      }
    }
    return conditionHolds(s.Condition, request.context ?? {});
  });
}
