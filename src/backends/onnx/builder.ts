// A small ONNX graph builder: float32/int64 initializers, nodes with typed attributes, fresh names, the ModelProto bytes.
import type { onnx } from 'onnx-proto';
import { ONNX } from '../../util/onnx-proto.js';

/** An attribute value: an integer, a float (wrapped), a string or an integer list. */
export type AttrValue = number | { f: number } | string | readonly number[];

const FLOAT = 1;
const INT64 = 7;

function attribute(name: string, v: AttrValue): onnx.IAttributeProto {
  if (typeof v === 'number') return { name, type: ONNX.AttributeProto.AttributeType.INT, i: v };
  if (typeof v === 'string') return { name, type: ONNX.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: ONNX.AttributeProto.AttributeType.INTS, ints: [...v] };
  return { name, type: ONNX.AttributeProto.AttributeType.FLOAT, f: (v as { f: number }).f };
}

export class OnnxBuilder {
  readonly nodes: onnx.INodeProto[] = [];
  readonly initializers: onnx.ITensorProto[] = [];
  private readonly used = new Set<string>();
  /** Scalars and small vectors already stored, so repeated constants (0.5, a clamp bound) are one initializer. */
  private readonly constCache = new Map<string, string>();

  /** A name not used yet, from a readable stem (the source value or node name). */
  fresh(stem: string): string {
    const base = stem || 't';
    let name = base;
    for (let k = 1; this.used.has(name); k++) name = `${base}_${k}`;
    this.used.add(name);
    return name;
  }

  /** A float32 initializer (integers up to 2^24 and powers of two are exact). */
  floats(stem: string, dims: readonly number[], data: ArrayLike<number>): string {
    const key = data.length <= 64 ? `f${dims.join(',')}:${Array.from(data).join(',')}` : undefined;
    const hit = key && this.constCache.get(key);
    if (hit) return hit;
    const name = this.fresh(stem);
    this.initializers.push({ name, dataType: FLOAT, dims: [...dims], floatData: Array.from(data) });
    if (key) this.constCache.set(key, name);
    return name;
  }

  scalar(v: number): string {
    return this.floats(`c${v}`.replace(/[^A-Za-z0-9_]/g, '_'), [], [v]);
  }

  /** An int64 initializer (shapes, axes, pads, indices). */
  ints(stem: string, data: readonly number[]): string {
    const key = `i:${data.join(',')}`;
    const hit = this.constCache.get(key);
    if (hit) return hit;
    const name = this.fresh(stem);
    this.initializers.push({ name, dataType: INT64, dims: [data.length], int64Data: [...data] });
    this.constCache.set(key, name);
    return name;
  }

  /** Appends a node; returns its (single) output name, fresh from `out` unless `outName` is given. */
  node(op: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}, stem = op, outName?: string): string {
    const output = outName ?? this.fresh(stem);
    const attribute_ = Object.entries(attrs).map(([k, v]) => attribute(k, v));
    this.nodes.push({ opType: op, name: this.fresh(`${stem}_node`), input: [...inputs], output: [output], attribute: attribute_ });
    return output;
  }

  /** The model bytes: opset 13, float32 inputs and outputs with static shapes. */
  encode(graphName: string, inputs: readonly { name: string; shape: readonly number[] }[], outputs: readonly { name: string; shape: readonly number[] }[]): Uint8Array {
    const info = (v: { name: string; shape: readonly number[] }): onnx.IValueInfoProto => ({
      name: v.name,
      type: { tensorType: { elemType: FLOAT, shape: { dim: v.shape.map((d) => ({ dimValue: d })) } } },
    });
    const model: onnx.IModelProto = {
      irVersion: 7,
      producerName: 'shiftaddc',
      opsetImport: [{ domain: '', version: 13 }],
      graph: { name: graphName, node: this.nodes, initializer: this.initializers, input: inputs.map(info), output: outputs.map(info) },
    };
    return ONNX.ModelProto.encode(model).finish();
  }
}
