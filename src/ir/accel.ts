// Accelerator table: optional fast paths for op kernels, consulted by runOp before the reference OpDef.run.
// src/ir knows no accelerator: the compiler's own (src/accel, WebAssembly) register here from the library entry.
import type { Op, OpKind } from './registry.js';
import type { Tensor } from './tensor.js';

type AttrsOfKind<K extends OpKind> = Extract<Op, { kind: K }>['attrs'];

/**
 * A fast path of op K: the same outputs as OpDef.run bit for bit, or null when it cannot serve this call (dtype,
 * layout, engine unavailable), and the reference kernel then runs. It must validate exactly as OpDef.run does.
 */
export type Accelerator<K extends OpKind = OpKind> = (attrs: AttrsOfKind<K>, inputs: readonly (Tensor | undefined)[]) => Tensor[] | null;

const table: { [K in OpKind]?: Accelerator<K> } = {};

/** Registers (or with undefined removes) the fast path of `kind`; returns the one it replaces. */
export function setAccelerator<K extends OpKind>(kind: K, fn: Accelerator<K> | undefined): Accelerator<K> | undefined {
  const was = table[kind] as Accelerator<K> | undefined;
  if (fn) (table as Record<K, Accelerator<K>>)[kind] = fn;
  else delete table[kind];
  return was;
}

/** The registered fast path of `kind`, if any. */
export function accelerator<K extends OpKind>(kind: K): Accelerator<K> | undefined {
  return table[kind] as Accelerator<K> | undefined;
}
