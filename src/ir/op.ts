// The op-definition contract: every op file exports one OpDef (attrs type, type inference, reference kernel).
import type { Tensor, TensorType } from './tensor.js';

/** Attribute values are plain data so the textual IR can print and parse any op generically. */
export type AttrValue = number | string | boolean | readonly number[];

export interface OpCost {
  /** Multiply-accumulates (or the op's equivalent work unit) for one inference. */
  macs: number;
}

export interface OpDef<A extends object> {
  /** Allowed number of inputs (an input id of -1 marks an omitted optional input). */
  readonly arity: readonly [min: number, max: number];
  /** Number of outputs, or a function of the attrs (e.g. Split). */
  readonly outputs: number | ((attrs: A) => number);
  /** Shape/type inference; throws a ShiftaddcError (SAC012/SAC013) naming `where` on bad input. */
  infer(attrs: A, inputs: readonly (TensorType | undefined)[], where: string): TensorType[];
  /** Reference kernel: clarity first, typed-array loops, no per-element closures. */
  run(attrs: A, inputs: readonly (Tensor | undefined)[]): Tensor[];
  /**
   * Whether one run on samples stacked along dim 0 yields every sample's outputs stacked along dim 0, bit for bit,
   * so interpreters may run a node once per batch. `inputs` are one sample's types; `stacked[k]` marks the inputs
   * that differ per sample (the others, constants, are shared). Omitted: the op runs sample by sample.
   */
  batch?(attrs: A, inputs: readonly (TensorType | undefined)[], stacked: readonly boolean[]): boolean;
  /** Work estimate for `inspect`; omitted means 0. */
  cost?(attrs: A, inputs: readonly (TensorType | undefined)[], outputs: readonly TensorType[]): OpCost;
}

/** Helper so op files get full attr typing while the registry stays a plain map. */
export function defineOp<A extends object>(def: OpDef<A>): OpDef<A> {
  return def;
}
