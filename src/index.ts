// Public library API of shiftaddc.
export { loadModel, runFloat, readInputFile, type LoadOptions } from './api.js';
export { DEFAULT_LIMITS, type Limits } from './frontend/limits.js';
export { inspect, formatInspect, type InspectReport, type LayerSummary } from './inspect.js';
export { ShiftaddcError, DIAGNOSTICS, type DiagnosticCode } from './diagnostics.js';
export { readNpy, writeNpy } from './io/npy.js';
export { verifyGraph } from './ir/verify.js';
export type { Graph, Node, Value, Quant } from './ir/graph.js';
export type { Tensor, TensorType, DType } from './ir/tensor.js';
export type { Op, OpKind } from './ir/registry.js';
export { compile, SHIFT_PIPELINE, type CompileOptions, type CompileResult } from './compile.js';
export { evaluate, runShift, type EvalResult, type IntegerRunner } from './eval.js';
export { runInteger, quantizeInput, dequantizeOutput } from './ir/interp-int.js';
export { emitC, type CEmitResult, type EmitCOptions } from './backends/c/emit.js';
export { runC, buildHost, runHost, type RunCOptions, type HostProgram } from './backends/c/run.js';
export { cacheRoot } from './backends/c/host.js';
export { printGraph } from './ir/printer.js';
export { parseGraph } from './ir/parser.js';
export type { CompileReport, LayerReport } from './report.js';
