// Shared checks and helpers of the lowered integer ops (ShiftConv, ShiftGemm, QAdd, Requantize, ...).
import { fail } from '../../diagnostics.js';
import type { DType, Tensor, TensorType } from '../tensor.js';
import { numel } from '../tensor.js';
import { SHIFT_OPERANDS, shiftInput } from '../lowered.js';
import { check, checkAttr, need, needT } from './util.js';

/** What ShiftConv and ShiftGemm kernels share: decoded weights, the narrowing operands and the output element type. */
export interface ShiftOperands {
  w: Int32Array;
  bias: Int32Array;
  rshift: Int32Array;
  /** Upper clamp per output channel. */
  hi: Int32Array;
  gain?: Int8Array;
  G: number;
  bits: number;
  actMin: number;
  outType: DType;
}

/** Output width and fused activation clamp carried by every narrowing op. */
export type ActAttrs = { bits: number; actMin: number; actMax: number };

/**
 * Attrs common to the shift-add layers: K terms per weight, B-bit shift window, output activation, and
 * optionally a per-output-channel upper clamp replacing actMax (a ReLU6 whose channels carry different fracs).
 */
export type ShiftAttrs = ActAttrs & { terms: number; shiftBits: number; channelMax?: readonly number[] };

/** Upper clamp of output channel m. */
export function clampHi(a: ShiftAttrs, m: number): number {
  return a.channelMax ? a.channelMax[m]! : a.actMax;
}

/** Largest B: codes are int8 (1 + sh <= 127) and shift amounts must stay within [0, 31]. */
export const MAX_SHIFT_BITS = 5;

export function actDtype(bits: number): DType {
  return bits === 16 ? 'int16' : 'int8';
}

export function checkAct(a: ActAttrs, where: string): void {
  checkAttr(a.bits === 8 || a.bits === 16, `bits must be 8 or 16 (got ${a.bits})`, where);
  const hi = 2 ** (a.bits - 1) - 1;
  checkAttr(Number.isInteger(a.actMin) && Number.isInteger(a.actMax) && -hi - 1 <= a.actMin && a.actMin <= a.actMax && a.actMax <= hi,
    `activation range [${a.actMin}, ${a.actMax}] is not inside the int${a.bits} range`, where);
}

/** Requantisation shifts stay within [-31, 31] so every shift amount is in [0, 31]. */
export function checkShift(r: number, what: string, where: string): void {
  checkAttr(Number.isInteger(r) && r >= -31 && r <= 31, `${what} ${r} is outside [-31, 31]`, where);
}

export function checkShiftAttrs(a: ShiftAttrs, where: string): void {
  checkAct(a, where);
  checkAttr(Number.isInteger(a.terms) && a.terms >= 1, `terms must be a positive integer (got ${a.terms})`, where);
  checkAttr(Number.isInteger(a.shiftBits) && a.shiftBits >= 0 && a.shiftBits <= MAX_SHIFT_BITS, `shiftBits must be in [0, ${MAX_SHIFT_BITS}] (got ${a.shiftBits})`, where);
}

/** Fails with SAC013 unless input k is one of the integer dtypes `allowed`. */
export function needInt(inputs: readonly (TensorType | undefined)[], k: number, allowed: readonly DType[], what: string, where: string): TensorType {
  const t = need(inputs, k, where);
  check(allowed.includes(t.dtype), `${what} must be ${allowed.join('/')}, got ${t.dtype} (the graph is not lowered to integers here)`, where);
  return t;
}

/** Checks the codes / bias / rshift (and optional gain) operands of a shift layer with M output channels and K terms. */
export function checkShiftParams(inputs: readonly (TensorType | undefined)[], a: ShiftAttrs, codesRank: number, where: string): number {
  const codes = needInt(inputs, SHIFT_OPERANDS.codes, ['int8'], 'codes', where);
  check(codes.shape.length === codesRank, `codes rank ${codes.shape.length} should be ${codesRank}`, where);
  check(codes.shape[codesRank - 1] === a.terms, `codes last dim ${codes.shape[codesRank - 1]} does not match terms ${a.terms}`, where);
  const M = codes.shape[0]!;
  for (const name of ['bias', 'rshift'] as const) {
    const t = needInt(inputs, SHIFT_OPERANDS[name], ['int32'], name, where);
    check(t.shape.length === 1 && t.shape[0] === M, `${name} shape [${t.shape}] does not match ${M} output channels`, where);
  }
  const cm = a.channelMax;
  if (cm) {
    const hi = 2 ** (a.bits - 1) - 1;
    checkAttr(cm.length === M && cm.every((v) => Number.isInteger(v) && v >= a.actMin && v <= hi), `channelMax needs ${M} integers in [actMin, ${hi}]`, where);
  }
  if (shiftInput(inputs, 'gain')) {
    const gain = needInt(inputs, SHIFT_OPERANDS.gain, ['int8'], 'gain', where);
    check(gain.shape.length === 2 && gain.shape[0] === M && gain.shape[1]! >= 1, `gain shape [${gain.shape}] should be [${M}, G]`, where);
  }
  return M;
}

/** Largest gain digit shift: digits are codes sign * (1 + j) meaning sign * (acc >> j), j in [0, 15]. */
export const MAX_GAIN_SHIFT = 15;

/** Validates gain digit codes (fails SAC012): each is 0 or sign * (1 + j) with j in [0, MAX_GAIN_SHIFT]. */
export function checkGain(gain: Tensor | undefined, where: string): void {
  if (!gain) return;
  for (let i = 0; i < gain.data.length; i++) {
    const c = gain.data[i]!;
    if (c > MAX_GAIN_SHIFT + 1 || c < -MAX_GAIN_SHIFT - 1) fail('SAC012', `gain code ${c} encodes shift ${Math.abs(c) - 1} outside [0, ${MAX_GAIN_SHIFT}]`, where);
  }
}

/**
 * The per-channel gain of docs/numerics.md: sum over the channel's G digit codes c of sign(c) * (acc >> (|c| - 1))
 * (arithmetic shifts, int32 wrap-around like the C backend; overflow.ts proves no wrap occurs).
 * Without a gain operand the accumulator passes through unchanged.
 */
export function applyGain(acc: number, gain: ArrayLike<number> | undefined, m: number, G: number): number {
  if (!gain) return acc;
  let v = 0;
  for (let j = m * G; j < (m + 1) * G; j++) {
    const c = gain[j]!;
    if (c > 0) v = (v + (acc >> (c - 1))) | 0;
    else if (c < 0) v = (v - (acc >> (-c - 1))) | 0;
  }
  return v;
}

/** Decodes |code| - 1 (the left shift) and validates it against the B-bit window (fails SAC012). */
export function checkCodes(codes: Tensor, shiftBits: number, where: string): void {
  const cd = codes.data;
  // Weights are immutable constants: once a code array passed for a window, later runs skip the scan.
  const seen = checkedCodes.get(cd);
  if (seen !== undefined && seen <= shiftBits) return;
  const maxSh = 2 ** shiftBits - 1;
  for (let i = 0; i < cd.length; i++) {
    const c = cd[i]!;
    if (c > maxSh + 1 || c < -maxSh - 1) fail('SAC012', `code ${c} encodes shift ${Math.abs(c) - 1} outside [0, ${maxSh}]`, where);
  }
  checkedCodes.set(cd, shiftBits);
}

/** Code arrays already validated, with the smallest window they were checked against. */
const checkedCodes = new WeakMap<object, number>();

/**
 * Per weight, the integer sum_k sign_k * 2^sh_k of its K terms (wrapped to int32). Because int32
 * arithmetic is exact modulo 2^32, x * w equals the shift-add sum sum_k sign_k * (x << sh_k) bit for bit,
 * so kernels may use one multiply per weight. Cached per (immutable) codes array.
 */
export function termWeights(codes: Tensor, K: number): Int32Array {
  const cd = codes.data;
  const hit = decoded.get(cd);
  if (hit) return hit;
  const w = new Int32Array(cd.length / K);
  for (let i = 0; i < w.length; i++) {
    let v = 0;
    for (let k = 0; k < K; k++) {
      const c = cd[i * K + k]!;
      if (c > 0) v = (v + (1 << (c - 1))) | 0;
      else if (c < 0) v = (v - (1 << (-c - 1))) | 0;
    }
    w[i] = v;
  }
  decoded.set(cd, w);
  return w;
}

const decoded = new WeakMap<object, Int32Array>();

/** Shift and add counts of a shift layer: every non-zero term is one shift and one add per output position. */
export function shiftTermCounts(codes: Tensor, outShape: readonly number[]): { shifts: number; adds: number } {
  const M = codes.shape[0]!;
  const outs = numel(outShape);
  const perChannel = M > 0 ? outs / M : 0;
  const cd = codes.data;
  let nz = 0;
  for (let i = 0; i < cd.length; i++) if (cd[i] !== 0) nz++;
  const applications = nz * perChannel;
  return { shifts: applications, adds: applications + outs };
}

/**
 * What ShiftConv's and ShiftGemm's kernels share: operands bias, rshift and the optional gain [M, G] (checked) with the
 * decoded weights of `codes` and each output channel's upper clamp.
 */
export function shiftOperands(a: ShiftAttrs, inputs: readonly (Tensor | undefined)[], codes: Tensor, outType: DType, where: string): ShiftOperands {
  const bias = needT(inputs, SHIFT_OPERANDS.bias).data as Int32Array;
  const rshift = needT(inputs, SHIFT_OPERANDS.rshift).data as Int32Array;
  const gain = shiftInput(inputs, 'gain');
  checkGain(gain, where);
  const hi = Int32Array.from({ length: codes.shape[0]! }, (_, m) => clampHi(a, m));
  // The reference kernels multiply by each weight's decoded integer: bit-identical to its shift-add sum.
  const w = termWeights(codes, a.terms);
  return { w, bias, rshift, hi, G: gain?.shape[1] ?? 0, bits: a.bits, actMin: a.actMin, outType, ...(gain ? { gain: gain.data as Int8Array } : {}) };
}
