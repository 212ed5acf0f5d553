// The pass contract and its context: user options, per-pass settings, the analysis cache and progress, kept apart.
import { fail } from '../diagnostics.js';
import type { Graph } from '../ir/graph.js';
import type { Tensor } from '../ir/tensor.js';
import type { TermCurve } from './allocate-terms.js';

/** The conversion options a user gives (the CLI's compile/run/eval flags map onto these); all optional. */
export interface ConversionOptions {
  /** Calibration inputs (leading dim = samples), required from calibrate-activations on. */
  calibration?: readonly Tensor[];
  /** Max power-of-two terms per weight (1..4). */
  terms?: number;
  /** Bits of the per-channel exponent window (window holds 2^B exponents). */
  shiftBits?: number;
  /** Activation width: 8 or 16. */
  actBits?: 8 | 16;
  /** Average term budget per weight (overrides `terms` as the per-layer maximum if set). */
  avgTerms?: number;
  /** Global magnitude sparsity 0..1. */
  prune?: number;
  /** Structured channel pruning ratio 0..1. */
  pruneChannels?: number;
  /** Label-free recovery (exponent search, bias correction, error-aware rounding); default on. */
  recover?: boolean;
  /** Per-channel shift-add gain fitted by recovery (docs/numerics.md); default on. */
  channelGain?: boolean;
  /** Per-channel activation fracs where every consumer absorbs them (docs/numerics.md); default on. */
  channelFracs?: boolean;
  /** 'shift' (default): shift-add layers; 'shiftadd': ShiftAddNet pairs, a shift conv then an adder conv per Conv (pair-convs). */
  mode?: 'shift' | 'shiftadd';
  /** Pair mode: pair the stem and classifier convolutions too (default off, as ShiftAddNet keeps them). */
  pairAll?: boolean;
}

/** Defaults of the options the report shows (one place; the CLI shows the same values). */
export const DEFAULT_OPTIONS = { terms: 2, shiftBits: 4, actBits: 8 as 8 | 16, recover: true, channelGain: true } as const;

/** The user's options with every default filled in (what passes read). */
export type UserOptions = Readonly<Required<Omit<ConversionOptions, 'calibration' | 'avgTerms'>> & Pick<ConversionOptions, 'calibration' | 'avgTerms'>>;

/** Drops the keys whose value is `undefined`, so an explicitly undefined option takes its default. */
export function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Rejects out-of-range options (SAC040, named by their CLI flags). */
function validate(o: Partial<ConversionOptions>): void {
  const bad = (what: string) => fail('SAC040', what);
  if (o.terms !== undefined && !(Number.isInteger(o.terms) && o.terms >= 1 && o.terms <= 4)) bad(`--terms must be 1..4 (got ${o.terms})`);
  if (o.shiftBits !== undefined && !(Number.isInteger(o.shiftBits) && o.shiftBits >= 1 && o.shiftBits <= 5)) bad(`--shift-bits must be 1..5 (got ${o.shiftBits})`);
  if (o.actBits !== undefined && o.actBits !== 8 && o.actBits !== 16) bad(`--act-bits must be 8 or 16 (got ${o.actBits})`);
  if (o.avgTerms !== undefined && !(o.avgTerms >= 0.25 && o.avgTerms <= 4)) bad(`--avg-terms must be in [0.25, 4] (got ${o.avgTerms})`);
  if (o.avgTerms !== undefined && o.recover === false) bad('--avg-terms needs recovery (it allocates terms by output error); drop --no-recover');
  if (o.mode !== undefined && o.mode !== 'shift' && o.mode !== 'shiftadd') bad(`--mode must be shift or shiftadd (got ${String(o.mode)})`);
  if (o.pairAll && o.mode !== 'shiftadd') bad('--pair-all needs --mode shiftadd');
  if (o.prune !== undefined && !(o.prune >= 0 && o.prune < 1)) bad(`--prune must be in [0, 1) (got ${o.prune})`);
  if (o.pruneChannels !== undefined && !(o.pruneChannels >= 0 && o.pruneChannels < 1)) bad(`--prune-channels must be in [0, 1) (got ${o.pruneChannels})`);
}

/** The validated options with defaults (an explicitly `undefined` option takes its default). */
export function userOptions(o: ConversionOptions): UserOptions {
  const d = definedOnly(o);
  validate(d);
  return {
    ...DEFAULT_OPTIONS, prune: 0, pruneChannels: 0, channelFracs: true, mode: 'shift', pairAll: false,
    ...(d.calibration ? { calibration: d.calibration } : {}),
    ...(d.avgTerms !== undefined ? { avgTerms: d.avgTerms } : {}),
    ...pick(d, ['terms', 'shiftBits', 'actBits', 'prune', 'pruneChannels', 'recover', 'channelGain', 'channelFracs', 'mode', 'pairAll']),
  };
}

function pick<T extends object, K extends keyof T>(o: T, keys: readonly K[]): Pick<T, K> {
  return Object.fromEntries(keys.filter((k) => k in o).map((k) => [k, o[k]])) as Pick<T, K>;
}

/** Internal per-pass settings (never user options): how one pass is run inside another's loop. */
export interface PassSettings {
  /** lower-to-shift: per weight-layer term budgets of the final lowering (allocate-terms), by node name. */
  readonly termBudgets?: ReadonlyMap<string, number>;
  /** lower-to-shift: receives each layer's error-vs-terms curve (allocate-terms' probe lowering). */
  readonly termProbe?: (curve: TermCurve) => void;
  /** lower-to-shift: keep the shift-layer activations of the first N samples for the report (omitted: none). */
  readonly tapSamples?: number;
}

/**
 * Progress callback (the CLI draws it on a TTY; the library never prints). `node` names the node being worked
 * on where the stage does not (lowering), so that an out-of-memory report can name the layer.
 */
export type Progress = (stage: string, done: number, total: number, node?: string) => void;

/**
 * A typed analysis: a fact about one graph that passes share instead of recomputing. `compute` builds it for a
 * pass that requires it when no earlier pass provided it for the same graph.
 */
export interface AnalysisKey<T> {
  readonly name: string;
  /** Omitted: only the pass that provides it can make it (requiring it without that pass is an error). */
  readonly compute?: (g: Graph, ctx: PassContext) => T;
}

/**
 * Analyses of one pipeline run, each bound to the graph it describes. A pass provides an analysis of the graph
 * it returns; the runner binds it (seal) and drops every analysis of a graph a pass replaced (invalidate).
 */
export class AnalysisCache {
  private readonly bound = new Map<string, { graph: Graph; value: unknown }>();
  private readonly pending = new Map<string, unknown>();

  /** The analysis of `g`, if one is cached for exactly that graph. */
  get<T>(key: AnalysisKey<T>, g: Graph): T | undefined {
    const e = this.bound.get(key.name);
    return e && e.graph === g ? (e.value as T) : undefined;
  }

  /** The cached analysis of `g`, computed (and cached) if absent. */
  require<T>(key: AnalysisKey<T>, g: Graph, ctx: PassContext): T {
    const hit = this.get(key, g);
    if (hit !== undefined) return hit;
    if (!key.compute) throw new Error(`analysis '${key.name}' is required but no earlier pass provided it`);
    const value = key.compute(g, ctx);
    this.bound.set(key.name, { graph: g, value });
    return value;
  }

  /** Called by a pass: `value` describes the graph the pass is about to return. */
  provide<T>(key: AnalysisKey<T>, value: T): void {
    this.pending.set(key.name, value);
  }

  /**
   * Runner: the pass returned `after`. Analyses of other graphs are dropped (a rebuilt graph invalidates them;
   * a pass returning its input keeps them), and the ones the pass provided are bound to `after`. A pass may
   * only provide what it declares.
   */
  seal(pass: Pass, after: Graph): void {
    for (const [name, e] of this.bound) if (e.graph !== after) this.bound.delete(name);
    for (const [name, value] of this.pending) {
      if (!pass.provides?.some((k) => k.name === name)) throw new Error(`pass '${pass.name}' provided undeclared analysis '${name}'`);
      this.bound.set(name, { graph: after, value });
    }
    this.pending.clear();
  }
}

/** What every pass receives; passes keep no state of their own between runs. */
export interface PassContext {
  readonly user: UserOptions;
  readonly pass: PassSettings;
  readonly analyses: AnalysisCache;
  readonly progress?: Progress;
  /**
   * Semantic changes passes made to the model (a dropped trailing Softmax, ...), one sentence each, in pipeline
   * order: compile() puts them in the report, so nothing the compiler changes goes unsaid.
   */
  readonly changes: string[];
}

/** A named (verb-noun) graph-to-graph rewrite and the analyses it provides and requires. */
export interface Pass {
  readonly name: string;
  readonly run: (g: Graph, ctx: PassContext) => Graph;
  /** Analyses of its output graph the pass provides (the runner binds them to that graph). */
  readonly provides?: readonly AnalysisKey<unknown>[];
  /** Analyses of its input graph the pass reads (the runner computes them when no pass provided them). */
  readonly requires?: readonly AnalysisKey<unknown>[];
}

/** A fresh context (its own empty analysis cache) for one pipeline run. */
export function passContext(options: ConversionOptions, pass: PassSettings = {}, progress?: Progress): PassContext {
  return { user: userOptions(options), pass, analyses: new AnalysisCache(), changes: [], ...(progress ? { progress } : {}) };
}
