// Reads and writes NumPy .npy files (v1-v3, little-endian, C order) without copying payloads where aligned.
import { fail } from '../diagnostics.js';
import type { Tensor } from '../ir/tensor.js';
import { numel } from '../ir/tensor.js';
import { MAX_ELEMENTS } from '../util/limits.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

interface NpyKind { bytes: number; read(v: DataView, o: number): number }
const KINDS: Record<string, NpyKind> = {
  '<f4': { bytes: 4, read: (v, o) => v.getFloat32(o, true) },
  '<f8': { bytes: 8, read: (v, o) => v.getFloat64(o, true) },
  '|i1': { bytes: 1, read: (v, o) => v.getInt8(o) },
  '|u1': { bytes: 1, read: (v, o) => v.getUint8(o) },
  '<i2': { bytes: 2, read: (v, o) => v.getInt16(o, true) },
  '<i4': { bytes: 4, read: (v, o) => v.getInt32(o, true) },
  '<i8': { bytes: 8, read: (v, o) => Number(v.getBigInt64(o, true)) },
  '|b1': { bytes: 1, read: (v, o) => v.getUint8(o) },
};

/** Parsed array: float kinds become float32; integer kinds keep their type (int64 -> Float64Array). */
export function readNpy(bytes: Uint8Array, label = 'array'): Tensor {
  const bad = (why: string): never => fail('SAC020', `${label}: ${why}`);
  if (bytes.length < 10 || !MAGIC.every((m, i) => bytes[i] === m)) bad('missing the \\x93NUMPY magic');
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? view.getUint16(8, true) : bytes.length >= 12 ? view.getUint32(8, true) : bad('truncated header');
  const start = major === 1 ? 10 : 12;
  if (start + headerLen > bytes.length) bad('truncated header');
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1] ?? bad('header has no descr');
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1] ?? bad('header has no fortran_order');
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? bad('header has no shape');
  if (fortran === 'True') bad('Fortran-order arrays are not supported; save with np.ascontiguousarray');
  const kind = KINDS[descr.replace('=', '<')] ?? bad(`dtype '${descr}' is not supported (use float32, float64, int8, uint8, int16, int32, int64)`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s.length).map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) bad(`invalid shape (${shapeText})`);
  const n = numel(shape);
  if (n > MAX_ELEMENTS) fail('SAC009', `${label}: ${n} elements exceed the limit`);
  const off = start + headerLen;
  const need = n * kind.bytes;
  if (bytes.length - off < need) bad(`payload truncated: ${bytes.length - off} bytes, shape (${shapeText}) needs ${need}`);
  if (descr === '<f4' || descr === '=f4') {
    // A real copy (Buffer.slice would be a view) guarantees 4-byte alignment.
    const payload = new Uint8Array(bytes.subarray(off, off + need));
    return { dtype: 'float32', shape, data: new Float32Array(payload.buffer, 0, n) };
  }
  const dtype = descr.endsWith('f8') ? 'float32' : descr === '|i1' ? 'int8' : descr === '|u1' || descr === '|b1' ? 'uint8' : descr.endsWith('i2') ? 'int16' : descr.endsWith('i4') ? 'int32' : 'int64';
  const data = dtype === 'float32' ? new Float32Array(n) : dtype === 'int8' ? new Int8Array(n) : dtype === 'uint8' ? new Uint8Array(n) : dtype === 'int16' ? new Int16Array(n) : dtype === 'int32' ? new Int32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = kind.read(view, off + i * kind.bytes);
  return { dtype, shape, data };
}

const DESCR: Partial<Record<Tensor['dtype'], string>> = {
  float32: '<f4', int8: '|i1', uint8: '|u1', int16: '<i2', int32: '<i4', int64: '<i8',
};

/** Serialises a tensor as .npy v1 (int64 written as real int64). */
export function writeNpy(t: Tensor): Uint8Array {
  const descr = DESCR[t.dtype] ?? '|u1';
  const shape = t.shape.length === 1 ? `(${t.shape[0]},)` : `(${t.shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const head = new TextEncoder().encode(header);
  let payload: Uint8Array;
  if (t.dtype === 'int64') {
    const big = new BigInt64Array(t.data.length);
    for (let i = 0; i < big.length; i++) big[i] = BigInt(Math.trunc(t.data[i]!));
    payload = new Uint8Array(big.buffer);
  } else {
    payload = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  }
  const out = new Uint8Array(10 + head.length + payload.length);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, head.length, true);
  out.set(head, 10);
  out.set(payload, 10 + head.length);
  return out;
}
