// LRN: local response normalization across channels, y = x / (bias + alpha/size * sum(x^2 over window))^beta.
import { floatTensor, numel, type Tensor } from '../tensor.js';
import { defineOp } from '../op.js';
import { check, checkAttr, need, needT } from './util.js';
import { firstStacked } from './batch-rules.js';

export type LrnAttrs = { size: number; alpha: number; beta: number; bias: number };

function runLrn(a: LrnAttrs, inputs: readonly (Tensor | undefined)[]): Tensor[] {
  const x = needT(inputs, 0);
  const [N, C] = x.shape as [number, number];
  const S = numel(x.shape.slice(2));
  // ONNX window: floor((size-1)/2) channels before, ceil((size-1)/2) after (asymmetric for even sizes).
  const before = Math.floor((a.size - 1) / 2);
  const after = Math.ceil((a.size - 1) / 2);
  const xd = x.data as Float32Array;
  const out = floatTensor(x.shape);
  const od = out.data as Float32Array;
  const sq = new Float64Array(S);
  const k = a.alpha / a.size;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      sq.fill(0);
      const c0 = Math.max(0, c - before);
      const c1 = Math.min(C - 1, c + after);
      for (let j = c0; j <= c1; j++) {
        const base = (n * C + j) * S;
        for (let i = 0; i < S; i++) { const v = xd[base + i]!; sq[i] += v * v; }
      }
      const base = (n * C + c) * S;
      for (let i = 0; i < S; i++) od[base + i] = xd[base + i]! / Math.pow(a.bias + k * sq[i]!, a.beta);
    }
  }
  return [out];
}

export const lrnOp = defineOp<LrnAttrs>({
  arity: [1, 1],
  outputs: 1,
  traits: {},
  infer: (a, inputs, where) => {
    const x = need(inputs, 0, where);
    checkAttr(Number.isInteger(a.size) && a.size >= 1, `size ${a.size} must be a positive integer`, where);
    check(x.shape.length >= 2, `input rank ${x.shape.length} must be >= 2 (N, C, ...)`, where);
    check(x.dtype === 'float32', `LRN needs float32 input, got ${x.dtype}`, where);
    return [x];
  },
  run: runLrn,
  batch: firstStacked,
});
