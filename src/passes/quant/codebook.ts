// Codebook of normalised shift-add weight values (sums of <= K signed powers 2^-p, p < 2^B), cached per (K, B).

/**
 * All non-negative values v = sum_{k<K} s_k 2^-p_k (p in [0, 2^B - 1]) sorted ascending, values[0] = 0,
 * each with one minimal encoding stored as K int8 codes `s * (1 + sh)`, `sh = (2^B - 1) - p` (docs/numerics.md),
 * unused slots 0. Negative values are the mirror image: negate the codes. A weight is `2^E * v`.
 */
export class Codebook {
  readonly span: number;
  /** Smallest positive term 2^-(2^B - 1); below half of it a log rounding has no midpoint and rounds to 0. */
  readonly minPos: number;
  readonly max: number;

  constructor(
    readonly K: number,
    readonly B: number,
    readonly values: Float64Array,
    readonly codes: Int8Array,
    readonly terms: Uint8Array,
  ) {
    this.span = 2 ** B - 1;
    this.minPos = 2 ** -this.span;
    this.max = values[values.length - 1]!;
  }

  get size(): number {
    return this.values.length;
  }

  /** Index of the largest value <= a (a >= 0); the last index when a exceeds the range. */
  lowerIndex(a: number): number {
    const v = this.values;
    let lo = 0;
    let hi = v.length - 1;
    if (a >= v[hi]!) return hi;
    // Invariant v[lo] <= a < v[hi]; a < 0 never reaches here in practice and maps to 0.
    while (hi - lo > 1) {
      const mid = (lo + hi) >>> 1;
      if (v[mid]! <= a) lo = mid;
      else hi = mid;
    }
    return lo;
  }

  /** Largest representable magnitude <= |x|. */
  floorAbs(x: number): number {
    return this.values[this.lowerIndex(Math.abs(x))]!;
  }

  /** Smallest representable magnitude >= |x| (clamped to the maximum). */
  ceilAbs(x: number): number {
    const a = Math.abs(x);
    const i = this.lowerIndex(a);
    return this.values[i]! === a || i === this.values.length - 1 ? this.values[i]! : this.values[i + 1]!;
  }

  /** Representable neighbours [below, above] of x (equal when x is representable or outside the range). */
  neighbours(x: number): [number, number] {
    if (x >= 0) return [Math.min(this.floorAbs(x), x), this.ceilAbs(x)];
    return [-this.ceilAbs(x), Math.max(-this.floorAbs(x), x)];
  }

  /** Index of |v| in `values`, or -1 when v is not representable. */
  indexOf(v: number): number {
    const a = Math.abs(v);
    const i = this.lowerIndex(a);
    return this.values[i] === a ? i : -1;
  }

  /** Writes the K codes of representable v into out[off .. off+K); returns its number of terms. */
  encodeInto(v: number, out: Int8Array, off: number): number {
    const i = this.indexOf(v);
    if (i < 0) throw new Error(`value ${v} is not representable with K=${this.K}, B=${this.B}`);
    const s = v < 0 ? -1 : 1;
    const K = this.K;
    for (let k = 0; k < K; k++) out[off + k] = s * this.codes[i * K + k]!;
    return this.terms[i]!;
  }

  encode(v: number): Int8Array {
    const out = new Int8Array(this.K);
    this.encodeInto(v, out, 0);
    return out;
  }

  /** Decodes K codes back to the normalised value (exact in float64). */
  decode(codes: ArrayLike<number>, off = 0): number {
    let v = 0;
    for (let k = 0; k < this.K; k++) {
      const c = codes[off + k]!;
      if (c) v += Math.sign(c) * 2 ** (Math.abs(c) - 1 - this.span);
    }
    return v;
  }

  /**
   * Greedy log-domain rounding: each term is the power of two nearest the residual in log2 (the geometric
   * midpoint rule for K = 1), clamped to the window; identical to greedyLogRow in shift-layer.ts.
   */
  nearestLog(x: number): number {
    let r = x;
    let v = 0;
    const half = this.minPos / 2;
    for (let k = 0; k < this.K && r !== 0; k++) {
      const mag = Math.abs(r);
      if (mag < half) break;
      const t = Math.min(0, Math.max(-this.span, Math.round(Math.log2(mag))));
      const term = r < 0 ? -(2 ** t) : 2 ** t;
      v += term;
      r -= term;
    }
    return v;
  }

  /** Nearest representable value in the linear domain (ties go to the smaller magnitude: fewer/lower terms). */
  nearestLinear(x: number): number {
    const a = Math.abs(x);
    const i = this.lowerIndex(a);
    const lo = this.values[i]!;
    const hi = i + 1 < this.values.length ? this.values[i + 1]! : lo;
    const m = a - lo <= hi - a ? lo : hi;
    return x < 0 ? -m : m;
  }
}

const cache = new Map<string, Codebook>();

/** The (cached) codebook for K in 1..4 and B in 1..5. */
export function codebook(K: number, B: number): Codebook {
  if (!Number.isInteger(K) || K < 1 || K > 4) throw new Error(`K must be in 1..4 (got ${K})`);
  if (!Number.isInteger(B) || B < 1 || B > 5) throw new Error(`B must be in 1..5 (got ${B})`);
  const key = `${K},${B}`;
  let cb = cache.get(key);
  if (!cb) {
    cb = build(K, B);
    cache.set(key, cb);
  }
  return cb;
}

function binom(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return Math.round(r);
}

/**
 * Enumerates every multiset of <= K signed terms in order of increasing size. Terms are listed by decreasing
 * magnitude, positive first, and multisets use non-decreasing indices, so each encoding is stored largest term
 * first. The kept encoding of a value has the fewest terms, then the smallest sum of |terms| (that sum bounds
 * the accumulator in the overflow proof, so e.g. 0.5 + 0.25 beats 1 - 0.25), then comes first in that order.
 * Two passes (collect + sort + unique, then binary-search each combination's slot) beat hashing doubles.
 */
function build(K: number, B: number): Codebook {
  const span = 2 ** B - 1;
  const nT = 2 * (span + 1);
  const tVal = new Float64Array(nT);
  const tCode = new Int8Array(nT);
  for (let p = 0; p <= span; p++) {
    tVal[2 * p] = 2 ** -p;
    tVal[2 * p + 1] = -(2 ** -p);
    tCode[2 * p] = 1 + span - p;
    tCode[2 * p + 1] = -(1 + span - p);
  }
  let bound = 1;
  for (let k = 1; k <= K; k++) bound += binom(nT + k - 1, k);
  const idx = new Int32Array(K);
  const enumerate = (leaf: (k: number, v: number, l1: number) => void): void => {
    const rec = (depth: number, k: number, start: number, v: number, l1: number): void => {
      if (depth === k) {
        if (v > 0) leaf(k, v, l1);
        return;
      }
      for (let t = start; t < nT; t++) {
        idx[depth] = t;
        rec(depth + 1, k, t, v + tVal[t]!, l1 + Math.abs(tVal[t]!));
      }
    };
    for (let k = 1; k <= K; k++) rec(0, k, 0, 0, 0);
  };
  // Pass 1: the distinct values (sums of dyadic terms are exact in float64, so equality is exact).
  const all = new Float64Array(bound);
  let m = 1;
  enumerate((_k, v) => {
    all[m++] = v;
  });
  const sorted = all.subarray(0, m).sort();
  let n = 0;
  for (let i = 0; i < m; i++) if (i === 0 || sorted[i] !== sorted[n - 1]) sorted[n++] = sorted[i]!;
  const values = sorted.slice(0, n);
  const cb = new Codebook(K, B, values, new Int8Array(n * K), new Uint8Array(n));
  // Pass 2: keep the preferred encoding per value.
  const l1s = new Float64Array(n);
  enumerate((k, v, l1) => {
    const at = cb.lowerIndex(v);
    const prev = cb.terms[at]!;
    if (prev !== 0 && (prev < k || l1s[at]! <= l1)) return;
    cb.terms[at] = k;
    l1s[at] = l1;
    for (let j = 0; j < K; j++) cb.codes[at * K + j] = j < k ? tCode[idx[j]!]! : 0;
  });
  return cb;
}
