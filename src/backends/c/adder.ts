// C kernel of the adder layer (AdderConv): acc = bias - sum |x - w| over a zero-padded window, then gain and narrowing; no multiply.
import { ADDER_OPERANDS } from '../../ir/lowered.js';
import type { AdderConvAttrs } from '../../ir/ops/adder-conv.js';
import { constArray, ctype, lit } from './cfmt.js';
import { convLoops, convWindow } from './conv-window.js';
import { constData, optionalConstData, out, val, type Kernel, type KernelCtx } from './kernel.js';

export function adderConvKernel(ctx: KernelCtx, a: AdderConvAttrs): Kernel {
  const x = val(ctx, ADDER_OPERANDS.x).type;
  const w = constData(ctx, ADDER_OPERANDS.weights);
  const xt = ctype(x.dtype, ctx.where);
  const yt = ctype(out(ctx).type.dtype, ctx.where);
  const win = convWindow(ctx, a, x, out(ctx).type, w.shape[0]!);
  const D = win.tapOff.length;
  const f = ctx.fn;
  const narrow = ctx.rt.need('sac_narrow');
  const gain = optionalConstData(ctx, ADDER_OPERANDS.gain);
  const G = gain?.shape[1] ?? 0;
  ctx.decls.push(constArray(`${f}_w`, xt, w.data), constArray(`${f}_o`, 'int32_t', win.tapOff),
    constArray(`${f}_b`, 'int32_t', constData(ctx, ADDER_OPERANDS.bias).data), constArray(`${f}_r`, 'int8_t', constData(ctx, ADDER_OPERANDS.rshift).data));
  if (gain) ctx.decls.push(constArray(`${f}_g`, 'int8_t', gain.data));
  const gained = gain ? `${ctx.rt.need('sac_gain')}((int32_t)acc, gm, ${G})` : '(int32_t)acc';
  const body = convLoops(ctx, win, xt, {
    init: [`const ${xt} *w = ${f}_w;`, ...(gain ? [`const int8_t *gm = ${f}_g;`] : [])],
    decode: [],
    stmt: [
      `const ${xt} *px = ${win.src} + o;`,
      // uint32 accumulation: the interpreter's int32 wrap-around (the overflow proof says it never wraps).
      `uint32_t acc = (uint32_t)${f}_b[m];`,
      `for (int32_t t = 0; t < ${D}; t++) {`,
      `  int32_t v = (int32_t)px[${f}_o[t]] - (int32_t)w[t];`,
      '  acc -= (uint32_t)(v < 0 ? -v : v);',
      '}',
      `*y++ = (${yt})${narrow}(${gained}, ${f}_r[m], ${a.bits}, ${lit(a.actMin)}, ${lit(a.actMax)});`,
    ],
    next: [`w += ${D};`, 'SAC_OPAQUE(w);', ...(gain ? [`gm += ${G};`, 'SAC_OPAQUE(gm);'] : [])],
  });
  return { data: [ADDER_OPERANDS.x], body, ...(win.padded ? { scratch: { type: xt, elems: win.cPerG * win.Hp * win.Wp } } : {}) };
}
