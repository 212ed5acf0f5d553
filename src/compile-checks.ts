// compile()'s checks of a float model and its calibration data before any pass runs: every failure is a diagnostic.
import { fail, quoted } from './diagnostics.js';
import type { Graph } from './ir/graph.js';
import { checkRunSize } from './api.js';
import { numel, type Tensor } from './ir/tensor.js';

/** Ops whose inputs after the first are parameters lowering folds into the shift-add weights. */
const PARAM_OPS = new Set(['Conv', 'Gemm', 'MatMul', 'BatchNormalization']);

/** The index of the first non-finite entry, or -1. */
export function firstNonFinite(d: ArrayLike<number>): number {
  for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i]!)) return i;
  return -1;
}

/** A model compile can convert: parameters constant and finite, no empty tensors, outputs computed from inputs. */
export function checkCompilable(g: Graph): void {
  const consumer = new Map<number, string>();
  for (const n of g.nodes) {
    n.inputs.forEach((i, k) => {
      if (i < 0) return;
      if (!consumer.has(i)) consumer.set(i, n.name);
      if (k > 0 && PARAM_OPS.has(n.op.kind) && !g.values[i]!.data) {
        fail('SAC014', `${n.op.kind} parameter ${quoted(g.values[i]!.name)} (input ${k}) is computed at run time, not a constant`, `node ${quoted(n.name)} (${n.op.kind})`);
      }
    });
    for (const o of n.outputs) {
      const t = g.values[o]!.type;
      if (numel(t.shape) === 0) fail('SAC013', `output ${quoted(g.values[o]!.name)} has shape [${t.shape.join(', ')}], 0 elements (e.g. 0 output channels)`, `node ${quoted(n.name)} (${n.op.kind})`);
    }
  }
  for (const v of g.values) {
    if (!v.data || v.type.dtype !== 'float32') continue;
    const bad = firstNonFinite(v.data.data);
    if (bad >= 0) fail('SAC017', `constant ${quoted(v.name)} holds ${v.data.data[bad]} at flat index ${bad}${consumer.has(v.id) ? `, used by node ${quoted(consumer.get(v.id)!)}` : ''}`, `tensor ${quoted(v.name)}`);
  }
  for (const o of g.outputs) {
    if (g.values[o]!.data) fail('SAC052', `graph output ${quoted(g.values[o]!.name)} is a constant`, undefined, 'a compiled network computes its outputs from its inputs; drop the constant output from the model');
  }
  if (g.inputs.length === 0) fail('SAC022', 'the model has no inputs', undefined, 'a compiled network needs at least one graph input');
}

/**
 * Calibration data must match the model and be finite: a sample with NaN or +-Inf is rejected by index
 * (docs/numerics.md: skipping it silently would calibrate on fewer samples than the user passed).
 */
export function checkCalibration(g: Graph, calib: readonly Tensor[], maxElements?: number): void {
  if (calib.some((t) => t.shape[0] === 0)) fail('SAC042', 'the calibration data holds 0 samples');
  checkRunSize(g, calib, maxElements);
  calib.forEach((t, k) => {
    const bad = firstNonFinite(t.data);
    if (bad < 0) return;
    const per = t.data.length / Math.max(1, t.shape[0] ?? 1);
    fail('SAC023', `calibration sample ${Math.floor(bad / per)} of input ${quoted(g.values[g.inputs[k]!]!.name)} holds ${t.data[bad]} (flat index ${bad})`);
  });
}
