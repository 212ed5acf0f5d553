// The conversion pipeline as a visible array of named passes, with verify-each and print-after hooks.
import { fail } from '../diagnostics.js';
import type { Graph } from '../ir/graph.js';
import { verifyGraph } from '../ir/verify.js';
import { calibrateActivations } from './calibrate-activations.js';
import { canonicalize } from './canonicalize.js';
import { foldBatchnorm } from './fold-batchnorm.js';
import type { PassOptions } from './options.js';
import { pruneChannels } from './prune-channels.js';
import { pruneWeights } from './prune-weights.js';

export interface Pass {
  readonly name: string;
  readonly run: (g: Graph, options: PassOptions) => Graph;
}

/** The float-side preparation every conversion starts with. */
export const PREPARE_PIPELINE: readonly Pass[] = [
  { name: 'canonicalize', run: canonicalize },
  { name: 'fold-batchnorm', run: foldBatchnorm },
  { name: 'canonicalize', run: canonicalize },
  { name: 'prune-channels', run: pruneChannels },
  { name: 'prune-weights', run: pruneWeights },
  { name: 'calibrate-activations', run: calibrateActivations },
];

export interface PipelineHooks {
  /** Run the verifier after every pass (tests always do; the CLI with --verify-each). */
  verifyEach?: boolean;
  /** Called after each pass (the CLI prints the textual IR for --print-ir-after). */
  after?: (pass: string, g: Graph) => void;
}

export function runPipeline(g: Graph, passes: readonly Pass[], options: PassOptions, hooks: PipelineHooks = {}): Graph {
  let cur = g;
  for (const pass of passes) {
    cur = pass.run(cur, options);
    if (hooks.verifyEach) verifyGraph(cur, pass.name);
    hooks.after?.(pass.name, cur);
  }
  return cur;
}

/** Validates a --print-ir-after name against the pipeline. */
export function checkPassName(name: string, passes: readonly Pass[]): void {
  if (!passes.some((p) => p.name === name)) fail('SAC040', `unknown pass '${name}' (passes: ${[...new Set(passes.map((p) => p.name))].join(', ')})`);
}
