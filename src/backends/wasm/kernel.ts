// What a WebAssembly kernel sees: the node, its operand addresses, the function body, constants and helpers; a loop nest.
import type { Graph, Node } from '../../ir/graph.js';
import { DTYPE_BYTES, type TensorType } from '../../ir/tensor.js';
import { Code, OP } from './encoder.js';
import type { Bss, DataPool, Runtime } from './runtime.js';

export interface WasmKernelCtx {
  g: Graph;
  node: Node;
  where: string;
  /** Body of the node's function (no params). */
  code: Code;
  data: DataPool;
  rt: Runtime;
  /** Byte address of a value's storage (input/output buffer, arena or data segment). */
  addr(id: number): number;
  /** Byte address of the node's scratch buffer (planned from scratchBytes). */
  scratch: number;
  /** Emit the 128-bit SIMD variant of the kernels that have one. */
  simd: boolean;
  /** Body of the start function (runs once at instantiation): decodes packed constants into `bss`. */
  init: Code;
  /** Zero-initialised memory the start function fills (sized by `kernelBss` before emission). */
  bss: Bss;
}

/** Bytes of one element of a value. */
export const elemBytes = (t: TensorType): number => DTYPE_BYTES[t.dtype];

export const inType = (ctx: WasmKernelCtx, k: number): TensorType => ctx.g.values[ctx.node.inputs[k]!]!.type;
export const outType = (ctx: WasmKernelCtx): TensorType => ctx.g.values[ctx.node.outputs[0]!]!.type;
export const inAddr = (ctx: WasmKernelCtx, k: number): number => ctx.addr(ctx.node.inputs[k]!);
export const outAddr = (ctx: WasmKernelCtx): number => ctx.addr(ctx.node.outputs[0]!);

/** A pointer walked by a loop nest: its start address and its byte stride per dimension. */
export interface NestPtr { base: number; strides: readonly number[] }

/**
 * Nested counted loops over `shape` (dimensions of size 1 dropped) with one pointer local per level and
 * variable; body(ptrs) gets the innermost pointer locals. Strides are added, never multiplied.
 */
export function nest(c: Code, shape: readonly number[], ptrs: readonly NestPtr[], body: (p: number[]) => void): void {
  const dims = shape.map((n, d) => ({ n, d })).filter((x) => x.n !== 1);
  if (dims.some((x) => x.n === 0)) return;
  const level = (k: number, prev: number[]): void => {
    if (k === dims.length) { body(prev); return; }
    const { n, d } = dims[k]!;
    const cur = ptrs.map((_, v) => {
      const l = c.local();
      if (k === 0) c.i32(ptrs[v]!.base).set(l);
      else c.get(prev[v]!).set(l);
      return l;
    });
    c.forN(n, () => {
      level(k + 1, cur);
      cur.forEach((l, v) => c.bump(l, ptrs[v]!.strides[d]!));
    });
  };
  if (dims.length === 0) {
    const cur = ptrs.map((p) => { const l = c.local(); c.i32(p.base).set(l); return l; });
    body(cur);
  } else level(0, []);
}

/** Pushes clamp(narrow(v)) onto the stack: v from `pushV`, the other narrow() operands constants. */
export function narrowConst(ctx: WasmKernelCtx, pushV: () => void, r: number, lo: number, hi: number, bits: number): void {
  pushV();
  ctx.code.i32(r).i32(lo).i32(hi).i32(bits).call(ctx.rt.narrow());
}

/** Loads the element at the address in local `p` (signed, 1/2/4 bytes). */
export function loadAt(c: Code, p: number, bytes: number): void {
  c.get(p).load(bytes);
}

/** max(a, b) of the two i32 on the stack needs both twice: callers use locals and select. */
export function maxInto(c: Code, acc: number, v: number): void {
  c.get(v).get(acc).get(v).get(acc).op(OP.gt_s, OP.select).set(acc);
}
