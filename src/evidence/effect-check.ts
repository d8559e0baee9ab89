import { Construct, IConstruct } from 'constructs';
import { Cluster } from './_cluster';
import { appManifests, checkEffect } from './_effect';
import { EVALUATED_KINDS } from './_model';
import { EffectFinding } from './effect-finding';
import { guardArgs, guardProps, staticScope } from '../intent/_guards';
import { oncePerSynthesis, trackSynthesis } from '../intent/_synthesis-memo';
import { IntentGraph } from '../intent/intent-graph';

/**
 * The context key that turns the effect check off (`false`), for apps too large to evaluate at
 * every synthesis. Set it on the app before adding constructs:
 * `app.node.setContext('cdk8s-zero-trust/effect-check', false)`.
 */
export const EFFECT_CHECK_CONTEXT = 'cdk8s-zero-trust/effect-check';

/**
 * Properties of the effect check.
 */
export interface EffectCheckProps {
  /**
   * Whether synthesis fails when the objects' effect differs from the intent graph.
   *
   * @default - true, unless the context key `cdk8s-zero-trust/effect-check` is `false`
   */
  readonly enabled?: boolean;
}

const CHECKS = new WeakMap<IConstruct, EffectCheck>();

/**
 * Proves at synthesis that the synthesized objects allow exactly what the intent graph declares.
 *
 * Before any file is written, it evaluates every Kubernetes object of the app the way the
 * enforcement points do — NetworkPolicy (and Cilium, which merges NetworkPolicies with
 * CiliumNetworkPolicies, including HTTP and toFQDNs rules), Istio PeerAuthentication and
 * AuthorizationPolicy at the callee's sidecar, gateway, ztunnel or waypoint — written from the
 * upstream specifications and independent of the renderers. Any difference fails synthesis
 * with an error naming the call and the objects responsible:
 *
 * - a declared call (port, method, path, claims, headers) that some layer denies;
 * - a call the graph does not declare that every layer allows (a widened selector, a rule
 *   without ports, an extra principal);
 * - a workload that accepts calls from any pod;
 * - a callee whose mTLS is not STRICT;
 * - a declared exit that is blocked, or an exit nobody declared.
 *
 * One check exists per app, created by the first ZeroTrustNamespace. Its cost grows with the
 * number of declared calls (each is probed once per port), not with the square of the workloads.
 *
 * @example
 * // turn it off for a very large app, before adding any construct
 * const app = new App();
 * app.node.setContext('cdk8s-zero-trust/effect-check', false);
 */
export class EffectCheck extends Construct {
  /**
   * The effect check of the app `scope` belongs to, created on first use.
   */
  public static of(scope: IConstruct): EffectCheck {
    guardArgs(staticScope('EffectCheck.of'), 'EffectCheck', 'of', [scope]);
    const root = scope.node.root;
    return CHECKS.get(root) ?? new EffectCheck(root as Construct, 'EffectCheck');
  }

  /**
   * The effect check of the app `scope` belongs to, if one exists (never creates one).
   *
   * @internal
   */
  public static _tryOf(scope: IConstruct): EffectCheck | undefined {
    return CHECKS.get(scope.node.root);
  }

  /** Whether the check runs at synthesis. */
  public readonly enabled: boolean;

  public constructor(scope: Construct, id: string, props: EffectCheckProps = {}) {
    super(scope, id);
    guardProps(this, 'EffectCheck', props);
    const root = scope.node.root;
    const existing = CHECKS.get(root);
    if (existing) {
      throw new Error(`[${this.node.path}] an app has one EffectCheck and ${existing.node.path} already exists; define it before any ZeroTrustNamespace, or use EffectCheck.of(scope)`);
    }
    CHECKS.set(root, this);
    this.enabled = props.enabled ?? String(this.node.tryGetContext(EFFECT_CHECK_CONTEXT)) !== 'false';
    // once per synthesis: cdk8s validates the app again for every chart it renders
    trackSynthesis(this);
    this.node.addValidation({
      validate: () => (this.enabled ? this._findings().map(f => `effect differs from intent (${f.kind}): ${f.message}`) : []),
    });
  }

  /**
   * Every difference between the app's objects and its intent graph (empty when the objects
   * allow exactly the declared calls and exits).
   */
  public differences(): EffectFinding[] {
    const manifests = appManifests(this, EVALUATED_KINDS);
    return checkEffect(IntentGraph.of(this), manifests, new Cluster(manifests, IntentGraph.of(this).trustDomain));
  }

  /**
   * `differences()`, computed once per synthesis (the validation and the evidence share it).
   *
   * @internal
   */
  public _findings(): EffectFinding[] {
    return oncePerSynthesis(this, `${this.node.path}#findings`, () => this.differences());
  }
}
