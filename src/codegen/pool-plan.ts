// Window plan of a 1-D/2-D pooling node for code generators: per output row/column, the taps inside the input.
import { fail } from '../diagnostics.js';
import { axisPlan, type AxisPlan, type PoolGeometry } from '../ir/ops/pool.js';

export interface PoolPlan {
  H: number; W: number; OH: number; OW: number;
  hp: AxisPlan; wp: AxisPlan;
  /** Dilations along H and W (1 along H for a 1-D pool). */
  dh: number; dw: number;
  /** Taps inside the input per output row / column (a window entirely in the padding is refused). */
  hn: number[]; wn: number[];
}

export function poolPlan(a: PoolGeometry, xShape: readonly number[], yShape: readonly number[], where: string): PoolPlan {
  const two = a.kernel.length === 2;
  const H = two ? xShape[2]! : 1;
  const W = xShape[xShape.length - 1]!;
  const OH = two ? yShape[2]! : 1;
  const OW = yShape[yShape.length - 1]!;
  const hp = two ? axisPlan(OH, H, a.kernel[0]!, a.strides[0]!, a.pads[0]!, a.pads[2]!, a.dilations[0]!) : axisPlan(1, 1, 1, 1, 0, 0, 1);
  const wp = two ? axisPlan(OW, W, a.kernel[1]!, a.strides[1]!, a.pads[1]!, a.pads[3]!, a.dilations[1]!)
    : axisPlan(OW, W, a.kernel[0]!, a.strides[0]!, a.pads[0]!, a.pads[1]!, a.dilations[0]!);
  const dh = two ? a.dilations[0]! : 1;
  const dw = a.dilations[a.kernel.length - 1]!;
  const hn = Array.from(hp.hi, (h, o) => h - hp.lo[o]!);
  const wn = Array.from(wp.hi, (h, o) => h - wp.lo[o]!);
  if (hn.some((v) => v <= 0) || wn.some((v) => v <= 0)) fail('SAC060', 'a pooling window lies entirely in the padding', where);
  return { H, W, OH, OW, hp, wp, dh, dw, hn, wn };
}
