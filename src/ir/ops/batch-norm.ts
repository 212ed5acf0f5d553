// BatchNormalization (inference): y = scale * (x - mean) / sqrt(var + epsilon) + B, per channel (axis 1).
import { floatTensor, numel, type Tensor, type TensorType } from '../tensor.js';
import { defineOp } from '../op.js';
import { check, checkAttr, need, needT } from './util.js';
import { firstStacked } from './batch-rules.js';

export type BatchNormAttrs = { epsilon: number };

const PARAMS = ['scale', 'B', 'mean', 'var'];

function inferBatchNorm(a: BatchNormAttrs, inputs: readonly (TensorType | undefined)[], where: string): TensorType[] {
  const x = need(inputs, 0, where);
  checkAttr(a.epsilon >= 0, `epsilon ${a.epsilon} must be non-negative`, where);
  check(x.shape.length >= 2, `input rank ${x.shape.length} must be >= 2 (N, C, ...)`, where);
  check(x.dtype === 'float32', `BatchNormalization needs float32 input, got ${x.dtype}`, where);
  for (let k = 1; k <= 4; k++) {
    const p = need(inputs, k, where);
    check(p.shape.length === 1 && p.shape[0] === x.shape[1], `${PARAMS[k - 1]} shape [${p.shape}] does not match ${x.shape[1]} channels`, where);
  }
  return [x];
}

function runBatchNorm(a: BatchNormAttrs, inputs: readonly (Tensor | undefined)[]): Tensor[] {
  const x = needT(inputs, 0);
  const [scale, bias, mean, variance] = [1, 2, 3, 4].map((k) => needT(inputs, k).data);
  const [N, C] = x.shape as [number, number];
  const S = numel(x.shape.slice(2));
  const xd = x.data as Float32Array;
  const out = floatTensor(x.shape);
  const od = out.data as Float32Array;
  for (let c = 0; c < C; c++) {
    // Folded per-channel affine form, computed in double.
    const s = scale![c]! / Math.sqrt(variance![c]! + a.epsilon);
    const b = bias![c]! - mean![c]! * s;
    for (let n = 0; n < N; n++) {
      const base = (n * C + c) * S;
      for (let i = base; i < base + S; i++) od[i] = xd[i]! * s + b;
    }
  }
  return [out];
}

export const batchNormOp = defineOp<BatchNormAttrs>({
  arity: [5, 5],
  outputs: 1,
  traits: {},
  infer: inferBatchNorm,
  run: runBatchNorm,
  batch: firstStacked,
  cost: (_a, inputs) => ({ macs: numel(inputs[0]!.shape) }),
});
