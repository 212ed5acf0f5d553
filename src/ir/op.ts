// The op-definition contract: every op file exports one OpDef (attrs type, type inference, reference kernel).
import type { Tensor, TensorType } from './tensor.js';

/** Attribute values are plain data so the textual IR can print and parse any op generically. */
export type AttrValue = number | string | boolean | readonly number[];

export interface OpCost {
  /** Multiply-accumulates (or the op's equivalent work unit) for one inference. */
  macs: number;
}

/**
 * What passes may assume about an op, declared on its definition (every op states its traits, `{}` for none),
 * so a pass asks `opTraits(kind).x` instead of keeping its own list of op names. Each flag is a promise the
 * op's semantics keep; an absent flag promises nothing.
 */
export interface OpTraits {
  /**
   * A weight layer: input 0 is the data, input 1 the (constant, when the model is convertible) weights whose
   * rows are the output channels (Conv [M, ...], Gemm/MatMul by transB), input 2 an optional bias. Such layers
   * are magnitude-pruned, lowered to a shift-add layer by a weight-lowering strategy, and absorb per-channel
   * input fracs into their weight columns.
   */
  readonly weightLayer?: boolean;
  /** A fusable activation directly after this op becomes the output clamp of its lowered op (no node of its own). */
  readonly fusesActivation?: boolean;
  /** An activation that is a clamp of its input (Relu, Clip), so the op before it can take it as its output range. */
  readonly fusableActivation?: boolean;
  /** Exact on integers and its output keeps its input's scale (per-channel fracs too): lowering copies the op. */
  readonly scalePreserving?: boolean;
  /**
   * On integers, output channel c is computed from input channel c alone with one shift for every channel, so
   * per-channel activation fracs flow through it to the weight layer that absorbs them.
   */
  readonly perChannelFracs?: boolean;
  /**
   * A float op acting on each channel (axis 1) independently, with one output channel per input channel, so a
   * channel can be removed straight through it (structured pruning).
   */
  readonly channelwise?: boolean;
  /** An elementwise float function of one input that lowering replaces by a 256-entry int8 lookup table. */
  readonly tableActivation?: boolean;
  /**
   * A lowered shift-add weight layer (integer dialect): its output is named after the float activation it
   * replaces, which the report compares it with.
   */
  readonly shiftLayer?: boolean;
}

export interface OpDef<A extends object> {
  /** What passes may assume about the op (required so a new op cannot forget to say). */
  readonly traits: OpTraits;
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
