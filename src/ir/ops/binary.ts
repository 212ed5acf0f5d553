// Elementwise binary arithmetic (Add, Sub, Mul, Div) with numpy broadcasting, shared by the four op files.
import { allocData, numel, type Tensor, type TensorType } from '../tensor.js';
import { defineOp, type OpDef, type OpTraits } from '../op.js';
import { broadcastIndex, broadcastShapes, check, need, needT } from './util.js';
import { broadcastStacked } from './batch-rules.js';

export type BinaryAttrs = Record<string, never>;
export type BinaryFn = 'add' | 'sub' | 'mul' | 'div';

function inferBinary(_a: BinaryAttrs, inputs: readonly (TensorType | undefined)[], where: string): TensorType[] {
  const a = need(inputs, 0, where);
  const b = need(inputs, 1, where);
  check(a.dtype === b.dtype, `operand dtypes differ (${a.dtype} vs ${b.dtype})`, where);
  return [{ dtype: a.dtype, shape: broadcastShapes(a.shape, b.shape, where) }];
}

function runBinary(fn: BinaryFn, inputs: readonly (Tensor | undefined)[]): Tensor[] {
  const a = needT(inputs, 0);
  const b = needT(inputs, 1);
  const shape = broadcastShapes(a.shape, b.shape, 'kernel');
  const n = numel(shape);
  const out = allocData(a.dtype, n);
  const ad = a.data;
  const bd = b.data;
  const same = a.data.length === n && b.data.length === n;
  const ia = same ? null : broadcastIndex(a.shape, shape);
  const ib = same ? null : broadcastIndex(b.shape, shape);
  // One loop per fn keeps the hot loop monomorphic (no per-element closure).
  switch (fn) {
    case 'add': for (let i = 0; i < n; i++) out[i] = ad[ia ? ia[i]! : i]! + bd[ib ? ib[i]! : i]!; break;
    case 'sub': for (let i = 0; i < n; i++) out[i] = ad[ia ? ia[i]! : i]! - bd[ib ? ib[i]! : i]!; break;
    case 'mul': for (let i = 0; i < n; i++) out[i] = ad[ia ? ia[i]! : i]! * bd[ib ? ib[i]! : i]!; break;
    case 'div':
      if (a.dtype === 'float32') for (let i = 0; i < n; i++) out[i] = ad[ia ? ia[i]! : i]! / bd[ib ? ib[i]! : i]!;
      else for (let i = 0; i < n; i++) out[i] = Math.trunc(ad[ia ? ia[i]! : i]! / bd[ib ? ib[i]! : i]!);
      break;
  }
  return [{ dtype: a.dtype, shape, data: out }];
}

/** `traits` are the op's own (the caller's op file declares them, see OpTraits). */
export function binaryOp(fn: BinaryFn, traits: OpTraits): OpDef<BinaryAttrs> {
  return defineOp<BinaryAttrs>({
    arity: [2, 2],
    outputs: 1,
    traits,
    infer: inferBinary,
    run: (_a, inputs) => runBinary(fn, inputs),
    batch: broadcastStacked,
    cost: (_a, _i, outs) => ({ macs: fn === 'mul' || fn === 'div' ? numel(outs[0]!.shape) : 0 }),
  });
}
