// merge-clamps: a Clip of a Relu or Clip output used nowhere else becomes one Clip (a quantised model's range after its ReLU).
import { producers, useLists, type Graph } from '../ir/graph.js';
import type { Pass } from './context.js';
import { Rewriter } from './rewriter.js';

/**
 * Imported QDQ models clamp each ReLU output again to its quantised range (Conv -> Relu -> Clip): merged, the one
 * Clip fuses into the Conv's output clamp instead of costing a Requantize pass over the tensor.
 */
export const mergeClamps: Pass = { name: 'merge-clamps', run: mergeAll };

interface Clamp { src: number; lo: number; hi: number }

function mergeAll(g: Graph): Graph {
  const prod = producers(g);
  const uses = useLists(g);
  // Clamp nodes as a range over their source (after merging into them); the merged-away producers.
  const clamp = new Map<number, Clamp>();
  const merged = new Map<number, Clamp>();
  const drop = new Set<number>();
  for (const n of g.nodes) {
    if (n.op.kind === 'Relu') clamp.set(n.id, { src: n.inputs[0]!, lo: 0, hi: Infinity });
    if (n.op.kind !== 'Clip') continue;
    const own = { src: n.inputs[0]!, lo: n.op.attrs.min, hi: n.op.attrs.max };
    const p = prod[n.inputs[0]!]!;
    const before = p >= 0 ? clamp.get(p) : undefined;
    const single = p >= 0 && uses[n.inputs[0]!]!.length === 1 && !g.outputs.includes(n.inputs[0]!);
    const lo = Math.max(before?.lo ?? -Infinity, own.lo);
    const hi = Math.min(before?.hi ?? Infinity, own.hi);
    // Disjoint ranges would clamp to a constant, which one Clip does not express: left as they are.
    if (!before || !single || !(lo <= hi)) { clamp.set(n.id, own); continue; }
    const m = { src: before.src, lo, hi };
    clamp.set(n.id, m);
    merged.set(n.id, m);
    drop.add(p);
    merged.delete(p);
  }
  if (merged.size === 0) return g;
  const r = new Rewriter(g);
  for (const n of g.nodes) {
    if (drop.has(n.id)) continue;
    const m = merged.get(n.id);
    if (m) r.emitFor(n.id, { kind: 'Clip', attrs: { min: m.lo, max: m.hi } }, [r.get(m.src)]);
    else r.copy(n.id);
  }
  return r.finish();
}
