// Compile-time int32 overflow proof of docs/numerics.md: every accumulator's worst case must fit, else SAC050.
import { atNode, fail } from '../diagnostics.js';
import type { Graph, Node } from './graph.js';
import type { Tensor } from './tensor.js';
import { intBits } from './fixed-point.js';
import { ADDER_OPERANDS, SHIFT_OPERANDS, shiftOperand } from './lowered.js';
import { qaddShifts } from './ops/qadd.js';
import { qavgWindow, reciprocalDigits } from './ops/qavg-pool.js';

export interface AccumulatorReport {
  /** Node name (the source ONNX node). */
  layer: string;
  /** Largest worst-case |accumulator| over the layer's channels (bias, rounding constant and terms included). */
  worstBound: number;
  /** How many more bits the worst case could grow before overflowing int32. */
  headroomBits: number;
}

const INT32_MAX = 2 ** 31 - 1;

/** Powers of two by exponent (a table lookup instead of a pow call per weight term). */
const POW2 = Float64Array.from({ length: 160 }, (_, i) => 2 ** i);

/** The rounding constant rshr adds before shifting right. */
function roundingConst(r: number): number {
  return r > 0 ? 2 ** (r - 1) : 0;
}

/**
 * Checks every ShiftConv/ShiftGemm and AdderConv (per channel), QAdd and QAveragePool. Bounds are computed in float64,
 * exact here because every term is an integer below 2^53. Returns one report per checked node.
 */
export function checkAccumulators(g: Graph): AccumulatorReport[] {
  const reports: AccumulatorReport[] = [];
  for (const node of g.nodes) {
    const where = atNode(node.name, node.op.kind);
    let worst: number;
    switch (node.op.kind) {
      case 'ShiftConv': case 'ShiftGemm':
        worst = shiftLayerBound(g, node, node.op.attrs.shiftBits, where);
        break;
      case 'AdderConv':
        worst = adderBound(g, node, where);
        break;
      case 'QAdd': {
        const { sa, sb, r } = qaddShifts(node.op.attrs);
        const [ba, bb] = [inBits(g, node, 0, where), inBits(g, node, 1, where)];
        worst = 2 ** (ba - 1 + sa) + 2 ** (bb - 1 + sb) + roundingConst(r);
        if (worst > INT32_MAX) fail('SAC050', `aligned operands can reach ${worst} > 2^31-1 (fracs ${node.op.attrs.fracA}/${node.op.attrs.fracB} are too far apart)`, where);
        break;
      }
      case 'QAveragePool':
        worst = avgPoolBound(g, node, node.op.attrs, where);
        break;
      default:
        continue;
    }
    reports.push({ layer: node.name, worstBound: worst, headroomBits: worst > 0 ? Math.floor(Math.log2(INT32_MAX / worst)) : 31 });
  }
  return reports;
}

function inBits(g: Graph, node: Node, k: number, where: string): number {
  const v = g.values[node.inputs[k]!]!;
  const b = intBits(v.type.dtype);
  if (b !== 8 && b !== 16) fail('SAC051', `input ${k} '${v.name}' is ${v.type.dtype}, expected int8/int16`, where);
  return b;
}

function constInput(g: Graph, node: Node, k: number, where: string): Tensor {
  const v = g.values[node.inputs[k]!]!;
  return v.data ?? fail('SAC014', `input ${k} '${v.name}' of a shift layer must be a constant`, where);
}

/** Per channel: |bias| + sum over terms of 2^(bits_in - 1) * 2^sh, through the gain, plus the rounding constant. */
function shiftLayerBound(g: Graph, node: Node, shiftBits: number, where: string): number {
  const bits = inBits(g, node, SHIFT_OPERANDS.x, where);
  const codes = constInput(g, node, SHIFT_OPERANDS.codes, where);
  const bias = constInput(g, node, SHIFT_OPERANDS.bias, where).data;
  const rshift = constInput(g, node, SHIFT_OPERANDS.rshift, where).data;
  const gain = shiftOperand(node, 'gain') >= 0 ? constInput(g, node, SHIFT_OPERANDS.gain, where) : undefined;
  const M = codes.shape[0]!;
  const per = M > 0 ? codes.data.length / M : 0;
  const maxSh = Math.min(31, 2 ** shiftBits - 1);
  let worst = 0;
  for (let m = 0; m < M; m++) {
    const r = rshift[m]!;
    if (!(Number.isInteger(r) && r >= -31 && r <= 31)) fail('SAC050', `channel ${m} requantisation shift ${r} is outside [-31, 31]`, where);
    let acc = Math.abs(bias[m]!);
    for (let i = m * per; i < (m + 1) * per; i++) {
      const c = codes.data[i]!;
      if (c === 0) continue;
      const sh = Math.abs(c) - 1;
      if (sh > maxSh) fail('SAC050', `channel ${m} has shift ${sh} outside [0, ${maxSh}]`, where);
      acc += POW2[bits - 1 + sh]!;
    }
    if (acc > INT32_MAX) fail('SAC050', `channel ${m} accumulator can reach ${acc} > 2^31-1`, where);
    const bound = (gain ? gainBound(acc, gain.data, m, gain.shape[1]!) : acc) + roundingConst(r);
    if (bound > INT32_MAX) fail('SAC050', `channel ${m} gained accumulator can reach ${bound} > 2^31-1`, where);
    if (bound > worst) worst = bound;
  }
  return worst;
}

/**
 * An adder layer, per channel: |bias| + sum over taps of the largest |x - w| over the input dtype's range
 * (max(w - lo, hi - w); a padded tap reads 0, inside the range), through the gain, plus the rounding constant.
 */
function adderBound(g: Graph, node: Node, where: string): number {
  const bits = inBits(g, node, ADDER_OPERANDS.x, where);
  const w = constInput(g, node, ADDER_OPERANDS.weights, where);
  const bias = constInput(g, node, ADDER_OPERANDS.bias, where).data;
  const rshift = constInput(g, node, ADDER_OPERANDS.rshift, where).data;
  const gid = node.inputs[ADDER_OPERANDS.gain];
  const gain = gid !== undefined && gid >= 0 ? constInput(g, node, ADDER_OPERANDS.gain, where) : undefined;
  const lo = -(2 ** (bits - 1));
  const hi = 2 ** (bits - 1) - 1;
  const M = w.shape[0]!;
  const per = M > 0 ? w.data.length / M : 0;
  let worst = 0;
  for (let m = 0; m < M; m++) {
    const r = rshift[m]!;
    if (!(Number.isInteger(r) && r >= -31 && r <= 31)) fail('SAC050', `channel ${m} requantisation shift ${r} is outside [-31, 31]`, where);
    let acc = Math.abs(bias[m]!);
    for (let i = m * per; i < (m + 1) * per; i++) acc += Math.max(w.data[i]! - lo, hi - w.data[i]!);
    if (acc > INT32_MAX) fail('SAC050', `channel ${m} accumulator can reach ${acc} > 2^31-1`, where);
    const bound = (gain ? gainBound(acc, gain.data, m, gain.shape[1]!) : acc) + roundingConst(r);
    if (bound > INT32_MAX) fail('SAC050', `channel ${m} gained accumulator can reach ${bound} > 2^31-1`, where);
    if (bound > worst) worst = bound;
  }
  return worst;
}

/** Worst |sum_j d_j * (acc >> j)| for |acc| <= a: an arithmetic right shift of -a gives -ceil(a / 2^j). */
export function gainBound(a: number, gain: ArrayLike<number>, m: number, G: number): number {
  let b = 0;
  for (let j = m * G; j < (m + 1) * G; j++) if (gain[j]) b += Math.ceil(a / 2 ** (Math.abs(gain[j]!) - 1));
  return b;
}

/** Window sum times the CSD reciprocal, term by term, for every window count that can occur (1..N). */
function avgPoolBound(g: Graph, node: Node, a: Parameters<typeof qavgWindow>[0], where: string): number {
  const bits = inBits(g, node, 0, where);
  const N = qavgWindow(a, g.values[node.inputs[0]!]!.type.shape);
  const D = a.digits.length - 1;
  let worst = 0;
  // Clipped windows (no count_include_pad, ceil mode) have fewer taps; a global pool always sums all N.
  for (let n = a.global ? N : 1; n <= N; n++) {
    const digits = reciprocalDigits(n, D);
    let terms = 0;
    for (let j = 0; j <= D; j++) if (digits[j] !== 0) terms += 2 ** (D - j);
    const bound = 2 ** (bits - 1) * n * terms + roundingConst(a.shiftOut);
    if (bound > INT32_MAX) fail('SAC050', `window of ${n} int${bits} values times 1/${n} with ${D} fractional digits can reach ${bound} > 2^31-1`, where);
    if (bound > worst) worst = bound;
  }
  return worst;
}
