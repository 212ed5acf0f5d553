// Products with a layer's Gram matrix H over the non-zero entries of a vector, in the order of the dense loops.
import { mulHAll } from '../accel/recover.js';

/** Indices j with v[j] !== 0, ascending. */
export function support(v: Float64Array): Int32Array {
  const nz = new Int32Array(v.length);
  let n = 0;
  for (let j = 0; j < v.length; j++) if (v[j] !== 0) nz[n++] = j;
  return nz.subarray(0, n);
}

/** 0, 1, ..., n - 1. */
export function allRows(n: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => i);
}

/**
 * out[i] = (t ? -t[i] : 0) + H[i][j] * v[j] summed over j in `nz` ascending, for each i in `rows`: the terms
 * and order of the plain loop that skips v's zeros, so the same bits. Four rows per sweep are four independent
 * sums sharing each load of v (one sum alone waits on the latency of every add).
 */
export function mulHRows(H: Float64Array, v: Float64Array, nz: Int32Array, rows: Int32Array, out: Float64Array, t?: Float64Array): void {
  const D = v.length;
  const n = nz.length;
  const val = new Float64Array(n);
  for (let k = 0; k < n; k++) val[k] = v[nz[k]!]!;
  const R = rows.length;
  let r = 0;
  for (; r + 3 < R; r += 4) {
    const i0 = rows[r]!, i1 = rows[r + 1]!, i2 = rows[r + 2]!, i3 = rows[r + 3]!;
    const o0 = i0 * D, o1 = i1 * D, o2 = i2 * D, o3 = i3 * D;
    let s0 = t ? -t[i0]! : 0, s1 = t ? -t[i1]! : 0, s2 = t ? -t[i2]! : 0, s3 = t ? -t[i3]! : 0;
    for (let k = 0; k < n; k++) {
      const j = nz[k]!;
      const x = val[k]!;
      s0 += H[o0 + j]! * x;
      s1 += H[o1 + j]! * x;
      s2 += H[o2 + j]! * x;
      s3 += H[o3 + j]! * x;
    }
    out[i0] = s0; out[i1] = s1; out[i2] = s2; out[i3] = s3;
  }
  for (; r < R; r++) {
    const i = rows[r]!;
    const o = i * D;
    let s = t ? -t[i]! : 0;
    for (let k = 0; k < n; k++) s += H[o + nz[k]!]! * val[k]!;
    out[i] = s;
  }
}

/**
 * H v, exact on the support of v (elsewhere 0 or H v: every use multiplies those entries by a zero of v).
 * The SIMD kernel computes all rows; the JS loops only the support's.
 */
export function mulHOnSupport(H: Float64Array, v: Float64Array): Float64Array {
  const nz = support(v);
  const hv = new Float64Array(v.length);
  if (!mulHAll(H, v.length, v, nz, hv)) mulHRows(H, v, nz, nz, hv);
  return hv;
}

/** v^T H v, summed over i ascending as v_i (H v)_i for non-zero v_i. */
export function quadraticFrom(v: Float64Array, hv: Float64Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) if (v[i] !== 0) s += v[i]! * hv[i]!;
  return s;
}
