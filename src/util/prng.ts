// Small seeded PRNG (mulberry32): reproducible sampling for recovery passes, fuzzing and tests alike.

/** mulberry32: a uniform [0, 1) stream fixed by its seed, so any run or fuzz case can be replayed. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
