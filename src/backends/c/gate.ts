// C kernel of QGateMul: each gate code selects one requantising shift for its element or channel (no multiply).
import type { QGateMulAttrs } from '../../ir/ops/qgate-mul.js';
import { gateLayout } from '../../ir/ops/qgate-mul.js';
import { numel } from '../../ir/tensor.js';
import { ctype, lit } from './cfmt.js';
import { out, val, type Kernel, type KernelCtx } from './kernel.js';

export function qgateMulKernel(ctx: KernelCtx, a: QGateMulAttrs): Kernel {
  const xs = val(ctx, 0).type.shape;
  const gs = val(ctx, 1).type.shape;
  const per = gateLayout(xs, gs) === 'same' ? 1 : numel(xs) / numel(gs);
  const yt = ctype(out(ctx).type.dtype, ctx.where);
  const n = ctx.rt.need('sac_narrow');
  const base = a.fracX - a.fracOut;
  // A zero gate gives 0 through the clamp, as in the interpreter.
  const zero = 0 < a.actMin ? a.actMin : 0 > a.actMax ? a.actMax : 0;
  return {
    data: [0, 1],
    // Element i reads x0[i] and its gate before y[i] is written, so the output may share x0's buffer.
    inPlace: val(ctx, 0).type.dtype === out(ctx).type.dtype,
    body: [
      'int32_t j, i, c;',
      `for (j = 0, i = 0; j < ${numel(gs)}; j++) {`,
      `  c = x1[j] < 0 ? 0 : x1[j] > ${a.maxCode} ? ${a.maxCode} : x1[j];`,
      `  for (int32_t e = i + ${per}; i < e; i++) y[i] = c == 0 ? (${yt})${lit(zero)} : (${yt})${n}(x0[i], c - 1 + (${base}), ${a.bits}, ${lit(a.actMin)}, ${lit(a.actMax)});`,
      '}',
    ],
  };
}
