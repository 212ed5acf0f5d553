// TFLite-style int8 quantisation of a float IR graph for the CMSIS-NN peer: calibrated ranges, fusion, Q31 multipliers.
// The scheme of TFLite's post-training int8 converter: per-tensor asymmetric int8 activations from calibration
// min/max (range widened to hold 0), per-channel symmetric int8 weights (scale max|w|/127), int32 bias at
// s_in * s_w, requantisation by a Q31 multiplier and a shift; Relu/Clip fused into the producing Conv/Gemm/Add;
// MaxPool, AveragePool, Reshape and Concat keep their input's scale (their inputs share the output's range).
import { runGraph } from '../../dist/ir/interp-float.js';

/** TFLite's QuantizeMultiplier: real = q * 2^shift with q a Q31 integer in [2^30, 2^31). */
export function quantizeMultiplier(real) {
  if (!(real > 0)) return { mult: 0, shift: 0 };
  let shift = Math.floor(Math.log2(real)) + 1;
  let q = Math.round((real / 2 ** shift) * 2 ** 31);
  if (q === 2 ** 31) { q /= 2; shift++; }
  if (shift < -31) return { mult: 0, shift: 0 };
  return { mult: q, shift };
}

/** Scale and zero point of the int8 range that holds [lo, hi] and 0 (TFLite's asymmetric activations). */
export function rangeQuant(lo, hi) {
  lo = Math.min(0, lo); hi = Math.max(0, hi);
  const scale = hi > lo ? (hi - lo) / 255 : 1;
  const zp = Math.max(-128, Math.min(127, Math.round(-128 - lo / scale)));
  return { scale, zp };
}

export const q8 = (v, { scale, zp }) => Math.max(-128, Math.min(127, Math.round(v / scale) + zp));

/**
 * The peer's layer list over `fg` (the compile() floatGraph): each layer names its op, the float node(s) and
 * the value ids of its quantised input(s) and output (fused activations make the Relu/Clip output the
 * layer's output). Returns { layers, quant: Map valueId -> {scale, zp}, act: Map layer -> [min, max] }.
 */
export function planQuant(fg, calib) {
  const consumers = new Map();
  fg.nodes.forEach((n) => n.inputs.forEach((i) => { if (i >= 0) consumers.set(i, [...(consumers.get(i) ?? []), n]); }));
  const layers = [];
  const fused = new Set();
  const alias = new Map(); // fused pre-activation value -> post-activation value
  for (const n of fg.nodes) {
    if (fused.has(n)) continue;
    const k = n.op.kind;
    const after = consumers.get(n.outputs[0]) ?? [];
    let act = null;
    if ((k === 'Conv' || k === 'Gemm' || k === 'Add') && after.length === 1 && (after[0].op.kind === 'Relu' || after[0].op.kind === 'Clip') && !fg.outputs.includes(n.outputs[0])) {
      act = after[0];
      fused.add(act);
      alias.set(n.outputs[0], act.outputs[0]);
    }
    if (k === 'Relu' || k === 'Clip') throw new Error(`cmsis peer: unfused ${k} ${n.name}`);
    const src = (i) => alias.get(i) ?? i;
    layers.push({ node: n, kind: k, act, inputs: n.inputs.filter((i) => i >= 0 && !fg.values[i].data).map(src), out: act ? act.outputs[0] : n.outputs[0] });
  }
  // Calibration: min/max of every value over the calibration samples.
  const lo = new Map(), hi = new Map();
  runGraph(fg, [calib], (id, t) => {
    let a = lo.get(id) ?? Infinity, b = hi.get(id) ?? -Infinity;
    for (const v of t.data) { if (v < a) a = v; if (v > b) b = v; }
    lo.set(id, a); hi.set(id, b);
  });
  const inId = fg.inputs[0];
  let xlo = Infinity, xhi = -Infinity;
  for (const v of calib.data) { if (v < xlo) xlo = v; if (v > xhi) xhi = v; }
  lo.set(inId, xlo); hi.set(inId, xhi);
  // Scale-preserving ops tie their inputs to their output: union of ranges within each group.
  const parent = new Map();
  const find = (x) => { while (parent.has(x) && parent.get(x) !== x) x = parent.get(x); return x; };
  const join = (a, b) => { const ra = find(a), rb = find(b); if (ra !== rb) parent.set(ra, rb); };
  for (const L of layers) if (['MaxPool', 'AveragePool', 'GlobalAveragePool', 'Reshape', 'Concat'].includes(L.kind)) for (const i of L.inputs) join(i, L.out);
  const glo = new Map(), ghi = new Map();
  for (const id of lo.keys()) { const r = find(id); glo.set(r, Math.min(glo.get(r) ?? Infinity, lo.get(id))); ghi.set(r, Math.max(ghi.get(r) ?? -Infinity, hi.get(id))); }
  const quant = new Map();
  const of = (id) => { if (!quant.has(id)) { const r = find(id); quant.set(id, rangeQuant(glo.get(r), ghi.get(r))); } return quant.get(id); };
  for (const L of layers) { for (const i of L.inputs) of(i); of(L.out); }
  of(inId);
  return { layers, quant, alias };
}

/** Quantised activation bounds of a layer's fused activation in its output's int8 domain. */
export function actRange(L, oq) {
  if (!L.act) return [-128, 127];
  if (L.act.op.kind === 'Relu') return [Math.max(-128, oq.zp), 127];
  const { min, max } = L.act.op.attrs;
  return [q8(min, oq), q8(max, oq)];
}

/** Per-channel int8 weights (rows of `per` values), int32 bias and Q31 multipliers of a Conv/Gemm layer. */
export function quantWeights(w, b, M, sIn, sOut) {
  const per = w.length / M;
  const q = new Int8Array(w.length);
  const bias = new Int32Array(M), mult = new Int32Array(M), shift = new Int32Array(M);
  for (let m = 0; m < M; m++) {
    let amax = 0;
    for (let i = m * per; i < (m + 1) * per; i++) amax = Math.max(amax, Math.abs(w[i]));
    const sw = amax > 0 ? amax / 127 : 1;
    for (let i = m * per; i < (m + 1) * per; i++) q[i] = Math.max(-127, Math.min(127, Math.round(w[i] / sw)));
    bias[m] = Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, Math.round((b ? b[m] : 0) / (sIn * sw))));
    const r = quantizeMultiplier((sIn * sw) / sOut);
    mult[m] = r.mult; shift[m] = r.shift;
  }
  return { q, bias, mult, shift };
}

/** TFLite's int8 Add parameters (left shift 20, input multipliers against twice the larger input scale). */
export function addParams(s1, s2, sOut) {
  const twice = 2 * Math.max(s1, s2);
  return { left: 20, in1: quantizeMultiplier(s1 / twice), in2: quantizeMultiplier(s2 / twice), out: quantizeMultiplier(twice / (2 ** 20 * sOut)) };
}
