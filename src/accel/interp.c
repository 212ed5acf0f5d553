// Interpreter kernels (float Conv, ShiftConv, ShiftGemm, MaxPool, Relu): the TypeScript kernels' exact arithmetic, compiled.
//
// Each function takes the address of an int32 parameter block laid out by src/accel/interp.ts (the struct's
// fields in order) and a range of samples or planes: V8 runs a wasm function's first calls in its baseline tier
// and only later calls in optimised code, so the callers split long runs into many short calls. Integer arithmetic wraps modulo 2^32 (unsigned), shifts are masked to 5 bits and
// right shifts of signed values are arithmetic: JavaScript's `| 0`, `<<`, `>>`, as docs/numerics.md states.
// Float sums round exactly as the reference loops do (no fast-math, no contraction; see scripts/build-kernels.mjs).
#include <stdint.h>

#define EXPORT(name) __attribute__((export_name(#name)))

/** Element types of activations, as the callers encode them. */
enum { F32 = 0, I8 = 1, I16 = 2 };

/** 2-D window geometry (1-D layers use height 1), shared by conv and pooling. */
typedef struct {
  int32_t C, H, W, OH, OW, KH, KW, sh, sw, ph, pw, dh, dw;
} Geometry;

/**
 * rows[pos * D + t] = input tap t (channel-major, then kh, kw) of the window at output position pos, 0 in the
 * padding: im2row of src/ir/ops/im2col.ts for `cPerG` channels of one sample's widened input.
 */
static void im2row(const int32_t *x, int32_t cPerG, const Geometry *g, int32_t *rows) {
  int32_t o = 0;
  for (int32_t oh = 0; oh < g->OH; oh++) {
    for (int32_t ow = 0; ow < g->OW; ow++) {
      for (int32_t c = 0; c < cPerG; c++) {
        const int32_t *xc = x + c * g->H * g->W;
        for (int32_t kh = 0; kh < g->KH; kh++) {
          const int32_t ih = oh * g->sh + kh * g->dh - g->ph;
          for (int32_t kw = 0; kw < g->KW; kw++) {
            const int32_t iw = ow * g->sw + kw * g->dw - g->pw;
            rows[o++] = ih >= 0 && ih < g->H && iw >= 0 && iw < g->W ? xc[ih * g->W + iw] : 0;
          }
        }
      }
    }
  }
}

/** Per-channel gain (applyGain in shift-common.ts): sum of sign(c) * (acc >> (|c| - 1)) over the G digit codes. */
static inline int32_t apply_gain(int32_t acc, const int8_t *gain, int32_t G) {
  uint32_t v = 0;
  for (int32_t j = 0; j < G; j++) {
    const int32_t c = gain[j];
    if (c > 0) v += (uint32_t)(acc >> ((c - 1) & 31));
    else if (c < 0) v -= (uint32_t)(acc >> ((-c - 1) & 31));
  }
  return (int32_t)v;
}

static inline int32_t sat(int32_t v, int32_t bits) {
  const int32_t hi = (int32_t)((1u << (bits - 1)) - 1);
  const int32_t lo = -hi - 1;
  return v > hi ? hi : v < lo ? lo : v;
}

/** requant of src/ir/fixed-point.ts: rounding arithmetic right shift (half up) or saturating left shift, then saturation. */
static inline int32_t requant(int32_t v, int32_t r, int32_t bits) {
  if (r > 0) return sat((int32_t)((uint32_t)v + (1u << ((r - 1) & 31))) >> (r & 31), bits);
  if (r == 0) return sat(v, bits);
  const int32_t s = -r < bits ? -r : bits;
  return sat((int32_t)((uint32_t)sat(v, bits) << (s & 31)), bits);
}

/** The narrowing of one accumulator of output channel m: gain, requant, fused activation clamp. */
typedef struct {
  const int32_t *bias, *rshift, *hi;
  const int8_t *gain;
  int32_t G, bits, actMin;
} Narrow;

__attribute__((noinline)) static int32_t narrow(const Narrow *n, int32_t m, int32_t acc) {
  const int32_t a = n->gain ? apply_gain(acc, n->gain + m * n->G, n->G) : acc;
  const int32_t y = requant(a, n->rshift[m], n->bits);
  return y < n->actMin ? n->actMin : y > n->hi[m] ? n->hi[m] : y;
}

__attribute__((noinline)) static void store(void *out, int32_t type, int32_t i, int32_t v) {
  if (type == I8) ((int8_t *)out)[i] = (int8_t)v;
  else ((int16_t *)out)[i] = (int16_t)v;
}

/** bias[m] + sum_t w[m][t] * x[t], wrapping (any order gives the same bits). */
static inline int32_t dot_i32(const int32_t *w, const int32_t *x, int32_t D, int32_t b) {
  uint32_t s = (uint32_t)b;
  for (int32_t t = 0; t < D; t++) s += (uint32_t)w[t] * (uint32_t)x[t];
  return (int32_t)s;
}

/** Parameter block of shift_conv; `w` holds the decoded int32 term weights [M][D] (termWeights). */
typedef struct {
  const void *x;
  int32_t xType, s0, s1;
  Geometry g;
  int32_t M, group;
  const int32_t *w, *bias, *rshift, *hi;
  const int8_t *gain;
  int32_t G, bits, actMin;
  void *out;
  int32_t outType;
  int32_t *rows, *xi;
} ShiftConvParams;

/** Widens x[x0 .. x0 + n) to int32 (one sample, so the window loops below read one element type). */
static void widen(const void *x, int32_t type, int32_t x0, int32_t n, int32_t *out) {
  if (type == I8) for (int32_t i = 0; i < n; i++) out[i] = ((const int8_t *)x)[x0 + i];
  else for (int32_t i = 0; i < n; i++) out[i] = ((const int16_t *)x)[x0 + i];
}

/** ShiftConv of samples s0..s1-1 (runShiftConv in src/ir/ops/shift-conv.ts). */
EXPORT(shift_conv) void shift_conv(const ShiftConvParams *p) {
  const Geometry *g = &p->g;
  const int32_t cPerG = g->C / p->group, mPerG = p->M / p->group, plane = g->OH * g->OW;
  const int32_t D = cPerG * g->KH * g->KW;
  const Narrow n = { p->bias, p->rshift, p->hi, p->gain, p->G, p->bits, p->actMin };
  for (int32_t s = p->s0; s < p->s1; s++) {
    widen(p->x, p->xType, s * g->C * g->H * g->W, g->C * g->H * g->W, p->xi);
    for (int32_t gr = 0; gr < p->group; gr++) {
      im2row(p->xi + gr * cPerG * g->H * g->W, cPerG, g, p->rows);
      int32_t j = 0;
      // Four channels per sweep share each load of the window row.
      for (; j + 4 <= mPerG; j += 4) {
        const int32_t m = gr * mPerG + j;
        const int32_t *w0 = p->w + m * D, *w1 = w0 + D, *w2 = w1 + D, *w3 = w2 + D;
        for (int32_t pos = 0; pos < plane; pos++) {
          const int32_t *x = p->rows + pos * D;
          uint32_t s0 = (uint32_t)p->bias[m], s1 = (uint32_t)p->bias[m + 1], s2 = (uint32_t)p->bias[m + 2], s3 = (uint32_t)p->bias[m + 3];
          for (int32_t t = 0; t < D; t++) {
            const uint32_t v = (uint32_t)x[t];
            s0 += (uint32_t)w0[t] * v; s1 += (uint32_t)w1[t] * v; s2 += (uint32_t)w2[t] * v; s3 += (uint32_t)w3[t] * v;
          }
          const int32_t o = (s * p->M + m) * plane + pos;
          store(p->out, p->outType, o, narrow(&n, m, (int32_t)s0));
          store(p->out, p->outType, o + plane, narrow(&n, m + 1, (int32_t)s1));
          store(p->out, p->outType, o + 2 * plane, narrow(&n, m + 2, (int32_t)s2));
          store(p->out, p->outType, o + 3 * plane, narrow(&n, m + 3, (int32_t)s3));
        }
      }
      for (; j < mPerG; j++) {
        const int32_t m = gr * mPerG + j;
        const int32_t *wm = p->w + m * D;
        const int32_t o = (s * p->M + m) * plane;
        for (int32_t pos = 0; pos < plane; pos++) store(p->out, p->outType, o + pos, narrow(&n, m, dot_i32(wm, p->rows + pos * D, D, p->bias[m])));
      }
    }
  }
}

/** Parameter block of shift_gemm: rows s0..s1-1 of x [N][D] integers, out [N][M]; `xi` is scratch for one row widened to int32. */
typedef struct {
  const void *x;
  int32_t xType, s0, s1, D, M;
  const int32_t *w, *bias, *rshift, *hi;
  const int8_t *gain;
  int32_t G, bits, actMin;
  void *out;
  int32_t outType;
  int32_t *xi;
} ShiftGemmParams;

/** ShiftGemm (runShiftGemm in src/ir/ops/shift-gemm.ts). */
EXPORT(shift_gemm) void shift_gemm(const ShiftGemmParams *p) {
  const Narrow n = { p->bias, p->rshift, p->hi, p->gain, p->G, p->bits, p->actMin };
  for (int32_t r = p->s0; r < p->s1; r++) {
    widen(p->x, p->xType, r * p->D, p->D, p->xi);
    for (int32_t m = 0; m < p->M; m++) store(p->out, p->outType, r * p->M + m, narrow(&n, m, dot_i32(p->w + m * p->D, p->xi, p->D, p->bias[m])));
  }
}

/** Parameter block of conv_f32 (samples s0..s1-1): float32 x [N][C][H][W], w [M][C/group][KH][KW], optional bias, out [N][M][OH][OW]. */
typedef struct {
  const float *x;
  int32_t s0, s1;
  Geometry g;
  int32_t M, group;
  const float *w, *bias;
  float *out;
  /** Scratch: taps x positions of one group (tap-major), and one output row of float32 sums. */
  float *cols;
} ConvParams;

/**
 * Float Conv with the reference rounding of dotF32 (src/ir/ops/dot-block.ts): each output starts from its
 * bias (0 without) and adds taps 0..D-1 in order, every sum w * x + s computed in double (the product of two
 * float32 is exact) and rounded to float32.
 */
EXPORT(conv_f32) void conv_f32(const ConvParams *p) {
  const Geometry *g = &p->g;
  const int32_t cPerG = g->C / p->group, mPerG = p->M / p->group, P = g->OH * g->OW;
  const int32_t D = cPerG * g->KH * g->KW;
  for (int32_t s = p->s0; s < p->s1; s++) {
    for (int32_t gr = 0; gr < p->group; gr++) {
      // cols[t * P + pos]: consecutive positions of one tap are adjacent (the vectorised loop below).
      int32_t t = 0;
      for (int32_t c = 0; c < cPerG; c++) {
        const float *xc = p->x + ((s * g->C + gr * cPerG + c) * g->H) * g->W;
        for (int32_t kh = 0; kh < g->KH; kh++) {
          for (int32_t kw = 0; kw < g->KW; kw++, t++) {
            float *col = p->cols + t * P;
            for (int32_t oh = 0; oh < g->OH; oh++) {
              const int32_t ih = oh * g->sh + kh * g->dh - g->ph;
              for (int32_t ow = 0; ow < g->OW; ow++) {
                const int32_t iw = ow * g->sw + kw * g->dw - g->pw;
                col[oh * g->OW + ow] = ih >= 0 && ih < g->H && iw >= 0 && iw < g->W ? xc[ih * g->W + iw] : 0.0f;
              }
            }
          }
        }
      }
      for (int32_t j = 0; j < mPerG; j++) {
        const int32_t m = gr * mPerG + j;
        const float *wm = p->w + m * D;
        float *o = p->out + (s * p->M + m) * P;
        const float b = p->bias ? p->bias[m] : 0.0f;
        for (int32_t pos = 0; pos < P; pos++) o[pos] = b;
        for (int32_t tt = 0; tt < D; tt++) {
          const double wt = wm[tt];
          const float *col = p->cols + tt * P;
          for (int32_t pos = 0; pos < P; pos++) o[pos] = (float)((double)o[pos] + wt * (double)col[pos]);
        }
      }
    }
  }
}

/** Per output position along one axis (axisPlan in src/ir/ops/pool.ts): first tap's input index, in-bounds tap range. */
typedef struct {
  const int32_t *start, *lo, *hi;
} AxisPlan;

typedef struct {
  const void *x;
  int32_t type, p0, p1, H, W, OH, OW, dh, dw;
  AxisPlan hp, wp;
  void *out;
} MaxPoolParams;

/** A window without in-bounds taps keeps -inf: a float32 output holds it, an integer one 0 (JS's ToInt32(-Infinity)). */
#define EMPTY_WINDOW(T, acc) (acc == -__builtin_inf() ? ((T)0 == (T)0.5 ? (T)0 : (T)acc) : (T)acc)
#define MAX_POOL(T)                                                                                    \
  for (int32_t plane = p->p0; plane < p->p1; plane++) {                                               \
    const T *x = (const T *)p->x + plane * p->H * p->W;                                                \
    T *o = (T *)p->out + plane * p->OH * p->OW;                                                        \
    for (int32_t oh = 0; oh < p->OH; oh++) {                                                           \
      for (int32_t ow = 0; ow < p->OW; ow++) {                                                         \
        double acc = -__builtin_inf();                                                                 \
        for (int32_t th = p->hp.lo[oh]; th < p->hp.hi[oh]; th++) {                                     \
          const T *row = x + (p->hp.start[oh] + th * p->dh) * p->W + p->wp.start[ow];                  \
          for (int32_t tw = p->wp.lo[ow]; tw < p->wp.hi[ow]; tw++) {                                   \
            const double v = row[tw * p->dw];                                                          \
            if (v > acc) acc = v;                                                                      \
          }                                                                                            \
        }                                                                                              \
        o[oh * p->OW + ow] = EMPTY_WINDOW(T, acc);                                                     \
      }                                                                                                \
    }                                                                                                  \
  }

/** MaxPool (runPool in 'max' mode): the largest in-bounds tap; NaN taps never win, as `v > acc` in the reference. */
EXPORT(max_pool) void max_pool(const MaxPoolParams *p) {
  if (p->type == F32) { MAX_POOL(float) }
  else if (p->type == I8) { MAX_POOL(int8_t) }
  else { MAX_POOL(int16_t) }
}

/** Relu on float32 (one call per slice; see interp.ts): x > 0 ? x : 0 (NaN and -0 become +0, as in src/ir/ops/relu.ts). */
EXPORT(relu_f32) void relu_f32(const float *x, float *out, int32_t n) {
  for (int32_t i = 0; i < n; i++) out[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

/** Parameter block of gemm_f32_nt: A [M][K] rows s0..s1-1, B [N][K] (transB), optional C (full, or via an index per output). */
typedef struct {
  const float *A;
  int32_t s0, s1, K, N;
  const float *B, *C;
  const int32_t *cIndex;
  float *out;
} GemmParams;

/** One output of gemm_f32_nt: alpha * (sum over k ascending, in double) + beta * c, rounded to float32 once. */
static inline float gemm_out(const GemmParams *p, int32_t m, int32_t n, double acc, double alpha, double beta) {
  const int32_t i = m * p->N + n;
  const double c = p->C ? p->C[p->cIndex ? p->cIndex[i] : i] : 0.0;
  return (float)(alpha * acc + beta * c);
}

/**
 * Gemm with B transposed (PyTorch Linear) on float32: each output's dot product summed in double, k ascending,
 * exactly as runGemm's rowDots/rowPairDots (src/ir/ops/gemm.ts); two rows of A and four of B per sweep.
 */
EXPORT(gemm_f32_nt) void gemm_f32_nt(const GemmParams *p, double alpha, double beta) {
  const int32_t K = p->K, N = p->N;
  for (int32_t m = p->s0; m < p->s1; m++) {
    const float *a = p->A + m * K;
    int32_t n = 0;
    for (; n + 4 <= N; n += 4) {
      const float *b0 = p->B + n * K, *b1 = b0 + K, *b2 = b1 + K, *b3 = b2 + K;
      double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (int32_t k = 0; k < K; k++) {
        const double av = a[k];
        s0 += av * b0[k]; s1 += av * b1[k]; s2 += av * b2[k]; s3 += av * b3[k];
      }
      p->out[m * N + n] = gemm_out(p, m, n, s0, alpha, beta);
      p->out[m * N + n + 1] = gemm_out(p, m, n + 1, s1, alpha, beta);
      p->out[m * N + n + 2] = gemm_out(p, m, n + 2, s2, alpha, beta);
      p->out[m * N + n + 3] = gemm_out(p, m, n + 3, s3, alpha, beta);
    }
    for (; n < N; n++) {
      const float *b = p->B + n * K;
      double s = 0;
      for (int32_t k = 0; k < K; k++) s += (double)a[k] * b[k];
      p->out[m * N + n] = gemm_out(p, m, n, s, alpha, beta);
    }
  }
}
