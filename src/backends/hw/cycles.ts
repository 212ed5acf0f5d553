// Cycles of one layer on the reference engine (hw/sa_engine.v) with P lanes: exact, the testbench's count is held to it.
import type { Graph, Node } from '../../ir/graph.js';
import { numel } from '../../ir/tensor.js';

/** Loading a 40-word program record (one read a cycle, registered) and dispatching it. */
export const RECORD_CYCLES = 42;
/** The cycle `start` is seen, plus the end record the program stops on. */
export const PROGRAM_CYCLES = 1 + RECORD_CYCLES;

/**
 * Shift layers: per conv group, per group of P channels and per output position, one cycle per tap (all K terms of
 * a weight in every lane at once: P x K shifters and adders), 2 cycles to drain the read pipeline, then 4 per used
 * lane (read its bias, shift, gain and clamp; bias and gain; requantise, clamp and write: a two-stage output path). Pools run the same loop with one lane; average
 * pooling then spends a cycle per CSD digit of its 1/N.
 * Elementwise ops take 4 cycles an element (QAdd and Lut 6: a second read), the last one a pipeline stage. Every record costs RECORD_CYCLES.
 */
export function layerCycles(g: Graph, n: Node, lanes: number, alias: boolean): number {
  if (alias) return 0;
  const out = g.values[n.outputs[0]!]!;
  const outs = numel(out.type.shape);
  const a = n.op.attrs as Record<string, unknown>;
  switch (n.op.kind) {
    case 'ShiftConv':
    case 'ShiftGemm':
    case 'AdderConv': {
      // An adder layer runs the shift layers' loop: one cycle per tap, padded taps included (they count |0 - w|).
      const codes = g.values[n.inputs[1]!]!.data!;
      const M = codes.shape[0]!;
      const D = numel(codes.shape) / (M * (n.op.kind === 'AdderConv' ? 1 : (a.terms as number)));
      const groups = (a.group as number | undefined) ?? 1;
      const mPerG = M / groups;
      let perPosition = 0;
      for (let q = 0; q < mPerG; q += lanes) perPosition += D + 2 + 4 * Math.min(lanes, mPerG - q);
      return RECORD_CYCLES + (outs / M) * groups * perPosition;
    }
    case 'MaxPool':
    case 'GlobalMaxPool':
    case 'QAveragePool': {
      const x = g.values[n.inputs[0]!]!.type.shape;
      const window = n.op.kind === 'GlobalMaxPool' || a.global ? numel(x.slice(2)) : numel(a.kernel as number[]);
      // Average pooling adds its CSD multiply by 1/N, one digit a cycle.
      const csd = n.op.kind === 'QAveragePool' ? (a.digits as number[]).length : 0;
      return RECORD_CYCLES + outs * (window + 6 + csd);
    }
    case 'QAdd':
    case 'Lut':
      return RECORD_CYCLES + 6 * outs;
    case 'Concat':
      return n.inputs.length * RECORD_CYCLES + 4 * outs;
    default:
      return RECORD_CYCLES + 4 * outs;
  }
}
