import { Construct } from 'constructs';
import { CheckDefinition } from './_check';
import { PolicyMode, ZeroTrustPolicy } from './policy-options';
import { Layer } from '../intent/intent-graph';

/** What an engine renderer reads from the pack (the pack implements it; renderers own their objects). */
export interface PackView {
  /** The namespaces the pack does not police. */
  readonly systemNamespaces: string[];
  /** The namespace of the policy engine. */
  readonly engineNamespace: string;
  /** The mode of a policy. */
  modeOf(policy: ZeroTrustPolicy): PolicyMode;
  /** The static parameters of a check (before exemptions). */
  staticParameters(check: CheckDefinition): { [name: string]: any };
  /** The parameters known at synthesis time only (exemptions, the app's images), merged over the static ones. */
  lazyParameters(check: CheckDefinition): { [name: string]: any };
  /** Where an object of `layer` goes (the layer's chart, or the pack). */
  place(layer: Layer, id: string): { scope: Construct; id: string };
}

/** The namespace-independent name of a check's objects. */
export function checkObjectName(check: CheckDefinition): string {
  return `zero-trust-${check.id}`;
}
