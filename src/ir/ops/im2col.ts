// im2col shared by the float Conv and integer ShiftConv kernels: one input group unfolded into [taps, positions].

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
 * Writes cols[t * OH*OW + pos] = input tap t at output position pos, 0 where the window reads padding
 * (the zero point in both the float and the integer domain). `xg` is the group's first input element.
 */
export function im2col(xd: ArrayLike<number>, xg: number, cols: Float32Array | Int32Array, g: Geometry2d): void {
  const { cPerG, H, W, KH, KW, OH, OW } = g;
  const [sh, sw] = g.s as [number, number];
  const [dh, dw] = g.d as [number, number];
  const [ph, pw] = [g.p[0]!, g.p[1]!];
  let t = 0;
  for (let ci = 0; ci < cPerG; ci++) {
    const xc = xg + ci * H * W;
    for (let kh = 0; kh < KH; kh++) {
      for (let kw = 0; kw < KW; kw++, t++) {
        const base = t * OH * OW;
        const offW = kw * dw - pw;
        const owStart = Math.max(0, Math.ceil(-offW / sw));
        const owEnd = Math.min(OW, Math.floor((W - 1 - offW) / sw) + 1);
        for (let oh = 0; oh < OH; oh++) {
          const ih = oh * sh + kh * dh - ph;
          const orow = base + oh * OW;
          cols.fill(0, orow, orow + OW);
          if (ih < 0 || ih >= H) continue;
          const row = xc + ih * W + offW;
          for (let ow = owStart; ow < owEnd; ow++) cols[orow + ow] = xd[row + ow * sw]!;
        }
      }
    }
  }
}
