// The graph: values and nodes live in arenas (arrays) and refer to each other by numeric id.
import type { Op, OpKind } from './registry.js';
import { OPS } from './registry.js';
import type { Tensor, TensorType } from './tensor.js';
import type { OpDef } from './op.js';
import { accelerator, type Accelerator } from './accel.js';

/**
 * Fixed-point annotation for integer tensors: real = int * 2^-frac (added by the quantization passes).
 * With `channels`, channel c (axis 1) has frac + channels[c] fractional bits (docs/numerics.md, per-channel fracs).
 */
export interface Quant {
  readonly frac: number;
  readonly channels?: readonly number[];
}

/** Fractional bits of axis-1 channel c. */
export function channelFrac(q: Quant, c: number): number {
  return q.frac + (q.channels?.[c] ?? 0);
}

export interface Value {
  readonly id: number;
  readonly name: string;
  readonly type: TensorType;
  /** Present for constants (weights, folded tensors). */
  readonly data?: Tensor;
  readonly quant?: Quant;
}

export interface Node {
  readonly id: number;
  /** Name of the source ONNX node (kept through passes for diagnostics and generated comments). */
  readonly name: string;
  readonly op: Op;
  /** Value ids; -1 marks an omitted optional input. */
  readonly inputs: readonly number[];
  readonly outputs: readonly number[];
}

export interface Graph {
  readonly name: string;
  readonly opset: number;
  readonly values: readonly Value[];
  /** Topologically ordered. */
  readonly nodes: readonly Node[];
  readonly inputs: readonly number[];
  readonly outputs: readonly number[];
}

/** The definition of an op kind, with attrs erased (callers pass the matching op's attrs). */
export function opDef(kind: OpKind): OpDef<object> {
  return OPS[kind] as unknown as OpDef<object>;
}

export function outputCount(op: Op): number {
  const def = opDef(op.kind);
  return typeof def.outputs === 'number' ? def.outputs : def.outputs(op.attrs);
}

/** Runs an op's type inference. */
export function inferOp(op: Op, inputs: readonly (TensorType | undefined)[], where: string): TensorType[] {
  return opDef(op.kind).infer(op.attrs, inputs, where);
}

/** Runs an op: its registered accelerator (ir/accel.ts) when one serves the call, else the reference kernel. */
export function runOp(op: Op, inputs: readonly (Tensor | undefined)[]): Tensor[] {
  const fast = accelerator(op.kind) as Accelerator | undefined;
  return (fast && fast(op.attrs as never, inputs)) || opDef(op.kind).run(op.attrs, inputs);
}

/** Builds a graph incrementally; passes use it to produce new graphs (graphs are never mutated). */
export class GraphBuilder {
  private readonly values: Value[] = [];
  private readonly nodes: Node[] = [];
  private readonly names = new Set<string>();

  constructor(readonly name: string, readonly opset: number) {}

  value(id: number): Value {
    const v = this.values[id];
    if (!v) throw new Error(`no value ${id}`);
    return v;
  }

  /** Nodes added so far (passes that execute as they build read them back). */
  nodeCount(): number {
    return this.nodes.length;
  }

  node(id: number): Node {
    const n = this.nodes[id];
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  /** Returns a unique value name derived from `base`. */
  uniqueName(base: string): string {
    let name = base || 'v';
    for (let i = 1; this.names.has(name); i++) name = `${base}_${i}`;
    return name;
  }

  addValue(name: string, type: TensorType, extra: { data?: Tensor; quant?: Quant } = {}): number {
    const id = this.values.length;
    const unique = this.uniqueName(name);
    this.names.add(unique);
    this.values.push({ id, name: unique, type: { dtype: type.dtype, shape: [...type.shape] }, ...extra });
    return id;
  }

  addConst(name: string, t: Tensor, quant?: Quant): number {
    return this.addValue(name, t, quant ? { data: t, quant } : { data: t });
  }

  /** Infers the output types `op` would have on `inputs` (throws a diagnostic naming `where`). */
  addNodeTypes(op: Op, inputs: readonly number[], where: string): TensorType[] {
    return inferOp(op, inputs.map((i) => (i < 0 ? undefined : this.value(i).type)), where);
  }

  /** Adds a node, inferring its output types (or using `outTypes`), and returns the output ids. */
  addNode(name: string, op: Op, inputs: readonly number[], outNames?: readonly string[],
    outTypes?: readonly TensorType[], outQuant?: readonly (Quant | undefined)[]): number[] {
    const inTypes = inputs.map((i) => (i < 0 ? undefined : this.value(i).type));
    const types = outTypes ?? inferOp(op, inTypes, `node '${name}' (${op.kind})`);
    const outputs = types.map((t, k) => {
      const q = outQuant?.[k];
      return this.addValue(outNames?.[k] ?? `${name}_out${k}`, t, q ? { quant: q } : {});
    });
    this.nodes.push({ id: this.nodes.length, name, op, inputs: [...inputs], outputs });
    return outputs;
  }

  finish(inputs: readonly number[], outputs: readonly number[]): Graph {
    return { name: this.name, opset: this.opset, values: this.values, nodes: this.nodes, inputs: [...inputs], outputs: [...outputs] };
  }
}

/** Consumers of each value (node ids), for passes that need use lists. */
export function useLists(g: Graph): number[][] {
  const uses: number[][] = g.values.map(() => []);
  for (const n of g.nodes) for (const i of n.inputs) if (i >= 0) uses[i]!.push(n.id);
  return uses;
}

/** Producer node id of each value, or -1 for inputs/constants. */
export function producers(g: Graph): Int32Array {
  const p = new Int32Array(g.values.length).fill(-1);
  for (const n of g.nodes) for (const o of n.outputs) p[o] = n.id;
  return p;
}
