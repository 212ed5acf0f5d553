// Blocked dot products shared by Conv, ShiftConv and ShiftGemm: out[m][p] = bias[m] + sum_t w[m][t] * x[p][t].
// Four rows times two columns per step keep eight sums in registers and load each operand once per block.

/** Weight rows of one call: rows `m0..m0+M-1` of a row-major [*, D] matrix. */
export interface DotShape {
  /** Rows (output channels) in this call. */
  M: number;
  /** Columns (output positions, or batch rows). */
  P: number;
  /** Dot length (taps). */
  D: number;
  /** Element offset of the first weight row. */
  wOff: number;
  /** Element offset of column 0, tap 0 in x. */
  xOff: number;
  /** Strides of x between columns and between taps: [D, 1] for im2row rows, [1, P] for a channel-major input. */
  sp: number;
  st: number;
}

/**
 * Float32: every partial sum is rounded to float32 after each tap, taps in order starting from the bias.
 * That is exactly the reference order of accumulating into a Float32Array (bias, then taps 0..D-1), so
 * the blocking changes speed only, never bits. Writes out[oOff + m * P + p].
 */
export function dotF32(w: Float32Array, x: Float32Array, s: DotShape, bias: Float32Array | undefined, bOff: number, out: Float32Array, oOff: number): void {
  const { M, P, D, wOff, xOff: xo, sp, st } = s;
  const fr = Math.fround;
  let m = 0;
  for (; m + 3 < M; m += 4) {
    const a0 = wOff + m * D;
    const a1 = a0 + D;
    const a2 = a1 + D;
    const a3 = a2 + D;
    const b0 = bias ? fr(bias[bOff + m]!) : 0;
    const b1 = bias ? fr(bias[bOff + m + 1]!) : 0;
    const b2 = bias ? fr(bias[bOff + m + 2]!) : 0;
    const b3 = bias ? fr(bias[bOff + m + 3]!) : 0;
    const o = oOff + m * P;
    let p = 0;
    for (; p + 1 < P; p += 2) {
      let xi = xo + p * sp;
      let s00 = b0, s01 = b0, s10 = b1, s11 = b1, s20 = b2, s21 = b2, s30 = b3, s31 = b3;
      for (let t = 0; t < D; t++) {
        const u = x[xi]!;
        const v = x[xi + sp]!;
        xi += st;
        const w0 = w[a0 + t]!;
        const w1 = w[a1 + t]!;
        const w2 = w[a2 + t]!;
        const w3 = w[a3 + t]!;
        s00 = fr(s00 + w0 * u); s01 = fr(s01 + w0 * v);
        s10 = fr(s10 + w1 * u); s11 = fr(s11 + w1 * v);
        s20 = fr(s20 + w2 * u); s21 = fr(s21 + w2 * v);
        s30 = fr(s30 + w3 * u); s31 = fr(s31 + w3 * v);
      }
      out[o + p] = s00; out[o + p + 1] = s01;
      out[o + P + p] = s10; out[o + P + p + 1] = s11;
      out[o + 2 * P + p] = s20; out[o + 2 * P + p + 1] = s21;
      out[o + 3 * P + p] = s30; out[o + 3 * P + p + 1] = s31;
    }
    for (; p < P; p++) {
      let xi = xo + p * sp;
      let s0 = b0, s1 = b1, s2 = b2, s3 = b3;
      for (let t = 0; t < D; t++, xi += st) {
        const u = x[xi]!;
        s0 = fr(s0 + w[a0 + t]! * u);
        s1 = fr(s1 + w[a1 + t]! * u);
        s2 = fr(s2 + w[a2 + t]! * u);
        s3 = fr(s3 + w[a3 + t]! * u);
      }
      out[o + p] = s0; out[o + P + p] = s1; out[o + 2 * P + p] = s2; out[o + 3 * P + p] = s3;
    }
  }
  for (; m < M; m++) {
    const a0 = wOff + m * D;
    const b0 = bias ? fr(bias[bOff + m]!) : 0;
    const o = oOff + m * P;
    let p = 0;
    // Leftover rows (all of a depthwise conv): eight columns at a time share each weight load and give
    // enough independent sums to hide the add-and-round latency.
    for (; p + 7 < P; p += 8) {
      let xi = xo + p * sp;
      let s0 = b0, s1 = b0, s2 = b0, s3 = b0, s4 = b0, s5 = b0, s6 = b0, s7 = b0;
      for (let t = 0; t < D; t++, xi += st) {
        const u = w[a0 + t]!;
        s0 = fr(s0 + u * x[xi]!);
        s1 = fr(s1 + u * x[xi + sp]!);
        s2 = fr(s2 + u * x[xi + 2 * sp]!);
        s3 = fr(s3 + u * x[xi + 3 * sp]!);
        s4 = fr(s4 + u * x[xi + 4 * sp]!);
        s5 = fr(s5 + u * x[xi + 5 * sp]!);
        s6 = fr(s6 + u * x[xi + 6 * sp]!);
        s7 = fr(s7 + u * x[xi + 7 * sp]!);
      }
      out[o + p] = s0; out[o + p + 1] = s1; out[o + p + 2] = s2; out[o + p + 3] = s3;
      out[o + p + 4] = s4; out[o + p + 5] = s5; out[o + p + 6] = s6; out[o + p + 7] = s7;
    }
    for (; p + 3 < P; p += 4) {
      let xi = xo + p * sp;
      let s0 = b0, s1 = b0, s2 = b0, s3 = b0;
      for (let t = 0; t < D; t++, xi += st) {
        const u = w[a0 + t]!;
        s0 = fr(s0 + u * x[xi]!);
        s1 = fr(s1 + u * x[xi + sp]!);
        s2 = fr(s2 + u * x[xi + 2 * sp]!);
        s3 = fr(s3 + u * x[xi + 3 * sp]!);
      }
      out[o + p] = s0; out[o + p + 1] = s1; out[o + p + 2] = s2; out[o + p + 3] = s3;
    }
    for (; p < P; p++) {
      let xi = xo + p * sp;
      let s0 = b0;
      for (let t = 0; t < D; t++, xi += st) s0 = fr(s0 + w[a0 + t]! * x[xi]!);
      out[o + p] = s0;
    }
  }
}

/**
 * Int32 with wrap-around: `(s + imul(w, x)) | 0` is exact modulo 2^32, the arithmetic of the spec
 * (docs/numerics.md), so any summation order gives the same bits. Writes acc[m * P + p].
 */
export function dotI32(w: Int32Array, x: Int32Array, s: DotShape, bias: Int32Array, bOff: number, acc: Int32Array): void {
  const { M, P, D, wOff, xOff: xo, sp, st } = s;
  const mul = Math.imul;
  let m = 0;
  for (; m + 3 < M; m += 4) {
    const a0 = wOff + m * D;
    const a1 = a0 + D;
    const a2 = a1 + D;
    const a3 = a2 + D;
    const o = m * P;
    let p = 0;
    for (; p + 1 < P; p += 2) {
      let xi = xo + p * sp;
      let s00 = 0, s01 = 0, s10 = 0, s11 = 0, s20 = 0, s21 = 0, s30 = 0, s31 = 0;
      for (let t = 0; t < D; t++) {
        const u = x[xi]!;
        const v = x[xi + sp]!;
        xi += st;
        const w0 = w[a0 + t]!;
        const w1 = w[a1 + t]!;
        const w2 = w[a2 + t]!;
        const w3 = w[a3 + t]!;
        s00 = (s00 + mul(w0, u)) | 0; s01 = (s01 + mul(w0, v)) | 0;
        s10 = (s10 + mul(w1, u)) | 0; s11 = (s11 + mul(w1, v)) | 0;
        s20 = (s20 + mul(w2, u)) | 0; s21 = (s21 + mul(w2, v)) | 0;
        s30 = (s30 + mul(w3, u)) | 0; s31 = (s31 + mul(w3, v)) | 0;
      }
      const b0 = bias[bOff + m]!, b1 = bias[bOff + m + 1]!, b2 = bias[bOff + m + 2]!, b3 = bias[bOff + m + 3]!;
      acc[o + p] = b0 + s00; acc[o + p + 1] = b0 + s01;
      acc[o + P + p] = b1 + s10; acc[o + P + p + 1] = b1 + s11;
      acc[o + 2 * P + p] = b2 + s20; acc[o + 2 * P + p + 1] = b2 + s21;
      acc[o + 3 * P + p] = b3 + s30; acc[o + 3 * P + p + 1] = b3 + s31;
    }
    for (; p < P; p++) {
      let xi = xo + p * sp;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let t = 0; t < D; t++, xi += st) {
        const u = x[xi]!;
        s0 = (s0 + mul(w[a0 + t]!, u)) | 0;
        s1 = (s1 + mul(w[a1 + t]!, u)) | 0;
        s2 = (s2 + mul(w[a2 + t]!, u)) | 0;
        s3 = (s3 + mul(w[a3 + t]!, u)) | 0;
      }
      acc[o + p] = bias[bOff + m]! + s0; acc[o + P + p] = bias[bOff + m + 1]! + s1;
      acc[o + 2 * P + p] = bias[bOff + m + 2]! + s2; acc[o + 3 * P + p] = bias[bOff + m + 3]! + s3;
    }
  }
  for (; m < M; m++) {
    const a0 = wOff + m * D;
    const o = m * P;
    const b0 = bias[bOff + m]!;
    let p = 0;
    for (; p + 3 < P; p += 4) {
      let xi = xo + p * sp;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let t = 0; t < D; t++, xi += st) {
        const u = w[a0 + t]!;
        s0 = (s0 + mul(u, x[xi]!)) | 0;
        s1 = (s1 + mul(u, x[xi + sp]!)) | 0;
        s2 = (s2 + mul(u, x[xi + 2 * sp]!)) | 0;
        s3 = (s3 + mul(u, x[xi + 3 * sp]!)) | 0;
      }
      acc[o + p] = b0 + s0; acc[o + p + 1] = b0 + s1; acc[o + p + 2] = b0 + s2; acc[o + p + 3] = b0 + s3;
    }
    for (; p < P; p++) {
      let xi = xo + p * sp;
      let s0 = 0;
      for (let t = 0; t < D; t++, xi += st) s0 = (s0 + mul(w[a0 + t]!, x[xi]!)) | 0;
      acc[o + p] = b0 + s0;
    }
  }
}
