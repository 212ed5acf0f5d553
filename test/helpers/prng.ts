// Seeded PRNG for property-style tests (mulberry32): same seed, same sequence, on every platform.

export type Rng = () => number;

/** Uniform floats in [0, 1) from a 32-bit seed (the same generator the fuzz harness replays seeds with). */
export { mulberry32 } from '../../src/util/prng.js';

/** Integer in [lo, hi] inclusive. */
export function randInt(rng: Rng, lo: number, hi: number): number {
  return lo + Math.floor(rng() * (hi - lo + 1));
}

export function pick<T>(rng: Rng, items: readonly T[]): T {
  if (items.length === 0) throw new Error('pick from an empty list');
  return items[Math.floor(rng() * items.length)]!;
}

/** True with probability p. */
export function chance(rng: Rng, p: number): boolean {
  return rng() < p;
}
