// The analyses passes share: calibration's float activations and what lowering derived the shift-add graph from.
import { fail } from '../diagnostics.js';
import type { Graph } from '../ir/graph.js';
import { runGraph } from '../ir/interp-float.js';
import { ActivationStore, type Tap } from './activation-store.js';
import type { AnalysisKey } from './context.js';

/**
 * Float activations of every value on the calibration set. calibrate-activations provides them from the run it
 * does anyway; lower-to-shift requires them (computed here when it runs on a graph no calibration run saw).
 */
export const CALIBRATION_ACTIVATIONS: AnalysisKey<ActivationStore> = {
  name: 'calibration-activations',
  compute: (g, ctx) => {
    const calib = ctx.user.calibration ?? fail('SAC042', 'lower-to-shift needs calibration data');
    const store = new ActivationStore();
    runGraph(g, calib, (id, t) => store.record(id, t));
    return store;
  },
};

/** Of a lowered graph: the calibrated float graph it was fitted against and the report's activation taps. */
export interface Lowering {
  readonly floatGraph: Graph;
  readonly taps: ReadonlyMap<string, Tap>;
}

/** Provided by lower-to-shift for the graph it returns (no other way to make it). */
export const LOWERING: AnalysisKey<Lowering> = { name: 'lowering' };
