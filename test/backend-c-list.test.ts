// C list weight form (codegen/lists.ts): the byte lists, walked as the C walk does, give every channel's term sum.
import { describe, expect, it } from 'vitest';
import { packLists } from '../src/codegen/lists.js';
import { tensor } from '../src/ir/tensor.js';
import { chance, mulberry32, randInt } from './helpers/prng.js';

/** The C walk (list-kernel.ts) in TS over one window: pages of 256 with x at 0.. and ~x at half.., uint32 sums. */
function walk(bytes: Uint8Array, at: { i: number }, col: Int32Array): number {
  let a = 0;
  const L = bytes[at.i++]!;
  for (let l = 0; l < L; l++) {
    const h = bytes[at.i]!;
    const n = bytes[at.i + 1]!;
    at.i += 2;
    a = (a << (h & 15)) >>> 0;
    for (let k = 0; k < n; k++) a = (a + col[(h >> 4) * 256 + bytes[at.i++]!]!) >>> 0;
  }
  return (a << bytes[at.i++]!) >>> 0;
}

describe('list streams', () => {
  it('walk to bias-free sums of shl(x, sh) per term, mod 2^32, once the ~x constant is added (K = 1..3, paged, long levels)', () => {
    const rng = mulberry32(29);
    for (let trial = 0; trial < 300; trial++) {
      const unit = [1, 3, 9, 25][randInt(rng, 0, 3)]!;
      const C = randInt(rng, 1, trial % 10 === 0 ? 60 : 20);
      const [M, K, B] = [randInt(rng, 1, 4), randInt(rng, 1, 3), randInt(rng, 0, 5)];
      const D = C * unit;
      const zero = trial % 7 === 0 ? 0.05 : 0.4;
      const data = Array.from({ length: M * D * K }, () => (chance(rng, zero) ? 0 : (chance(rng, 0.5) ? -1 : 1) * randInt(rng, 1, 2 ** B)));
      const ls = packLists(tensor('int8', [M, D, K], data), M, D, K, unit);
      // Only very wide channels of many levels run out of 255 sublevels or 16 pages.
      const pages = Math.ceil(D / (D <= 128 ? D : Math.floor(128 / unit) * unit));
      if (!ls) { expect(pages * 2 ** B, `trial ${trial}`).toBeGreaterThan(255); continue; }
      expect(ls.terms).toBe(data.filter((c) => c).length);
      const x = Array.from({ length: D }, () => randInt(rng, -128, 127));
      const col = new Int32Array(ls.pages * 256);
      x.forEach((v, t) => {
        const p = Math.floor(t / ls.tapsPerPage);
        col[p * 256 + t - p * ls.tapsPerPage] = v;
        col[p * 256 + ls.half + t - p * ls.tapsPerPage] = ~v;
      });
      const at = { i: 0 };
      for (let m = 0; m < M; m++) {
        let want = 0;
        for (let t = 0; t < D; t++) for (let k = 0; k < K; k++) {
          const c = data[(m * D + t) * K + k]!;
          if (c) want = (want + (c > 0 ? 1 : -1) * ((x[t]! << (Math.abs(c) - 1)) | 0)) >>> 0;
        }
        expect((walk(ls.bytes, at, col) + (ls.corr[m]! >>> 0)) >>> 0, `trial ${trial} channel ${m}`).toBe(want);
      }
      expect(at.i).toBe(ls.bytes.length);
    }
  });
});
