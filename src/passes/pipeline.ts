// The conversion pipeline as a visible array of named passes, and the runner (analyses, verify-each, print-after).
import { fail } from '../diagnostics.js';
import type { Graph } from '../ir/graph.js';
import { verifyGraph } from '../ir/verify.js';
import { calibrateActivations } from './calibrate-activations.js';
import { canonicalize } from './canonicalize.js';
import type { Pass, PassContext } from './context.js';
import { dropOutputSoftmax } from './drop-output-softmax.js';
import { foldBatchnorm } from './fold-batchnorm.js';
import { foldChannelAffine } from './fold-channel-affine.js';
import { fuseHardSwish } from './fuse-hard-swish.js';
import { lowerToShift } from './lower-to-shift.js';
import { mergeClamps } from './merge-clamps.js';
import { pairConvs } from './pair-convs.js';
import { pruneChannels } from './prune-channels.js';
import { pruneWeights } from './prune-weights.js';

/**
 * The rewrites that need no data: they turn the float graph into the ops lower-to-shift sees, in well under a
 * second, so the lowering check (lower-rules.ts) runs on that graph before any work on calibration data. (The
 * pruning passes after them change weights and channel counts, never which ops there are or their attributes.)
 */
export const PREPARE_PIPELINE: readonly Pass[] = [
  canonicalize,
  foldBatchnorm,
  foldChannelAffine,
  fuseHardSwish,
  mergeClamps,
  canonicalize,
  dropOutputSoftmax,
];

/** The full pipeline from a float model to the integer shift-add graph (`--print-ir-after` accepts these names). */
export const SHIFT_PIPELINE: readonly Pass[] = [...PREPARE_PIPELINE, pruneChannels, pruneWeights, pairConvs, calibrateActivations, lowerToShift];

export interface PipelineHooks {
  /** Run the verifier after every pass (tests always do; the CLI with --verify-each). */
  verifyEach?: boolean;
  /** Called after each pass (the CLI prints the textual IR for --print-ir-after). */
  after?: (pass: string, g: Graph) => void;
}

/** Runs one pass: computes the analyses it requires, then binds the ones it provides to its output graph. */
export function runPass(pass: Pass, g: Graph, ctx: PassContext): Graph {
  for (const key of pass.requires ?? []) ctx.analyses.require(key, g, ctx);
  const out = pass.run(g, ctx);
  ctx.analyses.seal(pass, out);
  return out;
}

export function runPipeline(g: Graph, passes: readonly Pass[], ctx: PassContext, hooks: PipelineHooks = {}): Graph {
  let cur = g;
  for (const pass of passes) {
    cur = runPass(pass, cur, ctx);
    if (hooks.verifyEach) verifyGraph(cur, pass.name);
    hooks.after?.(pass.name, cur);
  }
  return cur;
}

/** Validates a --print-ir-after name against the pipeline. */
export function checkPassName(name: string, passes: readonly Pass[]): void {
  if (!passes.some((p) => p.name === name)) fail('SAC040', `unknown pass '${name}' (passes: ${[...new Set(passes.map((p) => p.name))].join(', ')})`);
}
