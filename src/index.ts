// Public library API of shiftaddc.
export { loadModel, runFloat } from './api.js';
export { inspect, formatInspect, type InspectReport, type LayerSummary } from './inspect.js';
export { ShiftaddcError, DIAGNOSTICS, type DiagnosticCode } from './diagnostics.js';
export { readNpy, writeNpy } from './io/npy.js';
export { verifyGraph } from './ir/verify.js';
export type { Graph, Node, Value, Quant } from './ir/graph.js';
export type { Tensor, TensorType, DType } from './ir/tensor.js';
export type { Op, OpKind } from './ir/registry.js';
