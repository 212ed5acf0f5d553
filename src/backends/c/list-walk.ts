// The list form's C walks (see list-kernel.ts): a channel's byte lists over two im2col windows, and the channel loop.

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
 * The channel loop of one output position pair, shared by the layers of one variant (window type xt, output
 * type yt, G gain digits, fast narrow or not, paged): per channel the pair walk, then bias, gain, rounding
 * shift and clamps (lo, hi or the per-channel hp[m]), stores to y[0] and (if `two`) y[1], y stepping by ys.
 * Out of line: one copy per variant costs a call per position pair, the per-layer copies cost ~1 KB each.
 * Returns the list position after the last channel.
 */
export function listChannelsText(name: string, walk: string, xt: string, yt: string, G: number, fast: boolean, gainFn: string | null, narrow: string | null): string {
  let acc = (av: string) => `(int32_t)((uint32_t)b0 + ${av})`;
  if (G) { const inner = acc; acc = (av) => `${gainFn}(${inner(av)}, g)`; }
  if (G && fast) { const inner = acc; acc = (av) => `(int32_t)((uint32_t)${inner(av)} + (((uint32_t)1 << r0) >> 1))`; }
  const store = (av: string, dst: string) => (fast
    ? `{ int32_t v = (${acc(av)}) >> r0; ${dst} = (${yt})(v < lo ? lo : v > h ? h : v); }`
    : `${dst} = (${yt})${narrow}(${acc(av)}, r0, bits, lo, h);`);
  return `SAC_NOINLINE static const uint8_t *${name}(const ${xt} *c, const ${xt} *d, const uint8_t *t, int32_t M, const int32_t *bp, const int8_t *rp, const int8_t *g, const int16_t *hp, ${yt} *y, int32_t ys, int two, int bits, int32_t lo, int32_t hi) {
  for (int32_t m = 0; m < M; m++) {
    uint32_t a0, a1;
    ${walk}(c, d, &t, &a0, &a1);
    const int32_t b0 = bp[m];
    const int r0 = rp[m];
    const int32_t h = hp ? hp[m] : hi;
    ${store('a0', 'y[0]')}
    if (two) ${store('a1', 'y[1]')}
    y += ys;
    SAC_OPAQUE(y);${G ? `
    g += ${G};
    SAC_OPAQUE(g);` : ''}
  }
  (void)bits;
  (void)g;
  return t;
}`;
}
