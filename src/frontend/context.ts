// The per-node import context handed to importers: typed attribute readers, inputs, and node emission with folding.
import type { onnx } from 'onnx-proto';
import { atNode, fail } from '../diagnostics.js';
import { GraphBuilder, runOp } from '../ir/graph.js';
import type { Op } from '../ir/registry.js';
import { numel, type Tensor, type TensorType } from '../ir/tensor.js';
import { DEFAULT_LIMITS, type Limits } from './limits.js';
import { decodeTensor, toNum, type TensorSource } from './tensor-proto.js';

const utf8 = new TextDecoder();

export class ImportContext {
  readonly where: string;
  private readonly attrs: Map<string, onnx.IAttributeProto>;

  constructor(
    readonly b: GraphBuilder,
    readonly node: onnx.INodeProto,
    readonly nodeName: string,
    readonly opset: number,
    private readonly inputIds: readonly number[],
    private readonly src: TensorSource,
  ) {
    this.where = atNode(nodeName, node.opType ?? '?');
    this.attrs = new Map((node.attribute ?? []).map((a) => [a.name ?? '', a]));
  }

  // ---- inputs ----
  get inputCount(): number { return this.inputIds.length; }
  /** Value id of input k, or -1 when omitted. */
  input(k: number): number { return this.inputIds[k] ?? -1; }
  has(k: number): boolean { return this.input(k) >= 0; }
  type(k: number): TensorType {
    const id = this.input(k);
    if (id < 0) fail('SAC013', `input ${k} is required`, this.where);
    return this.b.value(id).type;
  }
  constant(k: number): Tensor | undefined {
    const id = this.input(k);
    return id < 0 ? undefined : this.b.value(id).data;
  }
  requireConst(k: number, what: string): Tensor {
    const t = this.constant(k);
    if (!t) fail('SAC014', `${what} (input ${k}) must be constant`, this.where);
    return t;
  }
  /** Constant integer list input (e.g. Reshape's shape), as plain numbers. */
  constInts(k: number, what: string): number[] {
    return Array.from(this.requireConst(k, what).data, Number);
  }

  // ---- attributes ----
  hasAttr(name: string): boolean { return this.attrs.has(name); }
  private attr(name: string, type: number): onnx.IAttributeProto | undefined {
    const a = this.attrs.get(name);
    if (a && a.type && a.type !== type) fail('SAC012', `attribute '${name}' has type ${a.type}, expected ${type}`, this.where);
    return a;
  }
  int(name: string, def: number): number {
    const a = this.attr(name, 2);
    return a ? toNum(a.i ?? 0) : def;
  }
  ints(name: string, def: readonly number[] = []): number[] {
    const a = this.attr(name, 7);
    return a ? (a.ints ?? []).map(toNum) : [...def];
  }
  float(name: string, def: number): number {
    const a = this.attr(name, 1);
    return a ? (a.f ?? 0) : def;
  }
  floats(name: string, def: readonly number[] = []): number[] {
    const a = this.attr(name, 6);
    return a ? [...(a.floats ?? [])] : [...def];
  }
  string(name: string, def: string): string {
    const a = this.attr(name, 3);
    return a ? utf8.decode(a.s ?? new Uint8Array()) : def;
  }
  tensorAttr(name: string): Tensor | undefined {
    const a = this.attr(name, 4);
    return a?.t ? decodeTensor(a.t, `${this.where} attribute '${name}'`, this.src) : undefined;
  }

  // ---- limits ----
  get limits(): Limits { return this.src.limits ?? DEFAULT_LIMITS; }
  /** Counts elements about to be materialised by folding; fails before allocation past the model's fold budget. */
  chargeFold(elements: number): void {
    const folded = this.src.folded;
    if (!folded) return;
    folded.elements += elements;
    const max = this.limits.maxFoldedElements;
    if (folded.elements > max) fail('SAC009', `constant folding would hold ${folded.elements} elements in all, over the limit of ${max}`, this.where, 'check the model, or raise limits.maxFoldedElements (CLI --max-folded-elements)');
  }

  // ---- emission ----
  /** Adds a constant value. */
  const(t: Tensor, name = `${this.nodeName}_const`): number {
    return this.b.addConst(name, t);
  }

  /**
   * Emits `op` on `inputs`. When every input is constant the op is evaluated now and constants are
   * returned instead of a node (this is how shape subgraphs fold). Output values take the ONNX output
   * names unless `intermediate` is set (for importers that emit several ops).
   */
  emit(op: Op, inputs: readonly number[], opts: { intermediate?: boolean } = {}): number[] {
    const types = this.b.addNodeTypes(op, inputs, this.where);
    // Shape inference bounds every output before anything is allocated (at fold time or at run time).
    const limits = this.limits;
    for (const t of types) {
      const n = numel(t.shape);
      if (n > limits.maxElements) fail('SAC009', `output [${t.shape.join(', ')}] would hold ${n} elements, over the limit of ${limits.maxElements}`, this.where, 'check the model, or raise limits.maxElements (CLI --max-elements)');
    }
    const names = opts.intermediate ? undefined : (this.node.output ?? []).map((o) => o || `${this.nodeName}_out`);
    const present = inputs.filter((i) => i >= 0);
    if (present.length > 0 && present.every((i) => this.b.value(i).data)) {
      this.chargeFold(types.reduce((s, t) => s + numel(t.shape), 0));
      const outs = runOp(op, inputs.map((i) => (i < 0 ? undefined : this.b.value(i).data)));
      return outs.map((t, k) => this.b.addConst(names?.[k] ?? `${this.nodeName}_fold${k}`, t));
    }
    return this.b.addNode(this.nodeName, op, inputs, names, types);
  }
}
