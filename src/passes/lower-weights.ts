// Lowering of weight layers (Conv, Gemm, MatMul with constant weights) to ShiftConv / ShiftGemm.
import type { Node } from '../ir/graph.js';
import { shiftParams } from '../ir/lowered.js';
import { tensor, type Tensor } from '../ir/tensor.js';
import { opTraits } from '../ir/registry.js';
import { activationRange, emitLowered, type LowerContext, type RuleContext, type Samples, type WeightLoweringStrategy, type WeightMatrix } from './lower-context.js';
import { MAX_RECOVER_D, recoverRows, type TermSpec } from './recover.js';
import { assembleLayer, greedyLogRow, maxExponent, type RowCodes } from './shift-layer.js';

/** Why lowerWeightLayer cannot take `n`, from the float graph alone (lower-to-shift and the check share it). */
function checkWeightLayer(s: RuleContext, n: Node): string | undefined {
  const w = s.g.values[n.inputs[1]!]!;
  if (!w.data) return 'weights must be constant';
  const biasId = n.inputs[2];
  const b = biasId !== undefined && biasId >= 0 ? s.g.values[biasId]! : undefined;
  if (b && !b.data) return 'bias must be constant';
  if (n.op.kind === 'Conv') return undefined;
  const a = n.op.kind === 'Gemm' ? n.op.attrs : { transB: false, transA: false };
  if (a.transA) return 'transA is not lowered';
  if (w.type.shape.length !== 2) return `weights of rank ${w.type.shape.length}: only matrix weights are lowered`;
  const M = a.transB ? w.type.shape[0]! : w.type.shape[1]!;
  if (b && b.data!.data.length !== M) return `bias of ${b.data!.data.length} values does not match ${M} outputs`;
  const rank = s.g.values[n.inputs[0]!]!.type.shape.length;
  if (rank !== 2) return `input of rank ${rank}: only [N, D] inputs are lowered`;
  return undefined;
}

/** The layer as a matrix (checkWeightLayer passed: constant weights and bias of matching size). */
function asMatrix(ctx: LowerContext, n: Node): WeightMatrix {
  const w = ctx.g.values[n.inputs[1]!]!.data!;
  const biasId = n.inputs[2];
  const b = biasId !== undefined && biasId >= 0 ? ctx.g.values[biasId]!.data : undefined;
  if (n.op.kind === 'Conv') {
    const M = w.shape[0]!;
    const D = w.data.length / M;
    return { rows: rowsOf(w.data, M, D, 1), bias: biasOf(b, M, 1), groups: n.op.attrs.group, codeShape: [...w.shape] };
  }
  const a = n.op.kind === 'Gemm' ? n.op.attrs : { transA: false, transB: false, alpha: 1, beta: 1 };
  const [r0, c0] = w.shape as [number, number];
  const M = a.transB ? r0 : c0;
  const D = a.transB ? c0 : r0;
  const rows = Array.from({ length: M }, (_, m) => {
    const row = new Float64Array(D);
    for (let i = 0; i < D; i++) row[i] = a.alpha * (a.transB ? w.data[m * D + i]! : w.data[i * M + m]!);
    return row;
  });
  return { rows, bias: biasOf(b, M, a.beta), groups: 1, codeShape: [M, D] };
}

function rowsOf(data: ArrayLike<number>, M: number, D: number, scale: number): Float64Array[] {
  return Array.from({ length: M }, (_, m) => {
    const row = new Float64Array(D);
    for (let i = 0; i < D; i++) row[i] = data[m * D + i]! * scale;
    return row;
  });
}

function biasOf(b: Tensor | undefined, M: number, scale: number): Float64Array {
  const out = new Float64Array(M);
  if (b) for (let m = 0; m < M; m++) out[m] = b.data[m]! * scale;
  return out;
}

/**
 * An input with per-channel fracs holds x_c * 2^(frac + d_c): scaling weight column c by 2^-d_c makes the
 * integer dot product exact at the tensor's frac. Scales the matrix in place and returns the float input
 * samples scaled by 2^d_c, so recovery fits the scaled columns against unchanged float outputs.
 */
function absorbInputChannels(ctx: LowerContext, n: Node, mat: WeightMatrix, d: readonly number[]): Samples {
  const M = mat.rows.length;
  const D = mat.rows[0]!.length;
  const C = d.length;
  const cPerG = C / mat.groups;
  const plane = n.op.kind === 'Conv' ? D / cPerG : 1;
  mat.rows.forEach((row, m) => {
    const c0 = Math.floor(m / (M / mat.groups)) * cPerG;
    for (let i = 0; i < D; i++) row[i] = row[i]! * 2 ** -d[c0 + Math.floor(i / plane)]!;
  });
  const factor = d.map((v) => 2 ** v);
  return ctx.floatActs(n.inputs[0]!).map((t) => ({ ...t, data: scaleChannels(t.data, t.data.length / (t.shape[0]! * C), factor) }));
}

/** x with each run of `per` entries (one channel of one sample) multiplied by its channel's factor. */
function scaleChannels(x: ArrayLike<number>, per: number, factor: readonly number[]): Float32Array {
  const out = new Float32Array(x.length);
  const C = factor.length;
  for (let o = 0, c = 0; o < x.length; o += per, c = (c + 1) % C) {
    const f = factor[c]!;
    for (let i = o; i < o + per; i++) out[i] = x[i]! * f;
  }
  return out;
}

/** The layer's recovery request: a probe of its term curve, an allocated budget, or the plain per-layer average. */
function termSpec(ctx: LowerContext, n: Node, K: number, B: number): TermSpec {
  const o = ctx.user;
  const spec: TermSpec = { K, B, gain: o.channelGain };
  if (o.avgTerms !== undefined) spec.avgTerms = o.avgTerms;
  const budget = ctx.pass.termBudgets?.get(n.name);
  if (budget !== undefined) spec.budget = budget;
  if (ctx.pass.termProbe) spec.probe = ctx.pass.termProbe;
  return spec;
}

/** Width of the lowered input (bounds the accumulator in the overflow proof). */
function inBits(ctx: LowerContext, x: number): number {
  return ctx.r.b.value(x).type.dtype === 'int16' ? 16 : 8;
}

/** Today's one strategy: every weight of every weight layer as up to K signed powers of two (ShiftConv / ShiftGemm). */
export const shiftTermsLowering: WeightLoweringStrategy = {
  name: 'shift-terms',
  applies: (_s, n) => opTraits(n.op.kind).weightLayer === true,
  check: checkWeightLayer,
  lower: lowerWeightLayer,
};

function lowerWeightLayer(ctx: LowerContext, n: Node): void {
  const { r, user: o } = ctx;
  const x = r.get(n.inputs[0]!);
  const mat = asMatrix(ctx, n);
  const inChannels = r.b.value(x).quant?.channels;
  const floatIn = inChannels ? absorbInputChannels(ctx, n, mat, inChannels) : undefined;
  const act = ctx.fusedAct(n);
  const fracIn = ctx.fracOfNew(x);
  // A layer producing a model output (the logits) writes int16 with 8 more fractional bits: an int8
  // logit grid is coarse enough to flip close top-1 decisions, and the cost is one 16-bit output tensor.
  const result = (act ?? n).outputs[0]!;
  const isOutput = ctx.g.outputs.includes(result) && !ctx.g.nodes.some((c) => c.inputs.includes(result));
  const outBits = isOutput ? 16 : o.actBits;
  const fracOut = ctx.fracOfOld(result) + (isOutput && o.actBits === 8 ? 8 : 0);
  // With a term budget, K is the per-weight maximum and the budget decides how many are used.
  const K = o.avgTerms !== undefined ? Math.max(o.terms, Math.ceil(o.avgTerms)) : o.terms;
  const B = o.shiftBits;
  const M = mat.rows.length;
  const D = mat.rows[0]!.length;
  const rows: RowCodes[] = o.recover && D <= MAX_RECOVER_D
    ? recoverRows(ctx, n, mat, x, termSpec(ctx, n, K, B), floatIn)
    : mat.rows.map((w) => greedyLogRow(w, maxExponent(w), K, B));
  // Per-channel output fracs (calibrate-activations chose them; never on a model output): per-row shifts,
  // and a clamp per channel when a Clip's upper bound lands on a different integer in each channel.
  const outChannels = isOutput ? undefined : ctx.g.values[result]!.quant?.channels;
  const enc = assembleLayer(rows, mat.bias, { M, D, K, B, bits: inBits(ctx, x), fracIn, fracOut, ...(outChannels ? { outOffsets: outChannels } : {}) }, `node '${n.name}'`);
  const [actMin, actMax] = activationRange(act, fracOut, outBits);
  const channelMax = outChannels && act?.op.kind === 'Clip' ? outChannels.map((d) => activationRange(act, fracOut + d, outBits)[1]) : undefined;
  const codes = r.constant(`${n.name}/codes`, tensor('int8', [...mat.codeShape, K], enc.codes));
  const bias = r.constant(`${n.name}/bias`, tensor('int32', [M], enc.bias));
  const rshift = r.constant(`${n.name}/rshift`, tensor('int32', [M], enc.rshift));
  const common = { terms: K, shiftBits: B, bits: outBits, actMin, actMax, ...(channelMax ? { channelMax } : {}) };
  const gain = enc.gain ? r.constant(`${n.name}/gain`, tensor('int8', [M, enc.gain.length / M], enc.gain)) : undefined;
  const params = shiftParams({ x, codes, bias, rshift, ...(gain !== undefined ? { gain } : {}) });
  const outQuant = outChannels ? { frac: fracOut, channels: outChannels } : { frac: fracOut };
  if (n.op.kind === 'Conv') {
    emitLowered(ctx, n, { kind: 'ShiftConv', attrs: { ...n.op.attrs, ...common } }, params, outQuant, act);
  } else {
    emitLowered(ctx, n, { kind: 'ShiftGemm', attrs: common }, params, outQuant, act);
  }
}
