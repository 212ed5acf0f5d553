// What a compile changed that the user should be told: structured pruning per layer, layers recovered by blocks or not at all.
import type { Graph } from './ir/graph.js';
import { shiftOperand } from './ir/lowered.js';
import { MAX_RECOVER_D } from './passes/recover.js';
import { blockCount, MAX_BLOCK_D } from './passes/recover-blocks.js';

/** Output channels of every Conv by node name. */
function convChannels(g: Graph): Map<string, number> {
  return new Map(g.nodes.filter((n) => n.op.kind === 'Conv').map((n) => [n.name, g.values[n.inputs[1]!]!.type.shape[0]!]));
}

/**
 * With --prune-channels: which convolutions lost output channels (from the graphs before and after, not from the
 * pass's intentions), or why none did.
 */
export function pruneNotes(source: Graph, prepared: Graph, ratio: number | undefined): string[] {
  if (!ratio) return [];
  const after = convChannels(prepared);
  const cut = [...convChannels(source)].flatMap(([name, m]) => {
    const now = after.get(name);
    return now !== undefined && now < m ? [`${name}: kept ${now} of ${m} output channels (--prune-channels ${ratio})`] : [];
  });
  if (cut.length) return cut;
  return [`--prune-channels ${ratio} removed no channel: it prunes a group-1 Conv whose output reaches only another group-1 Conv `
    + 'through channelwise ops (ReLU, pooling, ...); this model has no such pair with a channel to spare (depthwise and grouped '
    + 'convolutions, and convolutions feeding an Add, Concat or the output, keep their channels)'];
}

/**
 * Layers wider than one Gram matrix's bound were recovered block by block (block-diagonal statistics: correlations
 * between blocks ignored), and layers too wide for recovery's memory bound were rounded without it: the report says which.
 */
export function wideLayerNotes(g: Graph, recover: boolean | undefined): string[] {
  if (recover === false) return [];
  return g.nodes.filter((n) => n.op.kind === 'ShiftConv' || n.op.kind === 'ShiftGemm').flatMap((n) => {
    // codes: [M, D, K] for a Gemm, [M, Cg, kh, kw, K] for a convolution (blocks are of whole input channels).
    const codes = g.values[shiftOperand(n, 'codes')]!.type.shape;
    const D = codes.slice(1, -1).reduce((a, b) => a * b, 1);
    if (D > MAX_RECOVER_D) return [`${n.name}: ${D} weights per output exceed recovery's bound of ${MAX_RECOVER_D}; rounded without recovery`];
    if (D <= MAX_BLOCK_D) return [];
    const taps = D / codes[1]!;
    const nb = blockCount(codes[1]!, taps);
    return [`${n.name}: ${D} weights per output exceed ${MAX_BLOCK_D}; recovered block by block (${nb} blocks of ${(codes[1]! / nb) * taps} `
      + 'weights with block-diagonal statistics: error correlations between blocks ignored)'];
  });
}
