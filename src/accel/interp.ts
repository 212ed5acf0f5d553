// Calls into the compiled interpreter kernels (interp.c): operands into the module's memory, one call, result out.
// Each entry returns null when the kernels are unavailable; the op then runs its TypeScript reference loops.
// interp-ops.ts adapts these to ops and registers them as the interpreters' accelerators.
import type { ShiftOperands } from '../ir/ops/shift-common.js';
import type { Tensor, TypedData } from '../ir/tensor.js';
import { interpWasm } from './interp-wasm.js';
import { kernelLoader, type WasmKernels } from './runtime.js';

interface Exports {
  shift_conv(params: number): void;
  shift_gemm(params: number): void;
  conv_f32(params: number): void;
  max_pool(params: number): void;
  relu_f32(x: number, out: number, n: number): void;
  gemm_f32_nt(params: number, alpha: number, beta: number): void;
}

const kernels = kernelLoader<Exports>(interpWasm);

/** Whether the kernels can run (WebAssembly present and SHIFTADDC_NO_WASM unset): adapters skip their setup otherwise. */
export function interpKernelsLoaded(): boolean {
  return kernels() !== null;
}

/** Element type codes of interp.c. */
const TYPE_CODE: Partial<Record<Tensor['dtype'], number>> = { float32: 0, int8: 1, int16: 2 };

/** 2-D window geometry in interp.c's Geometry order. */
export interface Geometry2d {
  C: number; H: number; W: number; OH: number; OW: number; KH: number; KW: number;
  sh: number; sw: number; ph: number; pw: number; dh: number; dw: number;
}

const geometry = (g: Geometry2d) => [g.C, g.H, g.W, g.OH, g.OW, g.KH, g.KW, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw];

/** Samples per call: about 64K multiply-adds, at least one sample. */
const samplesPerCall = (macsPerSample: number) => Math.max(1, Math.floor(65536 / Math.max(1, macsPerSample)));

/** Copies `n` elements of type `dtype` at `at` out of the module's memory into a fresh array. */
function takeOut(k: WasmKernels<Exports>, dtype: Tensor['dtype'], at: number, n: number): TypedData {
  switch (dtype) {
    case 'float32': return k.f32(at, n).slice();
    case 'int8': return k.i8(at, n).slice();
    case 'int16': return k.i16(at, n).slice();
    default: throw new Error(`interp kernels: no ${dtype} outputs`);
  }
}

function narrowFields(k: WasmKernels<Exports>, s: ShiftOperands): number[] {
  return [k.put(s.w), k.put(s.bias), k.put(s.rshift), k.put(s.hi), s.gain ? k.put(s.gain) : 0, s.G, s.bits, s.actMin];
}

/** ShiftConv of N samples of x (int8/int16 [N, C, H, W]) into M channels in `group` groups, or null. */
export function shiftConvKernel(x: Tensor, N: number, g: Geometry2d, M: number, group: number, s: ShiftOperands): TypedData | null {
  const k = kernels()?.reset();
  const xType = TYPE_CODE[x.dtype];
  if (!k || xType === undefined || xType === 0) return null;
  const n = N * M * g.OH * g.OW;
  const xAt = k.put(x.data);
  const fields = narrowFields(k, s);
  const D = (g.C / group) * g.KH * g.KW;
  const rows = k.alloc(g.OH * g.OW * D * 4);
  const xi = k.alloc(g.C * g.H * g.W * 4);
  const out = k.alloc(n * 2);
  const at = k.params([xAt, xType, 0, 0, ...geometry(g), M, group, ...fields, out, TYPE_CODE[s.outType]!, rows, xi]);
  k.inSlices(at, 2, N, samplesPerCall(M * g.OH * g.OW * D), k.exports.shift_conv);
  return takeOut(k, s.outType, out, n);
}

/** ShiftGemm of x (int8/int16 [N, D]) into M outputs per row, or null. */
export function shiftGemmKernel(x: Tensor, N: number, D: number, M: number, s: ShiftOperands): TypedData | null {
  const k = kernels()?.reset();
  const xType = TYPE_CODE[x.dtype];
  if (!k || xType === undefined || xType === 0) return null;
  const xAt = k.put(x.data);
  const fields = narrowFields(k, s);
  const xi = k.alloc(D * 4);
  const out = k.alloc(N * M * 2);
  const at = k.params([xAt, xType, 0, 0, D, M, ...fields, out, TYPE_CODE[s.outType]!, xi]);
  k.inSlices(at, 2, N, samplesPerCall(M * D), k.exports.shift_gemm);
  return takeOut(k, s.outType, out, N * M);
}

/** Float Conv of N samples (reference rounding of dotF32), or null. */
export function convF32Kernel(x: Float32Array, N: number, g: Geometry2d, M: number, group: number, w: Float32Array, bias: Float32Array | undefined): Float32Array | null {
  const k = kernels()?.reset();
  if (!k) return null;
  const n = N * M * g.OH * g.OW;
  const xAt = k.put(x);
  const wAt = k.put(w);
  const bAt = bias ? k.put(bias) : 0;
  const out = k.alloc(n * 4);
  const cols = k.alloc((g.C / group) * g.KH * g.KW * g.OH * g.OW * 4);
  const at = k.params([xAt, 0, 0, ...geometry(g), M, group, wAt, bAt, out, cols]);
  k.inSlices(at, 1, N, samplesPerCall((M * g.OH * g.OW * (g.C / group) * g.KH * g.KW) / 2), k.exports.conv_f32);
  return k.f32(out, n).slice();
}

/** Per-axis window plans of a pooling layer (axisPlan in src/ir/ops/pool.ts). */
export interface PlanArrays { start: Int32Array; lo: Int32Array; hi: Int32Array }

/** MaxPool over `planes` planes of H x W (float32, int8 or int16), or null. */
export function maxPoolKernel(x: Tensor, planes: number, H: number, W: number, OH: number, OW: number, dh: number, dw: number, hp: PlanArrays, wp: PlanArrays): TypedData | null {
  const type = TYPE_CODE[x.dtype];
  const k = type === undefined ? null : kernels()?.reset();
  if (!k) return null;
  const xAt = k.put(x.data);
  const plan = (p: PlanArrays) => [k.put(p.start), k.put(p.lo), k.put(p.hi)];
  const out = k.alloc(planes * OH * OW * 4);
  const at = k.params([xAt, type!, 0, 0, H, W, OH, OW, dh, dw, ...plan(hp), ...plan(wp), out]);
  k.inSlices(at, 2, planes, Math.max(1, Math.floor(16384 / (H * W))), k.exports.max_pool);
  return takeOut(k, x.dtype, out, planes * OH * OW);
}

/** Relu of a float32 array, or null. */
export function reluF32Kernel(x: Float32Array): Float32Array | null {
  const k = kernels()?.reset();
  if (!k) return null;
  const xAt = k.put(x);
  const out = k.alloc(x.byteLength);
  for (let i = 0; i < x.length; i += 16384) k.exports.relu_f32(xAt + 4 * i, out + 4 * i, Math.min(16384, x.length - i));
  return k.f32(out, x.length).slice();
}

/** Gemm of float32 A [M, K] with B [N, K] transposed, plus beta * C (full, or broadcast through `cIndex`), or null. */
export function gemmF32Kernel(A: Float32Array, M: number, K: number, B: Float32Array, N: number, alpha: number, beta: number, C?: Float32Array, cIndex?: Int32Array | null): Float32Array | null {
  const k = kernels()?.reset();
  if (!k) return null;
  const aAt = k.put(A);
  const bAt = k.put(B);
  const cAt = C ? k.put(C) : 0;
  const iAt = cIndex ? k.put(cIndex) : 0;
  const out = k.alloc(M * N * 4);
  const at = k.params([aAt, 0, 0, K, N, bAt, cAt, iAt, out]);
  k.inSlices(at, 1, M, samplesPerCall(N * K), (pa) => k.exports.gemm_f32_nt(pa, alpha, beta));
  return k.f32(out, M * N).slice();
}
