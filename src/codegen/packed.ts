// Packed (entropy-coded) shift-add weights: per-layer canonical Huffman codes per term slot, decoded per channel.
import type { Tensor } from '../ir/tensor.js';
import { BitWriter, canonical, codeLengths, limitTables } from './huffman.js';

/**
 * Symbol of term slot j of a weight (its non-zero codes, in order). Slot 0: 0 = no term, else
 * 1 + field with field = neg << B | sh. Slot j > 0 (only coded when slot j - 1 holds a term): 0 = no
 * more terms, else 1 + (flip << 6 | (sh_{j-1} - sh_j + 31)), flip = the sign differs from the previous
 * term's. Coding later terms relative to the one before uses that a weight's terms are ordered (the next
 * is usually a few shifts smaller, often of either sign): measured 0.68-0.82x of (1 + B) bits per term.
 */
export function slotSymbol(prev: number, c: number, B: number): number {
  if (c === 0) return 0;
  if (prev === 0) return 1 + ((c < 0 ? 1 << B : 0) | (Math.abs(c) - 1));
  const flip = (c < 0) !== (prev < 0) ? 1 : 0;
  return 1 + ((flip << 6) | (Math.abs(prev) - Math.abs(c) + 31));
}

/** Per term slot: the canonical code and its decode tables, or a constant symbol (at most one symbol occurs: no bits). */
export type SlotCode = { syms: number[]; lim: number[]; off: number[]; min: number; code: Map<number, { len: number; bits: number }> } | { constant: number };

export interface PackedStream {
  words: number[];
  /** Bits used (the last word is padded with zeros). */
  bits: number;
  slots: SlotCode[];
  terms: number;
}

/** A weight's symbol sequence: one per slot up to and including the first missing term (none after K terms). */
function weightSymbols(cd: ArrayLike<number>, base: number, K: number, B: number): number[] {
  const terms: number[] = [];
  for (let k = 0; k < K; k++) if (cd[base + k]) terms.push(cd[base + k]!);
  const out: number[] = [];
  for (let j = 0; j < K; j++) {
    out.push(slotSymbol(j ? terms[j - 1]! : 0, terms[j] ?? 0, B));
    if (j >= terms.length) break;
  }
  return out;
}

/**
 * Packs codes [M, D, K] as one MSB-first bit stream in uint16 words: per channel, per tap, the weight's
 * slot symbols (see `slotSymbol`), each in its slot's canonical Huffman code. No per-channel header: the
 * decoder reads channels in order and always knows how many symbols follow (D taps, terms end at a 0).
 */
export function packPacked(codes: Tensor, M: number, D: number, K: number, B: number): PackedStream {
  const cd = codes.data;
  const seqs: number[][] = [];
  const freq = Array.from({ length: K }, () => new Map<number, number>());
  let terms = 0;
  for (let i = 0; i < M * D; i++) {
    const s = weightSymbols(cd, i * K, K, B);
    s.forEach((v, j) => freq[j]!.set(v, (freq[j]!.get(v) ?? 0) + 1));
    terms += s.filter((v) => v !== 0).length;
    seqs.push(s);
  }
  const slots: SlotCode[] = freq.map((f) => {
    if (f.size <= 1) return { constant: [...f.keys()][0] ?? 0 };
    const c = canonical(codeLengths(f));
    return { syms: c.syms, code: c.code, ...limitTables(c) };
  });
  const w = new BitWriter();
  for (const s of seqs) {
    s.forEach((v, j) => {
      const sc = slots[j]!;
      if ('code' in sc) {
        const c = sc.code.get(v)!;
        w.put(c.bits, c.len);
      }
    });
  }
  // One zero word past the end: the decoder refills 16 bits ahead of the bits it consumes.
  w.words.push(0);
  return { words: w.words, bits: w.bits, slots, terms };
}

/** Flash of a slot's decode tables: per code length a uint16 limit and a uint8 offset, and one byte per symbol. */
export const slotTableBytes = (s: SlotCode): number => ('code' in s ? 3 * s.lim.length + s.syms.length : 0);

/** Scratch bytes of the decoded channel: headers (uint32), bucketed offsets, offsets and fields in tap order. */
export function packedScratch(D: number, K: number, B: number, oBytes: number): { h: number; t: number; to: number; tf: number; bytes: number } {
  const a4 = (n: number) => (n + 3) & ~3;
  const h = 0;
  const t = h + 4 * (1 + (2 << B));
  const to = t + a4(D * K * oBytes);
  const tf = to + a4(D * K * oBytes);
  return { h, t, to, tf, bytes: tf + a4(D * K) };
}
