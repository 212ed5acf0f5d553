// Block-diagonal recovery of wide convolutions (src/passes/recover-blocks.ts): block counts, and rounding that beats greedy.
import { describe, expect, it } from 'vitest';
import type { ConvAttrs } from '../src/ir/ops/conv.js';
import { tensor, type Tensor } from '../src/ir/tensor.js';
import { convPatches } from '../src/passes/layer-stats.js';
import { blockCount, blockStats, MAX_BLOCK_D, recoverBlockedRows } from '../src/passes/recover-blocks.js';
import { greedyLogRow, maxExponent } from '../src/passes/shift-layer.js';
import { mulberry32 } from './helpers/prng.js';
import { GraphBuilder } from '../src/ir/graph.js';
import { compile } from '../src/compile.js';
import { runFloat } from '../src/api.js';
import { runShift } from '../src/eval.js';

describe('block-diagonal recovery', () => {
  it('splits whole input channels into the fewest blocks of at most MAX_BLOCK_D taps that divide the channels', () => {
    expect(MAX_BLOCK_D).toBe(576);
    expect(blockCount(64, 9)).toBe(1);
    expect(blockCount(128, 9)).toBe(2);
    expect(blockCount(512, 9)).toBe(8);
    expect(blockCount(96, 9)).toBe(2);
    expect(blockCount(1024, 1)).toBe(2);
    // 7 channels of 100 taps: 2 blocks needed, but only 7 divides 7.
    expect(blockCount(7, 100)).toBe(7);
  });

  it('rounds a 128-channel 3x3 layer (2 blocks) with less output error than greedy log rounding, one exponent per row', () => {
    const rnd = mulberry32(7);
    const C = 128;
    const HW = 6;
    const M = 8;
    const frac = 5;
    // Correlated inputs (a shared component per position), so error-aware rounding has something to exploit.
    const samples = 12;
    const fl: Tensor[] = [];
    const q: Tensor[] = [];
    for (let s = 0; s < samples; s++) {
      const shared = Array.from({ length: HW * HW }, () => rnd() * 2 - 1);
      const f = new Float32Array(C * HW * HW).map((_, i) => Math.max(0, shared[i % (HW * HW)]! + 0.5 * (rnd() - 0.5)));
      fl.push(tensor('float32', [1, C, HW, HW], f));
      q.push(tensor('int8', [1, C, HW, HW], Int8Array.from(f, (v) => Math.min(127, Math.round(v * 2 ** frac)))));
    }
    const a = { kernel: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1], dilations: [1, 1], group: 1 } as unknown as ConvAttrs;
    const D = C * 9;
    const rows = Array.from({ length: M }, () => Float64Array.from({ length: D }, () => (rnd() - 0.5) * 0.1));
    const blocks = blockStats(fl, q, 2 ** -frac, a, 1, 0, blockCount(C, 9), [HW, HW], rows);
    expect(blocks.map((b) => [b.from, b.to])).toEqual([[0, 576], [576, 1152]]);
    const got = recoverBlockedRows(rows, blocks, 2, 3, 0, true, undefined, () => {});
    // Output error on all patch rows (full D, cross-block terms included): ||Xq (g wq) - X w||^2.
    const p = convPatches(fl, q, 2 ** -frac, a, 1, 0, [HW, HW]);
    const err = (wq: Float64Array, w: Float64Array, g: number) => {
      let e = 0;
      for (let r = 0; r < p.P; r++) {
        let s = 0;
        for (let i = 0; i < D; i++) s += g * wq[i]! * p.xq[r * D + i]! - w[i]! * p.xf[r * D + i]!;
        e += s * s;
      }
      return e;
    };
    let greedy = 0;
    let blocked = 0;
    rows.forEach((w, m) => {
      const r = got[m]!;
      expect(r.codes.length).toBe(D * 2);
      // Every code is within the row's one exponent window: |code| - 1 < 2^B.
      for (const c of r.codes) expect(Math.abs(c)).toBeLessThanOrEqual(8);
      greedy += err(greedyLogRow(w, maxExponent(w), 2, 3).wq, w, 1);
      blocked += err(r.wq, w, r.gain?.value ?? 1);
    });
    expect(blocked).toBeLessThan(0.8 * greedy);
  });
});

describe('block-diagonal recovery of a wide Gemm', () => {
  it('a 1152-input Gemm (2 blocks, few samples: lambda by cross-validation) compiles closer to float than without recovery', () => {
    const rnd = mulberry32(11);
    const D = 1152;
    const M = 24;
    const b = new GraphBuilder('wide-gemm', 13);
    const x = b.addValue('x', { dtype: 'float32', shape: [1, D] });
    const w = b.addConst('w', tensor('float32', [M, D], Float32Array.from({ length: M * D }, () => (rnd() - 0.5) * 0.05)));
    const c = b.addConst('c', tensor('float32', [M], Float32Array.from({ length: M }, () => rnd() - 0.5)));
    const [y] = b.addNode('fc', { kind: 'Gemm', attrs: { transA: false, transB: true, alpha: 1, beta: 1 } }, [x, w, c]);
    const g = b.finish([x], [y!]);
    const sample = (n: number) => tensor('float32', [n, D], Float32Array.from({ length: n * D }, (_, i) => Math.max(0, Math.sin(i * 0.37) + rnd() - 0.5)));
    const calib = sample(64);
    const test = sample(32);
    const want = runFloat(g, [test])[0]!.data;
    const notes = new Map<boolean, string[]>();
    const sqnr = (recover: boolean) => {
      const r = compile(g, { calibration: [calib], terms: 1, recover });
      notes.set(recover, r.report.notes);
      const got = runShift(r, [test])[0]!.data;
      let s = 0;
      let e = 0;
      for (let i = 0; i < want.length; i++) { s += want[i]! ** 2; e += (want[i]! - got[i]!) ** 2; }
      return 10 * Math.log10(s / e);
    };
    expect(sqnr(true)).toBeGreaterThan(sqnr(false) + 1);
    // The report says the layer went block by block, and says nothing of blocks when recovery was off.
    expect(notes.get(true)).toEqual([expect.stringMatching(/^fc: 1152 weights per output exceed 576; recovered block by block \(2 blocks of 576 weights/)]);
    expect(notes.get(false)).toEqual([]);
  });
});

describe('compile notes for wide convolutions', () => {
  const conv = (C: number, name: string) => {
    const rnd = mulberry32(5);
    const b = new GraphBuilder('wide-conv', 13);
    const x = b.addValue('x', { dtype: 'float32', shape: [1, C, 4, 4] });
    const w = b.addConst('w', tensor('float32', [4, C, 3, 3], Float32Array.from({ length: 4 * C * 9 }, () => (rnd() - 0.5) * 0.05)));
    const attrs = { kernel: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1], dilations: [1, 1], group: 1 } as unknown as ConvAttrs;
    const [y] = b.addNode(name, { kind: 'Conv', attrs }, [x, w]);
    const g = b.finish([x], [y!]);
    const calib = tensor('float32', [4, C, 4, 4], Float32Array.from({ length: 4 * C * 16 }, () => rnd()));
    return compile(g, { calibration: [calib], terms: 1 }).report.notes;
  };
  it('a 192-channel 3x3 convolution (1728 taps) is recovered in 3 blocks of 64 whole channels; a 64-channel one says nothing', () => {
    expect(conv(192, 'wide')).toEqual([expect.stringMatching(/^wide: 1728 weights per output exceed 576; recovered block by block \(3 blocks of 576 weights/)]);
    expect(conv(64, 'narrow')).toEqual([]);
  });
  it('a convolution wider than MAX_RECOVER_D (576 channels x 3 x 3 = 5184) is rounded without recovery and the report says so', () => {
    expect(conv(576, 'huge')).toEqual([expect.stringMatching(/^huge: 5184 weights per output exceed recovery's bound of 4608; rounded without recovery$/)]);
  });
});
