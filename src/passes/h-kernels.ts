// WebAssembly SIMD kernels of recovery over a wasm-resident Gram matrix H (each lane one sum, in the plain loops' order).
import {
  BLOCK, BR_IF, Code, F64, F64_LOAD, F64_NE, I32_AND, I32_EQZ, I32_LOAD, I32_OR, F64X2_ADD, F64X2_MUL, F64X2_NEG, F64X2_SPLAT, get, I32, I32_ADD, I32_CONST, I32_LT_U, I32_MUL, I32_SHL, END,
  LOOP, moduleBytes, set, tee, V128, V128_LOAD64_SPLAT, V128_ZERO, v128Load, v128Store, VOID, type Func,
} from '../ir/ops/wasm-asm.js';

/**
 * cand(H, q, t, out, D, i0, i1), rows i0 <= i < i1 in pairs: for the four vectors q_k (interleaved, q[j][k]),
 * a_k[i] = sum_j H[i][j] q_k[j] from 0 and b_k[i] = -t[i] + the same products; out[i] = [a_0..a_3, b_0..b_3].
 */
function cand(): Func {
  const [H, q, t, out, D, i0, i1, i, j, r0, r1, qp, Db, op, a0, h0, h1, q01, q23, p] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 22, 23, 24, 25, 26];
  // Sums of row i + rr: a01, a23, b01, b23 at a0 + 4 rr.
  const c = new Code();
  c.emit(get(D), I32_CONST, 3, I32_SHL, set(Db), get(i0), set(i), LOOP, VOID);
  c.emit(get(H), get(i), get(Db), I32_MUL, I32_ADD, tee(r0), get(Db), I32_ADD, set(r1));
  for (let rr = 0; rr < 2; rr++) {
    c.emit(V128_ZERO, set(a0 + 4 * rr), V128_ZERO, set(a0 + 4 * rr + 1));
    c.emit(get(i), I32_CONST, rr, I32_ADD, I32_CONST, 3, I32_SHL, get(t), I32_ADD, V128_LOAD64_SPLAT, F64X2_NEG, tee(a0 + 4 * rr + 2), set(a0 + 4 * rr + 3));
  }
  c.emit(I32_CONST, 0, set(j), get(q), set(qp), LOOP, VOID);
  c.emit(get(r0), get(j), I32_ADD, V128_LOAD64_SPLAT, set(h0), get(r1), get(j), I32_ADD, V128_LOAD64_SPLAT, set(h1));
  c.emit(get(qp), v128Load(), set(q01), get(qp), v128Load(16), set(q23));
  for (const [rr, h] of [[0, h0], [1, h1]] as const) {
    for (const [half, qv] of [[0, q01], [1, q23]] as const) {
      const a = a0 + 4 * rr + half;
      c.emit(get(h), get(qv), F64X2_MUL, set(p), get(a), get(p), F64X2_ADD, set(a), get(a + 2), get(p), F64X2_ADD, set(a + 2));
    }
  }
  c.emit(get(qp), I32_CONST, 32, I32_ADD, set(qp), get(j), I32_CONST, 8, I32_ADD, tee(j), get(Db), I32_LT_U, BR_IF, 0, END);
  c.emit(get(i), I32_CONST, 6, I32_SHL, get(out), I32_ADD, set(op));
  for (let k = 0; k < 8; k++) c.emit(get(op), get(a0 + k), v128Store(16 * k));
  c.emit(get(i), I32_CONST, 2, I32_ADD, tee(i), get(i1), I32_LT_U, BR_IF, 0, END);
  return { name: 'cand', params: 7, locals: [[7, I32], [13, V128]], code: c };
}

/**
 * hmul(H, nz, val, t, out, D8, n): out[i] = t[i] + sum_k H[nz[k]][i] val[k] (k ascending) for i < D8 in blocks
 * of 8; H is symmetric, so that is row i of H against the sparse vector. `t` holds the negated targets or zeros.
 */
function hmul(): Func {
  const [H, nz, val, t, out, D8, n, Db, i, k, base, kp, a0, x] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 16];
  const c = new Code();
  c.emit(I32_CONST, 0, set(i), LOOP, VOID);
  for (let r = 0; r < 4; r++) c.emit(get(t), get(i), I32_CONST, 3, I32_SHL, I32_ADD, v128Load(16 * r), set(a0 + r));
  c.emit(I32_CONST, 0, set(k), get(nz), set(kp), LOOP, VOID);
  // base = H + nz[k] * (D * 8) + i * 8: row nz[k] of H from column i (by symmetry, column nz[k] from row i).
  c.emit(get(H), get(kp), I32_LOAD, 2, 0, get(Db), I32_MUL, I32_ADD, get(i), I32_CONST, 3, I32_SHL, I32_ADD, set(base));
  c.emit(get(val), get(k), I32_CONST, 3, I32_SHL, I32_ADD, V128_LOAD64_SPLAT, set(x));
  for (let r = 0; r < 4; r++) c.emit(get(a0 + r), get(base), v128Load(16 * r), get(x), F64X2_MUL, F64X2_ADD, set(a0 + r));
  c.emit(get(kp), I32_CONST, 4, I32_ADD, set(kp), get(k), I32_CONST, 1, I32_ADD, tee(k), get(n), I32_LT_U, BR_IF, 0, END);
  for (let r = 0; r < 4; r++) c.emit(get(out), get(i), I32_CONST, 3, I32_SHL, I32_ADD, get(a0 + r), v128Store(16 * r));
  c.emit(get(i), I32_CONST, 8, I32_ADD, tee(i), get(D8), I32_LT_U, BR_IF, 0, END);
  return { name: 'hmul', params: 8, locals: [[4, I32], [5, V128]], code: c };
}

/**
 * gram4(H, x, D, groups): for each group of four patch rows x0..x3 (consecutive rows of D at x), for each i with
 * some x_k[i] != 0, H[i][j] = H[i][j] + x0[i] x0[j] + x1[i] x1[j] + x2[i] x2[j] + x3[i] x3[j] for j >= i (from
 * i rounded down to even: an extra lower-triangle entry, which finishGram overwrites).
 */
function gram4(): Func {
  const [H, x, D, groups, Db, g, xr, i, j, hrow, a0, s0, h] = [0, 1, 2, 3, 4, 5, 6, 10, 11, 12, 13, 17, 21];
  const c = new Code();
  c.emit(get(D), I32_CONST, 3, I32_SHL, set(Db), I32_CONST, 0, set(g), get(x), set(xr), LOOP, VOID);
  for (let k = 1; k < 4; k++) c.emit(get(xr + k - 1), get(Db), I32_ADD, set(xr + k));
  c.emit(I32_CONST, 0, set(i), LOOP, VOID, BLOCK, VOID);
  for (let k = 0; k < 4; k++) c.emit(get(xr + k), get(i), I32_CONST, 3, I32_SHL, I32_ADD, F64_LOAD, 3, 0, set(a0 + k));
  // Rows whose four inputs are all zero add +-0 to every entry: skip them, as the plain loop does.
  c.emit(get(a0), F64_CONST_ZERO, F64_NE, get(a0 + 1), F64_CONST_ZERO, F64_NE, I32_OR, get(a0 + 2), F64_CONST_ZERO, F64_NE, I32_OR, get(a0 + 3), F64_CONST_ZERO, F64_NE, I32_OR, I32_EQZ, BR_IF, 0);
  for (let k = 0; k < 4; k++) c.emit(get(a0 + k), F64X2_SPLAT, set(s0 + k));
  c.emit(get(H), get(i), get(Db), I32_MUL, I32_ADD, set(hrow), get(i), I32_CONST, 0x7e /* -2 */, I32_AND, I32_CONST, 3, I32_SHL, set(j), LOOP, VOID);
  c.emit(get(hrow), get(hrow), get(j), I32_ADD, v128Load(), set(h));
  for (let k = 0; k < 4; k++) c.emit(get(h), get(s0 + k), get(xr + k), get(j), I32_ADD, v128Load(), F64X2_MUL, F64X2_ADD, set(h));
  c.emit(get(j), I32_ADD, get(h), v128Store());
  c.emit(get(j), I32_CONST, 16, I32_ADD, tee(j), get(Db), I32_LT_U, BR_IF, 0, END);
  c.emit(END, get(i), I32_CONST, 1, I32_ADD, tee(i), get(D), I32_LT_U, BR_IF, 0, END);
  c.emit(get(xr + 3), get(Db), I32_ADD, set(xr), get(g), I32_CONST, 1, I32_ADD, tee(g), get(groups), I32_LT_U, BR_IF, 0, END);
  return { name: 'gram4', params: 4, locals: [[9, I32], [4, F64], [5, V128]], code: c };
}

/** f64.const 0. */
const F64_CONST_ZERO = [0x44, 0, 0, 0, 0, 0, 0, 0, 0];

/** axpy(g, h, d, nb): g[j] += d * h[j] over nb bytes (whole pairs). */
function axpy(): Func {
  const [g, h, d, nb, j, dv] = [0, 1, 2, 3, 4, 5];
  const c = new Code();
  c.emit(get(d), F64X2_SPLAT, set(dv), I32_CONST, 0, set(j), LOOP, VOID);
  c.emit(get(g), get(j), I32_ADD, get(g), get(j), I32_ADD, v128Load(), get(dv), get(h), get(j), I32_ADD, v128Load(), F64X2_MUL, F64X2_ADD, v128Store());
  c.emit(get(j), I32_CONST, 16, I32_ADD, tee(j), get(nb), I32_LT_U, BR_IF, 0, END);
  return { name: 'axpy', params: [I32, I32, F64, I32], locals: [[1, I32], [1, V128]], code: c };
}

interface Kernels {
  cand: (H: number, q: number, t: number, out: number, D: number, i0: number, i1: number) => void;
  axpy: (g: number, h: number, d: number, nb: number) => void;
  hmul: (H: number, nz: number, val: number, t: number, out: number, D8: number, n: number, Db: number) => void;
  gram4: (H: number, x: number, D: number, groups: number) => void;
  mem: WebAssembly.Memory;
}

/** Largest H kept in wasm memory (beyond it recovery stays in plain JS). */
const MAX_H_BYTES = 64 * 2 ** 20;

let kernels: Kernels | null | undefined;
/** The matrix currently copied to address 0 (H is never modified once built). */
let resident: Float64Array | undefined;

/** Layout (in doubles): H with slack for padding lanes, then g, q (4 D), t, out (8 D), nz (int32), val. */
function layout(D: number) {
  const D8 = Math.ceil(D / 8) * 8;
  const gAt = D * D + 8;
  const qAt = gAt + D8;
  const tAt = qAt + 4 * D;
  const oAt = tAt + D8;
  const nzAt = oAt + Math.max(8 * D + 16, D8);
  const valAt = nzAt + D;
  return { D8, gAt, qAt, tAt, oAt, nzAt, valAt, end: valAt + D };
}

/** The kernels with at least `bytes` of memory, or null without SIMD. */
function instance(bytes: number): Kernels | null {
  if (kernels === undefined) {
    try {
      kernels = new WebAssembly.Instance(new WebAssembly.Module(moduleBytes([cand(), axpy(), hmul(), gram4()]))).exports as unknown as Kernels;
    } catch {
      kernels = null;
    }
  }
  if (!kernels) return null;
  const have = kernels.mem.buffer.byteLength;
  if (have < bytes) kernels.mem.grow(Math.ceil((bytes - have) / 65536));
  return kernels;
}

/** The kernels with `H` resident, or null (no SIMD, or H too large). */
function withH(H: Float64Array, D: number): Kernels | null {
  const k = D < 4 || D * D * 8 > MAX_H_BYTES ? null : instance(layout(D).end * 8);
  if (k && resident !== H) {
    const f = new Float64Array(k.mem.buffer);
    f.set(H, 0);
    f.fill(0, D * D, D * D + 8);
    resident = H;
  }
  return k;
}

/**
 * hw[k] = H q_k and grad[k] = H q_k - t (each entry summed over j ascending, grad from -t_i) for the four
 * vectors q_k; false if the kernels are unavailable for this H.
 */
export function candidateSums(H: Float64Array, D: number, qs: readonly Float64Array[], t: Float64Array, hw: readonly Float64Array[], grad: readonly Float64Array[]): boolean {
  const k = withH(H, D);
  if (!k) return false;
  const { qAt, tAt, oAt } = layout(D);
  const f = new Float64Array(k.mem.buffer);
  for (let j = 0; j < D; j++) for (let s = 0; s < 4; s++) f[qAt + 4 * j + s] = qs[s]![j]!;
  f.set(t, tAt);
  f.fill(0, tAt + D, tAt + D + 2);
  const even = D & ~1;
  k.cand(0, qAt * 8, tAt * 8, oAt * 8, D, 0, even);
  for (let i = 0; i < even; i++) {
    for (let s = 0; s < 4; s++) { hw[s]![i] = f[oAt + 8 * i + s]!; grad[s]![i] = f[oAt + 8 * i + 4 + s]!; }
  }
  // An odd last row, as the plain loop sums it.
  for (let i = even; i < D; i++) {
    for (let s = 0; s < 4; s++) {
      let a = 0;
      let b = -t[i]!;
      for (let j = 0; j < D; j++) { const p = H[i * D + j]! * qs[s]![j]!; a += p; b += p; }
      hw[s]![i] = a;
      grad[s]![i] = b;
    }
  }
  return true;
}

/** A gradient vector in wasm memory beside H, updated by g += d H[i] (valid until the next call here). */
export interface ResidentGradient {
  g: Float64Array;
  addRow(i: number, d: number): void;
}

export function residentGradient(H: Float64Array, D: number): ResidentGradient | null {
  const k = withH(H, D);
  if (!k) return null;
  const { gAt } = layout(D);
  const g = new Float64Array(k.mem.buffer, gAt * 8, D);
  const nb = Math.ceil(D / 2) * 16;
  return { g, addRow: (i, d) => k.axpy(gAt * 8, i * D * 8, d, nb) };
}

/**
 * out[i] = (t ? -t[i] : 0) + sum over j in nz (ascending) of H[i][j] v[j], for every row i: the plain loop's
 * terms and order. False if the kernels are unavailable for this H.
 */
export function mulHAll(H: Float64Array, D: number, v: Float64Array, nz: Int32Array, out: Float64Array, t?: Float64Array): boolean {
  const k = withH(H, D);
  if (!k) return false;
  const { D8, tAt, oAt, nzAt, valAt } = layout(D);
  const f = new Float64Array(k.mem.buffer);
  new Int32Array(k.mem.buffer, nzAt * 8, nz.length).set(nz);
  for (let j = 0; j < nz.length; j++) f[valAt + j] = v[nz[j]!]!;
  for (let i = 0; i < D8; i++) f[tAt + i] = t && i < D ? -t[i]! : 0;
  if (nz.length) k.hmul(0, nzAt * 8, valAt * 8, tAt * 8, oAt * 8, D8, nz.length, D * 8);
  else f.set(f.subarray(tAt, tAt + D8), oAt);
  out.set(f.subarray(oAt, oAt + D));
  return true;
}

/** Groups of patch rows per gram4 call: short calls let V8 switch to the optimised tier early. */
const GRAM_GROUPS = 16;

/**
 * Adds patch rows from..to (a multiple of 4 rows) of xq [*, D] to the running Gram sums H (upper triangle) as
 * four-row sweeps, each entry's additions in row order; false if the kernels are unavailable.
 */
export function addGramRows(H: Float64Array, xq: Float64Array, D: number, from: number, to: number): boolean {
  const n = to - from;
  if (n < 4 || D < 4 || D * D * 8 > MAX_H_BYTES) return false;
  const xAt = D * D + 8;
  const k = instance((xAt + n * D + 8) * 8);
  if (!k) return false;
  resident = undefined;
  const f = new Float64Array(k.mem.buffer);
  f.set(H, 0);
  f.fill(0, D * D, xAt);
  f.set(xq.subarray(from * D, to * D), xAt);
  f.fill(0, xAt + n * D, xAt + n * D + 8);
  for (let g0 = 0; g0 < n / 4; g0 += GRAM_GROUPS) k.gram4(0, (xAt + g0 * 4 * D) * 8, D, Math.min(GRAM_GROUPS, n / 4 - g0));
  H.set(f.subarray(0, D * D));
  return true;
}
