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

/** Reads one symbol back (tests): the same walk as the C decoder `sac_huff`. */
export function decodeOne(words: readonly number[], pos: { bit: number }, counts: readonly number[], syms: readonly number[]): number {
  let code = 0;
  let first = 0;
  let index = 0;
  for (const c of counts) {
    code |= (words[pos.bit >> 4]! >> (15 - (pos.bit & 15))) & 1;
    pos.bit++;
    if (code < first + c) return syms[index + code - first]!;
    index += c;
    first = (first + c) << 1;
    code <<= 1;
  }
  throw new Error('invalid Huffman code');
}
