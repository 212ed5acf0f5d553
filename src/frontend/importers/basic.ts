// Importers for ops that map one-to-one onto IR ops with no attributes (elementwise, Relu, Identity).
import type { ImportContext } from '../context.js';
import type { Op } from '../../ir/registry.js';

type Plain = Extract<Op, { attrs: Record<string, never> }>['kind'];

/** ONNX op whose IR twin takes the same inputs and no attributes. */
export function plain(kind: Plain, arity: number) {
  return (ctx: ImportContext): number[] =>
    ctx.emit({ kind, attrs: {} } as Op, Array.from({ length: arity }, (_, k) => ctx.input(k)));
}

/** Dropout (inference) and Identity pass through; Dropout's mask output is unsupported if used. */
export function importIdentity(ctx: ImportContext): number[] {
  return ctx.emit({ kind: 'Identity', attrs: {} }, [ctx.input(0)]);
}
