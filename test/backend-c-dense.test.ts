// C backend weight forms: dense slot filling keeps every weight's value, the dense bit layout, code-layer choice.
import { describe, expect, it } from 'vitest';
import { denseChannelWords, fillSlots, packDense } from '../src/codegen/dense.js';
import { emitC } from '../src/backends/c/emit.js';
import { compileCase, geometryCnn } from './backend-c-models.js';
import { tensor } from '../src/ir/tensor.js';
import { chance, mulberry32, randInt } from './helpers/prng.js';

/** The weight a list of codes stands for: sum of sign * 2^sh (exact in doubles for sh <= 31). */
const value = (cs: readonly number[]): number => cs.reduce((p, c) => p + Math.sign(c) * 2 ** (Math.abs(c) - 1), 0);

describe('dense weight streams', () => {
  it('fillSlots gives exactly K terms of the same value, or null when impossible', () => {
    const rng = mulberry32(5);
    for (let i = 0; i < 4000; i++) {
      const K = randInt(rng, 1, 4);
      const B = randInt(rng, 0, 5);
      const codes = Array.from({ length: K }, () => (chance(rng, 0.3) ? 0 : (chance(rng, 0.5) ? -1 : 1) * randInt(rng, 1, 2 ** B)));
      const f = fillSlots(codes, 0, K, B);
      if (!f) {
        const empty = codes.filter((c) => c === 0).length;
        expect(K === 1 || B === 0 || (empty === K && K === 1), `${codes} K=${K} B=${B}`).toBe(true);
        continue;
      }
      expect(f).toHaveLength(K);
      expect(value(f)).toBe(value(codes));
      for (const c of f) expect(c !== 0 && Math.abs(c) - 1 <= 2 ** B - 1).toBe(true);
    }
  });

  it('packDense stores (neg << B | sh) fields MSB first, each channel starting on a uint16 word', () => {
    const rng = mulberry32(9);
    const [M, D, K, B] = [3, 7, 2, 4];
    const data = Array.from({ length: M * D * K }, () => (chance(rng, 0.5) ? -1 : 1) * randInt(rng, 1, 16));
    const packed = packDense(tensor('int8', [M, D, K], data), M, D, K, B)!;
    const CW = denseChannelWords(D, K, 1 + B);
    expect(packed.words).toHaveLength(M * CW);
    const bit = (i: number) => (packed.words[i >> 4]! >> (15 - (i & 15))) & 1;
    for (let m = 0; m < M; m++) {
      for (let j = 0; j < D * K; j++) {
        let field = 0;
        for (let b = 0; b < 1 + B; b++) field = (field << 1) | bit(m * CW * 16 + j * (1 + B) + b);
        const c = data[m * D * K + j]!;
        expect(field).toBe((c < 0 ? 16 : 0) | (Math.abs(c) - 1));
      }
    }
  });
});

describe('K = 1 zero marker', () => {
  it('marks termless weights with a field value no term uses, and gives up when all 2^(1 + B) are used', () => {
    const [M, D, B] = [2, 5, 2];
    const data = [3, 0, -1, 4, 0, -4, 2, 0, 1, -2];
    const packed = packDense(tensor('int8', [M, D, 1], data), M, D, 1, B)!;
    // Fields are neg << 2 | sh: used {2, 4, 3, 7, 1, 0, 5}; the first free negative field is 6 (-2^2).
    expect(packed.zero).toBe(6);
    const CW = denseChannelWords(D, 1, 1 + B);
    const bit = (i: number) => (packed.words[i >> 4]! >> (15 - (i & 15))) & 1;
    data.forEach((c, i) => {
      const m = Math.floor(i / D);
      let field = 0;
      for (let b = 0; b < 1 + B; b++) field = (field << 1) | bit(m * CW * 16 + (i % D) * (1 + B) + b);
      expect(field).toBe(c === 0 ? 6 : (c < 0 ? 4 : 0) | (Math.abs(c) - 1));
    });
    const full = [1, 2, 3, 4, -1, -2, -3, -4, 0];
    expect(packDense(tensor('int8', [1, 9, 1], full), 1, 9, 1, B)).toBeNull();
    expect(packDense(tensor('int8', [1, 2, 1], [1, -3]), 1, 2, 1, B)!.zero).toBeUndefined();
  });
});

describe('weight forms', () => {
  it('auto puts the convolutions of many outputs per code byte in code within the budget, other convolutions in lists, Gemm in data; data, code and list force one form', () => {
    const { graph } = compileCase('g', geometryCnn(3));
    const forms = (o: Parameters<typeof emitC>[1]) => emitC(graph, o).flash.layers.map((l) => `${l.op}:${l.form}`);
    const auto = forms({ name: 'g' });
    expect(auto.filter((f) => f.startsWith('ShiftGemm')).every((f) => f === 'ShiftGemm:dense' || f === 'ShiftGemm:sparse')).toBe(true);
    expect(auto.filter((f) => f.startsWith('ShiftConv')).every((f) => f === 'ShiftConv:code' || f === 'ShiftConv:list')).toBe(true);
    expect(auto).toContain('ShiftConv:list');
    const noCode = forms({ name: 'g', codeBytes: 0 });
    expect(noCode.filter((f) => f.startsWith('ShiftConv')).every((f) => f === 'ShiftConv:list')).toBe(true);
    expect(forms({ name: 'g', weights: 'list' })).toEqual(noCode);
    expect(forms({ name: 'g', weights: 'data' }).some((f) => f.endsWith(':code'))).toBe(false);
    expect(forms({ name: 'g', weights: 'code' }).every((f) => f.endsWith(':code'))).toBe(true);
  });
});
