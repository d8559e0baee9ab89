import * as fs from 'fs';
import * as path from 'path';
import { resolveSharedDir } from '../support/schemas';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { parser } = require('@prometheus-io/lezer-promql');

export interface ParsedPromQL {
  /** Whether Prometheus' grammar found an error. */
  readonly error: boolean;
  /** Metric names of every vector selector. */
  readonly metrics: string[];
  /** Label names matched per metric. */
  readonly matchers: Array<{ metric: string; label: string; value: string }>;
}

/** Parses a PromQL expression with Prometheus' own grammar (@prometheus-io/lezer-promql). */
export function parsePromQL(expr: string): ParsedPromQL {
  const tree = parser.parse(expr);
  const cursor = tree.cursor();
  let error = false;
  const metrics: string[] = [];
  const matchers: Array<{ metric: string; label: string; value: string }> = [];
  let metric = '';
  do {
    const name = cursor.type.name;
    const text = expr.slice(cursor.from, cursor.to);
    if (cursor.type.isError) error = true;
    if (name === 'VectorSelector') metric = '';
    if (name === 'Identifier') {
      metric = text;
      metrics.push(text);
    }
    if (name === 'UnquotedLabelMatcher') {
      const m = /^([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"(.*)"$/s.exec(text);
      if (m) matchers.push({ metric, label: m[1], value: m[3] });
    }
  } while (cursor.next());
  return { error, metrics, matchers };
}

/** Metric names the facts file lists as exported by the components (§1.7, §3.4, §4.4, §7). */
export function factsMetricNames(): Set<string> {
  const text = fs.readFileSync(path.join(resolveSharedDir(), 'reference', 'zero-trust-facts.md'), 'utf8');
  const names = new Set<string>();
  for (const m of text.matchAll(/`([a-z][a-z0-9_]*)(\{[^`]*\})?`/g)) {
    if (/^(istio|citadel|pilot|gatekeeper|falcosecurity|certmanager|spire|vault)_[a-z0-9_]+$/.test(m[1])) names.add(m[1]);
  }
  return names;
}
