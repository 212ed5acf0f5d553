// Conversion report rows of the adder layers (AdderConv): weights, SQNR vs float, subtractions, absolute values, adds, shifts, storage.
import type { Graph } from './ir/graph.js';
import { ADDER_OPERANDS } from './ir/lowered.js';
import { adderConvCounts } from './ir/ops/adder-conv.js';

export interface AdderLayerReport {
  name: string;
  op: string;
  weights: number;
  sqnrDb: number | null;
  /** Per inference: x - w per tap and output, |x - w| as many, adds (accumulation, bias, gain digits), shifts (gain digits, requantisation). */
  subs: number;
  abs: number;
  adds: number;
  shifts: number;
  /** Weights at the input's width, plus per channel an int32 bias, an 8-bit shift and the gain digits. */
  weightBits: number;
}

/** `sqnrOf(value)`: the layer output's SQNR against float (report.ts measures it like the shift layers'), or null. */
export function adderLayers(g: Graph, sqnrOf: (value: string) => number | null): AdderLayerReport[] {
  const rows: AdderLayerReport[] = [];
  for (const n of g.nodes) {
    if (n.op.kind !== 'AdderConv') continue;
    const w = g.values[n.inputs[ADDER_OPERANDS.weights]!]!;
    const out = g.values[n.outputs[0]!]!;
    const gid = n.inputs[ADDER_OPERANDS.gain];
    const gain = gid !== undefined && gid >= 0 ? g.values[gid]!.data! : undefined;
    let digits = 0;
    if (gain) for (const d of gain.data) if (d !== 0) digits++;
    const M = w.type.shape[0]!;
    const per = out.type.shape.reduce((p, q) => p * q, 1) / M;
    const c = adderConvCounts(w.type, out.type.shape);
    rows.push({
      name: n.name, op: n.op.kind, weights: w.data!.data.length,
      sqnrDb: sqnrOf(out.name),
      subs: c.subs, abs: c.abs, adds: c.adds + digits * per, shifts: digits * per + M * per,
      weightBits: w.data!.data.length * (w.type.dtype === 'int16' ? 16 : 8) + M * (32 + 8) + (gain ? gain.data.length * 8 : 0),
    });
  }
  return rows;
}
