/**
 * A syntax check for CEL expressions (the Common Expression Language grammar, cel-spec
 * `doc/langdef.md`), so that a filter the target (Istio's access-log filter, a
 * ValidatingAdmissionPolicy) would refuse is refused at synthesis instead. It checks syntax
 * only, not types or names; the tests compare it with a full CEL implementation.
 *
 * ```
 * Expr           = ConditionalOr ["?" ConditionalOr ":" Expr]
 * ConditionalOr  = [ConditionalOr "||"] ConditionalAnd
 * ConditionalAnd = [ConditionalAnd "&&"] Relation
 * Relation       = [Relation Relop] Addition          Relop = < <= >= > == != in
 * Addition       = [Addition ("+" | "-")] Multiplication
 * Multiplication = [Multiplication ("*" | "/" | "%")] Unary
 * Unary          = Member | "!" {"!"} Member | "-" {"-"} Member
 * Member         = Primary | Member "." SELECTOR ["(" [ExprList] ")"] | Member "[" Expr "]"
 * Primary        = ["."] IDENT ["(" [ExprList] ")"] | "(" Expr ")" | "[" [ExprList] [","] "]"
 *                | "{" [MapInits] [","] "}" | ["."] SELECTOR {"." SELECTOR} "{" [FieldInits] [","] "}"
 *                | LITERAL
 * ```
 *
 * @internal
 */

/** A CEL syntax error, with where and why. */
export class CelSyntaxError extends Error {}

type Kind = 'ident' | 'literal' | 'punct' | 'end';
interface Token { readonly kind: Kind; readonly text: string; readonly at: number }

const RESERVED = ['as', 'break', 'const', 'continue', 'else', 'for', 'function', 'if', 'import', 'let', 'loop', 'package', 'namespace', 'return', 'var', 'void', 'while'];
const PUNCT = ['<=', '>=', '==', '!=', '&&', '||', '<', '>', '+', '-', '*', '/', '%', '!', '?', ':', '.', ',', '(', ')', '[', ']', '{', '}'];
const ESCAPE = /^\\([abfnrtv\\?"'`]|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-3][0-7]{2})/;

function lex(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const rest = text.slice(i);
    const space = /^([ \t\n\r\f]+|\/\/[^\n]*)/.exec(rest);
    if (space) {
      i += space[0].length;
      continue;
    }
    const str = /^([rR]?[bB]?|[bB]?[rR]?)("""|'''|"|')/.exec(rest);
    if (str) {
      const prefix = str[1];
      const quote = str[2];
      const raw = /r/i.test(prefix);
      let j = i + str[0].length;
      for (;;) {
        if (j >= text.length) throw new CelSyntaxError(`unterminated string at offset ${i}`);
        if (text.startsWith(quote, j)) break;
        if (quote.length === 1 && (text[j] === '\n' || text[j] === '\r')) throw new CelSyntaxError(`newline in string at offset ${i}`);
        if (!raw && text[j] === '\\') {
          const e = ESCAPE.exec(text.slice(j));
          if (!e) throw new CelSyntaxError(`invalid escape in string at offset ${j}`);
          j += e[0].length;
        } else {
          j++;
        }
      }
      j += quote.length;
      tokens.push({ kind: 'literal', text: text.slice(i, j), at: i });
      i = j;
      continue;
    }
    const num = /^(0x[0-9a-fA-F]+[uU]?|([0-9]+\.[0-9]+([eE][+-]?[0-9]+)?|[0-9]+[eE][+-]?[0-9]+|\.[0-9]+([eE][+-]?[0-9]+)?)|[0-9]+[uU]?)/.exec(rest);
    if (num && !(rest[0] === '.' && tokens.length > 0 && isOperandEnd(tokens[tokens.length - 1]))) {
      if (/^[A-Za-z_]/.test(rest.slice(num[0].length))) throw new CelSyntaxError(`invalid number at offset ${i}`);
      tokens.push({ kind: 'literal', text: num[0], at: i });
      i += num[0].length;
      continue;
    }
    const ident = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
    if (ident) {
      const word = ident[0];
      if (RESERVED.includes(word)) throw new CelSyntaxError(`reserved word '${word}' at offset ${i}`);
      tokens.push({ kind: ['true', 'false', 'null'].includes(word) ? 'literal' : 'ident', text: word, at: i });
      i += word.length;
      continue;
    }
    const p = PUNCT.find(x => rest.startsWith(x));
    if (!p) throw new CelSyntaxError(`unexpected character ${JSON.stringify(text[i])} at offset ${i}`);
    tokens.push({ kind: 'punct', text: p, at: i });
    i += p.length;
  }
  tokens.push({ kind: 'end', text: '', at: text.length });
  return tokens;
}

function isOperandEnd(t: Token): boolean {
  return t.kind === 'ident' || t.kind === 'literal' || [')', ']', '}'].includes(t.text);
}

/** Throws CelSyntaxError when `text` is not one CEL expression. */
export function checkCelSyntax(text: string): void {
  const tokens = lex(text);
  let pos = 0;
  let depth = 0;
  const peek = () => tokens[pos];
  const is = (s: string) => tokens[pos].kind === 'punct' && tokens[pos].text === s;
  const describe = (t: Token) => (t.kind === 'end' ? 'the end' : `'${t.text}' at offset ${t.at}`);
  const expect = (s: string) => {
    if (!is(s)) throw new CelSyntaxError(`expected '${s}' but found ${describe(peek())}`);
    pos++;
  };
  const ident = (): string => {
    const t = peek();
    if (t.kind !== 'ident' || t.text === 'in') {
      throw new CelSyntaxError(`expected a name but found ${describe(t)}`);
    }
    pos++;
    return t.text;
  };
  const list = (close: string, item: () => void) => {
    while (!is(close)) {
      item();
      if (is(',')) pos++;
      else break;
    }
    expect(close);
  };

  const expr = (): void => {
    if (++depth > 250) throw new CelSyntaxError('expression nested too deeply');
    binary(0);
    if (is('?')) {
      pos++;
      binary(0);
      expect(':');
      expr();
    }
    depth--;
  };
  const LEVELS = [['||'], ['&&'], ['<', '<=', '>=', '>', '==', '!=', 'in'], ['+', '-'], ['*', '/', '%']];
  const binary = (level: number): void => {
    if (level === LEVELS.length) {
      unary();
      return;
    }
    binary(level + 1);
    for (;;) {
      const t = peek();
      const op = (t.kind === 'punct' || (t.kind === 'ident' && t.text === 'in')) && LEVELS[level].includes(t.text);
      if (!op) return;
      pos++;
      binary(level + 1);
    }
  };
  const unary = (): void => {
    if (is('!') || is('-')) {
      const op = peek().text;
      while (is(op)) pos++;
    }
    member();
  };
  const member = (): void => {
    primary();
    for (;;) {
      if (is('.')) {
        pos++;
        ident();
        if (is('(')) {
          pos++;
          list(')', expr);
        }
      } else if (is('[')) {
        pos++;
        expr();
        expect(']');
      } else {
        return;
      }
    }
  };
  const primary = (): void => {
    const t = peek();
    if (t.kind === 'literal') {
      pos++;
      return;
    }
    if (is('(')) {
      pos++;
      expr();
      expect(')');
      return;
    }
    if (is('[')) {
      pos++;
      list(']', expr);
      return;
    }
    if (is('{')) {
      pos++;
      list('}', () => {
        expr();
        expect(':');
        expr();
      });
      return;
    }
    if (is('.') || t.kind === 'ident') {
      if (is('.')) pos++;
      ident();
      if (is('(')) {
        pos++;
        list(')', expr);
        return;
      }
      // a qualified message name followed by field initializers: `a.b.C{f: 1}`
      let k = pos;
      while (tokens[k].text === '.' && tokens[k + 1]?.kind === 'ident') k += 2;
      if (tokens[k].text === '{') {
        pos = k + 1;
        list('}', () => {
          ident();
          expect(':');
          expr();
        });
      }
      return;
    }
    throw new CelSyntaxError(`expected an expression but found ${describe(t)}`);
  };

  if (tokens.length === 1) throw new CelSyntaxError('the expression is empty');
  expr();
  if (peek().kind !== 'end') throw new CelSyntaxError(`unexpected ${describe(peek())}`);
}
