// Dense shift-add weight stream: every (tap, term slot) as one (1 + B)-bit code, no tap indices or headers.
import type { Tensor } from '../../ir/tensor.js';
import { tsuffix } from './cfmt.js';

/**
 * Fills each weight's K slots with exactly K terms of the same sum, or returns null when that is impossible
 * (K = 1 with a zero weight, or B = 0 with a term to split). A missing pair is +x - x; a missing single term
 * splits one term: 2^s = 2^(s-1) + 2^(s-1), or 2^0 = 2^1 - 2^0. Modular sums are unchanged, so the C
 * result is bit-identical to the sparse terms; the extra term-ops cost time, not accuracy.
 */
export function fillSlots(cd: ArrayLike<number>, base: number, K: number, B: number): number[] | null {
  const terms: number[] = [];
  for (let k = 0; k < K; k++) if (cd[base + k]) terms.push(cd[base + k]!);
  let empty = K - terms.length;
  if (empty % 2 === 1) {
    if (terms.length) {
      const c = terms.pop()!;
      const sg = Math.sign(c);
      const sh = Math.abs(c) - 1;
      if (sh >= 1) terms.push(sg * sh, sg * sh);
      else if (B >= 1) terms.push(sg * 2, -sg * 1);
      else return null;
    } else if (empty >= 3 && B >= 1) {
      terms.push(1, 1, -2);
    } else return null;
    empty = K - terms.length;
  }
  for (; empty > 0; empty -= 2) terms.push(1, -1);
  return terms;
}

/**
 * Packs codes [M, D, K] as one bit stream in uint16 words, most significant bit first: per channel, per
 * tap, K fields of W = 1 + B bits, field = neg << B | sh. Channels follow each other without padding.
 * Null if a weight cannot be filled (see `fillSlots`).
 */
export function packDense(codes: Tensor, M: number, D: number, K: number, B: number): { words: number[]; slots: number } | null {
  const W = 1 + B;
  const words: number[] = [];
  let pos = 0;
  for (let i = 0; i < M * D; i++) {
    const f = fillSlots(codes.data, i * K, K, B);
    if (!f) return null;
    for (const c of f) {
      const field = (c < 0 ? 1 << B : 0) | (Math.abs(c) - 1);
      for (let b = W - 1; b >= 0; b--, pos++) {
        if ((pos & 15) === 0) words.push(0);
        if ((field >> b) & 1) words[pos >> 4]! |= 0x8000 >> (pos & 15);
      }
    }
  }
  return { words, slots: M * D * K };
}

/**
 * One output of the dense walk: `taps` taps of K fields each. The reservoir `bits` holds `n` unread bits at
 * its top, so a field is bits >> (32 - W): the sign is bit 31 (an arithmetic shift makes the mask that
 * negates without a branch) and the shift is one LSLS + LSRS. State (w, bits, n) is read from and written
 * back to the caller: Gemm continues with the next channel; convolutions restore the channel's start.
 */
export function denseText(name: string, xt: string, tableT: string | null, K: number, W: number): string {
  const tabParam = tableT ? `, const ${tableT} *tab` : '';
  const read = tableT ? 'p[*tab++]' : '*p++';
  const slot = [
    `    if (n < ${W}u) {`,
    '      bits |= (uint32_t)*w++ << (16u - n);',
    '      n += 16u;',
    '    }',
    '    m = (uint32_t)((int32_t)bits >> 31);',
    `    v = x << ((bits << 1) >> ${33 - W});`,
    '    acc += (v ^ m) - m;',
    `    bits <<= ${W};`,
    `    n -= ${W}u;`,
  ];
  const slots: string[] = [];
  for (let k = 0; k < K; k++) slots.push(...slot);
  return `static uint32_t ${name}(const ${xt} *p${tabParam}, uint32_t taps, const uint16_t **wp, uint32_t *bp, uint32_t *np) {
  const uint16_t *w = *wp;
  uint32_t bits = *bp;
  uint32_t n = *np;
  uint32_t acc = 0;
  while (taps--) {
    uint32_t x = (uint32_t)(int32_t)${read};
    uint32_t m, v;
${slots.join('\n')}
  }
  *wp = w;
  *bp = bits;
  *np = n;
  return acc;
}`;
}

export const denseName = (xt: string, tableT: string | null, K: number, W: number): string =>
  `sac_dense_${tsuffix(xt)}${tableT ? `_${tsuffix(tableT)}` : ''}_k${K}w${W}`;
