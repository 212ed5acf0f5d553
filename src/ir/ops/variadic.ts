// Variadic elementwise ops (Max, Min, Sum) with numpy broadcasting over all inputs, shared by the three op files.
import { allocData, numel, type Tensor, type TensorType } from '../tensor.js';
import { defineOp, type OpDef, type OpTraits } from '../op.js';
import { broadcastIndex, broadcastShapes, check, need, needT } from './util.js';
import { broadcastStacked } from './batch-rules.js';

export type VariadicAttrs = Record<string, never>;
export type VariadicFn = 'max' | 'min' | 'sum';

/** ONNX allows up to 2^31 - 1 inputs; any realistic count fits. */
const MAX_INPUTS = 2 ** 31 - 1;

function inferVariadic(_a: VariadicAttrs, inputs: readonly (TensorType | undefined)[], where: string): TensorType[] {
  const first = need(inputs, 0, where);
  let shape: readonly number[] = first.shape;
  for (let k = 1; k < inputs.length; k++) {
    const t = need(inputs, k, where);
    check(t.dtype === first.dtype, `operand dtypes differ (${first.dtype} vs ${t.dtype})`, where);
    shape = broadcastShapes(shape, t.shape, where);
  }
  return [{ dtype: first.dtype, shape: [...shape] }];
}

function runVariadic(fn: VariadicFn, inputs: readonly (Tensor | undefined)[]): Tensor[] {
  const [type] = inferVariadic({}, inputs, 'kernel');
  const n = numel(type!.shape);
  const out = allocData(type!.dtype, n);
  // Accumulate input by input: the first is copied (broadcast), the rest are folded in with one loop per fn.
  const first = needT(inputs, 0);
  const i0 = broadcastIndex(first.shape, type!.shape);
  for (let i = 0; i < n; i++) out[i] = first.data[i0[i]!]!;
  for (let k = 1; k < inputs.length; k++) {
    const t = needT(inputs, k);
    const d = t.data;
    const ik = broadcastIndex(t.shape, type!.shape);
    switch (fn) {
      case 'max': for (let i = 0; i < n; i++) { const v = d[ik[i]!]!; if (v > out[i]! || v !== v) out[i] = v; } break;
      case 'min': for (let i = 0; i < n; i++) { const v = d[ik[i]!]!; if (v < out[i]! || v !== v) out[i] = v; } break;
      case 'sum': for (let i = 0; i < n; i++) out[i] += d[ik[i]!]!; break;
    }
  }
  return [{ dtype: type!.dtype, shape: type!.shape, data: out }];
}

/** `traits` are the op's own (the caller's op file declares them, see OpTraits). */
export function variadicOp(fn: VariadicFn, traits: OpTraits): OpDef<VariadicAttrs> {
  return defineOp<VariadicAttrs>({
    arity: [1, MAX_INPUTS],
    outputs: 1,
    traits,
    infer: inferVariadic,
    run: (_a, inputs) => runVariadic(fn, inputs),
    batch: broadcastStacked,
  });
}
