import type { PlatformComponentOptions } from './platform-workload';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const REGISTRY = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d+)?(\/[a-z0-9]([a-z0-9._-]*[a-z0-9])?)*$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** The library's error for a bad option of a platform component description. */
export function invalidOption(component: string, prop: string, value: unknown, allowed: string): never {
  throw new Error(`[PlatformComponent.${component}] invalid ${prop} ${JSON.stringify(value)}: ${allowed}`);
}

/** The namespace (or release name) option, checked. */
export function label(component: string, prop: string, value: string | undefined, fallback: string): string {
  const v = value ?? fallback;
  if (typeof v !== 'string' || v.length > 63 || !DNS1123_LABEL.test(v)) {
    invalidOption(component, prop, v, 'must be a DNS-1123 label (lower-case alphanumeric characters or \'-\', at most 63)');
  }
  return v;
}

/**
 * Renders the images of one component: `image(repository, tag)` gives the reference the chart
 * renders, after the `registry` mirror and with the digest pinned in `digests`.
 */
export function imageRenderer(component: string, options: PlatformComponentOptions): (repository: string, tag: string) => string {
  const registry = options.registry;
  if (registry !== undefined && (typeof registry !== 'string' || !REGISTRY.test(registry))) {
    invalidOption(component, 'registry', registry, 'must be a registry host with an optional path, without scheme, tag or trailing \'/\' (for example \'registry.example/mirror\')');
  }
  const digests = options.digests ?? {};
  for (const [repository, digest] of Object.entries(digests)) {
    if (typeof digest !== 'string' || !DIGEST.test(digest)) {
      invalidOption(component, `digests.${repository}`, digest, 'must be \'sha256:\' followed by 64 lower-case hex digits');
    }
  }
  const used = new Set<string>();
  const render = (repository: string, tag: string) => {
    const mirrored = registry === undefined ? repository : `${registry}/${withoutRegistry(repository)}`;
    const digest = digests[mirrored];
    if (digest) used.add(mirrored);
    return `${mirrored}:${tag}${digest ? `@${digest}` : ''}`;
  };
  (render as any).unused = () => Object.keys(digests).filter(r => !used.has(r));
  return render;
}

/** Fails when `digests` names a repository the component does not run. */
export function checkDigestsUsed(component: string, render: (repository: string, tag: string) => string): void {
  const unused: string[] = (render as any).unused();
  if (unused.length > 0) {
    invalidOption(component, 'digests', unused[0], 'names no image of this component: use the repository exactly as rendered, without tag (see PlatformComponent.images)');
  }
}

/** `docker.io/istio/pilot` -> `istio/pilot`; `openpolicyagent/gatekeeper` stays (Docker Hub short form). */
function withoutRegistry(repository: string): string {
  const first = repository.split('/')[0];
  return repository.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')
    ? repository.slice(first.length + 1) : repository;
}
