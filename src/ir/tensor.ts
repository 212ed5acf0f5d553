// Tensors: a dtype, a static shape and a typed array; the only data container in the IR.

export type DType = 'float32' | 'int8' | 'uint8' | 'int16' | 'int32' | 'int64' | 'bool';

/** int64 is held in a Float64Array: exact up to 2^53, enough for shapes/indices; larger values saturate. */
export type TypedData = Float32Array | Int8Array | Uint8Array | Int16Array | Int32Array | Float64Array;

export interface TensorType {
  readonly dtype: DType;
  readonly shape: readonly number[];
}

export interface Tensor extends TensorType {
  readonly data: TypedData;
}

export const DTYPE_BYTES: Record<DType, number> = {
  float32: 4, int8: 1, uint8: 1, int16: 2, int32: 4, int64: 8, bool: 1,
};

export const DTYPE_SHORT: Record<DType, string> = {
  float32: 'f32', int8: 'i8', uint8: 'u8', int16: 'i16', int32: 'i32', int64: 'i64', bool: 'bool',
};

export function allocData(dtype: DType, n: number): TypedData {
  switch (dtype) {
    case 'float32': return new Float32Array(n);
    case 'int8': return new Int8Array(n);
    case 'uint8': case 'bool': return new Uint8Array(n);
    case 'int16': return new Int16Array(n);
    case 'int32': return new Int32Array(n);
    case 'int64': return new Float64Array(n);
  }
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function tensor(dtype: DType, shape: readonly number[], data?: TypedData | ArrayLike<number>): Tensor {
  const n = numel(shape);
  let arr: TypedData;
  if (data === undefined) arr = allocData(dtype, n);
  else if (isTyped(data) && dataMatches(dtype, data)) arr = data;
  else {
    arr = allocData(dtype, n);
    for (let i = 0; i < n; i++) arr[i] = (data as ArrayLike<number>)[i]!;
  }
  if (arr.length !== n) throw new Error(`tensor data length ${arr.length} does not match shape [${shape}]`);
  return { dtype, shape: [...shape], data: arr };
}

export function floatTensor(shape: readonly number[], data?: ArrayLike<number>): Tensor {
  return tensor('float32', shape, data);
}

function isTyped(d: unknown): d is TypedData {
  return ArrayBuffer.isView(d);
}

function dataMatches(dtype: DType, d: TypedData): boolean {
  return d instanceof allocData(dtype, 0).constructor;
}

/** Row-major strides in elements. */
export function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]!; }
  return s;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function formatType(t: TensorType): string {
  return `${DTYPE_SHORT[t.dtype]}[${t.shape.join(',')}]`;
}

/** Normalises a possibly negative axis against a rank. */
export function normAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}
