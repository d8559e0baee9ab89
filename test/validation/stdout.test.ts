import { isSynthToStdout, keepStdoutForManifests } from '../../src/validation/_stdout';

describe('cdk8s synth --stdout --validate keeps stdout for the manifests', () => {
  const original = console.log;
  afterEach(() => { console.log = original; });

  test('recognizes cdk8s synth with --stdout or -p, nothing else', () => {
    expect(isSynthToStdout(['node', '/app/node_modules/.bin/cdk8s', 'synth', '--stdout'])).toBe(true);
    expect(isSynthToStdout(['node', 'cdk8s', 'synth', '-p', '--validate'])).toBe(true);
    expect(isSynthToStdout(['node', 'cdk8s', 'synth', '--stdout=true'])).toBe(true);
    expect(isSynthToStdout(['node', 'cdk8s', 'synth', '--validate'])).toBe(false);
    expect(isSynthToStdout(['node', 'cdk8s', 'import', '--stdout'])).toBe(false);
    expect(isSynthToStdout(['node', 'main.js'])).toBe(false);
  });

  test('under --stdout, console.log (the CLI\'s report and messages) goes to stderr, once', () => {
    const stderr: unknown[][] = [];
    const spy = jest.spyOn(console, 'error').mockImplementation((...args: unknown[]) => { stderr.push(args); });
    try {
      expect(keepStdoutForManifests(['node', 'cdk8s', 'synth', '--stdout'])).toBe(true);
      const redirected = console.log;
      expect(redirected).not.toBe(original);
      expect(keepStdoutForManifests(['node', 'cdk8s', 'synth', '--stdout'])).toBe(true);
      expect(console.log).toBe(redirected);
      console.log('Validations ended succesfully', 2);
      expect(stderr).toEqual([['Validations ended succesfully', 2]]);
    } finally {
      spy.mockRestore();
    }
  });

  test('without --stdout, console.log is left alone', () => {
    expect(keepStdoutForManifests(['node', 'cdk8s', 'synth', '--validate'])).toBe(false);
    expect(console.log).toBe(original);
  });
});
