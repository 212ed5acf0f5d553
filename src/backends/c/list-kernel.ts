// The `list` weight form of ShiftConv: per output position an im2col copy (x and ~x pages), then per channel a byte-list walk.
import { packLists } from '../../codegen/lists.js';
import type { WeightStats } from '../../codegen/weights.js';
import { SHIFT_OPERANDS } from '../../ir/lowered.js';
import type { ShiftConvAttrs } from '../../ir/ops/shift-conv.js';
import { constArray, lit } from './cfmt.js';
import { convWindow, type ConvWindow } from './conv-window.js';
import { as2d } from '../../ir/ops/conv.js';
import { constData, optionalConstData, weightTable, type Kernel, type KernelCtx } from './kernel.js';
import { fastNarrow } from './unroll.js';

const ideal = (terms: number, B: number) => Math.ceil((terms * (1 + B)) / 8);

/**
 * ShiftConv in the list form, or null when the form does not apply (see packLists). Loop order: group,
 * output position (im2col of its window into `col`, then every channel of the group), so the lists of a
 * group are walked once per position and their pointer simply runs on from channel to channel.
 */
export function listConvKernel(ctx: KernelCtx, a: ShiftConvAttrs, xt: string, yt: string): Kernel | null {
  const x = ctx.g.values[ctx.node.inputs[SHIFT_OPERANDS.x]!]!.type;
  const y = ctx.g.values[ctx.node.outputs[0]!]!.type;
  const codes = constData(ctx, SHIFT_OPERANDS.codes);
  const M = codes.shape[0]!;
  const w = convWindow(ctx, a, x, y, M);
  const D = w.tapOff.length;
  const unit = D / w.cPerG;
  const ls = packLists(codes, M, D, a.terms, unit);
  if (!ls) return null;
  const f = ctx.fn;
  const shifts = constData(ctx, SHIFT_OPERANDS.rshift).data;
  const bias = constData(ctx, SHIFT_OPERANDS.bias).data;
  const gain = optionalConstData(ctx, SHIFT_OPERANDS.gain);
  const fast = fastNarrow(shifts, a.bits, a.actMin, a.actMax);
  // The bias absorbs the ~x reads' constant and, on the fast narrow without a gain, the rounding constant
  // 2^(r-1) (with a gain it is added after the gain, docs/numerics.md).
  const b = Array.from(bias, (v, m) => (v + ls.corr[m]! + (fast && !gain && shifts[m]! > 0 ? 2 ** (shifts[m]! - 1) : 0)) | 0);
  ctx.decls.push(weightTable(ctx, `${f}_l`, 'uint8_t', ls.bytes), constArray(`${f}_b`, 'int32_t', b), constArray(`${f}_r`, 'int8_t', shifts));
  const G = gain ? gain.shape[1]! : 0;
  if (gain) ctx.decls.push(constArray(`${f}_g`, 'int8_t', gain.data));
  let hp = '0';
  if (a.channelMax) { ctx.decls.push(constArray(`${f}_hi`, 'int16_t', a.channelMax)); hp = `${f}_hi + m0`; }
  const chans = ctx.rt.listChannels(xt, yt, G, fast !== null, ls.pages > 1);
  const OHW = w.OH * w.OW;
  const xb = xt === 'int8_t' ? 1 : 2;
  const colElems = ((ls.pages === 1 ? 2 * D : ls.pages * 256) * xb + 3 & ~3) / xb;
  const { k, d: dil } = as2d(a);
  const im2col = im2colLines(w, k[0]!, k[1]!, dil, ls.tapsPerPage / unit, ls.pages, ls.half, xt);
  const copy = (dst: string) => im2col.map((l) => `      ${l.replace('COL', dst)}`);
  // The next output position's window origin (ih0, iw0) and rb = ih0 * W, in row-major order (adds only).
  const [pt, pl] = w.pads;
  const ih = w.padded ? ` ih0 += ${w.strides[0]!};` : '';
  const advance = [`      iw0 += ${w.strides[1]!};`, `      if (++ow == ${w.OW}) { ow = 0; iw0 = ${-pl};${ih} rb += ${w.strides[0]! * w.W}; }`, '      SAC_OPAQUE(rb);'];
  const body = [
    `${xt} *col = s;`,
    `${xt} *col1 = col + ${colElems};`,
    `for (int32_t n = 0; n < ${w.N}; n++) {`,
    `  const uint8_t *tg = ${f}_l;`,
    ...(gain ? [`  const int8_t *gg = ${f}_g;`] : []),
    `  for (int32_t g = 0, m0 = 0; g < ${w.group}; g++, m0 += ${w.mPerG}) {`,
    // Opaque: gcc -Os would rebuild m0 (and the pointers stepping with it) as g * mPerG, a multiply.
    '    SAC_OPAQUE(m0);',
    '    const uint8_t *t = tg;',
    `    ${yt} *yo = y;`,
    `    int32_t ow = 0,${w.padded ? ` ih0 = ${-pt},` : ''} iw0 = ${-pl}, rb = ${-pt * w.W};`,
    `    for (int32_t k = 0; k < ${OHW}; k += 2) {`,
    ...copy('col'),
    ...advance,
    `      const int two = k + 1 < ${OHW};`,
    // An odd last position walks its own window twice; the second result is not stored.
    '      if (two) {',
    ...copy('col1').map((l) => `  ${l}`),
    ...advance.map((l) => `  ${l}`),
    '      }',
    `      t = ${chans}(col, two ? col1 : col, tg, ${w.mPerG}, ${f}_b + m0, ${f}_r + m0, ${gain ? 'gg' : '0'}, ${hp}, yo, ${OHW}, two, ${a.bits}, ${lit(fast ? fast.lo : a.actMin)}, ${lit(a.actMax)});`,
    '      yo += 2;',
    '    }',
    '    tg = t;',
    ...(gain ? [`    gg += ${w.mPerG * G};`] : []),
    `    y += ${w.mPerG * OHW};`,
    `    x0 += ${w.cPerG * w.H * w.W};`,
    '    SAC_OPAQUE(x0);',
    '    SAC_OPAQUE(y);',
    '  }',
    '}',
  ];
  const weights: WeightStats = { form: 'list', terms: ls.terms, weightBytes: ls.bytes.length, idealBytes: ideal(ls.terms, a.shiftBits), paramBytes: M * 5 + (gain ? gain.data.length : 0) };
  return { data: [SHIFT_OPERANDS.x], body, weights, scratch: { type: xt, elems: 2 * colElems } };
}

/**
 * The window copy of one position: per input channel its KH * KW taps into col (x) and col + half (~x);
 * `perPage` channels fill one 256-element page. Complements are exact in int8/int16 (~x = -x - 1), unlike
 * negation (-(-128) overflows int8). A window inside the input reads constant offsets from x0 + rb + iw0;
 * one overlapping the padding (`padded` layers) checks each tap and reads 0 outside, so no padded copy of
 * the input is needed (resnet: 14 KB less RAM). rb = ih0 * W is kept by the caller (adds only).
 */
function im2colLines(w: ConvWindow, KH: number, KW: number, dil: readonly number[], perPage: number, pages: number, half: number, xt: string): string[] {
  const { H, W, cPerG: C } = w;
  const unit = KH * KW;
  const off: number[] = [];
  for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) off.push(kh * dil[0]! * W + kw * dil[1]!);
  const inner = off.map((o, j) => `v = q[${o}]; cp[${j}] = v; cp[${half + j}] = (${xt})~v;`);
  const border = [
    `for (int32_t kh = 0, ih = ih0, r = rb; kh < ${KH}; kh++, ih += ${dil[0]!}, r += ${dil[0]! * W}) {`,
    '  SAC_OPAQUE(r);',
    `  for (int32_t kw = 0, iw = iw0; kw < ${KW}; kw++, iw += ${dil[1]!}) {`,
    `    v = ((uint32_t)ih < ${H}u && (uint32_t)iw < ${W}u) ? q[r + iw] : 0;`,
    `    cp[0] = v; cp[${half}] = (${xt})~v; cp++;`,
    '  }',
    '}',
    `cp -= ${unit};`,
  ];
  const copy = (body: string[], q: string) => {
    const chan = (n: string) => [
      `for (int32_t ci = 0; ci < ${n}; ci++) {`,
      `  ${xt} v;`,
      ...body.map((l) => `  ${l}`),
      `  cp += ${unit};`,
      `  q += ${H * W};`,
      '  SAC_OPAQUE(q);',
      '  SAC_OPAQUE(cp);',
      '}',
    ];
    const head = [`const ${xt} *q = ${q};`, `${xt} *cp = COL;`];
    if (pages === 1) return [...head, ...chan(String(C))];
    const last = C - (pages - 1) * perPage;
    return [...head,
      `for (int32_t pg = 0; pg < ${pages}; pg++) {`,
      ...chan(`(pg < ${pages - 1} ? ${perPage} : ${last})`).map((l) => `  ${l}`),
      `  cp += ${256 - perPage * unit};`,
      '}',
    ];
  };
  const fast = copy(inner, 'x0 + rb + iw0');
  if (!w.padded) return ['{', ...fast.map((l) => `  ${l}`), '}'];
  const ihMax = H - 1 - (KH - 1) * dil[0]!;
  const iwMax = W - 1 - (KW - 1) * dil[1]!;
  return [
    `if (ih0 >= 0 && ih0 <= ${ihMax} && iw0 >= 0 && iw0 <= ${iwMax}) {`,
    ...fast.map((l) => `  ${l}`),
    '} else {',
    ...copy(border, 'x0').map((l) => `  ${l}`),
    '}',
  ];
}
