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
/** Operators whose value must be a number (or a transformed field). */
const NUMBER_OPS = ['<', '<=', '>', '>='];
/** Operators that take a parenthesised list. */
const LIST_OPS = ['in', 'intersects', 'pmatch'];
/** Operators without a value. */
const UNARY_OPS = ['exists'];
/** Field transformers (Falco ≥0.38); `val()` is only read on the right-hand side, around a plain field. */
const TRANSFORMERS = ['tolower', 'toupper', 'b64', 'basename', 'len'];
/** Every operator, in the order errors list them. */
const OPERATORS = [...VALUE_OPS, ...LIST_OPS, ...UNARY_OPS];
/** Words that are never a macro in check position (`not` is read before a check is; symbols never look like a name). */
const KEYWORDS = ['and', 'or', ...OPERATORS];
/** libsinsp's number value (`RGX_HEXNUM`, `RGX_NUMBER`), matched as a whole word. */
const NUMBER = /^(0[xX][0-9a-fA-F]+|[+-]?[0-9]+\.?[0-9]*([eE][+-][0-9]+)?)$/;
/** How deeply parentheses (groups and transformers) may nest: libsinsp refuses recursion 100 calls deep, about 19 groups. */
const MAX_NESTING = 16;

/**
 * `class.name[.more][[argument]]`: libsinsp's `RGX_FIELDNAME` with an optional bare argument
 * (one word of the tokenizer below, so without parentheses, commas or comparison symbols).
 */
export const FIELD = /^[a-zA-Z][a-zA-Z0-9_]*(\.[a-zA-Z][a-zA-Z0-9_]*)+(\[[^\][\s"'(),=<>!]+\])?$/;
/** Macro and list names: libsinsp's `RGX_IDENTIFIER`, the only names a condition can reference. */
export const IDENTIFIER = /^[a-zA-Z][a-zA-Z0-9_]*$/;

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
  /** Single-value comparisons, `field op value` (value as written; the field for `val(field)`). */
  readonly comparisons: Array<{ field: string; operator: string; value: string }>;
}

/** A syntax error with a message that says what is wrong and where. */
export class ConditionError extends Error {}

type TokenKind = 'word' | 'string' | 'lparen' | 'rparen' | 'comma' | 'op';
interface Token { kind: TokenKind; text: string; at: number }

const SYMBOL_OPS = ['==', '!=', '<=', '>=', '=', '<', '>'];
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
/** What libsinsp skips between tokens (`lex_blank`; its backspace is refused here as a control character). */
const BLANK = /[ \t\n\r]/;
/**
 * A bare word. libsinsp's bare string (`RGX_BARESTR`) stops at blanks, parentheses, commas, `=`
 * and quotes; a word here also stops at `!`, `<` and `>`, so it is never longer than libsinsp's
 * (`a<b` is refused here, one word there: stricter, never another meaning).
 */
const WORD = /^[^\s(),"'=<>!\u0000-\u001f\u007f-\u009f]+/;
/** The escapes libsinsp's `unescape_str` accepts in a quoted string, besides the string's own quote. */
const ESCAPES = 'bfnrt \\/';

/**
 * Checks the escapes of a quoted string (quotes included) as libsinsp's `unescape_str` does; the
 * closing quote never follows a backslash, so no escape includes it.
 */
function checkEscapes(quoted: string, at: number): void {
  for (const m of quoted.matchAll(/\\(.)/gs)) {
    if (!ESCAPES.includes(m[1]) && m[1] !== quoted[0]) {
      throw new ConditionError(`unsupported escape ${JSON.stringify(m[0])} at offset ${at + m.index!} (Falco reads \\b \\f \\n \\r \\t \\\\ \\/, a backslash and a space, and the string's own quote)`);
    }
  }
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (BLANK.test(c)) {
      i++;
    } else if (/\s/.test(c) || CONTROL.test(c)) {
      throw new ConditionError(`unexpected character U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} at offset ${i} (Falco separates tokens with spaces, tabs and line breaks only)`);
    } else if (c === '(' || c === ')' || c === ',') {
      tokens.push({ kind: c === '(' ? 'lparen' : c === ')' ? 'rparen' : 'comma', text: c, at: i });
      i++;
    } else if (c === '"' || c === '\'') {
      // libsinsp's lex_quoted_str: the string ends at the first quote not preceded by a backslash
      // (so `"a\\"` does not end there)
      let j = i;
      do {
        j = text.indexOf(c, j + 1);
      } while (text[j - 1] === '\\');
      if (j === -1) {
        throw new ConditionError(`unterminated ${c === '"' ? 'double' : 'single'} quote at offset ${i}`);
      }
      checkEscapes(text.slice(i, j + 1), i);
      tokens.push({ kind: 'string', text: text.slice(i, j + 1), at: i });
      i = j + 1;
    } else {
      const op = SYMBOL_OPS.find(o => text.startsWith(o, i));
      if (op) {
        tokens.push({ kind: 'op', text: op, at: i });
        i += op.length;
        continue;
      }
      // a word: up to a blank, a parenthesis, a comma, a quote or a comparison symbol (a field's
      // `[argument]` and items such as `runc:[0:PARENT]` are words too)
      const word = WORD.exec(text.slice(i));
      if (!word) {
        throw new ConditionError(`unexpected character '${c}' at offset ${i}`);
      }
      tokens.push({ kind: 'word', text: word[0], at: i });
      i += word[0].length;
    }
  }
  return tokens;
}

/**
 * Parses a condition and returns what it references; throws ConditionError on bad syntax. It
 * accepts no more than libsinsp's filter parser does, and reads what it accepts the same way.
 */
export function parseCondition(text: string): ConditionRefs {
  const tokens = tokenize(text);
  const refs = { macros: [] as string[], fields: [] as string[], lists: [] as ListUse[], comparisons: [] as ConditionRefs['comparisons'] };
  let pos = 0;
  let depth = 0;
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
  /** Whether tokens[k] is `name(` with one of `names`, the parenthesis right after the name (libsinsp lexes `tolower(`). */
  const callAt = (k: number, names: string[]): boolean => {
    const t = tokens[k];
    const next = tokens[k + 1];
    return t?.kind === 'word' && names.includes(t.text) && next?.kind === 'lparen' && next.at === t.at + t.text.length;
  };
  const enter = (t: Token): void => {
    if (++depth > MAX_NESTING) {
      throw new ConditionError(`'(' at offset ${t.at} nests parentheses deeper than ${MAX_NESTING} levels, which Falco's parser refuses`);
    }
  };

  /** `name(<inner>)` at pos; returns the field inside. */
  const call = (inner: () => string): string => {
    const name = tokens[pos].text;
    enter(tokens[pos + 1]);
    pos += 2;
    const f = inner();
    expect('rparen', `')' closing ${name}(`);
    depth--;
    return f;
  };
  const plainField = (): string => {
    const t = expect('word', 'a field');
    if (!FIELD.test(t.text)) {
      throw new ConditionError(`'${t.text}' at offset ${t.at} is not a field name (class.name, optionally with [argument])`);
    }
    refs.fields.push(t.text);
    return t.text;
  };
  /** A field, possibly transformed (`tolower(b64(proc.name))`). */
  const field = (): string => (callAt(pos, TRANSFORMERS) ? call(field) : plainField());

  const value = (op: Token): string => {
    if (callAt(pos, ['val'])) {
      return call(plainField);
    }
    if (callAt(pos, TRANSFORMERS)) {
      return field();
    }
    const t = peek();
    if (!t || (t.kind !== 'word' && t.kind !== 'string')) {
      throw new ConditionError(`expected a value but found ${describe(t)}`);
    }
    if (NUMBER_OPS.includes(op.text) && !NUMBER.test(t.text)) {
      throw new ConditionError(`'${op.text}' at offset ${op.at} compares numbers, but ${describe(t)} is not a number`);
    }
    pos++;
    return t.text;
  };

  const listItems = (): string[] => {
    expect('lparen', '\'(\' starting a list');
    const items: string[] = [];
    if (peek()?.kind === 'rparen') {
      pos++;
      return items;
    }
    for (;;) {
      const t = peek();
      if (!t || (t.kind !== 'word' && t.kind !== 'string')) {
        throw new ConditionError(`expected a list item but found ${describe(t)}`);
      }
      items.push(t.text);
      pos++;
      const next = peek();
      pos++;
      if (next?.kind === 'rparen') {
        return items;
      }
      if (next?.kind !== 'comma') {
        throw new ConditionError(`expected ',' or ')' in a list but found ${describe(next)}`);
      }
    }
  };

  const check = (): void => {
    const t = peek();
    if (t?.kind === 'word' && IDENTIFIER.test(t.text) && !KEYWORDS.includes(t.text) && !callAt(pos, TRANSFORMERS)) {
      const next = tokens[pos + 1];
      // every operator token's text is in OPERATORS, and no other token's is
      const isOperator = next !== undefined && OPERATORS.includes(next.text);
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
      throw new ConditionError(`unknown operator '${op.text}' at offset ${op.at} after field '${f}' (allowed: ${OPERATORS.join(' ')})`);
    }
    const next = peek();
    if (op.kind === 'word' && next?.at === op.at + op.text.length) {
      throw new ConditionError(`expected a blank after '${op.text}' at offset ${op.at} (Falco reads '${op.text}' only before a space)`);
    }
    refs.comparisons.push({ field: f, operator: op.text, value: value(op) });
  };

  const primary = (): void => {
    const t = peek();
    if (t?.kind === 'lparen') {
      enter(t);
      pos++;
      orExpr();
      expect('rparen', '\')\' (unbalanced parentheses)');
      depth--;
      return;
    }
    check();
  };
  const atWord = (word: string): boolean => peek()?.kind === 'word' && peek().text === word;
  const notExpr = (): void => {
    while (atWord('not')) {
      pos++;
    }
    primary();
  };
  const andExpr = (): void => {
    notExpr();
    while (atWord('and')) {
      pos++;
      notExpr();
    }
  };
  const orExpr = (): void => {
    andExpr();
    while (atWord('or')) {
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
  // a parenthesis, or '%' and the field after it (a field's argument may hold parentheses)
  for (const m of text.matchAll(/[()]|%([a-zA-Z][a-zA-Z0-9_]*(?:\.[a-zA-Z0-9_]+)+(?:\[[^\]\s]+\])?(?:\.[a-zA-Z0-9_]+)*)?/g)) {
    if (m[0] === '(') {
      depth++;
    } else if (m[0] === ')') {
      if (--depth < 0) throw new ConditionError(`unbalanced parentheses: unexpected ')' at offset ${m.index}`);
    } else if (m[1] === undefined) {
      throw new ConditionError(`'%' at offset ${m.index} is not followed by a field name (class.name, optionally with [argument])`);
    } else {
      fields.push(m[1]);
    }
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
  if (typeof item !== 'string') return 'is not a string';
  if (item.length === 0) return 'is empty';
  if (CONTROL.test(item)) return 'contains a control character (NUL, newline, tab, ...)';
  if (item.includes('\\') && !/^["']/.test(item)) return 'contains a backslash outside a quoted string';
  const spliced = falcoQuoteItem(item);
  let tokens: Token[];
  try {
    tokens = tokenize(`(${spliced})`);
  } catch (e) {
    return `would not parse once Falco splices it into the condition (${(e as Error).message})`;
  }
  // the item is one token when the token after '(' is all of it (then ')' is the only other one)
  const only = tokens[1];
  if ((only.kind !== 'word' && only.kind !== 'string') || only.text !== spliced) {
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
  if (typeof key !== 'string' || key.length === 0 || /[\][\s"'(),=<>!]/.test(key) || CONTROL.test(key)) {
    throw new ConditionError(`${JSON.stringify(key)} cannot be a pod label key in k8s.pod.label[...]`);
  }
  return `k8s.pod.label[${key}]`;
}
