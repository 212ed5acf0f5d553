// Importers for normalisation ops: BatchNormalization (inference), LRN, Softmax/LogSoftmax (opset < 13 coerce-to-2-D).
import { fail } from '../../diagnostics.js';
import { checkAttr } from '../../ir/ops/util.js';
import { floatTensor, normAxis, numel } from '../../ir/tensor.js';
import type { ImportContext } from '../context.js';

/**
 * Inference-form BatchNormalization. Training mode (opset 14+) is rejected; the extra training outputs
 * are reported by the importer driver if anything uses them. Before opset 9, `spatial=0` means per-activation
 * parameters of shape [C, D1, ...]; those fold (when constant) into a broadcast Mul + Add.
 */
export function importBatchNorm(ctx: ImportContext): number[] {
  if (ctx.int('training_mode', 0) !== 0) fail('SAC012', 'training_mode=1 is not supported (inference only)', ctx.where);
  const epsilon = ctx.float('epsilon', 1e-5);
  const scaleType = ctx.type(1);
  if (ctx.opset < 9 && ctx.int('spatial', 1) === 0 && scaleType.shape.length > 1) {
    const [scale, bias, mean, variance] = [1, 2, 3, 4].map((k) => ctx.requireConst(k, 'per-activation BatchNormalization parameter').data);
    const n = numel(scaleType.shape);
    const s = floatTensor(scaleType.shape);
    const b = floatTensor(scaleType.shape);
    for (let i = 0; i < n; i++) {
      const f = scale![i]! / Math.sqrt(variance![i]! + epsilon);
      s.data[i] = f;
      b.data[i] = bias![i]! - mean![i]! * f;
    }
    const [scaled] = ctx.emit({ kind: 'Mul', attrs: {} }, [ctx.input(0), ctx.const(s, `${ctx.nodeName}_scale`)], { intermediate: true });
    return ctx.emit({ kind: 'Add', attrs: {} }, [scaled!, ctx.const(b, `${ctx.nodeName}_shift`)]);
  }
  const inputs = [0, 1, 2, 3, 4].map((k) => ctx.input(k));
  return ctx.emit({ kind: 'BatchNormalization', attrs: { epsilon } }, inputs);
}

export function importLrn(ctx: ImportContext): number[] {
  checkAttr(ctx.hasAttr('size'), "required attribute 'size' is missing", ctx.where);
  const attrs = { size: ctx.int('size', 1), alpha: ctx.float('alpha', 1e-4), beta: ctx.float('beta', 0.75), bias: ctx.float('bias', 1) };
  return ctx.emit({ kind: 'LRN', attrs }, [ctx.input(0)]);
}

/**
 * Softmax/LogSoftmax. From opset 13 the op works along `axis` (default -1). Before, the input is coerced
 * to 2-D [prod(dims < axis), prod(dims >= axis)] (default axis 1) and normalised along the second dim,
 * which we express as Reshape + op on the last axis + Reshape (a single op when axis is already last).
 */
export function importSoftmax(kind: 'Softmax' | 'LogSoftmax') {
  return (ctx: ImportContext): number[] => {
    const x = ctx.type(0);
    const r = x.shape.length;
    const raw = ctx.int('axis', ctx.opset >= 13 ? -1 : 1);
    checkAttr(raw >= -r && raw < Math.max(r, 1), `axis ${raw} out of range for rank ${r}`, ctx.where);
    const axis = normAxis(raw, r);
    if (ctx.opset >= 13 || axis === r - 1) return ctx.emit({ kind, attrs: { axis } }, [ctx.input(0)]);
    const flat = [numel(x.shape.slice(0, axis)), numel(x.shape.slice(axis))];
    const [x2] = ctx.emit({ kind: 'Reshape', attrs: { shape: flat } }, [ctx.input(0)], { intermediate: true });
    const [y2] = ctx.emit({ kind, attrs: { axis: 1 } }, [x2!], { intermediate: true });
    return ctx.emit({ kind: 'Reshape', attrs: { shape: [...x.shape] } }, [y2!]);
  };
}
