// The contract between the C emitter and per-op kernel generators (one static C function per node).
import type { Graph, Node, Value } from '../../ir/graph.js';
import type { Tensor } from '../../ir/tensor.js';
import type { WeightStats } from '../../codegen/weights.js';
import { fail } from '../../diagnostics.js';
import type { Runtime } from './runtime.js';
import type { WeightBlob } from './blob.js';
import { constArray } from './cfmt.js';

/** Flash accounting of one shift-add layer (codegen's WeightStats) under its C function name Lk. */
export type LayerFlash = { fn: string; node: string; op: string } & WeightStats;

export interface KernelCtx {
  g: Graph;
  node: Node;
  /** The node's C function name; kernels prefix their file-scope tables with it. */
  fn: string;
  /** Diagnostic location of the node. */
  where: string;
  rt: Runtime;
  /** File-scope declarations (const tables) the kernel needs, in emission order. */
  decls: string[];
  /** The layer's weights become code (see `codeLayers`), else a packed stream. */
  asCode?: boolean;
  /** ShiftConv layers use the byte-list form (list-kernel.ts) where it applies. */
  list?: boolean;
  /** Data layers use the entropy-coded `packed` form instead of dense/sparse streams. */
  packed?: boolean;
  /** Set when the model's constants are too many for C text: large weight tables go into NAME_weights.bin. */
  blob?: WeightBlob;
}

/** A weight table's declaration: `static const` C text, or a pointer into the weights blob when there is one. */
export function weightTable(ctx: KernelCtx, name: string, type: string, values: ArrayLike<number>): string {
  return ctx.blob ? ctx.blob.decl(name, type, values) : constArray(name, type, values);
}

/**
 * `data`: dense/sparse streams; `packed`: Huffman-coded streams decoded per channel (smallest flash);
 * `code`: unrolled per-channel functions; `auto`: code where terms are reused most (convolutions, within a
 * budget), packed for the other convolutions, data for Gemm.
 */
export type WeightForm = 'auto' | 'data' | 'packed' | 'code' | 'list';

/** A generated kernel: the body of `static void fn(const T *x0.., T *y[, S *s])`. */
export interface Kernel {
  /** Node input indices passed as pointers x0, x1, ... (the others are folded into const tables). */
  data: readonly number[];
  /** Scratch the kernel needs while it runs (passed as `s`), in elements of `type`. */
  scratch?: { type: string; elems: number };
  /** True when the output may share input 0's buffer (elementwise, written at or behind the read). */
  inPlace?: boolean;
  body: string[];
  /** A shift-add layer's weight accounting, computed by codegen from the stream it packed. */
  weights?: WeightStats;
}

export function val(ctx: KernelCtx, k: number): Value {
  const id = ctx.node.inputs[k];
  if (id === undefined || id < 0) fail('SAC060', `input ${k} is missing`, ctx.where);
  return ctx.g.values[id]!;
}

export function out(ctx: KernelCtx): Value {
  return ctx.g.values[ctx.node.outputs[0]!]!;
}

/** The constant data of optional input k (e.g. a shift layer's channel gain), or undefined when omitted. */
export function optionalConstData(ctx: KernelCtx, k: number): Tensor | undefined {
  const id = ctx.node.inputs[k];
  return id === undefined || id < 0 ? undefined : constData(ctx, k);
}

/** The constant data of input k (shift-layer codes, biases, shifts). */
export function constData(ctx: KernelCtx, k: number): Tensor {
  const v = val(ctx, k);
  if (!v.data) fail('SAC060', `input ${k} ('${v.name}') must be a constant for the C backend`, ctx.where);
  return v.data;
}

/** How a kernel drives a layer's weight stream: state setup, per-channel decode and save/restore (conv), one output. */
export interface Packed {
  init: string[];
  /** Once per output channel, before its outputs (the packed form decodes the channel here). */
  decode: string[];
  save: string[];
  restore: string;
  /** After a channel's last output (dense streams advance by a fixed number of words per channel). */
  next: string[];
  /** The uint32 term sum of one output whose window starts at `p`; advances the stream by one channel. */
  sum: (p: string) => string;
  /** The accumulator through the channel gain (identity without one). */
  gain: (acc: string) => string;
}

/** The channel gain part of a stream walk (see shift.ts gainTable); `bytes` are its digit codes. */
export type GainWalk = Pick<Packed, 'init' | 'next' | 'gain'> & { bytes: number };
