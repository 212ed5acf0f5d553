// C kernel of the adder layer (AdderConv): acc = bias - sum |x - w| over a zero-padded window, then gain and narrowing; no multiply.
import { ADDER_OPERANDS } from '../../ir/lowered.js';
import type { AdderConvAttrs } from '../../ir/ops/adder-conv.js';
import { as2d } from '../../ir/ops/conv.js';
import { fail } from '../../diagnostics.js';
import { constArray, ctype, lit } from './cfmt.js';
import { constData, optionalConstData, out, val, type Kernel, type KernelCtx } from './kernel.js';

export function adderConvKernel(ctx: KernelCtx, a: AdderConvAttrs): Kernel {
  const x = val(ctx, ADDER_OPERANDS.x).type;
  const y = out(ctx).type;
  const w = constData(ctx, ADDER_OPERANDS.weights);
  const xt = ctype(x.dtype, ctx.where);
  const yt = ctype(y.dtype, ctx.where);
  const { k, s, p, d } = as2d(a);
  const two = x.shape.length === 4;
  const [N, C] = x.shape as [number, number];
  const H = two ? x.shape[2]! : 1;
  const W = x.shape[x.shape.length - 1]!;
  const M = w.shape[0]!;
  const OH = two ? y.shape[2]! : 1;
  const OW = y.shape[y.shape.length - 1]!;
  const [KH, KW] = k as [number, number];
  const cPerG = C / a.group;
  const mPerG = M / a.group;
  if (!Number.isInteger(cPerG) || !Number.isInteger(mPerG)) fail('SAC060', `group ${a.group} does not divide the channels`, ctx.where);
  const [pt, pl, pb, pr] = [p[0]!, p[1]!, p[2]!, p[3]!];
  const padded = pt + pl + pb + pr > 0;
  const Hp = H + pt + pb;
  const Wp = W + pl + pr;
  // Tap t = (ci, kh, kw) of the padded group buffer at a constant offset from the window origin (a table, not i * stride).
  const tapOff: number[] = [];
  for (let ci = 0; ci < cPerG; ci++) for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) tapOff.push(ci * Hp * Wp + kh * d[0]! * Wp + kw * d[1]!);
  const D = tapOff.length;
  const f = ctx.fn;
  const narrow = ctx.rt.need('sac_narrow');
  const gain = optionalConstData(ctx, ADDER_OPERANDS.gain);
  const G = gain?.shape[1] ?? 0;
  ctx.decls.push(constArray(`${f}_w`, xt, w.data), constArray(`${f}_o`, 'int32_t', tapOff),
    constArray(`${f}_b`, 'int32_t', constData(ctx, ADDER_OPERANDS.bias).data), constArray(`${f}_r`, 'int8_t', constData(ctx, ADDER_OPERANDS.rshift).data));
  if (gain) ctx.decls.push(constArray(`${f}_g`, 'int8_t', gain.data));
  const gained = gain ? `${ctx.rt.need('sac_gain')}((int32_t)acc, gm, ${G})` : '(int32_t)acc';
  const src = padded ? 's' : 'x0';
  const body = [
    `for (int32_t n = 0; n < ${N}; n++) {`,
    `  const ${xt} *w = ${f}_w;`,
    ...(gain ? [`  const int8_t *gm = ${f}_g;`] : []),
    '  int32_t m = 0;',
    `  for (int32_t g = 0; g < ${a.group}; g++) {`,
    ...(padded ? [`    ${ctx.rt.pad(xt)}(x0, s, ${cPerG}, ${H}, ${W}, ${pt * Wp}, ${pb * Wp}, ${pl}, ${pr});`] : []),
    `    for (int32_t mm = 0; mm < ${mPerG}; mm++, m++) {`,
    `      for (int32_t oh = 0, ro = 0; oh < ${OH}; oh++, ro += ${s[0]! * Wp}) {`,
    '        SAC_OPAQUE(ro);',
    `        for (int32_t ow = 0, o = ro; ow < ${OW}; ow++, o += ${s[1]!}) {`,
    '          SAC_OPAQUE(o);',
    `          const ${xt} *px = ${src} + o;`,
    // uint32 accumulation: the interpreter's int32 wrap-around (the overflow proof says it never wraps).
    `          uint32_t acc = (uint32_t)${f}_b[m];`,
    `          for (int32_t t = 0; t < ${D}; t++) {`,
    `            int32_t v = (int32_t)px[${f}_o[t]] - (int32_t)w[t];`,
    '            acc -= (uint32_t)(v < 0 ? -v : v);',
    '          }',
    `          *y++ = (${yt})${narrow}(${gained}, ${f}_r[m], ${a.bits}, ${lit(a.actMin)}, ${lit(a.actMax)});`,
    '        }',
    '        SAC_OPAQUE(y);',
    '      }',
    `      w += ${D};`,
    '      SAC_OPAQUE(w);',
    ...(gain ? [`      gm += ${G};`, '      SAC_OPAQUE(gm);'] : []),
    '    }',
    `    x0 += ${cPerG * H * W};`,
    '    SAC_OPAQUE(x0);',
    '    SAC_OPAQUE(y);',
    '  }',
    '}',
  ];
  return { data: [ADDER_OPERANDS.x], body, ...(padded ? { scratch: { type: xt, elems: cPerG * Hp * Wp } } : {}) };
}
