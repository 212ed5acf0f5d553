// Activations shared by the passes of one compile(), so no pass re-runs inference another pass already ran.
import { compact } from '../ir/batch.js';
import type { Graph, Node } from '../ir/graph.js';
import type { Tensor } from '../ir/tensor.js';

/** Default memory bound for kept float activations: above it lowering recomputes them (the old behaviour). */
const DEFAULT_BUDGET_BYTES = 256 * 2 ** 20;

/** Per-sample float and integer activations of one named value (the report's SQNR inputs). */
export interface Tap {
  float?: Tensor[];
  int?: Tensor[];
}

export class ActivationStore {
  /** Float activations per value id of the calibrated graph, one tensor per calibration sample. */
  private readonly float = new Map<number, Tensor[]>();
  private nodes: readonly Node[] | undefined;
  /** The graph the float activations are valid for (set by seal()); lowering only takes them for it. */
  private sealed: Graph | undefined;
  private bytes = 0;
  private overBudget = false;
  /** Shift-layer outputs on the first `tapSamples` samples, by value name (filled during lowering). */
  readonly taps = new Map<string, Tap>();

  constructor(readonly tapSamples: number, private readonly budgetBytes = DEFAULT_BUDGET_BYTES) {}

  /** Records one sample's output of a node of `g` (calibration's observer); drops everything once over budget. */
  record(g: Graph, id: number, t: Tensor): void {
    if (this.overBudget) return;
    if (this.nodes !== g.nodes) { this.float.clear(); this.bytes = 0; this.nodes = g.nodes; }
    this.bytes += t.data.byteLength;
    if (this.bytes > this.budgetBytes) { this.overBudget = true; this.float.clear(); return; }
    let list = this.float.get(id);
    if (!list) { list = []; this.float.set(id, list); }
    list.push(t);
  }

  /**
   * Declares the recorded run to be that of `g` (the graph calibration returned: same nodes, values
   * annotated). A graph any later pass rebuilds is a different object, so lowering then recomputes.
   */
  seal(g: Graph): void {
    this.sealed = g.nodes === this.nodes ? g : undefined;
  }

  /**
   * Hands over the recorded samples of value `id` of the sealed graph, if all `samples` are there, and forgets
   * them unless `keep` (a probe lowering that a final lowering of the same graph follows).
   */
  take(g: Graph, id: number, samples: number, keep = false): Tensor[] | undefined {
    if (this.overBudget || this.sealed !== g) return undefined;
    const list = this.float.get(id);
    if (!keep) this.float.delete(id);
    return list && list.length === samples ? list : undefined;
  }

  /**
   * Keeps the first `tapSamples` samples of a value for the report. Float ones are compacted (they may be views
   * of the whole batch, which lowering frees after its last use); integer ones live until lowering ends anyway.
   */
  tap(name: string, kind: keyof Tap, perSample: readonly Tensor[]): void {
    const t = this.taps.get(name) ?? {};
    const first = perSample.slice(0, this.tapSamples);
    t[kind] = kind === 'float' ? compact(first) : first;
    this.taps.set(name, t);
  }
}
