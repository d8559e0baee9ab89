/**
 * Structural checks of Rego modules, done at synthesis time so that a template Gatekeeper would
 * reject (`rego_parse_error`, wrong package, missing `violation` rule) is never emitted. This is
 * not a Rego parser: it checks what a reviewer with a real Gatekeeper would trip over first.
 */

/** The `package` a Rego module declares, or undefined. */
export function regoPackage(rego: string): string | undefined {
  const m = /^\s*package\s+([A-Za-z_][\w.]*)\s*$/m.exec(stripComments(rego));
  return m?.[1];
}

/**
 * A string (`"..."` on one line, with escapes; or a raw `` `...` ``, which may span lines) or a
 * `#` comment: comments start only outside strings.
 */
const STRING_OR_COMMENT = /"(?:[^"\\\n]|\\.)*"|`[^`]*`|#[^\n]*/g;

/** Removes `#` comments outside strings. */
export function stripComments(rego: string): string {
  return rego.replace(STRING_OR_COMMENT, token => (token.startsWith('#') ? '' : token));
}

/** The code of a module: comments removed and strings emptied (their words are no keywords). */
function codeOf(rego: string): string {
  return rego.replace(STRING_OR_COMMENT, token => (token.startsWith('#') ? '' : '""'));
}

/**
 * The first problem with the brackets and quotes of a Rego module: unbalanced `()[]{}`, an
 * unterminated string. Undefined when they balance.
 */
export function bracketProblem(rego: string): string | undefined {
  const text = stripComments(rego);
  const stack: Array<{ ch: string; line: number }> = [];
  const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  let line = 1;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\n') { line++; continue; }
    if (ch === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"' && text[j] !== '\n') {
        if (text[j] === '\\') {
          // the escapes of Rego (JSON) strings; OPA: "illegal escape sequence"
          const escape = /^\\(["\\/bfnrt]|u[0-9A-Fa-f]{4})/.exec(text.slice(j, j + 6))?.[0];
          if (!escape) return `has an illegal escape sequence '${text.slice(j, j + 2)}' on line ${line} (a Rego string allows \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX; write \\\\ for a backslash, or use a raw string \`...\`)`;
          j += escape.length;
        } else {
          j++;
        }
      }
      if (text[j] !== '"') return `has an unterminated string on line ${line}`;
      i = j;
      continue;
    }
    if (ch === '`') {
      const end = text.indexOf('`', i + 1);
      if (end < 0) return `has an unterminated raw string on line ${line}`;
      line += text.slice(i, end).split('\n').length - 1;
      i = end;
      continue;
    }
    if ('([{'.includes(ch)) stack.push({ ch, line });
    if (')]}'.includes(ch)) {
      const open = stack.pop();
      if (!open || open.ch !== pairs[ch]) return `has an unbalanced '${ch}' on line ${line}`;
    }
  }
  const open = stack.pop();
  return open ? `has an unclosed '${open.ch}' opened on line ${open.line}` : undefined;
}

/** Rego v1 rule-head keywords; in a v0 module without `import future.keywords` they do not parse. */
const V1_HEAD = /^\s*[A-Za-z_][\w]*(\[[^\]]*\])?\s+(contains\b[^\n]*\bif\b|if\s*\{)/m;
/** Rego v0 partial-set rule heads (`violation[{"msg": msg}] {`), rejected by the v1 parser. */
const V0_VIOLATION = /^\s*violation\s*\[\s*\{[^\n]*\}\s*\]\s*\{/m;
const V1_VIOLATION = /^\s*violation\s+contains\s+\{[^\n]*\}\s+if\s*\{/m;
/** The future keywords `in` and `every` (not a field `x.in`), which v0 parses only when imported. */
const FUTURE_KEYWORD = /(?<![.\w])(in|every)\b/;
/** The imports Gatekeeper accepts in a template: its libraries and the future keywords. */
const ALLOWED_IMPORT = /^(data\.lib(\.[A-Za-z_]\w*)*|future\.keywords(\.[a-z]+)?)$/;

/**
 * The first structural problem of a Gatekeeper Rego module for `version` (`v0` or `v1`), or
 * undefined.
 */
export function regoProblem(rego: string, version: 'v0' | 'v1', requireViolation: boolean): string | undefined {
  const bracket = bracketProblem(rego);
  if (bracket) return bracket;
  const text = stripComments(rego);
  // Gatekeeper refuses every other import ("invalid import: bad import"), rego.v1 included
  const badImport = [...text.matchAll(/^\s*import\s+(\S+)/gm)].map(m => m[1]).find(i => !ALLOWED_IMPORT.test(i));
  if (badImport !== undefined) {
    return `imports ${badImport}: Gatekeeper accepts only imports of data.lib (the template's libs) and future.keywords`;
  }
  if (version === 'v0') {
    // with the future keywords a v0 module may use the v1 rule heads (gator accepts both)
    const futureKeywords = /^\s*import\s+future\.keywords\b/m.test(text);
    if (V1_HEAD.test(text) && !futureKeywords) {
      return 'uses Rego v1 rule heads (`contains`/`if`) in a v0 module: Gatekeeper parses `rego` and unversioned code as v0 and fails with rego_parse_error';
    }
    if (FUTURE_KEYWORD.test(codeOf(rego)) && !futureKeywords) {
      return 'uses the keywords `in` or `every` in a v0 module without `import future.keywords.in` (or `.every`): Gatekeeper fails with rego_parse_error';
    }
    if (requireViolation && !V0_VIOLATION.test(text) && !(futureKeywords && V1_VIOLATION.test(text))) {
      return 'has no `violation[{"msg": msg}] { ... }` rule: Gatekeeper requires a `violation` rule';
    }
  } else {
    // rule heads start in column 0; in v1 each one that opens a body ends with `if {`
    const v0Head = text.split('\n').some(l => /^[A-Za-z_][^\n]*\{\s*$/.test(l) && !/\bif\s*\{\s*$/.test(l) && !/:?=\s*\{\s*$/.test(l));
    if (V0_VIOLATION.test(text) || v0Head) {
      return 'uses Rego v0 rule heads (without `if`) in a v1 module: the v1 parser rejects them';
    }
    if (requireViolation && !V1_VIOLATION.test(text)) {
      return 'has no `violation contains {"msg": msg} if { ... }` rule: Gatekeeper requires a `violation` rule';
    }
  }
  return undefined;
}
