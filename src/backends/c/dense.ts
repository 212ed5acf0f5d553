// The dense weight stream printed as C: the statically scheduled term walk of one output.

/**
 * `static uint32_t fn(const T *p[, const O *tab], const uint16_t *w)`: the term sum of one output from the
 * channel stream at w. The bit schedule is static (fields at known positions), so the reservoir `bits`
 * needs no fill counter: taps go in groups whose fields fill whole uint16 words, then a static tail.
 * `bits` holds the unread bits at its top: the sign is bit 31 (an arithmetic shift gives the mask that
 * negates without a branch) and the shift is (bits << 1) >> (33 - W). SAC_PIN keeps the fields in order:
 * gcc would otherwise decode a whole group up front and spill it (Thumb-1 has 8 registers).
 */
export function denseWalkText(fn: string, xt: string, tableT: string | null, D: number, K: number, W: number, zero?: number): string {
  let G = 1;
  while ((G * K * W) % 16) G++;
  const full = Math.floor(D / G);
  const taps = (count: number): string[] => {
    const out: string[] = [];
    let n = 0;
    let word = 0;
    for (let i = 0; i < count; i++) {
      out.push(`x = (uint32_t)(int32_t)${tableT ? `p[tab[${i}]]` : `p[${i}]`};`);
      for (let k = 0; k < K; k++) {
        if (n < W) {
          out.push(n ? `bits |= (uint32_t)w[${word}] << ${16 - n};` : `bits = (uint32_t)w[${word}] << 16;`);
          word++;
          n += 16;
        }
        const term = ['m = (uint32_t)((int32_t)bits >> 31);', `v = x << ((bits << 1) >> ${33 - W});`, 'acc += (v ^ m) - m;'];
        // A zero marker field (K = 1 layers with termless weights) adds nothing.
        if (zero === undefined) out.push(...term, 'SAC_PIN(acc);');
        else out.push(`if ((bits >> ${32 - W}) != ${zero}u) {`, ...term.map((l) => `  ${l}`), '}', 'SAC_PIN(acc);');
        if (n > W || i < count - 1 || k < K - 1) out.push(`bits <<= ${W};`, 'SAC_PIN(bits);');
        n -= W;
      }
    }
    return out;
  };
  const step = (g: number): string => (tableT ? `tab += ${g};` : `p += ${g};`);
  const lines = [
    `static uint32_t ${fn}(const ${xt} *p${tableT ? `, const ${tableT} *tab` : ''}, const uint16_t *w) {`,
    '  uint32_t acc = 0, bits = 0, x, m, v;',
  ];
  if (full > 0) {
    lines.push(`  for (int32_t g = 0; g < ${full}; g++) {`, ...taps(G).map((l) => `    ${l}`), `    ${step(G)}`, `    w += ${(G * K * W) / 16};`, '    SAC_OPAQUE(w);', '  }');
  }
  lines.push(...taps(D - full * G).map((l) => `  ${l}`), '  return acc;', '}');
  return lines.join('\n');
}

