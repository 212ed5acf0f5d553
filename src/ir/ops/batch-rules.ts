// Shared OpDef.batch rules: when running once on samples stacked along dim 0 equals running sample by sample.
import type { TensorType } from '../tensor.js';

type Types = readonly (TensorType | undefined)[];

/**
 * Input 0 is the only per-sample input and the kernel treats its dim 0 as independent rows (elementwise ops,
 * pools, convolutions, dense layers): stacking just adds rows, each computed as before. Other inputs are weights.
 */
export function firstStacked(_attrs: object, _inputs: Types, stacked: readonly boolean[]): boolean {
  return stacked.every((s, k) => s === (k === 0));
}

/**
 * Elementwise with numpy broadcasting: stacking keeps every output element's operands when the per-sample
 * inputs all span the output's rank with one dim 0, and the shared ones broadcast along dim 0 (lower rank, or dim 0 of 1).
 */
export function broadcastStacked(_attrs: object, inputs: Types, stacked: readonly boolean[]): boolean {
  const rank = Math.max(...inputs.map((t) => t?.shape.length ?? 0));
  const lead = inputs.find((_, k) => stacked[k])?.shape[0];
  return inputs.every((t, k) => !t || (stacked[k] ? t.shape.length === rank && t.shape[0] === lead : t.shape.length < rank || t.shape[0] === 1));
}
