// MatMul: numpy matmul (batched with broadcast batch dims; 1-D operands get a dim inserted then removed).
import { allocData, numel, type Tensor, type TensorType } from '../tensor.js';
import { defineOp } from '../op.js';
import { broadcastIndex, broadcastShapes, check, need, needT } from './util.js';
import { firstStacked } from './batch-rules.js';

export type MatMulAttrs = Record<string, never>;

interface Plan { batch: number[]; aBatch: number[]; bBatch: number[]; M: number; K: number; N: number; out: number[] }

function plan(A: TensorType, B: TensorType, where: string): Plan {
  check(A.shape.length >= 1 && B.shape.length >= 1, `MatMul operands must have rank >= 1 (got [${A.shape}] and [${B.shape}])`, where);
  const a = A.shape.length === 1 ? [1, A.shape[0]!] : [...A.shape];
  const b = B.shape.length === 1 ? [B.shape[0]!, 1] : [...B.shape];
  const M = a[a.length - 2]!;
  const K = a[a.length - 1]!;
  const N = b[b.length - 1]!;
  check(b[b.length - 2] === K, `inner dimensions differ: [${A.shape}] @ [${B.shape}]`, where);
  const aBatch = a.slice(0, -2);
  const bBatch = b.slice(0, -2);
  const batch = broadcastShapes(aBatch, bBatch, where);
  const out = [...batch];
  if (A.shape.length > 1) out.push(M);
  if (B.shape.length > 1) out.push(N);
  return { batch, aBatch, bBatch, M, K, N, out };
}

function runMatMul(inputs: readonly (Tensor | undefined)[]): Tensor[] {
  const A = needT(inputs, 0);
  const B = needT(inputs, 1);
  const p = plan(A, B, 'kernel');
  const { M, K, N } = p;
  const nb = numel(p.batch);
  // Batch offsets of each operand per output batch (broadcast batch dims repeat a matrix).
  const ai = broadcastIndex(p.aBatch, p.batch);
  const bi = broadcastIndex(p.bBatch, p.batch);
  const ad = A.data;
  const bd = B.data;
  const out = allocData(A.dtype, nb * M * N);
  const acc = new Float64Array(N);
  for (let t = 0; t < nb; t++) {
    const aBase = ai[t]! * M * K;
    const bBase = bi[t]! * K * N;
    const oBase = t * M * N;
    for (let m = 0; m < M; m++) {
      acc.fill(0);
      for (let k = 0; k < K; k++) {
        const av = ad[aBase + m * K + k]!;
        if (av === 0) continue;
        const row = bBase + k * N;
        for (let n = 0; n < N; n++) acc[n] += av * bd[row + n]!;
      }
      for (let n = 0; n < N; n++) out[oBase + m * N + n] = acc[n]!;
    }
  }
  return [{ dtype: A.dtype, shape: p.out, data: out }];
}

export const matmulOp = defineOp<MatMulAttrs>({
  arity: [2, 2],
  outputs: 1,
  traits: { weightLayer: true, fusesActivation: true },
  infer: (_a, inputs, where) => {
    const A = need(inputs, 0, where);
    const B = need(inputs, 1, where);
    check(A.dtype === B.dtype, `operand dtypes differ (${A.dtype} vs ${B.dtype})`, where);
    return [{ dtype: A.dtype, shape: plan(A, B, where).out }];
  },
  run: (_a, inputs) => runMatMul(inputs),
  // A's leading dim is a row or batch dim computed alone; a shared B of rank <= 2 has no batch dims to broadcast.
  batch: (a, inputs, stacked) => firstStacked(a, inputs, stacked) && inputs[0]!.shape.length >= 2 && inputs[1]!.shape.length <= 2,
  cost: (_a, inputs) => {
    const p = plan(inputs[0]!, inputs[1]!, 'cost');
    return { macs: numel(p.batch) * p.M * p.K * p.N };
  },
});
