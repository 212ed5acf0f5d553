// The importer table: ONNX op type -> translation into IR ops (opset differences handled inside each importer).
import type { ImportContext } from '../context.js';
import { importIdentity, plain } from './basic.js';
import { importConv } from './conv.js';
import { importConstant, importConstantOfShape, importFlatten, importReshape, importShape, importSqueeze, importUnsqueeze } from './shape.js';

export type Importer = (ctx: ImportContext) => number[];

export const IMPORTERS: Record<string, Importer> = {
  Add: plain('Add', 2),
  Constant: importConstant,
  ConstantOfShape: importConstantOfShape,
  Conv: importConv,
  Div: plain('Div', 2),
  Dropout: importIdentity,
  Flatten: importFlatten,
  Identity: importIdentity,
  Mul: plain('Mul', 2),
  Relu: plain('Relu', 1),
  Reshape: importReshape,
  Shape: importShape,
  Squeeze: importSqueeze,
  Sub: plain('Sub', 2),
  Unsqueeze: importUnsqueeze,
};

/** Ops we recognise but deliberately do not support, with the reason shown in the diagnostic. */
export const OUT_OF_SCOPE: Record<string, string> = {
  ConvTranspose: 'transposed convolution is out of scope',
};
