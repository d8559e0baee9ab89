#!/usr/bin/env node
import * as fs from 'fs';
import { diffMarkdown, semanticDiff, widens, changes } from './_diff';
import { learn, readObservations } from './_learn';
import { inferTrustDomain, readManifests } from './_read';
import { Cluster } from '../evidence/_cluster';

const USAGE = `usage:
  cdk8s-zero-trust diff <old-dir> <new-dir> [--fail-on widen|any|never] [--trust-domain <td>]
      Markdown of what the change allows (calls added, removed, widened, narrowed; identities;
      privileges; exemptions; egress), for a pull request comment. Exit code 1 when the change
      widens access (--fail-on widen, the default), or changes anything (any); 0 with never.
  cdk8s-zero-trust learn <manifests-dir> <log-file>... [--trust-domain <td>]
      Reads Istio JSON access logs and Hubble flows (hubble observe -o json) and prints the
      allowFrom()/allowEgressTo() declarations that would allow what was observed, and the
      observed calls the manifests deny. Exit code 1 when some observed call is denied.`;

/** Runs the command line `args`; returns the exit code and what to print. */
export function run(args: string[]): { code: number; stdout: string; stderr: string } {
  const flags = new Map<string, string>();
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i].startsWith('--')) {
      if (i + 1 >= args.length) return { code: 2, stdout: '', stderr: `${args[i]} needs a value\n${USAGE}\n` };
      flags.set(args[i].slice(2), args[++i]);
    } else {positional.push(args[i]);}
  }
  const [command, ...rest] = positional;
  const unknown = [...flags.keys()].filter(f => !['fail-on', 'trust-domain'].includes(f));
  if (unknown.length) return { code: 2, stdout: '', stderr: `unknown option --${unknown[0]}\n${USAGE}\n` };
  try {
    if (command === 'diff' && rest.length === 2) {
      const failOn = flags.get('fail-on') ?? 'widen';
      if (!['widen', 'any', 'never'].includes(failOn)) return { code: 2, stdout: '', stderr: `--fail-on must be widen, any or never, got ${failOn}\n` };
      const before = readManifests(rest[0]);
      const after = readManifests(rest[1]);
      const d = semanticDiff(before, after, flags.get('trust-domain') ?? inferTrustDomain(after));
      const fail = failOn === 'any' ? changes(d) > 0 : failOn === 'widen' ? widens(d) : false;
      return { code: fail ? 1 : 0, stdout: diffMarkdown(d, rest[0], rest[1]), stderr: '' };
    }
    if (command === 'learn' && rest.length >= 2) {
      const manifests = readManifests(rest[0]);
      const cluster = new Cluster(manifests, flags.get('trust-domain') ?? inferTrustDomain(manifests));
      let skipped = 0;
      const calls = rest.slice(1).flatMap(file => {
        const r = readObservations(fs.readFileSync(file, 'utf8'), cluster);
        skipped += r.skipped;
        return r.calls;
      });
      const { declarations, denied, unmatched } = learn(calls, cluster);
      const out = [`# ${calls.length} observed calls (${skipped} lines skipped)`, '', '## Declarations that allow what was observed', '', '```ts', ...declarations, '```', '',
        `## Observed calls the current manifests deny (${denied.length})`, '', ...denied.map(d => `- ${d}`), ''];
      if (unmatched.length) out.push(`## Observed calls between unknown peers (${unmatched.length})`, '', ...unmatched.map(u => `- ${u}`), '');
      return { code: denied.length ? 1 : 0, stdout: out.join('\n'), stderr: '' };
    }
  } catch (e) {
    return { code: 2, stdout: '', stderr: `${(e as Error).message}\n` };
  }
  return { code: 2, stdout: '', stderr: `${USAGE}\n` };
}

if (require.main === module) {
  const { code, stdout, stderr } = run(process.argv.slice(2));
  process.stdout.write(stdout);
  process.stderr.write(stderr);
  process.exitCode = code;
}
