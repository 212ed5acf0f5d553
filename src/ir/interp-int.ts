// Integer interpreter: the bit-exact specification backends must match, plus the float<->fixed io helpers.
import { fail } from '../diagnostics.js';
import type { Graph } from './graph.js';
import { runGraph, type Observer } from './interp-float.js';
import { sat } from './fixed-point.js';
import { checkLowered } from './lowered.js';
import { allocData, type Tensor } from './tensor.js';

/**
 * Runs a fully lowered graph. The node-by-node executor is shared with the float interpreter (it is
 * dtype-generic); this entry point first checks the graph is in the lowered dialect, failing SAC051 otherwise.
 */
export function runInteger(g: Graph, inputs: readonly Tensor[], observe?: Observer): Tensor[] {
  assertLowered(g);
  return runGraph(g, inputs, observe);
}

/** Fails SAC051 naming the first graph input or node outside the lowered dialect (src/ir/lowered.ts). */
export function assertLowered(g: Graph): void {
  checkLowered(g);
}

/** Input quantisation (outside the multiply-free core): q = sat(floor(x * 2^f + 0.5), bits) in float64. */
export function quantizeInput(x: Tensor, frac: number, bits: 8 | 16): Tensor {
  if (x.dtype !== 'float32') fail('SAC021', `quantizeInput expects float32, got ${x.dtype}`);
  const scale = 2 ** frac;
  const xd = x.data;
  const out = allocData(bits === 16 ? 'int16' : 'int8', xd.length);
  for (let i = 0; i < xd.length; i++) out[i] = sat(Math.floor(xd[i]! * scale + 0.5), bits);
  return { dtype: bits === 16 ? 'int16' : 'int8', shape: [...x.shape], data: out };
}

/** Output dequantisation: real = q * 2^-f, exact in float32 for int8/int16 (and int32 up to 2^24). */
export function dequantizeOutput(q: Tensor, frac: number): Tensor {
  const scale = 2 ** -frac;
  const qd = q.data;
  const out = new Float32Array(qd.length);
  for (let i = 0; i < qd.length; i++) out[i] = qd[i]! * scale;
  return { dtype: 'float32', shape: [...q.shape], data: out };
}
