// Block-diagonal recovery of wide convolutions: Gram statistics per block of input channels, one exponent and gain per row.
import type { Node } from '../ir/graph.js';
import type { ConvAttrs } from '../ir/ops/conv.js';
import type { Tensor } from '../ir/tensor.js';
import { releasePatches } from '../accel/recover.js';
import { convPatches, gram, targets, type LayerStats, type Patches } from './layer-stats.js';
import { candidateRows, greedyStarts, recoverRow, ROW_CHUNK } from './round-row.js';
import { quadratic } from './round-descend.js';
import { gainDigits, greedyLogRow, quantizeGain, type RowCodes } from './shift-layer.js';

/**
 * Widest row (weights per output, D) whose recovery statistics are one D x D Gram matrix. Recovery costs
 * O(D^2) per row (candidate products, coordinate descent) and O(P D^2) for the Gram matrix, so a layer costs
 * O(M D^2): cubic in the width. A wider convolution (Gemm: contiguous inputs) is split into blocks of whole input channels of at most
 * this many taps, each with its own Gram matrix (block-diagonal statistics: cross-block correlations of the
 * rounding errors are ignored), so its cost grows as O(M D MAX_BLOCK_D), linearly in D. 576 = 64 channels x 3 x 3:
 * every layer of the four examples is within it (their outputs are unchanged); ResNet-18's 3x3x512 layers get 8 blocks.
 */
export const MAX_BLOCK_D = 576;

/** Blocks of a group of `Cg` input channels with `taps` taps each: the fewest that divide Cg and fit MAX_BLOCK_D. */
export function blockCount(Cg: number, taps: number): number {
  const need = Math.ceil((Cg * taps) / MAX_BLOCK_D);
  for (let nb = need; nb < Cg; nb++) if (Cg % nb === 0) return nb;
  return Cg;
}

/** One block's statistics: columns from..to of the group's rows, their Gram matrix and targets (one per row). */
export interface Block { from: number; to: number; st: LayerStats; ts: Float64Array[] }

/** Columns from..to of patches (a Gemm's sample rows, which have no channel structure to sample by). */
export function patchColumns(p: Patches, from: number, to: number): Patches {
  const Db = to - from;
  const xq = new Float64Array(p.P * Db);
  const xf = new Float64Array(p.P * Db);
  for (let r = 0; r < p.P; r++) {
    xq.set(p.xq.subarray(r * p.D + from, r * p.D + to), r * Db);
    xf.set(p.xf.subarray(r * p.D + from, r * p.D + to), r * Db);
  }
  return { P: p.P, D: Db, xq, xf };
}

/** Statistics of every block of one input group (`rows` are that group's rows). */
export function blockStats(fl: readonly Tensor[], q: readonly Tensor[], qs: number, a: ConvAttrs, groups: number, g: number, nb: number, outHW: [number, number], rows: readonly Float64Array[]): Block[] {
  const D = rows[0]!.length;
  const Db = D / nb;
  return Array.from({ length: nb }, (_, b) => {
    // Input channels b*Cg/nb.. of group g are sub-group g*nb + b: its patch columns are columns b*Db.. of the rows.
    const p = convPatches(fl, q, qs, a, groups * nb, g * nb + b, outHW);
    const from = b * Db;
    const seg = rows.map((w) => w.subarray(from, from + Db));
    const st = gram(p, true);
    const ts = targets(p, seg, st, true);
    releasePatches(p);
    return { from, to: from + Db, st, ts };
  });
}

const slice = (r: RowCodes, b: Block, K: number): RowCodes => ({ E: r.E, codes: r.codes.subarray(b.from * K, b.to * K), wq: r.wq.subarray(b.from, b.to), biasDelta: 0, gain: undefined });

/**
 * The rows of one input group, rounded block by block. Per row: the exponent (of E0-2..E0+1, or exps[j] when
 * given) that minimises the summed block objectives, coordinate descent per block at that exponent, then one
 * least-squares channel gain for the whole row (kept only if it lowers the objective; no re-descent) and the bias
 * refit over all columns. Blocks are the outer loop: the compiled kernels keep one Gram matrix resident.
 */
export function recoverBlockedRows(rows: readonly Float64Array[], blocks: readonly Block[], K: number, B: number, mu: number, gain: boolean, exps: Int32Array | undefined, progress: (done: number, total: number) => void, lambda = 0): RowCodes[] {
  const R = rows.length;
  const D = rows[0]!.length;
  // The pull toward the float weights per block, scaled as recoverRow scales it (lambda x mean Gram diagonal).
  const regs = blocks.map((b) => {
    let tr = 0;
    for (let i = 0; i < b.st.D; i++) tr += b.st.H[i * b.st.D + i]!;
    return lambda * (tr / b.st.D);
  });
  const starts = rows.map((w, j) => (exps ? [greedyLogRow(w, exps[j]!, K, B)] : greedyStarts(w, K, B)));
  const S = starts[0]!.length;
  // Summed block objectives wq^T H wq - 2 wq^T t of every start, from the candidate products H wq.
  const f = new Float64Array(R * S);
  if (S > 1) {
    for (const b of blocks) {
      for (let j0 = 0; j0 < R; j0 += ROW_CHUNK) {
        const j1 = Math.min(R, j0 + ROW_CHUNK);
        const ws = rows.slice(j0, j1).map((w) => w.subarray(b.from, b.to));
        const cs = candidateRows(ws, b.st, b.ts.slice(j0, j1), K, B, starts.slice(j0, j1).map((st) => st.map((s) => slice(s, b, K))));
        const reg = regs[blocks.indexOf(b)]!;
        cs.forEach((c, jj) => {
          const t = b.ts[j0 + jj]!;
          const w = ws[jj]!;
          c.starts.forEach((s, k) => {
            const hw = c.hw![k]!;
            let v = 0;
            for (let i = 0; i < s.wq.length; i++) {
              if (s.wq[i] !== 0) v += s.wq[i]! * hw[i]! - 2 * s.wq[i]! * t[i]!;
              if (reg) v += reg * (s.wq[i]! - w[i]!) ** 2;
            }
            f[(j0 + jj) * S + k]! += v;
          });
        });
      }
    }
  }
  const out = rows.map((_, j) => {
    let pick = 0;
    for (let k = 1; k < S; k++) if (f[j * S + k]! < f[j * S + pick]!) pick = k;
    return { E: starts[j]![pick]!.E, start: starts[j]![pick]!, codes: new Int8Array(D * K), wq: new Float64Array(D), qHq: 0, qt: 0 };
  });
  blocks.forEach((b, bi) => {
    out.forEach((o, j) => {
      progress(bi * R + j + 1, blocks.length * R);
      const r = recoverRow(rows[j]!.subarray(b.from, b.to), b.st, b.ts[j]!, K, B, lambda, mu, { starts: [slice(o.start, b, K)] }, false);
      o.codes.set(r.codes, b.from * K);
      o.wq.set(r.wq, b.from);
      o.qHq += quadratic(r.wq, b.st.H);
      const t = b.ts[j]!;
      for (let i = 0; i < r.wq.length; i++) if (r.wq[i] !== 0) o.qt += r.wq[i]! * t[i]!;
    });
  });
  return out.map((o, j) => {
    const w = rows[j]!;
    const row: RowCodes = { E: o.E, codes: o.codes, wq: o.wq, biasDelta: 0, gain: undefined };
    if (gain && o.qHq > 0 && o.qt > 0) {
      const gq = quantizeGain(o.qt / o.qHq, gainDigits(K));
      const g = gq.value;
      if (g * g * o.qHq - 2 * g * o.qt < o.qHq - 2 * o.qt) row.gain = gq;
    }
    const g = row.gain?.value ?? 1;
    let delta = 0;
    for (const b of blocks) for (let i = b.from; i < b.to; i++) delta += w[i]! * b.st.meanF[i - b.from]! - g * o.wq[i]! * b.st.meanQ[i - b.from]!;
    row.biasDelta = delta;
    return row;
  });
}

/** True when recovery of this layer goes block by block: wider than MAX_BLOCK_D (and not probing the term curve). */
export function blockedLayer(_n: Node, D: number, probing: boolean): boolean {
  return D > MAX_BLOCK_D && !probing;
}
