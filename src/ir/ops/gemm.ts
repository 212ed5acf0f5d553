// Gemm: Y = alpha * op(A) @ op(B) + beta * C, with op() an optional transpose and C broadcast to [M, N].
import { allocData, type Tensor, type TensorType } from '../tensor.js';
import { defineOp } from '../op.js';
import { broadcastIndex, broadcastShapes, check, need, needT } from './util.js';
import { firstStacked } from './batch-rules.js';

export type GemmAttrs = { transA: boolean; transB: boolean; alpha: number; beta: number };

export function gemmDims(a: GemmAttrs, A: TensorType, B: TensorType, where: string): { M: number; K: number; N: number } {
  check(A.shape.length === 2 && B.shape.length === 2, `Gemm needs 2-D operands, got [${A.shape}] and [${B.shape}]`, where);
  const [M, K] = a.transA ? [A.shape[1]!, A.shape[0]!] : [A.shape[0]!, A.shape[1]!];
  const [K2, N] = a.transB ? [B.shape[1]!, B.shape[0]!] : [B.shape[0]!, B.shape[1]!];
  check(K === K2, `inner dimensions differ: A [${A.shape}] and B [${B.shape}] (transA=${a.transA}, transB=${a.transB})`, where);
  return { M, K, N };
}

function inferGemm(a: GemmAttrs, inputs: readonly (TensorType | undefined)[], where: string): TensorType[] {
  const A = need(inputs, 0, where);
  const B = need(inputs, 1, where);
  check(A.dtype === B.dtype, `operand dtypes differ (${A.dtype} vs ${B.dtype})`, where);
  const { M, N } = gemmDims(a, A, B, where);
  const C = inputs[2];
  // C broadcasts unidirectionally: it may not grow the [M, N] result.
  if (C) check(C.shape.length <= 2 && broadcastShapes(C.shape, [M, N], where).every((d, i) => d === [M, N][i]), `C [${C.shape}] does not broadcast to [${M},${N}]`, where);
  return [{ dtype: A.dtype, shape: [M, N] }];
}

function runGemm(a: GemmAttrs, inputs: readonly (Tensor | undefined)[]): Tensor[] {
  const A = needT(inputs, 0);
  const B = needT(inputs, 1);
  const C = inputs[2];
  const { M, K, N } = gemmDims(a, A, B, 'kernel');
  // Element (m,k) of op(A) is ad[m*sAm + k*sAk]; likewise for B. Untransposed B keeps the inner loop contiguous.
  const [sAm, sAk] = a.transA ? [1, M] : [K, 1];
  const [sBk, sBn] = a.transB ? [1, K] : [N, 1];
  const ad = A.data;
  const bd = B.data;
  const ci = C && C.data.length !== M * N ? broadcastIndex(C.shape, [M, N]) : null;
  // PyTorch Linear layout: both operands' rows are contiguous, so each output is one dot product.
  const dots = a.transB && !a.transA;
  const out = allocData(A.dtype, M * N);
  const acc = new Float64Array(2 * N);
  for (let m = 0; m < M;) {
    // Two rows of A (two samples of a batch) share each load of B; every sum keeps its own order.
    const rows = dots && m + 1 < M ? 2 : 1;
    if (rows === 2) {
      rowPairDots(ad, m * K, bd, K, N, acc);
      if (N % 4) pairTail(ad, m * K, bd, K, N - (N % 4), N, acc);
    }
    else if (dots) rowDots(ad, m * K, bd, K, N, acc);
    else {
      acc.fill(0);
      for (let k = 0; k < K; k++) {
        const av = ad[m * sAm + k * sAk]!;
        if (av === 0) continue;
        const bBase = k * sBk;
        for (let n = 0; n < N; n++) acc[n] += av * bd[bBase + n * sBn]!;
      }
    }
    for (let r = 0; r < rows; r++, m++) {
      const row = m * N;
      for (let n = 0; n < N; n++) {
        const c = C ? C.data[ci ? ci[row + n]! : row + n]! : 0;
        out[row + n] = a.alpha * acc[r * N + n]! + a.beta * c;
      }
    }
  }
  return [{ dtype: A.dtype, shape: [M, N], data: out }];
}

export const gemmOp = defineOp<GemmAttrs>({
  arity: [2, 3],
  outputs: 1,
  traits: { weightLayer: true, fusesActivation: true },
  infer: inferGemm,
  run: runGemm,
  // Rows of A are independent (each output row is computed alone, same order); transA would make them columns,
  // and a C with rows of its own would not broadcast over the stacked rows.
  batch: (a, inputs, stacked) => !a.transA && firstStacked(a, inputs, stacked) && (inputs[2] === undefined || inputs[2].shape.length < 2 || inputs[2].shape[0] === 1),
  cost: (a, inputs) => {
    const A = inputs[0]!;
    const B = inputs[1]!;
    const { M, K, N } = gemmDims(a, A, B, 'cost');
    return { macs: M * K * N };
  },
});

/**
 * acc[n] = sum_k ad[aBase + k] * bd[n * K + k], k ascending. Four outputs per sweep share each load of A's row;
 * each sum keeps its own order (same bits). A function of its own so it is optimised early and alone.
 */
function rowDots(ad: ArrayLike<number>, aBase: number, bd: ArrayLike<number>, K: number, N: number, acc: Float64Array): void {
  let n = 0;
  for (; n + 3 < N; n += 4) {
    const b0 = n * K;
    const b1 = b0 + K;
    const b2 = b1 + K;
    const b3 = b2 + K;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (let k = 0; k < K; k++) {
      const av = ad[aBase + k]!;
      s0 += av * bd[b0 + k]!;
      s1 += av * bd[b1 + k]!;
      s2 += av * bd[b2 + k]!;
      s3 += av * bd[b3 + k]!;
    }
    acc[n] = s0; acc[n + 1] = s1; acc[n + 2] = s2; acc[n + 3] = s3;
  }
  for (; n < N; n++) {
    const bBase = n * K;
    let s = 0;
    for (let k = 0; k < K; k++) s += ad[aBase + k]! * bd[bBase + k]!;
    acc[n] = s;
  }
}

/**
 * rowDots for rows aBase and aBase + K of A at once: acc[n] and acc[N + n] for n < N - N % 4 (pairTail does the
 * rest), each sum in the same order as rowDots. Nothing follows the loop: V8 optimises a long call mid-loop, and
 * code after the loop then has no type feedback and deoptimises (~40 times per lenet compile with the tail inline).
 */
function rowPairDots(ad: ArrayLike<number>, aBase: number, bd: ArrayLike<number>, K: number, N: number, acc: Float64Array): void {
  const a1 = aBase + K;
  for (let n = 0; n + 3 < N; n += 4) {
    const b0 = n * K;
    const b1 = b0 + K;
    const b2 = b1 + K;
    const b3 = b2 + K;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0, t0 = 0, t1 = 0, t2 = 0, t3 = 0;
    for (let k = 0; k < K; k++) {
      const u = ad[aBase + k]!;
      const v = ad[a1 + k]!;
      const w0 = bd[b0 + k]!;
      const w1 = bd[b1 + k]!;
      const w2 = bd[b2 + k]!;
      const w3 = bd[b3 + k]!;
      s0 += u * w0; s1 += u * w1; s2 += u * w2; s3 += u * w3;
      t0 += v * w0; t1 += v * w1; t2 += v * w2; t3 += v * w3;
    }
    acc[n] = s0; acc[n + 1] = s1; acc[n + 2] = s2; acc[n + 3] = s3;
    acc[N + n] = t0; acc[N + n + 1] = t1; acc[N + n + 2] = t2; acc[N + n + 3] = t3;
  }
}

/** Outputs n0..N-1 of rowPairDots (the last N % 4). */
function pairTail(ad: ArrayLike<number>, aBase: number, bd: ArrayLike<number>, K: number, n0: number, N: number, acc: Float64Array): void {
  const a1 = aBase + K;
  for (let n = n0; n < N; n++) {
    const bBase = n * K;
    let s = 0, t = 0;
    for (let k = 0; k < K; k++) {
      const w = bd[bBase + k]!;
      s += ad[aBase + k]! * w;
      t += ad[a1 + k]! * w;
    }
    acc[n] = s; acc[N + n] = t;
  }
}
