// The recovery kernels' module (recover.c) and its memory: a layer's patch matrices and Gram matrix H stay resident
// across calls in two slots, below the scratch each call allocates.
import { recoverWasm } from './recover-wasm.js';
import { kernelLoader, type WasmKernels } from './runtime.js';

interface Exports {
  conv_patches(params: number, qs: number): void;
  gram_rows4(params: number): void;
  gram_rows1(params: number): void;
  finish_gram(H: number, meanQ: number, meanF: number, D: number, n: number, centred: number): void;
  targets(params: number): void;
  normalize_targets(t: number, w: number, meanQ: number, meanF: number, M: number, D: number, n: number, centred: number): void;
  interleave4(dst: number, src: number, blocks: number, D: number): void;
  cand(H: number, q: number, t: number, out: number, D: number, i0: number, i1: number): void;
  mul_h(H: number, nz: number, val: number, t0: number, out: number, D: number, n: number, i0: number, i1: number): void;
  descend(params: number, scale: number, reg: number, mu: number): void;
  greedy_log_row(w: number, D: number, E: number, K: number, span: number, codes: number, wq: number): number;
  scale_by(dst: number, src: number, n: number, g: number, mul: number): void;
  objective(H: number, v: number, w: number, t: number, D: number, reg: number, nz: number, val: number, zero: number, hv: number, out: number): void;
  held_out(params: number, err: number): number;
}

type K = WasmKernels<Exports>;
const kernels = kernelLoader<Exports>(recoverWasm);

/** Largest H, and largest pair of patch matrices, kept in wasm memory (beyond them recovery stays in TypeScript). */
const MAX_H_BYTES = 64 * 2 ** 20;
export const MAX_PATCH_BYTES = 256 * 2 ** 20;

/** Patch matrices [P, D] (row-major) of one group, as layer-stats.ts defines them. */
export interface PatchArrays { P: number; D: number; readonly xq: Float64Array; readonly xf: Float64Array }

/**
 * Memory: [patch slot: xq, xf][H slot][scratch of the current call]. The slots only grow; the H slot moves when the
 * patch slot grows. `patches` and `H` name what the slots hold (neither is modified once built).
 */
export interface Slots { k: K; pAt: number; pCap: number; hAt: number; hCap: number; scratch: number; patches?: PatchArrays; H?: Float64Array }
let slots: Slots | undefined;

/** The kernels with slots of at least these sizes and the scratch freed, or null. */
export function reserve(pBytes: number, hBytes: number): Slots | null {
  const k = kernels();
  if (!k) return null;
  if (!slots || slots.k !== k) slots = { k, pAt: 0, pCap: -1, hAt: 0, hCap: -1, scratch: 0 };
  const s = slots;
  if (pBytes > s.pCap || hBytes > s.hCap) {
    // The patch slot stays at the bottom (its contents survive growth); the H slot above it may move.
    k.reset();
    s.pCap = Math.max(s.pCap, pBytes);
    s.pAt = k.alloc(s.pCap);
    const hAt = k.alloc((s.hCap = Math.max(s.hCap, hBytes)));
    if (hAt !== s.hAt) s.H = undefined;
    s.hAt = hAt;
    s.scratch = k.mark();
  }
  k.reset(s.scratch);
  return s;
}

/**
 * Patches built in the patch slot by conv_patches: their arrays are copied out only if read, or before other
 * patches take the slot, unless released (recoverRows drops a group's patches once its statistics are done).
 */
export class ResidentPatches implements PatchArrays {
  private arrays?: [Float64Array, Float64Array];
  released = false;
  constructor(readonly P: number, readonly D: number, private readonly s: Slots) {}
  get xq(): Float64Array { return this.take()[0]; }
  get xf(): Float64Array { return this.take()[1]; }
  /** Copies the arrays out of the slot (while it still holds them). */
  take(): [Float64Array, Float64Array] {
    if (!this.arrays) {
      if (this.s.patches !== this) throw new Error('recover kernels: patches read after release');
      const n = this.P * this.D;
      const at = this.s.pAt >> 3;
      const h = this.s.k.heap().f64;
      this.arrays = [h.slice(at, at + n), h.slice(at + n, at + 2 * n)];
    }
    return this.arrays;
  }
}

/** Gives the patch slot to new contents: the patches there keep their arrays unless released. */
export function evict(s: Slots): void {
  const old = s.patches;
  if (old instanceof ResidentPatches && !old.released) old.take();
  s.patches = undefined;
}

/** Marks patches made by convPatchesKernel as no longer read: the next patches overwrite them without a copy. */
export function releasePatches(p: PatchArrays): void {
  if (p instanceof ResidentPatches) p.released = true;
}

/** The patches resident (copied in unless they are already), with room for an H of D x D; null if too large. */
export function withPatches(p: PatchArrays): Slots | null {
  const n = p.P * p.D;
  if (16 * n > MAX_PATCH_BYTES || p.D * p.D * 8 > MAX_H_BYTES) return null;
  const s = reserve(16 * n, p.D * p.D * 8);
  if (s && s.patches !== p) {
    const { xq, xf } = p;
    evict(s);
    const h = s.k.heap().f64;
    h.set(xq, s.pAt >> 3);
    h.set(xf, (s.pAt >> 3) + n);
    s.patches = p;
  }
  return s;
}

/** The kernels with H resident in the H slot, or null. */
export function withH(H: Float64Array, D: number): Slots | null {
  if (D * D * 8 > MAX_H_BYTES) return null;
  const s = reserve(0, D * D * 8);
  if (s && s.H !== H) {
    s.k.heap().f64.set(H, s.hAt >> 3);
    s.H = H;
  }
  return s;
}

/** Rows [M][D] copied into fresh scratch; returns their address. */
export function putRows(k: K, rows: readonly Float64Array[], D: number): number {
  const at = k.alloc(rows.length * D * 8);
  const h = k.heap().f64;
  rows.forEach((r, m) => h.set(r, (at >> 3) + m * D));
  return at;
}
