const REDIRECTED = Symbol.for('cdk8s-zero-trust/console-log-to-stderr');

/**
 * Whether `argv` is `cdk8s synth` with `--stdout` (`-p`), the CLI writing the manifests to stdout.
 */
export function isSynthToStdout(argv: readonly string[] = process.argv): boolean {
  const args = argv.slice(2);
  return args.includes('synth') && args.some(a => a === '--stdout' || a === '--stdout=true' || a === '-p');
}

/**
 * Under `cdk8s synth --stdout --validate`, cdk8s-cli 2.x prints "Performing validations", every
 * plugin's report, "Validations ended succesfully" and the plugins' `context.logger` lines with
 * `console.log`, into the manifest stream a pipeline parses (`validateApp` in cdk8s-cli's
 * src/util.ts; it has no option to print them elsewhere). The CLI loads this plugin in its own
 * process before it prints any of them: in that process (and only under `--stdout`) `console.log`
 * goes to stderr, so stdout holds only the manifests and the report still reaches the terminal.
 * Returns whether it redirected (idempotent).
 */
export function keepStdoutForManifests(argv: readonly string[] = process.argv): boolean {
  if (!isSynthToStdout(argv)) return false;
  const current = console.log as typeof console.log & { [REDIRECTED]?: true };
  if (current[REDIRECTED]) return true;
  const toStderr = Object.assign((...args: unknown[]) => console.error(...args), { [REDIRECTED]: true as const });
  console.log = toStderr;
  return true;
}
