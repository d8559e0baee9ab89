import { IConstruct } from 'constructs';
import { ConditionError, ConditionRefs, FIELD, IDENTIFIER, listItemProblem, falcoQuoteItem, parseCondition, parseOutput, unquote } from './_falco-condition';
import { FalcoOverrideMode, FalcoPriority, FalcoRuleException } from './falco-rule-types';
import { invalid } from '../intent/_validation';

/**
 * The checks of a FalcoRuleSet's input: each failure is the library's error naming the
 * construct, the prop, the bad value and the fix.
 *
 * @internal
 */

const PRIORITIES = Object.values(FalcoPriority) as string[];
/** Field classes of the syscall source (libsinsp and the container/k8smeta plugins). */
const SYSCALL_FIELD_CLASSES = ['evt', 'evtin', 'proc', 'thread', 'user', 'group', 'fd', 'fdlist', 'fs', 'syscall', 'span', 'container', 'k8s', 'k8smeta'];
const PORT_FIELDS = ['fd.port', 'fd.sport', 'fd.dport', 'fd.cport', 'fd.lport', 'fd.rport'];
const NUMERIC_FIELDS = [...PORT_FIELDS, 'fd.num', 'proc.pid', 'proc.ppid', 'proc.vpid', 'proc.pvpid', 'proc.sid', 'proc.vpgid',
  'user.uid', 'user.loginuid', 'group.gid', 'evt.num', 'evt.rawres', 'thread.tid', 'thread.vtid'];
const IP_FIELDS = ['fd.ip', 'fd.sip', 'fd.cip', 'fd.rip', 'fd.lip', 'fd.net', 'fd.snet', 'fd.cnet', 'fd.rnet', 'fd.lnet'];
/** Fields whose values are event names, not list names (`evt.type in (init_module, ...)`). */
const EVENT_NAME_FIELDS = ['evt.type', 'evt.asynctype'];
const SNAKE_CASE = /^[a-z][a-z0-9]*(_[a-z0-9]+)+$/;
const LIST_OPS = ['in', 'intersects', 'pmatch'];
const COMPARISON_OPS = ['=', '==', '!=', '<', '<=', '>', '>=', 'contains', 'icontains', 'bcontains', 'startswith', 'bstartswith', 'endswith', 'glob', 'iglob', 'regex', ...LIST_OPS];
const IPV4_CIDR = /^(\d{1,3})(\.\d{1,3}){3}(\/\d{1,2})?$/;
const IPV6_CIDR = /^[0-9a-fA-F:]+(\/\d{1,3})?$/;

/** @internal */
export function checkName(scope: IConstruct, kind: string, name: unknown, identifier: boolean): string {
  if (typeof name !== 'string' || name.trim() === '' || /[\u0000-\u001f\u007f-\u009f]/.test(name) || (identifier && !IDENTIFIER.test(name))) {
    invalid(scope, `${kind}.name`, name, identifier ? 'must be letters, digits and \'_\', not starting with a digit' : 'must be a non-empty string without control characters');
  }
  return name;
}

/** @internal */
export function checkPriority(scope: IConstruct, prop: string, priority: unknown): void {
  if (!PRIORITIES.includes(priority as string)) {
    invalid(scope, prop, priority, `must be one of ${PRIORITIES.join(', ')}`, 'use the FalcoPriority enum');
  }
}

/** @internal */
export function checkMode(scope: IConstruct, prop: string, mode: unknown): void {
  if (!Object.values(FalcoOverrideMode).includes(mode as FalcoOverrideMode)) {
    invalid(scope, prop, mode, `must be one of ${Object.values(FalcoOverrideMode).join(', ')}`);
  }
}

/** @internal */
export function checkTags(scope: IConstruct, prop: string, tags: unknown): void {
  if (tags !== undefined && (!Array.isArray(tags) || tags.some(t => typeof t !== 'string' || !/^[A-Za-z0-9_.:-]+$/.test(t)))) {
    invalid(scope, prop, tags, 'must be an array of tags (letters, digits, \'_\', \'.\', \':\', \'-\')', 'for example [\'mitre_execution\', \'T1059\']');
  }
}

/**
 * List items: Falco pastes them into the conditions that use the list as text (`resolve_list`),
 * so each must read as exactly one item there.
 * @internal
 */
export function checkItems(scope: IConstruct, prop: string, items: unknown): void {
  if (!Array.isArray(items) || items.some(i => typeof i !== 'string' || i.length === 0 || /[\s(),]/.test(unquote(i)) && !/^(["']).*\1$/s.test(i))) {
    invalid(scope, prop, items, 'must be an array of non-empty strings; quote items with spaces, parentheses or commas (\'"a b"\')');
  }
  for (const item of items) {
    const problem = listItemProblem(item);
    if (problem) {
      invalid(scope, prop, item, `${problem}: Falco pastes list items into the conditions that use the list as text, so it would change those rules`,
        'use one bare word, or one quoted string (\'"a b"\') whose inner quotes are escaped');
    }
  }
}

/** @internal */
export function checkCondition(scope: IConstruct, prop: string, condition: unknown, source: string, fragment = false): ConditionRefs {
  if (typeof condition !== 'string' || condition.trim() === '') {
    invalid(scope, prop, condition, 'must be a non-empty Falco condition');
  }
  // an appended fragment starts with `and`/`or`: parse it as if something came before
  const text = fragment ? appendable(condition) : condition;
  let refs: ConditionRefs;
  try {
    refs = parseCondition(text);
  } catch (e) {
    if (!(e instanceof ConditionError)) throw e;
    invalid(scope, prop, condition, `is not a valid Falco condition: ${e.message}`);
  }
  checkFields(scope, prop, refs.fields, source);
  return refs;
}

/** @internal */
export function checkOutput(scope: IConstruct, prop: string, output: unknown, source: string): void {
  if (typeof output !== 'string' || output.trim() === '') {
    invalid(scope, prop, output, 'must be a non-empty output string');
  }
  let fields: string[];
  try {
    fields = parseOutput(output);
  } catch (e) {
    if (!(e instanceof ConditionError)) throw e;
    invalid(scope, prop, output, `is not a valid Falco output: ${e.message}`);
  }
  checkFields(scope, prop, fields, source);
}

/** @internal */
export function checkFields(scope: IConstruct, prop: string, fields: unknown, source: string): void {
  for (const field of Array.isArray(fields) ? fields : [fields]) {
    if (typeof field !== 'string' || !FIELD.test(field) || (source === 'syscall' && !SYSCALL_FIELD_CLASSES.includes(field.split('.')[0]))) {
      invalid(scope, prop, field, `is not a field of the ${source} source: fields are <class>.<name>[<arg>] with class one of ${SYSCALL_FIELD_CLASSES.join(', ')}`,
        'see https://falco.org/docs/reference/rules/supported-fields/');
    }
  }
}

/**
 * An exception: its shape, and each value as Falco splices it into the condition
 * (`build_rule_exception_infos`: `<field> <comp> <value>`, values quoted only when they hold
 * a space, list operators taking a list name in parentheses).
 * @internal
 */
export function checkException(scope: IConstruct, prop: string, e: FalcoRuleException, source: string): void {
  if (!e || typeof e !== 'object' || typeof e.name !== 'string' || !IDENTIFIER.test(e.name)) {
    invalid(scope, `${prop}.name`, e?.name, 'must be letters, digits and \'_\'');
  }
  if (!Array.isArray(e.fields) || e.fields.length === 0) {
    invalid(scope, `${prop}[${e.name}].fields`, e.fields, 'must list at least one field');
  }
  checkFields(scope, `${prop}[${e.name}].fields`, e.fields, source);
  const comps = e.comps ?? e.fields.map(() => '=');
  if (!Array.isArray(comps) || comps.length !== e.fields.length || comps.some(c => !COMPARISON_OPS.includes(c))) {
    invalid(scope, `${prop}[${e.name}].comps`, e.comps, `must have one operator per field, each one of ${COMPARISON_OPS.join(' ')}`);
  }
  if (e.values !== undefined && !Array.isArray(e.values)) {
    invalid(scope, `${prop}[${e.name}].values`, e.values, 'must be an array of value tuples');
  }
  for (const tuple of e.values ?? []) {
    if (!Array.isArray(tuple) || tuple.length !== e.fields.length) {
      invalid(scope, `${prop}[${e.name}].values`, tuple, `each value tuple must have one value per field (${e.fields.length})`);
    }
    tuple.forEach((value, i) => checkExceptionValue(scope, `${prop}[${e.name}].values`, e.fields[i], comps[i], value));
  }
}

function checkExceptionValue(scope: IConstruct, prop: string, field: string, comp: string, value: unknown): void {
  if (typeof value !== 'string' || value.length === 0) {
    invalid(scope, prop, value, 'must be a non-empty string');
  }
  if (LIST_OPS.includes(comp)) {
    if (!IDENTIFIER.test(value)) {
      invalid(scope, prop, value, `is compared with '${comp}' on ${field}, so it must name a list (letters, digits, '_')`, 'define the list with addList() and use its name');
    }
    return;
  }
  const problem = listItemProblem(value);
  const spliced = falcoQuoteItem(value);
  let meaning: ConditionRefs | undefined;
  try {
    meaning = problem ? undefined : parseCondition(`${field} ${comp} ${spliced}`);
  } catch (err) {
    if (!(err instanceof ConditionError)) throw err;
  }
  const one = meaning?.comparisons.length === 1 && meaning.lists.length === 0 && meaning.macros.length === 0
    && meaning.comparisons[0].value === spliced;
  if (!one) {
    invalid(scope, prop, value, `${problem ?? 'would not read as one value'}: Falco pastes exception values into the condition as text ('${field} ${comp} ${spliced}'), so it would change the rule`,
      'use one bare word, or one quoted string without quotes, backslashes or control characters inside');
  }
}

/** What the rules of a set can reference. @internal */
export interface FalcoScope {
  readonly lists: Map<string, string[]>;
  /** For messages: `this set nor <base ruleset>`. */
  readonly where: string;
  readonly strictListNames: boolean;
}

/**
 * Exception values: a field compared with `in`/`intersects`/`pmatch` takes a list, which must
 * be defined; a port or numeric field compared with a single value takes an integer.
 * @internal
 */
export function checkExceptionValues(scope: IConstruct, prop: string, e: FalcoRuleException, s: FalcoScope): void {
  const comps = e.comps ?? e.fields.map(() => '=');
  for (const tuple of e.values ?? []) {
    tuple.forEach((value, i) => {
      if (LIST_OPS.includes(comps[i])) {
        if (!s.lists.has(value)) {
          invalid(scope, prop, value, `is compared with '${comps[i]}' on ${e.fields[i]}, so it must name a list, but it is a list defined neither in ${s.where}`, 'define the list with addList()');
        }
        checkListUse(scope, prop, e.fields[i], [value], s);
      } else if (NUMERIC_FIELDS.includes(e.fields[i]) && !/^-?\d+$/.test(value)) {
        invalid(scope, prop, value, `is not an integer, but ${e.fields[i]} is a numeric field`);
      }
    });
  }
}

/** @internal */
export function checkListUse(scope: IConstruct, prop: string, field: string, items: string[], s: FalcoScope): void {
  const { lists, where } = s;
  const bare = (i: string) => !/^["']/.test(i);
  const expand = (values: string[], seen: string[]): string[] =>
    values.flatMap(v => (bare(v) && lists.has(v) && !seen.includes(v) ? expand(lists.get(v)!, [...seen, v]) : [v]));
  const stringField = !EVENT_NAME_FIELDS.includes(field) && !NUMERIC_FIELDS.includes(field) && !IP_FIELDS.includes(field);
  for (const item of items) {
    if (s.strictListNames && stringField && bare(item) && !lists.has(item) && SNAKE_CASE.test(item)) {
      invalid(scope, prop, item, `is used as a list on ${field} but is a list defined neither in ${where}; Falco would compare ${field} with the literal string "${item}"`,
        `define the list with addList(), or quote it ('"${item}"') if you mean the literal value`);
    }
  }
  const values = expand(items, []);
  if (NUMERIC_FIELDS.includes(field)) {
    const bad = values.filter(v => !/^-?\d+$/.test(unquote(String(v))));
    if (bad.length > 0) {
      const undefinedList = bad.find(v => items.includes(v) && bare(v));
      invalid(scope, prop, undefinedList ?? bad[0], undefinedList
        ? `is used as a list on the ${PORT_FIELDS.includes(field) ? 'port' : 'numeric'} field ${field} but is a list defined neither in ${where}; Falco would fail to load the rules ("unrecognized protocol")`
        : `is not an integer, but the list is used on the ${PORT_FIELDS.includes(field) ? 'port' : 'numeric'} field ${field}`,
      undefinedList ? 'define the list with addList() (integers only)' : 'keep only integers in lists used on port and numeric fields');
    }
  }
  if (IP_FIELDS.includes(field)) {
    const bad = values.filter(v => !IPV4_CIDR.test(unquote(String(v))) && !IPV6_CIDR.test(unquote(String(v))));
    if (bad.length > 0) {
      invalid(scope, prop, bad[0], `is not an IP address or CIDR, but is used on the address field ${field}`, 'define the list with addList() holding addresses such as \'"10.0.0.0/8"\'');
    }
  }
}

/** An appended condition fragment as a whole condition (a neutral left side). @internal */
export function appendable(fragment: string): string {
  return `evt.num>=0 ${/^\s*(and|or)\b/.test(fragment) ? '' : 'and '}${fragment}`;
}
