import * as fc from 'fast-check';

/**
 * Hostile strings: what an attacker or a careless user passes where the library expects a name,
 * a path or a value. Pieces of the languages the values land in (quotes, newlines, `}`, `{{`,
 * `$(…)`, backticks, `*`, `..`, `#`, look-alike Unicode, NUL, very long, empty) glued to
 * ordinary words, so that both rejections and acceptances are exercised.
 */
const PIECES = [
  '"', '\'', '\n', '\r', '\t', ' ', '}', '{', '{{', '}}', '{{ .Data }}', '$(id)', '${HOME}', '%{x}', '`', '*', '..', '../', '/', '#', '\\',
  '\u0430', // Cyrillic а, looks like a
  '\u0000', '\u202e', '\u00a0', ')', '(', ',', '=', '!=', '[', ']', ';', '&&', '|', '<', '>', ':', '@', '?',
  ' or ', ' and ', 'not ', '" or k8s.ns.name!="', '") or (proc.name="bash"', 'or (evt.num >= 0', 'system:', 'default', 'root',
  '169.254.169.254', 'x'.repeat(300),
];
const WORDS = ['a', 'app', 'db', 'orders', 'prod', 'x1', 'secret', 'data', 'k8s', 'v1', '443', '-', '_', '.', 'A', 'Z9'];

/** A hostile string (sometimes empty, sometimes an ordinary word). */
export const hostile: fc.Arbitrary<string> = fc.oneof(
  { weight: 1, arbitrary: fc.constant('') },
  { weight: 2, arbitrary: fc.constantFrom(...WORDS) },
  { weight: 6, arbitrary: fc.array(fc.oneof(fc.constantFrom(...PIECES), fc.constantFrom(...WORDS)), { minLength: 1, maxLength: 5 }).map(p => p.join('')) },
  { weight: 1, arbitrary: fc.string({ maxLength: 20, unit: 'binary' }) },
);

/** Runs per property: bounded so that the whole suite stays fast. */
export const RUNS = { numRuns: 60, seed: 20261201 };

/**
 * Runs `build`: undefined when it succeeds, else the error message, which must be the library's
 * clear error (`[path] invalid <prop> <value>: ...`) and never a TypeError or a crash.
 */
export function rejection(build: () => unknown, path: RegExp): string | undefined {
  try {
    build();
    return undefined;
  } catch (e) {
    const message = (e as Error).message;
    if (!(e instanceof Error) || e.constructor !== Error || !path.test(message) || !/ invalid \S/.test(message)) {
      throw new Error(`not the library's clear error: ${(e as Error)?.constructor?.name}: ${message}`);
    }
    return message;
  }
}
