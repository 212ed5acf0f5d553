// Importers of onnxruntime-quantised models (QDQ and QOperator): an int8/uint8 tensor is carried as its dequantised float.
import { fail } from '../../diagnostics.js';
import { checkAttr } from '../../ir/ops/util.js';
import { floatTensor, normAxis, numel, tensor, type Tensor } from '../../ir/tensor.js';
import type { ImportContext } from '../context.js';
import { convAttrs } from './conv.js';

/** A quantisation: q = saturate(round(x / scale) + zero), x ~ (q - zero) * scale, per tensor or per `axis` channel. */
interface QParams {
  scale: Float32Array;
  zero: number[];
  /** The zero point's integer range (the quantised dtype). */
  qmin: number;
  qmax: number;
}

const RANGE: Record<string, [number, number]> = { uint8: [0, 255], int8: [-128, 127], int32: [-(2 ** 31), 2 ** 31 - 1] };

/** The scale and zero point of inputs `s` and `z` (zero omitted: 0 of `dflt`), checked finite, positive and sized. */
function qparams(ctx: ImportContext, s: number, z: number, what: string, dflt: 'uint8' | 'int8' | 'int32'): QParams {
  const st = ctx.requireConst(s, `${what} scale`);
  const zt = ctx.has(z) ? ctx.requireConst(z, `${what} zero point`) : undefined;
  const scale = Float32Array.from(st.data as ArrayLike<number>);
  checkAttr(scale.length > 0 && scale.every((v) => Number.isFinite(v) && v > 0), `${what} scale must be finite and positive`, ctx.where);
  const dtype = zt?.dtype ?? dflt;
  const range = RANGE[dtype] ?? fail('SAC015', `${what} zero point of type ${dtype}: only int8, uint8 (and int32 biases) are supported`, ctx.where);
  const zero = zt ? Array.from(zt.data as ArrayLike<number>, Number) : new Array<number>(scale.length).fill(0);
  checkAttr(zero.length === scale.length, `${what} zero point has ${zero.length} values for ${scale.length} scales`, ctx.where);
  return { scale, zero, qmin: range[0], qmax: range[1] };
}

/** Channel of flat index i along `axis` of `shape`, for a per-axis scale (0 for one per tensor). */
function channelOf(shape: readonly number[], axis: number, n: number): (i: number) => number {
  if (n === 1) return () => 0;
  const inner = numel(shape.slice(axis + 1));
  return (i) => Math.floor(i / inner) % n;
}

function checkAxis(ctx: ImportContext, p: QParams, shape: readonly number[], axis: number, what: string): void {
  checkAttr(p.scale.length === 1 || shape[axis] === p.scale.length, `${what}: ${p.scale.length} scales for axis ${axis} of [${shape}]`, ctx.where);
}

/** (q - zero) * scale in float32, as onnxruntime computes it: the integer difference is exact, one rounding. */
function dequantize(q: Tensor, p: QParams, axis: number): Tensor {
  const out = floatTensor(q.shape);
  const ch = channelOf(q.shape, axis, p.scale.length);
  for (let i = 0; i < out.data.length; i++) { const c = ch(i); out.data[i] = ((q.data[i] as number) - p.zero[c]!) * p.scale[c]!; }
  return out;
}

/** Round half to even (onnxruntime's std::nearbyint), then saturate to the quantised range. */
function quantize(x: Tensor, p: QParams, axis: number, dtype: 'int8' | 'uint8'): Tensor {
  const ch = channelOf(x.shape, axis, p.scale.length);
  const out = tensor(dtype, x.shape);
  for (let i = 0; i < out.data.length; i++) {
    const c = ch(i);
    const v = (x.data[i] as number) / p.scale[c]!;
    const r = Math.round(v);
    const even = r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
    out.data[i] = Math.max(p.qmin, Math.min(p.qmax, even + p.zero[c]!));
  }
  return out;
}

/** The float range a quantised activation can hold: [(qmin - zero) scale, (qmax - zero) scale]. */
function clampTo(ctx: ImportContext, x: number, p: QParams, what: string): number[] {
  if (p.scale.length !== 1) fail('SAC005', `${what} with per-axis scales on an activation is not supported`, ctx.where, 'quantise activations per tensor (onnxruntime\'s default)');
  const [s, z] = [p.scale[0]!, p.zero[0]!];
  return ctx.emit({ kind: 'Clip', attrs: { min: Math.fround((p.qmin - z) * s), max: Math.fround((p.qmax - z) * s) } }, [x]);
}

/** Opset 21's blocked quantisation (block_size > 0) is not imported. */
function checkBlocks(ctx: ImportContext, what: string): void {
  if (ctx.int('block_size', 0) !== 0) fail('SAC012', `${what} with block_size ${ctx.int('block_size', 0)}: blocked quantisation is not supported`, ctx.where, 'quantise per tensor or per axis');
}

const outName = (ctx: ImportContext) => ctx.node.output?.[0] || `${ctx.nodeName}_out`;

/**
 * QuantizeLinear: of a constant, folded to its int8/uint8 codes (a DequantizeLinear after it folds back); of an
 * activation, the clamp to the quantised range, carried as a float (the rounding to the scale's grid is not kept:
 * calibration chooses a power-of-two grid within that range, docs/numerics.md).
 */
export function importQuantizeLinear(ctx: ImportContext): number[] {
  const x = ctx.type(0);
  const zt = ctx.has(2) ? ctx.requireConst(2, 'QuantizeLinear zero point') : undefined;
  // Opset 21: output_dtype names the type when no zero point does (3 int8, 2 uint8; default uint8).
  const dtype = zt?.dtype ?? ({ 2: 'uint8', 3: 'int8' } as Record<number, 'uint8' | 'int8'>)[ctx.int('output_dtype', 2)] ?? `ONNX type ${ctx.int('output_dtype', 2)}`;
  if (dtype !== 'int8' && dtype !== 'uint8') fail('SAC015', `QuantizeLinear to ${dtype}: only int8 and uint8 are supported`, ctx.where);
  checkBlocks(ctx, 'QuantizeLinear');
  const p = qparams(ctx, 1, 2, 'QuantizeLinear', dtype);
  const axis = normAxis(ctx.int('axis', 1), Math.max(1, x.shape.length));
  checkAxis(ctx, p, x.shape, axis, 'QuantizeLinear');
  const c = ctx.constant(0);
  if (c) return [ctx.const(quantize(c, p, axis, dtype), outName(ctx))];
  return clampTo(ctx, ctx.input(0), p, 'QuantizeLinear');
}

/**
 * DequantizeLinear: of constant codes (int8/uint8 weights, int32 biases), the float tensor (q - zero) * scale,
 * exactly; of an activation, which this importer already carries as its dequantised float, its range's clamp.
 */
export function importDequantizeLinear(ctx: ImportContext): number[] {
  const x = ctx.type(0);
  const c = ctx.constant(0);
  if (!c) {
    if (x.dtype !== 'float32') fail('SAC015', `DequantizeLinear of a run-time ${x.dtype} tensor (a quantised graph input)`, ctx.where, 'keep the model input float32 with a QuantizeLinear inside the model');
    // The same clamp again (its zero point's type gives the range): merge-clamps joins it with the one before, and
    // the tensor keeps the name the model gives it here (an Identity would hand the output the quantised name).
    if (!ctx.has(2)) return ctx.emit({ kind: 'Identity', attrs: {} }, [ctx.input(0)]);
    const zt = ctx.requireConst(2, 'DequantizeLinear zero point');
    return clampTo(ctx, ctx.input(0), qparams(ctx, 1, 2, 'DequantizeLinear', zt.dtype === 'int8' ? 'int8' : 'uint8'), 'DequantizeLinear');
  }
  if (c.dtype !== 'int8' && c.dtype !== 'uint8' && c.dtype !== 'int32') fail('SAC015', `DequantizeLinear of ${c.dtype} codes: only int8, uint8 and int32 are supported`, ctx.where);
  checkBlocks(ctx, 'DequantizeLinear');
  const p = qparams(ctx, 1, 2, 'DequantizeLinear', c.dtype);
  const axis = normAxis(ctx.int('axis', 1), Math.max(1, c.shape.length));
  checkAxis(ctx, p, c.shape, axis, 'DequantizeLinear');
  return [ctx.const(dequantize(c, p, axis), outName(ctx))];
}

/**
 * QLinearConv (x, x_scale, x_zero, w, w_scale, w_zero, y_scale, y_zero, B): a float Conv on the dequantised
 * weights (per output channel) and bias (int32 at x_scale * w_scale), its output clamped to y's quantised range.
 */
export function importQLinearConv(ctx: ImportContext): number[] {
  const wq = ctx.requireConst(3, 'QLinearConv weights');
  const wp = qparams(ctx, 4, 5, 'QLinearConv w', wq.dtype === 'int8' ? 'int8' : 'uint8');
  checkAxis(ctx, wp, wq.shape, 0, 'QLinearConv w');
  const xs = qparams(ctx, 1, 2, 'QLinearConv x', 'uint8').scale[0]!;
  const w = dequantize(wq, wp, 0);
  const inputs = [ctx.input(0), ctx.const(w, `${ctx.nodeName}_w`)];
  if (ctx.has(8)) {
    const bq = ctx.requireConst(8, 'QLinearConv bias');
    const M = wq.shape[0]!;
    checkAttr(bq.data.length === M, `QLinearConv bias has ${bq.data.length} values for ${M} output channels`, ctx.where);
    const b = floatTensor([M], Array.from(bq.data as ArrayLike<number>, (v, m) => v * xs * wp.scale[wp.scale.length === 1 ? 0 : m]!));
    inputs.push(ctx.const(b, `${ctx.nodeName}_b`));
  }
  const conv = ctx.emit({ kind: 'Conv', attrs: convAttrs(ctx, ctx.type(0).shape, wq.shape) }, inputs, { intermediate: true });
  return clampTo(ctx, conv[0]!, qparams(ctx, 6, 7, 'QLinearConv y', 'uint8'), 'QLinearConv output');
}

/** QLinearMatMul (a, a_scale, a_zero, b, b_scale, b_zero, y_scale, y_zero) with constant b: MatMul, then y's clamp. */
export function importQLinearMatMul(ctx: ImportContext): number[] {
  const bq = ctx.requireConst(3, 'QLinearMatMul b');
  const bp = qparams(ctx, 4, 5, 'QLinearMatMul b', bq.dtype === 'int8' ? 'int8' : 'uint8');
  checkAttr(bq.shape.length === 2, `QLinearMatMul b of rank ${bq.shape.length}: only a matrix is supported`, ctx.where);
  checkAxis(ctx, bp, bq.shape, 1, 'QLinearMatMul b');
  qparams(ctx, 1, 2, 'QLinearMatMul a', 'uint8');
  const mm = ctx.emit({ kind: 'MatMul', attrs: {} }, [ctx.input(0), ctx.const(dequantize(bq, bp, 1), `${ctx.nodeName}_b`)], { intermediate: true });
  return clampTo(ctx, mm[0]!, qparams(ctx, 6, 7, 'QLinearMatMul y', 'uint8'), 'QLinearMatMul output');
}
