// Accuracy evaluation: float vs shift-add top-1 on labelled data, agreement, and per-layer SQNR.
import { runFloat } from './api.js';
import type { IntegerRunner } from './backends/contract.js';
import type { CompileResult } from './compile.js';
import { fail } from './diagnostics.js';
import type { Graph } from './ir/graph.js';
import { dequantizeOutput, quantizeInput, runInteger } from './ir/interp-int.js';
import type { Tensor } from './ir/tensor.js';

export interface EvalResult {
  samples: number;
  /** The prepared float model the shift-add network was converted from (pruned, if pruning was asked for). */
  float: { top1: number };
  shift: { top1: number };
  /** Shift-add top-1 drop against `float`. */
  drop: number;
  /**
   * When pruning changed the float model: the original model's top-1 and the shift-add drop against it, so the
   * accuracy pruning cost is not hidden behind a drop measured against the pruned model.
   */
  original?: { top1: number; drop: number };
  agreement: number;
  layers: { name: string; op: string; sqnrDb: number | null; termsPerWeight: number }[];
}

function argmax(d: ArrayLike<number>, from: number, n: number): number {
  let best = 0;
  for (let j = 1; j < n; j++) if (d[from + j]! > d[from + best]!) best = j;
  return best;
}

export type { IntegerRunner };

/** Float32 logits of the shift-add model (inputs quantised, outputs dequantised as docs/numerics.md says). */
export function runShift(c: CompileResult, inputs: readonly Tensor[], run: IntegerRunner = runInteger): Tensor[] {
  const q = inputs.map((t, k) => quantizeInput(t.dtype === 'float32' ? t : { dtype: 'float32', shape: t.shape, data: Float32Array.from(t.data as ArrayLike<number>) }, c.report.inputFrac[k]!, (c.report.options.actBits as 8 | 16) ?? 8));
  return run(c.graph, q).map((t, k) => dequantizeOutput(t, c.report.outputFrac[k]!));
}

/** Labels are one class index per sample: shape [n] (or [n, 1]), integers in [0, classes). Checked before any work. */
export function checkLabels(labels: Tensor, n: number, classes: number): void {
  const s = labels.shape;
  if (!(s.length === 1 || (s.length === 2 && s[1] === 1)) || s[0] !== n) fail('SAC024', `labels have shape [${s.join(', ')}], expected [${n}] (one per sample)`);
  const d = labels.data;
  for (let i = 0; i < d.length; i++) {
    const y = d[i]!;
    if (!Number.isInteger(y) || y < 0 || y >= classes) fail('SAC024', `label ${i} is ${y}; labels must be integers in [0, ${classes})`);
  }
}

function top1(logits: Tensor, labels: Tensor, n: number): number {
  const classes = logits.data.length / n;
  let ok = 0;
  for (let i = 0; i < n; i++) if (argmax(logits.data, i * classes, classes) === labels.data[i]) ok++;
  return ok / n;
}

/**
 * `run` computes the shift-add logits (default: the integer interpreter). `original` is the model as loaded: with
 * --prune, --prune-channels or --mode shiftadd its top-1 is measured too (`EvalResult.original`).
 */
export function evaluate(c: CompileResult, data: Tensor, labels: Tensor, run: IntegerRunner = runInteger, original?: Graph): EvalResult {
  const n = data.shape[0] ?? fail('SAC021', 'data has no sample dimension');
  const out = c.floatGraph.values[c.floatGraph.outputs[0]!]!.type.shape;
  checkLabels(labels, n, out.slice(1).reduce((a, b) => a * b, 1));
  const [fl] = runFloat(c.floatGraph, [data]);
  const [sh] = runShift(c, [data], run);
  const classes = fl!.data.length / n;
  let fOk = 0;
  let sOk = 0;
  let agree = 0;
  for (let i = 0; i < n; i++) {
    const a = argmax(fl!.data, i * classes, classes);
    const b = argmax(sh!.data, i * classes, classes);
    const y = labels.data[i]!;
    if (a === y) fOk++;
    if (b === y) sOk++;
    if (a === b) agree++;
  }
  // Pruning and pair mode change the float model itself: the model as given is measured too.
  const changed = Boolean(c.report.options.prune) || Boolean(c.report.options.pruneChannels) || c.report.options.mode === 'shiftadd';
  const orig = original && changed ? top1(runFloat(original, [data])[0]!, labels, n) : undefined;
  return {
    samples: n,
    float: { top1: fOk / n },
    shift: { top1: sOk / n },
    drop: (fOk - sOk) / n,
    ...(orig === undefined ? {} : { original: { top1: orig, drop: orig - sOk / n } }),
    agreement: agree / n,
    layers: c.report.layers.map((l) => ({ name: l.name, op: l.op, sqnrDb: l.sqnrDb, termsPerWeight: l.termsPerWeight })),
  };
}
