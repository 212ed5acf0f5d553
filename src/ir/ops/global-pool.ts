// Shared global pooling (GlobalAveragePool, GlobalMaxPool): reduce every spatial dim to 1.
import { allocData, numel, type Tensor, type TensorType } from '../tensor.js';
import { check, need, needT } from './util.js';

export type GlobalPoolAttrs = Record<string, never>;

export function inferGlobalPool(inputs: readonly (TensorType | undefined)[], where: string): TensorType[] {
  const x = need(inputs, 0, where);
  check(x.shape.length >= 3, `input rank ${x.shape.length} must be >= 3 (N, C, spatial...)`, where);
  return [{ dtype: x.dtype, shape: [x.shape[0]!, x.shape[1]!, ...x.shape.slice(2).map(() => 1)] }];
}

export function runGlobalPool(mode: 'max' | 'avg', inputs: readonly (Tensor | undefined)[]): Tensor[] {
  const x = needT(inputs, 0);
  const [outType] = inferGlobalPool(inputs, 'kernel');
  const planes = x.shape[0]! * x.shape[1]!;
  const S = numel(x.shape.slice(2));
  const xd = x.data;
  const out = allocData(x.dtype, planes);
  for (let p = 0; p < planes; p++) {
    const base = p * S;
    if (mode === 'max') {
      let m = -Infinity;
      // !(m >= x) is x > m without NaN; with NaN it keeps onnxruntime's running max (a NaN sticks until a later tap).
      for (let i = base; i < base + S; i++) if (!(m >= xd[i]!)) m = xd[i]!;
      out[p] = m;
    } else {
      let s = 0;
      for (let i = base; i < base + S; i++) s += xd[i]!;
      out[p] = s / S;
    }
  }
  return [{ dtype: x.dtype, shape: outType!.shape, data: out }];
}
