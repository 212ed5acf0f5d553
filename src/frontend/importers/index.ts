// The importer table: ONNX op type -> translation into IR ops (opset differences handled inside each importer).
import type { ImportContext } from '../context.js';
import { importIdentity, plain } from './basic.js';
import { importConv } from './conv.js';
import { importArith, importClip, importElu, importHardSigmoid, importLeakyRelu, importPRelu, importSelu, importVariadic } from './elementwise.js';
import { importCast, importConcat, importGather, importPad, importSlice, importSplit, importTranspose } from './layout.js';
import { importGemm, importMatMul } from './linear.js';
import { importBatchNorm, importLrn, importSoftmax } from './norm.js';
import { importAveragePool, importMaxPool } from './pool.js';
import { importReduce } from './reduce.js';
import { importExpand, importTile } from './repeat.js';
import { importConvTranspose } from './conv-transpose.js';
import { importDequantizeLinear, importQLinearConv, importQLinearMatMul, importQuantizeLinear } from './quantize.js';
import { SHIFTADDC_IMPORTERS } from './shiftaddc.js';
import { importResize, importUpsample } from './resize.js';
import { importConstant, importConstantOfShape, importFlatten, importReshape, importShape, importSqueeze, importUnsqueeze } from './shape.js';

export type Importer = (ctx: ImportContext) => number[];

export const IMPORTERS: Record<string, Importer> = {
  Abs: plain('Abs', 1),
  Add: importArith('Add'),
  AveragePool: importAveragePool,
  BatchNormalization: importBatchNorm,
  Cast: importCast,
  Clip: importClip,
  Concat: importConcat,
  Constant: importConstant,
  ConstantOfShape: importConstantOfShape,
  Conv: importConv,
  ConvTranspose: importConvTranspose,
  DequantizeLinear: importDequantizeLinear,
  Div: importArith('Div'),
  Dropout: importIdentity,
  Elu: importElu,
  Exp: plain('Exp', 1),
  Expand: importExpand,
  Flatten: importFlatten,
  Gather: importGather,
  Gemm: importGemm,
  GlobalAveragePool: plain('GlobalAveragePool', 1),
  GlobalMaxPool: plain('GlobalMaxPool', 1),
  HardSigmoid: importHardSigmoid,
  HardSwish: plain('HardSwish', 1),
  Identity: importIdentity,
  LeakyRelu: importLeakyRelu,
  LogSoftmax: importSoftmax('LogSoftmax'),
  LRN: importLrn,
  MatMul: importMatMul,
  Max: importVariadic('Max'),
  MaxPool: importMaxPool,
  Min: importVariadic('Min'),
  Mul: importArith('Mul'),
  Neg: plain('Neg', 1),
  Pad: importPad,
  PRelu: importPRelu,
  QLinearConv: importQLinearConv,
  QLinearMatMul: importQLinearMatMul,
  QuantizeLinear: importQuantizeLinear,
  Pow: importArith('Pow'),
  ReduceMean: importReduce('ReduceMean', 18),
  ReduceSum: importReduce('ReduceSum', 13),
  Relu: plain('Relu', 1),
  Reshape: importReshape,
  Resize: importResize,
  Selu: importSelu,
  Shape: importShape,
  Sigmoid: plain('Sigmoid', 1),
  Sign: plain('Sign', 1),
  Slice: importSlice,
  Softmax: importSoftmax('Softmax'),
  Softplus: plain('Softplus', 1),
  Split: importSplit,
  Sqrt: plain('Sqrt', 1),
  Squeeze: importSqueeze,
  Sub: importArith('Sub'),
  Sum: importVariadic('Sum'),
  Tanh: plain('Tanh', 1),
  Tile: importTile,
  Transpose: importTranspose,
  Unsqueeze: importUnsqueeze,
  Upsample: importUpsample,
  // Custom domains, keyed `domain.OpType`.
  ...SHIFTADDC_IMPORTERS,
};

/** Ops we recognise but deliberately do not support, with the reason shown in the diagnostic. */
export const OUT_OF_SCOPE: Record<string, string> = {
  LSTM: 'recurrent layers are out of scope',
  GRU: 'recurrent layers are out of scope',
  RNN: 'recurrent layers are out of scope',
};
