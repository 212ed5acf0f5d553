// Importers for reductions (ReduceMean, ReduceSum): axes move from attribute to input at an op-specific opset.
import type { ImportContext } from '../context.js';
import { checkAttr } from '../../ir/ops/util.js';
import { normAxis } from '../../ir/tensor.js';

/** `inputFrom`: first opset where axes is an input (ReduceSum 13, ReduceMean 18). */
export function importReduce(kind: 'ReduceMean' | 'ReduceSum', inputFrom: number) {
  return (ctx: ImportContext): number[] => {
    const rank = ctx.type(0).shape.length;
    const asInput = ctx.opset >= inputFrom;
    const raw = asInput ? (ctx.has(1) ? ctx.constInts(1, 'axes') : []) : ctx.ints('axes');
    const keepdims = ctx.int('keepdims', 1) !== 0;
    // noop_with_empty_axes came with the axes input; without it, empty axes mean "reduce everything".
    if (asInput && raw.length === 0 && ctx.int('noop_with_empty_axes', 0) === 1) return ctx.emit({ kind: 'Identity', attrs: {} }, [ctx.input(0)]);
    const axes = raw.map((a) => normAxis(a, rank)).sort((a, b) => a - b);
    checkAttr(axes.every((a) => a >= 0 && a < rank) && new Set(axes).size === axes.length, `axes [${raw}] invalid for rank ${rank}`, ctx.where);
    return ctx.emit({ kind, attrs: { axes, keepdims } }, [ctx.input(0)]);
  };
}
