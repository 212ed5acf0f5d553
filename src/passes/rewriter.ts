// Rebuilds a graph node by node: passes copy, replace or alias nodes; unused constants and dead nodes drop out.
import { GraphBuilder, type Graph, type Quant, type Value } from '../ir/graph.js';
import type { Op } from '../ir/registry.js';
import type { Tensor, TensorType } from '../ir/tensor.js';

export class Rewriter {
  readonly b: GraphBuilder;
  private readonly map: Int32Array;

  /** `inputType` retypes graph inputs (lowering turns float inputs into fixed-point ones). */
  constructor(readonly src: Graph, inputType?: (v: Value) => TensorType) {
    this.b = new GraphBuilder(src.name, src.opset);
    this.map = new Int32Array(src.values.length).fill(-1);
    for (const id of src.inputs) {
      const v = src.values[id]!;
      this.map[id] = this.b.addValue(v.name, inputType ? inputType(v) : v.type, v.quant ? { quant: v.quant } : {});
    }
  }

  /** New id of an old value; constants are copied on first use so unused ones vanish. */
  get(oldId: number): number {
    if (oldId < 0) return -1;
    const m = this.map[oldId]!;
    if (m >= 0) return m;
    const v = this.src.values[oldId]!;
    if (!v.data) throw new Error(`value ${v.name} used before it was rewritten`);
    const id = this.b.addConst(v.name, v.data, v.quant);
    this.map[oldId] = id;
    return id;
  }

  /** Makes old value `oldId` refer to new value `newId` (used to remove Identity-like nodes). */
  alias(oldId: number, newId: number): void {
    this.map[oldId] = newId;
  }

  constant(name: string, t: Tensor, quant?: Quant): number {
    return this.b.addConst(name, t, quant);
  }

  /** Copies an old node unchanged (inputs remapped; output names, types and quant kept). */
  copy(nodeId: number): number[] {
    const n = this.src.nodes[nodeId]!;
    return this.emitFor(nodeId, n.op, n.inputs.map((i) => this.get(i)));
  }

  /** Emits `op` standing in for old node `nodeId`: outputs keep the old names/quant and are aliased. */
  emitFor(nodeId: number, op: Op, inputs: readonly number[], outTypes?: readonly TensorType[], quant?: readonly (Quant | undefined)[], names?: readonly string[]): number[] {
    const n = this.src.nodes[nodeId]!;
    const olds = n.outputs.map((o) => this.src.values[o]!);
    const outs = this.b.addNode(n.name, op, inputs, names ?? olds.map((v) => v.name), outTypes, quant ?? olds.map((v) => v.quant));
    n.outputs.forEach((o, k) => { this.map[o] = outs[k]!; });
    return outs;
  }

  /** Emits a helper node not tied to an old node (e.g. an inserted requantize). */
  emit(name: string, op: Op, inputs: readonly number[], outName: string, outType?: TensorType, quant?: Quant): number {
    return this.b.addNode(name, op, inputs, [outName], outType ? [outType] : undefined, [quant])[0]!;
  }

  finish(): Graph {
    return this.b.finish(this.src.inputs.map((i) => this.map[i]!), this.src.outputs.map((o) => this.get(o)));
  }
}

/** Node ids whose outputs reach a graph output (dead-code elimination). */
export function liveNodes(g: Graph): Uint8Array {
  const live = new Uint8Array(g.nodes.length);
  const needed = new Uint8Array(g.values.length);
  for (const o of g.outputs) needed[o] = 1;
  for (let k = g.nodes.length - 1; k >= 0; k--) {
    const n = g.nodes[k]!;
    if (!n.outputs.some((o) => needed[o])) continue;
    live[k] = 1;
    for (const i of n.inputs) if (i >= 0) needed[i] = 1;
  }
  return live;
}
