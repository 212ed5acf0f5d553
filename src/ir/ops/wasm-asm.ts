// A few WebAssembly encoding helpers, enough to hand-assemble the SIMD kernels of wasm-kernels.ts.

export const LOCAL_GET = 0x20, LOCAL_SET = 0x21, LOCAL_TEE = 0x22, I32_CONST = 0x41;
export const I32_ADD = 0x6a, I32_MUL = 0x6c, I32_SHL = 0x74, I32_LT_U = 0x49;
export const BLOCK = 0x02, LOOP = 0x03, END = 0x0b, BR_IF = 0x0d, VOID = 0x40, I32_STORE = 0x36, I32_LOAD = 0x28, F64_LOAD = 0x2b;
export const F64_NE = 0x62, I32_OR = 0x72, I32_AND = 0x71, I32_EQZ = 0x45;
export const I32 = 0x7f, F64 = 0x7c, V128 = 0x7b;
const SIMD = 0xfd;
/** v128.load / v128.store with a constant byte offset (alignment hint 16). */
export const v128Load = (offset = 0) => [SIMD, 0x00, 4, ...uleb(offset)];
export const v128Store = (offset = 0) => [SIMD, 0x0b, 4, ...uleb(offset)];
export const V128_LOAD64_SPLAT = [SIMD, 0x0a, 3, 0];
export const i32x4ExtractLane = (lane: number) => [SIMD, 0x1b, lane];
export const I32X4_ADD = [SIMD, 0xae, 0x01];
export const I32X4_MUL = [SIMD, 0xb5, 0x01];
export const F64X2_SPLAT = [SIMD, 0x14];
export const F64X2_ADD = [SIMD, 0xf0, 0x01];
export const F64X2_MUL = [SIMD, 0xf2, 0x01];
export const F64X2_NEG = [SIMD, 0xed, 0x01];
export const F32X4_DEMOTE_F64X2_ZERO = [SIMD, 0x5e];
export const F64X2_PROMOTE_LOW_F32X4 = [SIMD, 0x5f];
export const V128_ZERO = [SIMD, 0x0c, ...new Array<number>(16).fill(0)];

export function uleb(n: number): number[] {
  const out: number[] = [];
  do { let b = n & 0x7f; n >>>= 7; if (n) b |= 0x80; out.push(b); } while (n);
  return out;
}

const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
export const get = (i: number) => [LOCAL_GET, ...uleb(i)];
export const set = (i: number) => [LOCAL_SET, ...uleb(i)];
export const tee = (i: number) => [LOCAL_TEE, ...uleb(i)];

/** Collects instruction bytes; numbers and byte arrays may be mixed. */
export class Code {
  readonly bytes: number[] = [];
  emit(...xs: (number | number[])[]): this {
    for (const e of xs) typeof e === 'number' ? this.bytes.push(e) : this.bytes.push(...e);
    return this;
  }
}

export interface Func {
  name: string;
  /** Number of i32 parameters, or their types (no results). */
  params: number | number[];
  /** Local declarations after the parameters: [count, type]. */
  locals: [number, number][];
  code: Code;
}

/** A module exporting the functions and one memory ("mem", one initial page). */
export function moduleBytes(funcs: readonly Func[]): Uint8Array<ArrayBuffer> {
  const name = (s: string) => [...uleb(s.length), ...new TextEncoder().encode(s)];
  const types = (f: Func) => (typeof f.params === 'number' ? new Array<number>(f.params).fill(I32) : f.params);
  const type = section(1, vec(funcs.map((f) => [0x60, ...vec(types(f).map((t) => [t])), 0])));
  const func = section(3, vec(funcs.map((_, i) => uleb(i))));
  const mem = section(5, vec([[0x00, 1]]));
  const exp = section(7, vec([...funcs.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]), [...name('mem'), 0x02, 0]]));
  const code = section(10, vec(funcs.map((f) => {
    const body = [...vec(f.locals), ...f.code.bytes, END];
    return [...uleb(body.length), ...body];
  })));
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...type, ...func, ...mem, ...exp, ...code]);
}
