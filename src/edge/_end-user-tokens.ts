import { LayerState } from '../intent/_layer-state';
import { invalid, sortedUnique } from '../intent/_validation';
import { CallIntent, IntentGraph, registerCallRule, workloadKey } from '../intent/intent-graph';
import { IMeshWorkload } from '../intent/mesh-workload';

/**
 * The edge layer's state per intent graph: which workloads verify end-user tokens (an
 * AccessProxy and its RequestAuthentication) and which of their calls carry no end-user token
 * (for example the gateway fetching JWKS on its own behalf).
 */
class EndUserTokens {
  private readonly issuersByWorkload = new Map<IMeshWorkload, string[]>();
  private readonly withoutToken = new Set<CallIntent>();

  /** Records that `workload` verifies end-user JWTs of `issuers` and forwards them. */
  public registerVerifier(workload: IMeshWorkload, issuers: string[]): void {
    this.issuersByWorkload.set(workload, sortedUnique(issuers));
  }

  /** The JWT issuers whose verified end-user tokens `workload` forwards, sorted. */
  public issuersOf(workload: IMeshWorkload): string[] {
    return [...this.issuersByWorkload.get(workload) ?? []];
  }

  /** Marks a call a token-verifying caller makes on its own behalf (no end-user token). */
  public markWithoutToken(call: CallIntent): void {
    if (Object.keys(call.requiredClaims).length > 0) {
      invalid(call.callee, 'requireClaims', call.requiredClaims, 'a call without an end-user token cannot require claims');
    }
    this.withoutToken.add(call);
  }

  /** Whether `call` carries the caller's verified end-user token. */
  public carriesToken(call: CallIntent): boolean {
    return !this.withoutToken.has(call);
  }

  /** The issuers of the verified end-user token `call` carries (empty when it carries none). */
  public issuersOfCall(call: CallIntent): string[] {
    return this.carriesToken(call) ? this.issuersOf(call.caller) : [];
  }
}

const TOKENS = new LayerState(() => new EndUserTokens());

/** The end-user token state of `graph`. @internal */
export function endUserTokens(graph: IntentGraph): EndUserTokens {
  return TOKENS.of(graph);
}

// claims can only be checked on calls from a workload that verifies end-user tokens
registerCallRule((graph, caller, callee, call) => {
  if (Object.keys(call.requiredClaims).length > 0 && TOKENS.of(graph).issuersOf(caller).length === 0) {
    invalid(callee, 'requireClaims', call.requiredClaims,
      `the caller ${workloadKey(caller)} does not verify end-user tokens, so there are no claims to check`,
      'require claims only on calls from an AccessProxy (it defines the RequestAuthentication), or drop requireClaims');
  }
});
