// im2row shared by the float Conv and integer ShiftConv reference kernels (one input group unfolded into [positions, taps]), plus their scratch buffers.

/** Conv geometry in the 2-D view (1-D convs use height 1), as produced by as2d(). */
export interface Geometry2d {
  cPerG: number;
  H: number;
  W: number;
  KH: number;
  KW: number;
  OH: number;
  OW: number;
  s: readonly number[];
  p: readonly number[];
  d: readonly number[];
}

/**
 * Writes rows[pos * D + t] = input tap t (channel-major, then kh, kw) at output position pos, 0 where
 * the window reads padding (the zero point in both the float and the integer domain). Each output is
 * then one contiguous dot product with a weight row. `xg` is the group's first input element.
 */
export function im2row(xd: ArrayLike<number>, xg: number, rows: Float32Array | Int32Array, g: Geometry2d): void {
  const { cPerG, H, W, KH, KW, OH, OW } = g;
  const [sh, sw] = g.s as [number, number];
  const [dh, dw] = g.d as [number, number];
  const [ph, pw] = [g.p[0]!, g.p[1]!];
  let o = 0;
  for (let oh = 0; oh < OH; oh++) {
    for (let ow = 0; ow < OW; ow++) {
      const iw0 = ow * sw - pw;
      // Windows clear of the left and right padding copy their rows without per-tap checks.
      const inside = iw0 >= 0 && iw0 + (KW - 1) * dw < W;
      for (let ci = 0; ci < cPerG; ci++) {
        const xc = xg + ci * H * W;
        for (let kh = 0; kh < KH; kh++) {
          const ih = oh * sh + kh * dh - ph;
          if (ih < 0 || ih >= H) {
            rows.fill(0, o, o + KW);
            o += KW;
            continue;
          }
          const row = xc + ih * W + iw0;
          if (inside) {
            for (let kw = 0; kw < KW; kw++) rows[o++] = xd[row + kw * dw]!;
            continue;
          }
          for (let kw = 0; kw < KW; kw++, o++) {
            const iw = iw0 + kw * dw;
            rows[o] = iw >= 0 && iw < W ? xd[row + kw * dw]! : 0;
          }
        }
      }
    }
  }
}

const f32 = [new Float32Array(0)];
const i32 = [new Int32Array(0), new Int32Array(0)];

/**
 * Scratch buffers reused across kernel calls instead of one fresh (zeroed, soon garbage) array per call.
 * Kernels run synchronously and write every element they read; `slot` separates two live buffers.
 */
export function scratchF32(n: number): Float32Array {
  if (f32[0]!.length < n) f32[0] = new Float32Array(n);
  return f32[0]!;
}

export function scratchI32(slot: 0 | 1, n: number): Int32Array {
  if (i32[slot]!.length < n) i32[slot] = new Int32Array(n);
  return i32[slot]!;
}
