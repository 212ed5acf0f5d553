// What lower-to-shift's rule files share: the lowering context, the weight-lowering strategy contract, emit helpers.
import { atNode, fail } from '../diagnostics.js';
import type { Graph, Node, Quant } from '../ir/graph.js';
import type { Op } from '../ir/registry.js';
import type { Tensor } from '../ir/tensor.js';
import type { PassSettings, Progress, UserOptions } from './context.js';
import type { Rewriter } from './rewriter.js';

/** Per-sample tensors of one value over the calibration set. */
export type Samples = Tensor[];

/** What a rule's check may read: the float graph and the options, nothing calibration computes. */
export interface RuleContext {
  readonly g: Graph;
  readonly user: Pick<UserOptions, 'actBits'>;
}

/** What a lowering rule needs: the rewriter, options, fracs, and calibration activations of both networks. */
export interface LowerContext extends RuleContext {
  readonly r: Rewriter;
  readonly user: UserOptions;
  readonly pass: PassSettings;
  readonly progress?: Progress;
  /** Float activations of old values (per sample). */
  floatActs(oldId: number): Samples;
  /** Integer activations of new values (per sample). */
  intActs(newId: number): Samples;
  /** Fractional bits of a new (lowered) value. */
  fracOfNew(newId: number): number;
  /** Calibrated fractional bits of an old value. */
  fracOfOld(oldId: number): number;
  /** The activation node fused into `n`, if any (its output is the real output of the lowered op). */
  fusedAct(n: Node): Node | undefined;
}

/** A weight layer seen as a matrix: rows = output channels, D weights each, `groups` input groups. */
export interface WeightMatrix {
  rows: Float64Array[];
  bias: Float64Array;
  groups: number;
  /** Shape of the codes tensor without the terms axis. */
  codeShape: number[];
}

/**
 * How lower-to-shift lowers one op kind. `check` says why a node cannot be lowered from what is known before
 * calibration (op, attributes, constants, shapes, options), so `shiftaddc inspect --check` and compile's first
 * step name every such node up front; `lower` runs only on nodes its check passed (it may still refuse what only
 * calibration decides, e.g. a gate scale too far from its input's).
 */
export interface LoweringRule {
  check?(s: RuleContext, n: Node): string | undefined;
  lower(ctx: LowerContext, n: Node): void;
}

/**
 * How one weight layer (an op with the weightLayer trait) becomes integer shift-add nodes. lower-to-shift picks
 * the first strategy that applies, layer by layer, so another encoding (e.g. ShiftAddNet's shift/add pairs) can
 * take some layers while the others keep power-of-two terms.
 */
export interface WeightLoweringStrategy {
  readonly name: string;
  /** Whether this strategy lowers node `n` under the context's options. */
  applies(s: RuleContext, n: Node): boolean;
  /** Why it cannot lower `n` after all, known before calibration (see LoweringRule.check). */
  check?(s: RuleContext, n: Node): string | undefined;
  /** Emits the lowered nodes for `n` (and its fused activation) through `ctx.r`. */
  lower(ctx: LowerContext, n: Node): void;
}

/** Integer range of a fused ReLU/Clip at `frac` fractional bits. */
export function activationRange(act: Node | undefined, frac: number, bits: number): [number, number] {
  const hi = 2 ** (bits - 1) - 1;
  if (!act) return [-hi - 1, hi];
  if (act.op.kind === 'Relu') return [0, hi];
  if (act.op.kind === 'Clip') {
    const q = (x: number) => (Number.isFinite(x) ? Math.floor(x * 2 ** frac + 0.5) : x > 0 ? hi : -hi - 1);
    const lo = Math.max(-hi - 1, Math.min(hi, q(act.op.attrs.min)));
    return [lo, Math.max(lo, Math.min(hi, q(act.op.attrs.max)))];
  }
  return [-hi - 1, hi];
}

/** Helper for rules: emits `op` for old node `n` with lowered outputs carrying `quant`. */
export function emitLowered(ctx: LowerContext, n: Node, op: Op, inputs: readonly number[], quant: Quant, target?: Node): number {
  // A fused activation's output name is kept, so reports compare it with the float activation it replaces.
  const names = target ? [ctx.g.values[target.outputs[0]!]!.name] : undefined;
  const [out] = ctx.r.emitFor(n.id, op, inputs, undefined, [quant], names);
  if (target) ctx.r.alias(target.outputs[0]!, out!);
  return out!;
}

export function unsupported(n: Node, why: string): never {
  return fail('SAC052', why, atNode(n.name, n.op.kind));
}
