// Label-free recovery of one weight layer: statistics per input group, rows rounded on output error, term budget.
import type { Node } from '../ir/graph.js';
import { heldOutKernel, releasePatches } from '../accel/recover.js';
import { probeCurve, type TermCurve } from './allocate-terms.js';
import { convPatches, denseRows, finishGram, gram, gramSums, targets, type LayerStats, type Patches } from './layer-stats.js';
import type { LowerContext, Samples, WeightMatrix } from './lower-context.js';
import { candidateRows, greedyStarts, recoverRow, ROW_CHUNK } from './round-row.js';
import { termsOf } from './round-descend.js';
import { greedyLogRow, type RowCodes } from './shift-layer.js';
import { blockCount, blockedLayer, blockStats, patchColumns, recoverBlockedRows, type Block } from './recover-blocks.js';
import type { ConvAttrs } from '../ir/ops/conv.js';

/**
 * Widest row (weights per output, D) recovery takes on: its statistics are D x D float64 Gram matrices
 * (D = 4608: 162 MiB each) whose factorisation grows as D^3. 4608 = 3 x 3 x 512, the widest convolution of
 * ResNet/VGG, so standard CNNs keep recovery everywhere but in wide fully connected layers. Wider layers are
 * rounded without recovery (greedy, as --no-recover) and the report says so; before this bound a Gemm with
 * K = 8192 took 1.6 GB and 63 s, and K = 16384 ran out of memory.
 */
export const MAX_RECOVER_D = 4608;

const LAMBDAS = [0, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3];
const LAMBDA_ROWS = 16;

/** Output error of rows on held-out patch rows (for choosing lambda without labels; exported for tests). */
export function heldOutError(p: Patches, rows: readonly Float64Array[], fit: readonly RowCodes[], from: number, to: number): number {
  const M = rows.length;
  // The hot loop reads typed arrays only (row objects change shape when the gain fit sets their gain).
  const wqs = fit.map((f) => f.wq);
  const g = Float64Array.from(fit, (f) => f.gain?.value ?? 1);
  const bd = Float64Array.from(fit, (f) => f.biasDelta);
  const k = heldOutKernel(p, wqs, rows, g, bd, from, to);
  if (k !== null) return k;
  const { D, xq, xf } = p;
  const e = new Float64Array(M);
  let err = 0;
  for (let r = from; r < to; r++) {
    rowErrors(xq, xf, r * D, D, wqs, rows, g, bd, e);
    if (M % 4) rowErrorsTail(xq, xf, r * D, D, wqs, rows, g, bd, e, M - (M % 4));
    for (let k = 0; k < M; k++) err += e[k]! * e[k]!;
  }
  return err;
}

/**
 * e[m] = bd[m] + sum_i (g[m] wq_m[i] xq[o + i] - w_m[i] xf[o + i]) for m < M - M % 4, four rows at a time
 * (independent sums); rowErrorsTail does the rest. Nothing follows the loop: code after a loop V8 optimised
 * mid-run has no type feedback and deoptimises (80-odd times per lenet compile with the tail inline).
 */
function rowErrors(xq: Float64Array, xf: Float64Array, o: number, D: number, wqs: readonly Float64Array[], ws: readonly Float64Array[], g: Float64Array, bd: Float64Array, e: Float64Array): void {
  const M = ws.length;
  for (let m = 0; m + 3 < M; m += 4) {
    const q0 = wqs[m]!, q1 = wqs[m + 1]!, q2 = wqs[m + 2]!, q3 = wqs[m + 3]!;
    const w0 = ws[m]!, w1 = ws[m + 1]!, w2 = ws[m + 2]!, w3 = ws[m + 3]!;
    const g0 = g[m]!, g1 = g[m + 1]!, g2 = g[m + 2]!, g3 = g[m + 3]!;
    let e0 = bd[m]!, e1 = bd[m + 1]!, e2 = bd[m + 2]!, e3 = bd[m + 3]!;
    for (let i = 0; i < D; i++) {
      const a = xq[o + i]!;
      const b = xf[o + i]!;
      e0 += g0 * q0[i]! * a - w0[i]! * b;
      e1 += g1 * q1[i]! * a - w1[i]! * b;
      e2 += g2 * q2[i]! * a - w2[i]! * b;
      e3 += g3 * q3[i]! * a - w3[i]! * b;
    }
    e[m] = e0; e[m + 1] = e1; e[m + 2] = e2; e[m + 3] = e3;
  }
}

/** rowErrors for rows m0..M-1. */
function rowErrorsTail(xq: Float64Array, xf: Float64Array, o: number, D: number, wqs: readonly Float64Array[], ws: readonly Float64Array[], g: Float64Array, bd: Float64Array, e: Float64Array, m0: number): void {
  for (let m = m0; m < ws.length; m++) {
    const wq = wqs[m]!;
    const w = ws[m]!;
    let s = bd[m]!;
    for (let i = 0; i < D; i++) s += g[m]! * wq[i]! * xq[o + i]! - w[i]! * xf[o + i]!;
    e[m] = s;
  }
}

/** Statistics of the two halves of the patch rows and of all rows: the first half's sums continue into the full ones. */
function halvesAndFull(p: Patches): { halves: LayerStats[]; full: LayerStats } {
  const half = Math.floor(p.P / 2);
  const a = gramSums(p, 0, half);
  const first = finishGram({ H: a.H.slice(), sumQ: a.sumQ.slice(), sumF: a.sumF.slice(), rows: a.rows }, true);
  const full = finishGram(gramSums(p, half, p.P, a), true);
  return { halves: [first, gram(p, true, half, p.P)], full };
}

/** Few samples per weight (dense layers): pick the pull toward the float weights by 2-fold cross-validation. */
function chooseLambda(p: Patches, allRows: readonly Float64Array[], K: number, B: number, halves: readonly LayerStats[]): number {
  // An evenly spread subset of rows is enough to pick one scalar and keeps this cheap for wide layers.
  const stride = Math.max(1, Math.floor(allRows.length / LAMBDA_ROWS));
  const rows = allRows.filter((_, m) => m % stride === 0).slice(0, LAMBDA_ROWS);
  const half = Math.floor(p.P / 2);
  const folds: [number, number, number, number][] = [[0, half, half, p.P], [half, p.P, 0, half]];
  // Fold statistics do not depend on lambda: compute them once.
  const starts = rows.map((w) => greedyStarts(w, K, B));
  const fits = folds.map(([a, b], f) => {
    const st = halves[f]!;
    const ts = targets(p, rows, st, true, a, b);
    return { st, ts, cands: candidateRows(rows, st, ts, K, B, starts) };
  });
  let best = 0;
  let bestErr = Infinity;
  for (const lambda of LAMBDAS) {
    let err = 0;
    folds.forEach(([, , c, d], f) => {
      const { st, ts, cands } = fits[f]!;
      err += heldOutError(p, rows, rows.map((w, m) => recoverRow(w, st, ts[m]!, K, B, lambda, 0, cands[m])), c, d);
    });
    if (err < bestErr) { bestErr = err; best = lambda; }
  }
  return best;
}

/** What a layer's recovery is asked for: K, B, the channel gain, and a term budget or a probe of its curve. */
export interface TermSpec {
  K: number;
  B: number;
  gain?: boolean;
  /** Average terms per weight within the layer. */
  avgTerms?: number;
  /** Absolute term budget of the layer (from allocate-terms; overrides avgTerms). */
  budget?: number;
  /** Probe mode: report the layer's error-vs-terms curve (allocate-terms) instead of bisecting. */
  probe?: (curve: TermCurve) => void;
}

function countTerms(rows: readonly RowCodes[]): number {
  return rows.reduce((n, r) => n + termsOf(r), 0);
}

/** `floatIn` replaces the layer's float input samples (scaled like its columns when the input has per-channel fracs). */
export function recoverRows(ctx: LowerContext, n: Node, mat: WeightMatrix, x: number, spec: TermSpec, floatIn?: Samples): RowCodes[] {
  const fl = floatIn ?? ctx.floatActs(n.inputs[0]!);
  const q = ctx.intActs(x);
  const qs = 2 ** -ctx.fracOfNew(x);
  const M = mat.rows.length;
  const perGroup = M / mat.groups;
  const D = mat.rows[0]!.length;
  if (blockedLayer(n, D, spec.probe !== undefined)) return recoverBlocked(ctx, n, mat, fl, q, qs, spec);
  // Statistics once per input group; rows are then quantised (possibly several times for the term budget).
  const groups = Array.from({ length: mat.groups }, (_, g) => {
    let p: Patches;
    if (n.op.kind === 'Conv') {
      const y = ctx.g.values[n.outputs[0]!]!.type.shape;
      p = convPatches(fl, q, qs, n.op.attrs, mat.groups, g, [y.length === 4 ? y[2]! : 1, y[y.length - 1]!]);
    } else {
      p = denseRows(fl, q, qs);
    }
    const rows = mat.rows.slice(g * perGroup, (g + 1) * perGroup);
    let stats: { rows: Float64Array[]; lambda: number; st: LayerStats; ts: Float64Array[] };
    if (n.op.kind === 'Conv' || p.P >= 4 * p.D) {
      const st = gram(p, true);
      stats = { rows, lambda: 0, st, ts: targets(p, rows, st, true) };
    } else {
      const { halves, full } = halvesAndFull(p);
      stats = { rows, lambda: chooseLambda(p, rows, spec.K, spec.B, halves), st: full, ts: targets(p, rows, full, true) };
    }
    // Nothing reads the patches after this: the next group's need not copy them out of the kernels' memory.
    releasePatches(p);
    return stats;
  });
  // The exponent search does not depend on the term price: later (priced) passes reuse each row's exponent.
  const exps = new Int32Array(M);
  let searched = false;
  const quantizeAll = (mu: number): RowCodes[] => {
    const rows: RowCodes[] = [];
    groups.forEach((gr, g) => {
      for (let j0 = 0; j0 < gr.rows.length; j0 += ROW_CHUNK) {
        const j1 = Math.min(gr.rows.length, j0 + ROW_CHUNK);
        const batch = searched ? undefined : candidateRows(gr.rows.slice(j0, j1), gr.st, gr.ts.slice(j0, j1), spec.K, spec.B);
        for (let j = j0; j < j1; j++) {
          const m = g * perGroup + j;
          ctx.progress?.(`recover ${n.name}`, m + 1, M);
          const w = gr.rows[j]!;
          const cands = batch ? batch[j - j0]! : { starts: [greedyLogRow(w, exps[m]!, spec.K, spec.B)] };
          rows.push(recoverRow(w, gr.st, gr.ts[j]!, spec.K, spec.B, gr.lambda, mu, cands, spec.gain));
        }
      }
    });
    rows.forEach((r, m) => { exps[m] = r.E; });
    searched = true;
    return rows;
  };
  const free = quantizeAll(0);
  const weights = M * mat.rows[0]!.length;
  const budget = spec.budget ?? (spec.avgTerms === undefined ? Infinity : spec.avgTerms * weights);
  const scale = termScale(groups.map((gr) => gr.st), mat, groups.length * groups[0]!.st.D);
  if (spec.probe) return probeCurve(groups, free, quantizeAll, scale, budget, (points) => spec.probe!({ node: n.name, weights, points }));
  return meetBudget(free, quantizeAll, scale, budget);
}

/** Term price unit: mean input power (the Gram diagonals over `cols` columns) times mean squared weight. */
function termScale(stats: readonly { D: number; H: Float64Array }[], mat: WeightMatrix, cols: number): number {
  let scale = 0;
  for (const st of stats) for (let i = 0; i < st.D; i++) scale += st.H[i * st.D + i]!;
  let w2 = 0;
  for (const r of mat.rows) for (const v of r) w2 += v * v;
  return (scale / cols) * (w2 / (mat.rows.length * mat.rows[0]!.length)) || 1;
}

/** The free rows if they meet the budget, else the richest priced rows within it. */
function meetBudget(free: RowCodes[], quantizeAll: (mu: number) => RowCodes[], scale: number, budget: number): RowCodes[] {
  if (countTerms(free) <= budget) return free;
  // Price terms (Lagrangian) and bisect the price until the layer meets its average-terms budget.
  let lo = -30;
  let hi = 12;
  let best = quantizeAll(scale * 2 ** hi);
  for (let it = 0; it < 14; it++) {
    const mid = (lo + hi) / 2;
    const rows = quantizeAll(scale * 2 ** mid);
    if (countTerms(rows) <= budget) { best = rows; hi = mid; } else lo = mid;
  }
  return best;
}

/** recoverRows for a convolution wider than MAX_BLOCK_D (recover-blocks.ts): block statistics per input group. */
function recoverBlocked(ctx: LowerContext, n: Node, mat: WeightMatrix, fl: Samples, q: Samples, qs: number, spec: TermSpec): RowCodes[] {
  const M = mat.rows.length;
  const perGroup = M / mat.groups;
  const groups = n.op.kind === 'Conv' ? convBlocks(ctx, n, mat, fl, q, qs) : [gemmBlocks(mat.rows, denseRows(fl, q, qs), spec)];
  const exps = new Int32Array(M);
  let searched = false;
  const quantizeAll = (mu: number): RowCodes[] => {
    const out = groups.flatMap((gr, g) => recoverBlockedRows(gr.rows, gr.blocks, spec.K, spec.B, mu, Boolean(spec.gain),
      searched ? exps.subarray(g * perGroup, (g + 1) * perGroup) : undefined,
      (done, total) => ctx.progress?.(`recover ${n.name}`, g * total + done, mat.groups * total), gr.lambda));
    out.forEach((r, m) => { exps[m] = r.E; });
    searched = true;
    return out;
  };
  const free = quantizeAll(0);
  const budget = spec.budget ?? (spec.avgTerms === undefined ? Infinity : spec.avgTerms * M * mat.rows[0]!.length);
  return meetBudget(free, quantizeAll, termScale(groups.flatMap((gr) => gr.blocks.map((b) => b.st)), mat, mat.groups * mat.rows[0]!.length), budget);
}

/** Per input group of a convolution: its rows and the statistics of its blocks of whole input channels. */
function convBlocks(ctx: LowerContext, n: Node, mat: WeightMatrix, fl: Samples, q: Samples, qs: number): { rows: Float64Array[]; blocks: Block[]; lambda: number }[] {
  const a = n.op.attrs as ConvAttrs;
  const perGroup = mat.rows.length / mat.groups;
  const taps = a.kernel.reduce((p, k) => p * k, 1);
  const nb = blockCount(mat.rows[0]!.length / taps, taps);
  const y = ctx.g.values[n.outputs[0]!]!.type.shape;
  const outHW: [number, number] = [y.length === 4 ? y[2]! : 1, y[y.length - 1]!];
  return Array.from({ length: mat.groups }, (_, g) => {
    const rows = mat.rows.slice(g * perGroup, (g + 1) * perGroup);
    return { rows, blocks: blockStats(fl, q, qs, a, mat.groups, g, nb, outHW, rows), lambda: 0 };
  });
}

/**
 * A wide Gemm's blocks of contiguous columns. With few samples per weight (P < 4 x block width) the pull toward the
 * float weights is chosen as for a narrow Gemm, by 2-fold cross-validation, on the first block (one scalar for all).
 */
function gemmBlocks(rows: Float64Array[], p: Patches, spec: TermSpec): { rows: Float64Array[]; blocks: Block[]; lambda: number } {
  const nb = blockCount(p.D, 1);
  const Db = p.D / nb;
  let lambda = 0;
  const blocks = Array.from({ length: nb }, (_, b) => {
    const pb = patchColumns(p, b * Db, (b + 1) * Db);
    const seg = rows.map((w) => w.subarray(b * Db, (b + 1) * Db));
    let st: LayerStats;
    if (pb.P >= 4 * Db) st = gram(pb, true);
    else {
      const { halves, full } = halvesAndFull(pb);
      if (b === 0) lambda = chooseLambda(pb, seg, spec.K, spec.B, halves);
      st = full;
    }
    return { from: b * Db, to: (b + 1) * Db, st, ts: targets(pb, seg, st, true) };
  });
  return { rows, blocks, lambda };
}
