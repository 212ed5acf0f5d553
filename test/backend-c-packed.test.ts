// C packed weight form: canonical Huffman codes, the slot-symbol stream round trip, flash within 3% of the ideal.
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { emitC } from '../src/backends/c/emit.js';
import { canonical, codeLengths, decodeOne, limitTables, MAX_CODE_LEN } from '../src/codegen/huffman.js';
import { packPacked, type SlotCode } from '../src/codegen/packed.js';
import { loadModel } from '../src/api.js';
import { compile } from '../src/compile.js';
import { readNpy } from '../src/io/npy.js';
import { numel, tensor, type Tensor } from '../src/ir/tensor.js';
import { chance, mulberry32, randInt } from './helpers/prng.js';

/** The C decoder's arithmetic (packedDecodeText) in TS: a channel's codes, non-zero terms first per weight. */
function unpack(words: readonly number[], slots: readonly SlotCode[], M: number, D: number, K: number, B: number): number[] {
  const pos = { bit: 0 };
  const read = (j: number) => {
    const s = slots[j]!;
    return 'code' in s ? decodeOne(words, pos, s) : s.constant;
  };
  const out = new Array<number>(M * D * K).fill(0);
  for (let i = 0; i < M * D; i++) {
    let fd = 0;
    for (let j = 0; j < K; j++) {
      let s = read(j);
      if (!s) break;
      if (j === 0) fd = s - 1;
      else {
        s -= 1;
        fd = (((fd >> B) ^ (s >> 6)) << B) | ((fd & ((1 << B) - 1)) + 31 - (s & 63));
      }
      out[i * K + j] = (fd >> B ? -1 : 1) * ((fd & ((1 << B) - 1)) + 1);
    }
  }
  return out;
}

describe('canonical Huffman', () => {
  it('codes are complete (Kraft sum 1), length-limited, and decode back through the limit tables', () => {
    const rng = mulberry32(3);
    for (let trial = 0; trial < 200; trial++) {
      const n = randInt(rng, 1, 70);
      const freq = new Map<number, number>();
      // Geometric-ish counts give deep trees; the limit must still hold.
      for (let s = 0; s < n; s++) if (chance(rng, 0.8)) freq.set(s * 2, 1 + Math.floor(2 ** (rng() * 24)));
      if (!freq.size) continue;
      const c = canonical(codeLengths(freq));
      const lens = [...c.code.values()].map((v) => v.len);
      expect(Math.max(...lens)).toBeLessThanOrEqual(MAX_CODE_LEN);
      if (freq.size > 1) expect(lens.reduce((p, l) => p + 2 ** -l, 0)).toBeCloseTo(1, 12);
      const seq = Array.from({ length: 300 }, () => [...freq.keys()][randInt(rng, 0, freq.size - 1)]!);
      const words: number[] = [];
      let bit = 0;
      for (const s of seq) {
        const { len, bits } = c.code.get(s)!;
        for (let b = len - 1; b >= 0; b--, bit++) {
          if ((bit & 15) === 0) words.push(0);
          if ((bits >> b) & 1) words[bit >> 4]! |= 0x8000 >> (bit & 15);
        }
      }
      const pos = { bit: 0 };
      const t = { ...limitTables(c), syms: c.syms };
      expect(seq.map(() => decodeOne(words, pos, t))).toEqual(seq);
    }
  });
});

describe('packed streams', () => {
  it('decode to every weight\'s terms (zeros dropped, order kept) for K = 1..4, B = 0..5', () => {
    const rng = mulberry32(17);
    for (let trial = 0; trial < 300; trial++) {
      const [M, D, K, B] = [randInt(rng, 1, 5), randInt(rng, 1, 40), randInt(rng, 1, 4), randInt(rng, 0, 5)];
      const data = Array.from({ length: M * D * K }, () => (chance(rng, 0.4) ? 0 : (chance(rng, 0.5) ? -1 : 1) * randInt(rng, 1, 2 ** B)));
      const pk = packPacked(tensor('int8', [M, D, K], data), M, D, K, B);
      const want = new Array<number>(M * D * K).fill(0);
      for (let i = 0; i < M * D; i++) data.slice(i * K, i * K + K).filter((c) => c).forEach((c, j) => { want[i * K + j] = c; });
      expect(unpack(pk.words, pk.slots, M, D, K, B)).toEqual(want);
      expect(pk.terms).toBe(data.filter((c) => c).length);
      expect(pk.words.length).toBe(Math.ceil(pk.bits / 16) + 1); // + the refill's look-ahead word
    }
  });
});

/** Bytes of the const arrays `fn_<suffix>` in C source whose suffix matches. */
function arrayBytes(source: string, fn: string, suffix: RegExp): number {
  let bytes = 0;
  for (const x of source.matchAll(/^static const (u?int(?:8|16|32)_t) (L\d+)_(\w+)\[(\d+)\]/gm)) {
    const type = x[1]!;
    if (x[2] === fn && suffix.test(x[3]!)) bytes += Number(x[4]) * (type.includes('8') ? 1 : type.includes('16') ? 2 : 4);
  }
  return bytes;
}

describe('packed flash on the example models', () => {
  const EX = new URL('../examples/', import.meta.url).pathname;
  const all = readNpy(fs.readFileSync(`${EX}data/calib-256.npy`), 'calib');
  const per = numel(all.shape.slice(1));
  const calib: Tensor = tensor('float32', [32, ...all.shape.slice(1)], all.data.subarray(0, 32 * per));
  const cases = [{ m: 'lenet', opts: { terms: 1 } }, { m: 'dwsep', opts: { terms: 2, prune: 0.5 } }];
  for (const { m, opts } of cases) {
    it.skipIf(!fs.existsSync(`${EX}${m}.onnx`))(`${m} ${JSON.stringify(opts)}: stream + decode tables within 3% of (1 + B) bits per term`, () => {
      const { graph } = compile(loadModel(`${EX}${m}.onnx`), { calibration: [calib], ...opts });
      const { flash } = emitC(graph, { name: m, weights: 'packed' });
      expect(flash.layers.every((l) => l.form === 'packed')).toBe(true);
      // Every packed byte (streams, Huffman decode tables, tap offset tables) against the ideal; no per-channel header.
      expect(flash.weightBytes).toBeLessThanOrEqual(flash.idealBytes * 1.03);
      const dataC = emitC(graph, { name: m, weights: 'data' });
      const data = dataC.flash;
      // The accounting (codegen, from the packed data) is exactly the const arrays the C declares for each layer.
      for (const c of [emitC(graph, { name: m, weights: 'packed' }), dataC]) {
        for (const l of c.flash.layers) {
          expect(arrayBytes(c.source, l.fn, /^(w|h|t|o|hl\d+|ho\d+|hs\d+)$/), l.fn).toBe(l.weightBytes);
          expect(arrayBytes(c.source, l.fn, /^(b|r|g)$/), l.fn).toBe(l.paramBytes);
        }
      }
      console.log(`${m} ${JSON.stringify(opts)}: packed ${flash.weightBytes} B (${(flash.weightBytes / flash.idealBytes).toFixed(3)}x ideal ${flash.idealBytes} B), data ${data.weightBytes} B`);
    });
  }
});
