import { IConstruct } from 'constructs';
import { invalid } from './_validation';

// distribution/reference (the grammar container runtimes parse image references with):
//   reference := name [ ":" tag ] [ "@" digest ]
//   name      := [domain '/'] remote-name, remote-name := path-component ['/' path-component]*
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_LABEL = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;

/**
 * Why `image` is not a container image reference the runtimes pull (distribution/reference), or
 * undefined.
 *
 * @internal
 */
export function imageProblem(image: unknown): string | undefined {
  if (typeof image !== 'string') return 'must be a string';
  const at = image.indexOf('@');
  const digest = at < 0 ? undefined : image.slice(at + 1);
  const rest = at < 0 ? image : image.slice(0, at);
  const colon = rest.lastIndexOf(':');
  const tag = colon > rest.lastIndexOf('/') ? rest.slice(colon + 1) : undefined;
  const name = tag === undefined ? rest : rest.slice(0, colon);
  if (digest !== undefined && !DIGEST.test(digest)) return 'has a digest that is not <algorithm>:<hex> (for example sha256:<64 hex digits>)';
  if (tag !== undefined && !TAG.test(tag)) return 'has a tag that is not 1-128 letters, digits, \'_\', \'.\' or \'-\' (not starting with \'.\' or \'-\')';
  if (name.length === 0 || name.length > 255) return 'must have a repository name of 1-255 characters';
  const parts = name.split('/');
  const first = parts[0];
  const hasDomain = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase());
  if (hasDomain) {
    const [host, port] = first.split(':', 2);
    if (!host.split('.').every(l => DOMAIN_LABEL.test(l)) || (port !== undefined && !/^\d{1,5}$/.test(port)) || first.split(':').length > 2) {
      return 'has a registry that is not a host name with an optional port';
    }
  }
  if (!(hasDomain ? parts.slice(1) : parts).every(c => COMPONENT.test(c))) {
    return 'has a repository path that is not lower-case letters and digits separated by \'/\', \'.\', \'_\', \'__\' or \'-\'';
  }
  return undefined;
}

/**
 * Checks a container image reference by the grammar the runtimes parse it with.
 *
 * @internal
 */
export function checkImageRef(scope: IConstruct, prop: string, image: unknown, example: string): string {
  const problem = imageProblem(image);
  if (problem) {
    invalid(scope, prop, image, `is not a container image reference (registry/repository:tag or @digest): it ${problem}`, `for example '${example}'`);
  }
  return image as string;
}
