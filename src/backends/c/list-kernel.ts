// The `list` weight form of ShiftConv: per output position an im2col copy (x and ~x pages), then per channel a byte-list walk.
import { packLists } from '../../codegen/lists.js';
import type { WeightStats } from '../../codegen/weights.js';
import { SHIFT_OPERANDS } from '../../ir/lowered.js';
import type { ShiftConvAttrs } from '../../ir/ops/shift-conv.js';
import { constArray, lit } from './cfmt.js';
import { convWindow } from './conv-window.js';
import { constData, optionalConstData, weightTable, type Kernel, type KernelCtx } from './kernel.js';
import { clampHi, fastNarrow } from './unroll.js';

const ideal = (terms: number, B: number) => Math.ceil((terms * (1 + B)) / 8);

/**
 * The walk of one channel's list (codegen/lists.ts) over the window buffer c: Horner over sublevels, each
 * a shift, a page and n byte indices; n & 1, n & 2, then groups of four keep the loop at ~3.75 instructions
 * a term on Thumb-1 with no padding bytes. Inlined into each layer's channel loop: a call costs ~30
 * instructions (Thumb-1 saves the high registers) per channel and output; `paged` layers read pages past the first.
 */
export function listWalkText(name: string, xt: string, paged: boolean): string {
  const page = paged ? `c + ((h >> 4) << 8)` : 'c';
  return `SAC_INLINE static uint32_t ${name}(const ${xt} *c, const uint8_t **tp) {
  const uint8_t *t = *tp;
  uint32_t a = 0;
  unsigned L = *t++;
  while (L--) {
    unsigned h = t[0], n = t[1];
    const ${xt} *p = ${page};
    t += 2;
    a <<= (h & 15u);
    if (n & 1u) { a += (uint32_t)(int32_t)p[t[0]]; t += 1; }
    if (n & 2u) { a += (uint32_t)(int32_t)(p[t[0]] + p[t[1]]); t += 2; }
    for (n >>= 2; n; n--) { a += (uint32_t)(int32_t)(p[t[0]] + p[t[1]] + p[t[2]] + p[t[3]]); t += 4; SAC_OPAQUE(t); }
  }
  a <<= *t++;
  *tp = t;
  return a;
}`;
}

/**
 * The Thumb-1 group of four int8 taps for two positions: 5 instructions a tap (LDRB index, then per position
 * LDRSB and ADDS), 2.9 a term use with the loop. gcc's own allocation of the C loop spilled an accumulator
 * (5.25 a term use): the walk needs all eight low registers, so the end pointer lives in a high one.
 */
function asmTaps(): string {
  const tap = (k: number) => [`"ldrb %[i], [%[t], #${k}]\\n\\t"`, '"ldrsb %[v], [%[p], %[i]]\\n\\t"', '"adds %[a], %[a], %[v]\\n\\t"', '"ldrsb %[v], [%[q], %[i]]\\n\\t"', '"adds %[b], %[b], %[v]\\n\\t"'];
  return [0, 1, 2, 3].flatMap(tap).join('\n        ');
}

/**
 * The same walk over two window buffers c and d at once (two output positions): each index byte serves
 * both, and the level overhead is paid once per pair. Pairs of taps per loop trip keep Thumb-1 within its
 * registers.
 */
export function listWalk2Text(name: string, xt: string, paged: boolean): string {
  const page = paged ? ' + ((h >> 4) << 8)' : '';
  const r = (e: string) => `(uint32_t)(int32_t)(${e})`;
  const loop = [
    '    for (; n; n--) {',
    `      a += ${r('p[t[0]] + p[t[1]] + p[t[2]] + p[t[3]]')};`,
    `      b += ${r('q[t[0]] + q[t[1]] + q[t[2]] + q[t[3]]')};`,
    '      t += 4;',
    '      SAC_OPAQUE(t);',
    '    }',
  ].join('\n');
  return `// The Thumb-1 (Cortex-M0/M0+/M1) inner loop is inline assembly for gcc with optimisation (it needs all
// eight low registers; -O0 keeps a frame pointer); -DSAC_NO_ASM or any other target compiles the C loop.
#ifndef SAC_T1_ASM
#if defined(__GNUC__) && !defined(__clang__) && defined(__thumb__) && !defined(__thumb2__) && defined(__OPTIMIZE__) && !defined(SAC_NO_ASM)
#define SAC_T1_ASM 1
#else
#define SAC_T1_ASM 0
#endif
#endif
SAC_INLINE static void ${name}(const ${xt} *c, const ${xt} *d, const uint8_t **tp, uint32_t *ra, uint32_t *rb) {
  const uint8_t *t = *tp;
  uint32_t a = 0, b = 0;
  unsigned L = *t++, sh;
  while (L--) {
    unsigned h = t[0], n = t[1];
    const ${xt} *p = c${page}, *q = d${page};
    t += 2;
    sh = h & 15u;
    a <<= sh;
    b <<= sh;
    if (n & 1u) { unsigned i = t[0]; a += ${r('p[i]')}; b += ${r('q[i]')}; t += 1; }
    if (n & 2u) { unsigned i = t[0], j = t[1]; a += ${r('p[i] + p[j]')}; b += ${r('q[i] + q[j]')}; t += 2; }
    n >>= 2;
${xt === 'int8_t' ? `#if SAC_T1_ASM
    if (n) {
      const uint8_t *e = t + (n << 2);
      unsigned i;
      int32_t v;
      __asm__ volatile(
        ".syntax unified\\n"
        "1:\\n\\t"
        ${asmTaps()}
        "adds %[t], #4\\n\\t"
        "cmp %[t], %[e]\\n\\t"
        "bne 1b\\n\\t"
        ".syntax divided"
        : [t] "+l"(t), [a] "+l"(a), [b] "+l"(b), [i] "=&l"(i), [v] "=&l"(v)
        : [p] "l"(p), [q] "l"(q), [e] "h"(e)
        : "cc", "memory");
    }
#else
${loop}
#endif` : loop}
  }
  sh = *t++;
  *ra = a << sh;
  *rb = b << sh;
  *tp = t;
}`;
}

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
  const hi = clampHi(ctx, a);
  const walk = ctx.rt.listWalk2(xt, ls.pages > 1);
  const OHW = w.OH * w.OW;
  const store = (av: string, dst: string): string[] => {
    let acc = `(int32_t)((uint32_t)b0 + ${av})`;
    if (gain) acc = `${ctx.rt.gainUnrolled(G)}(${acc}, gm)`;
    if (gain && fast) acc = `(int32_t)((uint32_t)${acc} + (((uint32_t)1 << r0) >> 1))`;
    return fast
      ? [`{ int32_t v = (${acc}) >> r0; ${dst} = (${yt})(v < ${lit(fast.lo)} ? ${lit(fast.lo)} : v > ${hi} ? ${hi} : v); }`]
      : [`${dst} = (${yt})${ctx.rt.need('sac_narrow')}(${acc}, r0, ${a.bits}, ${lit(a.actMin)}, ${hi});`];
  };
  const padElems = w.padded ? w.cPerG * w.Hp * w.Wp : 0;
  const xb = xt === 'int8_t' ? 1 : 2;
  const colAt = ((padElems * xb + 3) & ~3) / xb;
  const colElems = ((ls.pages === 1 ? 2 * D : ls.pages * 256) * xb + 3 & ~3) / xb;
  const im2col = im2colLines(w.tapOff.slice(0, unit), w.Hp * w.Wp, w.cPerG, ls.tapsPerPage / unit, ls.pages, ls.half, xt);
  const copy = (dst: string) => im2col.map((l) => `      ${l.replace('SRC', `${w.src} + o`).replace('= col;', `= ${dst};`)}`);
  // The next output position's window origin, in row-major order (adds only).
  const advance = [`      o += ${w.strides[1]!};`, `      if (++ow == ${w.OW}) { ow = 0; ro += ${w.strides[0]! * w.Wp}; o = ro; }`, '      SAC_OPAQUE(o);'];
  const [pt, pl, pb, pr] = w.pads;
  const body = [
    `${xt} *col = s + ${colAt};`,
    `${xt} *col1 = col + ${colElems};`,
    `for (int32_t n = 0; n < ${w.N}; n++) {`,
    `  const uint8_t *tg = ${f}_l;`,
    ...(gain ? [`  const int8_t *gg = ${f}_g;`] : []),
    `  for (int32_t g = 0, m0 = 0; g < ${w.group}; g++, m0 += ${w.mPerG}) {`,
    ...(w.padded ? [`    ${ctx.rt.pad(xt)}(x0, s, ${w.cPerG}, ${w.H}, ${w.W}, ${pt * w.Wp}, ${pb * w.Wp}, ${pl}, ${pr});`] : []),
    // Opaque: gcc -Os would rebuild m0 (and the pointers stepping with it) as g * mPerG, a multiply.
    '    SAC_OPAQUE(m0);',
    '    const uint8_t *t = tg;',
    `    ${yt} *yo = y;`,
    '    int32_t ow = 0, ro = 0, o = 0;',
    `    for (int32_t k = 0; k < ${OHW}; k += 2) {`,
    ...copy('col'),
    ...advance,
    `      const int two = k + 1 < ${OHW};`,
    // An odd last position walks its own window twice; the second result is not stored.
    '      if (two) {',
    ...copy('col1').map((l) => `  ${l}`),
    ...advance.map((l) => `  ${l}`),
    '      }',
    `      ${yt} *yp = yo;`,
    '      yo += 2;',
    ...(gain ? ['      const int8_t *gm = gg;'] : []),
    '      t = tg;',
    `      for (int32_t m = m0; m < m0 + ${w.mPerG}; m++) {`,
    '        uint32_t a0, a1;',
    `        ${walk}(col, two ? col1 : col, &t, &a0, &a1);`,
    `        const int32_t b0 = ${f}_b[m];`,
    `        const int r0 = ${f}_r[m];`,
    ...store('a0', 'yp[0]').map((l) => `        ${l}`),
    ...store('a1', 'yp[1]').map((l) => `        if (two) ${l}`),
    `        yp += ${OHW};`,
    '        SAC_OPAQUE(yp);',
    ...(gain ? [`        gm += ${G};`, '        SAC_OPAQUE(gm);'] : []),
    '      }',
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
  // Out of line: inlined into NAME_run_arena, resnet's list layers took 3% more instructions (Cortex-M0 -O2).
  return { data: [SHIFT_OPERANDS.x], body, weights, noInline: true, scratch: { type: xt, elems: colAt + 2 * colElems } };
}

/**
 * The window copy: per input channel its `unit` taps at constant offsets `off` from the origin SRC, into
 * col (x) and col + half (~x); `perPage` channels fill one 256-element page. Complements are exact in
 * int8/int16 (~x = -x - 1), unlike negation (-(-128) overflows int8).
 */
function im2colLines(off: readonly number[], plane: number, C: number, perPage: number, pages: number, half: number, xt: string): string[] {
  const copy = off.map((o, j) => `v = q[${o}]; cp[${j}] = v; cp[${half + j}] = (${xt})~v;`);
  const chan = (n: string) => [
    `for (int32_t ci = 0; ci < ${n}; ci++) {`,
    `  ${xt} v;`,
    ...copy.map((l) => `  ${l}`),
    `  cp += ${off.length};`,
    `  q += ${plane};`,
    '  SAC_OPAQUE(q);',
    '  SAC_OPAQUE(cp);',
    '}',
  ];
  const head = [`const ${xt} *q = SRC;`, `${xt} *cp = col;`];
  if (pages === 1) return ['{', ...[...head, ...chan(String(C))].map((l) => `  ${l}`), '}'];
  const last = C - (pages - 1) * perPage;
  return ['{', ...[...head,
    `for (int32_t pg = 0; pg < ${pages}; pg++) {`,
    ...chan(`(pg < ${pages - 1} ? ${perPage} : ${last})`).map((l) => `  ${l}`),
    `  cp += ${256 - perPage * off.length};`,
    '}',
  ].map((l) => `  ${l}`), '}'];
}
