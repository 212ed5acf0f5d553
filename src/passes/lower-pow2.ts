// Exact lowering of power-of-two convolutions (Conv with pow2, imported from ai.shiftaddc ShiftConv): one term per weight, no re-rounding.
import type { Node } from '../ir/graph.js';
import { shiftParams } from '../ir/lowered.js';
import { MAX_SHIFT_BITS } from '../ir/ops/shift-common.js';
import { tensor } from '../ir/tensor.js';
import { adderGain, ADDER_GAIN_DIGITS } from './lower-adder.js';
import { activationRange, emitLowered, unsupported, type LowerContext, type WeightLoweringStrategy } from './lower-context.js';
import { assembleLayer, type RowCodes } from './shift-layer.js';

/**
 * Row m is f_m * 2^(e_i) (f_m the channel's factor, 1 unless a BatchNorm was folded in): its codes hold the
 * exponents exactly in a window of 2^B (B the smallest covering every row, at most 5), f_m rides on the gain.
 * A weight more than 2^5 - 1 octaves below its row's largest cannot be held and reads 0 (it is below 2^-31 of it).
 */
function encodeRows(rows: Float64Array[], where: Node): { rows: RowCodes[]; B: number } {
  const parts = rows.map((w, m) => {
    let max = 0;
    for (const v of w) max = Math.max(max, Math.abs(v));
    if (max === 0) return { E: 0, f: 1, exps: new Int32Array(w.length).fill(1), lo: 0 };
    let E = Math.floor(Math.log2(max));
    let f = max / 2 ** E;
    // The factor stays in [0.75, 1.5]: gain digits near 1 keep their precision.
    if (f > 1.5) { E++; f /= 2; }
    const exps = new Int32Array(w.length).fill(1);
    let lo = E;
    for (let i = 0; i < w.length; i++) {
      if (w[i] === 0) continue;
      const t = Math.log2(Math.abs(w[i]!) / f);
      const e = Math.round(t);
      if (Math.abs(w[i]!) !== f * 2 ** e) unsupported(where, `channel ${m} weight ${i} (${w[i]}) is not a power of two times the channel's factor ${f * 2 ** E}`);
      exps[i] = e;
      lo = Math.min(lo, e);
    }
    return { E, f, exps, lo };
  });
  const span = Math.max(0, ...parts.map((p) => p.E - p.lo));
  const B = Math.min(MAX_SHIFT_BITS, span === 0 ? 0 : Math.ceil(Math.log2(span + 1)));
  const win = 2 ** B - 1;
  const out = parts.map((p, m): RowCodes => {
    const w = rows[m]!;
    const codes = new Int8Array(w.length);
    const wq = new Float64Array(w.length);
    for (let i = 0; i < w.length; i++) {
      const e = p.exps[i]!;
      if (w[i] === 0 || e < p.E - win) continue;
      codes[i] = Math.sign(w[i]!) * (1 + e - (p.E - win));
      wq[i] = Math.sign(w[i]!) * 2 ** e;
    }
    const g = p.f === 1 ? undefined : adderGain(p.f, ADDER_GAIN_DIGITS);
    return { E: p.E, codes, wq, biasDelta: 0, gain: g ? { codes: Int8Array.from(g.codes), value: g.value } : undefined };
  });
  return { rows: out, B };
}

function lowerPow2Conv(ctx: LowerContext, n: Node): void {
  if (n.op.kind !== 'Conv') return unsupported(n, 'not a convolution');
  const { r, user: o } = ctx;
  const x = r.get(n.inputs[0]!);
  const w = ctx.g.values[n.inputs[1]!]!.data ?? unsupported(n, 'weights must be constant');
  const biasId = n.inputs[2];
  const b = biasId !== undefined && biasId >= 0 ? ctx.g.values[biasId]!.data ?? unsupported(n, 'bias must be constant') : undefined;
  const M = w.shape[0]!;
  const D = w.data.length / M;
  const { group, kernel, strides, pads, dilations } = n.op.attrs;
  // Per-channel input fracs scale weight column c by 2^-d_c: still powers of two, so still exact.
  const inChannels = r.b.value(x).quant?.channels;
  const cPerG = w.shape[1]!;
  const taps = D / cPerG;
  const rows = Array.from({ length: M }, (_, m) => {
    const row = new Float64Array(D);
    const c0 = Math.floor(m / (M / group)) * cPerG;
    for (let i = 0; i < D; i++) row[i] = w.data[m * D + i]! * (inChannels ? 2 ** -inChannels[c0 + Math.floor(i / taps)]! : 1);
    return row;
  });
  const act = ctx.fusedAct(n);
  const result = (act ?? n).outputs[0]!;
  const isOutput = ctx.g.outputs.includes(result) && !ctx.g.nodes.some((c) => c.inputs.includes(result));
  const outBits = isOutput ? 16 : o.actBits;
  const fracOut = ctx.fracOfOld(result) + (isOutput && o.actBits === 8 ? 8 : 0);
  const outChannels = isOutput ? undefined : ctx.g.values[result]!.quant?.channels;
  const enc0 = encodeRows(rows, n);
  const bits = r.b.value(x).type.dtype === 'int16' ? 16 : 8;
  const bias = Float64Array.from({ length: M }, (_, m) => (b ? b.data[m]! : 0));
  const enc = assembleLayer(enc0.rows, bias, { M, D, K: 1, B: enc0.B, bits, fracIn: ctx.fracOfNew(x), fracOut, ...(outChannels ? { outOffsets: outChannels } : {}) }, `node '${n.name}'`);
  const [actMin, actMax] = activationRange(act, fracOut, outBits);
  const channelMax = outChannels && act?.op.kind === 'Clip' ? outChannels.map((d) => activationRange(act, fracOut + d, outBits)[1]) : undefined;
  const gain = enc.gain ? r.constant(`${n.name}/gain`, tensor('int8', [M, enc.gain.length / M], enc.gain)) : undefined;
  const params = shiftParams({
    x, codes: r.constant(`${n.name}/codes`, tensor('int8', [...w.shape, 1], enc.codes)),
    bias: r.constant(`${n.name}/bias`, tensor('int32', [M], enc.bias)), rshift: r.constant(`${n.name}/rshift`, tensor('int32', [M], enc.rshift)),
    ...(gain !== undefined ? { gain } : {}),
  });
  const attrs = { group, kernel, strides, pads, dilations, terms: 1, shiftBits: enc0.B, bits: outBits, actMin, actMax, ...(channelMax ? { channelMax } : {}) };
  emitLowered(ctx, n, { kind: 'ShiftConv', attrs }, params, outChannels ? { frac: fracOut, channels: outChannels } : { frac: fracOut }, act);
}

/** Takes the Conv layers marked pow2 before the term search would re-round them. */
export const exactPow2Lowering: WeightLoweringStrategy = {
  name: 'exact-pow2',
  applies: (_ctx, n) => n.op.kind === 'Conv' && n.op.attrs.pow2 === true,
  lower: lowerPow2Conv,
};
