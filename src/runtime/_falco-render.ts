import { appendable } from './_falco-checks';
import { parseCondition } from './_falco-condition';
import { FalcoPluginRequirement, FalcoRuleException } from './falco-rule-types';

/**
 * How a FalcoRuleSet writes its items into the rules file.
 *
 * @internal
 */

/** One entry of a rules file, with the options it was defined from. @internal */
export interface Item { readonly kind: 'rule' | 'macro' | 'list' | 'override-rule' | 'append-list' | 'override-macro'; readonly name: string; readonly yaml: any; readonly options: any }

/** The item's condition as a whole condition (an appended fragment gets a neutral left side). */
export function parsable(item: Item): string {
  const condition: string = item.options.condition;
  return item.yaml.override?.condition === 'append' ? appendable(condition) : condition;
}

export function renderPlugin(p: FalcoPluginRequirement): any {
  const alternatives = (p.alternatives ?? []).map(a => ({ name: a.name, version: a.version }));
  return { name: p.name, version: p.version, ...(alternatives.length ? { alternatives } : {}) };
}

export function renderItem(item: string): string | number {
  return /^\d+$/.test(item) && item.length < 10 ? Number(item) : item;
}

export function renderException(e: FalcoRuleException): any {
  return {
    name: e.name,
    fields: [...e.fields],
    comps: e.comps ? [...e.comps] : e.fields.map(() => '='),
    ...(e.values ? { values: e.values.map(t => [...t]) } : {}),
  };
}

/** Macros ordered so that each comes after the macros its condition uses. */
export function sortMacros(macros: Item[]): Item[] {
  const byName = new Map(macros.map(m => [m.name, m]));
  const done = new Set<string>();
  const out: Item[] = [];
  const visit = (m: Item, stack: string[]) => {
    if (done.has(m.name) || stack.includes(m.name)) return;
    for (const dep of parseCondition(m.options.condition).macros) {
      const d = byName.get(dep);
      if (d) visit(d, [...stack, m.name]);
    }
    done.add(m.name);
    out.push(m);
  };
  macros.forEach(m => visit(m, []));
  return out;
}
