// Pad: constant/reflect/edge/wrap padding with static per-axis pads (negative pads crop).
import { allocData, numel, strides, type Tensor, type TensorType } from '../tensor.js';
import { defineOp } from '../op.js';
import { check, checkAttr, need, needT } from './util.js';

/** pads are [begin..., end...] over every axis (the importer expands ONNX's optional `axes`). */
export type PadAttrs = { mode: 'constant' | 'reflect' | 'edge' | 'wrap'; pads: readonly number[]; value: number };

const MODES = ['constant', 'reflect', 'edge', 'wrap'];

function inferPad(a: PadAttrs, inputs: readonly (TensorType | undefined)[], where: string): TensorType[] {
  const x = need(inputs, 0, where);
  const r = x.shape.length;
  checkAttr(MODES.includes(a.mode), `unknown mode '${a.mode}'`, where);
  checkAttr(a.pads.length === 2 * r && a.pads.every(Number.isInteger), `pads [${a.pads}] must have ${2 * r} integer entries`, where);
  const shape = x.shape.map((d, i) => d + a.pads[i]! + a.pads[i + r]!);
  check(shape.every((d) => d >= 0), `pads [${a.pads}] crop [${x.shape}] below zero`, where);
  if (a.mode !== 'constant') {
    x.shape.forEach((d, i) => {
      const grows = a.pads[i]! > 0 || a.pads[i + r]! > 0;
      check(!grows || d > 0, `cannot ${a.mode}-pad an empty axis ${i}`, where);
    });
  }
  return [{ dtype: x.dtype, shape }];
}

/** Input coordinate for each output coordinate along one axis (-1 = constant fill). */
function axisMap(mode: PadAttrs['mode'], dim: number, before: number, out: number): Int32Array {
  const m = new Int32Array(out);
  for (let o = 0; o < out; o++) {
    let i = o - before;
    if (i < 0 || i >= dim) {
      switch (mode) {
        case 'constant': i = -1; break;
        case 'edge': i = i < 0 ? 0 : dim - 1; break;
        case 'wrap': i = ((i % dim) + dim) % dim; break;
        case 'reflect': {
          // Mirror without repeating the edge; pads wider than dim-1 keep reflecting (numpy semantics).
          if (dim === 1) { i = 0; break; }
          const period = 2 * (dim - 1);
          i = ((i % period) + period) % period;
          if (i >= dim) i = period - i;
          break;
        }
      }
    }
    m[o] = i;
  }
  return m;
}

function runPad(a: PadAttrs, inputs: readonly (Tensor | undefined)[]): Tensor[] {
  const x = needT(inputs, 0);
  const [t] = inferPad(a, inputs, 'kernel');
  const shape = t!.shape;
  const r = shape.length;
  const out = allocData(x.dtype, numel(shape));
  if (r === 0) { out[0] = x.data[0]!; return [{ dtype: x.dtype, shape, data: out }]; }
  if (out.length === 0) return [{ dtype: x.dtype, shape, data: out }];
  const maps = shape.map((d, i) => axisMap(a.mode, x.shape[i]!, a.pads[i]!, d));
  const s = strides(x.shape);
  const xd = x.data;
  const inner = shape[r - 1]!;
  const last = maps[r - 1]!;
  const sLast = s[r - 1]!;
  // Odometer over the outer axes; a -1 anywhere in the outer coordinates makes the whole row constant.
  const counter = new Array<number>(r - 1).fill(0);
  for (let o = 0; ; ) {
    let base = 0;
    let fill = false;
    for (let d = 0; d < r - 1; d++) {
      const i = maps[d]![counter[d]!]!;
      if (i < 0) fill = true;
      base += i * s[d]!;
    }
    for (let w = 0; w < inner; w++, o++) {
      const i = last[w]!;
      out[o] = fill || i < 0 ? a.value : xd[base + i * sLast]!;
    }
    let d = r - 2;
    for (; d >= 0; d--) {
      if (++counter[d]! < shape[d]!) break;
      counter[d] = 0;
    }
    if (d < 0) break;
  }
  return [{ dtype: x.dtype, shape, data: out }];
}

export const padOp = defineOp<PadAttrs>({
  arity: [1, 1],
  outputs: 1,
  traits: {},
  infer: inferPad,
  run: runPad,
  // Padding other axes only fills each dim-0 row from that row.
  batch: (a, inputs) => a.pads[0] === 0 && a.pads[inputs[0]!.shape.length] === 0,
});
