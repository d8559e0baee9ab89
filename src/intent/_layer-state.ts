import type { IntentGraph } from './intent-graph';

/**
 * State a layer keeps per intent graph (for example which calls carry no end-user token, or
 * which workloads Cilium enforces HTTP for). The graph holds intent only and never sees this
 * state: each layer defines one `LayerState` in its own folder and finds its state through
 * the graph it renders.
 *
 * @example
 * const TOKENS = new LayerState(() => new EndUserTokens());
 * TOKENS.of(graph).issuersOf(workload);
 *
 * @internal
 */
export class LayerState<T> {
  private readonly byGraph = new WeakMap<IntentGraph, T>();

  public constructor(private readonly create: (graph: IntentGraph) => T) {}

  /** The state of `graph`, created on first use. */
  public of(graph: IntentGraph): T {
    let state = this.byGraph.get(graph);
    if (state === undefined) {
      state = this.create(graph);
      this.byGraph.set(graph, state);
    }
    return state;
  }
}
