// allocate-terms: spreads the --avg-terms budget over layers by a global price on relative output error.

/** How one layer's output error falls as it is given more terms (measured by a probe lowering). */
export interface TermCurve {
  /** The weight layer's node name (the key of the budgets). */
  node: string;
  /** Weights of the layer (the budget counts terms per weight). */
  weights: number;
  /** Candidate encodings: total terms and output error relative to the layer's output energy. */
  points: readonly { terms: number; err: number }[];
}

/**
 * Chooses one point per layer minimising the sum of relative output errors under the total budget
 * `avgTerms * weights`: every layer takes the point minimising err + price * terms, and the price is bisected
 * (in log space) until the total fits. Relative error is the common currency so a term goes where it removes
 * the largest share of some layer's signal, wherever that layer is. Returns term budgets by node name.
 */
export function allocateTerms(curves: readonly TermCurve[], avgTerms: number): Map<string, number> {
  const total = avgTerms * curves.reduce((s, c) => s + c.weights, 0);
  const choose = (price: number) => curves.map((c) => {
    let best = c.points[0]!;
    for (const p of c.points) if (p.err + price * p.terms < best.err + price * best.terms) best = p;
    return best;
  });
  const used = (ps: readonly { terms: number }[]) => ps.reduce((s, p) => s + p.terms, 0);
  let lo = -60;
  let hi = 10;
  let picked = choose(2 ** hi);
  // The cheapest points may still exceed the budget: then every layer keeps its own average (fallback).
  if (used(picked) > total) return new Map(curves.map((c) => [c.node, avgTerms * c.weights]));
  for (let it = 0; it < 50; it++) {
    const mid = (lo + hi) / 2;
    const ps = choose(2 ** mid);
    if (used(ps) <= total) { picked = ps; hi = mid; } else lo = mid;
  }
  return new Map(curves.map((c, i) => [c.node, picked[i]!.terms]));
}
