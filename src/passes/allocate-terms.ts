// allocate-terms: spreads the --avg-terms budget over layers by a global price on relative output error.
import type { LayerStats } from './layer-stats.js';
import { quadratic, termsOf } from './round-descend.js';
import type { RowCodes } from './shift-layer.js';

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

/** Term prices (log2, in units of `scale`) a probe samples, cheapest encodings last. */
const PROBE_PRICES = [-24, -18, -12, -8, -5, -2, 1, 4, 8, 12];

export interface RowGroup { rows: Float64Array[]; st: LayerStats; ts: Float64Array[] }

/**
 * Samples the layer's (terms, relative output error) curve at PROBE_PRICES and returns the richest
 * encoding within `budget`, so the probe lowering continues on a network like the final one.
 */
export function probeCurve(groups: readonly RowGroup[], free: RowCodes[], quantizeAll: (mu: number) => RowCodes[], scale: number, budget: number, report: (points: { terms: number; err: number }[]) => void): RowCodes[] {
  let energy = 0;
  for (const gr of groups) gr.rows.forEach((w) => { energy += quadratic(w, gr.st.H); });
  const err = (rows: readonly RowCodes[]) => {
    let e = 0;
    let k = 0;
    for (const gr of groups) {
      gr.rows.forEach((_, j) => {
        const r = rows[k++]!;
        const g = r.gain?.value ?? 1;
        let qt = 0;
        for (let i = 0; i < r.wq.length; i++) qt += r.wq[i]! * gr.ts[j]![i]!;
        e += g * g * quadratic(r.wq, gr.st.H) - 2 * g * qt;
      });
    }
    return e / (energy || 1);
  };
  const points = [{ terms: countTermsOf(free), err: err(free) }];
  let pick = points[0]!.terms <= budget ? free : undefined;
  let last = free;
  for (const p of PROBE_PRICES) {
    last = quantizeAll(scale * 2 ** p);
    const terms = countTermsOf(last);
    points.push({ terms, err: err(last) });
    if (!pick && terms <= budget) pick = last;
  }
  report(points);
  return pick ?? last;
}

function countTermsOf(rows: readonly RowCodes[]): number {
  return rows.reduce((n, r) => n + termsOf(r), 0);
}
