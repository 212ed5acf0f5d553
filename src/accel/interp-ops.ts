// The interpreter kernels as op accelerators: each validates as its OpDef.run does, then calls interp.c (or passes).
import { setAccelerator } from '../ir/accel.js';
import { SHIFT_OPERANDS } from '../ir/lowered.js';
import { as2d, convOp, type ConvAttrs } from '../ir/ops/conv.js';
import { gemmDims, type GemmAttrs } from '../ir/ops/gemm.js';
import type { MaxPoolAttrs } from '../ir/ops/max-pool.js';
import { inferPool, windowPlan } from '../ir/ops/pool.js';
import { checkCodes, shiftOperands } from '../ir/ops/shift-common.js';
import { shiftConvOp, type ShiftConvAttrs } from '../ir/ops/shift-conv.js';
import { shiftGemmOp, type ShiftGemmAttrs } from '../ir/ops/shift-gemm.js';
import { broadcastIndex, hasNaN, needT } from '../ir/ops/util.js';
import type { Tensor } from '../ir/tensor.js';
import { convF32Kernel, gemmF32Kernel, interpKernelsLoaded, maxPoolKernel, reluF32Kernel, shiftConvKernel, shiftGemmKernel, type Geometry2d } from './interp.js';

type Inputs = readonly (Tensor | undefined)[];

/** Conv / ShiftConv geometry in interp.c's 2-D view (a 1-D conv has height 1). */
function convGeometry(a: ConvAttrs, x: Tensor, outShape: readonly number[]): Geometry2d {
  const { k, s, p, d } = as2d(a);
  const two = x.shape.length === 4;
  return {
    C: x.shape[1]!, H: two ? x.shape[2]! : 1, W: x.shape[x.shape.length - 1]!,
    OH: outShape.length === 4 ? outShape[2]! : 1, OW: outShape[outShape.length - 1]!,
    KH: k[0]!, KW: k[1]!, sh: s[0]!, sw: s[1]!, ph: p[0]!, pw: p[1]!, dh: d[0]!, dw: d[1]!,
  };
}

function shiftConv(a: ShiftConvAttrs, inputs: Inputs): Tensor[] | null {
  if (!interpKernelsLoaded()) return null;
  const x = needT(inputs, SHIFT_OPERANDS.x);
  const codes = needT(inputs, SHIFT_OPERANDS.codes);
  const [outType] = shiftConvOp.infer(a, inputs, 'kernel');
  checkCodes(codes, a.shiftBits, 'kernel ShiftConv');
  const ops = shiftOperands(a, inputs, codes, outType!.dtype, 'kernel ShiftConv');
  const data = shiftConvKernel(x, x.shape[0]!, convGeometry(a, x, outType!.shape), codes.shape[0]!, a.group, ops);
  return data ? [{ dtype: outType!.dtype, shape: outType!.shape, data }] : null;
}

function shiftGemm(a: ShiftGemmAttrs, inputs: Inputs): Tensor[] | null {
  if (!interpKernelsLoaded()) return null;
  const x = needT(inputs, SHIFT_OPERANDS.x);
  const codes = needT(inputs, SHIFT_OPERANDS.codes);
  const [outType] = shiftGemmOp.infer(a, inputs, 'kernel');
  checkCodes(codes, a.shiftBits, 'kernel ShiftGemm');
  const ops = shiftOperands(a, inputs, codes, outType!.dtype, 'kernel ShiftGemm');
  const data = shiftGemmKernel(x, x.shape[0]!, x.shape[1]!, codes.shape[0]!, ops);
  return data ? [{ dtype: outType!.dtype, shape: outType!.shape, data }] : null;
}

function conv(a: ConvAttrs, inputs: Inputs): Tensor[] | null {
  if (!interpKernelsLoaded()) return null;
  const x = needT(inputs, 0);
  const w = needT(inputs, 1);
  const bias = inputs[2];
  const [outType] = convOp.infer(a, inputs, 'kernel');
  const data = convF32Kernel(x.data as Float32Array, x.shape[0]!, convGeometry(a, x, outType!.shape), w.shape[0]!, a.group, w.data as Float32Array, bias?.data as Float32Array | undefined);
  return data ? [{ dtype: 'float32', shape: outType!.shape, data }] : null;
}

/** Float Gemm in the PyTorch Linear layout (A rows by B rows, each output one dot product); others pass. */
function gemm(a: GemmAttrs, inputs: Inputs): Tensor[] | null {
  const A = needT(inputs, 0);
  const B = needT(inputs, 1);
  const C = inputs[2];
  const { M, K, N } = gemmDims(a, A, B, 'kernel');
  const floats = A.dtype === 'float32' && B.dtype === 'float32' && (!C || C.dtype === 'float32');
  if (!a.transB || a.transA || !floats) return null;
  const ci = C && C.data.length !== M * N ? broadcastIndex(C.shape, [M, N]) : null;
  const data = gemmF32Kernel(A.data as Float32Array, M, K, B.data as Float32Array, N, a.alpha, a.beta, C?.data as Float32Array | undefined, ci);
  return data ? [{ dtype: A.dtype, shape: [M, N], data }] : null;
}

function maxPool(a: MaxPoolAttrs, inputs: Inputs): Tensor[] | null {
  if (!interpKernelsLoaded()) return null;
  const x = needT(inputs, 0);
  const [outType] = inferPool(a, inputs, 'kernel');
  const { H, W, OH, OW, hp, wp, dh, dw } = windowPlan(a, x.shape, outType!.shape);
  // The kernel skips NaN; a NaN input takes the reference loop, which keeps onnxruntime's (MLAS) order.
  if (hasNaN(x.data)) return null;
  const data = maxPoolKernel(x, x.shape[0]! * x.shape[1]!, H, W, OH, OW, dh, dw, hp, wp);
  return data ? [{ dtype: x.dtype, shape: outType!.shape, data }] : null;
}

function relu(_a: object, inputs: Inputs): Tensor[] | null {
  const x = needT(inputs, 0);
  // The kernel maps NaN to 0; NaN propagates (as in onnxruntime), so a NaN input takes the reference.
  const data = x.dtype === 'float32' && !hasNaN(x.data) ? reluF32Kernel(x.data as Float32Array) : null;
  return data ? [{ dtype: x.dtype, shape: x.shape, data }] : null;
}

/** Registers the interpreter kernels with runOp (called once from the library entry, src/accel/register.ts). */
export function registerInterpAccelerators(): void {
  setAccelerator('ShiftConv', shiftConv);
  setAccelerator('ShiftGemm', shiftGemm);
  setAccelerator('Conv', conv);
  setAccelerator('Gemm', gemm);
  setAccelerator('MaxPool', maxPool);
  setAccelerator('Relu', relu);
}
