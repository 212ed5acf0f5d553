// Label-free recovery kernels (patches, Gram sums, targets, H products, descent, held-out error): the TypeScript loops' exact arithmetic, compiled.
//
// src/accel/recover.ts keeps a layer's patch matrices and Gram matrix H resident in this module's memory across
// calls and splits long runs into short calls (V8 runs a wasm function's first calls in its baseline tier). Every
// float sum keeps the order of its TypeScript loop: a SIMD lane is one independent sum, no sum is reassociated, and
// nothing is contracted (see scripts/build-kernels.mjs). Each export names the TypeScript function it reproduces.
#include <stdint.h>
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))
#define LD(p) wasm_v128_load(p)
#define ST(p, v) wasm_v128_store(p, v)
#define ADD wasm_f64x2_add
#define SUB wasm_f64x2_sub
#define MUL wasm_f64x2_mul
#define SPLAT wasm_f64x2_splat

/** Integer activation element types, as recover.ts encodes them. */
enum { I8 = 1, I16 = 2, I32 = 3 };

static inline double int_at(const void *q, int32_t type, int32_t i) {
  return type == I8 ? ((const int8_t *)q)[i] : type == I16 ? ((const int16_t *)q)[i] : ((const int32_t *)q)[i];
}

/** Parameter block of conv_patches: float32 samples fl and integer samples q, each [S][C][H][W]; rows [P][D] out. */
typedef struct {
  const float *fl;
  const void *q;
  int32_t qType, s0, s1;
  int32_t C, H, W, KH, KW, sh, sw, dh, dw, ph, pw, OW, Cg, g, perSample, D;
  /** Output position of each patch row. */
  const int32_t *pos;
  double *xq, *xf;
} PatchParams;

/** convPatches (layer-stats.ts) for samples s0..s1-1: the taps of each sampled window, 0 in the padding; xq = q * qs (exact). */
EXPORT(conv_patches) void conv_patches(const PatchParams *p, double qs) {
  const int32_t n = p->C * p->H * p->W, D = p->D;
  for (int32_t s = p->s0; s < p->s1; s++) {
    const float *fd = p->fl + s * n;
    for (int32_t j = 0; j < p->perSample; j++) {
      const int32_t row = s * p->perSample + j, pos = p->pos[row];
      const int32_t oh = pos / p->OW, ow = pos - oh * p->OW;
      double *xf = p->xf + row * D, *xq = p->xq + row * D;
      int32_t col = 0;
      for (int32_t c = 0; c < p->Cg; c++) {
        const int32_t base = (p->g * p->Cg + c) * p->H * p->W;
        for (int32_t kh = 0; kh < p->KH; kh++) {
          const int32_t ih = oh * p->sh + kh * p->dh - p->ph;
          for (int32_t kw = 0; kw < p->KW; kw++, col++) {
            const int32_t iw = ow * p->sw + kw * p->dw - p->pw;
            if (ih < 0 || ih >= p->H || iw < 0 || iw >= p->W) { xf[col] = 0; xq[col] = 0; continue; }
            const int32_t at = base + ih * p->W + iw;
            xf[col] = fd[at];
            xq[col] = int_at(p->q, p->qType, s * n + at) * qs;
          }
        }
      }
    }
  }
}

/** Parameter block of the Gram kernels: running sums H (upper triangle), sumQ, sumF over patch rows r0..r1-1. */
typedef struct {
  double *H;
  const double *xq, *xf;
  double *sumQ, *sumF;
  int32_t D, r0, r1;
} GramParams;

/** addSums: column sums of both patch matrices, rows in order (each column its own sum, so whole vectors at once). */
static void add_sums(const GramParams *p) {
  const int32_t D = p->D;
  for (int32_t r = p->r0; r < p->r1; r++) {
    const double *q = p->xq + r * D, *f = p->xf + r * D;
    for (int32_t i = 0; i < D; i++) { p->sumQ[i] += q[i]; p->sumF[i] += f[i]; }
  }
}

/** gramSums' addRows4 (r1 - r0 a multiple of 4): four patch rows per sweep, each entry + a0 x0 + a1 x1 + a2 x2 + a3 x3 in that order. */
EXPORT(gram_rows4) void gram_rows4(const GramParams *p) {
  const int32_t D = p->D;
  add_sums(p);
  for (int32_t r = p->r0; r < p->r1; r += 4) {
    const double *x0 = p->xq + r * D, *x1 = x0 + D, *x2 = x1 + D, *x3 = x2 + D;
    for (int32_t i = 0; i < D; i++) {
      const double a0 = x0[i], a1 = x1[i], a2 = x2[i], a3 = x3[i];
      // Rows whose four inputs are all zero add +-0 to every entry: skipped, as the plain loop does.
      if (a0 == 0 && a1 == 0 && a2 == 0 && a3 == 0) continue;
      double *h = p->H + i * D;
      const v128_t s0 = SPLAT(a0), s1 = SPLAT(a1), s2 = SPLAT(a2), s3 = SPLAT(a3);
      int32_t j = i;
      for (; j + 2 <= D; j += 2) {
        v128_t v = LD(h + j);
        v = ADD(v, MUL(s0, LD(x0 + j)));
        v = ADD(v, MUL(s1, LD(x1 + j)));
        v = ADD(v, MUL(s2, LD(x2 + j)));
        v = ADD(v, MUL(s3, LD(x3 + j)));
        ST(h + j, v);
      }
      if (j < D) h[j] = h[j] + a0 * x0[j] + a1 * x1[j] + a2 * x2[j] + a3 * x3[j];
    }
  }
}

/** gramSums' addRows1: one patch row at a time (the rows after the last group of four). */
EXPORT(gram_rows1) void gram_rows1(const GramParams *p) {
  const int32_t D = p->D;
  add_sums(p);
  for (int32_t r = p->r0; r < p->r1; r++) {
    const double *x = p->xq + r * D;
    for (int32_t i = 0; i < D; i++) {
      const double a = x[i];
      if (a == 0) continue;
      double *h = p->H + i * D;
      for (int32_t j = i; j < D; j++) h[j] += a * x[j];
    }
  }
}

/** finishGram: means from the sums, then H / n (minus the outer product of the means) filled symmetrically. */
EXPORT(finish_gram) void finish_gram(double *H, double *meanQ, double *meanF, int32_t D, double n, int32_t centred) {
  for (int32_t i = 0; i < D; i++) { meanQ[i] /= n; meanF[i] /= n; }
  for (int32_t i = 0; i < D; i++) {
    for (int32_t j = i; j < D; j++) {
      double v = H[i * D + j] / n;
      if (centred) v -= meanQ[i] * meanQ[j];
      H[i * D + j] = v;
      H[j * D + i] = v;
    }
  }
}

/** Parameter block of targets: rows w [M][D], targets t [M][D] (running sums), y [4][M] scratch; patch rows r0..r1-1 of from..to. */
typedef struct {
  const double *xq, *xf, *w;
  double *y, *t;
  int32_t D, M, r0, r1, to;
} TargetParams;

/** targets' floatOutputs and addToTargets for groups of four patch rows starting at r0 (r0 - from a multiple of 4). */
EXPORT(targets) void targets(const TargetParams *p) {
  const int32_t D = p->D, M = p->M;
  double *y = p->y;
  for (int32_t r = p->r0; r < p->r1; r += 4) {
    const int32_t nr = p->to - r < 4 ? p->to - r : 4;
    const double *f0 = p->xf + r * D, *q0 = p->xq + r * D;
    for (int32_t m = 0; m < M; m++) {
      const double *w = p->w + m * D;
      if (nr == 4) {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (int32_t i = 0; i < D; i++) {
          const double wi = w[i];
          s0 += wi * f0[i]; s1 += wi * f0[D + i]; s2 += wi * f0[2 * D + i]; s3 += wi * f0[3 * D + i];
        }
        y[m] = s0; y[M + m] = s1; y[2 * M + m] = s2; y[3 * M + m] = s3;
        continue;
      }
      for (int32_t k = 0; k < nr; k++) {
        double s = 0;
        for (int32_t i = 0; i < D; i++) s += w[i] * f0[k * D + i];
        y[k * M + m] = s;
      }
    }
    for (int32_t m = 0; m < M; m++) {
      double *t = p->t + m * D;
      if (nr == 4) {
        const double y0 = y[m], y1 = y[M + m], y2 = y[2 * M + m], y3 = y[3 * M + m];
        const v128_t v0 = SPLAT(y0), v1 = SPLAT(y1), v2 = SPLAT(y2), v3 = SPLAT(y3);
        int32_t i = 0;
        for (; i + 2 <= D; i += 2) {
          v128_t v = LD(t + i);
          v = ADD(v, MUL(LD(q0 + i), v0));
          v = ADD(v, MUL(LD(q0 + D + i), v1));
          v = ADD(v, MUL(LD(q0 + 2 * D + i), v2));
          v = ADD(v, MUL(LD(q0 + 3 * D + i), v3));
          ST(t + i, v);
        }
        if (i < D) t[i] = t[i] + q0[i] * y0 + q0[D + i] * y1 + q0[2 * D + i] * y2 + q0[3 * D + i] * y3;
        continue;
      }
      for (int32_t k = 0; k < nr; k++) {
        const double ym = y[k * M + m];
        for (int32_t i = 0; i < D; i++) t[i] += q0[k * D + i] * ym;
      }
    }
  }
}

/** normalizeTargets: t / n minus (centred) meanQ times the row's float output mean. */
EXPORT(normalize_targets) void normalize_targets(double *t, const double *w, const double *meanQ, const double *meanF, int32_t M, int32_t D, double n, int32_t centred) {
  for (int32_t m = 0; m < M; m++) {
    double *tm = t + m * D;
    const double *wm = w + m * D;
    double yMean = 0;
    for (int32_t i = 0; i < D; i++) yMean += wm[i] * meanF[i];
    for (int32_t i = 0; i < D; i++) tm[i] = tm[i] / n - (centred ? meanQ[i] * yMean : 0);
  }
}

/** dst[(b * D + i) * 4 + k] = src[(4 b + k) * D + i]: blocks of four rows interleaved, so one vector holds two rows' entries. */
EXPORT(interleave4) void interleave4(double *dst, const double *src, int32_t blocks, int32_t D) {
  for (int32_t b = 0; b < blocks; b++)
    for (int32_t i = 0; i < D; i++)
      for (int32_t k = 0; k < 4; k++) dst[(b * D + i) * 4 + k] = src[(4 * b + k) * D + i];
}

/**
 * candidateRows for rows i0..i1-1 of H: with q interleaved ([j][4], four vectors), out[k * D + i] = sum_j H[i][j] q_k[j]
 * from 0 and out[(4 + k) * D + i] = -t[i] + the same products (j ascending).
 */
EXPORT(cand) void cand(const double *H, const double *q, const double *t, double *out, int32_t D, int32_t i0, int32_t i1) {
  int32_t i = i0;
  for (; i + 2 <= i1; i += 2) {
    const double *h0 = H + i * D, *h1 = h0 + D;
    v128_t a0 = wasm_f64x2_const(0, 0), a1 = a0, a2 = a0, a3 = a0;
    v128_t b0 = SPLAT(-t[i]), b1 = b0, b2 = SPLAT(-t[i + 1]), b3 = b2;
    for (int32_t j = 0; j < D; j++) {
      const v128_t q01 = LD(q + 4 * j), q23 = LD(q + 4 * j + 2);
      const v128_t x = SPLAT(h0[j]), y = SPLAT(h1[j]);
      const v128_t p0 = MUL(x, q01), p1 = MUL(x, q23), p2 = MUL(y, q01), p3 = MUL(y, q23);
      a0 = ADD(a0, p0); b0 = ADD(b0, p0);
      a1 = ADD(a1, p1); b1 = ADD(b1, p1);
      a2 = ADD(a2, p2); b2 = ADD(b2, p2);
      a3 = ADD(a3, p3); b3 = ADD(b3, p3);
    }
    const v128_t lanes[8] = { a0, a1, b0, b1, a2, a3, b2, b3 };
    for (int32_t r = 0; r < 2; r++) {
      for (int32_t v = 0; v < 4; v++) {
        out[(2 * v) * D + i + r] = wasm_f64x2_extract_lane(lanes[4 * r + v], 0);
        out[(2 * v + 1) * D + i + r] = wasm_f64x2_extract_lane(lanes[4 * r + v], 1);
      }
    }
  }
  for (; i < i1; i++) {
    const double *h = H + i * D;
    for (int32_t k = 0; k < 4; k++) {
      double a = 0, b = -t[i];
      for (int32_t j = 0; j < D; j++) { const double pr = h[j] * q[4 * j + k]; a += pr; b += pr; }
      out[k * D + i] = a;
      out[(4 + k) * D + i] = b;
    }
  }
}

/**
 * mulHRows over every row (H symmetric): out[i] = t0[i] + sum_k H[nz[k]][i] val[k] (k ascending), for i0 <= i < i1;
 * consecutive i are independent sums, so they share vectors.
 */
static void mul_h_rows(const double *H, const int32_t *nz, const double *val, const double *t0, double *out, int32_t D, int32_t n, int32_t i0, int32_t i1) {
  int32_t i = i0;
  for (; i + 8 <= i1; i += 8) {
    v128_t s0 = LD(t0 + i), s1 = LD(t0 + i + 2), s2 = LD(t0 + i + 4), s3 = LD(t0 + i + 6);
    for (int32_t k = 0; k < n; k++) {
      const double *h = H + nz[k] * D + i;
      const v128_t x = SPLAT(val[k]);
      s0 = ADD(s0, MUL(LD(h), x)); s1 = ADD(s1, MUL(LD(h + 2), x));
      s2 = ADD(s2, MUL(LD(h + 4), x)); s3 = ADD(s3, MUL(LD(h + 6), x));
    }
    ST(out + i, s0); ST(out + i + 2, s1); ST(out + i + 4, s2); ST(out + i + 6, s3);
  }
  for (; i < i1; i++) {
    double s = t0[i];
    for (int32_t k = 0; k < n; k++) s += H[nz[k] * D + i] * val[k];
    out[i] = s;
  }
}

EXPORT(mul_h) void mul_h(const double *H, const int32_t *nz, const double *val, const double *t0, double *out, int32_t D, int32_t n, int32_t i0, int32_t i1) {
  mul_h_rows(H, nz, val, t0, out, D, n, i0, i1);
}

/**
 * objective and quadraticFrom (round-row.ts, h-products.ts) of v against w, t: out[0] = sum over non-zero v_i of
 * v_i (H v)_i - 2 v_i t_i, plus reg (v_i - w_i)^2 over every i; out[1] = v^T H v over non-zero v_i. nz, val, zero, hv: scratch [D].
 */
EXPORT(objective) void objective(const double *H, const double *v, const double *w, const double *t, int32_t D, double reg, int32_t *nz, double *val, double *zero, double *hv, double *out) {
  int32_t n = 0;
  for (int32_t j = 0; j < D; j++) {
    zero[j] = 0;
    if (v[j] != 0) { nz[n] = j; val[n] = v[j]; n++; }
  }
  mul_h_rows(H, nz, val, zero, hv, D, n, 0, D);
  double f = 0, q = 0;
  for (int32_t i = 0; i < D; i++) {
    const double a = v[i];
    if (a != 0) { f += a * hv[i] - 2 * a * t[i]; q += a * hv[i]; }
    const double e = a - w[i];
    f += reg * e * e;
  }
  out[0] = f;
  out[1] = q;
}

/** withGain's scaling (round-row.ts): dst[i] = src[i] / g, or src[i] * g with `mul`. */
EXPORT(scale_by) void scale_by(double *dst, const double *src, int32_t n, double g, int32_t mul) {
  if (mul) for (int32_t i = 0; i < n; i++) dst[i] = src[i] * g;
  else for (int32_t i = 0; i < n; i++) dst[i] = src[i] / g;
}

/** The bits of a double. */
static inline uint64_t bits_of(double x) {
  union { double d; uint64_t u; } v = { x };
  return v.u;
}

static inline double from_bits(uint64_t u) {
  union { uint64_t u; double d; } v = { u };
  return v.d;
}

/** Set when a case needs JavaScript's Math.log2 or a subnormal power: the caller then runs greedyLogRow itself. */
static int32_t unsure;

/** pow2 (pow2.ts) for normal powers: exactly 2^t. */
static inline double pow2(int32_t t) {
  if (t < -1022 || t > 1023) { unsure = 1; return 0; }
  return from_bits((uint64_t)(t + 1023) << 52);
}

/** roundLog2 (pow2.ts) for normal x > 0 away from sqrt(2) (where it asks Math.log2: flagged). */
static inline int32_t round_log2(double x) {
  const uint64_t u = bits_of(x);
  const int32_t e = (int32_t)((u >> 52) & 0x7ff);
  if (e == 0 || e == 0x7ff) { unsure = 1; return 0; }
  const double m = from_bits((u & 0x800fffffffffffffull) | 0x3ff0000000000000ull);
  if (m < 1.4142135) return e - 1023;
  if (m > 1.4142137) return e - 1022;
  unsure = 1;
  return 0;
}

/**
 * greedyLogRow (shift-layer.ts) at exponent E: each term is the power of two log-nearest the residual, in
 * [2^(E - span), 2^E]. codes [D][K] and wq [D] must be zero. Returns 1 if JavaScript must decide (see unsure).
 */
EXPORT(greedy_log_row) int32_t greedy_log_row(const double *w, int32_t D, int32_t E, int32_t K, int32_t span, int8_t *codes, double *wq) {
  unsure = 0;
  const int32_t tMin = E - span;
  const double half = pow2(tMin - 1);
  for (int32_t i = 0; i < D && !unsure; i++) {
    double r = w[i];
    for (int32_t k = 0; k < K && r != 0; k++) {
      const double mag = __builtin_fabs(r);
      // Between zero and the smallest power there is no log midpoint: round linearly (half of 2^tMin).
      if (mag < half) break;
      const int32_t l = round_log2(mag);
      const int32_t t = E < (tMin > l ? tMin : l) ? E : (tMin > l ? tMin : l);
      const double sign = r < 0 ? -1 : 1;
      const double term = sign * pow2(t);
      codes[i * K + k] = (int8_t)((r < 0 ? -1 : 1) * (1 + t - tMin));
      wq[i] += term;
      r -= term;
    }
  }
  return unsure;
}

/** floorIndex (codebook.ts): index of the largest value <= x by binary search. */
static int32_t floor_index(const double *v, int32_t nv, double x) {
  int32_t lo = 0, hi = nv - 1;
  if (x >= v[hi]) return hi;
  while (hi - lo > 1) {
    const int32_t mid = (lo + hi) >> 1;
    if (v[mid] <= x) lo = mid; else hi = mid;
  }
  return lo;
}

/** Parameter block of descend (round-row.ts): tables cands/vals/terms [D][nc] are scratch; wq and cands[0..D) come back. */
typedef struct {
  const double *H, *w, *t;
  double *wq, *g;
  int32_t *cands;
  double *vals, *terms;
  const double *values;
  const int8_t *termCount;
  int32_t nv;
  /** The one-term codebook's values (nc = 6), or none. */
  const double *one;
  int32_t n1, D, nc, passes;
  /** 1: g = H wq - t from scratch (nz, val, t0); 0: g holds the starting gradient already. */
  int32_t initGrad;
  int32_t *nz;
  double *val, *t0;
} DescendParams;

/** descend: candidate table, then coordinate descent on the output error with the gradient kept current. */
EXPORT(descend) void descend(const DescendParams *p, double scale, double reg, double mu) {
  const int32_t D = p->D, nc = p->nc;
  const double *H = p->H, *w = p->w, *values = p->values;
  double *wq = p->wq, *g = p->g, *vals = p->vals, *terms = p->terms;
  int32_t *cands = p->cands;
  if (p->initGrad) {
    int32_t n = 0;
    for (int32_t j = 0; j < D; j++) if (wq[j] != 0) { p->nz[n] = j; p->val[n] = wq[j]; n++; }
    for (int32_t i = 0; i < D; i++) p->t0[i] = -p->t[i];
    mul_h_rows(H, p->nz, p->val, p->t0, g, D, n, 0, D);
  }
  for (int32_t i = 0; i < D; i++) {
    const double wi = w[i];
    const double a = __builtin_fabs(wi) / scale;
    const int32_t lo = floor_index(values, p->nv, a);
    const int32_t c0 = i * nc;
    cands[c0] = 0;
    cands[c0 + 1] = lo;
    cands[c0 + 2] = lo + 1 < p->nv - 1 ? lo + 1 : p->nv - 1;
    cands[c0 + 3] = floor_index(values, p->nv, __builtin_fabs(wq[i]) / scale);
    if (p->one) {
      const int32_t lo1 = floor_index(p->one, p->n1, a);
      cands[c0 + 4] = floor_index(values, p->nv, p->one[lo1]);
      cands[c0 + 5] = floor_index(values, p->nv, p->one[lo1 + 1 < p->n1 - 1 ? lo1 + 1 : p->n1 - 1]);
    }
    const double sign = wi < 0 ? -1 : 1;
    for (int32_t c = c0; c < c0 + nc; c++) {
      vals[c] = sign * values[cands[c]] * scale;
      terms[c] = p->termCount[cands[c]];
    }
  }
  for (int32_t pass = 0; pass < p->passes; pass++) {
    int32_t changed = 0;
    for (int32_t i = 0; i < D; i++) {
      const double wi = w[i];
      // Exact zeros are pruned weights (or true zeros): they stay without a term.
      if (wi == 0) continue;
      const int32_t c0 = i * nc;
      const double cur = wq[i], hii = H[i * D + i], gi = g[i];
      const double curReg = (cur - wi) * (cur - wi);
      const double curTerms = terms[c0 + 3];
      double best = 0;
      int32_t bestC = -1;
      for (int32_t c = c0; c < c0 + nc; c++) {
        const double v = vals[c];
        const double d = v - cur;
        if (d == 0) continue;
        // (v - wi) ** 2 in round-row.ts: V8's x ** 2 is x * x for every double.
        const double delta = 2 * d * gi + d * d * hii + reg * ((v - wi) * (v - wi) - curReg) + mu * (terms[c] - curTerms);
        if (delta < best - 1e-15) { best = delta; bestC = c; }
      }
      if (bestC < 0 || cands[bestC] == cands[c0 + 3]) continue;
      const double v = vals[bestC];
      const double d = v - cur;
      const double *h = H + i * D;
      const v128_t dv = SPLAT(d);
      int32_t j = 0;
      for (; j + 2 <= D; j += 2) ST(g + j, ADD(LD(g + j), MUL(dv, LD(h + j))));
      if (j < D) g[j] += d * h[j];
      wq[i] = v;
      cands[c0 + 3] = cands[bestC];
      vals[c0 + 3] = v;
      terms[c0 + 3] = terms[bestC];
      changed++;
    }
    if (!changed) break;
  }
  // The result's codebook indices (slot 3) to the front of cands: cands[i] for weight i.
  for (int32_t i = 0; i < D; i++) cands[i] = cands[i * nc + 3];
}

/**
 * Parameter block of held_out (heldOutError in recover.ts): rows in blocks of four interleaved (q4, w4: [M / 4][D][4]),
 * the last M % 4 rows plain (qs, ws: [M][D]), gains g and bias fixes bd [M], e [M] scratch; patch rows r0..r1-1.
 */
typedef struct {
  const double *xq, *xf, *q4, *w4, *qs, *ws, *g, *bd;
  double *e;
  int32_t D, M, r0, r1;
} HeldParams;

/** Adds, for each patch row, the squared output errors of rows 0..M-1 (in that order) to err. */
EXPORT(held_out) double held_out(const HeldParams *p, double err) {
  const int32_t D = p->D, M = p->M, M4 = M & ~3;
  double *e = p->e;
  for (int32_t r = p->r0; r < p->r1; r++) {
    const double *xq = p->xq + r * D, *xf = p->xf + r * D;
    // rowErrors: e_m = bd_m + sum_i (g_m wq_m[i] xq[i] - w_m[i] xf[i]); lanes are rows m, m + 1.
    for (int32_t m = 0; m < M4; m += 4) {
      const double *q = p->q4 + m * D, *w = p->w4 + m * D;
      const v128_t g01 = LD(p->g + m), g23 = LD(p->g + m + 2);
      v128_t e01 = LD(p->bd + m), e23 = LD(p->bd + m + 2);
      for (int32_t i = 0; i < D; i++) {
        const v128_t a = SPLAT(xq[i]), b = SPLAT(xf[i]);
        e01 = ADD(e01, SUB(MUL(MUL(g01, LD(q + 4 * i)), a), MUL(LD(w + 4 * i), b)));
        e23 = ADD(e23, SUB(MUL(MUL(g23, LD(q + 4 * i + 2)), a), MUL(LD(w + 4 * i + 2), b)));
      }
      ST(e + m, e01);
      ST(e + m + 2, e23);
    }
    // rowErrorsTail.
    for (int32_t m = M4; m < M; m++) {
      const double *q = p->qs + m * D, *w = p->ws + m * D;
      double s = p->bd[m];
      for (int32_t i = 0; i < D; i++) s += p->g[m] * q[i] * xq[i] - w[i] * xf[i];
      e[m] = s;
    }
    for (int32_t k = 0; k < M; k++) err += e[k] * e[k];
  }
  return err;
}
