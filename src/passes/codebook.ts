// The representable weight values for K terms over a 2^B-exponent window, with their term encodings (cached).

/** Sorted non-negative normalised values v = sum s_k 2^-p_k (top exponent 0) and each one's codes. */
export interface Codebook {
  readonly values: Float64Array;
  /** K codes per value in docs/numerics.md form (sign * (1 + sh)), fewest terms first. */
  readonly codes: Int8Array;
  /** Number of non-zero terms of each value's encoding. */
  readonly termCount: Int8Array;
  readonly K: number;
  readonly B: number;
}

/**
 * A memo of a pure function of (K, B) (at most 20 immutable books, up to ~1 s to build at K=4, B=5): not state a
 * pass can observe, so it stays module-level rather than travelling in every pass context.
 */
const cache = new Map<string, Codebook>();

export function codebook(K: number, B: number): Codebook {
  const key = `${K}/${B}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const span = 2 ** B - 1;
  // Breadth-first over term counts so each value keeps its shortest encoding.
  let level = new Map<number, number[]>([[0, []]]);
  const all = new Map<number, number[]>([[0, []]]);
  for (let k = 0; k < K; k++) {
    const next = new Map<number, number[]>();
    for (const [v, terms] of level) {
      for (let p = 0; p <= span; p++) {
        for (const s of [1, -1]) {
          const nv = v + s * 2 ** -p;
          if (all.has(nv) || next.has(nv)) continue;
          next.set(nv, [...terms, s * (1 + span - p)]);
        }
      }
    }
    for (const [v, t] of next) all.set(v, t);
    level = next;
  }
  const entries = [...all].filter(([v]) => v >= 0).sort((a, b) => a[0] - b[0]);
  const values = Float64Array.from(entries, ([v]) => v);
  const codes = new Int8Array(entries.length * K);
  entries.forEach(([, t], i) => t.forEach((c, k) => { codes[i * K + k] = c; }));
  const termCount = Int8Array.from(entries, ([, t]) => t.length);
  const book = { values, codes, termCount, K, B };
  cache.set(key, book);
  return book;
}

/** Index of the largest value <= x (x >= 0), by binary search. */
export function floorIndex(book: Codebook, x: number): number {
  const v = book.values;
  let lo = 0;
  let hi = v.length - 1;
  if (x >= v[hi]!) return hi;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (v[mid]! <= x) lo = mid; else hi = mid;
  }
  return lo;
}

/** Writes the K codes of signed normalised value index `idx` (negative values flip every sign). */
export function writeCodes(book: Codebook, idx: number, negative: boolean, out: Int8Array, at: number): void {
  for (let k = 0; k < book.K; k++) {
    const c = book.codes[idx * book.K + k]!;
    out[at + k] = negative ? -c : c;
  }
}
