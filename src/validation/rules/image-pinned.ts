import { containerName, containersOf, podSpecOf } from './_pods';
import { PostureRule, ruleId } from './_rule';

/** The tag (or digest) of an image reference; undefined when it has neither. @internal */
export function imageTag(image: string): string | undefined {
  if (image.includes('@')) return image.slice(image.indexOf('@') + 1);
  const last = image.slice(image.lastIndexOf('/') + 1);
  return last.includes(':') ? last.slice(last.indexOf(':') + 1) : undefined;
}

/** Every image has a tag other than `latest`, or a digest. @internal */
export const rule: PostureRule = {
  id: ruleId(__filename),
  severity: 'error',
  explanation: 'code is an identity too: what runs must be what was reviewed, and `latest` (or no tag) changes under you',
  fix: 'pin every image to a version tag or, better, a digest (image@sha256:...)',
  check(obj) {
    const pod = podSpecOf(obj);
    if (!pod) return undefined;
    const findings = [];
    for (const c of containersOf(pod)) {
      const image = c.container.image;
      if (typeof image !== 'string') continue; // the schema check reports a missing image
      const tag = imageTag(image);
      if (tag === undefined || tag === 'latest') {
        findings.push({ pointer: `${c.pointer}/image`, message: `container ${containerName(c)} image ${JSON.stringify(image)} is ${tag ? 'tagged latest' : 'not pinned (no tag, no digest)'}` });
      }
    }
    return findings;
  },
};
