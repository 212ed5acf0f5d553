// prune-weights: global magnitude pruning (--prune R) of Conv/Gemm/MatMul weights; pruned weights become exact zeros.
import type { Graph, Value } from '../ir/graph.js';
import { opTraits } from '../ir/registry.js';
import type { Pass, PassContext } from './context.js';

/**
 * Zeroes the fraction R of weights with the smallest magnitude, over all layers at once, so layers with many
 * small weights give up more. Exact zeros are kept as "no term" by lowering and recovery.
 */
export const pruneWeights: Pass = { name: 'prune-weights', run: pruneGlobally };

function pruneGlobally(g: Graph, ctx: PassContext): Graph {
  const ratio = ctx.user.prune;
  if (ratio === 0) return g;
  const ids = new Set<number>();
  for (const n of g.nodes) {
    const w = n.inputs[1];
    if (opTraits(n.op.kind).weightLayer && w !== undefined && w >= 0 && g.values[w]!.data?.dtype === 'float32') ids.add(w);
  }
  const mags: number[] = [];
  for (const id of ids) for (const v of g.values[id]!.data!.data) mags.push(Math.abs(v));
  if (mags.length === 0) return g;
  const sorted = Float64Array.from(mags).sort();
  const threshold = sorted[Math.min(sorted.length - 1, Math.floor(ratio * sorted.length))]!;
  const values = g.values.map((v): Value => {
    if (!ids.has(v.id)) return v;
    const src = v.data!.data as Float32Array;
    const data = Float32Array.from(src, (x) => (Math.abs(x) < threshold ? 0 : x));
    return { ...v, data: { ...v.data!, data } };
  });
  return { ...g, values };
}
