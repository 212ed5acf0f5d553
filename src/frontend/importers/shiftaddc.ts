// The custom ONNX domain ai.shiftaddc (docs/custom-ops.md): ShiftConv (DeepShift power-of-two weights) and AdderConv (adder layers).
import { fail } from '../../diagnostics.js';
import type { ImportContext } from '../context.js';
import type { Importer } from './index.js';
import { convGeometry } from './conv.js';

export const SHIFTADDC_DOMAIN = 'ai.shiftaddc';
/** The domain's one opset version. */
export const SHIFTADDC_OPSET = 1;

/** Index of the first weight that is neither 0 nor a signed power of two (or -1). */
function firstNonPow2(w: ArrayLike<number>): number {
  for (let i = 0; i < w.length; i++) {
    const a = Math.abs(w[i]!);
    if (a !== 0 && !(Number.isFinite(a) && 2 ** Math.round(Math.log2(a)) === a)) return i;
  }
  return -1;
}

/** ShiftConv(X, W[, B]): a Conv whose float weights are already signed powers of two; lowered exactly (one term each). */
function importShiftConv(ctx: ImportContext): number[] {
  const w = ctx.requireConst(1, 'ShiftConv weights');
  const bad = firstNonPow2(w.data);
  if (bad >= 0) {
    fail('SAC012', `weight ${bad} is ${w.data[bad]}, not 0 or a signed power of two`, ctx.where,
      'round the weights to signed powers of two before export (DeepShift: sign(w) * 2^round(log2|w|)), or export the layer as a standard Conv');
  }
  const inputs = ctx.has(2) ? [ctx.input(0), ctx.input(1), ctx.input(2)] : [ctx.input(0), ctx.input(1)];
  return ctx.emit({ kind: 'Conv', attrs: { ...convGeometry(ctx), pow2: true } }, inputs);
}

/** AdderConv(X, W[, B]): Y = -sum |X - W| over Conv's window (padded taps read 0) + B. */
function importAdderConv(ctx: ImportContext): number[] {
  ctx.requireConst(1, 'AdderConv weights');
  const inputs = [ctx.input(0), ctx.input(1), -1, ctx.has(2) ? ctx.input(2) : -1];
  while (inputs[inputs.length - 1] === -1) inputs.pop();
  return ctx.emit({ kind: 'Adder', attrs: convGeometry(ctx) }, inputs);
}

/** Keys as the importer table spells a custom domain's ops: `domain.OpType`. */
export const SHIFTADDC_IMPORTERS: Record<string, Importer> = {
  [`${SHIFTADDC_DOMAIN}.ShiftConv`]: importShiftConv,
  [`${SHIFTADDC_DOMAIN}.AdderConv`]: importAdderConv,
};
