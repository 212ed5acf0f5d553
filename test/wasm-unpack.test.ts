// The start function's Huffman decoder (backends/wasm/unpack.ts) alone: packed codes back to the same terms, K = 1..4.
import { describe, expect, it } from 'vitest';
import { ModuleWriter } from '../src/backends/wasm/encoder.js';
import { Bss, DataPool, Runtime } from '../src/backends/wasm/runtime.js';
import { packLsb, packedCodes, unpackBss } from '../src/backends/wasm/unpack.js';
import { tensor } from '../src/ir/tensor.js';
import { mulberry32 } from './helpers/prng.js';

/** A module whose start function decodes one layer's codes into Bss; returns the decoded int8 codes (or int32 weights). */
function decode(codes: Int8Array, M: number, D: number, K: number, B: number, weights = false): Int8Array | Int32Array {
  const t = tensor('int8', [M, D, K], codes);
  const bss = new Bss(16, unpackBss(t, M, D, K, B));
  const data = new DataPool(16 + bss.capacity);
  const w = new ModuleWriter();
  const rt = new Runtime(w);
  const init = w.func([], []);
  const { at } = packedCodes({ data, bss, rt, init: init.code }, t, M, D, K, B, weights);
  const bytes = data.bytes;
  w.memory(data.base + bytes.length);
  w.exportMemory('memory');
  w.start(init.index);
  w.setData(data.base, bytes);
  const inst = new WebAssembly.Instance(new WebAssembly.Module(w.encode()), {});
  const mem = (inst.exports.memory as WebAssembly.Memory).buffer;
  return weights ? new Int32Array(mem, at, M * D).slice() : new Int8Array(mem, at, M * D * K).slice();
}

/** What the decoder must give: each weight's non-zero codes moved to its first slots, zeros after. */
function packedForm(codes: Int8Array, n: number, K: number): Int8Array {
  const out = new Int8Array(n * K);
  for (let i = 0; i < n; i++) {
    let j = 0;
    for (let k = 0; k < K; k++) if (codes[i * K + k]) out[i * K + j++] = codes[i * K + k]!;
  }
  return out;
}

describe('wasm Huffman decode (LSB-first, table per slot)', () => {
  for (const K of [1, 2, 3, 4]) {
    it(`K=${K}: random and skewed codes, shift bits 3 and 5, sizes 1..3000 weights`, () => {
      const r = mulberry32(K);
      for (const [M, D, B, zero] of [[1, 1, 3, 0], [3, 7, 3, 0.5], [16, 150, 5, 0.2], [40, 75, 3, 0.05], [8, 9, 5, 1]] as const) {
        const n = M * D;
        // Terms ordered as the quantiser writes them (shifts falling, any sign) with random gaps; skew toward small shifts.
        const codes = new Int8Array(n * K);
        for (let i = 0; i < n; i++) {
          let sh = (1 << B) - 1 - Math.floor(r() * r() * (1 << B));
          for (let k = 0; k < K && sh >= 0; k++) {
            if (r() < zero) continue;
            codes[i * K + k] = (sh + 1) * (r() < 0.5 ? -1 : 1);
            sh -= 1 + Math.floor(r() * 3);
          }
        }
        expect(Array.from(decode(codes, M, D, K, B)), `M${M} D${D} B${B}`).toEqual(Array.from(packedForm(codes, n, K)));
        // The SIMD module's form: each weight's value, the int32 sum of its terms +-2^(|c| - 1).
        const want = Array.from({ length: n }, (_, i) => {
          let w = 0;
          for (let k = 0; k < K; k++) { const c = codes[i * K + k]!; if (c) w = (w + Math.sign(c) * 2 ** (Math.abs(c) - 1)) | 0; }
          return w;
        });
        expect(Array.from(decode(codes, M, D, K, B, true)), `weights M${M} D${D} B${B}`).toEqual(want);
      }
    });
  }

  it('a slot with one symbol costs no stream bits; extreme shifts (+-2^B) survive', () => {
    const B = 4;
    const codes = new Int8Array(64 * 2);
    for (let i = 0; i < 64; i++) { codes[i * 2] = i % 2 ? 16 : -16; codes[i * 2 + 1] = i % 2 ? -1 : 1; }
    const p = packLsb(tensor('int8', [8, 8, 2], codes), 8, 8, 2, B);
    expect(p.slots.map((s) => s.L)).toEqual([1, 0]);
    expect(Array.from(decode(codes, 8, 8, 2, B))).toEqual(Array.from(codes));
    const same = new Int8Array(50 * 2).fill(3);
    expect(packLsb(tensor('int8', [5, 10, 2], same), 5, 10, 2, 3).stream.length).toBe(4);
    expect(Array.from(decode(same, 5, 10, 2, 3))).toEqual(Array.from(same));
  });
});
