// Calls into the compiled recovery kernels (recover.c), over the patches and H that recover-memory.ts keeps resident.
// Each entry returns null or false when the kernels are unavailable; the caller then runs its TypeScript reference loops.
import { evict, MAX_PATCH_BYTES, putRows, reserve, ResidentPatches, withH, withPatches, type PatchArrays } from './recover-memory.js';

export { releasePatches, type PatchArrays } from './recover-memory.js';

/** Multiply-adds per kernel call: short calls let V8 move the kernels to its optimised tier early. */
const PER_CALL = 65536;

const INT_TYPE = (d: unknown) => (d instanceof Int8Array ? 1 : d instanceof Int16Array ? 2 : d instanceof Int32Array ? 3 : 0);

/** convPatches' window geometry (1-D layers as height 1). */
export interface PatchGeometry {
  C: number; H: number; W: number; KH: number; KW: number; sh: number; sw: number; dh: number; dw: number;
  ph: number; pw: number; OW: number; Cg: number; g: number; perSample: number; D: number;
}

/** convPatches of float32 samples `fl` and integer samples `q` at output positions `pos` (one per patch row), or null. */
export function convPatchesKernel(fl: readonly { data: ArrayLike<number> }[], q: readonly { data: ArrayLike<number> }[], qs: number, geo: PatchGeometry, pos: Int32Array): PatchArrays | null {
  const n = geo.C * geo.H * geo.W;
  const S = fl.length;
  const qType = INT_TYPE(q[0]?.data);
  if (!qType || fl.some((t) => !(t.data instanceof Float32Array) || t.data.length !== n) || q.some((t) => INT_TYPE(t.data) !== qType || t.data.length !== n)) return null;
  const PD = pos.length * geo.D;
  if (16 * PD > MAX_PATCH_BYTES) return null;
  const s = reserve(16 * PD, 0);
  if (!s) return null;
  const { k } = s;
  evict(s);
  const bytes = (q[0]!.data as Int8Array).BYTES_PER_ELEMENT;
  const flAt = k.alloc(S * n * 4);
  const qAt = k.alloc(S * n * bytes);
  const posAt = k.put(pos);
  const xqAt = s.pAt;
  const xfAt = xqAt + 8 * PD;
  const at = k.params([flAt, qAt, qType, 0, 0, geo.C, geo.H, geo.W, geo.KH, geo.KW, geo.sh, geo.sw, geo.dh, geo.dw, geo.ph, geo.pw, geo.OW, geo.Cg, geo.g, geo.perSample, geo.D, posAt, xqAt, xfAt]);
  const f32 = k.f32(flAt, S * n);
  const ints = qType === 1 ? k.i8(qAt, S * n) : qType === 2 ? k.i16(qAt, S * n) : k.i32(qAt, S * n);
  for (let i = 0; i < S; i++) {
    f32.set(fl[i]!.data as Float32Array, i * n);
    ints.set(q[i]!.data as Int8Array, i * n);
  }
  // About 8K taps per call: a copy loop gains most from the optimised tier.
  k.inSlices(at, 3, S, Math.max(1, Math.floor(8192 / (geo.perSample * geo.D))), (p) => k.exports.conv_patches(p, qs));
  const p = new ResidentPatches(pos.length, geo.D, s);
  s.patches = p;
  return p;
}

/** gramSums: adds patch rows from..to of xq/xf [*, D] to the running sums H, sumQ, sumF (in place); false if unavailable. */
export function gramSumsKernel(p: PatchArrays, from: number, to: number, H: Float64Array, sumQ: Float64Array, sumF: Float64Array): boolean {
  const s = withPatches(p);
  const D = p.D;
  if (!s) return false;
  const { k } = s;
  s.H = undefined;
  const sqAt = k.put(sumQ);
  const sfAt = k.put(sumF);
  const at = k.params([s.hAt, s.pAt, s.pAt + 8 * p.P * D, sqAt, sfAt, D, 0, 0]);
  k.heap().f64.set(H, s.hAt >> 3);
  const to4 = from + ((to - from) & ~3);
  k.inSlices(at, 6, to4, 4 * Math.max(1, Math.floor(PER_CALL / (2 * D * D))), k.exports.gram_rows4, from);
  if (to4 < to) k.inSlices(at, 6, to, to - to4, k.exports.gram_rows1, to4);
  H.set(k.f64(s.hAt, D * D));
  sumQ.set(k.f64(sqAt, D));
  sumF.set(k.f64(sfAt, D));
  return true;
}

/** finishGram in place (H then stays resident); false if unavailable. */
export function finishGramKernel(H: Float64Array, meanQ: Float64Array, meanF: Float64Array, n: number, centred: boolean): boolean {
  const D = meanQ.length;
  const s = withH(H, D);
  if (!s) return false;
  const { k } = s;
  const qAt = k.put(meanQ);
  const fAt = k.put(meanF);
  k.exports.finish_gram(s.hAt, qAt, fAt, D, n, centred ? 1 : 0);
  // H changes in both places alike: the resident copy stays H's.
  H.set(k.f64(s.hAt, D * D));
  meanQ.set(k.f64(qAt, D));
  meanF.set(k.f64(fAt, D));
  return true;
}

/** targets: t_m = Xq^T (X w_m) / n (optionally centred) over patch rows from..to, or null. */
export function targetsKernel(p: PatchArrays, rows: readonly Float64Array[], meanQ: Float64Array, meanF: Float64Array, centred: boolean, from: number, to: number): Float64Array[] | null {
  const s = withPatches(p);
  const D = p.D;
  if (!s) return null;
  const { k } = s;
  const M = rows.length;
  const wAt = putRows(k, rows, D);
  const tAt = k.alloc(M * D * 8);
  const yAt = k.alloc(4 * M * 8);
  const qAt = k.put(meanQ);
  const fAt = k.put(meanF);
  const at = k.params([s.pAt, s.pAt + 8 * p.P * D, wAt, yAt, tAt, D, M, 0, 0, to]);
  k.f64(tAt, M * D).fill(0);
  k.inSlices(at, 7, to, 4 * Math.max(1, Math.floor(PER_CALL / (8 * M * D))), k.exports.targets, from);
  k.exports.normalize_targets(tAt, wAt, qAt, fAt, M, D, to - from, centred ? 1 : 0);
  return rows.map((_, m) => k.f64(tAt + m * D * 8, D).slice());
}

/**
 * candidateRows' sums: hw[k] = H q_k and grad[k] = H q_k - t (each entry summed over j ascending, grad from -t_i)
 * for the four vectors q_k; false if unavailable for this H.
 */
export function candidateSums(H: Float64Array, D: number, qs: readonly Float64Array[], t: Float64Array, hw: readonly Float64Array[], grad: readonly Float64Array[]): boolean {
  const s = withH(H, D);
  if (!s) return false;
  const { k } = s;
  const srcAt = putRows(k, qs, D);
  const qAt = k.alloc(4 * D * 8);
  const tAt = k.put(t);
  const oAt = k.alloc(8 * D * 8);
  k.exports.interleave4(qAt, srcAt, 1, D);
  const per = 2 * Math.max(1, Math.floor(PER_CALL / (8 * D)));
  for (let i = 0; i < D; i += per) k.exports.cand(s.hAt, qAt, tAt, oAt, D, i, Math.min(D, i + per));
  for (let v = 0; v < 4; v++) {
    hw[v]!.set(k.f64(oAt + v * D * 8, D));
    grad[v]!.set(k.f64(oAt + (4 + v) * D * 8, D));
  }
  return true;
}

/**
 * out[i] = (t ? -t[i] : 0) + sum over j in nz (ascending) of H[i][j] v[j], for every row i: the plain loop's terms
 * and order. False if unavailable for this H.
 */
export function mulHAll(H: Float64Array, D: number, v: Float64Array, nz: Int32Array, out: Float64Array, t?: Float64Array): boolean {
  const s = withH(H, D);
  if (!s) return false;
  const { k } = s;
  const n = nz.length;
  const nzAt = k.put(nz);
  const valAt = k.alloc(n * 8);
  const t0At = k.alloc(D * 8);
  const oAt = k.alloc(D * 8);
  const val = k.f64(valAt, n);
  for (let j = 0; j < n; j++) val[j] = v[nz[j]!]!;
  const t0 = k.f64(t0At, D);
  if (t) for (let i = 0; i < D; i++) t0[i] = -t[i]!;
  else t0.fill(0);
  const per = 8 * Math.max(1, Math.floor(PER_CALL / (8 * Math.max(1, n))));
  for (let i = 0; i < D; i += per) k.exports.mul_h(s.hAt, nzAt, valAt, t0At, oAt, D, n, i, Math.min(D, i + per));
  out.set(k.f64(oAt, D));
  return true;
}

/**
 * objective (round-row.ts) of v with H v from mulHOnSupport, and quadraticFrom(v, H v): [objective, v^T H v],
 * or null if unavailable for this H.
 */
export function objectiveKernel(H: Float64Array, v: Float64Array, w: Float64Array, t: Float64Array, reg: number): [number, number] | null {
  const D = v.length;
  const s = withH(H, D);
  if (!s) return null;
  const { k } = s;
  const vAt = k.put(v);
  const wAt = k.put(w);
  const tAt = k.put(t);
  const nzAt = k.alloc(D * 4);
  const valAt = k.alloc(D * 8);
  const zAt = k.alloc(D * 8);
  const hvAt = k.alloc(D * 8);
  const oAt = k.alloc(16);
  k.exports.objective(s.hAt, vAt, wAt, tAt, D, reg, nzAt, valAt, zAt, hvAt, oAt);
  const f = k.heap().f64;
  return [f[oAt >> 3]!, f[(oAt >> 3) + 1]!];
}

/**
 * withGain's round for gain g: descend runs on w / g and t / g (w, t as given), then `err` is the objective of
 * g wq against w, t with `reg` (objectiveKernel's first value).
 */
export interface GainRound { g: number; reg: number }

/** What descend needs of its codebooks: values ascending and each value's term count. */
export interface BookArrays { values: Float64Array; termCount: Int8Array }

/**
 * descend (round-row.ts): candidate table and coordinate descent from `wq0`, with the starting gradient `grad` or
 * H wq0 - t (with `gain`, on w / g and t / g, then the scaled row's objective). Returns the rounded row, each
 * weight's codebook index and the objective (NaN without `gain`), or null if unavailable for this H.
 */
export function descendKernel(H: Float64Array, w: Float64Array, wq0: Float64Array, t: Float64Array, grad: Float64Array | undefined,
  book: BookArrays, one: BookArrays | undefined, scale: number, reg: number, mu: number, passes: number, gain?: GainRound): { wq: Float64Array; index: Int32Array; err: number } | null {
  const D = w.length;
  const s = withH(H, D);
  if (!s) return null;
  const { k } = s;
  const nc = one ? 6 : 4;
  const rawW = k.put(w);
  const rawT = k.put(t);
  const wAt = gain ? k.alloc(D * 8) : rawW;
  const tAt = gain ? k.alloc(D * 8) : rawT;
  const vAt = gain ? k.alloc(D * 8) : 0;
  const oAt = k.alloc(16);
  const wqAt = k.put(wq0);
  const gAt = grad ? k.put(grad) : k.alloc(D * 8);
  const cAt = k.alloc(D * nc * 4);
  const valsAt = k.alloc(D * nc * 8);
  const termsAt = k.alloc(D * nc * 8);
  const bvAt = k.put(book.values);
  const btAt = k.put(book.termCount);
  const oneAt = one ? k.put(one.values) : 0;
  const nzAt = k.alloc(D * 4);
  const valAt = k.alloc(D * 8);
  const t0At = k.alloc(D * 8);
  const at = k.params([s.hAt, wAt, tAt, wqAt, gAt, cAt, valsAt, termsAt, bvAt, btAt, book.values.length, oneAt, one ? one.values.length : 0,
    D, nc, passes, grad ? 0 : 1, nzAt, valAt, t0At]);
  if (gain) {
    k.exports.scale_by(wAt, rawW, D, gain.g, 0);
    k.exports.scale_by(tAt, rawT, D, gain.g, 0);
  }
  k.exports.descend(at, scale, reg, mu);
  let err = NaN;
  if (gain) {
    k.exports.scale_by(vAt, wqAt, D, gain.g, 1);
    k.exports.objective(s.hAt, vAt, rawW, rawT, D, gain.reg, nzAt, valAt, t0At, gAt, oAt);
    err = k.heap().f64[oAt >> 3]!;
  }
  return { wq: k.f64(wqAt, D).slice(), index: k.i32(cAt, D).slice(), err };
}

/**
 * heldOutError (recover.ts): the squared output errors of rows `ws` (quantised `wqs`, gains g, bias fixes bd) summed
 * over patch rows from..to, rows in order within each patch row; null if unavailable.
 */
export function heldOutKernel(p: PatchArrays, wqs: readonly Float64Array[], ws: readonly Float64Array[], g: Float64Array, bd: Float64Array, from: number, to: number): number | null {
  const s = withPatches(p);
  const D = p.D;
  if (!s) return null;
  const { k } = s;
  const M = ws.length;
  const qsAt = putRows(k, wqs, D);
  const wsAt = putRows(k, ws, D);
  const q4At = k.alloc(M * D * 8);
  const w4At = k.alloc(M * D * 8);
  const gAt = k.put(g);
  const bdAt = k.put(bd);
  const eAt = k.alloc(M * 8);
  k.exports.interleave4(q4At, qsAt, M >> 2, D);
  k.exports.interleave4(w4At, wsAt, M >> 2, D);
  const at = k.params([s.pAt, s.pAt + 8 * p.P * D, q4At, w4At, qsAt, wsAt, gAt, bdAt, eAt, D, M, 0, 0]);
  let err = 0;
  k.inSlices(at, 11, to, Math.max(1, Math.floor(PER_CALL / (2 * M * D))), (pa) => { err = k.exports.held_out(pa, err); }, from);
  return err;
}

/** greedyLogRow (shift-layer.ts): codes and values of w at exponent E, or null (kernels unavailable, or a case JavaScript decides). */
export function greedyLogRowKernel(w: Float64Array, E: number, K: number, B: number): { codes: Int8Array; wq: Float64Array } | null {
  const span = 2 ** B - 1;
  if (!Number.isInteger(E) || Math.abs(E) > 2 ** 20 || !Number.isInteger(span) || span > 2 ** 20) return null;
  const s = reserve(0, 0);
  if (!s) return null;
  const { k } = s;
  const D = w.length;
  const wAt = k.put(w);
  const cAt = k.alloc(D * K);
  const qAt = k.alloc(D * 8);
  const h = k.heap();
  h.u8.fill(0, cAt, cAt + D * K);
  h.f64.fill(0, qAt >> 3, (qAt >> 3) + D);
  if (k.exports.greedy_log_row(wAt, D, E, K, span, cAt, qAt)) return null;
  return { codes: k.i8(cAt, D * K).slice(), wq: k.f64(qAt, D).slice() };
}
