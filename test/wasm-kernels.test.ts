// The SIMD kernels against plain loops in the reference order: every result must be the same bits.
import { describe, expect, it } from 'vitest';
import { dotI32 } from '../src/ir/ops/dot-block.js';
import { convOp } from '../src/ir/ops/conv.js';
import { candidateSums, gramSumsKernel, mulHAll } from '../src/accel/recover.js';
import { mulberry32 } from './helpers/prng.js';

const bits = (a: Float64Array | Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.byteLength / 4));

/** A symmetric matrix with both halves holding the same doubles (as gram() fills them). */
function symmetric(r: () => number, D: number): Float64Array {
  const H = new Float64Array(D * D);
  for (let i = 0; i < D; i++) for (let j = i; j < D; j++) H[i * D + j] = H[j * D + i] = r() - 0.3;
  return H;
}

describe('wasm kernels', () => {
  it('int32 dot products wrap like the scalar sum', () => {
    const r = mulberry32(1);
    for (const [M, P, D, st] of [[6, 33, 25, 1], [9, 7, 150, 1], [4, 5, 3, 5], [12, 10, 9, 10]] as const) {
      const w = Int32Array.from({ length: M * D }, () => ((r() * 2 ** 32) | 0) >> Math.floor(r() * 31));
      const x = Int32Array.from({ length: P * D }, () => Math.floor(r() * 256) - 128);
      const bias = Int32Array.from({ length: M }, () => (r() * 2 ** 32) | 0);
      const acc = new Int32Array(M * P);
      dotI32(w, x, { M, P, D, wOff: 0, xOff: 0, sp: st === 1 ? D : 1, st }, bias, 0, acc);
      for (let m = 0; m < M; m++) for (let p = 0; p < P; p++) {
        let s = bias[m]!;
        for (let t = 0; t < D; t++) s = (s + Math.imul(w[m * D + t]!, x[st === 1 ? p * D + t : p + t * P]!)) | 0;
        expect(acc[m * P + p]).toBe(s);
      }
    }
  });

  it('float conv rounds to float32 after every tap, bias first', () => {
    const r = mulberry32(2);
    const [C, H, W, M, K] = [3, 9, 7, 6, 3];
    const x = { dtype: 'float32' as const, shape: [1, C, H, W], data: Float32Array.from({ length: C * H * W }, () => r() * 2 - 1) };
    const w = { dtype: 'float32' as const, shape: [M, C, K, K], data: Float32Array.from({ length: M * C * K * K }, () => r() - 0.5) };
    const b = { dtype: 'float32' as const, shape: [M], data: Float32Array.from({ length: M }, () => r() - 0.5) };
    const [y] = convOp.run({ group: 1, kernel: [K, K], strides: [1, 1], pads: [1, 1, 1, 1], dilations: [1, 1] }, [x, w, b]);
    const want = new Float32Array(M * H * W);
    for (let m = 0; m < M; m++) for (let oh = 0; oh < H; oh++) for (let ow = 0; ow < W; ow++) {
      let s = b.data[m]!;
      for (let c = 0; c < C; c++) for (let kh = 0; kh < K; kh++) for (let kw = 0; kw < K; kw++) {
        const ih = oh + kh - 1, iw = ow + kw - 1;
        const v = ih >= 0 && ih < H && iw >= 0 && iw < W ? x.data[(c * H + ih) * W + iw]! : 0;
        s = Math.fround(s + w.data[((m * C + c) * K + kh) * K + kw]! * v);
      }
      want[(m * H + oh) * W + ow] = s;
    }
    expect(bits(y!.data as Float32Array)).toEqual(bits(want));
  });

  it('Gram sums add patch rows in order', () => {
    const r = mulberry32(4);
    for (const [D, P] of [[5, 8], [9, 12], [16, 20]] as const) {
      const xq = Float64Array.from({ length: P * D }, () => (r() < 0.4 ? 0 : Math.floor(r() * 64) / 8));
      const H = Float64Array.from({ length: D * D }, () => r());
      const want = H.slice();
      for (let p = 0; p < P; p += 4) {
        for (let i = 0; i < D; i++) {
          const a = [0, 1, 2, 3].map((k) => xq[(p + k) * D + i]!);
          if (a.every((v) => v === 0)) continue;
          for (let j = i; j < D; j++) want[i * D + j] = want[i * D + j]! + a[0]! * xq[p * D + j]! + a[1]! * xq[(p + 1) * D + j]! + a[2]! * xq[(p + 2) * D + j]! + a[3]! * xq[(p + 3) * D + j]!;
        }
      }
      expect(gramSumsKernel({ P, D, xq, xf: xq.map((v) => v * 2) }, 0, P, H, new Float64Array(D), new Float64Array(D))).toBe(true);
      const upper = (a: Float64Array) => Float64Array.from({ length: D * (D + 1) / 2 }, (_, k) => {
        let i = 0;
        while (k >= D - i) { k -= D - i; i++; }
        return a[i * D + i + k]!;
      });
      expect(bits(upper(H))).toEqual(bits(upper(want)));
    }
  });

  it('H products keep each sum in the plain loop order', () => {
    const r = mulberry32(3);
    for (const D of [1, 3, 7, 16, 25]) {
      const H = symmetric(r, D);
      const t = Float64Array.from({ length: D }, () => r() - 0.5);
      const qs = [0, 1, 2, 3].map(() => Float64Array.from({ length: D }, () => (r() < 0.3 ? 0 : r() - 0.5)));
      const hw = qs.map(() => new Float64Array(D));
      const grad = qs.map(() => new Float64Array(D));
      expect(candidateSums(H, D, qs, t, hw, grad)).toBe(true);
      qs.forEach((q, k) => {
        const a = new Float64Array(D);
        const g = new Float64Array(D);
        for (let i = 0; i < D; i++) {
          let s = 0, u = -t[i]!;
          for (let j = 0; j < D; j++) { const p = H[i * D + j]! * q[j]!; s += p; u += p; }
          a[i] = s; g[i] = u;
        }
        expect(bits(hw[k]!)).toEqual(bits(a));
        expect(bits(grad[k]!)).toEqual(bits(g));
      });
      const v = qs[0]!;
      const nz = Int32Array.from([...v.keys()].filter((j) => v[j] !== 0));
      const out = new Float64Array(D);
      expect(mulHAll(H, D, v, nz, out, t)).toBe(true);
      const want = new Float64Array(D);
      for (let i = 0; i < D; i++) { let s = -t[i]!; for (const j of nz) s += H[i * D + j]! * v[j]!; want[i] = s; }
      expect(bits(out)).toEqual(bits(want));
    }
  });
});
