// Lut: int8 -> int8 activation by table lookup, y = table[x + 128] (sigmoid, tanh, hard-swish, ...).
import { type Tensor, type TensorType } from '../tensor.js';
import { defineOp } from '../op.js';
import { checkAttr, needT } from './util.js';
import { needInt } from './shift-common.js';
import { firstStacked } from './batch-rules.js';

/** 256 int8 entries generated at compile time by fixed-point.ts lutTable (the doc's float64 rule). */
export type LutAttrs = { table: readonly number[] };

function inferLut(a: LutAttrs, inputs: readonly (TensorType | undefined)[], where: string): TensorType[] {
  checkAttr(a.table.length === 256 && a.table.every((v) => Number.isInteger(v) && v >= -128 && v <= 127),
    `table must have 256 int8 entries (got ${a.table.length})`, where);
  const x = needInt(inputs, 0, ['int8'], 'Lut input', where);
  return [{ dtype: 'int8', shape: [...x.shape] }];
}

function runLut(a: LutAttrs, inputs: readonly (Tensor | undefined)[]): Tensor[] {
  const x = needT(inputs, 0);
  const [t] = inferLut(a, inputs, 'kernel');
  const table = Int8Array.from(a.table);
  const xd = x.data;
  const out = new Int8Array(xd.length);
  for (let i = 0; i < xd.length; i++) out[i] = table[xd[i]! + 128]!;
  return [{ dtype: 'int8', shape: t!.shape, data: out }];
}

export const lutOp = defineOp<LutAttrs>({
  arity: [1, 1],
  outputs: 1,
  traits: {},
  infer: inferLut,
  run: runLut,
  batch: firstStacked,
});
