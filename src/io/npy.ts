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

interface NpyHeader { descr: string; fortran: boolean; shape: number[] }

/**
 * Parses the header dict exactly as numpy writes it: the keys descr, fortran_order and shape, each once,
 * a string, a bool and a tuple of non-negative integers (numpy itself rejects `(2.0, 3)`).
 */
function parseHeader(text: string, bad: (why: string) => never): NpyHeader {
  const re = /\s*'(descr|fortran_order|shape)'\s*:\s*('[^']*'|True|False|\([^)]*\))\s*(,|(?=\}))/y;
  const body = /^\{([^}]*)\}\s*$/.exec(text)?.[1] ?? bad('header is not a {...} dict');
  const seen = new Map<string, string>();
  re.lastIndex = 0;
  while (re.lastIndex < body.length && !/^\s*$/.test(body.slice(re.lastIndex))) {
    const at = re.lastIndex;
    const m = re.exec(body);
    if (!m) bad(`header has an unexpected entry at '${body.slice(at, at + 24).replace(/[^\x20-\x7e]/g, '?')}'`);
    if (seen.has(m[1]!)) bad(`header key '${m[1]}' appears twice`);
    seen.set(m[1]!, m[2]!);
  }
  const descr = seen.get('descr') ?? bad('header has no descr');
  const fortran = seen.get('fortran_order') ?? bad('header has no fortran_order');
  const shapeText = seen.get('shape') ?? bad('header has no shape');
  if (!descr.startsWith("'")) bad('descr is not a string');
  if (fortran !== 'True' && fortran !== 'False') bad('fortran_order is not True or False');
  if (!shapeText.startsWith('(')) bad('shape is not a tuple');
  const inner = shapeText.slice(1, -1).trim();
  const items = inner === '' ? [] : inner.split(',').map((x) => x.trim());
  if (items.length === 1) bad(`shape ${shapeText} is not a tuple (a 1-D shape is written (n,))`);
  if (items.length > 1 && items[items.length - 1] === '') items.pop();
  if (!items.every((x) => /^\d{1,15}$/.test(x))) bad(`shape ${shapeText} must hold non-negative integers`);
  return { descr: descr.slice(1, -1), fortran: fortran === 'True', shape: items.map(Number) };
}

/** Parsed array: float kinds become float32; integer kinds keep their type (int64 -> Float64Array). */
export function readNpy(bytes: Uint8Array, label = 'array', maxElements = MAX_ELEMENTS): Tensor {
  const bad = (why: string): never => fail('SAC020', `${label}: ${why}`);
  if (bytes.length < 10 || !MAGIC.every((m, i) => bytes[i] === m)) bad('missing the \\x93NUMPY magic');
  const major = bytes[6]!;
  if (major < 1 || major > 3 || bytes[7] !== 0) bad(`format version ${major}.${bytes[7]} is not 1.0, 2.0 or 3.0`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? view.getUint16(8, true) : bytes.length >= 12 ? view.getUint32(8, true) : bad('truncated header');
  const start = major === 1 ? 10 : 12;
  if (start + headerLen > bytes.length) bad('truncated header');
  let header: string;
  try {
    header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1', { fatal: true }).decode(bytes.subarray(start, start + headerLen));
  } catch {
    return bad('header is not valid text');
  }
  const { descr, fortran, shape } = parseHeader(header, bad);
  const shapeText = shape.join(', ');
  if (fortran) bad('Fortran-order arrays are not supported; save with np.ascontiguousarray');
  const kind = KINDS[descr.replace('=', '<')] ?? bad(`dtype '${descr.replace(/[^\x20-\x7e]/g, '?').slice(0, 16)}' is not supported (use float32, float64, int8, uint8, int16, int32, int64)`);
  const n = numel(shape);
  if (n > maxElements) fail('SAC009', `${label}: shape (${shapeText}) holds ${n} elements, over the limit of ${maxElements}`, undefined, 'raise limits.maxElements (CLI --max-elements) if the array is genuine');
  const off = start + headerLen;
  const need = n * kind.bytes;
  if (bytes.length - off < need) bad(`payload truncated: ${bytes.length - off} bytes, shape (${shapeText}) needs ${need}`);
  if (bytes.length - off > need) bad(`${bytes.length - off - need} bytes follow the payload of shape (${shapeText}); the file is not one array`);
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
