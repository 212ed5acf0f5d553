// Resource limits applied to declared sizes before anything is allocated (docs/limits.md; overridable per load),
// shared by the model and .npy readers.
import { fail } from '../diagnostics.js';

export interface Limits {
  /** Largest tensor (elements) a model may declare, fold or produce per sample: 2^27 float32 = 512 MiB. */
  maxElements: number;
  /**
   * Elements all constant-folded tensors of one model may hold together (a fold chain cannot multiply memory);
   * 2^28 (1 GiB of float32): light/vgg19's weights, materialised by ConstantOfShape, hold 139.6M.
   */
  maxFoldedElements: number;
  /** Largest file read (model, external data, .npy), checked with stat before reading. */
  maxFileBytes: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = {
  maxElements: 2 ** 27,
  maxFoldedElements: 2 ** 28,
  maxFileBytes: 2 ** 31 - 1,
};

/** Largest tensor accepted when no limits are passed. */
export const MAX_ELEMENTS = DEFAULT_LIMITS.maxElements;
/** Largest single dimension accepted from a model. */
export const MAX_DIM = 2 ** 31 - 1;

/** Defaults completed by the overrides; an override must be a positive integer. */
export function resolveLimits(over: Partial<Limits> = {}): Limits {
  const out = { ...DEFAULT_LIMITS };
  for (const k of Object.keys(DEFAULT_LIMITS) as (keyof Limits)[]) {
    const v = over[k];
    if (v === undefined) continue;
    if (!Number.isSafeInteger(v) || v <= 0) fail('SAC040', `limits.${k} must be a positive integer (got ${v})`);
    out[k] = v;
  }
  return out;
}
