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

/** Removes `#` comments outside strings. */
export function stripComments(rego: string): string {
  return rego.split('\n').map(line => {
    let inString = false;
    for (let i = 0; i < line.length; i++) {
      const ch = line[i];
      if (inString && ch === '\\') { i++; continue; }
      if (ch === '"') inString = !inString;
      if (ch === '`' && !inString) {
        const end = line.indexOf('`', i + 1);
        if (end < 0) return line;
        i = end;
        continue;
      }
      if (ch === '#' && !inString) return line.slice(0, i);
    }
    return line;
  }).join('\n');
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
      while (j < text.length && text[j] !== '"' && text[j] !== '\n') j += text[j] === '\\' ? 2 : 1;
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

/** Rego v1 rule-head keywords; in a v0 module (no `import rego.v1`) they do not parse. */
const V1_HEAD = /^\s*[A-Za-z_][\w]*(\[[^\]]*\])?\s+(contains\b[^\n]*\bif\b|if\s*\{)/m;
/** Rego v0 partial-set rule heads (`violation[{"msg": msg}] {`), rejected by the v1 parser. */
const V0_VIOLATION = /^\s*violation\s*\[\s*\{[^\n]*\}\s*\]\s*\{/m;
const V1_VIOLATION = /^\s*violation\s+contains\s+\{[^\n]*\}\s+if\s*\{/m;

/**
 * The first structural problem of a Gatekeeper Rego module for `version` (`v0` or `v1`), or
 * undefined.
 */
export function regoProblem(rego: string, version: 'v0' | 'v1', requireViolation: boolean): string | undefined {
  const bracket = bracketProblem(rego);
  if (bracket) return bracket;
  const text = stripComments(rego);
  // a complete rule declared with `:=` may be defined once per package (OPA: "rule named x redeclared")
  const assigned = text.split('\n').map(l => /^([A-Za-z_]\w*)\s*:=/.exec(l)?.[1]).filter((n): n is string => n !== undefined);
  const heads = text.split('\n').map(l => /^([A-Za-z_]\w*)\s*(:?=|\{|if\b)/.exec(l)?.[1]).filter((n): n is string => n !== undefined);
  const redeclared = assigned.find(n => heads.filter(h => h === n).length > 1);
  if (redeclared) return `declares the complete rule \`${redeclared}\` with := and defines it again (OPA: rule redeclared); use = for rules with several definitions`;
  if (version === 'v0') {
    if (V1_HEAD.test(text) && !/^\s*import\s+(rego\.v1|future\.keywords)/m.test(text)) {
      return 'uses Rego v1 rule heads (`contains`/`if`) in a v0 module: Gatekeeper parses `rego` and unversioned code as v0 and fails with rego_parse_error';
    }
    if (requireViolation && !V0_VIOLATION.test(text)) {
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
