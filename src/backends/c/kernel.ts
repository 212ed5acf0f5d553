// The contract between the C emitter and per-op kernel generators (one static C function per node).
import type { Graph, Node, Value } from '../../ir/graph.js';
import type { Tensor } from '../../ir/tensor.js';
import { fail } from '../../diagnostics.js';
import type { Runtime } from './runtime.js';

/** Flash accounting of one shift-add layer: packed stream vs the ideal (1 + B) bits per non-zero term. */
export interface LayerFlash {
  /** The layer's C function name (Lk). */
  fn: string;
  node: string;
  op: string;
  /**
   * Stream walked at run time (`sparse` buckets or `dense` codes), `packed` (Huffman codes decoded per channel),
   * or `code`: one C function per channel (weightBytes 0, the terms are in .text).
   */
  form: 'sparse' | 'dense' | 'packed' | 'code';
  /** Non-zero terms (pruned weights and unused term slots store nothing). */
  terms: number;
  /** Bytes of the header + tap streams and the tap offset table. */
  weightBytes: number;
  /** terms * (1 + B) bits, rounded up to bytes: what a dense bit-packed code stream would need. */
  idealBytes: number;
  /** Packed form: the Huffman decode tables (count and symbol bytes), included in weightBytes. */
  tableBytes?: number;
  /** Dense form: K fields of 1 + B bits for every weight (termless ones included), in bytes. */
  slotBytes?: number;
  /** Bias (int32) and per-channel requantisation shift (int8) bytes. */
  paramBytes: number;
}

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
  flash: LayerFlash[];
  /** The layer's weights become code (see `codeLayers`), else a packed stream. */
  asCode?: boolean;
  /** Data layers use the entropy-coded `packed` form instead of dense/sparse streams. */
  packed?: boolean;
}

/**
 * `data`: dense/sparse streams; `packed`: Huffman-coded streams decoded per channel (smallest flash);
 * `code`: unrolled per-channel functions; `auto`: code where terms are reused most (convolutions, within a
 * budget), packed for the other convolutions, data for Gemm.
 */
export type WeightForm = 'auto' | 'data' | 'packed' | 'code';

/** A generated kernel: the body of `static void fn(const T *x0.., T *y[, S *s])`. */
export interface Kernel {
  /** Node input indices passed as pointers x0, x1, ... (the others are folded into const tables). */
  data: readonly number[];
  /** Scratch the kernel needs while it runs (passed as `s`), in elements of `type`. */
  scratch?: { type: string; elems: number };
  /** True when the output may share input 0's buffer (elementwise, written at or behind the read). */
  inPlace?: boolean;
  body: string[];
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
