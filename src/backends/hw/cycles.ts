// Cycle estimate of one layer on the reference engine with P lanes (output channels of a shift layer in parallel).
import type { Graph, Node } from '../../ir/graph.js';
import { numel } from '../../ir/tensor.js';

/** Cycles the engine spends after a position's last tap before its lanes write: the requantisation pipeline. */
export const PIPELINE = 2;

/**
 * Shift layers: per conv group, per group of P channels and per output position, one cycle per tap (all K terms of
 * a weight in every lane at once: P * K shifters and adders), PIPELINE cycles, then one write per used lane.
 * Pools read one tap a cycle and write once; elementwise ops stream one element (QAdd: two reads) a cycle.
 */
export function layerCycles(g: Graph, n: Node, lanes: number, alias: boolean): number {
  if (alias) return 0;
  const out = g.values[n.outputs[0]!]!;
  const outs = numel(out.type.shape);
  const a = n.op.attrs as Record<string, unknown>;
  switch (n.op.kind) {
    case 'ShiftConv':
    case 'ShiftGemm': {
      const codes = g.values[n.inputs[1]!]!.data!;
      const M = codes.shape[0]!;
      const D = numel(codes.shape) / (M * (a.terms as number));
      const groups = (a.group as number | undefined) ?? 1;
      const mPerG = M / groups;
      let perPosition = 0;
      for (let q = 0; q < mPerG; q += lanes) perPosition += D + PIPELINE + Math.min(lanes, mPerG - q);
      return (outs / M) * groups * perPosition;
    }
    case 'MaxPool':
    case 'GlobalMaxPool':
    case 'QAveragePool': {
      const x = g.values[n.inputs[0]!]!.type.shape;
      const window = n.op.kind === 'GlobalMaxPool' || a.global ? numel(x.slice(2)) : numel(a.kernel as number[]);
      return outs * (window + 1) + PIPELINE;
    }
    case 'QAdd':
      return 2 * outs + PIPELINE;
    default:
      return outs + PIPELINE;
  }
}
