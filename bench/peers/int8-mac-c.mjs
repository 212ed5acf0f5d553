// Peer 2: straightforward int8 multiply-accumulate C of the same quantised model as our shift-add graph.
// int8MacC(intGraph, floatGraph, name): the integer graph fixes structure, activation dtypes/fracs and fused
// clamps; each ShiftConv/ShiftGemm is replaced by int8 weights of the float Conv/Gemm of the same name
// (symmetric, per output channel, power-of-two scale 2^-wf with the largest wf keeping |w| <= 127), int32
// accumulation with `*` and the same requantise-by-shift (round half up, per-channel shift) and clamp.
import { buffers, concatLoop, convLoop, gemmLoop, geom, initList, maxPoolLoop, numel, unit } from './c-common.mjs';

const HELPERS = `static inline int32_t rshr(int32_t v, int32_t r) { return r > 0 ? (v + (1 << (r - 1))) >> r : (int32_t)((uint32_t)v << -r); }
static inline int32_t clampi(int32_t v, int32_t lo, int32_t hi) { return v < lo ? lo : v > hi ? hi : v; }`;

const ctype = (v) => ({ int8: 'int8_t', int16: 'int16_t' })[v.type.dtype] ?? (() => { throw new Error(`int8 peer: dtype ${v.type.dtype}`); })();

/** Per-channel int8 weights, int32 bias and requantisation shift of a float layer with rows of `per` weights. */
export function quantizeLayer(w, b, M, fi, fo) {
  const per = w.length / M;
  const q = new Int8Array(w.length);
  const bias = new Int32Array(M);
  const shift = new Int32Array(M);
  for (let m = 0; m < M; m++) {
    let amax = 0;
    for (let i = m * per; i < (m + 1) * per; i++) amax = Math.max(amax, Math.abs(w[i]));
    // Keep the bias (at frac fi + wf) inside int32 and the shift inside [-31, 31].
    const wf = Math.max(fo - fi - 31, Math.min(amax > 0 ? Math.floor(Math.log2(127 / amax)) : 0, 24 - fi, 31 + fo - fi));
    for (let i = m * per; i < (m + 1) * per; i++) q[i] = Math.max(-127, Math.min(127, Math.round(w[i] * 2 ** wf)));
    bias[m] = Math.round((b ? b[m] : 0) * 2 ** (fi + wf));
    shift[m] = fi + wf - fo;
  }
  return { q, bias, shift };
}

export function int8MacC(ig, fg, name) {
  const { name: buf, decls } = buffers(ig, ctype);
  const consts = [HELPERS];
  const shape = (id) => ig.values[id].type.shape;
  const frac = (id) => ig.values[id].quant?.frac ?? 0;
  const bodies = [];
  for (const n of ig.nodes) {
    const a = n.op.attrs;
    const x = buf.get(n.inputs[0]);
    const y = buf.get(n.outputs[0]);
    const count = numel(shape(n.outputs[0]));
    const clamp = (v) => `clampi(${v}, ${a.actMin}, ${a.actMax})`;
    switch (n.op.kind) {
      case 'ShiftConv': case 'ShiftGemm': {
        const f = fg.nodes.find((m) => m.name === n.name && (m.op.kind === 'Conv' || m.op.kind === 'Gemm'));
        if (!f) throw new Error(`int8 peer: no float Conv/Gemm named ${n.name}`);
        const W = fg.values[f.inputs[1]].data;
        if (f.op.kind === 'Gemm' && (!f.op.attrs.transB || f.op.attrs.transA || f.op.attrs.alpha !== 1 || f.op.attrs.beta !== 1)) throw new Error(`${n.name}: Gemm form not covered`);
        const M = W.shape[0];
        const bid = f.inputs[2];
        const L = quantizeLayer(W.data, bid >= 0 && bid !== undefined ? fg.values[bid].data.data : null, M, frac(n.inputs[0]), frac(n.outputs[0]));
        consts.push(`static const int8_t w${n.id}[${L.q.length}] = ${initList(L.q)};`,
          `static const int32_t b${n.id}[${M}] = ${initList(L.bias)};`, `static const int32_t r${n.id}[${M}] = ${initList(L.shift)};`);
        const loop = {
          x, w: `w${n.id}`, y, accInit: `int32_t acc = b${n.id}[m]`,
          mac: (xs, ws) => `acc += (int32_t)${xs}[xi] * ${ws}[wi]`,
          store: (ys) => `${ys}[yi] = ${clamp(`rshr(acc, r${n.id}[m])`)}`,
        };
        bodies.push(n.op.kind === 'ShiftConv'
          ? convLoop({ ...loop, g: geom(shape(n.inputs[0]), shape(n.outputs[0]), a), group: a.group })
          : gemmLoop({ ...loop, N: M, K: shape(n.inputs[0])[1] }));
        break;
      }
      case 'QAdd': {
        if (numel(shape(n.inputs[1])) !== count || numel(shape(n.inputs[0])) !== count) throw new Error(`${n.name}: broadcasting QAdd not covered`);
        const F = Math.max(a.fracA, a.fracB);
        bodies.push(`  for (int i = 0; i < ${count}; i++) ${y}[i] = ${clamp(`rshr((${x}[i] << ${F - a.fracA}) + (${buf.get(n.inputs[1])}[i] << ${F - a.fracB}), ${F - a.fracOut})`)};`);
        break;
      }
      case 'Requantize': bodies.push(`  for (int i = 0; i < ${count}; i++) ${y}[i] = ${clamp(`rshr(${x}[i], ${a.shift})`)};`); break;
      case 'MaxPool': bodies.push(maxPoolLoop({ x, y, g: geom(shape(n.inputs[0]), shape(n.outputs[0]), a), init: 'int32_t v = -32768' })); break;
      case 'QAveragePool': {
        const [, C, H, W] = shape(n.inputs[0]);
        const gm = a.global ? geom([1, C, H, W], shape(n.outputs[0]), { kernel: [H, W], strides: [1, 1], pads: [0, 0, 0, 0] })
          : geom(shape(n.inputs[0]), shape(n.outputs[0]), a);
        if (gm.PT || gm.PL || (!a.global && a.pads.some((p) => p))) throw new Error(`${n.name}: padded pooling not covered`);
        // Average = sum * round(2^D / N) >> shiftOut: one multiply per output, as integer kernels usually do.
        const D = a.digits.length - 1;
        const lim = a.bits === 16 ? 32767 : 127;
        const recip = Math.round(2 ** D / (gm.KH * gm.KW));
        if ((ig.values[n.inputs[0]].type.dtype === 'int16' ? 32768 : 128) * gm.KH * gm.KW * recip >= 2 ** 31) throw new Error(`${n.name}: sum * 2^D / N may overflow int32`);
        bodies.push(`  for (int c = 0; c < ${C}; c++)
    for (int oh = 0; oh < ${gm.OH}; oh++)
      for (int ow = 0; ow < ${gm.OW}; ow++) {
        int32_t s = 0;
        for (int kh = 0; kh < ${gm.KH}; kh++)
          for (int kw = 0; kw < ${gm.KW}; kw++) s += ${x}[(c * ${H} + oh * ${gm.SH} + kh) * ${W} + ow * ${gm.SW} + kw];
        ${y}[(c * ${gm.OH} + oh) * ${gm.OW} + ow] = clampi(rshr(s * ${recip}, ${a.shiftOut}), ${-lim - 1}, ${lim});
      }`);
        break;
      }
      case 'Concat': bodies.push(concatLoop(ig, n, buf)); break;
      case 'Reshape': break;
      default: throw new Error(`int8 peer: op ${n.op.kind} (${n.name}) not covered`);
    }
  }
  const out = ig.outputs[0];
  return unit({ title: `// ${name}: straightforward int8 MAC C peer generated by bench/peers/int8-mac-c.mjs.`, name,
    inT: ctype(ig.values[ig.inputs[0]]), outT: ctype(ig.values[out]), consts, decls, bodies, outExpr: buf.get(out), outN: numel(shape(out)) });
}
