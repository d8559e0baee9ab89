import * as fc from 'fast-check';
import {
  ConditionError, falcoQuoteItem, FIELD, IDENTIFIER, listItemProblem, parseCondition, parseOutput, podLabelField, quoteString,
  stringValueProblem, unquote,
} from '../../src/runtime/_falco-condition';
import { hostile, RUNS } from '../hostile/_hostile';

/*
 * An independent model of how libsinsp's filter parser (userspace/libsinsp/filter/parser.cpp,
 * escaping.cpp) reads a parenthesised list, written from upstream and sharing no code with the
 * parser under test: `lex_blank` skips ' ', \t, \b, \r, \n; a quoted string ends at the first
 * quote whose previous character is not a backslash, and `unescape_str` refuses escapes other
 * than \b \f \n \r \t \space \\ \/ and the string's own quote; a bare string is
 * `[^()"'[:space:]=,]+`; items are separated by ',' and there is no trailing comma.
 * Returns the raw items it reads from the whole text, or undefined when Falco would refuse it.
 */
function falcoListItems(text: string): string[] | undefined {
  let i = 0;
  const blank = () => {
    while (i < text.length && ' \t\b\r\n'.includes(text[i])) i++;
  };
  const quoted = (): string | undefined => {
    const q = text[i];
    let prev = '\\';
    for (let j = i; j < text.length; j++) {
      if (text[j] === q && prev !== '\\') {
        const raw = text.slice(i, j + 1);
        let escaped = false;
        for (const ch of raw.slice(1, -1)) {
          if (escaped && !['b', 'f', 'n', 'r', 't', ' ', '\\', '/', q].includes(ch)) throw new Error('unsupported escape');
          escaped = !escaped && ch === '\\';
        }
        i = j + 1;
        return raw;
      }
      prev = text[j];
    }
    return undefined;
  };
  const value = (): string | undefined => {
    if (text[i] === '"' || text[i] === '\'') return quoted();
    const m = /^[^()"' \t\n\v\f\r=,]+/.exec(text.slice(i));
    if (m) i += m[0].length;
    return m?.[0];
  };
  try {
    if (text[i++] !== '(') return undefined;
    blank();
    const items: string[] = [];
    let item = value();
    if (item !== undefined) {
      items.push(item);
      blank();
      while (text[i] === ',') {
        i++;
        blank();
        item = value();
        if (item === undefined) return undefined;
        items.push(item);
        blank();
      }
    }
    return text[i] === ')' && i === text.length - 1 ? items : undefined;
  } catch {
    return undefined;
  }
}

/** The message of the ConditionError that `f` throws. */
function conditionError(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ConditionError);
    return (e as Error).message;
  }
  throw new Error('expected a ConditionError');
}

const NONE = { macros: [], fields: [], lists: [], comparisons: [] };

describe('_falco-condition: list items and exception values as Falco splices them', () => {
  test.each([
    // the item, and what listItemProblem says (undefined: accepted)
    ['curl', undefined],
    ['a[b', undefined],
    ['runc:[0:PARENT]', undefined],
    ['my tool', undefined],
    ['"my tool"', undefined],
    ['\'my tool\'', undefined],
    ['"sh -c \\"x\\""', undefined],
    ['\'it\\\'s\'', undefined],
    ['"\\b\\f\\n\\r\\t\\ \\\\\\/"', undefined],
    ['"a\u00a0b"', undefined],
    [42, 'is not a string'],
    ['', 'is empty'],
    ['a\u0000b', 'contains a control character (NUL, newline, tab, ...)'],
    ['a\tb', 'contains a control character (NUL, newline, tab, ...)'],
    ['\u001f', 'contains a control character (NUL, newline, tab, ...)'],
    ['\u007f', 'contains a control character (NUL, newline, tab, ...)'],
    ['\u009f', 'contains a control character (NUL, newline, tab, ...)'],
    ['a\\b', 'contains a backslash outside a quoted string'],
    ['a\\"', 'contains a backslash outside a quoted string'],
    ['"abc', 'would not parse once Falco splices it into the condition (unterminated double quote at offset 1)'],
    ['"a\\\\"', 'would not parse once Falco splices it into the condition (unterminated double quote at offset 1)'],
    ['"C:\\path"', 'would not parse once Falco splices it into the condition (unsupported escape "\\\\p" at offset 4 (Falco reads \\b \\f \\n \\r \\t \\\\ \\/, a backslash and a space, and the string\'s own quote))'],
    ['"say \\\'hi\\\'"', 'would not parse once Falco splices it into the condition (unsupported escape "\\\\\'" at offset 6 (Falco reads \\b \\f \\n \\r \\t \\\\ \\/, a backslash and a space, and the string\'s own quote))'],
    ['a\u00a0b', 'would not parse once Falco splices it into the condition (unexpected character U+00A0 at offset 2 (Falco separates tokens with spaces, tabs and line breaks only))'],
    ['a,b', 'would be read as 3 tokens, not one item, once Falco splices it into the condition (\'a,b\')'],
    ['a=b', 'would be read as 3 tokens, not one item, once Falco splices it into the condition (\'a=b\')'],
    ['x[)or(proc.name!=y]', 'would be read as 7 tokens, not one item, once Falco splices it into the condition (\'x[)or(proc.name!=y]\')'],
    ['"a" "b"', 'would be read as 2 tokens, not one item, once Falco splices it into the condition (\'"a" "b"\')'],
    ['=', 'would be read as 1 tokens, not one item, once Falco splices it into the condition (\'=\')'],
    [',', 'would be read as 1 tokens, not one item, once Falco splices it into the condition (\',\')'],
    ['(', 'would be read as 1 tokens, not one item, once Falco splices it into the condition (\'(\')'],
    [')', 'would be read as 1 tokens, not one item, once Falco splices it into the condition (\')\')'],
  ])('listItemProblem(%j) is %j', (item, problem) => {
    expect(listItemProblem(item as string)).toBe(problem);
  });

  test('an accepted item is exactly one item to Falco\'s own list reader, alone and between others', () => {
    const items = ['curl', 'a[b', 'runc:[0:PARENT]', 'my tool', '"sh -c \\"x\\""', '\'it\\\'s\'', '"x\\\\ y"'];
    for (const item of items) {
      const spliced = falcoQuoteItem(item);
      expect(listItemProblem(item)).toBeUndefined();
      expect(falcoListItems(`(${spliced})`)).toEqual([spliced]);
    }
    expect(falcoListItems(`(${items.map(falcoQuoteItem).join(', ')})`)).toEqual(items.map(falcoQuoteItem));
    fc.assert(fc.property(hostile, hostile, (item, other) => {
      if (listItemProblem(item) === undefined && listItemProblem(other) === undefined) {
        expect(falcoListItems(`(${falcoQuoteItem(item)}, ${falcoQuoteItem(other)})`)).toEqual([falcoQuoteItem(item), falcoQuoteItem(other)]);
      }
    }), RUNS);
  });

  test('the items the old reader let through are not one item to Falco', () => {
    // `x[` ends at ')' for Falco, and the rest is read as `or (proc.name != y])`; `"a\\"` runs on
    expect(falcoListItems('(x[)or(proc.name!=y])')).toBeUndefined();
    expect(falcoListItems('("a\\\\", b)')).toBeUndefined();
    expect(falcoListItems('("C:\\path")')).toBeUndefined();
    expect(falcoListItems('(a,)')).toBeUndefined();
  });

  test.each([
    ['a b', '"a b"'],
    ['"a b"', '"a b"'],
    ['\'a b\'', '\'a b\''],
    ['ab', 'ab'],
    ['"ab', '"ab'],
    ['a"b c', '"a"b c"'],
  ])('falcoQuoteItem(%j) is %j', (item, quoted) => {
    expect(falcoQuoteItem(item)).toBe(quoted);
  });

  test.each([
    ['"a"', 'a'],
    ['\'a\'', 'a'],
    ['""', ''],
    ['"a\nb"', 'a\nb'],
    ['"ab"', 'ab'],
    ['"a\'', '"a\''],
    ['x"a"', 'x"a"'],
    ['"a"x', '"a"x'],
    ['"', '"'],
    ['ab', 'ab'],
  ])('unquote(%j) is %j', (item, bare) => {
    expect(unquote(item)).toBe(bare);
  });

  test.each([
    ['a b\'c', undefined],
    ['\u0020\u007e\u00a0', undefined],
    [42, 'is not a string'],
    ['\u0000', 'contains a control character (NUL, newline, tab, ...)'],
    ['\u001f', 'contains a control character (NUL, newline, tab, ...)'],
    ['\u007f', 'contains a control character (NUL, newline, tab, ...)'],
    ['\u009f', 'contains a control character (NUL, newline, tab, ...)'],
    ['a"b', 'contains a double quote or a backslash'],
    ['a\\b', 'contains a double quote or a backslash'],
  ])('stringValueProblem(%j) is %j', (value, problem) => {
    expect(stringValueProblem(value as string)).toBe(problem);
  });

  test('quoteString quotes a plain value and refuses the rest', () => {
    expect(quoteString('a b\'c')).toBe('"a b\'c"');
    expect(conditionError(() => quoteString('a"b'))).toBe('"a\\"b" contains a double quote or a backslash');
  });

  test.each(['app', 'app.kubernetes.io/name', 'a_b-c'])('podLabelField(%j)', key => {
    expect(podLabelField(key)).toBe(`k8s.pod.label[${key}]`);
    expect(parseCondition(`${podLabelField(key)} = x`).fields).toEqual([`k8s.pod.label[${key}]`]);
  });

  test.each([42, '', ']', '[', 'a b', 'a"b', 'a\'b', 'a(b', 'a)b', 'a,b', 'a=b', 'a<b', 'a>b', 'a!b', 'a\u0000b', 'a\u0085b'])('podLabelField(%j) throws', key => {
    expect(conditionError(() => podLabelField(key as string))).toBe(`${JSON.stringify(key)} cannot be a pod label key in k8s.pod.label[...]`);
  });
});

describe('_falco-condition: names', () => {
  test.each(['proc.name', 'proc.aname[2]', 'k8s.pod.label[app.kubernetes.io/name]', 'Evt.Arg9_x.y_1', 'fd.types[0]', 'a.b.c.d', 'proc.aname[x:1/y-z]'])('FIELD accepts %j', f => {
    expect(FIELD.test(f)).toBe(true);
  });

  test.each(['proc', 'proc.', '.name', '1proc.name', 'proc.1name', 'proc.n-me', 'proc..name', '_proc.name', 'proc._name', 'proc.name[]', 'proc.name[a b]',
    'proc.name[a]b', 'proc.name[a].x', 'proc.name[[a]', 'proc.name[a]]', 'proc.name[a=b]', 'proc.name[a)]', 'proc.name[a(]', 'proc.name[a,b]', 'proc.name[a<b]',
    'proc.name[a>b]', 'proc.name[a!b]', 'proc.name["a"]', 'proc.name[\'a\']', 'proc.name[a\tb]', 'xproc.name x'])('FIELD refuses %j', f => {
    expect(FIELD.test(f)).toBe(false);
  });

  test.each([['a', true], ['spawned_process', true], ['Ab9_', true], ['_a', false], ['9a', false], ['a-b', false], ['', false], ['a.b', false], ['a b', false], ['x_\u00e9', false]])(
    'IDENTIFIER %j: %j', (name, ok) => {
      expect(IDENTIFIER.test(name as string)).toBe(ok);
    });
});

describe('_falco-condition: parseCondition', () => {
  const VALUE_OPS = ['=', '==', '!=', '<', '<=', '>', '>=', 'contains', 'icontains', 'bcontains', 'startswith', 'bstartswith', 'endswith', 'glob', 'iglob', 'regex'];

  test.each(VALUE_OPS)('reads the operator %s', op => {
    const comparison = { field: 'fd.num', operator: op, value: '3' };
    expect(parseCondition(`fd.num ${op} 3`)).toEqual({ ...NONE, fields: ['fd.num'], comparisons: [comparison] });
    expect(parseCondition(`not fd.num ${op} 3 and spawned_process`)).toEqual({ ...NONE, macros: ['spawned_process'], fields: ['fd.num'], comparisons: [comparison] });
    if (!/^[a-z]/.test(op)) expect(parseCondition(`fd.num${op}3`).comparisons).toEqual([comparison]);
  });

  test.each(['in', 'intersects', 'pmatch'])('reads the list operator %s', op => {
    expect(parseCondition(`proc.name ${op} (a, "b c",'d' , my_list)`)).toEqual({ ...NONE, fields: ['proc.name'], lists: [{ field: 'proc.name', operator: op, items: ['a', '"b c"', '\'d\'', 'my_list'] }] });
    expect(parseCondition(`proc.name ${op}()`).lists).toEqual([{ field: 'proc.name', operator: op, items: [] }]);
    expect(parseCondition(`proc.name ${op} (x)`).lists).toEqual([{ field: 'proc.name', operator: op, items: ['x'] }]);
  });

  test('reads exists, macros, not, and, or and parentheses', () => {
    expect(parseCondition('proc.name exists')).toEqual({ ...NONE, fields: ['proc.name'] });
    expect(parseCondition('spawned_process and not not container or (a_b and (never_true)) or\tx\n\rand y')).toEqual({ ...NONE, macros: ['spawned_process', 'container', 'a_b', 'never_true', 'x', 'y'] });
    // a transformer's name without its parenthesis is a macro or a value
    expect(parseCondition('tolower and len or val')).toEqual({ ...NONE, macros: ['tolower', 'len', 'val'] });
    expect(parseCondition('proc.name = tolower and proc.name = val')).toEqual({
      ...NONE, fields: ['proc.name', 'proc.name'], comparisons: [{ field: 'proc.name', operator: '=', value: 'tolower' }, { field: 'proc.name', operator: '=', value: 'val' }],
    });
  });

  test.each(['tolower', 'toupper', 'b64', 'basename', 'len'])('reads the transformer %s on both sides', t => {
    expect(parseCondition(`${t}(proc.name) = ${t}(proc.pname)`)).toEqual({ ...NONE, fields: ['proc.name', 'proc.pname'], comparisons: [{ field: 'proc.name', operator: '=', value: 'proc.pname' }] });
    expect(parseCondition(`${t}(proc.name) exists`)).toEqual({ ...NONE, fields: ['proc.name'] });
    expect(parseCondition(`fd.num < ${t}(proc.name)`).comparisons).toEqual([{ field: 'fd.num', operator: '<', value: 'proc.name' }]);
  });

  test('reads nested transformers and val()', () => {
    expect(parseCondition('b64(toupper(proc.name)) = val(proc.pname)')).toEqual({ ...NONE, fields: ['proc.name', 'proc.pname'], comparisons: [{ field: 'proc.name', operator: '=', value: 'proc.pname' }] });
    expect(parseCondition('proc.name = tolower(b64(proc.pname))').comparisons).toEqual([{ field: 'proc.name', operator: '=', value: 'proc.pname' }]);
    expect(parseCondition('fd.num >= val(fd.sport)').comparisons).toEqual([{ field: 'fd.num', operator: '>=', value: 'fd.sport' }]);
  });

  test.each(['0', '10', '12.5', '-1', '+7', '1.', '1.25', '1.5e+3', '2E-10', '0x1F', '0XaB'])('reads the number %s after <', n => {
    expect(parseCondition(`fd.num < ${n}`).comparisons).toEqual([{ field: 'fd.num', operator: '<', value: n }]);
  });

  test.each(['abc', '"5"', '0x', '0xG', '0x1G', 'x10', '10x', '1e5', '1.5e3', '1..2', '--1', '1e+', '.5', '1.5e+3x'])('refuses %s after <', n => {
    expect(conditionError(() => parseCondition(`fd.num < ${n}`))).toBe(`'<' at offset 7 compares numbers, but '${n}' at offset 9 is not a number`);
  });

  test.each(['<', '<=', '>', '>='])('refuses a word after %s, and reads a number', op => {
    expect(conditionError(() => parseCondition(`fd.num ${op} abc`))).toBe(`'${op}' at offset 7 compares numbers, but 'abc' at offset ${8 + op.length} is not a number`);
    expect(parseCondition(`fd.num ${op} 1`).comparisons).toEqual([{ field: 'fd.num', operator: op, value: '1' }]);
  });

  test('reads quoted strings as libsinsp does', () => {
    expect(parseCondition('proc.name = "a\\"b" or proc.name = \'a\\\'b\' or proc.name="a b"').comparisons.map(c => c.value)).toEqual(['"a\\"b"', '\'a\\\'b\'', '"a b"']);
    expect(parseCondition('proc.name = "\\b\\f\\n\\r\\t\\ \\\\x\\/"').comparisons.map(c => c.value)).toEqual(['"\\b\\f\\n\\r\\t\\ \\\\x\\/"']);
    // a quote after a backslash never ends the string, even after an escaped backslash
    expect(parseCondition('proc.name = "a\\\\" b"').comparisons.map(c => c.value)).toEqual(['"a\\\\" b"']);
    expect(conditionError(() => parseCondition('proc.name = "a\\\\" or proc.name = "b"'))).toBe('unterminated double quote at offset 35');
  });

  test('nests 16 parentheses deep, and any number of them side by side', () => {
    expect(parseCondition(`${'('.repeat(16)}x${')'.repeat(16)}`).macros).toEqual(['x']);
    expect(parseCondition(`${'tolower('.repeat(16)}proc.name${')'.repeat(16)} exists`).fields).toEqual(['proc.name']);
    expect(parseCondition(Array(20).fill('(x)').join(' and ')).macros).toHaveLength(20);
    expect(parseCondition(Array(20).fill('tolower(proc.name) exists').join(' and ')).fields).toHaveLength(20);
    expect(parseCondition(`${'not '.repeat(10000)}x`).macros).toEqual(['x']);
  });

  test.each([
    ['', 'the condition is empty'],
    [' \n\t', 'the condition is empty'],
    ['a b', 'expected \'and\', \'or\' or the end but found \'b\' at offset 2'],
    ['a)', 'unbalanced parentheses: unexpected \')\' at offset 1'],
    ['(a', 'expected \')\' (unbalanced parentheses) but found the end of the condition'],
    ['x and', 'expected a field but found the end of the condition'],
    ['= x', 'expected a field but found \'=\' at offset 0'],
    ['and x', '\'and\' at offset 0 is not a field name (class.name, optionally with [argument])'],
    ['x and and', '\'and\' at offset 6 is not a field name (class.name, optionally with [argument])'],
    ['x and or', '\'or\' at offset 6 is not a field name (class.name, optionally with [argument])'],
    ['x and in', '\'in\' at offset 6 is not a field name (class.name, optionally with [argument])'],
    ['x and intersects', '\'intersects\' at offset 6 is not a field name (class.name, optionally with [argument])'],
    ['x and pmatch', '\'pmatch\' at offset 6 is not a field name (class.name, optionally with [argument])'],
    ['x and exists', '\'exists\' at offset 6 is not a field name (class.name, optionally with [argument])'],
    ['x and contains', '\'contains\' at offset 6 is not a field name (class.name, optionally with [argument])'],
    ['x and regex', '\'regex\' at offset 6 is not a field name (class.name, optionally with [argument])'],
    ['foo contains x', '\'foo\' at offset 0 is not a field name (class.name, optionally with [argument])'],
    ['foo in (x)', '\'foo\' at offset 0 is not a field name (class.name, optionally with [argument])'],
    ['foo exists', '\'foo\' at offset 0 is not a field name (class.name, optionally with [argument])'],
    ['foo = x', '\'foo\' at offset 0 is not a field name (class.name, optionally with [argument])'],
    ['proc.1x = y', '\'proc.1x\' at offset 0 is not a field name (class.name, optionally with [argument])'],
    ['tolower = x', '\'tolower\' at offset 0 is not a field name (class.name, optionally with [argument])'],
    ['tolower(proc.name = x', 'expected \')\' closing tolower( but found \'=\' at offset 18'],
    ['tolower (proc.name) = x', 'expected \'and\', \'or\' or the end but found \'(\' at offset 8'],
    ['val(proc.name) = x', 'expected \'and\', \'or\' or the end but found \'(\' at offset 3'],
    ['proc.name = val(tolower(proc.pname))', '\'tolower\' at offset 16 is not a field name (class.name, optionally with [argument])'],
    ['proc.name = val(proc.pname', 'expected \')\' closing val( but found the end of the condition'],
    ['proc.name = tolower (proc.pname)', 'expected \'and\', \'or\' or the end but found \'(\' at offset 20'],
    ['proc.name', 'expected an operator after field \'proc.name\' but found the end of the condition'],
    ['proc.name (x)', 'expected an operator after field \'proc.name\' but found \'(\' at offset 10'],
    ['proc.name "x"', 'expected an operator after field \'proc.name\' but found \'"x"\' at offset 10'],
    ['proc.name and x', 'expected an operator after field \'proc.name\' but found \'and\' at offset 10'],
    ['proc.name or x', 'expected an operator after field \'proc.name\' but found \'or\' at offset 10'],
    ['proc.name not x', 'expected an operator after field \'proc.name\' but found \'not\' at offset 10'],
    ['proc.name like x', 'unknown operator \'like\' at offset 10 after field \'proc.name\' (allowed: = == != < <= > >= contains icontains bcontains startswith bstartswith endswith glob iglob regex in intersects pmatch exists)'],
    ['proc.name contains"x"', 'expected a blank after \'contains\' at offset 10 (Falco reads \'contains\' only before a space)'],
    ['proc.name =', 'expected a value but found the end of the condition'],
    ['proc.name = (x)', 'expected a value but found \'(\' at offset 12'],
    ['proc.name = ,', 'expected a value but found \',\' at offset 12'],
    ['proc.name in x', 'expected \'(\' starting a list but found \'x\' at offset 13'],
    ['proc.name in (a,)', 'expected a list item but found \')\' at offset 16'],
    ['proc.name in (,a)', 'expected a list item but found \',\' at offset 14'],
    ['proc.name in (a,', 'expected a list item but found the end of the condition'],
    ['proc.name in (', 'expected a list item but found the end of the condition'],
    ['proc.name contains', 'expected a value but found the end of the condition'],
    ['proc.name in (=)', 'expected a list item but found \'=\' at offset 14'],
    ['proc.name in (a b)', 'expected \',\' or \')\' in a list but found \'b\' at offset 16'],
    ['proc.name in (a', 'expected \',\' or \')\' in a list but found the end of the condition'],
    ['proc.name = "bash and x', 'unterminated double quote at offset 12'],
    ['proc.name = \'bash', 'unterminated single quote at offset 12'],
    ['proc.name = "a\\\\"', 'unterminated double quote at offset 12'],
    ['proc.name = "a\\x"', 'unsupported escape "\\\\x" at offset 14 (Falco reads \\b \\f \\n \\r \\t \\\\ \\/, a backslash and a space, and the string\'s own quote)'],
    ['proc.name = "a\\\'"', 'unsupported escape "\\\\\'" at offset 14 (Falco reads \\b \\f \\n \\r \\t \\\\ \\/, a backslash and a space, and the string\'s own quote)'],
    ['proc.name = \'\\"\'', 'unsupported escape "\\\\\\"" at offset 13 (Falco reads \\b \\f \\n \\r \\t \\\\ \\/, a backslash and a space, and the string\'s own quote)'],
    ['proc.name = "a\\\nb"', 'unsupported escape "\\\\\\n" at offset 14 (Falco reads \\b \\f \\n \\r \\t \\\\ \\/, a backslash and a space, and the string\'s own quote)'],
    ['proc.name ! x', 'unexpected character \'!\' at offset 10'],
    ['proc.name =\u000bx', 'unexpected character U+000B at offset 11 (Falco separates tokens with spaces, tabs and line breaks only)'],
    ['proc.name =\u00a0x', 'unexpected character U+00A0 at offset 11 (Falco separates tokens with spaces, tabs and line breaks only)'],
    ['proc.name = a\u0000', 'unexpected character U+0000 at offset 13 (Falco separates tokens with spaces, tabs and line breaks only)'],
    ['proc.name = a\u0085', 'unexpected character U+0085 at offset 13 (Falco separates tokens with spaces, tabs and line breaks only)'],
    ['proc.name = a\b', 'unexpected character U+0008 at offset 13 (Falco separates tokens with spaces, tabs and line breaks only)'],
    [`${'('.repeat(17)}x${')'.repeat(17)}`, '\'(\' at offset 16 nests parentheses deeper than 16 levels, which Falco\'s parser refuses'],
    [`${'tolower('.repeat(17)}proc.name${')'.repeat(17)} exists`, '\'(\' at offset 135 nests parentheses deeper than 16 levels, which Falco\'s parser refuses'],
  ])('refuses %j', (condition, message) => {
    expect(conditionError(() => parseCondition(condition))).toBe(message);
  });
});

describe('_falco-condition: parseOutput', () => {
  test.each([
    ['%proc.name%fd.name', ['proc.name', 'fd.name']],
    ['(%proc.aname[2]) x', ['proc.aname[2]']],
    ['%proc.aname[a b]', ['proc.aname']],
    ['%proc.aname[]', ['proc.aname']],
    ['by %k8s.pod.label[app.kubernetes.io/name] (%Evt.Arg_9.x1)', ['k8s.pod.label[app.kubernetes.io/name]', 'Evt.Arg_9.x1']],
    ['%proc.aname[2].xy and %fd.sip.name', ['proc.aname[2].xy', 'fd.sip.name']],
    ['no fields', []],
  ])('reads the fields of %j', (output, fields) => {
    expect(parseOutput(output)).toEqual(fields);
  });

  test.each([
    ['100% of %proc.name', '\'%\' at offset 3 is not followed by a field name (class.name, optionally with [argument])'],
    ['%proc', '\'%\' at offset 0 is not followed by a field name (class.name, optionally with [argument])'],
    ['x %1x.y', '\'%\' at offset 2 is not followed by a field name (class.name, optionally with [argument])'],
    ['%%proc.name', '\'%\' at offset 0 is not followed by a field name (class.name, optionally with [argument])'],
    ['%proc.name%', '\'%\' at offset 10 is not followed by a field name (class.name, optionally with [argument])'],
    ['a) (b', 'unbalanced parentheses: unexpected \')\' at offset 1'],
    ['(a))', 'unbalanced parentheses: unexpected \')\' at offset 3'],
    ['((a)', 'unbalanced parentheses: a \'(\' is never closed'],
  ])('refuses %j', (output, message) => {
    expect(conditionError(() => parseOutput(output))).toBe(message);
  });
});
