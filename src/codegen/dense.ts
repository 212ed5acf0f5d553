// Dense shift-add weight stream: every (tap, term slot) as one (1 + B)-bit code, no tap indices or headers.
import type { Tensor } from '../ir/tensor.js';

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
 * tap, K fields of W = 1 + B bits, field = neg << B | sh. Each channel starts on a uint16 boundary
 * (under 16 bits of padding per channel), so its decode schedule is static (`denseWalkText`).
 * Null if a weight cannot be filled (see `fillSlots`).
 */
export function packDense(codes: Tensor, M: number, D: number, K: number, B: number): { words: Uint16Array; slots: number; zero?: number } | null {
  const W = 1 + B;
  // Typed and sized up front (each channel starts on a word boundary): wide layers hold tens of millions of words.
  const words = new Uint16Array(M * denseChannelWords(D, K, W));
  const zero = K === 1 ? zeroField(codes, B) : undefined;
  let pos = 0;
  for (let i = 0; i < M * D; i++) {
    if (i % D === 0) pos = (pos + 15) & ~15;
    // K = 1 has no pair to fill a missing term with: a field value no term uses marks it instead.
    const f = zero !== undefined && !codes.data[i] ? [0] : fillSlots(codes.data, i * K, K, B);
    if (!f) return null;
    for (const c of f) {
      const field = c === 0 ? zero! : (c < 0 ? 1 << B : 0) | (Math.abs(c) - 1);
      for (let b = W - 1; b >= 0; b--, pos++) {
        if ((field >> b) & 1) words[pos >> 4]! |= 0x8000 >> (pos & 15);
      }
    }
  }
  return zero === undefined ? { words, slots: M * D * K } : { words, slots: M * D * K, zero };
}

/**
 * For a K = 1 layer with weights that have no term: a field value (neg << B | sh) that no term of the layer
 * uses, to mark them in the dense stream (the smallest negative shift first: it is the least likely in use).
 * Undefined when every weight has a term (no marker needed) or all 2^(1 + B) field values are taken.
 */
function zeroField(codes: Tensor, B: number): number | undefined {
  const used = new Set<number>();
  let missing = false;
  for (const c of codes.data) {
    if (c === 0) missing = true;
    else used.add((c < 0 ? 1 << B : 0) | (Math.abs(c) - 1));
  }
  if (!missing) return undefined;
  for (let f = 1 << B; f < 2 << B; f++) if (!used.has(f)) return f;
  for (let f = 0; f < 1 << B; f++) if (!used.has(f)) return f;
  return undefined;
}

/** uint16 words per channel of the dense stream. */
export const denseChannelWords = (D: number, K: number, W: number): number => Math.ceil((D * K * W) / 16);
