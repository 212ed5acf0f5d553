// WebAssembly SIMD kernel for the int32 dot products of dot-block.ts (hand-assembled bytes, no toolchain needed).
// Integer sums wrap modulo 2^32 in any order, so four lanes of i32x4 give the bits of the scalar kernel.
import type { DotShape } from './dot-block.js';

// Opcodes used below (WebAssembly core + SIMD proposals).
const LOCAL_GET = 0x20, LOCAL_SET = 0x21, LOCAL_TEE = 0x22, I32_CONST = 0x41, I32_ADD = 0x6a, I32_MUL = 0x6c, I32_LT_U = 0x49;
const LOOP = 0x03, END = 0x0b, BR_IF = 0x0d, VOID = 0x40, I32_STORE = 0x36, I32 = 0x7f, V128 = 0x7b;
const SIMD = 0xfd;
const v128Load = (align = 4) => [SIMD, 0x00, align, 0];
const i32x4ExtractLane = (lane: number) => [SIMD, 0x1b, lane];
const I32X4_ADD = [SIMD, 0xae, 0x01];
const I32X4_MUL = [SIMD, 0xb5, 0x01];
const V128_ZERO = [SIMD, 0x0c, ...new Array<number>(16).fill(0)];

function uleb(n: number): number[] {
  const out: number[] = [];
  do { let b = n & 0x7f; n >>>= 7; if (n) b |= 0x80; out.push(b); } while (n);
  return out;
}
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const get = (i: number) => [LOCAL_GET, ...uleb(i)];
const set = (i: number) => [LOCAL_SET, ...uleb(i)];

/** Rows of weights and columns of x per step: eight i32x4 sums stay in registers. */
export const ROWS = 4;
export const COLS = 2;

/**
 * dot(w, x, o, M, P, Dbytes): o[m * P + p] = sum_t w[m][t] * x[p][t] for m < M (a multiple of 4), p < P (a
 * multiple of 2); rows of w and x are Dbytes long (a multiple of 16, zero padded), all pointers in bytes.
 */
function dotBody(): number[] {
  // Params 0..5: w, x, o, M, P, Db. Locals: i32 6 m, 7 p, 8 t, 9 xa, 10 xb, 11..14 w rows, 15 out; v128 16..23 sums, 24 u, 25 v, 26 wv.
  const [w, x, o, M, P, Db, m, p, t, xa, xb, w0, out, s0, u, v, wv] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 15, 16, 24, 25, 26];
  const code: number[] = [];
  const emit = (...xs: (number | number[])[]) => { for (const e of xs) typeof e === 'number' ? code.push(e) : code.push(...e); };
  emit(I32_CONST, 0, set(m), LOOP, VOID);
  // Weight row pointers w + (m + r) * Db.
  emit(get(w), get(m), get(Db), I32_MUL, I32_ADD, set(w0));
  for (let r = 1; r < ROWS; r++) emit(get(w0 + r - 1), get(Db), I32_ADD, set(w0 + r));
  emit(I32_CONST, 0, set(p), LOOP, VOID);
  emit(get(x), get(p), get(Db), I32_MUL, I32_ADD, LOCAL_TEE, xa, get(Db), I32_ADD, set(xb));
  for (let k = 0; k < ROWS * COLS; k++) emit(V128_ZERO, set(s0 + k));
  emit(I32_CONST, 0, set(t), LOOP, VOID);
  emit(get(xa), get(t), I32_ADD, v128Load(), set(u), get(xb), get(t), I32_ADD, v128Load(), set(v));
  for (let r = 0; r < ROWS; r++) {
    emit(get(w0 + r), get(t), I32_ADD, v128Load(), set(wv));
    emit(get(s0 + 2 * r), get(wv), get(u), I32X4_MUL, I32X4_ADD, set(s0 + 2 * r));
    emit(get(s0 + 2 * r + 1), get(wv), get(v), I32X4_MUL, I32X4_ADD, set(s0 + 2 * r + 1));
  }
  emit(get(t), I32_CONST, 16, I32_ADD, LOCAL_TEE, t, get(Db), I32_LT_U, BR_IF, 0, END);
  // Horizontal sums to o + ((m + r) * P + p + c) * 4.
  for (let r = 0; r < ROWS; r++) {
    emit(get(m), I32_CONST, r, I32_ADD, get(P), I32_MUL, get(p), I32_ADD, I32_CONST, 2, 0x74 /* i32.shl */, get(o), I32_ADD, set(out));
    for (let c = 0; c < COLS; c++) {
      const s = s0 + COLS * r + c;
      emit(get(out), get(s), i32x4ExtractLane(0), get(s), i32x4ExtractLane(1), I32_ADD, get(s), i32x4ExtractLane(2), I32_ADD, get(s), i32x4ExtractLane(3), I32_ADD);
      emit(I32_STORE, 2, 4 * c);
    }
  }
  emit(get(p), I32_CONST, COLS, I32_ADD, LOCAL_TEE, p, get(P), I32_LT_U, BR_IF, 0, END);
  emit(get(m), I32_CONST, ROWS, I32_ADD, LOCAL_TEE, m, get(M), I32_LT_U, BR_IF, 0, END, END);
  const locals = vec([[10, I32], [11, V128]]);
  const body = [...locals, ...code];
  return [...uleb(body.length), ...body];
}

function moduleBytes(): Uint8Array<ArrayBuffer> {
  const type = section(1, vec([[0x60, ...vec(new Array(6).fill([I32])), 0]]));
  const func = section(3, vec([[0]]));
  const mem = section(5, vec([[0x00, 1]]));
  const name = (s: string) => [...uleb(s.length), ...new TextEncoder().encode(s)];
  const exp = section(7, vec([[...name('dot'), 0x00, 0], [...name('mem'), 0x02, 0]]));
  const code = section(10, vec([dotBody()]));
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...type, ...func, ...mem, ...exp, ...code]);
}

interface Kernel { dot: (w: number, x: number, o: number, M: number, P: number, Db: number) => void; mem: WebAssembly.Memory }
let kernel: Kernel | null | undefined;

/** The instantiated kernel, or null where WebAssembly SIMD is unavailable (callers then use plain JS). */
function load(): Kernel | null {
  if (kernel !== undefined) return kernel;
  try {
    const bytes = moduleBytes();
    const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes));
    kernel = inst.exports as unknown as Kernel;
  } catch {
    kernel = null;
  }
  return kernel;
}

/**
 * acc[m * P + p] = bias[bOff + m] + sum_t w[m][t] * x[p][t] (int32 wrap-around) on the SIMD kernel: operands are
 * copied into its memory with rows padded to 4 lanes and counts to the 4 x 2 block. Returns false if unavailable.
 */
export function dotI32Wasm(w: Int32Array, x: Int32Array, s: DotShape, bias: Int32Array, bOff: number, acc: Int32Array): boolean {
  const k = load();
  if (!k) return false;
  const { M, P, D, wOff, xOff, sp, st } = s;
  const D4 = (D + 3) & ~3;
  const M4 = Math.ceil(M / ROWS) * ROWS;
  const P2 = Math.ceil(P / COLS) * COLS;
  const wAt = 0;
  const xAt = wAt + M4 * D4;
  const oAt = xAt + P2 * D4;
  const need = (oAt + M4 * P2) * 4;
  if (k.mem.buffer.byteLength < need) k.mem.grow(Math.ceil((need - k.mem.buffer.byteLength) / 65536));
  const h = new Int32Array(k.mem.buffer);
  // Padding lanes and rows must be zero: they add 0 * anything to the sums.
  for (let m = 0; m < M4; m++) {
    const at = wAt + m * D4;
    if (m < M) h.set(w.subarray(wOff + m * D, wOff + (m + 1) * D), at);
    h.fill(0, m < M ? at + D : at, at + D4);
  }
  for (let p = 0; p < P2; p++) {
    const at = xAt + p * D4;
    if (p >= P) { h.fill(0, at, at + D4); continue; }
    const x0 = xOff + p * sp;
    if (st === 1) h.set(x.subarray(x0, x0 + D), at);
    else for (let t = 0; t < D; t++) h[at + t] = x[x0 + t * st]!;
    h.fill(0, at + D, at + D4);
  }
  k.dot(wAt * 4, xAt * 4, oAt * 4, M4, P2, D4 * 4);
  for (let m = 0; m < M; m++) {
    const b = bias[bOff + m]!;
    const src = oAt + m * P2;
    for (let p = 0; p < P; p++) acc[m * P + p] = (b + h[src + p]!) | 0;
  }
  return true;
}
