// Builds tiny ONNX models in tests (no Python needed): a plain-data spec -> ModelProto bytes -> IR graph -> outputs.
import { onnx } from 'onnx-proto';
import { decodeModel, importModel } from '../../src/frontend/import.js';
import type { Graph } from '../../src/ir/graph.js';
import { runGraph } from '../../src/ir/interp-float.js';
import type { DType, Tensor } from '../../src/ir/tensor.js';

/** ONNX element type codes of the IR dtypes; initializers are always written as raw_data. */
const ONNX_CODE: Record<DType, number> = { float32: 1, uint8: 2, int8: 3, int16: 5, int32: 6, int64: 7, bool: 9 };

export interface TensorSpec {
  name?: string;
  dims: readonly number[];
  /** int64 values >= 2^63 (e.g. 2 ** 63 or 9223372036854775807n) saturate to INT64_MAX, like ONNX exporters write it. */
  data: readonly (number | bigint)[] | Float32Array;
  /** Default 'float32'. */
  dtype?: DType;
}

/**
 * Attribute values: an integer -> INT, an integer array -> INTS, a string -> STRING,
 * `float(x)` -> FLOAT, `floats([...])` -> FLOATS, `{ t: TensorSpec }` -> TENSOR.
 * (Plain numbers are never guessed to be floats: Gemm's alpha=1 must be written float(1).)
 */
export type AttrSpec = number | readonly number[] | string | { f: number } | { floats: readonly number[] } | { t: TensorSpec };

export interface NodeSpec {
  op: string;
  /** '' marks an omitted optional input. */
  inputs: readonly string[];
  outputs: readonly string[];
  attrs?: Record<string, AttrSpec>;
  name?: string;
  /** Operator domain (default: the ai.onnx domain), e.g. 'ai.shiftaddc'; the model must import it (ModelSpec.domains). */
  domain?: string;
}

export interface ModelSpec {
  /** ai.onnx opset; default 13. */
  opset?: number;
  /** Further opset_import entries (custom domains), after ai.onnx's. */
  domains?: readonly { domain: string; version: number }[];
  inputs?: readonly { name: string; shape: readonly number[]; dtype?: DType }[];
  initializers?: readonly (TensorSpec & { name: string })[];
  nodes: readonly NodeSpec[];
  outputs: readonly string[];
}

export const float = (f: number): AttrSpec => ({ f });
export const floats = (xs: readonly number[]): AttrSpec => ({ floats: xs });

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

function rawBytes(t: TensorSpec): Uint8Array {
  const dtype = t.dtype ?? 'float32';
  const vals = Array.from(t.data as ArrayLike<number | bigint>);
  let arr: ArrayBufferView;
  switch (dtype) {
    case 'float32': arr = Float32Array.from(vals, Number); break;
    case 'int64': arr = BigInt64Array.from(vals, (v) => {
      const b = typeof v === 'bigint' ? v : Number.isFinite(v) ? BigInt(Math.trunc(v)) : v > 0 ? INT64_MAX : INT64_MIN;
      return b > INT64_MAX ? INT64_MAX : b < INT64_MIN ? INT64_MIN : b;
    }); break;
    case 'int32': arr = Int32Array.from(vals, Number); break;
    case 'int16': arr = Int16Array.from(vals, Number); break;
    case 'int8': arr = Int8Array.from(vals, Number); break;
    case 'uint8': case 'bool': arr = Uint8Array.from(vals, Number); break;
  }
  return new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength);
}

export function tensorProto(t: TensorSpec, name = t.name ?? ''): onnx.ITensorProto {
  return { name, dims: [...t.dims], dataType: ONNX_CODE[t.dtype ?? 'float32'], rawData: rawBytes(t) };
}

function attrProto(name: string, v: AttrSpec): onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new Error(`attribute ${name}: ${v} is not an integer; wrap floats with float()`);
    return { name, type: T.INT, i: v };
  }
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) {
    if (!v.every(Number.isInteger)) throw new Error(`attribute ${name}: non-integer in ints; wrap with floats()`);
    return { name, type: T.INTS, ints: [...v] };
  }
  if ('f' in v) return { name, type: T.FLOAT, f: v.f };
  if ('floats' in v) return { name, type: T.FLOATS, floats: [...v.floats] };
  return { name, type: T.TENSOR, t: tensorProto((v as { t: TensorSpec }).t) };
}

/** Serialises a spec into ModelProto bytes (what `shiftaddc` would read from a .onnx file). */
export function buildModel(spec: ModelSpec): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 7,
    opsetImport: [{ domain: '', version: spec.opset ?? 13 }, ...(spec.domains ?? [])],
    graph: {
      name: 'test',
      input: (spec.inputs ?? []).map((i) => ({
        name: i.name,
        type: { tensorType: { elemType: ONNX_CODE[i.dtype ?? 'float32'], shape: { dim: i.shape.map((d) => ({ dimValue: d })) } } },
      })),
      initializer: (spec.initializers ?? []).map((t) => tensorProto(t, t.name)),
      node: spec.nodes.map((n, k) => ({
        name: n.name ?? `${n.op}_${k}`,
        opType: n.op,
        ...(n.domain ? { domain: n.domain } : {}),
        input: [...n.inputs],
        output: [...n.outputs],
        attribute: Object.entries(n.attrs ?? {}).map(([key, v]) => attrProto(key, v)),
      })),
      output: spec.outputs.map((name) => ({ name })),
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

/** Builds, serialises, decodes and imports a spec: the full frontend path. */
export function modelGraph(spec: ModelSpec): Graph {
  return importModel(decodeModel(buildModel(spec)));
}

/** Imports a spec and runs it with the float interpreter. */
export function runModel(spec: ModelSpec, inputs: readonly Tensor[]): Tensor[] {
  return runGraph(modelGraph(spec), inputs);
}
