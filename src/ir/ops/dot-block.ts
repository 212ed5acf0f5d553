// Blocked dot products shared by Conv, ShiftConv and ShiftGemm: out[m][p] = bias[m] + sum_t w[m][t] * x[p][t].
// Tiles of positions x taps keep the operands in L1; inside a tile four rows times two columns per step
// keep eight sums in registers and load each operand once per block.

/** One call's operands: rows `wOff / D ...` of a row-major [*, D] weight matrix against P columns of x. */
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

/** Positions and taps per tile: a 32 x 128 x 4-byte tile of x is 16 KB. */
const PB = 32;
const TB = 128;

/**
 * Float32: every partial sum is rounded to float32 after each tap, taps in order starting from the bias,
 * and a tile boundary stores and reloads the float32 sum (exact). That is the reference order of
 * accumulating into a Float32Array (bias, then taps 0..D-1): blocking changes speed, never bits.
 * Writes out[oOff + m * P + p].
 */
export function dotF32(w: Float32Array, x: Float32Array, s: DotShape, bias: Float32Array | undefined, bOff: number, out: Float32Array, oOff: number): void {
  for (let m = 0; m < s.M; m++) out.fill(bias ? bias[bOff + m]! : 0, oOff + m * s.P, oOff + (m + 1) * s.P);
  for (let p0 = 0; p0 < s.P; p0 += PB) {
    for (let t0 = 0; t0 < s.D; t0 += TB) tileF32(w, x, s, out, oOff, p0, Math.min(s.P, p0 + PB), t0, Math.min(s.D, t0 + TB));
  }
}

/**
 * Int32 with wrap-around: `(s + imul(w, x)) | 0` is exact modulo 2^32, the arithmetic of the spec
 * (docs/numerics.md), so any summation order gives the same bits. Writes acc[m * P + p].
 */
export function dotI32(w: Int32Array, x: Int32Array, s: DotShape, bias: Int32Array, bOff: number, acc: Int32Array): void {
  for (let m = 0; m < s.M; m++) acc.fill(bias[bOff + m]!, m * s.P, (m + 1) * s.P);
  for (let p0 = 0; p0 < s.P; p0 += PB) {
    for (let t0 = 0; t0 < s.D; t0 += TB) tileI32(w, x, s, acc, 0, p0, Math.min(s.P, p0 + PB), t0, Math.min(s.D, t0 + TB));
  }
}

/** Adds taps t0..t1-1 of columns p0..p1-1 to the running sums in o[oOff + m * P + p]. */
function tileF32(w: Float32Array, x: Float32Array, s: DotShape, o: Float32Array, oOff: number, p0: number, p1: number, t0: number, t1: number): void {
  const { M, P, D, wOff, xOff, sp, st } = s;
  const fr = Math.fround;
  const n = t1 - t0;
  let m = 0;
  for (; m + 3 < M; m += 4) {
    const a0 = wOff + m * D + t0;
    const a1 = a0 + D;
    const a2 = a1 + D;
    const a3 = a2 + D;
    const r0 = oOff + m * P;
    const r1 = r0 + P;
    const r2 = r1 + P;
    const r3 = r2 + P;
    let p = p0;
    for (; p + 1 < p1; p += 2) {
      let xi = xOff + p * sp + t0 * st;
      let s00 = o[r0 + p]!, s01 = o[r0 + p + 1]!, s10 = o[r1 + p]!, s11 = o[r1 + p + 1]!;
      let s20 = o[r2 + p]!, s21 = o[r2 + p + 1]!, s30 = o[r3 + p]!, s31 = o[r3 + p + 1]!;
      for (let t = 0; t < n; t++, xi += st) {
        const u = x[xi]!;
        const v = x[xi + sp]!;
        const w0 = w[a0 + t]!;
        const w1 = w[a1 + t]!;
        const w2 = w[a2 + t]!;
        const w3 = w[a3 + t]!;
        s00 = fr(s00 + w0 * u); s01 = fr(s01 + w0 * v);
        s10 = fr(s10 + w1 * u); s11 = fr(s11 + w1 * v);
        s20 = fr(s20 + w2 * u); s21 = fr(s21 + w2 * v);
        s30 = fr(s30 + w3 * u); s31 = fr(s31 + w3 * v);
      }
      o[r0 + p] = s00; o[r0 + p + 1] = s01;
      o[r1 + p] = s10; o[r1 + p + 1] = s11;
      o[r2 + p] = s20; o[r2 + p + 1] = s21;
      o[r3 + p] = s30; o[r3 + p + 1] = s31;
    }
    for (; p < p1; p++) {
      let xi = xOff + p * sp + t0 * st;
      let s0 = o[r0 + p]!, s1 = o[r1 + p]!, s2 = o[r2 + p]!, s3 = o[r3 + p]!;
      for (let t = 0; t < n; t++, xi += st) {
        const u = x[xi]!;
        s0 = fr(s0 + w[a0 + t]! * u);
        s1 = fr(s1 + w[a1 + t]! * u);
        s2 = fr(s2 + w[a2 + t]! * u);
        s3 = fr(s3 + w[a3 + t]! * u);
      }
      o[r0 + p] = s0; o[r1 + p] = s1; o[r2 + p] = s2; o[r3 + p] = s3;
    }
  }
  // Leftover rows (all of a depthwise conv): four columns at a time share each weight load.
  for (; m < M; m++) {
    const a0 = wOff + m * D + t0;
    const r0 = oOff + m * P;
    let p = p0;
    for (; p + 3 < p1; p += 4) {
      let xi = xOff + p * sp + t0 * st;
      let s0 = o[r0 + p]!, s1 = o[r0 + p + 1]!, s2 = o[r0 + p + 2]!, s3 = o[r0 + p + 3]!;
      for (let t = 0; t < n; t++, xi += st) {
        const u = w[a0 + t]!;
        s0 = fr(s0 + u * x[xi]!);
        s1 = fr(s1 + u * x[xi + sp]!);
        s2 = fr(s2 + u * x[xi + 2 * sp]!);
        s3 = fr(s3 + u * x[xi + 3 * sp]!);
      }
      o[r0 + p] = s0; o[r0 + p + 1] = s1; o[r0 + p + 2] = s2; o[r0 + p + 3] = s3;
    }
    for (; p < p1; p++) {
      let xi = xOff + p * sp + t0 * st;
      let s0 = o[r0 + p]!;
      for (let t = 0; t < n; t++, xi += st) s0 = fr(s0 + w[a0 + t]! * x[xi]!);
      o[r0 + p] = s0;
    }
  }
}

/** Adds taps t0..t1-1 of columns p0..p1-1 to the running sums in o[oOff + m * P + p]. */
function tileI32(w: Int32Array, x: Int32Array, s: DotShape, o: Int32Array, oOff: number, p0: number, p1: number, t0: number, t1: number): void {
  const { M, P, D, wOff, xOff, sp, st } = s;
  const mul = Math.imul;
  const n = t1 - t0;
  let m = 0;
  for (; m + 3 < M; m += 4) {
    const a0 = wOff + m * D + t0;
    const a1 = a0 + D;
    const a2 = a1 + D;
    const a3 = a2 + D;
    const r0 = oOff + m * P;
    const r1 = r0 + P;
    const r2 = r1 + P;
    const r3 = r2 + P;
    let p = p0;
    for (; p + 1 < p1; p += 2) {
      let xi = xOff + p * sp + t0 * st;
      let s00 = 0, s01 = 0, s10 = 0, s11 = 0;
      let s20 = 0, s21 = 0, s30 = 0, s31 = 0;
      for (let t = 0; t < n; t++, xi += st) {
        const u = x[xi]!;
        const v = x[xi + sp]!;
        const w0 = w[a0 + t]!;
        const w1 = w[a1 + t]!;
        const w2 = w[a2 + t]!;
        const w3 = w[a3 + t]!;
        s00 = (s00 + mul(w0, u)) | 0; s01 = (s01 + mul(w0, v)) | 0;
        s10 = (s10 + mul(w1, u)) | 0; s11 = (s11 + mul(w1, v)) | 0;
        s20 = (s20 + mul(w2, u)) | 0; s21 = (s21 + mul(w2, v)) | 0;
        s30 = (s30 + mul(w3, u)) | 0; s31 = (s31 + mul(w3, v)) | 0;
      }
      o[r0 + p] = (o[r0 + p]! + s00) | 0; o[r0 + p + 1] = (o[r0 + p + 1]! + s01) | 0;
      o[r1 + p] = (o[r1 + p]! + s10) | 0; o[r1 + p + 1] = (o[r1 + p + 1]! + s11) | 0;
      o[r2 + p] = (o[r2 + p]! + s20) | 0; o[r2 + p + 1] = (o[r2 + p + 1]! + s21) | 0;
      o[r3 + p] = (o[r3 + p]! + s30) | 0; o[r3 + p + 1] = (o[r3 + p + 1]! + s31) | 0;
    }
    for (; p < p1; p++) {
      let xi = xOff + p * sp + t0 * st;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let t = 0; t < n; t++, xi += st) {
        const u = x[xi]!;
        s0 = (s0 + mul(w[a0 + t]!, u)) | 0;
        s1 = (s1 + mul(w[a1 + t]!, u)) | 0;
        s2 = (s2 + mul(w[a2 + t]!, u)) | 0;
        s3 = (s3 + mul(w[a3 + t]!, u)) | 0;
      }
      o[r0 + p] = (o[r0 + p]! + s0) | 0; o[r1 + p] = (o[r1 + p]! + s1) | 0; o[r2 + p] = (o[r2 + p]! + s2) | 0; o[r3 + p] = (o[r3 + p]! + s3) | 0;
    }
  }
  // Leftover rows (all of a depthwise conv): four columns at a time share each weight load.
  for (; m < M; m++) {
    const a0 = wOff + m * D + t0;
    const r0 = oOff + m * P;
    let p = p0;
    for (; p + 3 < p1; p += 4) {
      let xi = xOff + p * sp + t0 * st;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let t = 0; t < n; t++, xi += st) {
        const u = w[a0 + t]!;
        s0 = (s0 + mul(u, x[xi]!)) | 0;
        s1 = (s1 + mul(u, x[xi + sp]!)) | 0;
        s2 = (s2 + mul(u, x[xi + 2 * sp]!)) | 0;
        s3 = (s3 + mul(u, x[xi + 3 * sp]!)) | 0;
      }
      o[r0 + p] = (o[r0 + p]! + s0) | 0; o[r0 + p + 1] = (o[r0 + p + 1]! + s1) | 0; o[r0 + p + 2] = (o[r0 + p + 2]! + s2) | 0; o[r0 + p + 3] = (o[r0 + p + 3]! + s3) | 0;
    }
    for (; p < p1; p++) {
      let xi = xOff + p * sp + t0 * st;
      let s0 = 0;
      for (let t = 0; t < n; t++, xi += st) s0 = (s0 + mul(w[a0 + t]!, x[xi]!)) | 0;
      o[r0 + p] = (o[r0 + p]! + s0) | 0;
    }
  }
}
