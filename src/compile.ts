// compile(): the conversion pipeline from a float model to the verified integer shift-add graph plus its report.
import { loadModel } from './api.js';
import { fail, ShiftaddcError } from './diagnostics.js';
import type { Graph } from './ir/graph.js';
import { checkAccumulators } from './ir/overflow.js';
import { printGraph } from './ir/printer.js';
import type { Tensor } from './ir/tensor.js';
import { LOWERING_PASS, verifyGraph } from './ir/verify.js';
import { outOfMemoryAt } from './ir/interp-float.js';
import { LOWERING } from './passes/analyses.js';
import { DEFAULT_OPTIONS, definedOnly, passContext, userOptions, type ConversionOptions, type Progress } from './passes/context.js';
import { checkPassName, PREPARE_PIPELINE, runPipeline, SHIFT_PIPELINE } from './passes/pipeline.js';
import { buildReport, REPORT_SAMPLES, type CompileReport } from './report.js';
import { checkCalibration, modelFindings } from './compile-checks.js';
import { pruneNotes, wideLayerNotes } from './compile-notes.js';
import type { Limits } from './frontend/limits.js';

/** The full pipeline, visible in one place (`--print-ir-after` accepts these names). */
export { SHIFT_PIPELINE };

export interface CompileOptions extends ConversionOptions {
  /** Progress callback (the CLI draws it on a TTY; the library never prints). */
  onProgress?: Progress;
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
  userOptions(o);
  if (o.printIrAfter) checkPassName(o.printIrAfter, SHIFT_PIPELINE);
  if (!o.calibration || o.calibration.length === 0) fail('SAC042', 'no calibration data given');
}

export function compile(model: Graph | Uint8Array | string, options: CompileOptions): CompileResult {
  validate(options);
  const t0 = performance.now();
  const source = typeof model === 'string' || model instanceof Uint8Array ? loadModel(model, options.limits ? { limits: options.limits } : {}) : model;
  const calibration = options.calibration as Tensor[];
  // The report compares the shift layers with their float activations on the first REPORT_SAMPLES samples.
  const tapSamples = REPORT_SAMPLES / source.values[source.inputs[0]!]!.type.shape[0]!;
  const ctx = passContext(options, { tapSamples }, options.onProgress);
  let lastPass = 'the start';
  const hooks = {
    verifyEach: options.verifyEach,
    after: (pass: string, g: Graph) => {
      lastPass = pass;
      if (pass === options.printIrAfter) options.onIr?.(pass, printGraph(g));
    },
  };
  // An allocation failure in a pass (one not inside a node's run) is named by the pass it happened after.
  // Everything the model holds that compile would refuse (every node lowering would refuse too), named at once,
  // before seconds to minutes of calibration and recovery: the same findings as check() / inspect --check.
  const { prepared, found } = outOfMemoryAt(() => `the pass after ${lastPass}`, () => modelFindings(source, ctx, hooks));
  ShiftaddcError.throwAll(found.map((f) => f.error));
  checkCalibration(source, calibration, options.limits?.maxElements);
  const graph = outOfMemoryAt(() => `the pass after ${lastPass}`, () => runPipeline(prepared!, SHIFT_PIPELINE.slice(PREPARE_PIPELINE.length), ctx, hooks));
  // Structure, types and the lowered dialect (ir/lowered.ts): what every backend may rely on.
  verifyGraph(graph, LOWERING_PASS);
  checkAccumulators(graph);
  const seconds = (performance.now() - t0) / 1000;
  const { floatGraph, taps } = ctx.analyses.get(LOWERING, graph) ?? fail('SAC051', 'the pipeline did not end in lower-to-shift');
  const { calibration: _c, onProgress: _p, onIr: _i, limits: _l, ...shown } = options;
  const notes = [...ctx.changes, ...pruneNotes(source, floatGraph, options.pruneChannels), ...wideLayerNotes(graph, options.recover)];
  const report = buildReport(floatGraph, graph, calibration, { ...DEFAULT_OPTIONS, ...definedOnly(shown) }, notes, seconds, taps);
  return { graph, floatGraph, report };
}
