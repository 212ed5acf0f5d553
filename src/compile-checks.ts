// compile()'s checks of a float model and its calibration data before any pass runs: every failure is a diagnostic.
import { atNode, fail, quoted, ShiftaddcError, type DiagnosticCode } from './diagnostics.js';
import type { Graph, Node } from './ir/graph.js';
import { checkRunSize } from './api.js';
import { numel, type Tensor } from './ir/tensor.js';
import type { PassContext } from './passes/context.js';
import type { RuleContext } from './passes/lower-context.js';
import { loweringBlockers } from './passes/lower-rules.js';
import { PREPARE_PIPELINE, runPipeline, type PipelineHooks } from './passes/pipeline.js';

/** One problem a check found: its diagnostic, and the node it is about (none for a graph-level problem). */
export interface Found {
  readonly error: ShiftaddcError;
  readonly node?: Node;
}

/** Ops whose inputs after the first are parameters lowering folds into the shift-add weights. */
const PARAM_OPS = new Set(['Conv', 'Gemm', 'MatMul', 'BatchNormalization']);

/** The index of the first non-finite entry, or -1. */
export function firstNonFinite(d: ArrayLike<number>): number {
  for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i]!)) return i;
  return -1;
}

/**
 * What keeps compile from converting a float model, found in one pass over it: parameters computed at run time,
 * empty tensors, non-finite constants, constant outputs, no inputs. All of them, in graph order.
 */
export function compilableFindings(g: Graph): Found[] {
  const out: Found[] = [];
  const at = (code: DiagnosticCode, detail: string, where?: string, hint?: string, node?: Node) => out.push({ error: new ShiftaddcError(code, detail, where, hint), ...(node ? { node } : {}) });
  const consumer = new Map<number, string>();
  for (const n of g.nodes) {
    n.inputs.forEach((i, k) => {
      if (i < 0) return;
      if (!consumer.has(i)) consumer.set(i, n.name);
      if (k > 0 && PARAM_OPS.has(n.op.kind) && !g.values[i]!.data) {
        at('SAC014', `${n.op.kind} parameter ${quoted(g.values[i]!.name)} (input ${k}) is computed at run time, not a constant`, atNode(n.name, n.op.kind), undefined, n);
      }
    });
    for (const o of n.outputs) {
      const t = g.values[o]!.type;
      if (numel(t.shape) === 0) at('SAC013', `output ${quoted(g.values[o]!.name)} has shape [${t.shape.join(', ')}], 0 elements (e.g. 0 output channels)`, atNode(n.name, n.op.kind), undefined, n);
    }
  }
  for (const v of g.values) {
    if (!v.data || v.type.dtype !== 'float32') continue;
    const bad = firstNonFinite(v.data.data);
    if (bad >= 0) at('SAC017', `constant ${quoted(v.name)} holds ${v.data.data[bad]} at flat index ${bad}${consumer.has(v.id) ? `, used by node ${quoted(consumer.get(v.id)!)}` : ''}`, `tensor ${quoted(v.name)}`);
  }
  for (const o of g.outputs) {
    if (g.values[o]!.data) at('SAC052', `graph output ${quoted(g.values[o]!.name)} is a constant`, undefined, 'a compiled network computes its outputs from its inputs; drop the constant output from the model');
  }
  if (g.inputs.length === 0) at('SAC022', 'the model has no inputs', undefined, 'a compiled network needs at least one graph input');
  return out;
}

/** A model compile can convert (compilableFindings): throws the first finding, carrying all of them. */
export function checkCompilable(g: Graph): void {
  ShiftaddcError.throwAll(compilableFindings(g).map((f) => f.error));
}

/**
 * Every node lower-to-shift would refuse in `g` (the graph after PREPARE_PIPELINE), as SAC052 diagnostics naming
 * the node and op, from the same rules lowering applies (passes/lower-rules.ts); [] when every node lowers.
 */
export function lowerableFindings(g: Graph, user: RuleContext['user']): Found[] {
  return loweringBlockers(g, user).map(({ node, why }) => ({ error: new ShiftaddcError('SAC052', why, atNode(node.name, node.op.kind)), node }));
}

/**
 * Everything compile would refuse in a model before touching data, in one pass: compilableFindings, then the
 * data-free rewrites (PREPARE_PIPELINE) and every node lowering would refuse in their result. A rewrite that
 * cannot proceed is one more finding. `prepared` is the rewritten graph (undefined when a rewrite failed).
 */
export function modelFindings(g: Graph, ctx: PassContext, hooks: PipelineHooks = {}): { prepared: Graph | undefined; found: Found[] } {
  const found = compilableFindings(g);
  try {
    const prepared = runPipeline(g, PREPARE_PIPELINE, ctx, hooks);
    found.push(...lowerableFindings(prepared, ctx.user));
    return { prepared, found };
  } catch (e) {
    if (!(e instanceof ShiftaddcError)) throw e;
    if (!found.some((f) => f.error.format() === e.format())) found.push(...e.findings.map((error) => ({ error })));
    return { prepared: undefined, found };
  }
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
