// Lowering of the float adder layer (Adder) to AdderConv: weights on the input's grid, the per-channel affine as gain and shift.
import type { Node } from '../ir/graph.js';
import { intBits, satMax, satMin } from '../ir/fixed-point.js';
import { ADDER_OPERANDS } from '../ir/lowered.js';
import { tensor } from '../ir/tensor.js';
import { activationRange, emitLowered, unsupported, type LowerContext } from './lower-context.js';
import { GAIN_MAX_SHIFT, greedyGain } from './shift-layer.js';

/**
 * Digits of an adder layer's channel gain: its whole per-channel scale (the folded BatchNorm) rides on them, with no
 * weight rounding to hide behind, so two more than a shift layer's (relative error below 2^-7 on the tests).
 */
export const ADDER_GAIN_DIGITS = 5;
/** The gain digits of an adder layer's channel: greedyGain of the scale itself (no clamp to [0.5, 1.875] as a shift layer's). */
export function adderGain(x: number, digits = ADDER_GAIN_DIGITS): { codes: number[]; value: number } {
  return greedyGain(x, digits);
}

/**
 * Adder(x, w, scale, bias) [-> ReLU/Clip] becomes AdderConv. Per channel m the float output is
 * a_m * (-sum |x - w|) + b_m; with acc at the input's frac f_in, the output at f_out is
 * alpha_m * acc + b_m 2^f_out with alpha_m = a_m 2^(f_out - f_in) = g_m 2^-r_m, g_m the gain digits, |g_m| near 1.
 * Weights are rounded onto the input's grid and clamped to its range; a clamped weight w' = clamp(w) satisfies
 * |x - w| = |x - w'| + |w - w'| for every x in range (padded taps read 0, also in range), so the excess moves
 * into the bias exactly.
 */
export function lowerAdder(ctx: LowerContext, n: Node): void {
  if (n.op.kind !== 'Adder') return unsupported(n, 'not an adder layer');
  const { r, user: o } = ctx;
  const x = r.get(n.inputs[0]!);
  const xv = r.b.value(x);
  if (xv.quant?.channels) unsupported(n, 'an adder layer needs one fixed-point grid for its whole input (the input carries per-channel fracs)');
  const w = ctx.g.values[n.inputs[1]!]!.data ?? unsupported(n, 'weights must be constant');
  const constOf = (k: number) => {
    const id = n.inputs[k];
    return id === undefined || id < 0 ? undefined : ctx.g.values[id]!.data ?? unsupported(n, `input ${k} (${k === 2 ? 'scale' : 'bias'}) must be constant`);
  };
  const scale = constOf(2);
  const bias = constOf(3);
  const act = ctx.fusedAct(n);
  const result = (act ?? n).outputs[0]!;
  const isOutput = ctx.g.outputs.includes(result) && !ctx.g.nodes.some((c) => c.inputs.includes(result));
  const outBits = isOutput ? 16 : o.actBits;
  const fracIn = ctx.fracOfNew(x);
  const fracOut = ctx.fracOfOld(result) + (isOutput && o.actBits === 8 ? 8 : 0);
  const xb = intBits(xv.type.dtype);
  const [lo, hi] = [satMin(xb), satMax(xb)];
  const M = w.shape[0]!;
  const D = w.data.length / M;
  const wq = new Int32Array(w.data.length);
  const excess = new Float64Array(M);
  for (let i = 0; i < wq.length; i++) {
    const v = w.data[i]! * 2 ** fracIn;
    const q = Math.floor(v + 0.5);
    const c = q < lo ? lo : q > hi ? hi : q;
    wq[i] = c;
    // The unrounded distance of a clamped weight: the bias absorbs it exactly, rounded once with the rest below
    // (rounding q first cost up to half a step per clamped tap, all of one sign: pair mode's far weights showed it).
    if (c !== q) excess[Math.floor(i / D)] += Math.abs(v - c);
  }
  const G = ADDER_GAIN_DIGITS;
  const gain = new Int8Array(M * G);
  const rshift = new Int32Array(M);
  const ib = new Int32Array(M);
  for (let m = 0; m < M; m++) {
    const alpha = (scale ? scale.data[m]! : 1) * 2 ** (fracOut - fracIn);
    const b = (bias ? bias.data[m]! : 0) * 2 ** fracOut;
    let rs = alpha === 0 ? 0 : Math.min(31, Math.max(-31, Math.round(-Math.log2(Math.abs(alpha)))));
    let g = adderGain(alpha * 2 ** rs);
    // A zero scale (or one below every digit) leaves the bias alone: the smallest digit 2^-15 with r = 0 keeps it.
    if (g.value === 0) { rs = 0; g = { codes: [-(1 + GAIN_MAX_SHIFT), 0, 0, 0, 0], value: -(2 ** -GAIN_MAX_SHIFT) }; }
    gain.set(g.codes, m * G);
    rshift[m] = rs;
    const bAcc = Math.round((b * 2 ** rs) / g.value - excess[m]!);
    ib[m] = Math.max(-(2 ** 31) + 1, Math.min(2 ** 31 - 1, bAcc));
  }
  const [actMin, actMax] = activationRange(act, fracOut, outBits);
  const inputs: number[] = [];
  inputs[ADDER_OPERANDS.x] = x;
  inputs[ADDER_OPERANDS.weights] = r.constant(`${n.name}/weights`, tensor(xv.type.dtype, [...w.shape], wq));
  inputs[ADDER_OPERANDS.bias] = r.constant(`${n.name}/bias`, tensor('int32', [M], ib));
  inputs[ADDER_OPERANDS.rshift] = r.constant(`${n.name}/rshift`, tensor('int32', [M], rshift));
  inputs[ADDER_OPERANDS.gain] = r.constant(`${n.name}/gain`, tensor('int8', [M, G], gain));
  const { group, kernel, strides, pads, dilations } = n.op.attrs;
  emitLowered(ctx, n, { kind: 'AdderConv', attrs: { group, kernel, strides, pads, dilations, bits: outBits, actMin, actMax } }, inputs, { frac: fracOut }, act);
}
