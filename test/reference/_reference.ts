import { App, Testing, YamlOutputType } from 'cdk8s';
import { ReferenceArchitecture } from '../../src';
import { expectValidManifests } from '../support/schemas';
import { synthEachChart } from '../support/synth';

/** A new reference architecture, built but not synthesized. */
export function referenceApp(): { app: App; ref: ReferenceArchitecture } {
  const app = Testing.app({ yamlOutputType: YamlOutputType.FILE_PER_CHART });
  return { app, ref: new ReferenceArchitecture(app, 'zero-trust') };
}

/**
 * A new reference architecture, synthesized (every chart, by layer id, in one synthesis as
 * `App.synth()` renders them) and validated against the schemas.
 */
export function freshReference(): { app: App; ref: ReferenceArchitecture; manifests: any[]; layers: Map<string, any[]> } {
  const { app, ref } = referenceApp();
  const layers = new Map(synthEachChart(app).map(([chart, manifests]) => [chart.node.id, manifests]));
  const manifests = [...layers.values()].flat();
  expectValidManifests(manifests);
  return { app, ref, manifests, layers };
}

let shared: ReturnType<typeof freshReference> | undefined;
/**
 * The reference architecture the tests that only read it share: built, synthesized and validated
 * once per file. A test that writes into its output folder or compares two syntheses builds its
 * own (`referenceApp()`).
 */
export function reference(): ReturnType<typeof freshReference> {
  shared ??= freshReference();
  return shared;
}
