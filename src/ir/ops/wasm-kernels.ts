// Hand-assembled SIMD kernels: int32 dot products and float32 conv dot products (each lane one output, in reference order).
import {
  BR_IF, Code, F32X4_DEMOTE_F64X2_ZERO, F64X2_ADD, F64X2_MUL, F64X2_PROMOTE_LOW_F32X4, get, I32, I32_ADD, I32_CONST, I32_LT_U,
  I32_MUL, I32_SHL, I32_STORE, I32X4_ADD, I32X4_MUL, i32x4ExtractLane, END, LOOP, moduleBytes, set, tee, V128, V128_LOAD64_SPLAT,
  V128_ZERO, v128Load, v128Store, VOID, type Func,
} from './wasm-asm.js';

/**
 * Columns per kernel call. Short calls let V8 switch to the optimised tier early (a running wasm call keeps
 * its baseline code), and a chunk of x stays in cache while every row block passes over it.
 */
export const CHUNK = 64;

/** Block of both kernels: four weight rows against two (int) or four (float) columns keep eight v128 sums. */
export const ROWS = 4;

/**
 * dotI32(w, x, o, M, P, Db, S): o[m * S + p] = sum_t w[m][t] * x[p][t] (i32, wrapping) for m < M (a multiple of 4),
 * p < P (a multiple of 2); rows of w and x are Db bytes (a multiple of 16, zero padded); pointers in bytes.
 */
function dotI32(): Func {
  const [w, x, o, M, P, Db, S, m, p, t, xa, xb, w0, out, s0, u, v, wv] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 16, 17, 25, 26, 27];
  const c = new Code();
  c.emit(I32_CONST, 0, set(m), LOOP, VOID);
  c.emit(get(w), get(m), get(Db), I32_MUL, I32_ADD, set(w0));
  for (let r = 1; r < ROWS; r++) c.emit(get(w0 + r - 1), get(Db), I32_ADD, set(w0 + r));
  c.emit(I32_CONST, 0, set(p), LOOP, VOID);
  c.emit(get(x), get(p), get(Db), I32_MUL, I32_ADD, tee(xa), get(Db), I32_ADD, set(xb));
  for (let k = 0; k < 2 * ROWS; k++) c.emit(V128_ZERO, set(s0 + k));
  c.emit(I32_CONST, 0, set(t), LOOP, VOID);
  c.emit(get(xa), get(t), I32_ADD, v128Load(), set(u), get(xb), get(t), I32_ADD, v128Load(), set(v));
  for (let r = 0; r < ROWS; r++) {
    c.emit(get(w0 + r), get(t), I32_ADD, v128Load(), set(wv));
    c.emit(get(s0 + 2 * r), get(wv), get(u), I32X4_MUL, I32X4_ADD, set(s0 + 2 * r));
    c.emit(get(s0 + 2 * r + 1), get(wv), get(v), I32X4_MUL, I32X4_ADD, set(s0 + 2 * r + 1));
  }
  c.emit(get(t), I32_CONST, 16, I32_ADD, tee(t), get(Db), I32_LT_U, BR_IF, 0, END);
  // Horizontal sums to o + ((m + r) * S + p + col) * 4.
  for (let r = 0; r < ROWS; r++) {
    c.emit(get(m), I32_CONST, r, I32_ADD, get(S), I32_MUL, get(p), I32_ADD, I32_CONST, 2, I32_SHL, get(o), I32_ADD, set(out));
    for (let col = 0; col < 2; col++) {
      const s = s0 + 2 * r + col;
      c.emit(get(out), get(s), i32x4ExtractLane(0), get(s), i32x4ExtractLane(1), I32_ADD, get(s), i32x4ExtractLane(2), I32_ADD, get(s), i32x4ExtractLane(3), I32_ADD);
      c.emit(I32_STORE, 2, 4 * col);
    }
  }
  c.emit(get(p), I32_CONST, 2, I32_ADD, tee(p), get(P), I32_LT_U, BR_IF, 0, END);
  c.emit(get(m), I32_CONST, ROWS, I32_ADD, tee(m), get(M), I32_LT_U, BR_IF, 0, END);
  return { name: 'dotI32', params: 7, locals: [[10, I32], [11, V128]], code: c };
}

/**
 * dotF32(w, x, b, o, M, P, D, S): o[m][p] = b[m] + w[m][0] x[0][p] + ... + w[m][D-1] x[D-1][p], every partial sum
 * rounded to float32: as the scalar kernel, products and sums in float64 (a product of two float32 is exact),
 * then f32x4.demote / f64x2.promote (round to nearest float32). Operands are float64: w [M][D], b [M],
 * x [D][S] (tap-major), o [M][S]; columns p < P; M a multiple of 4, P of 4; pointers in bytes.
 */
function dotF32(): Func {
  const [w, x, b, o, M, P, D, S, m, p, t, xo, w0, out, Db, xs, s0, u, v, wv, b0] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 16, 17, 18, 19, 27, 28, 29, 30];
  const c = new Code();
  c.emit(get(D), I32_CONST, 3, I32_SHL, set(Db), get(S), I32_CONST, 3, I32_SHL, set(xs));
  c.emit(I32_CONST, 0, set(m), LOOP, VOID);
  c.emit(get(w), get(m), get(Db), I32_MUL, I32_ADD, set(w0));
  for (let r = 1; r < ROWS; r++) c.emit(get(w0 + r - 1), get(Db), I32_ADD, set(w0 + r));
  for (let r = 0; r < ROWS; r++) c.emit(get(m), I32_CONST, r, I32_ADD, I32_CONST, 3, I32_SHL, get(b), I32_ADD, V128_LOAD64_SPLAT, set(b0 + r));
  c.emit(I32_CONST, 0, set(p), LOOP, VOID);
  for (let k = 0; k < 2 * ROWS; k++) c.emit(get(b0 + (k >> 1)), set(s0 + k));
  c.emit(get(p), I32_CONST, 3, I32_SHL, get(x), I32_ADD, set(xo));
  c.emit(I32_CONST, 0, set(t), LOOP, VOID);
  c.emit(get(xo), v128Load(), set(u), get(xo), v128Load(16), set(v));
  for (let r = 0; r < ROWS; r++) {
    c.emit(get(w0 + r), get(t), I32_ADD, V128_LOAD64_SPLAT, set(wv));
    for (const [s, col] of [[s0 + 2 * r, u], [s0 + 2 * r + 1, v]] as const) {
      c.emit(get(s), get(wv), get(col), F64X2_MUL, F64X2_ADD, F32X4_DEMOTE_F64X2_ZERO, F64X2_PROMOTE_LOW_F32X4, set(s));
    }
  }
  c.emit(get(xo), get(xs), I32_ADD, set(xo));
  c.emit(get(t), I32_CONST, 8, I32_ADD, tee(t), get(Db), I32_LT_U, BR_IF, 0, END);
  for (let r = 0; r < ROWS; r++) {
    c.emit(get(m), I32_CONST, r, I32_ADD, get(S), I32_MUL, get(p), I32_ADD, I32_CONST, 3, I32_SHL, get(o), I32_ADD, set(out));
    c.emit(get(out), get(s0 + 2 * r), v128Store(0), get(out), get(s0 + 2 * r + 1), v128Store(16));
  }
  c.emit(get(p), I32_CONST, 4, I32_ADD, tee(p), get(P), I32_LT_U, BR_IF, 0, END);
  c.emit(get(m), I32_CONST, ROWS, I32_ADD, tee(m), get(M), I32_LT_U, BR_IF, 0, END);
  return { name: 'dotF32', params: 8, locals: [[11, I32], [15, V128]], code: c };
}

export interface Kernels {
  dotI32: (w: number, x: number, o: number, M: number, P: number, Db: number, S: number) => void;
  dotF32: (w: number, x: number, b: number, o: number, M: number, P: number, D: number, S: number) => void;
  mem: WebAssembly.Memory;
}

let kernels: Kernels | null | undefined;

/** The instantiated kernels, or null where WebAssembly SIMD is unavailable (callers then use plain JS). */
export function loadKernels(): Kernels | null {
  if (kernels !== undefined) return kernels;
  try {
    kernels = new WebAssembly.Instance(new WebAssembly.Module(moduleBytes([dotI32(), dotF32()]))).exports as unknown as Kernels;
  } catch {
    kernels = null;
  }
  return kernels;
}

/** Grows the kernels' memory to at least `bytes`; views must be taken after this. */
export function reserve(k: Kernels, bytes: number): void {
  const have = k.mem.buffer.byteLength;
  if (have < bytes) k.mem.grow(Math.ceil((bytes - have) / 65536));
}
