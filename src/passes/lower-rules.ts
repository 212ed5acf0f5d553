// Which lowering rule lower-to-shift applies to a node, and why a node has none: one lookup for the lowering and the check.
import type { Graph, Node } from '../ir/graph.js';
import { isLoweredKind } from '../ir/lowered.js';
import { opTraits } from '../ir/registry.js';
import { fusedActivations } from './channel-fracs.js';
import type { LoweringRule, RuleContext, WeightLoweringStrategy } from './lower-context.js';
import { activationRule, copyRule, STRUCTURAL_RULES } from './lower-ops.js';
import { exactPow2Lowering } from './lower-pow2.js';
import { shiftTermsLowering } from './lower-weights.js';

/** Weight-layer encodings, tried in order for each layer (the first that applies lowers it). */
const WEIGHT_LOWERINGS: readonly WeightLoweringStrategy[] = [exactPow2Lowering, shiftTermsLowering];

/** The rule lower-to-shift lowers `n` with, or why there is none (an op with no shift-add form). */
export function loweringRule(s: RuleContext, n: Node): LoweringRule | string {
  const traits = opTraits(n.op.kind);
  if (traits.weightLayer) return WEIGHT_LOWERINGS.find((w) => w.applies(s, n)) ?? 'no weight lowering applies';
  if (traits.tableActivation) return activationRule;
  if (traits.scalePreserving && isLoweredKind(n.op.kind)) return copyRule;
  return STRUCTURAL_RULES[n.op.kind] ?? `${n.op.kind} has no shift-add lowering`;
}

/** Why lower-to-shift would refuse `n`, decidable before calibration; undefined when it lowers it. */
export function lowerBlocker(s: RuleContext, n: Node): string | undefined {
  const rule = loweringRule(s, n);
  return typeof rule === 'string' ? rule : rule.check?.(s, n);
}

/**
 * Every node of a prepared float graph (after the passes before calibration) that lower-to-shift would refuse,
 * with the reason, in graph order. Activations fused into the layer before them get no node and are skipped,
 * as lowering skips them.
 */
export function loweringBlockers(g: Graph, user: RuleContext['user']): { node: Node; why: string }[] {
  const { absorbed } = fusedActivations(g);
  const s: RuleContext = { g, user };
  const out: { node: Node; why: string }[] = [];
  for (const n of g.nodes) {
    if (absorbed.has(n.id)) continue;
    const why = lowerBlocker(s, n);
    if (why !== undefined) out.push({ node: n, why });
  }
  return out;
}
