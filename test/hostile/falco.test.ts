import { Chart, Testing } from 'cdk8s';
import * as fc from 'fast-check';
import * as yaml from 'yaml';
import { hostile, rejection, RUNS } from './_hostile';
import { FalcoPriority, FalcoRuleSet, IntentGraph, Privilege, ZeroTrustFalcoRules } from '../../src';
import { parseCondition, unquote } from '../../src/runtime/_falco-condition';

/*
 * Falco pastes list items and exception values into conditions as text (falco
 * userspace/engine/rule_loader_compiler.cpp). A model of that, written from upstream:
 * - `quote_item`: an item with a space that does not start with a quote gets double quotes;
 * - `resolve_list`: a list name between delimiters is replaced by its items joined with ', ';
 * - `build_rule_exception_infos`: `(<cond>) and not ((<field> <comp> <value>) or ...)`.
 * The result is read with the project's model of Falco's condition grammar.
 */
const quoteItem = (e: string) => (e.includes(' ') && e[0] !== '"' && e[0] !== '\'' ? `"${e}"` : e);
const resolveList = (condition: string, name: string, items: string[]) =>
  condition.replace(new RegExp(`(^|[\\s(),=])${name}(?=$|[\\s(),=])`, 'g'), (_, d) => `${d}${items.map(quoteItem).join(', ')}`);

const RULE = { name: 'r', desc: 'a rule', output: 'x %proc.name', priority: FalcoPriority.WARNING };

describe('hostile input: Falco', () => {
  test('a list item is rejected, or Falco reads exactly that one item where the list is used', () => {
    fc.assert(fc.property(hostile, hostile, (item, other) => {
      const set = new FalcoRuleSet(Testing.chart(), 'rules');
      const error = rejection(() => set.addList({ name: 'my_items', items: [item, other] }), /^\[test\/rules\] invalid lists\["my_items"\]\.items /);
      if (error) return;
      set.addRule({ ...RULE, condition: 'spawned_process and proc.name in (my_items)' });
      const rendered = yaml.parse(set.renderRulesFile()).find((i: any) => i.list === 'my_items').items.map(String);
      const refs = parseCondition(resolveList('spawned_process and proc.name in (my_items)', 'my_items', rendered));
      expect(refs.macros).toEqual(['spawned_process']);
      expect(refs.lists).toHaveLength(1);
      expect(refs.lists[0].items.map(unquote)).toEqual([item, other].map(i => unquote(quoteItem(i))));
    }), RUNS);
  });

  test('an exception value is rejected, or Falco reads exactly that one value', () => {
    fc.assert(fc.property(hostile, fc.constantFrom('=', 'startswith', 'contains', '!='), (value, comp) => {
      const set = new FalcoRuleSet(Testing.chart(), 'rules');
      const exceptions = [{ name: 'known', fields: ['proc.name', 'fd.name'], comps: [comp, '='], values: [[value, '/etc/x']] }];
      const error = rejection(() => set.addRule({ ...RULE, condition: 'open_read', exceptions }), /^\[test\/rules\] invalid rules\["r"\]\.exceptions\[known\]\.values /);
      if (error) return;
      const e = yaml.parse(set.renderRulesFile()).find((i: any) => i.rule === 'r').exceptions[0];
      const v = e.values[0].map((x: any) => quoteItem(String(x)));
      const condition = `(open_read) and not ((${e.fields[0]} ${e.comps[0]} ${v[0]} and ${e.fields[1]} ${e.comps[1]} ${v[1]}))`;
      const refs = parseCondition(condition);
      expect(refs.comparisons).toEqual([
        { field: 'proc.name', operator: comp, value: quoteItem(value) },
        { field: 'fd.name', operator: '=', value: '/etc/x' },
      ]);
      expect(refs.macros).toEqual(['open_read']);
    }), RUNS);
  });

  test('pod labels of a privileged workload are rejected, or the exemption macro compares exactly those labels', () => {
    fc.assert(fc.property(hostile, hostile, (key, value) => {
      const a = Testing.app();
      const chart = new Chart(a, 'c');
      const rules = new ZeroTrustFalcoRules(chart, 'falco');
      const error = rejection(() => IntentGraph.of(chart).declarePrivilegedWorkload(chart, {
        namespace: 'agents',
        kind: 'DaemonSet',
        name: 'agent',
        podLabels: { [key]: value },
        privileges: [Privilege.PRIVILEGED_CONTAINER],
        reason: 'reads the node for the test',
      }), /^\[c\] invalid privilegedWorkload\.podLabels/);
      if (error) return;
      const macro = yaml.parse(rules.renderRulesFile()).find((i: any) => i.macro === 'zt_declared_privileged_workloads');
      const refs = parseCondition(macro.condition);
      expect(refs.comparisons).toEqual(expect.arrayContaining([
        { field: 'k8s.ns.name', operator: '=', value: 'agents' },
        { field: `k8s.pod.label[${key}]`, operator: '=', value: `"${value}"` },
      ]));
      expect(refs.macros).toEqual([]);
    }), RUNS);
  });

  test('rule names, tags and conditions of the wrong type get the clear error, never a TypeError', () => {
    const anything = fc.oneof(fc.constant(undefined), fc.constant(null), fc.integer(), fc.boolean(), hostile,
      fc.array(hostile, { maxLength: 2 }), fc.object({ maxDepth: 1 }));
    fc.assert(fc.property(anything, anything, anything, (name, condition, tags) => {
      const set = new FalcoRuleSet(Testing.chart(), 'rules');
      rejection(() => set.addRule({ ...RULE, name: name as any, condition: condition as any, tags: tags as any }), /^\[test\/rules\] invalid /);
      rejection(() => set.overrideRule(name as any), /^\[test\/rules\] invalid /);
      rejection(() => set.addMacro({ name: name as any, condition: condition as any }), /^\[test\/rules\] invalid /);
      rejection(() => set.appendToList(name as any, tags as any), /^\[test\/rules\] invalid /);
    }), RUNS);
  });
});
