/**
 * A small parser for Falco filter conditions (libsinsp's filter grammar), good enough to find
 * the macros and lists a condition references without false positives:
 *
 * - boolean operators `and`, `or`, `not` and parentheses;
 * - checks `<field> <op> <value>`, `<field> <list-op> (<items>)`, `<field> exists`, with fields
 *   such as `proc.name`, `proc.aname[2]`, `k8s.pod.label[app]`, optionally wrapped in a
 *   transformer (`tolower(proc.name)`), and values that are bare words, quoted strings or
 *   `val(<field>)`;
 * - a bare identifier where a check is expected is a macro; a bare item inside the parentheses
 *   of `in`, `intersects` or `pmatch` is a list when a list of that name is defined (Falco
 *   substitutes it), otherwise a literal.
 *
 * @internal
 */

/** Comparison operators that take one value. */
const VALUE_OPS = ['=', '==', '!=', '<', '<=', '>', '>=', 'contains', 'icontains', 'bcontains', 'startswith',
  'bstartswith', 'endswith', 'glob', 'iglob', 'regex'];
/** Operators that take a parenthesised list. */
const LIST_OPS = ['in', 'intersects', 'pmatch'];
/** Operators without a value. */
const UNARY_OPS = ['exists'];
/** Field transformers (Falco ≥0.38) and `val()` for field values on the right-hand side. */
const TRANSFORMERS = ['tolower', 'toupper', 'b64', 'basename', 'len', 'val'];
const KEYWORDS = ['and', 'or', 'not', ...LIST_OPS, ...UNARY_OPS, ...VALUE_OPS.filter(o => /^[a-z]/.test(o))];

/** `class.name[.more][[arg]]` */
export const FIELD = /^[a-zA-Z][a-zA-Z0-9_]*(\.[a-zA-Z0-9_]+)+(\[[^\]\s]+\])?(\.[a-zA-Z0-9_]+)*$/;
/** Macro and list names. */
export const IDENTIFIER = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A field compared with a list (inline items and referenced lists). */
export interface ListUse {
  readonly field: string;
  readonly operator: string;
  /** Bare or quoted items as written (quotes kept, so `"x"` can be told from `x`). */
  readonly items: string[];
}

/** What a condition references. */
export interface ConditionRefs {
  /** Bare identifiers in check position: macros. */
  readonly macros: string[];
  /** Fields used (including inside transformers and `val()`). */
  readonly fields: string[];
  /** List comparisons. */
  readonly lists: ListUse[];
  /** Single-value comparisons, `field op value` (value as written). */
  readonly comparisons: Array<{ field: string; operator: string; value: string }>;
}

/** A syntax error with a message that says what is wrong and where. */
export class ConditionError extends Error {}

type TokenKind = 'word' | 'string' | 'lparen' | 'rparen' | 'comma' | 'op';
interface Token { kind: TokenKind; text: string; at: number }

const SYMBOL_OPS = ['==', '!=', '<=', '>=', '=', '<', '>'];

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(' || c === ')' || c === ',') {
      tokens.push({ kind: c === '(' ? 'lparen' : c === ')' ? 'rparen' : 'comma', text: c, at: i });
      i++;
    } else if (c === '"' || c === '\'') {
      let j = i + 1;
      while (j < text.length && text[j] !== c) {
        j += text[j] === '\\' ? 2 : 1;
      }
      if (j >= text.length) {
        throw new ConditionError(`unterminated ${c === '"' ? 'double' : 'single'} quote at offset ${i}`);
      }
      tokens.push({ kind: 'string', text: text.slice(i, j + 1), at: i });
      i = j + 1;
    } else {
      const op = SYMBOL_OPS.find(o => text.startsWith(o, i));
      if (op) {
        tokens.push({ kind: 'op', text: op, at: i });
        i += op.length;
        continue;
      }
      // a word: up to whitespace, a parenthesis, a comma, a quote or a comparison symbol; a
      // `[...]` argument may contain anything but `]` (`proc.aname[2]`, `runc:[0:PARENT]`)
      let j = i;
      while (j < text.length && !/[\s(),"'=<>!]/.test(text[j])) {
        if (text[j] === '[') {
          const close = text.indexOf(']', j);
          j = close < 0 ? text.length : close + 1;
        } else {
          j++;
        }
      }
      if (j === i) {
        throw new ConditionError(`unexpected character '${c}' at offset ${i}`);
      }
      tokens.push({ kind: 'word', text: text.slice(i, j), at: i });
      i = j;
    }
  }
  return tokens;
}

/**
 * Parses a condition and returns what it references; throws ConditionError on bad syntax.
 */
export function parseCondition(text: string): ConditionRefs {
  const tokens = tokenize(text);
  const refs = { macros: [] as string[], fields: [] as string[], lists: [] as ListUse[], comparisons: [] as ConditionRefs['comparisons'] };
  let pos = 0;
  const peek = () => tokens[pos];
  const describe = (t?: Token) => (t ? `'${t.text}' at offset ${t.at}` : 'the end of the condition');
  const expect = (kind: TokenKind, what: string): Token => {
    const t = tokens[pos];
    if (!t || t.kind !== kind) {
      throw new ConditionError(`expected ${what} but found ${describe(t)}`);
    }
    pos++;
    return t;
  };

  const field = (): string => {
    const t = expect('word', 'a field');
    if (TRANSFORMERS.includes(t.text) && peek()?.kind === 'lparen') {
      pos++;
      const inner = field();
      expect('rparen', `')' closing ${t.text}(`);
      return inner;
    }
    if (!FIELD.test(t.text)) {
      throw new ConditionError(`'${t.text}' at offset ${t.at} is not a field name (class.name, optionally with [argument])`);
    }
    refs.fields.push(t.text);
    return t.text;
  };

  const value = (): string => {
    const t = peek();
    if (t?.kind === 'word' && TRANSFORMERS.includes(t.text) && tokens[pos + 1]?.kind === 'lparen') {
      return field();
    }
    if (!t || (t.kind !== 'word' && t.kind !== 'string')) {
      throw new ConditionError(`expected a value but found ${describe(t)}`);
    }
    pos++;
    return t.text;
  };

  const listItems = (): string[] => {
    expect('lparen', '\'(\' starting a list');
    const items: string[] = [];
    while (peek()?.kind !== 'rparen') {
      const t = peek();
      if (!t || (t.kind !== 'word' && t.kind !== 'string' && t.kind !== 'op')) {
        throw new ConditionError(`expected a list item or ')' but found ${describe(t)}`);
      }
      items.push(t.text);
      pos++;
      if (peek()?.kind === 'comma') {
        pos++;
      } else if (peek()?.kind !== 'rparen') {
        throw new ConditionError(`expected ',' or ')' in a list but found ${describe(peek())}`);
      }
    }
    pos++;
    return items;
  };

  const check = (): void => {
    const t = peek();
    if (t?.kind === 'word' && IDENTIFIER.test(t.text) && !KEYWORDS.includes(t.text) && !(TRANSFORMERS.includes(t.text) && tokens[pos + 1]?.kind === 'lparen')) {
      const next = tokens[pos + 1];
      const isOperator = next && (next.kind === 'op' || (next.kind === 'word' && [...LIST_OPS, ...UNARY_OPS, ...VALUE_OPS].includes(next.text)));
      if (!isOperator) {
        refs.macros.push(t.text);
        pos++;
        return;
      }
    }
    const f = field();
    const op = peek();
    if (!op || (op.kind !== 'op' && op.kind !== 'word') || ['and', 'or', 'not'].includes(op.text)) {
      throw new ConditionError(`expected an operator after field '${f}' but found ${describe(op)}`);
    }
    pos++;
    if (UNARY_OPS.includes(op.text)) {
      return;
    }
    if (LIST_OPS.includes(op.text)) {
      refs.lists.push({ field: f, operator: op.text, items: listItems() });
      return;
    }
    if (!VALUE_OPS.includes(op.text)) {
      throw new ConditionError(`unknown operator '${op.text}' at offset ${op.at} after field '${f}' (allowed: ${[...VALUE_OPS, ...LIST_OPS, ...UNARY_OPS].join(' ')})`);
    }
    refs.comparisons.push({ field: f, operator: op.text, value: value() });
  };

  const primary = (): void => {
    if (peek()?.kind === 'lparen') {
      pos++;
      orExpr();
      expect('rparen', '\')\' (unbalanced parentheses)');
      return;
    }
    check();
  };
  const notExpr = (): void => {
    if (peek()?.kind === 'word' && peek().text === 'not') {
      pos++;
      notExpr();
      return;
    }
    primary();
  };
  const andExpr = (): void => {
    notExpr();
    while (peek()?.kind === 'word' && peek().text === 'and') {
      pos++;
      notExpr();
    }
  };
  const orExpr = (): void => {
    andExpr();
    while (peek()?.kind === 'word' && peek().text === 'or') {
      pos++;
      andExpr();
    }
  };

  if (tokens.length === 0) {
    throw new ConditionError('the condition is empty');
  }
  orExpr();
  if (pos < tokens.length) {
    const t = tokens[pos];
    throw new ConditionError(t.kind === 'rparen' ? `unbalanced parentheses: unexpected ')' at offset ${t.at}` : `expected 'and', 'or' or the end but found ${describe(t)}`);
  }
  return refs;
}

/**
 * The fields of an output string (`%proc.name`, `%proc.aname[2]`, `%evt.arg.flags`); throws
 * ConditionError when a `%` is not followed by a field name or parentheses are unbalanced.
 */
export function parseOutput(text: string): string[] {
  const fields: string[] = [];
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    if (c === ')') {
      depth--;
      if (depth < 0) throw new ConditionError(`unbalanced parentheses: unexpected ')' at offset ${i}`);
    }
    if (c !== '%') continue;
    const m = /^%([a-zA-Z][a-zA-Z0-9_]*(?:\.[a-zA-Z0-9_]+)+(?:\[[^\]\s]+\])?(?:\.[a-zA-Z0-9_]+)*)/.exec(text.slice(i));
    if (!m) {
      throw new ConditionError(`'%' at offset ${i} is not followed by a field name (class.name, optionally with [argument])`);
    }
    fields.push(m[1]);
    i += m[0].length - 1;
  }
  if (depth !== 0) {
    throw new ConditionError('unbalanced parentheses: a \'(\' is never closed');
  }
  return fields;
}

/** A quoted item without its quotes; bare items unchanged. */
export function unquote(item: string): string {
  return /^(["']).*\1$/s.test(item) ? item.slice(1, -1) : item;
}

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * What Falco does to a list item or exception value before splicing it into a condition
 * (falco rule_loader_compiler `quote_item`): an item with a space that does not start with a
 * quote is wrapped in double quotes; anything else is pasted as it is.
 */
export function falcoQuoteItem(item: string): string {
  return item.includes(' ') && item[0] !== '"' && item[0] !== '\'' ? `"${item}"` : item;
}

/**
 * Why Falco would not read `item` as exactly one list item once it splices it into
 * `field in (<items>)` (lists and exception values are pasted as text, not data), or undefined
 * when it reads exactly the item: the spliced item must be one bare word or one quoted string
 * by the condition grammar (escapes only inside quotes), without control characters.
 */
export function listItemProblem(item: string): string | undefined {
  if (typeof item !== 'string' || item.length === 0) return 'is empty';
  if (CONTROL.test(item)) return 'contains a control character (NUL, newline, tab, ...)';
  if (item.includes('\\') && !/^["']/.test(item)) return 'contains a backslash outside a quoted string';
  const spliced = falcoQuoteItem(item);
  let tokens: Token[];
  try {
    tokens = tokenize(`(${spliced})`);
  } catch (e) {
    if (!(e instanceof ConditionError)) throw e;
    return `would not parse once Falco splices it into the condition (${e.message})`;
  }
  const [open, only, close] = tokens;
  if (tokens.length !== 3 || open.kind !== 'lparen' || close.kind !== 'rparen' || (only.kind !== 'word' && only.kind !== 'string') || only.text !== spliced) {
    return `would be read as ${tokens.length - 2} tokens, not one item, once Falco splices it into the condition ('${spliced}')`;
  }
  return undefined;
}

/**
 * Why `value` cannot be written as one double-quoted string of a condition (it has a double
 * quote, a backslash or a control character), or undefined.
 */
export function stringValueProblem(value: string): string | undefined {
  if (typeof value !== 'string') return 'is not a string';
  if (CONTROL.test(value)) return 'contains a control character (NUL, newline, tab, ...)';
  if (/["\\]/.test(value)) return 'contains a double quote or a backslash';
  return undefined;
}

/**
 * `value` as one double-quoted condition string; throws ConditionError when it cannot be one
 * (callers validate first, this is the last guard against splicing).
 */
export function quoteString(value: string): string {
  const problem = stringValueProblem(value);
  if (problem) throw new ConditionError(`${JSON.stringify(value)} ${problem}`);
  return `"${value}"`;
}

/**
 * `k8s.pod.label[<key>]`; throws ConditionError when the key could end the argument early
 * (`]`), contains whitespace or control characters (Kubernetes label keys never do).
 */
export function podLabelField(key: string): string {
  if (typeof key !== 'string' || key.length === 0 || /[\][\s"'(),]/.test(key) || CONTROL.test(key)) {
    throw new ConditionError(`${JSON.stringify(key)} cannot be a pod label key in k8s.pod.label[...]`);
  }
  return `k8s.pod.label[${key}]`;
}
