import { App, ApiObject, Chart, Lazy, Testing } from 'cdk8s';
import { MeshService, PolicyEngine, ZeroTrustNamespace, ZeroTrustPolicyPack } from '../../src';
import { ownError, remember } from '../../src/intent/_own-errors';

/**
 * The library's errors raised while cdk8s serializes an object (lazily built specs) reach the
 * user as thrown: cdk8s's `ApiObject.toJson()` would replace them with `Failed serializing
 * construct at path '...' with name '...': Error: ...`.
 */

const IMAGE_WITHOUT_PATH = 'nginx:1.25';
const EXPECTED = /^\[c\/pack\] invalid allowAppImages "nginx:1\.25": is an image without a repository path, so admitting its repository would admit a whole registry/;

/** An app whose policy pack reads an app image it must refuse, at synthesis. */
function appWithBadImage(): { app: App; chart: Chart } {
  const app = Testing.app();
  const chart = new Chart(app, 'c');
  new ZeroTrustPolicyPack(chart, 'pack', { engine: PolicyEngine.GATEKEEPER, allowedRegistries: ['docker.io/library/'], allowAppImages: true });
  new MeshService(chart, 'web', { namespace: new ZeroTrustNamespace(chart, 'apps'), image: IMAGE_WITHOUT_PATH, port: 8080 });
  return { app, chart };
}

function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('nothing thrown');
}

describe('errors raised while objects are serialized', () => {
  test('cdk8s wraps them (the reason for this module): the pack\'s error read through ApiObject.toJson() alone', () => {
    const { chart } = appWithBadImage();
    const constraint = chart.node.findAll().find(c => ApiObject.isApiObject(c) && c.kind === 'K8sAllowedRepos') as ApiObject;
    const e = thrown(() => constraint.toJson());
    expect(e.message).toMatch(/^Failed serializing construct at path 'c\/pack\/.*': Error: \[c\/pack\] invalid allowAppImages/);
    expect(ownError(e)?.message).toMatch(EXPECTED);
  });

  test.each([
    ['App.synth()', (app: App) => app.synth()],
    ['App.synthYaml()', (app: App) => app.synthYaml()],
    ['Testing.synth(chart)', (_app: App, chart: Chart) => Testing.synth(chart)],
    ['Chart.toJson()', (_app: App, chart: Chart) => chart.toJson()],
  ])('%s: the library\'s own Error, message intact (construct path, prop, value, fix)', (_name, synth) => {
    const { app, chart } = appWithBadImage();
    const e = thrown(() => synth(app, chart));
    expect(e.constructor).toBe(Error);
    expect(e.message).toMatch(EXPECTED);
    expect(e.message).toContain('write the image fully qualified');
    expect(e.message).not.toContain('Failed serializing');
  });

  test('errors that are not the library\'s pass through unchanged, wrapped as cdk8s wraps them', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'c');
    new ZeroTrustNamespace(chart, 'apps');
    new ApiObject(chart, 'mine', { apiVersion: 'v1', kind: 'ConfigMap', data: Lazy.any({ produce: () => { throw new Error('[c/mine] invalid data "x": mine'); } }) });
    const e = thrown(() => app.synthYaml());
    expect(e.message).toMatch(/^Failed serializing construct at path 'c\/mine' with name '.*': Error: \[c\/mine\] invalid data "x": mine$/);
  });

  test('ownError finds the newest matching error behind nested wrappers, and nothing for other errors', () => {
    const own = remember(new Error('[a/b] invalid x "1": must be 2'));
    const nested = new Error(`Failed serializing construct at path 'a/c' with name 'c': Error: Failed serializing construct at path 'a/b' with name 'b': ${String(own)}`);
    expect(ownError(nested)).toBe(own);
    expect(ownError(new Error(String(own)))).toBeUndefined();
    expect(ownError(new Error('Failed serializing construct at path \'a/b\' with name \'b\': Error: [a/b] invalid x "1": must be 3'))).toBeUndefined();
    expect(ownError('text')).toBeUndefined();
  });
});
