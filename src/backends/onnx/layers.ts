// Lowered ops as standard ONNX ops on float32 tensors holding the integer codes (exact below 2^24), refusing the rest (SAC060).
import { atNode, fail } from '../../diagnostics.js';
import type { Graph, Node } from '../../ir/graph.js';
import { shiftConst, shiftOperand } from '../../ir/lowered.js';
import type { ConvAttrs } from '../../ir/ops/conv.js';
import type { PoolGeometry } from '../../ir/ops/pool.js';
import type { QAddAttrs } from '../../ir/ops/qadd.js';
import type { QGateMulAttrs } from '../../ir/ops/qgate-mul.js';
import type { QAveragePoolAttrs } from '../../ir/ops/qavg-pool.js';
import type { RequantizeAttrs } from '../../ir/ops/requantize.js';
import { clampHi, termWeights, type ShiftAttrs } from '../../ir/ops/shift-common.js';
import { numel } from '../../ir/tensor.js';
import type { OnnxBuilder } from './builder.js';
import { adderLayer } from './adder.js';
import { channelConst, requantise, tailPair, tailPlain, type LayerTail } from './gain.js';
import { accumulatorBound, EXACT, requantPair, splitAccumulate, splitHalves, splitWeights } from './wide.js';

/** What the export measured: shift layers whose accumulators may pass 2^24 even split in halves (float32 rounds there). */
export interface ExportStats { approximate: string[] }

const GAP_HINT = 'compile this model with --target c or --target wasm, or without the layer (docs/onnx-export.md)';

function shiftLayer(b: OnnxBuilder, g: Graph, n: Node, x: string, out: string, stats: ExportStats): string {
  const a = n.op.attrs as ShiftAttrs & Partial<ConvAttrs>;
  const codes = shiftConst(g, n, 'codes')!;
  const w = termWeights(codes, a.terms);
  const M = codes.shape[0]!;
  const wShape = codes.shape.slice(0, -1);
  const W = () => b.floats(`${n.name}_weight`, wShape, w);
  const bias = shiftConst(g, n, 'bias')!.data;
  const conv = (input: string, weights: string, bias_: string) => (n.op.kind === 'ShiftConv'
    ? b.node('Conv', [input, weights, bias_], { kernel_shape: a.kernel!, strides: a.strides!, pads: a.pads!, dilations: a.dilations!, group: a.group! }, `${n.name}_acc`)
    : b.node('Gemm', [input, weights, bias_], { transB: 1 }, `${n.name}_acc`));
  const layer = (input: string, bias_: string) => conv(input, W(), bias_);
  const rank = g.values[n.outputs[0]!]!.type.shape.length;
  const gainId = shiftOperand(n, 'gain');
  const gain = gainId >= 0 ? g.values[gainId]!.data! : undefined;
  const rs = Array.from(shiftConst(g, n, 'rshift')!.data);
  const hi = Array.from({ length: M }, (_, m) => clampHi(a, m));
  const lo = b.scalar(a.actMin);
  const hiT = channelConst(b, `${n.name}_hi`, rank, hi);
  const tail: LayerTail = { gain, rshift: rs, rank, lo, hi: hiT };
  // Exact in plain float32 when the accumulator (doubled by a gain's digits) stays below 2^24; else split in halves.
  const xMax = g.values[n.inputs[0]!]!.type.dtype === 'int16' ? 32768 : 128;
  const growth = gain ? 2 : 1;
  if (accumulatorBound(w, bias, M, xMax) * growth >= EXACT) {
    const bh = Array.from(bias, (v) => Math.floor(v / 256));
    const boundH = accumulatorBound(w, bh, M, xMax / 256 > 1 ? xMax / 256 : 1);
    const boundL = accumulatorBound(w, Array.from(bias, (v, i) => v - 256 * bh[i]!), M, 255);
    const sw = splitHalves(w);
    const sb = splitHalves(bias);
    // H's bound: the halves' carries (2^16), a gain's doubling, then requantisation's rounding constant 2^(r-9).
    const round = Math.max(1, ...rs.map((r) => 2 ** (r - 9)));
    const fitsH = (h: number) => (h + 2 ** 16) * growth + round < EXACT;
    const byInput = fitsH(boundH) && boundL < EXACT;
    const byWeights = fitsH(accumulatorBound(sw.hi, sb.hi, M, xMax)) && accumulatorBound(sw.lo, sb.lo, M, xMax) < EXACT;
    if (byInput || byWeights) {
      const p = byInput ? splitAccumulate(b, x, bias, n.name, layer) : splitWeights(b, x, w, wShape, bias, n.name, conv);
      return tailPair(b, n.name, p, tail, out);
    }
    stats.approximate.push(n.name);
  }
  return tailPlain(b, n.name, layer(x, b.floats(`${n.name}_bias`, [M], bias)), tail, out);
}

function poolAttrs(a: PoolGeometry) {
  return { kernel_shape: a.kernel, strides: a.strides, pads: a.pads, dilations: a.dilations, ceil_mode: a.ceilMode ? 1 : 0 };
}

const satLo = (bits: number) => -(2 ** (bits - 1));
const satHi = (bits: number) => 2 ** (bits - 1) - 1;

function averagePool(b: OnnxBuilder, g: Graph, n: Node, x: string, out: string): string {
  const a = n.op.attrs as QAveragePoolAttrs;
  const shape = g.values[n.inputs[0]!]!.type.shape;
  const clipped = !a.global && (a.ceilMode || (!a.countIncludePad && a.pads.some((p) => p > 0)));
  if (clipped) fail('SAC060', 'an average pool whose windows are clipped (ceil mode, or padding without count_include_pad) has no ONNX export', atNode(n.name, n.op.kind), GAP_HINT);
  let sum: string;
  if (a.global) sum = b.node('ReduceSum', [x, b.ints('spatial_axes', shape.slice(2).map((_, i) => i + 2))], { keepdims: 1 }, `${n.name}_sum`);
  else {
    // The window sum exactly: a depthwise convolution with unit weights (padded taps read 0).
    const C = shape[1]!;
    const ones = b.floats(`${n.name}_ones`, [C, 1, ...a.kernel], new Float32Array(C * numel(a.kernel)).fill(1));
    sum = b.node('Conv', [x, ones], { kernel_shape: a.kernel, strides: a.strides, pads: a.pads, dilations: a.dilations, group: C }, `${n.name}_sum`);
  }
  // csd(s) = s * Q with Q the integer the digits spell (sum of d_j 2^(D - j)).
  const D = a.digits.length - 1;
  const Q = a.digits.reduce((q, d, j) => q + d * 2 ** (D - j), 0);
  const window = a.global ? numel(shape.slice(2)) : numel(a.kernel);
  const sMax = window * 2 ** (g.values[n.inputs[0]!]!.type.dtype === 'int16' ? 15 : 7);
  const lo = b.scalar(satLo(a.bits));
  const hi = b.scalar(satHi(a.bits));
  if (sMax * Math.abs(Q) < EXACT) {
    const v = b.node('Mul', [sum, b.scalar(Q)], {}, `${n.name}_csd`);
    return requantise(b, v, b.scalar(2 ** -a.shiftOut), lo, hi, n.name, out);
  }
  // s * Q passes 2^24 (int16): s = 256 sh + sl makes (sh Q, sl Q) an exact pair.
  const sh = b.node('Floor', [b.node('Mul', [sum, b.scalar(1 / 256)], {}, `${n.name}_sh_div`)], {}, `${n.name}_sh`);
  const sl = b.node('Sub', [sum, b.node('Mul', [sh, b.scalar(256)], {}, `${n.name}_sh256`)], {}, `${n.name}_sl`);
  const p = { H: b.node('Mul', [sh, b.scalar(Q)], {}, `${n.name}_csd_hi`), L: b.node('Mul', [sl, b.scalar(Q)], {}, `${n.name}_csd_lo`) };
  const v = requantPair(b, p, Array<number>(shape[1]!).fill(a.shiftOut), shape.length, n.name);
  return b.node('Min', [b.node('Max', [v, lo], {}, `${n.name}_lo`), hi], {}, n.name, out);
}

/** Emits node n reading ONNX tensors `ins` into the tensor named `out`; returns `out`. */
export function emitNode(b: OnnxBuilder, g: Graph, n: Node, ins: readonly string[], out: string, stats: ExportStats): string {
  const x = ins[0]!;
  const a = n.op.attrs as Record<string, unknown>;
  switch (n.op.kind) {
    case 'ShiftConv':
    case 'ShiftGemm':
      return shiftLayer(b, g, n, x, out, stats);
    case 'Requantize': {
      const r = a as unknown as RequantizeAttrs;
      return requantise(b, x, b.scalar(2 ** -r.shift), b.scalar(r.actMin), b.scalar(r.actMax), n.name, out);
    }
    case 'QAdd': {
      const q = a as unknown as QAddAttrs;
      const F = Math.max(q.fracA, q.fracB);
      const v = b.node('Add', [b.node('Mul', [x, b.scalar(2 ** (F - q.fracA))], {}, `${n.name}_a`), b.node('Mul', [ins[1]!, b.scalar(2 ** (F - q.fracB))], {}, `${n.name}_b`)], {}, `${n.name}_sum`);
      return requantise(b, v, b.scalar(2 ** -(F - q.fracOut)), b.scalar(q.actMin), b.scalar(q.actMax), n.name, out);
    }
    case 'AdderConv':
      return adderLayer(b, g, n, x, out, stats);
    case 'QAveragePool':
      return averagePool(b, g, n, x, out);
    case 'Lut': {
      // The table indexed by x + 128, as a Gather on int64 indices.
      const idx = b.node('Cast', [b.node('Add', [x, b.scalar(128)], {}, `${n.name}_off`)], { to: 7 }, `${n.name}_idx`);
      return b.node('Gather', [b.floats(`${n.name}_table`, [256], a.table as number[]), idx], { axis: 0 }, n.name, out);
    }
    case 'QGateMul': {
      // The gate code c (clamped to [0, maxCode]) picks the scale 2^-(c - 1 + fracX - fracOut) from a table (0 for c = 0).
      const q = a as unknown as QGateMulAttrs;
      const table = Array.from({ length: q.maxCode + 1 }, (_, c) => (c === 0 ? 0 : 2 ** -(c - 1 + q.fracX - q.fracOut)));
      const code = b.node('Cast', [b.node('Clip', [ins[1]!, b.scalar(0), b.scalar(q.maxCode)], {}, `${n.name}_code`)], { to: 7 }, `${n.name}_idx`);
      const scale = b.node('Gather', [b.floats(`${n.name}_scales`, [table.length], table), code], { axis: 0 }, `${n.name}_scale`);
      return requantise(b, x, scale, b.scalar(q.actMin), b.scalar(q.actMax), n.name, out);
    }
    case 'Relu': return b.node('Relu', [x], {}, n.name, out);
    case 'Identity': return b.node('Identity', [x], {}, n.name, out);
    case 'MaxPool': return b.node('MaxPool', [x], poolAttrs(a as unknown as PoolGeometry), n.name, out);
    case 'GlobalMaxPool': return b.node('GlobalMaxPool', [x], {}, n.name, out);
    case 'Reshape': return b.node('Reshape', [x, b.ints(`${n.name}_shape`, a.shape as number[])], {}, n.name, out);
    case 'Transpose': return b.node('Transpose', [x], { perm: a.perm as number[] }, n.name, out);
    case 'Concat': return b.node('Concat', ins, { axis: a.axis as number }, n.name, out);
    case 'Slice': {
      const s = a as { starts: number[]; ends: number[]; axes: number[]; steps: number[] };
      return b.node('Slice', [x, b.ints(`${n.name}_starts`, s.starts), b.ints(`${n.name}_ends`, s.ends), b.ints(`${n.name}_axes`, s.axes), b.ints(`${n.name}_steps`, s.steps)], {}, n.name, out);
    }
    case 'Pad': {
      const p = a as { mode: string; pads: number[]; value: number };
      if (p.mode !== 'constant' || p.value !== 0) fail('SAC060', `Pad mode '${p.mode}' value ${p.value} has no ONNX export (constant zero padding only)`, atNode(n.name, n.op.kind), GAP_HINT);
      return b.node('Pad', [x, b.ints(`${n.name}_pads`, p.pads), b.scalar(0)], { mode: 'constant' }, n.name, out);
    }
    default:
      // QLrn (its chain of tables) has no standard-op form written yet.
      return fail('SAC060', `op ${n.op.kind} has no ONNX export yet`, atNode(n.name, n.op.kind), GAP_HINT);
  }
}
