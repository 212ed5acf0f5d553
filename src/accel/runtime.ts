// Instantiates a compiled C kernel module (src/accel/*.c) and lays out each call's operands in its memory.

/** One instantiated kernel module: its exports and a bump allocator over its memory above the C stack and data. */
export class WasmKernels<E> {
  readonly exports: E;
  private readonly memory: WebAssembly.Memory;
  private readonly base: number;
  private top: number;
  /** Whole-memory views, rebuilt when the memory grows (fewer short-lived views for the callers' copies). */
  private views?: { buffer: ArrayBuffer; u8: Uint8Array; i32: Int32Array; f64: Float64Array };

  constructor(base64: string) {
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes));
    const ex = instance.exports as unknown as { memory: WebAssembly.Memory; __heap_base: WebAssembly.Global };
    this.exports = instance.exports as unknown as E;
    this.memory = ex.memory;
    this.base = align(ex.__heap_base.value as number);
    this.top = this.base;
  }

  /**
   * Frees every buffer of the previous call (kernel calls are synchronous and keep nothing between calls), or,
   * given a `mark()`, only the buffers allocated after it (callers that keep data resident across calls).
   */
  reset(mark = this.base): this {
    this.top = mark;
    return this;
  }

  /** The current top of the allocator, for `reset(mark)`. */
  mark(): number {
    return this.top;
  }

  /** Reserves `bytes` (16-byte aligned) and returns their address; take views with the typed-array helpers after all allocs. */
  alloc(bytes: number): number {
    const at = this.top;
    this.top = align(at + bytes);
    const have = this.memory.buffer.byteLength;
    if (this.top > have) this.memory.grow(Math.ceil((this.top - have) / 65536));
    return at;
  }

  /** Copies `data` into a fresh buffer of the same element type and returns its address. */
  put(data: ArrayBufferView & ArrayLike<number>): number {
    const at = this.alloc(data.byteLength);
    const h = this.heap();
    if (data instanceof Float64Array) h.f64.set(data, at >> 3);
    else if (data instanceof Int32Array) h.i32.set(data, at >> 2);
    else h.u8.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
    return at;
  }

  /** Views of the whole memory (valid until the next alloc); addresses are byte offsets, 16-byte aligned from alloc. */
  heap(): { u8: Uint8Array; i32: Int32Array; f64: Float64Array } {
    const buffer = this.memory.buffer;
    if (this.views?.buffer !== buffer) this.views = { buffer, u8: new Uint8Array(buffer), i32: new Int32Array(buffer), f64: new Float64Array(buffer) };
    return this.views;
  }

  /** Writes an int32 parameter block (a C struct of int fields) and returns its address. */
  params(fields: readonly number[]): number {
    const at = this.alloc(fields.length * 4);
    this.heap().i32.set(fields, at >> 2);
    return at;
  }

  /**
   * Runs `fn` over items from..n-1 in slices of `per`, writing each slice's bounds into int32 fields `field` and
   * `field + 1` of the parameter block at `at`: V8 optimises a wasm function for its later calls only, so one long
   * call would run entirely in the baseline tier.
   */
  inSlices(at: number, field: number, n: number, per: number, fn: (params: number) => void, from = 0): void {
    const bounds = this.i32(at + field * 4, 2);
    for (let i = from; i < n; i += per) {
      bounds[0] = i;
      bounds[1] = Math.min(n, i + per);
      fn(at);
    }
  }

  i8(at: number, n: number): Int8Array { return new Int8Array(this.memory.buffer, at, n); }
  i16(at: number, n: number): Int16Array { return new Int16Array(this.memory.buffer, at, n); }
  i32(at: number, n: number): Int32Array { return new Int32Array(this.memory.buffer, at, n); }
  f32(at: number, n: number): Float32Array { return new Float32Array(this.memory.buffer, at, n); }
  f64(at: number, n: number): Float64Array { return new Float64Array(this.memory.buffer, at, n); }
}

const align = (n: number) => (n + 15) & ~15;

/**
 * Loads a kernel module once; null where WebAssembly (with SIMD) is unavailable or the kernels are switched off,
 * and callers then run their TypeScript reference loops (the tests compare both paths bit for bit).
 */
export function kernelLoader<E>(base64: string): () => WasmKernels<E> | null {
  let k: WasmKernels<E> | null | undefined;
  return () => {
    if (!enabled) return null;
    if (k !== undefined) return k;
    try {
      k = new WasmKernels<E>(base64);
    } catch {
      k = null;
    }
    return k;
  };
}

/** Off with SHIFTADDC_NO_WASM=1: a way out should a WebAssembly engine misbehave. */
let enabled = !(typeof process !== 'undefined' && process.env?.SHIFTADDC_NO_WASM === '1');

/** Switches the C kernels on or off (tests run both paths); returns the previous setting. */
export function setWasmKernels(on: boolean): boolean {
  const was = enabled;
  enabled = on;
  return was;
}
