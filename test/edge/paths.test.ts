import { istioPathToRegex } from '../../src/edge/_paths';
import { pathMatches } from '../../src/intent/_call-checks';

/** Whether the regex matches the whole path, as Gateway API RegularExpression matches and Cilium do (RE2, anchored). */
const matches = (pattern: string, path: string) => new RegExp(`^(?:${istioPathToRegex(pattern)})$`).test(path);

describe('istioPathToRegex', () => {
  test.each([
    ['/api/v1/charge', '/api/v1/charge'],
    ['/api/orders/*', '/api/orders/.*'],
    ['*.json', '.*\\.json'],
    ['/api/{*}/items', '/api/[^/]+/items'],
    ['/api/{**}', '/api/.*'],
    ['/a/{*}/b/{**}', '/a/[^/]+/b/.*'],
    ['/v1.0/x+y(z)[0]^$|\\', '/v1\\.0/x\\+y\\(z\\)\\[0\\]\\^\\$\\|\\\\'],
    ['/a.b/{*}', '/a\\.b/[^/]+'],
    ['/a?b', '/a\\?b'],
  ])('%j -> %j', (pattern, regex) => {
    expect(istioPathToRegex(pattern)).toBe(regex);
  });

  test('every regex metacharacter in a path matches only itself', () => {
    // ('*' is Istio's own wildcard; a '{' or '}' outside a whole template segment is literal)
    for (const c of '.+?^${}()|[]\\') {
      const pattern = `/a${c}b`;
      expect([pattern, matches(pattern, pattern)]).toEqual([pattern, true]);
      expect([pattern, matches(pattern, '/aXb')]).toEqual([pattern, false]);
      expect([pattern, matches(`${pattern}/{*}`, `${pattern}/x`)]).toEqual([pattern, true]);
      expect([pattern, matches(`${pattern}/{*}`, '/aXb/x')]).toEqual([pattern, false]);
    }
  });

  test('the regex matches what Istio matches (the intent graph\'s pathMatches), on the paths users write', () => {
    const patterns = ['/api/v1/charge', '/api/orders/*', '*.json', '/api/{*}/items', '/api/{**}', '/a/{*}/b/{**}', '/x.y', '/'];
    const paths = ['/api/v1/charge', '/api/v1/charge/', '/api/v1/chargeX', '/api/orders/', '/api/orders/1', '/api/orders', '/api/ordersX', '/x/a.json', '/x/ajson', 'a.json.bak',
      '/api/1/items', '/api/1/2/items', '/api//items', '/api/', '/api/a/b/c', '/api', '/a/1/b/', '/a/1/b/c/d', '/a//b/c', '/x.y', '/xzy', '/', '/x'];
    for (const pattern of patterns) {
      for (const path of paths) {
        expect([pattern, path, matches(pattern, path)]).toEqual([pattern, path, pathMatches(pattern, path)]);
      }
    }
  });
});
