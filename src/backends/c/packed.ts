// The packed weight form printed as C: the per-channel Huffman decoder (conv) and the decode-while-summing dot (Gemm).
import type { SlotCode } from '../../codegen/packed.js';

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
