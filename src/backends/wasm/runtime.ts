// Shared WebAssembly helpers of the kernels: narrow (requant + clamp), channel gain, CSD reciprocal; a constant pool.
import { Code, I32, ModuleWriter, OP } from './encoder.js';

/** Constants placed in the module's data segment at `base`; add() returns an absolute, aligned address. */
export class DataPool {
  private readonly chunks: Uint8Array[] = [];
  private size = 0;
  /** Bytes of packed shift-add weights (streams and their decode tables) among the constants. */
  weightBytes = 0;
  constructor(readonly base: number) {}

  add(bytes: Uint8Array, align = 4): number {
    const pad = (align - (this.size % align)) % align;
    if (pad) { this.chunks.push(new Uint8Array(pad)); this.size += pad; }
    const at = this.base + this.size;
    this.chunks.push(bytes);
    this.size += bytes.length;
    return at;
  }

  i32(values: ArrayLike<number>): number { return this.add(new Uint8Array(Int32Array.from(values).buffer)); }
  i16(values: ArrayLike<number>): number { return this.add(new Uint8Array(Int16Array.from(values).buffer), 2); }
  i8(values: ArrayLike<number>): number { return this.add(new Uint8Array(Int8Array.from(values).buffer), 1); }

  get bytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const c of this.chunks) { out.set(c, at); at += c.length; }
    return out;
  }
}

/**
 * Zero-initialised memory (not in the data segment) for what the start function decodes: sized before emission
 * (`capacity`) so the data segment can follow it at a fixed address.
 */
export class Bss {
  private used = 0;
  constructor(readonly base: number, readonly capacity: number) {}

  alloc(bytes: number): number {
    const at = this.base + this.used;
    this.used += (bytes + 15) & ~15;
    if (this.used > this.capacity) throw new Error(`Bss: ${this.used} bytes over the planned ${this.capacity}`);
    return at;
  }
}

/** Lazily declared helper functions; each returns the function index to `call`. */
export class Runtime {
  private readonly made = new Map<string, number>();
  constructor(private readonly w: ModuleWriter) {}

  /** A helper function of `params` i32 params (and one i32 result unless `void`), declared on first use. */
  once(name: string, params: number, build: (c: Code) => void, returns = true): number {
    let f = this.made.get(name);
    if (f === undefined) {
      const fn = this.w.func(new Array(params).fill(I32), returns ? [I32] : []);
      build(fn.code);
      f = fn.index;
      this.made.set(name, f);
    }
    return f;
  }

  /**
   * narrow(v, r, lo, hi, bits) = clamp(requant(v, r, bits), lo, hi) of docs/numerics.md: rounding right shift
   * (half up) for r > 0; for r < 0 sat first, then shift by min(-r, bits). [lo, hi] lies inside the bits range,
   * so clamping the saturated value equals clamping the unsaturated one.
   */
  narrow(): number {
    return this.once('narrow', 5, (c) => {
      const [v, r, lo, hi, bits] = [0, 1, 2, 3, 4];
      const s = c.local();
      const mx = c.local();
      c.get(r).i32(0).op(OP.gt_s).if(() => {
        c.get(v).i32(1).get(r).i32(1).op(OP.sub, OP.shl, OP.add).get(r).op(OP.shr_s).set(v);
      }, () => {
        c.get(r).i32(0).op(OP.lt_s).if(() => {
          c.i32(0).get(r).op(OP.sub).set(s);
          c.get(bits).get(s).get(s).get(bits).op(OP.gt_s, OP.select).set(s);
          c.i32(1).get(bits).i32(1).op(OP.sub, OP.shl).i32(1).op(OP.sub).set(mx);
          c.get(mx).get(v).get(v).get(mx).op(OP.gt_s, OP.select).set(v);
          c.get(mx).i32(-1).op(OP.xor).set(mx);
          c.get(mx).get(v).get(v).get(mx).op(OP.lt_s, OP.select).set(v);
          c.get(v).get(s).op(OP.shl).set(v);
        });
      });
      c.get(lo).get(v).get(v).get(lo).op(OP.lt_s, OP.select).set(v);
      c.get(hi).get(v).get(v).get(hi).op(OP.gt_s, OP.select);
    });
  }

  /** gain(acc, ptr, G): sum over G digit codes c at ptr of sign(c) * (acc >> (|c| - 1)); acc itself when G = 0. */
  gain(): number {
    return this.once('gain', 3, (c) => {
      const [acc, p, G] = [0, 1, 2];
      const v = c.local();
      const d = c.local();
      c.get(G).op(OP.eqz).if(() => { c.get(acc).op(OP.return); });
      c.forN({ local: G }, (j) => {
        c.get(p).get(j).op(OP.add).load(1).set(d);
        c.get(d).i32(0).op(OP.gt_s).if(() => { c.get(v).get(acc).get(d).i32(1).op(OP.sub, OP.shr_s, OP.add).set(v); });
        c.get(d).i32(0).op(OP.lt_s).if(() => { c.get(v).get(acc).i32(-1).get(d).op(OP.sub, OP.shr_s, OP.sub).set(v); });
      });
      c.get(v);
    });
  }

  /** csd(s, ptr, D): sum_j d_j * (s << (D - j)) over the D + 1 int8 digits at ptr (numerics.md csdApply). */
  csd(): number {
    return this.once('csd', 3, (c) => {
      const [s, p, D] = [0, 1, 2];
      const acc = c.local();
      const d = c.local();
      const n = c.local();
      c.get(D).i32(1).op(OP.add).set(n);
      c.forN({ local: n }, (j) => {
        c.get(p).get(j).op(OP.add).load(1).set(d);
        // d in {-1, 0, 1}: with sg = d >> 31, acc += ((s << (D - j)) ^ sg) - sg adds or subtracts the shifted sum.
        c.get(d).if(() => {
          c.get(d).i32(31).op(OP.shr_s).set(d);
          c.get(acc).get(s).get(D).get(j).op(OP.sub, OP.shl).get(d).op(OP.xor).get(d).op(OP.sub, OP.add).set(acc);
        });
      });
      c.get(acc);
    });
  }
}
