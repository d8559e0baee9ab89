import { Testing } from 'cdk8s';
import { Construct } from 'constructs';
import {
  checkAnnotations, checkLabels, checkNotOwned, checkType, CONTROL_CHARS, forwarding, invalid, labelKeyProblem, labelValueProblem, sortedUnique,
} from '../../src/intent/_validation';

// The shared helpers of src/intent/_validation.ts called directly: the error shape every construct
// uses, and the Kubernetes label grammar that guards labels reaching selectors and policies.

const scope = () => new Construct(Testing.chart(), 'x');
const message = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('did not throw');
};
const shown = (value: unknown) => message(() => invalid(scope(), 'p', value, 'why')).replace(/^\[test\/x\] invalid p /, '').replace(/: why$/, '');

describe('invalid(): path, prop, value, what is allowed, the fix', () => {
  test('with and without a fix', () => {
    expect(message(() => invalid(scope(), 'port', 0, 'must be 1-65535', 'use 8080'))).toBe('[test/x] invalid port 0: must be 1-65535; use 8080');
    expect(message(() => invalid(scope(), 'port', 0, 'must be 1-65535'))).toBe('[test/x] invalid port 0: must be 1-65535');
  });

  test('values are shown as the user wrote them', () => {
    expect(shown('a"b')).toBe('"a\\"b"');
    expect(shown(8080.5)).toBe('8080.5');
    expect(shown(undefined)).toBe('undefined');
    expect(shown(10n)).toBe('10');
    expect(shown(Symbol('s'))).toBe('Symbol(s)');
    expect(shown(function handler() { return 1; })).toBe('function handler');
    expect(shown(() => 1)).toBe('function (anonymous)');
    expect(shown(Testing.chart())).toBe('construct test');
    expect(shown(null)).toBe('null');
    expect(shown(true)).toBe('true');
    expect(shown({ a: [1, 'b'] })).toBe('{"a":[1,"b"]}');
    const circular: any = { name: 'c' };
    circular.self = circular;
    expect(shown(circular)).toBe('[object Object]');
    expect(shown({ toJSON: () => undefined })).toBe('[object Object]');
  });

  test('at most 1000 characters of the value', () => {
    expect(shown('a'.repeat(998))).toBe(`"${'a'.repeat(998)}"`); // 1000 characters with the quotes
    expect(shown('a'.repeat(999))).toBe(`"${'a'.repeat(999)}…`);
  });
});

test('sortedUnique: once each, strings by code point, numbers by value', () => {
  expect(sortedUnique([3, 10, 3, 9])).toEqual([3, 9, 10]);
  expect(sortedUnique(['b', 'a', 'b', 'B'])).toEqual(['B', 'a', 'b']);
  expect(sortedUnique([])).toEqual([]);
});

describe('label keys and values (Kubernetes grammar)', () => {
  test.each(['app', 'a', 'A_b.c-9', 'example.com/app', 'a.b.c/x', 'app.kubernetes.io/name', `${'a'.repeat(253)}/x`, 'x'.repeat(63)])('key %j is accepted', key => {
    expect(labelKeyProblem(key)).toBeUndefined();
  });

  test.each(['/app', `${'a'.repeat(254)}/x`, 'Example.com/app', 'exa_mple.com/app', '-a.com/x', 'a.com-/x'])('key %j has a bad prefix', key => {
    expect(labelKeyProblem(key)).toMatch(/^has a prefix that is not a DNS-1123 subdomain/);
  });

  test.each(['', 'example.com/', 'x'.repeat(64), '-a', 'a-', '_a', 'a\n', 'a b', 'a/b/c', 'a$'])('key %j has a bad name', key => {
    expect(labelKeyProblem(key)).toMatch(/^must have a name part of 1-63 alphanumerics/);
  });

  test('a key that is not a string', () => {
    expect(labelKeyProblem(5)).toBe('must be a string, got number');
  });

  test.each(['', 'a', 'v1.2_3-x', 'x'.repeat(63)])('value %j is accepted', value => {
    expect(labelValueProblem(value)).toBeUndefined();
  });

  test.each(['x'.repeat(64), 'a b', 'a\n', '-a', 'a.', 'a/b'])('value %j is refused', value => {
    expect(labelValueProblem(value)).toMatch(/^must be empty or 1-63 alphanumerics/);
  });

  test('a value that is not a string', () => {
    expect(labelValueProblem(null)).toBe('must be a string, got object');
  });
});

describe('checkLabels and checkAnnotations', () => {
  test.each([null, ['a'], 'app=x', 5])('labels %j that are not a map', labels => {
    expect(() => checkLabels(scope(), 'podLabels', labels)).toThrow(/^\[test\/x\] invalid podLabels .*: must be a map of label keys to label values$/);
    expect(() => checkAnnotations(scope(), 'annotations', labels)).toThrow(/^\[test\/x\] invalid annotations .*: must be a map of annotation keys to string values$/);
  });

  test('an empty map: accepted unless at least one label is needed', () => {
    expect(checkLabels(scope(), 'podLabels', {})).toEqual({});
    expect(() => checkLabels(scope(), 'podLabels', {}, { nonEmpty: true })).toThrow('[test/x] invalid podLabels {}: must hold at least one label');
  });

  test('bad keys and values are named with the key', () => {
    expect(() => checkLabels(scope(), 'podLabels', { 'Bad Key': 'x' })).toThrow(
      '[test/x] invalid podLabels key "Bad Key": is not a Kubernetes label key: it must have a name part of 1-63 alphanumerics, \'-\', \'_\' or \'.\', starting and ending with an alphanumeric (after an optional DNS subdomain prefix and \'/\'); for example \'app.kubernetes.io/name\'');
    expect(() => checkLabels(scope(), 'podLabels', { app: 'a b' })).toThrow(
      '[test/x] invalid podLabels["app"] "a b": is not a Kubernetes label value: it must be empty or 1-63 alphanumerics');
    expect(() => checkAnnotations(scope(), 'annotations', { '/x': 'v' })).toThrow('[test/x] invalid annotations key "/x": is not a Kubernetes annotation key: it has a prefix');
    expect(() => checkAnnotations(scope(), 'annotations', { a: 5 })).toThrow('[test/x] invalid annotations["a"] 5: must be a string');
  });

  test('a copy is returned; annotation values are free text', () => {
    const labels = { 'app': 'web', 'example.com/tier': '' };
    const copy = checkLabels(scope(), 'podLabels', labels, { nonEmpty: true });
    expect(copy).toEqual(labels);
    expect(copy).not.toBe(labels);
    const annotations = { 'example.com/note': 'any text: "quoted"\nnext line' };
    expect(checkAnnotations(scope(), 'annotations', annotations)).toEqual(annotations);
    expect(checkAnnotations(scope(), 'annotations', annotations)).not.toBe(annotations);
  });
});

describe('checkNotOwned: a user label may not set or override one the library writes', () => {
  const owned = { 'istio.io/dataplane-mode': 'ambient', 'pod-security.kubernetes.io/enforce': 'restricted' };
  const check = (labels: Record<string, string>) => () => checkNotOwned(scope(), 'labels', labels, owned, 'mesh enrolment');

  test('the same label', () => {
    expect(check({ 'istio.io/dataplane-mode': 'none' })).toThrow(
      '[test/x] invalid labels["istio.io/dataplane-mode"] "none": is a label the library writes (mesh enrolment), and a user value would override it; remove it from labels and use the construct\'s own prop instead');
  });

  test('a label of the same family changes its meaning', () => {
    expect(check({ 'istio-injection': 'enabled' })).toThrow('invalid labels["istio-injection"] "enabled": conflicts with the label istio.io/dataplane-mode the library writes');
    expect(check({ 'istio.io/rev': 'canary' })).toThrow(/conflicts with the label istio.io\/dataplane-mode/);
    expect(check({ 'pod-security.kubernetes.io/warn': 'privileged' })).toThrow(/conflicts with the label pod-security.kubernetes.io\/enforce/);
  });

  test('every owned label counts, in a family or not; every member of the Istio family conflicts', () => {
    expect(() => checkNotOwned(scope(), 'labels', { 'app.kubernetes.io/managed-by': 'me' }, { 'app.kubernetes.io/managed-by': 'cdk8s-zero-trust' }, 'why'))
      .toThrow('invalid labels["app.kubernetes.io/managed-by"] "me": is a label the library writes (why)');
    expect(check({ 'istio.io/use-waypoint': 'wp' })).toThrow(/conflicts with the label istio.io\/dataplane-mode/);
  });

  test('other labels pass', () => {
    expect(check({ 'app': 'web', 'istio.io/other': 'x' })).not.toThrow();
    expect(() => checkNotOwned(scope(), 'labels', { 'istio-injection': 'enabled', 'pod-security.kubernetes.io/warn': 'baseline' }, { app: 'x' }, 'why')).not.toThrow();
    expect(() => checkNotOwned(scope(), 'labels', { app: 'x' }, { 'pod-security.kubernetes.io/enforce': 'restricted' }, 'why')).not.toThrow();
  });
});

describe('checkType', () => {
  test.each([
    ['string', 'a'], ['number', 1], ['boolean', false], ['object', {}], ['string[]', ['a']], ['string[]', []], ['number[]', [1, 2]],
  ] as const)('%s accepts %j', (type, value) => {
    expect(() => checkType(scope(), 'p', value, type)).not.toThrow();
  });

  test.each([
    ['string', 1, 'must be a string, got number'],
    ['number', '1', 'must be a number, got string'],
    ['boolean', 'true', 'must be a boolean, got string'],
    ['object', null, 'must be an object, got null'],
    ['object', [1], 'must be an object, got an array'],
    ['object', 'x', 'must be an object, got string'],
    ['string[]', ['a', 1], 'must be an array of strings, got an array'],
    ['string[]', 'a', 'must be an array of strings, got string'],
    ['number[]', [1, '2'], 'must be an array of numbers, got an array'],
    ['number[]', 1, 'must be an array of numbers, got number'],
  ] as const)('%s refuses %j', (type, value, why) => {
    expect(message(() => checkType(scope(), 'p', value, type))).toMatch(new RegExp(`^\\[test/x\\] invalid p .*: ${why.replace(/[[\]]/g, '\\$&')}$`));
  });

  test('the allowed values are shown in parentheses', () => {
    expect(() => checkType(scope(), 'mode', 5, 'string', 'STRICT or PERMISSIVE')).toThrow('[test/x] invalid mode 5: must be a string (STRICT or PERMISSIVE), got number');
  });
});

test('CONTROL_CHARS: C0, DEL and C1 only', () => {
  for (const c of ['\u0000', '\n', '\u001f', '\u007f', '\u0085', '\u009f']) expect(CONTROL_CHARS.test(`a${c}b`)).toBe(true);
  for (const c of [' ', '~', '\u00a0', 'é', '\u2028']) expect(CONTROL_CHARS.test(`a${c}b`)).toBe(false);
});

describe('forwarding(): a child\'s refusal names the prop the user wrote', () => {
  const child = (value: string) => () => invalid(new Construct(Testing.chart(), 'child'), 'address', value, 'must be https');

  test('the value passes: the child is returned', () => {
    expect(forwarding(scope(), { vaultAddress: 'https://v' }, () => 42)).toBe(42);
  });

  test('a refused value is reported on the scope, under the prop that holds it, with the child\'s reason', () => {
    expect(message(() => forwarding(scope(), { other: undefined, namespace: 'ns', vaultAddress: 'http://v' }, child('http://v')))).toBe(
      '[test/x] invalid vaultAddress "http://v": is refused: [test/child] invalid address "http://v": must be https');
  });

  test('a value the message shows in another form (a non-string) is found too', () => {
    const error = () => invalid(new Construct(Testing.chart(), 'child'), 'port', 0, 'must be 1-65535');
    expect(message(() => forwarding(scope(), { port: 0 }, error))).toBe('[test/x] invalid port 0: is refused: [test/child] invalid port 0: must be 1-65535');
  });

  test('a value the child shows inside a longer string (unquoted) is found too; undefined props are skipped', () => {
    const derived = () => invalid(new Construct(Testing.chart(), 'child'), 'url', 'http://v/v1/auth', 'must be https');
    expect(message(() => forwarding(scope(), { vaultAddress: 'http://v' }, derived))).toBe(
      '[test/x] invalid vaultAddress "http://v": is refused: [test/child] invalid url "http://v/v1/auth": must be https');
    const mentionsUndefined = () => invalid(new Construct(Testing.chart(), 'child'), 'role', 'undefined', 'must be set');
    expect(message(() => forwarding(scope(), { first: undefined, role: 'undefined' }, mentionsUndefined))).toMatch(/^\[test\/x\] invalid role "undefined": is refused/);
  });

  test('errors that name no given value, are not the library\'s, or are not Errors pass through unchanged', () => {
    const other = new Error('[test/child] invalid address "x": no');
    expect(() => forwarding(scope(), { vaultAddress: 'y', empty: '' }, () => { throw other; })).toThrow(other);
    const plain = new Error('something "y" broke');
    expect(() => forwarding(scope(), { vaultAddress: 'y' }, () => { throw plain; })).toThrow(plain);
    const typeError = new TypeError('[test/child] invalid address "y": no');
    expect(() => forwarding(scope(), { vaultAddress: 'y' }, () => { throw typeError; })).toThrow(typeError);
    expect(() => forwarding(scope(), { vaultAddress: 'y' }, () => { throw 'invalid "y"'; })).toThrow('invalid "y"');
  });
});
