/**
 * A difference between what the synthesized objects allow and what the intent graph declares,
 * found by the EffectCheck.
 */
export interface EffectFinding {
  /**
   * The kind of difference: `denied` (a declared call is blocked), `undeclared` (a layer lets an
   * undeclared call through), `unauthenticated` (mTLS is not STRICT), `egress-denied` (a
   * declared exit is blocked) or `egress-undeclared` (an exit nobody declared is open).
   */
  readonly kind: string;
  /** The call or exit, `<ns>/<caller> -> <ns>/<callee>:<port> <request>`. */
  readonly call: string;
  /** The objects responsible, `Kind/namespace/name`. */
  readonly objects: string[];
  /** What differs and why, for a person. */
  readonly message: string;
}
