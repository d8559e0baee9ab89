/**
 * A lexer for Go's text/template (consul-template, Prometheus annotations), good enough to read
 * every action as Go does: `{{`/`}}` delimiters with `-` trim markers, comments, interpreted and
 * raw strings (a `}}` inside a string does not end the action), character constants, numbers,
 * identifiers, fields, variables and the punctuation of pipelines.
 *
 * @see https://pkg.go.dev/text/template
 * @internal
 */

/** A token of an action. */
export interface GoToken {
  readonly kind: 'string' | 'raw' | 'char' | 'number' | 'ident' | 'field' | 'variable' | 'pipe' | 'lparen' | 'rparen' | 'assign' | 'comma';
  /** As written. */
  readonly text: string;
  /** The value of a string literal (escapes decoded) or raw string. */
  readonly value?: string;
}

/** One `{{ ... }}` action: its tokens (a comment has none). */
export interface GoAction {
  readonly tokens: GoToken[];
  /** Offset of `{{` in the template. */
  readonly at: number;
}

/** A template Go's parser would reject, with where and why. */
export class GoTemplateError extends Error {}

const ESCAPES: { [c: string]: string } = { 'a': '\u0007', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t', 'v': '\v', '\\': '\\', '"': '"', '\'': '\'' };

/** Splits a template into its actions; throws GoTemplateError on what Go's lexer rejects. */
export function lexTemplate(template: string): GoAction[] {
  const actions: GoAction[] = [];
  let i = 0;
  for (;;) {
    const open = template.indexOf('{{', i);
    if (open < 0) break;
    let j = open + 2;
    if (template.startsWith('- ', j) || template.startsWith('-\t', j) || template.startsWith('-\n', j) || template.startsWith('-\r', j)) j += 2;
    // a comment: `{{/* ... */}}`, nothing else inside the delimiters
    if (template.startsWith('/*', j)) {
      const end = template.indexOf('*/', j + 2);
      if (end < 0) throw new GoTemplateError(`unclosed comment at offset ${open}`);
      let k = end + 2;
      if (/^\s-}}/.test(template.slice(k, k + 4))) k += 2;
      if (!template.startsWith('}}', k)) throw new GoTemplateError(`comment ends before '}}' at offset ${open}`);
      actions.push({ tokens: [], at: open });
      i = k + 2;
      continue;
    }
    const tokens: GoToken[] = [];
    for (;;) {
      if (j >= template.length) throw new GoTemplateError(`unclosed action at offset ${open}: '{{' without '}}'`);
      const c = template[j];
      const rest = template.slice(j);
      if (/^\s-}}/.test(rest.slice(0, 4)) || rest.startsWith('}}')) {
        j += rest.startsWith('}}') ? 2 : 4;
        break;
      }
      if (/\s/.test(c)) {
        j++;
      } else if (c === '"') {
        let k = j + 1;
        let value = '';
        while (k < template.length && template[k] !== '"') {
          if (template[k] === '\n') throw new GoTemplateError(`newline in string at offset ${j}`);
          if (template[k] === '\\') {
            const e = template[k + 1];
            if (e === undefined || !(e in ESCAPES)) {
              // \x, \u, \U and octal escapes: valid Go, but spell paths without them
              throw new GoTemplateError(`escape '\\${e ?? ''}' in string at offset ${j} (write the character itself)`);
            }
            value += ESCAPES[e];
            k += 2;
          } else {
            value += template[k++];
          }
        }
        if (k >= template.length) throw new GoTemplateError(`unterminated string at offset ${j}`);
        tokens.push({ kind: 'string', text: template.slice(j, k + 1), value });
        j = k + 1;
      } else if (c === '`') {
        const end = template.indexOf('`', j + 1);
        if (end < 0) throw new GoTemplateError(`unterminated raw string at offset ${j}`);
        tokens.push({ kind: 'raw', text: template.slice(j, end + 1), value: template.slice(j + 1, end) });
        j = end + 1;
      } else if (c === '\'') {
        const m = /^'(\\.[^']*|[^'\\])'/.exec(rest);
        if (!m) throw new GoTemplateError(`bad character constant at offset ${j}`);
        tokens.push({ kind: 'char', text: m[0] });
        j += m[0].length;
      } else if (c === '|' || c === '(' || c === ')' || c === ',') {
        tokens.push({ kind: c === '|' ? 'pipe' : c === '(' ? 'lparen' : c === ')' ? 'rparen' : 'comma', text: c });
        j++;
      } else if (rest.startsWith(':=') || c === '=') {
        const text = rest.startsWith(':=') ? ':=' : '=';
        tokens.push({ kind: 'assign', text });
        j += text.length;
      } else {
        const m = /^(\$[A-Za-z0-9_]*|\.[A-Za-z0-9_.]*|[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*|[-+]?[0-9][0-9A-Za-z_.+-]*)/.exec(rest);
        if (!m) throw new GoTemplateError(`unexpected character '${c}' in action at offset ${j}`);
        const text = m[0];
        const kind = text.startsWith('$') ? 'variable' : text.startsWith('.') ? 'field' : /^[-+0-9]/.test(text) ? 'number' : 'ident';
        tokens.push({ kind, text });
        j += text.length;
      }
    }
    actions.push({ tokens, at: open });
    i = j;
  }
  return actions;
}

/**
 * Lexes a template and checks its block structure as Go's parser does: every `if`, `range`,
 * `with`, `define` and `block` is closed by one `end`, `else` appears only inside `if`, `range`
 * or `with`, and no action is empty. Returns the actions.
 */
export function parseTemplate(template: string): GoAction[] {
  const actions = lexTemplate(template);
  const open: string[] = [];
  for (const a of actions) {
    if (a.tokens.length === 0) {
      // a comment, or `{{}}`, which Go rejects ("missing value for command")
      if (!/^\{\{-?\s*\/\*/.test(template.slice(a.at))) throw new GoTemplateError(`empty action at offset ${a.at}`);
      continue;
    }
    const first = a.tokens[0];
    if (first.kind !== 'ident') continue;
    if (['if', 'range', 'with', 'define', 'block'].includes(first.text)) {
      if (a.tokens.length === 1) throw new GoTemplateError(`'${first.text}' without an argument at offset ${a.at}`);
      open.push(first.text);
    } else if (first.text === 'else') {
      if (!['if', 'range', 'with'].includes(open[open.length - 1])) throw new GoTemplateError(`'else' outside if, range or with at offset ${a.at}`);
    } else if (first.text === 'end') {
      if (open.pop() === undefined) throw new GoTemplateError(`unexpected 'end' at offset ${a.at}`);
    }
  }
  if (open.length > 0) throw new GoTemplateError(`'${open[open.length - 1]}' is never closed with {{ end }}`);
  return actions;
}
