// Lowered ops as standard ONNX ops on float32 tensors holding the integer codes (exact below 2^24), refusing the rest (SAC060).
import { atNode, fail } from '../../diagnostics.js';
import type { Graph, Node } from '../../ir/graph.js';
import { shiftConst, shiftOperand } from '../../ir/lowered.js';
import type { ConvAttrs } from '../../ir/ops/conv.js';
import type { PoolGeometry } from '../../ir/ops/pool.js';
import type { QAddAttrs } from '../../ir/ops/qadd.js';
import type { QAveragePoolAttrs } from '../../ir/ops/qavg-pool.js';
import type { RequantizeAttrs } from '../../ir/ops/requantize.js';
import { clampHi, termWeights, type ShiftAttrs } from '../../ir/ops/shift-common.js';
import { numel } from '../../ir/tensor.js';
import type { OnnxBuilder } from './builder.js';

/** Per-channel constant shaped to broadcast over axis 1 of a rank-r tensor. */
function channelConst(b: OnnxBuilder, stem: string, rank: number, data: readonly number[]): string {
  return b.floats(stem, [1, data.length, ...Array<number>(Math.max(0, rank - 2)).fill(1)], data);
}

/**
 * requant(v, r) clamped to [lo, hi]: floor(v * 2^-r + 0.5) is rshr (round half up) for r >= 0 and the exact
 * left shift for r < 0 (v is an integer); the clamp is the saturation and the fused activation together.
 */
export function requantise(b: OnnxBuilder, v: string, scale: string, lo: string, hi: string, stem: string, out?: string): string {
  const f = b.node('Floor', [b.node('Add', [b.node('Mul', [v, scale], {}, `${stem}_scaled`), b.scalar(0.5)], {}, `${stem}_half`)], {}, `${stem}_round`);
  return b.node('Min', [b.node('Max', [f, lo], {}, `${stem}_lo`), hi], {}, stem, out);
}

function shiftLayer(b: OnnxBuilder, g: Graph, n: Node, x: string, out: string): string {
  const a = n.op.attrs as ShiftAttrs & Partial<ConvAttrs>;
  const codes = shiftConst(g, n, 'codes')!;
  const w = termWeights(codes, a.terms);
  const M = codes.shape[0]!;
  const wShape = codes.shape.slice(0, -1);
  const W = b.floats(`${n.name}_weight`, wShape, w);
  const B = b.floats(`${n.name}_bias`, [M], shiftConst(g, n, 'bias')!.data);
  const conv = n.op.kind === 'ShiftConv';
  const acc = conv
    ? b.node('Conv', [x, W, B], { kernel_shape: a.kernel!, strides: a.strides!, pads: a.pads!, dilations: a.dilations!, group: a.group! }, `${n.name}_acc`)
    : b.node('Gemm', [x, W, B], { transB: 1 }, `${n.name}_acc`);
  const rank = g.values[n.outputs[0]!]!.type.shape.length;
  let v = acc;
  const gainId = shiftOperand(n, 'gain');
  if (gainId >= 0) {
    // Per digit column: sign * floor(acc * 2^-j), the arithmetic right shift of docs/numerics.md, summed.
    const gain = g.values[gainId]!.data!;
    const G = gain.shape[1]!;
    const terms: string[] = [];
    for (let j = 0; j < G; j++) {
      const sc: number[] = [];
      const sg: number[] = [];
      for (let m = 0; m < M; m++) {
        const c = gain.data[m * G + j]!;
        sc.push(c === 0 ? 0 : 2 ** -(Math.abs(c) - 1));
        sg.push(Math.sign(c));
      }
      const fl = b.node('Floor', [b.node('Mul', [acc, channelConst(b, `${n.name}_gain${j}_scale`, rank, sc)], {}, `${n.name}_g${j}`)], {}, `${n.name}_g${j}_floor`);
      terms.push(b.node('Mul', [fl, channelConst(b, `${n.name}_gain${j}_sign`, rank, sg)], {}, `${n.name}_g${j}_term`));
    }
    v = terms.length === 1 ? terms[0]! : b.node('Sum', terms, {}, `${n.name}_gained`);
  }
  const rshift = Array.from(shiftConst(g, n, 'rshift')!.data, (r) => 2 ** -r);
  const hi = Array.from({ length: M }, (_, m) => clampHi(a, m));
  return requantise(b, v, channelConst(b, `${n.name}_rscale`, rank, rshift), b.scalar(a.actMin), channelConst(b, `${n.name}_hi`, rank, hi), n.name, out);
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
  if (clipped) fail('SAC060', 'an average pool whose windows are clipped (ceil mode, or padding without count_include_pad) has no ONNX export', atNode(n.name, n.op.kind));
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
  const v = b.node('Mul', [sum, b.scalar(Q)], {}, `${n.name}_csd`);
  return requantise(b, v, b.scalar(2 ** -a.shiftOut), b.scalar(satLo(a.bits)), b.scalar(satHi(a.bits)), n.name, out);
}

/** Emits node n reading ONNX tensors `ins` into the tensor named `out`; returns `out`. */
export function emitNode(b: OnnxBuilder, g: Graph, n: Node, ins: readonly string[], out: string): string {
  const x = ins[0]!;
  const a = n.op.attrs as Record<string, unknown>;
  switch (n.op.kind) {
    case 'ShiftConv':
    case 'ShiftGemm':
      return shiftLayer(b, g, n, x, out);
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
    case 'QAveragePool':
      return averagePool(b, g, n, x, out);
    case 'Lut': {
      // The table indexed by x + 128, as a Gather on int64 indices.
      const idx = b.node('Cast', [b.node('Add', [x, b.scalar(128)], {}, `${n.name}_off`)], { to: 7 }, `${n.name}_idx`);
      return b.node('Gather', [b.floats(`${n.name}_table`, [256], a.table as number[]), idx], { axis: 0 }, n.name, out);
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
      if (p.mode !== 'constant' || p.value !== 0) fail('SAC060', `Pad mode '${p.mode}' value ${p.value} has no ONNX export (constant zero padding only)`, atNode(n.name, n.op.kind));
      return b.node('Pad', [x, b.ints(`${n.name}_pads`, p.pads), b.scalar(0)], { mode: 'constant' }, n.name, out);
    }
    default:
      // AdderConv (sum |x - w|), QGateMul and QLrn have no exact standard-op form written yet.
      return fail('SAC060', `op ${n.op.kind} has no ONNX export (docs/onnx-export.md)`, atNode(n.name, n.op.kind));
  }
}
