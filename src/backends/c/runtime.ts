// The C runtime helpers of docs/numerics.md (shl, requant, CSD, shift-add term walk), emitted only when used.
import { tsuffix } from './cfmt.js';
import { listChannelsText, listWalk2Text } from './list-walk.js';

/**
 * Collects the helpers a translation unit needs. Unused `static` functions would trip -Wunused-function,
 * so each kernel requests what it calls and the emitter prints exactly those, in a fixed order.
 */
export class Runtime {
  private readonly used = new Map<string, string>();

  /** Requests `name` and returns it, so kernels splice the call into their text. */
  private add(name: string, text: () => string): string {
    if (!this.used.has(name)) this.used.set(name, text());
    return name;
  }

  need(name: 'sac_narrow' | 'sac_csd' | 'sac_gain' | 'sac_bits'): string {
    if (name === 'sac_narrow') return this.add(name, narrowText);
    if (name === 'sac_gain') return this.add(name, gainText);
    if (name === 'sac_bits') return this.add(name, bitsText);
    return this.add(name, csdText);
  }

  /** The shift-add inner product over one output position (see `termsText`). */
  terms(xt: string, tapT: string, tableT: string | null, paged: boolean): string {
    const name = `sac_terms_${tsuffix(xt)}_${tsuffix(tapT)}${tableT ? `_${tsuffix(tableT)}` : ''}${paged ? '_pg' : ''}`;
    return this.add(name, () => termsText(name, xt, tapT, tableT, paged));
  }

  /** The term walk over one channel decoded from the packed form (see `pkwText`). */
  packedWalk(xt: string, ot: string): string {
    const name = `sac_pkw_${tsuffix(xt)}_${tsuffix(ot)}`;
    return this.add(name, () => pkwText(name, xt, ot));
  }

  /** sac_gain for a fixed digit count G, unrolled and inlined (the list form's per-output gain). */
  gainUnrolled(G: number): string {
    const name = `sac_gain${G}`;
    return this.add(name, () => gainUnrolledText(name, G));
  }

  /** The byte-list walk of one channel over two window buffers (two output positions). */
  listWalk2(xt: string, paged: boolean): string {
    const name = `sac_lw2_${tsuffix(xt)}${paged ? '_pg' : ''}`;
    return this.add(name, () => listWalk2Text(name, xt, paged));
  }

  /** The list form's shared channel loop of one variant (see listChannelsText). */
  listChannels(xt: string, yt: string, G: number, fast: boolean, paged: boolean): string {
    const walk = this.listWalk2(xt, paged);
    const gain = G ? this.gainUnrolled(G) : null;
    const narrow = fast ? null : this.need('sac_narrow');
    const name = `sac_lch_${tsuffix(xt)}_${tsuffix(yt)}_g${G}${fast ? 'f' : 'n'}${paged ? '_pg' : ''}`;
    return this.add(name, () => listChannelsText(name, walk, xt, yt, G, fast, gain, narrow));
  }

  /** Zero-padded copy of `planes` planes (conv input windows then never leave the buffer). */
  pad(xt: string): string {
    const name = `sac_pad_${tsuffix(xt)}`;
    return this.add(name, () => padText(name, xt));
  }

  /** The opacity macro, then helper definitions in first-request order (kernels are emitted in node order). */
  text(): string {
    return [OPAQUE, ...this.used.values()].join('\n\n');
  }
}

// Optimisers may rewrite a running offset as base + i * stride, which becomes a multiply instruction where
// that is cheap (e.g. Cortex-M0 at -Os). An empty asm makes the offset opaque, so it stays a running sum.
// SAC_PIN is the same but volatile: pinned values keep their program order, so they are not all hoisted.
// SAC_NOINLINE keeps a walk out of line: inlined into the layer loops, gcc -O2 made the packed conv walk
// ~40% slower (host callgrind, lenet). Other compilers get no-ops; the machine-code check uses gcc.
const OPAQUE = `#if defined(__GNUC__)
#define SAC_OPAQUE(v) __asm__("" : "+r"(v))
#define SAC_PIN(v) __asm__ volatile("" : "+r"(v))
#define SAC_NOINLINE __attribute__((noinline))
#define SAC_INLINE __inline__ __attribute__((always_inline))
#else
#define SAC_OPAQUE(v) ((void)0)
#define SAC_PIN(v) ((void)0)
#define SAC_NOINLINE
#define SAC_INLINE
#endif`;

// Shifts go through uint32_t: left shifts of negative int32 are undefined in C, and uint32 wrap-around is
// exactly the interpreter's Int32Array/`| 0` arithmetic. Converting a uint32 >= 2^31 back to int32 is
// implementation-defined; gcc and clang define it as modulo 2^32, which is what we rely on.
// `>>` on a negative int32 is also implementation-defined; gcc and clang shift arithmetically (sign fill),
// which is the numerics contract's rounding right shift.
const narrowText = (): string => `// numerics.md requant(v, r, bits) then the fused activation clamp [lo, hi].
static int32_t sac_narrow(int32_t v, int r, int bits, int32_t lo, int32_t hi) {
  int32_t smax = (int32_t)(((uint32_t)1 << (bits - 1)) - 1u);
  int32_t smin = -smax - 1;
  if (r > 0) {
    // Round half up: add 2^(r-1) with wrap-around, then an arithmetic right shift.
    v = (int32_t)((uint32_t)v + ((uint32_t)1 << (r - 1))) >> r;
  } else if (r < 0) {
    // Saturate first, then shift by at most \`bits\`: equals sat(v * 2^-r) and can never wrap.
    int s = -r < bits ? -r : bits;
    v = v > smax ? smax : v < smin ? smin : v;
    v = (int32_t)((uint32_t)v << s);
  }
  v = v > smax ? smax : v < smin ? smin : v;
  return v < lo ? lo : v > hi ? hi : v;
}`;

// `>>` of a negative int32 is arithmetic (floor) on gcc and clang, the contract's gain digit; sums wrap via uint32.
const gainText = (): string => `// numerics.md channel gain: sum over the n digit codes c of sign(c) * (acc >> (|c| - 1)).
static int32_t sac_gain(int32_t acc, const int8_t *d, int n) {
  uint32_t v = 0;
  while (n--) {
    int c = *d++;
    if (c > 0) v += (uint32_t)(acc >> (c - 1));
    else if (c < 0) v -= (uint32_t)(acc >> (-c - 1));
  }
  return (int32_t)v;
}`;

const gainUnrolledText = (name: string, G: number): string => {
  const digit = (j: number) => `  c = d[${j}];\n  if (c > 0) v += (uint32_t)(acc >> (c - 1));\n  else if (c < 0) v -= (uint32_t)(acc >> (-c - 1));`;
  return `// sac_gain over ${G} digits, unrolled.
SAC_INLINE static int32_t ${name}(int32_t acc, const int8_t *d) {
  uint32_t v = 0;
  int c;
${Array.from({ length: G }, (_, j) => digit(j)).join('\n')}
  return (int32_t)v;
}`;
};

const csdText = (): string => `// numerics.md csd(s): sum_j d_j * shl(s, D - j) for the D + 1 canonical signed digits d.
static int32_t sac_csd(int32_t s, const int8_t *d, int D) {
  uint32_t acc = 0;
  int j;
  for (j = 0; j <= D; j++) {
    if (d[j] > 0) acc += (uint32_t)s << (D - j);
    else if (d[j] < 0) acc -= (uint32_t)s << (D - j);
  }
  return (int32_t)acc;
}`;

/**
 * Weight stream walk for one output position. Headers (uint16): per channel the bucket count, then per
 * bucket `cnt << 6 | neg << 5 | sh`. Taps (tapT): `cnt` tap indices per bucket. Terms sharing a sign and
 * shift are summed first and shifted once: shl distributes over modular addition, so the result is
 * bit-identical to shifting every term, with fewer shifts.
 */
function termsText(name: string, xt: string, tapT: string, tableT: string | null, paged: boolean): string {
  // Paged streams start each bucket with its page byte: the bucket's taps index page << 8 onwards.
  const page = !paged ? [] : ['    uint32_t pg = *t++;', tableT ? `    const ${tableT} *tb = tab + (pg << 8);` : `    const ${xt} *q = p + (pg << 8);`];
  const read = paged ? (tableT ? 'p[tb[*t++]]' : 'q[*t++]') : tableT ? 'p[tab[*t++]]' : 'p[*t++]';
  const tabParam = tableT ? `, const ${tableT} *tab` : '';
  return `static uint32_t ${name}(const ${xt} *p, const uint16_t **hp, const ${tapT} **tp${tabParam}) {
  const uint16_t *h = *hp;
  const ${tapT} *t = *tp;
  uint32_t acc = 0;
  unsigned nb = *h++;
  while (nb--) {
    unsigned hdr = *h++;
    unsigned cnt = hdr >> 6;
    int32_t s = 0;
    uint32_t v;
${page.join('\n')}${page.length ? '\n' : ''}    while (cnt--) s += ${read};
    v = (uint32_t)s << (hdr & 31u);
    if (hdr & 32u) acc -= v;
    else acc += v;
  }
  *hp = h;
  *tp = t;
  return acc;
}`;
}

// The packed stream position of a layer, kept across its channels (each Lk_dec works on local copies).
const bitsText = (): string => `// Packed weight stream reader: next word, unread bits left-justified in buf, their count.
typedef struct { const uint16_t *w; uint32_t buf; uint32_t n; } sac_bits;`;

/**
 * Term walk of a decoded packed channel: h[0] buckets, each `cnt << 6 | neg << 5 | sh` (cnt unbounded:
 * uint32 headers), then cnt input offsets in t. Same bucket sum as the sparse walk, offsets pre-resolved.
 */
function pkwText(name: string, xt: string, ot: string): string {
  return `SAC_NOINLINE static uint32_t ${name}(const ${xt} *p, const uint32_t *h, const ${ot} *t) {
  uint32_t acc = 0, nb = *h++, hd, cnt, v;
  while (nb--) {
    int32_t s = 0;
    hd = *h++;
    cnt = hd >> 6;
    while (cnt--) s += p[*t++];
    v = (uint32_t)s << (hd & 31u);
    if (hd & 32u) acc -= v;
    else acc += v;
  }
  return acc;
}`;
}

function padText(name: string, xt: string): string {
  // `top`/`bot` are the zero runs above and below the rows, precomputed by the emitter (pt * wp, pb * wp).
  return `static void ${name}(const ${xt} *x, ${xt} *o, int planes, int h, int w, int top, int bot, int pl, int pr) {
  int i, j;
  while (planes--) {
    for (i = 0; i < top; i++) o[i] = 0;
    o += top;
    SAC_OPAQUE(o);
    for (i = 0; i < h; i++) {
      for (j = 0; j < pl; j++) o[j] = 0;
      o += pl;
      for (j = 0; j < w; j++) o[j] = x[j];
      o += w;
      x += w;
      for (j = 0; j < pr; j++) o[j] = 0;
      o += pr;
      SAC_OPAQUE(o);
      SAC_OPAQUE(x);
    }
    for (i = 0; i < bot; i++) o[i] = 0;
    o += bot;
    SAC_OPAQUE(o);
  }
}`;
}
