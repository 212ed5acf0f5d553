// Lowering rule for LRN: builds QLrn's tables (log-domain gain per window-sum bucket, log2 |x|, exp) in float64.
import type { Node } from '../ir/graph.js';
import { lrnBucket, lrnIndexCount } from '../ir/ops/qlrn.js';
import { emitLowered, unsupported, type LowerContext, type RuleContext } from './lower-context.js';

/** Mantissa bits of the window-sum index (relative bucket width <= 2^-6) and fractional bits of the log domain. */
const MANT = 6;
const LOG_FRAC = 7;

/** Known before calibration: int8 activations and a positive bias. */
export function checkLrn(s: RuleContext, n: Node): string | undefined {
  if (n.op.kind !== 'LRN') return 'not an LRN';
  if (s.user.actBits !== 8) return 'LRN lowering needs int8 activations (its squares and tables are indexed by int8 values)';
  if (!(n.op.attrs.bias > 0)) return `LRN with bias ${n.op.attrs.bias} <= 0 has no finite gain at a zero window`;
  return undefined;
}

export function lowerLrn(ctx: LowerContext, n: Node): void {
  if (n.op.kind !== 'LRN') return unsupported(n, 'not an LRN');
  const { size, alpha, beta, bias } = n.op.attrs;
  const x = ctx.r.get(n.inputs[0]!);
  const fracIn = ctx.fracOfNew(x);
  const fracOut = ctx.fracOfOld(n.outputs[0]!);
  const L = 2 ** LOG_FRAC;
  // Gain g(s) = (bias + alpha/size * s * 2^(-2 fracIn))^-beta at the bucket's middle sum, times 2^(fracOut - fracIn).
  const pow = Array.from({ length: lrnIndexCount(size, MANT) }, (_, idx) => {
    const [lo, hi] = lrnBucket(idx, MANT);
    const s = (lo + hi) / 2;
    const log2g = -beta * Math.log2(bias + (alpha / size) * s * 2 ** (-2 * fracIn));
    return Math.round((log2g + fracOut - fracIn) * L);
  });
  const log = Array.from({ length: 128 }, (_, k) => Math.round(Math.log2(k + 1) * L));
  // Below 2^-1 the output rounds to 0; from log2(127.5) on it saturates at 127.
  const expMin = -L;
  const expMax = Math.ceil(Math.log2(127.5) * L);
  const exp = Array.from({ length: expMax - expMin + 1 }, (_, k) => Math.min(127, Math.floor(2 ** ((k + expMin) / L) + 0.5)));
  emitLowered(ctx, n, { kind: 'QLrn', attrs: { size, mant: MANT, logFrac: LOG_FRAC, pow, log, exp, expMin } }, [x], { frac: fracOut });
}
