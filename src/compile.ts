// compile(): the conversion pipeline from a float model to the verified integer shift-add graph plus its report.
import { loadModel } from './api.js';
import { fail } from './diagnostics.js';
import type { Graph } from './ir/graph.js';
import { assertLowered } from './ir/interp-int.js';
import { checkAccumulators } from './ir/overflow.js';
import { printGraph } from './ir/printer.js';
import type { Tensor } from './ir/tensor.js';
import { verifyGraph } from './ir/verify.js';
import { lowerToShift } from './passes/lower-to-shift.js';
import { MAX_RECOVER_D } from './passes/recover.js';
import { withDefaults, type PassOptions } from './passes/options.js';
import { checkPassName, PREPARE_PIPELINE, runPipeline, type Pass } from './passes/pipeline.js';
import { buildReport, REPORT_SAMPLES, type CompileReport } from './report.js';
import { ActivationStore } from './passes/activation-store.js';
import { checkCalibration, checkCompilable } from './compile-checks.js';
import type { Limits } from './frontend/limits.js';
import { outOfMemoryAt } from './ir/interp-float.js';

/** The full pipeline, visible in one place (`--print-ir-after` accepts these names). */
export const SHIFT_PIPELINE: readonly Pass[] = [
  ...PREPARE_PIPELINE,
  { name: 'lower-to-shift', run: lowerToShift },
];

export interface CompileOptions extends PassOptions {
  verifyEach?: boolean;
  /** Pass name after which `onIr` receives the printed IR. */
  printIrAfter?: string;
  onIr?: (pass: string, text: string) => void;
  /** Size limits for loading a model given as bytes or a path (docs/limits.md). */
  limits?: Partial<Limits>;
}

export interface CompileResult {
  /** The lowered integer graph (the specification every backend reproduces). */
  graph: Graph;
  /** The prepared float graph it was derived from (canonicalised, BN folded, calibrated). */
  floatGraph: Graph;
  report: CompileReport;
}

function validate(o: CompileOptions): void {
  const bad = (what: string) => fail('SAC040', what);
  if (o.terms !== undefined && !(Number.isInteger(o.terms) && o.terms >= 1 && o.terms <= 4)) bad(`--terms must be 1..4 (got ${o.terms})`);
  if (o.shiftBits !== undefined && !(Number.isInteger(o.shiftBits) && o.shiftBits >= 1 && o.shiftBits <= 5)) bad(`--shift-bits must be 1..5 (got ${o.shiftBits})`);
  if (o.actBits !== undefined && o.actBits !== 8 && o.actBits !== 16) bad(`--act-bits must be 8 or 16 (got ${o.actBits})`);
  // Accepted by the CLI already; rejected until their passes land rather than silently ignored.
  if (o.avgTerms !== undefined && !(o.avgTerms >= 0.25 && o.avgTerms <= 4)) bad(`--avg-terms must be in [0.25, 4] (got ${o.avgTerms})`);
  if (o.avgTerms !== undefined && o.recover === false) bad('--avg-terms needs recovery (it allocates terms by output error); drop --no-recover');
  if (o.prune !== undefined && !(o.prune >= 0 && o.prune < 1)) bad(`--prune must be in [0, 1) (got ${o.prune})`);
  if (o.pruneChannels !== undefined && !(o.pruneChannels >= 0 && o.pruneChannels < 1)) bad(`--prune-channels must be in [0, 1) (got ${o.pruneChannels})`);
  if (o.printIrAfter) checkPassName(o.printIrAfter, SHIFT_PIPELINE);
  if (!o.calibration || o.calibration.length === 0) fail('SAC042', 'no calibration data given');
}

/** Layers too wide for recovery's memory bound were rounded without it: the report says which. */
function wideLayerNotes(g: Graph, o: CompileOptions): string[] {
  if (o.recover === false) return [];
  return g.nodes.filter((n) => n.op.kind === 'ShiftConv' || n.op.kind === 'ShiftGemm').flatMap((n) => {
    const codes = g.values[n.inputs[1]!]!.type.shape;
    const D = codes.slice(1, -1).reduce((a, b) => a * b, 1);
    return D > MAX_RECOVER_D ? [`${n.name}: ${D} weights per output exceed recovery's bound of ${MAX_RECOVER_D}; rounded without recovery`] : [];
  });
}

export function compile(model: Graph | Uint8Array | string, options: CompileOptions): CompileResult {
  validate(options);
  const t0 = performance.now();
  const source = typeof model === 'string' || model instanceof Uint8Array ? loadModel(model, options.limits ? { limits: options.limits } : {}) : model;
  const calibration = options.calibration as Tensor[];
  checkCompilable(source);
  checkCalibration(source, calibration, options.limits?.maxElements);
  let floatGraph = source;
  let lastPass = 'the start';
  // Calibration's float activations feed lowering, lowering's shift-layer outputs feed the report.
  const activations = new ActivationStore(REPORT_SAMPLES / source.values[source.inputs[0]!]!.type.shape[0]!);
  // An allocation failure in a pass (one not inside a node's run) is named by the pass it happened after.
  const graph = outOfMemoryAt(() => `the pass after ${lastPass}`, () => runPipeline(source, SHIFT_PIPELINE, { ...options, activations }, {
    verifyEach: options.verifyEach,
    after: (pass, g) => {
      lastPass = pass;
      if (pass === 'calibrate-activations') { floatGraph = g; activations.seal(g); }
      if (pass === options.printIrAfter) options.onIr?.(pass, printGraph(g));
    },
  }));
  verifyGraph(graph, 'lower-to-shift');
  assertLowered(graph);
  checkAccumulators(graph);
  const seconds = (performance.now() - t0) / 1000;
  const { calibration: _c, onProgress: _p, onIr: _i, activations: _a, limits: _l, ...shown } = options;
  const report = buildReport(floatGraph, graph, calibration, { ...withDefaults(shown) }, wideLayerNotes(graph, options), seconds, activations.taps);
  return { graph, floatGraph, report };
}
