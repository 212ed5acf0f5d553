// Packed (entropy-coded) shift-add weights: per-layer canonical Huffman codes per term slot, decoded per channel.
import type { Tensor } from '../../ir/tensor.js';
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

/**
 * `static void fn(sac_bits *r, uint32_t *h, O *t, O *to, uint8_t *tf)`: decodes one channel's D weights
 * from `r` into bucket form for `sac_pkw`: h[0] = bucket count, then per non-empty (sign, shift) bucket
 * `cnt << 6 | neg << 5 | sh`; t = the buckets' input offsets (tab[tap], or tap without a table) in
 * header order. Terms go to to/tf (offset, field) in tap order first, then a counting sort by field,
 * so a channel needs no tap indices in flash. Only shifts, adds, compares and table lookups.
 */
export function packedDecodeText(fn: string, f: string, O: string, tab: string | null, D: number, B: number, slots: readonly SlotCode[]): string {
  const NF = 2 << B;
  const mask = (1 << B) - 1;
  const store = ['to[n] = (' + O + ')' + (tab ? `${tab}[i]` : 'i') + ';', 'tf[n] = (uint8_t)fd;', 'c[fd]++;', 'n++;'];
  return [
    `static void ${fn}(sac_bits *r, uint32_t *h, ${O} *t, ${O} *to, uint8_t *tf) {`,
    `  uint32_t c[${NF}];`,
    `  uint32_t i, n = 0, nb = 0, pos = 0, s, fd${slots.some((x) => 'code' in x) ? ', v, l' : ''};`,
    '  const uint16_t *w = r->w;',
    '  uint32_t buf = r->buf, nbits = r->n;',
    `  for (fd = 0; fd < ${NF}; fd++) c[fd] = 0;`,
    `  for (i = 0; i < ${D}; i++) {`,
    ...weightText(f, B, slots, [], store).map((l) => `    ${l}`),
    '  }',
    '  // Bucket headers, and c[fd] becomes the bucket\'s first slot in t (a prefix sum).',
    `  for (fd = 0; fd < ${NF}; fd++) {`,
    '    if (!c[fd]) continue;',
    `    h[++nb] = c[fd] << 6 | (fd >> ${B}) << 5 | (fd & ${mask}u);`,
    '    s = c[fd];',
    '    c[fd] = pos;',
    '    pos += s;',
    '  }',
    '  r->w = w;',
    '  r->buf = buf;',
    '  r->n = nbits;',
    '  h[0] = nb;',
    '  for (i = 0; i < n; i++) t[c[tf[i]]++] = to[i];',
    '}',
  ].join('\n');
}

/**
 * `static uint32_t fn(sac_bits *r, const T *p)`: the term sum of one Gemm output, decoding the channel as it
 * goes. A Gemm weight is used once per inference, so bucketing it (as `packedDecodeText` does for a
 * convolution, whose channel serves every output position) would cost more than it saves.
 */
export function packedDotText(fn: string, f: string, xt: string, D: number, B: number, slots: readonly SlotCode[]): string {
  const mask = (1 << B) - 1;
  // m is all ones for a negative term: (v ^ m) - m negates without a branch.
  const term = [`m = 0u - (fd >> ${B});`, `acc += ((x << (fd & ${mask}u)) ^ m) - m;`];
  return [
    `static uint32_t ${fn}(sac_bits *r, const ${xt} *p) {`,
    `  uint32_t i, acc = 0, s, fd, x, m${slots.some((x) => 'code' in x) ? ', v, l' : ''};`,
    '  const uint16_t *w = r->w;',
    '  uint32_t buf = r->buf, nbits = r->n;',
    `  for (i = 0; i < ${D}; i++) {`,
    ...weightText(f, B, slots, ['x = (uint32_t)(int32_t)p[i];'], term).map((l) => `    ${l}`),
    '  }',
    '  r->w = w;',
    '  r->buf = buf;',
    '  r->n = nbits;',
    '  return acc;',
    '}',
  ].join('\n');
}

/** The loop body over one weight: its slot symbols, each term's field fd = neg << B | sh, then `use`. */
function weightText(f: string, B: number, slots: readonly SlotCode[], first: string[], use: string[]): string[] {
  const mask = (1 << B) - 1;
  const sym = (j: number): string[] => {
    const s = slots[j]!;
    if (!('code' in s)) return [`s = ${s.constant}u;`];
    // Keep 16 to 31 unread bits at the top of buf (codes are at most 16 bits), then the limit search.
    return [
      'if (nbits < 16u) {', '  buf |= (uint32_t)w[0] << (16u - nbits);', '  w++;', '  nbits += 16u;', '}',
      'v = buf >> 16;', `l = ${s.min}u;`, `while (v > ${f}_hl${j}[l]) l++;`,
      `s = ${f}_hs${j}[(${f}_ho${j}[l] + (v >> (15u - l))) & 255u];`, 'buf <<= l + 1u;', 'nbits -= l + 1u;',
    ];
  };
  const body: string[] = [...sym(0), 'if (!s) continue;', 'fd = s - 1u;', ...first, ...use];
  for (let j = 1; j < slots.length; j++) {
    body.push(...sym(j), 'if (!s) continue;', 's -= 1u;', `fd = (((fd >> ${B}) ^ (s >> 6)) << ${B}) | ((fd & ${mask}u) + 31u - (s & 63u));`, ...use);
  }
  return body;
}

/** Scratch bytes of the decoded channel: headers (uint32), bucketed offsets, offsets and fields in tap order. */
export function packedScratch(D: number, K: number, B: number, oBytes: number): { h: number; t: number; to: number; tf: number; bytes: number } {
  const a4 = (n: number) => (n + 3) & ~3;
  const h = 0;
  const t = h + 4 * (1 + (2 << B));
  const to = t + a4(D * K * oBytes);
  const tf = to + a4(D * K * oBytes);
  return { h, t, to, tf, bytes: tf + a4(D * K) };
}
