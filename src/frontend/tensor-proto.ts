// Decodes ONNX TensorProtos (raw_data, typed fields, float16/bfloat16/double, external data) into IR tensors.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { onnx } from 'onnx-proto';
import { fail, quoted } from '../diagnostics.js';
import { allocData, numel, type DType, type Tensor, type TypedData } from '../ir/tensor.js';
import { DEFAULT_LIMITS, MAX_DIM, type Limits } from './limits.js';

/** protobufjs yields int64 fields as Long objects (or numbers); this flattens them. */
export function toNum(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v && typeof v === 'object' && 'toNumber' in v) return (v as { toNumber(): number }).toNumber();
  return Number(v);
}

/** ONNX TensorProto.DataType -> IR dtype (narrower/wider floats are converted to float32). */
const ONNX_DTYPES: Record<number, { dtype: DType; bytes: number; label: string }> = {
  1: { dtype: 'float32', bytes: 4, label: 'float' },
  2: { dtype: 'uint8', bytes: 1, label: 'uint8' },
  3: { dtype: 'int8', bytes: 1, label: 'int8' },
  4: { dtype: 'int32', bytes: 2, label: 'uint16' },
  5: { dtype: 'int16', bytes: 2, label: 'int16' },
  6: { dtype: 'int32', bytes: 4, label: 'int32' },
  7: { dtype: 'int64', bytes: 8, label: 'int64' },
  9: { dtype: 'bool', bytes: 1, label: 'bool' },
  10: { dtype: 'float32', bytes: 2, label: 'float16' },
  11: { dtype: 'float32', bytes: 8, label: 'double' },
  12: { dtype: 'int64', bytes: 4, label: 'uint32' },
  13: { dtype: 'int64', bytes: 8, label: 'uint64' },
  16: { dtype: 'float32', bytes: 2, label: 'bfloat16' },
};

export function onnxDType(code: number, where: string): DType {
  const d = ONNX_DTYPES[code];
  if (!d) fail('SAC015', `ONNX element type ${code} is not supported`, where);
  return d.dtype;
}

/** Validates declared dims (non-negative integers within limits) before any allocation. */
export function checkedShape(dims: readonly unknown[], where: string, maxElements = DEFAULT_LIMITS.maxElements): number[] {
  const shape = dims.map(toNum);
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) fail('SAC008', `invalid dimension ${d}`, where);
    if (d > MAX_DIM) fail('SAC009', `dimension ${d} exceeds the limit ${MAX_DIM}`, where);
  }
  const n = numel(shape);
  if (n > maxElements) fail('SAC009', `shape [${shape.join(', ')}] holds ${n} elements, over the limit of ${maxElements}`, where, 'check the model, or raise limits.maxElements (CLI --max-elements)');
  return shape;
}

export interface TensorSource {
  /** Folder of the model file; external data is only read from inside it. */
  modelDir?: string;
  /** Size limits (defaults: DEFAULT_LIMITS). */
  limits?: Limits;
  /** Elements constant folding has materialised so far in this model (checked against limits.maxFoldedElements). */
  folded?: { elements: number };
}

export function decodeTensor(t: onnx.ITensorProto, where: string, src: TensorSource = {}): Tensor {
  const code = t.dataType ?? 0;
  const info = ONNX_DTYPES[code];
  if (!info) fail('SAC015', `tensor element type ${code} is not supported`, where);
  const shape = checkedShape(t.dims ?? [], where, src.limits?.maxElements);
  const n = numel(shape);
  const isExternal = t.dataLocation === 1 || (t.externalData?.length ?? 0) > 0;
  let raw: Uint8Array | undefined = t.rawData && t.rawData.length ? t.rawData : undefined;
  if (isExternal) raw = readExternal(t, n * info.bytes, where, src);
  const data = raw ? fromRaw(raw, code, n, where) : fromFields(t, code, n, where);
  return { dtype: info.dtype, shape, data };
}

function fromRaw(raw: Uint8Array, code: number, n: number, where: string): TypedData {
  const info = ONNX_DTYPES[code]!;
  if (raw.length !== n * info.bytes) fail('SAC008', `raw data holds ${raw.length} bytes, ${n} x ${info.label} needs ${n * info.bytes}`, where);
  const aligned = raw.byteOffset % info.bytes === 0;
  const view = <T>(C: { new (b: ArrayBufferLike, o: number, l: number): T; new (l: number): T }, bytes: number): T =>
    aligned ? new C(raw.buffer, raw.byteOffset, n) : new C(new Uint8Array(raw).buffer, 0, raw.length / bytes); // copy: Buffer.slice() would share memory
  switch (code) {
    case 1: return view(Float32Array, 4); // viewed in place when aligned: weights are not copied
    case 2: case 9: return new Uint8Array(raw.buffer, raw.byteOffset, n);
    case 3: return new Int8Array(raw.buffer, raw.byteOffset, n);
    case 5: return view(Int16Array, 2);
    case 6: return view(Int32Array, 4);
    case 4: return Int32Array.from(view(Uint16Array, 2));
    case 10: return halfToFloat(view(Uint16Array, 2));
    case 16: return bfloatToFloat(view(Uint16Array, 2));
    case 11: return Float32Array.from(view(Float64Array, 8));
    case 12: return Float64Array.from(view(Uint32Array, 4));
    case 7: return int64ToFloat64(view(BigInt64Array, 8));
    case 13: return int64ToFloat64(view(BigUint64Array, 8));
  }
  return fail('SAC015', `tensor element type ${code} is not supported`, where);
}

function fromFields(t: onnx.ITensorProto, code: number, n: number, where: string): TypedData {
  const pick = (): ArrayLike<unknown> => {
    switch (code) {
      case 1: return t.floatData ?? [];
      case 11: return t.doubleData ?? [];
      case 7: return t.int64Data ?? [];
      case 12: case 13: return t.uint64Data ?? [];
      default: return t.int32Data ?? [];
    }
  };
  const src = pick();
  if (src.length !== n) fail('SAC008', `tensor has ${src.length} values in its typed field, shape needs ${n}`, where);
  const info = ONNX_DTYPES[code]!;
  if (code === 10 || code === 16) {
    const bits = Uint16Array.from(src as ArrayLike<number>);
    return code === 10 ? halfToFloat(bits) : bfloatToFloat(bits);
  }
  const out = allocData(info.dtype, n);
  for (let i = 0; i < n; i++) out[i] = toNum(src[i]);
  return out;
}

function readExternal(t: onnx.ITensorProto, bytes: number, where: string, src: TensorSource): Uint8Array {
  const kv = new Map((t.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
  const location = kv.get('location') ?? '';
  const offset = Number(kv.get('offset') ?? '0');
  const length = kv.has('length') ? Number(kv.get('length')) : bytes;
  if (!src.modelDir) fail('SAC011', `tensor uses external data '${location}' but the model was not loaded from a file`, where, 'load the model by path so its folder is known');
  const parts = location.split(/[\\/]+/);
  if (!location || path.isAbsolute(location) || /^[A-Za-z]:/.test(location) || parts.includes('..')) {
    fail('SAC010', `external data location '${location}' is absolute or contains '..'`, where);
  }
  const dir = fs.realpathSync(src.modelDir);
  const file = path.join(dir, location);
  if (!fs.existsSync(file)) fail('SAC011', `external data file ${quoted(location)} not found`, where);
  const real = fs.realpathSync(file);
  if (!real.startsWith(dir + path.sep)) fail('SAC010', `external data ${quoted(location)} resolves outside the model folder`, where);
  if (!Number.isInteger(offset) || offset < 0 || length !== bytes) fail('SAC008', `external data offset ${offset}/length ${length} invalid (need ${bytes} bytes)`, where);
  // Only a regular file is read (a FIFO or device would block or never end), and only the declared range.
  const st = fs.statSync(real);
  if (!st.isFile()) fail('SAC019', `external data ${quoted(location)} is ${fileKind(st)}`, where);
  const size = st.size;
  if (offset + length > size) fail('SAC008', `external data ${quoted(location)} has ${size} bytes, needs ${offset + length}`, where);
  const buf = new Uint8Array(length);
  const fd = fs.openSync(real, 'r');
  try { fs.readSync(fd, buf, 0, length, offset); } finally { fs.closeSync(fd); }
  return buf;
}

/** What a non-regular file is, for diagnostics. */
export function fileKind(st: fs.Stats): string {
  return st.isDirectory() ? 'a directory' : st.isFIFO() ? 'a FIFO' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : st.isSocket() ? 'a socket' : 'not a regular file';
}

function int64ToFloat64(v: BigInt64Array | BigUint64Array): Float64Array {
  const out = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = Number(v[i]!);
  return out;
}

export function halfToFloat(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) {
    const h = bits[i]!;
    const s = h & 0x8000 ? -1 : 1;
    const e = (h >> 10) & 0x1f;
    const m = h & 0x3ff;
    out[i] = e === 0 ? s * m * 2 ** -24 : e === 31 ? (m ? NaN : s * Infinity) : s * (1 + m / 1024) * 2 ** (e - 15);
  }
  return out;
}

function bfloatToFloat(bits: Uint16Array): Float32Array {
  const u = new Uint32Array(bits.length);
  for (let i = 0; i < bits.length; i++) u[i] = bits[i]! << 16;
  return new Float32Array(u.buffer);
}
