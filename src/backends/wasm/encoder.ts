// WebAssembly binary encoder: LEB128, an instruction builder, and a module writer (type/function/memory/export/code/data).

/** Unsigned LEB128 of a non-negative integer below 2^32. */
export function uleb(n: number, out: number[] = []): number[] {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new Error(`uleb: ${n} is not a u32`);
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

/** Signed LEB128 of an int32 (the immediate of i32.const). */
export function sleb(n: number, out: number[] = []): number[] {
  if (!Number.isInteger(n) || n < -0x80000000 || n > 0xffffffff) throw new Error(`sleb: ${n} is not an i32`);
  let v = n | 0;
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) { out.push(b); return out; }
    out.push(b | 0x80);
  }
}

export const I32 = 0x7f;
export const V128 = 0x7b;
export type ValType = typeof I32 | typeof V128;

/** Opcodes without immediates that kernels use (no i32.mul/i64.mul: the generated code is multiply-free). */
export const OP = {
  drop: 0x1a, select: 0x1b, return: 0x0f,
  eqz: 0x45, eq: 0x46, ne: 0x47, lt_s: 0x48, lt_u: 0x49, gt_s: 0x4a, gt_u: 0x4b, le_s: 0x4c, le_u: 0x4d, ge_s: 0x4e,
  clz: 0x67,
  add: 0x6a, sub: 0x6b, and: 0x71, or: 0x72, xor: 0x73, shl: 0x74, shr_s: 0x75, shr_u: 0x76,
} as const;

/** SIMD opcodes (after the 0xFD prefix) the kernels use: loads/stores take a memarg, the rest no immediate. */
export const SIMD = {
  load: 0x00, load16x4_s: 0x03, load32_splat: 0x09, store: 0x0b, splat16: 0x10, splat: 0x11, lane: 0x1b, and: 0x4e, xor: 0x51,
  shl: 0xab, shr_s: 0xac, add: 0xae, sub: 0xb1, mul: 0xb5, min_s: 0xb6, max_s: 0xb8, dot16: 0xba,
} as const;

const log2 = (bytes: number) => (bytes === 1 ? 0 : bytes === 2 ? 1 : bytes === 4 ? 2 : 4);

/** A function body under construction: push instructions, open and close structured blocks. */
export class Code {
  readonly bytes: number[] = [];
  private depth = 0;
  private readonly localTypes: ValType[];

  constructor(readonly params: number, locals: readonly ValType[] = []) {
    this.localTypes = [...locals];
  }

  /** A fresh local of type t (after the params); returns its index. */
  local(t: ValType = I32): number {
    this.localTypes.push(t);
    return this.params + this.localTypes.length - 1;
  }

  op(...ops: number[]): this { this.bytes.push(...ops); return this; }
  i32(v: number): this { this.bytes.push(0x41); sleb(v, this.bytes); return this; }
  get(i: number): this { this.bytes.push(0x20); uleb(i, this.bytes); return this; }
  set(i: number): this { this.bytes.push(0x21); uleb(i, this.bytes); return this; }
  tee(i: number): this { this.bytes.push(0x22); uleb(i, this.bytes); return this; }
  call(f: number): this { this.bytes.push(0x10); uleb(f, this.bytes); return this; }
  br(depth: number): this { this.bytes.push(0x0c); uleb(depth, this.bytes); return this; }
  brIf(depth: number): this { this.bytes.push(0x0d); uleb(depth, this.bytes); return this; }

  /** Signed load of a 1-, 2- or 4-byte integer (sign-extended to i32) at the address on the stack + offset. */
  load(bytes: number, offset = 0): this {
    const opc = bytes === 1 ? 0x2c : bytes === 2 ? 0x2e : 0x28;
    this.bytes.push(opc, log2(bytes));
    uleb(offset, this.bytes);
    return this;
  }

  /** Unsigned load of a 1- or 2-byte integer (zero-extended) at the address on the stack + offset. */
  loadU(bytes: 1 | 2, offset = 0): this {
    this.bytes.push(bytes === 1 ? 0x2d : 0x2f, log2(bytes));
    uleb(offset, this.bytes);
    return this;
  }

  /** Store of the low 1, 2 or 4 bytes of an i32: [addr, value] on the stack. */
  store(bytes: number, offset = 0): this {
    const opc = bytes === 1 ? 0x3a : bytes === 2 ? 0x3b : 0x36;
    this.bytes.push(opc, log2(bytes));
    uleb(offset, this.bytes);
    return this;
  }

  /** memory.fill: [dest, value, length] on the stack (bulk memory). */
  fill(): this { this.bytes.push(0xfc, 0x0b, 0x00); return this; }
  /** memory.copy: [dest, src, length] on the stack (bulk memory). */
  copy(): this { this.bytes.push(0xfc, 0x0a, 0x00, 0x00); return this; }

  /** A SIMD instruction: 0xFD prefix, opcode, then raw immediates (memarg or lane bytes). */
  simd(opcode: number, ...imm: number[]): this {
    this.bytes.push(0xfd);
    uleb(opcode, this.bytes);
    this.bytes.push(...imm);
    return this;
  }

  block(body: () => void): this { return this.structured(0x02, body); }
  loop(body: () => void): this { return this.structured(0x03, body); }
  /** if (the i32 on the stack) then `then`, else `otherwise`. */
  if(then: () => void, otherwise?: () => void): this {
    this.bytes.push(0x04, 0x40);
    this.depth++;
    then();
    if (otherwise) { this.bytes.push(0x05); otherwise(); }
    this.bytes.push(0x0b);
    this.depth--;
    return this;
  }

  /** for (i = 0; i < n; i++) body(i), n an i32 constant or a local (n <= 0 runs nothing); body falls through. */
  forN(n: number | { local: number }, body: (i: number) => void): this {
    const i = this.local();
    if (typeof n === 'number' && n <= 0) return this;
    this.i32(0).set(i);
    const bound = () => (typeof n === 'number' ? this.i32(n) : this.get(n.local));
    this.block(() => {
      if (typeof n !== 'number') { this.get(i); bound(); this.op(OP.ge_s).brIf(0); }
      this.loop(() => {
        body(i);
        this.get(i).i32(1).op(OP.add).tee(i);
        bound();
        this.op(OP.lt_s).brIf(0);
      });
    });
    return this;
  }

  /** Adds a constant to a local (no-op for 0). */
  bump(local: number, by: number): this {
    if (by !== 0) this.get(local).i32(by).op(OP.add).set(local);
    return this;
  }

  private structured(opc: number, body: () => void): this {
    this.bytes.push(opc, 0x40);
    this.depth++;
    body();
    this.bytes.push(0x0b);
    this.depth--;
    return this;
  }

  /** The function body: local declarations (run-length by type), instructions, end. */
  encode(): number[] {
    if (this.depth !== 0) throw new Error('Code: unbalanced blocks');
    const runs: [number, ValType][] = [];
    for (const t of this.localTypes) {
      const last = runs[runs.length - 1];
      if (last && last[1] === t) last[0]++;
      else runs.push([1, t]);
    }
    const out: number[] = [];
    uleb(runs.length, out);
    for (const [n, t] of runs) { uleb(n, out); out.push(t); }
    out.push(...this.bytes, 0x0b);
    return out;
  }
}

interface Func { type: number; code: Code }

/** A module with one linear memory, no imports, functions, exports, and one active data segment. */
export class ModuleWriter {
  private readonly types: string[] = [];
  private readonly funcs: Func[] = [];
  private readonly exports: { name: string; kind: number; index: number }[] = [];
  private data: { offset: number; bytes: Uint8Array } | null = null;
  private pages = 1;
  private startFunc = -1;

  /** Declares a function of `params` i32 params and `results` i32 results; returns its index and body. */
  func(params: readonly ValType[], results: readonly ValType[]): { index: number; code: Code } {
    const sig = [0x60, ...uleb(params.length), ...params, ...uleb(results.length), ...results].join(',');
    let type = this.types.indexOf(sig);
    if (type < 0) type = this.types.push(sig) - 1;
    const code = new Code(params.length);
    return { index: this.funcs.push({ type, code }) - 1, code };
  }

  exportFunc(name: string, index: number): void { this.exports.push({ name, kind: 0, index }); }
  exportMemory(name: string): void { this.exports.push({ name, kind: 2, index: 0 }); }
  memory(bytes: number): void { this.pages = Math.max(1, Math.ceil(bytes / 65536)); }
  /** The function run once at instantiation, after the data segment is in memory (the weight decoder). */
  start(index: number): void { this.startFunc = index; }
  setData(offset: number, bytes: Uint8Array): void { this.data = { offset, bytes }; }

  encode(): Uint8Array<ArrayBuffer> {
    const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    const section = (id: number, body: number[]) => { out.push(id, ...uleb(body.length)); pushAll(out, body); };
    const vec = (items: number[][]) => { const v = uleb(items.length); for (const it of items) pushAll(v, it); return v; };
    section(1, vec(this.types.map((s) => s.split(',').map(Number))));
    section(3, vec(this.funcs.map((f) => uleb(f.type))));
    section(5, [0x01, 0x00, ...uleb(this.pages)]);
    const name = (s: string) => { const b = [...new TextEncoder().encode(s)]; return [...uleb(b.length), ...b]; };
    section(7, vec(this.exports.map((e) => [...name(e.name), e.kind, ...uleb(e.index)])));
    if (this.startFunc >= 0) section(8, uleb(this.startFunc));
    if (this.data) section(12, uleb(1));
    section(10, vec(this.funcs.map((f) => { const b = f.code.encode(); return [...uleb(b.length), ...b]; })));
    if (this.data) {
      const seg = [0x00, 0x41, ...sleb(this.data.offset), 0x0b, ...uleb(this.data.bytes.length)];
      pushAll(seg, this.data.bytes);
      section(11, vec([seg]));
    }
    return Uint8Array.from(out);
  }
}

/** push(...src) without the argument-count limit of spreading large arrays. */
function pushAll(dst: number[], src: ArrayLike<number>): void {
  for (let i = 0; i < src.length; i++) dst.push(src[i]!);
}
