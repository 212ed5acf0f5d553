// The op registry: the one explicit map from op kind to definition; the closed Op union derives from it.
import type { OpDef, OpTraits } from './op.js';
import { absOp } from './ops/abs.js';
import { addOp } from './ops/add.js';
import { adderOp } from './ops/adder.js';
import { adderConvOp } from './ops/adder-conv.js';
import { averagePoolOp } from './ops/average-pool.js';
import { batchNormOp } from './ops/batch-norm.js';
import { castOp } from './ops/cast.js';
import { clipOp } from './ops/clip.js';
import { concatOp } from './ops/concat.js';
import { convOp } from './ops/conv.js';
import { divOp } from './ops/div.js';
import { eluOp } from './ops/elu.js';
import { expOp } from './ops/exp.js';
import { expandOp } from './ops/expand.js';
import { gatherOp } from './ops/gather.js';
import { gemmOp } from './ops/gemm.js';
import { globalAveragePoolOp } from './ops/global-average-pool.js';
import { globalMaxPoolOp } from './ops/global-max-pool.js';
import { hardSigmoidOp } from './ops/hard-sigmoid.js';
import { hardSwishOp } from './ops/hard-swish.js';
import { identityOp } from './ops/identity.js';
import { leakyReluOp } from './ops/leaky-relu.js';
import { logSoftmaxOp } from './ops/log-softmax.js';
import { lrnOp } from './ops/lrn.js';
import { lutOp } from './ops/lut.js';
import { matmulOp } from './ops/matmul.js';
import { maxOp } from './ops/max.js';
import { maxPoolOp } from './ops/max-pool.js';
import { minOp } from './ops/min.js';
import { mulOp } from './ops/mul.js';
import { negOp } from './ops/neg.js';
import { padOp } from './ops/pad.js';
import { powOp } from './ops/pow.js';
import { preluOp } from './ops/prelu.js';
import { qaddOp } from './ops/qadd.js';
import { qAveragePoolOp } from './ops/qavg-pool.js';
import { qGateMulOp } from './ops/qgate-mul.js';
import { qLrnOp } from './ops/qlrn.js';
import { reduceMeanOp } from './ops/reduce-mean.js';
import { reduceSumOp } from './ops/reduce-sum.js';
import { reluOp } from './ops/relu.js';
import { requantizeOp } from './ops/requantize.js';
import { reshapeOp } from './ops/reshape.js';
import { seluOp } from './ops/selu.js';
import { shiftConvOp } from './ops/shift-conv.js';
import { shiftGemmOp } from './ops/shift-gemm.js';
import { sigmoidOp } from './ops/sigmoid.js';
import { signOp } from './ops/sign.js';
import { sliceOp } from './ops/slice.js';
import { softmaxOp } from './ops/softmax.js';
import { softplusOp } from './ops/softplus.js';
import { splitOp } from './ops/split.js';
import { sqrtOp } from './ops/sqrt.js';
import { subOp } from './ops/sub.js';
import { sumOp } from './ops/sum.js';
import { tanhOp } from './ops/tanh.js';
import { tileOp } from './ops/tile.js';
import { transposeOp } from './ops/transpose.js';

// Adding an op: one file in ./ops, one line here, one test.
export const OPS = {
  Abs: absOp,
  Add: addOp,
  Adder: adderOp,
  AdderConv: adderConvOp,
  AveragePool: averagePoolOp,
  BatchNormalization: batchNormOp,
  Cast: castOp,
  Clip: clipOp,
  Concat: concatOp,
  Conv: convOp,
  Div: divOp,
  Elu: eluOp,
  Exp: expOp,
  Expand: expandOp,
  Gather: gatherOp,
  Gemm: gemmOp,
  GlobalAveragePool: globalAveragePoolOp,
  GlobalMaxPool: globalMaxPoolOp,
  HardSigmoid: hardSigmoidOp,
  HardSwish: hardSwishOp,
  Identity: identityOp,
  LeakyRelu: leakyReluOp,
  LogSoftmax: logSoftmaxOp,
  LRN: lrnOp,
  Lut: lutOp,
  MatMul: matmulOp,
  Max: maxOp,
  MaxPool: maxPoolOp,
  Min: minOp,
  Mul: mulOp,
  Neg: negOp,
  Pad: padOp,
  PRelu: preluOp,
  Pow: powOp,
  QAdd: qaddOp,
  QAveragePool: qAveragePoolOp,
  QGateMul: qGateMulOp,
  QLrn: qLrnOp,
  ReduceMean: reduceMeanOp,
  ReduceSum: reduceSumOp,
  Relu: reluOp,
  Requantize: requantizeOp,
  Reshape: reshapeOp,
  Selu: seluOp,
  ShiftConv: shiftConvOp,
  ShiftGemm: shiftGemmOp,
  Sigmoid: sigmoidOp,
  Sign: signOp,
  Slice: sliceOp,
  Softmax: softmaxOp,
  Softplus: softplusOp,
  Split: splitOp,
  Sqrt: sqrtOp,
  Sub: subOp,
  Sum: sumOp,
  Tanh: tanhOp,
  Tile: tileOp,
  Transpose: transposeOp,
} as const;

export type OpKind = keyof typeof OPS;

type AttrsOf<D> = D extends OpDef<infer A> ? A : never;

/** The closed op union: `switch (op.kind)` over it is exhaustiveness-checked. */
export type Op = { [K in OpKind]: { readonly kind: K; readonly attrs: AttrsOf<(typeof OPS)[K]> } }[OpKind];

export function isOpKind(s: string): s is OpKind {
  return Object.prototype.hasOwnProperty.call(OPS, s);
}

/** The traits an op kind declares on its definition (src/ir/op.ts OpTraits). */
export function opTraits(kind: OpKind): OpTraits {
  return OPS[kind].traits;
}
