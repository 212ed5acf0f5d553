// Entry points of the SIMD kernels: operands are laid out in the kernels' memory, padded to whole blocks.
import type { DotShape } from './dot-block.js';
import { CHUNK, loadKernels, reserve, ROWS } from './wasm-kernels.js';

const up = (n: number, k: number) => Math.ceil(n / k) * k;

/** The int32 weight rows currently at address 0 of the kernels' memory (the float entry points overwrite them). */
let lastW: { w?: Int32Array; off: number; M: number; D: number } = { off: 0, M: 0, D: 0 };

/**
 * acc[m * P + p] = bias[bOff + m] + sum_t w[m][t] * x[p][t] (int32 wrap-around) on the SIMD kernel: rows are
 * padded to 4 lanes with zeros (they add 0), rows and columns to the 4 x 2 block. Returns false if unavailable.
 */
export function dotI32Wasm(w: Int32Array, x: Int32Array, s: DotShape, bias: Int32Array, bOff: number, acc: Int32Array): boolean {
  const k = loadKernels();
  if (!k) return false;
  const { M, P, D, wOff, xOff, sp, st } = s;
  const D4 = up(D, 4);
  const M4 = up(M, ROWS);
  const P2 = up(P, 2);
  const xAt = M4 * D4;
  const oAt = xAt + P2 * D4;
  reserve(k, (oAt + M4 * P2) * 4);
  const h = new Int32Array(k.mem.buffer);
  // Short rows by element loops rather than set(subarray()): a view object per row adds up over small calls.
  // Weights stay in place between calls on the same rows (one layer over many samples); they are immutable.
  if (lastW.w !== w || lastW.off !== wOff || lastW.M !== M || lastW.D !== D) {
    h.fill(0, 0, xAt);
    for (let m = 0; m < M; m++) {
      const at = m * D4;
      const w0 = wOff + m * D;
      for (let t = 0; t < D; t++) h[at + t] = w[w0 + t]!;
    }
    lastW = { w, off: wOff, M, D };
  }
  h.fill(0, xAt, oAt);
  for (let p = 0; p < P; p++) {
    const at = xAt + p * D4;
    const x0 = xOff + p * sp;
    if (st === 1 && D >= 64) h.set(x.subarray(x0, x0 + D), at);
    else if (st === 1) for (let t = 0; t < D; t++) h[at + t] = x[x0 + t]!;
    else for (let t = 0; t < D; t++) h[at + t] = x[x0 + t * st]!;
  }
  for (let p0 = 0; p0 < P2; p0 += CHUNK) k.dotI32(0, (xAt + p0 * D4) * 4, (oAt + p0) * 4, M4, Math.min(CHUNK, P2 - p0), D4 * 4, P2);
  for (let m = 0; m < M; m++) {
    const b = bias[bOff + m]!;
    const src = oAt + m * P2;
    for (let p = 0; p < P; p++) acc[m * P + p] = (b + h[src + p]!) | 0;
  }
  return true;
}

/** A float dot product's input in the kernels' memory: x[t * P4 + p] for tap t at position p. */
export interface FloatDotInput {
  x: Float64Array;
  P4: number;
}

/** Reserves memory for an M x P x D float dot product and returns its (zeroed) input, or null without SIMD. */
export function floatDotInput(M: number, P: number, D: number): FloatDotInput | null {
  const k = loadKernels();
  if (!k) return null;
  const P4 = up(P, 4);
  const M4 = up(M, ROWS);
  reserve(k, (D * P4 + M4 * D + M4 + M4 * P4) * 8);
  lastW = { off: 0, M: 0, D: 0 };
  const x = new Float64Array(k.mem.buffer, 0, D * P4);
  // Padding positions are computed and dropped; zeros keep them finite (and fast).
  x.fill(0);
  return { x, P4 };
}

/**
 * out[oOff + m * P + p] = the float32 sum of bias[bOff + m] and taps 0..D-1 of w[wOff + m * D + t] * x[t][p],
 * in that order (the reference order of dot-block.ts), for the input filled after floatDotInput(M, P, D).
 */
export function floatDotRun(w: Float32Array, wOff: number, bias: Float32Array | undefined, bOff: number, out: Float32Array, oOff: number, M: number, P: number, D: number): void {
  const k = loadKernels()!;
  const P4 = up(P, 4);
  const M4 = up(M, ROWS);
  const wAt = D * P4;
  const bAt = wAt + M4 * D;
  const oAt = bAt + M4;
  const h = new Float64Array(k.mem.buffer);
  h.set(w.subarray(wOff, wOff + M * D), wAt);
  h.fill(0, wAt + M * D, bAt + M4);
  for (let m = 0; m < M; m++) h[bAt + m] = bias ? bias[bOff + m]! : 0;
  for (let p0 = 0; p0 < P4; p0 += CHUNK) k.dotF32(wAt * 8, p0 * 8, bAt * 8, (oAt + p0) * 8, M4, Math.min(CHUNK, P4 - p0), D, P4);
  for (let m = 0; m < M; m++) {
    const src = oAt + m * P4;
    const dst = oOff + m * P;
    for (let p = 0; p < P; p++) out[dst + p] = h[src + p]!;
  }
}
