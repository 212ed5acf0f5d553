// The lowered dialect: the closed op set legal after lower-to-shift, operands by role and dtype (docs/ir.md).
import { atNode, fail } from '../diagnostics.js';
import type { Graph, Node } from './graph.js';
import type { OpKind } from './registry.js';
import type { DType, Tensor } from './tensor.js';

/** Inputs of ShiftConv and ShiftGemm by role: activation, term codes, bias, per-channel shift, optional gain. */
export const SHIFT_OPERANDS = { x: 0, codes: 1, bias: 2, rshift: 3, gain: 4 } as const;
export type ShiftRole = keyof typeof SHIFT_OPERANDS;
/** Inputs of AdderConv by role: the shift layers' positions, with integer weights on the input's grid in place of codes. */
export const ADDER_OPERANDS = { x: 0, weights: 1, bias: 2, rshift: 3, gain: 4 } as const;

/** One operand slot of a dialect op: its role name, legal dtypes, and whether it must be a constant / may be omitted. */
export interface Operand {
  readonly role: string;
  readonly dtypes: readonly DType[];
  readonly constant?: boolean;
  readonly optional?: boolean;
}

export interface DialectOp {
  /** Operand slots in input order; a variadic op repeats its single slot for every input (at least one). */
  readonly operands: readonly Operand[];
  readonly variadic?: boolean;
  /** Legal dtypes of the (single) output. */
  readonly output: readonly DType[];
}

/** Activations of the lowered graph: 8- or 16-bit integers (--act-bits; model outputs are int16). */
const ACT: readonly DType[] = ['int8', 'int16'];
const x: Operand = { role: 'x', dtypes: ACT };
const unary: DialectOp = { operands: [x], output: ACT };

const shiftLayer: DialectOp = {
  operands: [
    x,
    { role: 'codes', dtypes: ['int8'], constant: true },
    { role: 'bias', dtypes: ['int32'], constant: true },
    { role: 'rshift', dtypes: ['int32'], constant: true },
    { role: 'gain', dtypes: ['int8'], constant: true, optional: true },
  ],
  output: ACT,
};

const adderLayer: DialectOp = {
  operands: [
    x,
    { role: 'weights', dtypes: ACT, constant: true },
    { role: 'bias', dtypes: ['int32'], constant: true },
    { role: 'rshift', dtypes: ['int32'], constant: true },
    { role: 'gain', dtypes: ['int8'], constant: true, optional: true },
  ],
  output: ACT,
};

/**
 * Every op a lowered graph may hold: what lower-to-shift emits, and exactly what every backend must implement
 * (test/lowered.test.ts holds the C backend to it). Ops lowering cannot map here are rejected there (SAC052).
 */
export const LOWERED_OPS = {
  ShiftConv: shiftLayer,
  ShiftGemm: shiftLayer,
  AdderConv: adderLayer,
  QAdd: { operands: [{ role: 'a', dtypes: ACT }, { role: 'b', dtypes: ACT }], output: ACT },
  Requantize: { operands: [{ role: 'x', dtypes: ['int8', 'int16', 'int32'] }], output: ACT },
  Lut: { operands: [{ role: 'x', dtypes: ['int8'] }], output: ['int8'] },
  QLrn: { operands: [{ role: 'x', dtypes: ['int8'] }], output: ['int8'] },
  QGateMul: { operands: [x, { role: 'gate', dtypes: ['int8'] }], output: ACT },
  QAveragePool: unary,
  Relu: unary,
  MaxPool: unary,
  GlobalMaxPool: unary,
  Reshape: unary,
  Identity: unary,
  Transpose: unary,
  Slice: unary,
  Pad: unary,
  Concat: { operands: [x], variadic: true, output: ACT },
} as const satisfies { readonly [K in OpKind]?: DialectOp };

export type LoweredKind = keyof typeof LOWERED_OPS;

export function isLoweredKind(kind: string): kind is LoweredKind {
  return Object.prototype.hasOwnProperty.call(LOWERED_OPS, kind);
}

/** Value id of a shift layer's operand `role` (-1 when the optional gain is omitted). */
export function shiftOperand(n: Node, role: ShiftRole): number {
  return n.inputs[SHIFT_OPERANDS[role]] ?? -1;
}

/** Constant data of a shift layer's operand `role`, or undefined when omitted or not a constant. */
export function shiftConst(g: Graph, n: Node, role: ShiftRole): Tensor | undefined {
  const id = shiftOperand(n, role);
  return id < 0 ? undefined : g.values[id]!.data;
}

/** A shift layer's input list from its operands by role (the optional gain left out when absent). */
export function shiftParams(ids: { readonly [R in ShiftRole]?: number } & { readonly x: number; readonly codes: number; readonly bias: number; readonly rshift: number }): number[] {
  const list: number[] = [];
  for (const role of Object.keys(SHIFT_OPERANDS) as ShiftRole[]) {
    const id = ids[role];
    if (id !== undefined) list[SHIFT_OPERANDS[role]] = id;
  }
  return list;
}

/** A shift layer's operand `role` among run-time inputs (reference kernels, accelerators). */
export function shiftInput<T>(inputs: readonly (T | undefined)[], role: ShiftRole): T | undefined {
  return inputs[SHIFT_OPERANDS[role]];
}

/**
 * Fails SAC051 naming the first graph input or node outside the dialect: an op not in LOWERED_OPS, a missing,
 * extra or non-constant operand, or an operand / output of an illegal dtype (a float left by lowering).
 */
export function checkLowered(g: Graph): void {
  for (const id of g.inputs) {
    const v = g.values[id]!;
    if (v.type.dtype === 'float32') fail('SAC051', `graph input '${v.name}' is float32; quantise it with quantizeInput first`);
    if (!ACT.includes(v.type.dtype)) fail('SAC051', `graph input '${v.name}' is ${v.type.dtype}; lowered graphs take ${ACT.join('/')} inputs`);
  }
  for (const n of g.nodes) checkNode(g, n);
}

function checkNode(g: Graph, n: Node): void {
  const where = atNode(n.name, n.op.kind);
  const bad = (detail: string): never => fail('SAC051', detail, where);
  if (!isLoweredKind(n.op.kind)) return bad(`op ${n.op.kind} is not in the lowered dialect (docs/ir.md)`);
  const spec: DialectOp = LOWERED_OPS[n.op.kind];
  const slots = spec.variadic ? Math.max(1, n.inputs.length) : spec.operands.length;
  if (n.inputs.length > slots) bad(`${n.inputs.length} inputs, the dialect's ${n.op.kind} takes ${slots}`);
  for (let k = 0; k < slots; k++) {
    const slot = spec.variadic ? spec.operands[0]! : spec.operands[k]!;
    const id = n.inputs[k] ?? -1;
    if (id < 0) {
      if (!slot.optional) bad(`operand ${slot.role} (input ${k}) is missing`);
      continue;
    }
    const v = g.values[id]!;
    if (!slot.dtypes.includes(v.type.dtype)) bad(`operand ${slot.role} '${v.name}' is ${v.type.dtype}, the dialect takes ${slot.dtypes.join('/')}`);
    if (slot.constant && !v.data) bad(`operand ${slot.role} '${v.name}' must be a constant`);
  }
  for (const o of n.outputs) {
    const v = g.values[o]!;
    if (!spec.output.includes(v.type.dtype)) bad(`output '${v.name}' is ${v.type.dtype}, the dialect's ${n.op.kind} yields ${spec.output.join('/')}`);
  }
}
