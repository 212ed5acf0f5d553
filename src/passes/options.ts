// Options shared by the conversion passes (the CLI's compile/run/eval flags map onto these).
import type { Tensor } from '../ir/tensor.js';
import type { TermCurve } from './allocate-terms.js';
import type { ActivationStore } from './activation-store.js';

export interface PassOptions {
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
  /** Internal (allocate-terms): per weight-layer term budgets of the final lowering, by node name. */
  termBudgets?: ReadonlyMap<string, number>;
  /** Internal (allocate-terms): receives each layer's error-vs-terms curve during the probe lowering. */
  termProbe?: (curve: TermCurve) => void;
  /** Progress callback (the CLI draws it on a TTY; the library never prints). */
  onProgress?: (stage: string, done: number, total: number) => void;
  /** Set by compile(): calibration records float activations here, lowering reuses them and taps the report's. */
  activations?: ActivationStore;
}

/** Defaults of the conversion options (one place; the CLI shows the same values). */
export const DEFAULT_OPTIONS = { terms: 2, shiftBits: 4, actBits: 8 as 8 | 16, recover: true, channelGain: true } as const;

/** Options with defaults filled in; an explicitly `undefined` option also takes its default. */
export function withDefaults(options: PassOptions): PassOptions & { terms: number; shiftBits: number; actBits: 8 | 16; recover: boolean; channelGain: boolean } {
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as PassOptions;
  return { ...DEFAULT_OPTIONS, ...defined };
}
