// AdderConv in standard ONNX ops: the window taps by Pad + strided Slice, then Sub, Abs, ReduceSum (exact integers in float32).
import type { Graph, Node } from '../../ir/graph.js';
import { ADDER_OPERANDS } from '../../ir/lowered.js';
import type { AdderConvAttrs } from '../../ir/ops/adder-conv.js';
import { as2d } from '../../ir/ops/conv.js';
import { clampHi, type ShiftAttrs } from '../../ir/ops/shift-common.js';
import type { OnnxBuilder } from './builder.js';
import { channelConst, tailPair, tailPlain, type LayerTail } from './gain.js';
import type { ExportStats } from './layers.js';
import { EXACT } from './wide.js';

/**
 * The taps as [N, G, 1, D, P] (D = C/group * KH * KW in the weights' (c, kh, kw) order, P = OH * OW): the input
 * zero-padded (padded taps read x = 0, as the interpreter's kernel), one strided Slice per kernel offset, stacked.
 */
function windowTaps(b: OnnxBuilder, a: AdderConvAttrs, x: string, xShape: readonly number[], outShape: readonly number[], stem: string): string {
  const { k, s, p, d } = as2d(a);
  const [N, C] = xShape as [number, number];
  const H = xShape.length === 4 ? xShape[2]! : 1;
  const W = xShape[xShape.length - 1]!;
  const OH = outShape.length === 4 ? outShape[2]! : 1;
  const OW = outShape[outShape.length - 1]!;
  const P = OH * OW;
  let v = xShape.length === 4 ? x : b.node('Reshape', [x, b.ints(`${stem}_x4_shape`, [N, C, H, W])], {}, `${stem}_x4`);
  if (p.some((q) => q > 0)) v = b.node('Pad', [v, b.ints(`${stem}_pads`, [0, 0, p[0]!, p[1]!, 0, 0, p[2]!, p[3]!]), b.scalar(0)], { mode: 'constant' }, `${stem}_padded`);
  const Hp = H + p[0]! + p[2]!;
  const Wp = W + p[1]! + p[3]!;
  const flat = b.ints(`${stem}_tap_shape`, [N, C, 1, P]);
  const taps: string[] = [];
  for (let kh = 0; kh < k[0]!; kh++) {
    for (let kw = 0; kw < k[1]!; kw++) {
      const h0 = kh * d[0]!;
      const w0 = kw * d[1]!;
      const whole = h0 === 0 && w0 === 0 && s[0] === 1 && s[1] === 1 && OH === Hp && OW === Wp;
      const t = whole ? v : b.node('Slice', [v, b.ints(`${stem}_t_starts`, [h0, w0]), b.ints(`${stem}_t_ends`, [h0 + (OH - 1) * s[0]! + 1, w0 + (OW - 1) * s[1]! + 1]),
        b.ints(`${stem}_t_axes`, [2, 3]), b.ints(`${stem}_t_steps`, [s[0]!, s[1]!])], {}, `${stem}_tap${kh}_${kw}`);
      taps.push(b.node('Reshape', [t, flat], {}, `${stem}_tap${kh}_${kw}_flat`));
    }
  }
  const stacked = taps.length === 1 ? taps[0]! : b.node('Concat', taps, { axis: 2 }, `${stem}_taps`);
  // [N, C, T, P] read as [N, G, C/group * T, P] is each group's taps in the weights' (c, kh, kw) row order.
  const D = (C / a.group) * k[0]! * k[1]!;
  return b.node('Reshape', [stacked, b.ints(`${stem}_taps_shape`, [N, a.group, 1, D, P])], {}, `${stem}_taps_g`);
}

/** acc = bias - sum |x - w| per output, then the shift layers' gain, requantisation and clamp (docs/numerics.md). */
export function adderLayer(b: OnnxBuilder, g: Graph, n: Node, x: string, out: string, stats: ExportStats): string {
  const a = n.op.attrs as AdderConvAttrs;
  const xv = g.values[n.inputs[ADDER_OPERANDS.x]!]!;
  const outShape = g.values[n.outputs[0]!]!.type.shape;
  const w = g.values[n.inputs[ADDER_OPERANDS.weights]!]!.data!;
  const bias = Array.from(g.values[n.inputs[ADDER_OPERANDS.bias]!]!.data!.data);
  const rs = Array.from(g.values[n.inputs[ADDER_OPERANDS.rshift]!]!.data!.data);
  const gainId = n.inputs[ADDER_OPERANDS.gain];
  const gain = gainId !== undefined && gainId >= 0 ? g.values[gainId]!.data! : undefined;
  const M = w.shape[0]!;
  const D = w.data.length / M;
  const rank = outShape.length;
  const lo = b.scalar(a.actMin);
  const hiT = channelConst(b, `${n.name}_hi`, rank, Array.from({ length: M }, (_, m) => clampHi(a as AdderConvAttrs & ShiftAttrs, m)));
  const tail: LayerTail = { gain, rshift: rs, rank, lo, hi: hiT };
  const taps = windowTaps(b, a, x, xv.type.shape, outShape, n.name);
  const wT = b.floats(`${n.name}_weight`, [1, a.group, M / a.group, D, 1], w.data);
  const dist = b.node('Abs', [b.node('Sub', [taps, wT], {}, `${n.name}_diff`)], {}, `${n.name}_dist`);
  const axis = b.ints(`${n.name}_tap_axis`, [3]);
  const back = b.ints(`${n.name}_out_shape`, [...outShape]);
  const sum = (v: string, stem: string) => b.node('Reshape', [b.node('ReduceSum', [v, axis], { keepdims: 0 }, `${stem}_g`), back], {}, stem);
  const biasT = (v: readonly number[], stem: string) => channelConst(b, stem, rank, v);
  // The accumulator's bound per channel: |bias| plus the largest |x - w| over the input's range at every tap.
  const half = xv.type.dtype === 'int16' ? 32768 : 128;
  let A = 0;
  for (let m = 0; m < M; m++) {
    let s = Math.abs(bias[m]!);
    for (let t = m * D; t < (m + 1) * D; t++) s += Math.max(w.data[t]! + half, half - 1 - w.data[t]!);
    A = Math.max(A, s);
  }
  const growth = gain ? 2 : 1;
  // Floor(v 2^-r + 0.5) is exact while |v| + 2^(r-1) < 2^24; past r = 24 the sum lies in (0, 1) and floors to 0 anyway.
  const round = Math.max(0, ...rs.map((r) => (r >= 1 && r < 24 ? 2 ** (r - 1) : 0)));
  const plain = () => tailPlain(b, n.name, b.node('Sub', [biasT(bias, `${n.name}_bias`), sum(dist, `${n.name}_sum`)], {}, `${n.name}_acc`), tail, out);
  if (A * growth + round < EXACT) return plain();
  // Past 2^24 (int16 inputs, wide windows): |x - w| = 256 dh + dl (dl in [0, 255]) and bias likewise make
  // acc = 256 (bh - sum dh) + (bl - sum dl), an exact pair whose halves stay below 2^24 for D < 2^16 taps.
  const bh = bias.map((v) => Math.floor(v / 256));
  const boundH = Math.max(...bh.map(Math.abs)) + D * 255;
  if ((boundH + 2 ** 16) * growth + Math.max(1, ...rs.map((r) => 2 ** (r - 9))) >= EXACT || 255 + D * 255 >= EXACT) {
    stats.approximate.push(n.name);
    return plain();
  }
  const dh = b.node('Floor', [b.node('Mul', [dist, b.scalar(1 / 256)], {}, `${n.name}_dh_div`)], {}, `${n.name}_dh`);
  const dl = b.node('Sub', [dist, b.node('Mul', [dh, b.scalar(256)], {}, `${n.name}_dh256`)], {}, `${n.name}_dl`);
  const H = b.node('Sub', [biasT(bh, `${n.name}_bias_hi`), sum(dh, `${n.name}_sum_hi`)], {}, `${n.name}_acc_hi`);
  const L = b.node('Sub', [biasT(bias.map((v, i) => v - 256 * bh[i]!), `${n.name}_bias_lo`), sum(dl, `${n.name}_sum_lo`)], {}, `${n.name}_acc_lo`);
  return tailPair(b, n.name, { H, L }, tail, out);
}
