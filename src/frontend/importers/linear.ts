// Importers for Gemm and MatMul: both stay single IR ops (Gemm keeps transA/transB/alpha/beta as attrs).
import type { ImportContext } from '../context.js';

/** Gemm: C is optional from opset 11; opset < 7's `broadcast` flag is subsumed by the IR's unidirectional broadcast. */
export function importGemm(ctx: ImportContext): number[] {
  const attrs = {
    transA: ctx.int('transA', 0) !== 0,
    transB: ctx.int('transB', 0) !== 0,
    alpha: ctx.float('alpha', 1),
    beta: ctx.float('beta', 1),
  };
  const inputs = ctx.has(2) ? [ctx.input(0), ctx.input(1), ctx.input(2)] : [ctx.input(0), ctx.input(1)];
  return ctx.emit({ kind: 'Gemm', attrs }, inputs);
}

export function importMatMul(ctx: ImportContext): number[] {
  return ctx.emit({ kind: 'MatMul', attrs: {} }, [ctx.input(0), ctx.input(1)]);
}
