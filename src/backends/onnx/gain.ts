// The shift and adder layers' shared tail in ONNX: the channel gain's digit columns, requantisation and the clamp (plain or pair).
import type { Tensor } from '../../ir/tensor.js';
import type { OnnxBuilder } from './builder.js';
import { floorShift, requantPair, scalePair, sumPairs, type Pair } from './wide.js';

/** Per-channel constant shaped to broadcast over axis 1 of a rank-r tensor. */
export function channelConst(b: OnnxBuilder, stem: string, rank: number, data: readonly number[]): string {
  return b.floats(stem, [1, data.length, ...Array<number>(Math.max(0, rank - 2)).fill(1)], data);
}

/**
 * requant(v, r) clamped to [lo, hi]: floor(v * 2^-r + 0.5) is rshr (round half up) for r >= 0 and the exact
 * left shift for r < 0 (v is an integer); the clamp is the saturation and the fused activation together.
 */
export function requantise(b: OnnxBuilder, v: string, scale: string, lo: string, hi: string, stem: string, out?: string): string {
  const f = b.node('Floor', [b.node('Add', [b.node('Mul', [v, scale], {}, `${stem}_scaled`), b.scalar(0.5)], {}, `${stem}_half`)], {}, `${stem}_round`);
  return b.node('Min', [b.node('Max', [f, lo], {}, `${stem}_lo`), hi], {}, stem, out);
}

/** What follows a layer's accumulator: the optional gain [M, G], per-channel right shifts, the clamp to [lo, hi_c]. */
export interface LayerTail { gain: Tensor | undefined; rshift: readonly number[]; rank: number; lo: string; hi: string }

/** The tail on a float32 accumulator exact as it is (bound below 2^24). */
export function tailPlain(b: OnnxBuilder, stem: string, acc: string, t: LayerTail, out: string): string {
  const M = t.rshift.length;
  let v = acc;
  if (t.gain) {
    // Per digit column: sign * floor(acc * 2^-j), the arithmetic right shift of docs/numerics.md, summed.
    const G = t.gain.shape[1]!;
    const terms: string[] = [];
    for (let j = 0; j < G; j++) {
      const sc: number[] = [];
      const sg: number[] = [];
      for (let m = 0; m < M; m++) {
        const c = t.gain.data[m * G + j]!;
        sc.push(c === 0 ? 0 : 2 ** -(Math.abs(c) - 1));
        sg.push(Math.sign(c));
      }
      const fl = b.node('Floor', [b.node('Mul', [acc, channelConst(b, `${stem}_gain${j}_scale`, t.rank, sc)], {}, `${stem}_g${j}`)], {}, `${stem}_g${j}_floor`);
      terms.push(b.node('Mul', [fl, channelConst(b, `${stem}_gain${j}_sign`, t.rank, sg)], {}, `${stem}_g${j}_term`));
    }
    v = terms.length === 1 ? terms[0]! : b.node('Sum', terms, {}, `${stem}_gained`);
  }
  return requantise(b, v, channelConst(b, `${stem}_rscale`, t.rank, t.rshift.map((r) => 2 ** -r)), t.lo, t.hi, stem, out);
}

/** The tail on an exact pair acc = 256 H + L (wide.ts): gain digits and rounding applied to the pair, then the clamp. */
export function tailPair(b: OnnxBuilder, stem: string, acc: Pair, t: LayerTail, out: string): string {
  const M = t.rshift.length;
  let p = acc;
  if (t.gain) {
    const G = t.gain.shape[1]!;
    const digit = (j: number, m: number) => t.gain!.data[m * G + j]!;
    const terms: Pair[] = [];
    for (let j = 0; j < G; j++) {
      const sh = Array.from({ length: M }, (_, m) => (digit(j, m) === 0 ? 0 : Math.abs(digit(j, m)) - 1));
      terms.push(scalePair(b, floorShift(b, p, sh, t.rank, `${stem}_g${j}`), Array.from({ length: M }, (_, m) => Math.sign(digit(j, m))), t.rank, `${stem}_g${j}`));
    }
    p = sumPairs(b, terms, `${stem}_gained`);
  }
  const v = requantPair(b, p, t.rshift, t.rank, stem);
  return b.node('Min', [b.node('Max', [v, t.lo], {}, `${stem}_lo`), t.hi], {}, stem, out);
}
