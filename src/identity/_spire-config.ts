import { Duration } from 'cdk8s';
import { IConstruct } from 'constructs';
import { invalid } from '../intent/_validation';

/**
 * A Go duration (what SPIRE and the controller manager parse): whole hours, minutes or seconds.
 * @internal
 */
export function goDuration(d: Duration): string {
  const seconds = d.toSeconds();
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

/**
 * Checks `d` is a whole number of seconds within [min, max].
 * @internal
 */
export function checkDuration(scope: IConstruct, prop: string, d: Duration, min: Duration, max: Duration, why: string): Duration {
  let seconds: number;
  try {
    seconds = d.toSeconds();
  } catch {
    invalid(scope, prop, d, 'must be a whole number of seconds (cdk8s Duration)');
  }
  if (!Number.isInteger(seconds) || seconds < min.toSeconds() || seconds > max.toSeconds()) {
    invalid(scope, prop, Number.isInteger(seconds) ? goDuration(d) : `${seconds}s`,
      `must be between ${goDuration(min)} and ${goDuration(max)}${why ? ` (${why})` : ''}`);
  }
  return d;
}

/**
 * SPIRE's config loader takes HCL, and HCL accepts JSON: plugins are a map from plugin type to a
 * list of one-entry maps (`{"DataStore": [{"sql": {"plugin_data": {...}}}]}`), exactly what the
 * hardened Helm chart renders.
 * @internal
 */
export function plugin(name: string, pluginData: { [key: string]: unknown }): Array<{ [name: string]: { plugin_data: unknown } }> {
  return [{ [name]: { plugin_data: pluginData } }];
}

/** Pretty JSON with a trailing newline. @internal */
export function renderJson(config: unknown): string {
  return `${JSON.stringify(config, undefined, 2)}\n`;
}
