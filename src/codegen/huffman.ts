// Canonical Huffman codes for the packed weight form: length-limited code lengths, decode tables and encoder.

/** Longest code: keeps the decode loop's code/first registers far from 32 bits and the length table short. */
export const MAX_CODE_LEN = 16;

export interface Canonical {
  /** Symbols that occur, each with its code length and code (MSB first). */
  code: Map<number, { len: number; bits: number }>;
  /** counts[l - 1]: codes of length l, for l = 1 .. longest (the decoder's `cnt` table). */
  counts: number[];
  /** Symbols in canonical order: by length, then by value (the decoder's `sym` table). */
  syms: number[];
}

/**
 * Huffman code lengths of the symbols with a non-zero count, at most `limit` bits. Ties break on the
 * smallest symbol so the code (and the generated C) is deterministic. If the tree is deeper than `limit`,
 * counts are halved (rounding up, never to zero) and the code rebuilt: the flattened code loses a little
 * compression on astronomically rare symbols only.
 */
export function codeLengths(freq: ReadonlyMap<number, number>, limit = MAX_CODE_LEN): Map<number, number> {
  let f = new Map([...freq].filter(([, n]) => n > 0));
  for (;;) {
    const len = new Map<number, number>([...f.keys()].map((s) => [s, 0]));
    if (f.size === 1) len.set([...f.keys()][0]!, 1);
    const nodes = [...f].map(([s, n]) => ({ n, key: s, syms: [s] }));
    while (nodes.length > 1) {
      nodes.sort((a, b) => a.n - b.n || a.key - b.key);
      const a = nodes.shift()!;
      const b = nodes.shift()!;
      for (const s of [...a.syms, ...b.syms]) len.set(s, len.get(s)! + 1);
      nodes.push({ n: a.n + b.n, key: Math.min(a.key, b.key), syms: [...a.syms, ...b.syms] });
    }
    if (Math.max(0, ...len.values()) <= limit) return len;
    f = new Map([...f].map(([s, n]) => [s, Math.ceil(n / 2)]));
  }
}

/** The canonical code of the given lengths (RFC 1951 section 3.2.2 order: shorter first, then by symbol). */
export function canonical(lengths: ReadonlyMap<number, number>): Canonical {
  const syms = [...lengths.keys()].sort((a, b) => lengths.get(a)! - lengths.get(b)! || a - b);
  const longest = Math.max(0, ...lengths.values());
  const counts = new Array<number>(longest).fill(0);
  for (const l of lengths.values()) counts[l - 1]!++;
  const code = new Map<number, { len: number; bits: number }>();
  let next = 0;
  let len = 1;
  for (const s of syms) {
    const l = lengths.get(s)!;
    while (len < l) { next <<= 1; len++; }
    code.set(s, { len: l, bits: next });
    next++;
  }
  return { code, counts, syms };
}

/** MSB-first bit writer into uint16 words (the C reader takes 16 bits at a time). */
export class BitWriter {
  readonly words: number[] = [];
  bits = 0;

  put(value: number, len: number): void {
    for (let b = len - 1; b >= 0; b--, this.bits++) {
      if ((this.bits & 15) === 0) this.words.push(0);
      if ((value >> b) & 1) this.words[this.bits >> 4]! |= 0x8000 >> (this.bits & 15);
    }
  }
}

/**
 * Decode tables of the left-justified limit method: with v = the next 16 stream bits, the code length is l + 1
 * for the smallest l >= min (the shortest code's l) with v <= lim[l] (canonical codes of length <= l + 1 left-justified are exactly the values
 * below ((first + count) << (15 - l))); its symbol is sym[(off[l] + (v >> (15 - l))) & 255], off[l] = index of
 * the length's first symbol minus its first code, mod 256 (a table has at most 256 symbols). The last limit
 * is 0xffff (the code is complete), so the search always stops. No per-bit loop, no multiply.
 */
export function limitTables(c: Canonical): { lim: number[]; off: number[]; min: number } {
  const lim: number[] = [];
  const off: number[] = [];
  let first = 0;
  let index = 0;
  c.counts.forEach((n, l) => {
    lim.push(Math.max(0, ((first + n) << (15 - l)) - 1));
    off.push((index - first) & 255);
    index += n;
    first = (first + n) << 1;
  });
  // Lengths below the shortest code would have limit -1: the search starts at the shortest instead.
  return { lim, off, min: c.counts.findIndex((n) => n > 0) };
}

/** Reads one symbol back (tests): the C decoder's limit search, on words padded like the C stream. */
export function decodeOne(words: readonly number[], pos: { bit: number }, t: { lim: readonly number[]; off: readonly number[]; min: number; syms: readonly number[] }): number {
  let v = 0;
  for (let b = 0; b < 16; b++) v = (v << 1) | ((words[(pos.bit + b) >> 4] ?? 0) >> (15 - ((pos.bit + b) & 15)) & 1);
  let l = t.min;
  while (v > t.lim[l]!) l++;
  pos.bit += l + 1;
  return t.syms[(t.off[l]! + (v >> (15 - l))) & 255]!;
}
