// Activations shared by the passes of one compile(), so no pass re-runs inference another pass already ran.
import { compact } from '../ir/batch.js';
import type { Tensor } from '../ir/tensor.js';

/** Default memory bound for kept float activations: above it lowering recomputes them (the old behaviour). */
const DEFAULT_BUDGET_BYTES = 256 * 2 ** 20;

/** Per-sample float and integer activations of one named value (the report's SQNR inputs). */
export interface Tap {
  float?: Tensor[];
  int?: Tensor[];
}

/**
 * Float activations of one graph's calibration run, by value id, one tensor per calibration sample (the
 * analysis calibrate-activations provides). Which graph they belong to is the analysis cache's business.
 */
export class ActivationStore {
  private readonly float = new Map<number, Tensor[]>();
  private bytes = 0;
  private overBudget = false;

  constructor(private readonly budgetBytes = DEFAULT_BUDGET_BYTES) {}

  /** Records one sample's output of value `id` (calibration's observer); drops everything once over budget. */
  record(id: number, t: Tensor): void {
    if (this.overBudget) return;
    this.bytes += t.data.byteLength;
    if (this.bytes > this.budgetBytes) { this.overBudget = true; this.float.clear(); return; }
    let list = this.float.get(id);
    if (!list) { list = []; this.float.set(id, list); }
    list.push(t);
  }

  /**
   * Hands over the recorded samples of value `id`, if all `samples` are there, and forgets them unless `keep`
   * (a probe lowering that a final lowering of the same graph follows).
   */
  take(id: number, samples: number, keep = false): Tensor[] | undefined {
    if (this.overBudget) return undefined;
    const list = this.float.get(id);
    if (!keep) this.float.delete(id);
    return list && list.length === samples ? list : undefined;
  }
}

/** Shift-layer outputs and their float references on the first `samples` samples, by value name (the report's). */
export class ReportTaps {
  readonly taps = new Map<string, Tap>();

  constructor(readonly samples: number) {}

  /**
   * Keeps the first `samples` samples of a value. Float ones are compacted (they may be views of the whole
   * batch, which lowering frees after its last use); integer ones live until lowering ends anyway.
   */
  tap(name: string, kind: keyof Tap, perSample: readonly Tensor[]): void {
    const t = this.taps.get(name) ?? {};
    const first = perSample.slice(0, this.samples);
    t[kind] = kind === 'float' ? compact(first) : first;
    this.taps.set(name, t);
  }
}
