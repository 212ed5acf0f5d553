// Shared helpers for kernel tests: run one op, compare numbers, random inputs, expect a diagnostic code.
import { expect } from 'vitest';
import { ShiftaddcError } from '../../src/diagnostics.js';
import { runOp } from '../../src/ir/graph.js';
import type { Op } from '../../src/ir/registry.js';
import { floatTensor, type Tensor } from '../../src/ir/tensor.js';
import { mulberry32 } from './prng.js';

/** First output of one op's reference kernel. */
export function run1(op: Op, ...inputs: (Tensor | undefined)[]): Tensor {
  return runOp(op, inputs)[0]!;
}

/** Element-wise toBeCloseTo with a length check. */
export function close(t: Tensor, want: ArrayLike<number>, digits = 5): void {
  expect(t.data.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) expect(t.data[i]).toBeCloseTo(want[i]!, digits);
}

/** Seeded float tensor on a 1/8 grid in [-2, 2), so sums are exact in float32. */
export function rand(shape: number[], seed: number): Tensor {
  const rng = mulberry32(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return floatTensor(shape, Array.from({ length: n }, () => Math.round((rng() * 4 - 2) * 8) / 8));
}

/** `fn` must throw a ShiftaddcError with exactly this code. */
export function expectDiag(fn: () => unknown, code: string): void {
  try { fn(); } catch (e) { expect(e).toBeInstanceOf(ShiftaddcError); expect((e as ShiftaddcError).code).toBe(code); return; }
  throw new Error(`expected ${code}`);
}
