import { parse as parseCel } from '@bufbuild/cel';
import { Chart, Testing } from 'cdk8s';
import * as fc from 'fast-check';
import { hostile, rejection, RUNS } from './_hostile';
import { AlertSeverity, MeshAccessLogging, MeshService, PrometheusRules, ZeroTrustNamespace } from '../../src';

function twoServices() {
  const app = Testing.app();
  const chart = new Chart(app, 'test');
  const ns = new ZeroTrustNamespace(chart, 'shop');
  const a = new MeshService(chart, 'a', { namespace: ns, image: 'ghcr.io/acme/a:1', port: 8080 });
  const b = new MeshService(chart, 'b', { namespace: ns, image: 'ghcr.io/acme/b:1', port: 8080 });
  return { chart, a, b };
}

/** Istio's request-path normalization (BASE + MERGE_SLASHES): what a path pattern is compared with. */
function normalized(path: string): boolean {
  return !path.split('/').some(s => s === '.' || s === '..') && !path.includes('//') && !/%(2e|2f|5c)/i.test(path) && !path.includes('\\');
}

describe('hostile input: intent graph, Istio and monitoring', () => {
  test('a path is rejected, or the AuthorizationPolicy carries exactly it and it is printable, normalized ASCII', () => {
    fc.assert(fc.property(fc.oneof(hostile, hostile.map(h => `/api/${h}`)), path => {
      const { chart, a, b } = twoServices();
      const error = rejection(() => b.allowFrom(a, { paths: [path] }), /^\[test\/b\] invalid paths /);
      if (error) return;
      expect(path).toMatch(/^[\x21-\x7e]+$/);
      expect(normalized(path)).toBe(true);
      const policy = Testing.synth(chart).find(o => o.kind === 'AuthorizationPolicy' && o.metadata.name === 'b');
      expect(JSON.stringify(policy.spec.rules)).toContain(JSON.stringify(path));
    }), RUNS);
  });

  test('a header value is rejected, or it reaches the AuthorizationPolicy unchanged and without control characters or wildcards', () => {
    fc.assert(fc.property(hostile, value => {
      const { chart, a, b } = twoServices();
      const error = rejection(() => b.allowFrom(a, { requireHeaders: { 'x-tenant': value } }), /^\[test\/b\] invalid requireHeaders/);
      if (error) return;
      expect(value).not.toMatch(/[\u0000-\u001f\u007f*]/);
      const policy = Testing.synth(chart).find(o => o.kind === 'AuthorizationPolicy' && o.metadata.name === 'b');
      expect(JSON.stringify(policy.spec.rules)).toContain(JSON.stringify([value]));
    }), RUNS);
  });

  test('a wrong type for methods, paths or ports gets the clear error, never a TypeError or a silently split string', () => {
    const anything = fc.oneof(fc.constant(null), fc.integer(), fc.boolean(), hostile,
      fc.array(fc.oneof(hostile, fc.integer()), { maxLength: 2 }), fc.object({ maxDepth: 1 }));
    fc.assert(fc.property(fc.constantFrom('methods', 'paths', 'ports'), anything, (prop, value) => {
      const { a, b } = twoServices();
      const error = rejection(() => b.allowFrom(a, { [prop]: value } as any), /^\[test\/b\] invalid /);
      if (error === undefined) {
        expect(Array.isArray(value)).toBe(true);
      }
    }), RUNS);
  });

  test('an access-log filter is rejected exactly when a full CEL implementation (@bufbuild/cel) cannot parse it', () => {
    const celPieces = fc.constantFrom('response.code', '>=', '400', '&&', '||', '(', ')', '"x"', '\'y\'', '!', '.', 'in', '[', ']', ',', '{', '}', ':', '?', 'size(', 'if', '=', '==');
    const filter = fc.oneof(hostile, fc.array(celPieces, { minLength: 1, maxLength: 7 }).map(p => p.join(' ')));
    fc.assert(fc.property(filter, text => {
      const error = rejection(() => new MeshAccessLogging(Testing.chart(), 'logs', { filter: text }), /^\[test\/logs\] invalid filter /);
      let celAccepts = true;
      try {
        parseCel(text);
      } catch {
        celAccepts = false;
      }
      expect([text, error === undefined]).toEqual([text, celAccepts]);
    }), { numRuns: 150, seed: 20261201 });
  });

  test('a Prometheus summary is rejected, or it is a Go template whose actions all close', () => {
    fc.assert(fc.property(hostile, summary => {
      const rules = new PrometheusRules(Testing.chart(), 'r');
      const error = rejection(() => rules.addAlert('app', {
        name: 'A', expr: 'up == 0', severity: AlertSeverity.WARNING, summary: `down at ${summary}`, description: 'd', runbookUrl: 'https://runbooks.example.com/a',
      }), /^\[test\/r\] invalid alerts\["A"\]\.summary /);
      if (error) return;
      // every '{{' opens an action that a '}}' closes, outside strings (Go's lexer)
      const opens = (summary.match(/\{\{/g) ?? []).length;
      expect(opens === 0 || /\}\}/.test(summary.slice(summary.lastIndexOf('{{')))).toBe(true);
    }), RUNS);
  });
});
