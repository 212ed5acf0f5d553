// Peer 3: a TFLite-style int8 build of a float graph on ARM CMSIS-NN (NHWC, arm_* wrappers, greedy-planned arena).
// cmsisNnC(floatGraph, calib, name) -> { source, inQuant, outQuant, inLen, outLen, arenaBytes, scratchBytes }. The C
// calls the kernels of ../shared/peers/cmsis-nn (compiled by the bench, never copied here); quantisation in
// cmsis-quant.mjs. Input is int8 NHWC quantised with inQuant (q = round(x / scale) + zp); output int8 logits.
import { initList, numel } from './c-common.mjs';
import { actRange, addParams, planQuant, quantWeights } from './cmsis-quant.mjs';

const dims = (s) => (s.length === 4 ? { n: 1, h: s[2], w: s[3], c: s[1] } : { n: 1, h: 1, w: 1, c: s[1] });

/** TFLite micro's greedy planner: largest buffers first, each at the lowest offset free over its lifetime. */
function planArena(sizes, first, last) {
  const ids = [...sizes.keys()].sort((a, b) => sizes.get(b) - sizes.get(a) || a - b);
  const placed = [];
  const off = new Map();
  for (const id of ids) {
    const live = placed.filter((p) => first.get(p) <= last.get(id) && first.get(id) <= last.get(p)).sort((a, b) => off.get(a) - off.get(b));
    let o = 0;
    for (const p of live) { if (o + sizes.get(id) <= off.get(p)) break; o = Math.max(o, off.get(p) + ((sizes.get(p) + 3) & ~3)); }
    off.set(id, o);
    placed.push(id);
  }
  const total = Math.max(0, ...ids.map((id) => off.get(id) + sizes.get(id)));
  return { off, total };
}

export function cmsisNnC(fg, calib, name) {
  const { layers, quant, alias } = planQuant(fg, calib);
  const shape = (id) => fg.values[id].type.shape;
  const inId = fg.inputs[0];
  const outId = alias.get(fg.outputs[0]) ?? fg.outputs[0];
  const consts = [];
  const calls = [];
  let scratch = 0;
  // Reshape is an alias (flatten of NHWC is HWC order: the Gemm after it reads its weights permuted to match).
  const storage = new Map([[inId, inId]]);
  const chw = new Map(); // value -> the [C, H, W] it was flattened from
  for (const L of layers) {
    if (L.kind === 'Reshape') { storage.set(L.out, storage.get(L.inputs[0])); const s = shape(L.inputs[0]); if (s.length === 4) chw.set(L.out, s.slice(1)); }
    else storage.set(L.out, L.out);
  }
  const ptr = (id) => (storage.get(id) === inId ? 'in' : `(arena + A${storage.get(id)})`);
  const arr = (t, n, v) => { consts.push(`static const ${t} ${n}[${v.length}] = ${initList(v)};`); return n; };
  const mut = (t, n, v) => { consts.push(`static const ${t} ${n}[${v.length}] = ${initList(v)};`); return n; }; // read-only: cast at use
  const dimLit = (d) => `{${d.n}, ${d.h}, ${d.w}, ${d.c}}`;
  for (const [k, L] of layers.entries()) {
    const n = L.node, a = n.op.attrs;
    const x = L.inputs[0], xq = quant.get(x), oq = quant.get(L.out);
    const [amin, amax] = actRange(L, oq);
    const di = dims(shape(x)), dout = dims(shape(L.out));
    switch (L.kind) {
      case 'Conv': {
        const W = fg.values[n.inputs[1]].data, [M, CG, KH, KW] = W.shape;
        const b = n.inputs[2] >= 0 && n.inputs[2] !== undefined ? fg.values[n.inputs[2]].data.data : null;
        const Q = quantWeights(W.data, b, M, xq.scale, oq.scale);
        const dw = a.group > 1;
        if (dw && !(a.group === di.c && CG === 1)) throw new Error(`${n.name}: grouped conv not covered`);
        if (a.pads[0] !== a.pads[2] || a.pads[1] !== a.pads[3]) throw new Error(`${n.name}: asymmetric pads`);
        const w = new Int8Array(Q.q.length);
        for (let m = 0; m < M; m++) for (let c = 0; c < CG; c++) for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++)
          w[dw ? (kh * KW + kw) * M + m : ((m * KH + kh) * KW + kw) * CG + c] = Q.q[((m * CG + c) * KH + kh) * KW + kw];
        arr('int8_t', `w${k}`, w); arr('int32_t', `b${k}`, Q.bias); mut('int32_t', `m${k}`, Q.mult); mut('int32_t', `s${k}`, Q.shift);
        const [DH, DW] = a.dilations ?? [1, 1];
        const fd = dw ? { n: 1, h: KH, w: KW, c: M } : { n: M, h: KH, w: KW, c: CG };
        const common = `{${a.strides[1]}, ${a.strides[0]}}, {${a.pads[1]}, ${a.pads[0]}}, {${DW}, ${DH}}, {${amin}, ${amax}}`;
        const params = dw ? `cmsis_nn_dw_conv_params p = {${-xq.zp}, ${oq.zp}, ${M / di.c}, ${common}};` : `cmsis_nn_conv_params p = {${-xq.zp}, ${oq.zp}, ${common}};`;
        const fn = dw ? 'arm_depthwise_conv_wrapper_s8' : 'arm_convolve_wrapper_s8';
        scratch = Math.max(scratch, dw ? 2 * di.c * KH * KW : 4 * (((KH * KW * CG) + 3) & ~3));
        calls.push(`  { ${params}
    cmsis_nn_per_channel_quant_params q = {(int32_t *)m${k}, (int32_t *)s${k}};
    cmsis_nn_dims di = ${dimLit(di)}, df = ${dimLit(fd)}, db = {1, 1, 1, ${M}}, dout = ${dimLit(dout)};
    ctx.size = ${fn}_get_buffer_size(&p, &di, &df, &dout);
    if (ctx.size > (int32_t)sizeof scratch || ${fn}(&ctx, &p, &q, &di, ${ptr(x)}, &df, w${k}, &db, b${k}, &dout, ${ptr(L.out)}) != ARM_CMSIS_NN_SUCCESS) return ${k + 1}; }`);
        break;
      }
      case 'Gemm': {
        if (a.transA || a.alpha !== 1 || a.beta !== 1) throw new Error(`${n.name}: Gemm form not covered`);
        const W = fg.values[n.inputs[1]].data;
        const [N, K] = a.transB ? W.shape : [W.shape[1], W.shape[0]];
        const src = a.transB ? W.data : new Float32Array(N * K).map((_, i) => W.data[(i % K) * N + Math.floor(i / K)]);
        const b = n.inputs[2] >= 0 && n.inputs[2] !== undefined ? fg.values[n.inputs[2]].data.data : null;
        const Q = quantWeights(src, b, N, xq.scale, oq.scale);
        const from = chw.get(x);
        let w = Q.q;
        if (from && from[1] * from[2] > 1) { // columns in CHW order -> HWC order of the NHWC flatten
          const [C, H, Wd] = from;
          w = new Int8Array(N * K);
          for (let r = 0; r < N; r++) for (let c = 0; c < C; c++) for (let p = 0; p < H * Wd; p++) w[r * K + p * C + c] = Q.q[r * K + c * H * Wd + p];
        }
        arr('int8_t', `w${k}`, w); arr('int32_t', `b${k}`, Q.bias); mut('int32_t', `m${k}`, Q.mult); mut('int32_t', `s${k}`, Q.shift);
        calls.push(`  { cmsis_nn_fc_params p = {${-xq.zp}, 0, ${oq.zp}, {${amin}, ${amax}}};
    cmsis_nn_per_channel_quant_params q = {(int32_t *)m${k}, (int32_t *)s${k}};
    cmsis_nn_dims di = {1, 1, 1, ${K}}, df = {${K}, 1, 1, ${N}}, db = {1, 1, 1, ${N}}, dout = {1, 1, 1, ${N}};
    ctx.size = 0;
    if (arm_fully_connected_per_channel_s8(&ctx, &p, &q, &di, ${ptr(x)}, &df, w${k}, &db, b${k}, &dout, ${ptr(L.out)}) != ARM_CMSIS_NN_SUCCESS) return ${k + 1}; }`);
        break;
      }
      case 'Add': {
        const y = L.inputs[1], yq = quant.get(y);
        if (numel(shape(x)) !== numel(shape(y))) throw new Error(`${n.name}: broadcasting Add not covered`);
        const P = addParams(xq.scale, yq.scale, oq.scale);
        calls.push(`  if (arm_elementwise_add_s8(${ptr(x)}, ${ptr(y)}, ${-xq.zp}, ${P.in1.mult}, ${P.in1.shift}, ${-yq.zp}, ${P.in2.mult}, ${P.in2.shift}, ${P.left}, ${ptr(L.out)}, ${oq.zp}, ${P.out.mult}, ${P.out.shift}, ${amin}, ${amax}, ${numel(shape(x))}) != ARM_CMSIS_NN_SUCCESS) return ${k + 1};`);
        break;
      }
      case 'MaxPool': case 'AveragePool': case 'GlobalAveragePool': {
        const glob = L.kind === 'GlobalAveragePool';
        const [KH, KW] = glob ? [di.h, di.w] : a.kernel;
        const [SH, SW] = glob ? [1, 1] : a.strides;
        const [PT, PL] = glob ? [0, 0] : a.pads;
        const fn = L.kind === 'MaxPool' ? 'arm_max_pool_s8' : 'arm_avgpool_s8';
        if (fn === 'arm_avgpool_s8') scratch = Math.max(scratch, 4 * di.c);
        calls.push(`  { cmsis_nn_pool_params p = {{${SW}, ${SH}}, {${PL}, ${PT}}, {${amin}, ${amax}}};
    cmsis_nn_dims di = ${dimLit(di)}, df = {1, ${KH}, ${KW}, 1}, dout = ${dimLit(dout)};
    ctx.size = ${fn === 'arm_avgpool_s8' ? `arm_avgpool_s8_get_buffer_size(${dout.w}, ${di.c})` : '0'};
    if (ctx.size > (int32_t)sizeof scratch || ${fn}(&ctx, &p, &di, ${ptr(x)}, &df, &dout, ${ptr(L.out)}) != ARM_CMSIS_NN_SUCCESS) return ${k + 1}; }`);
        break;
      }
      case 'Concat': {
        const axis = a.axis < 0 ? a.axis + shape(L.out).length : a.axis;
        if (axis !== 1 || shape(L.out).length !== 4) throw new Error(`${n.name}: concat on channels only`);
        let off = 0;
        for (const i of L.inputs) {
          const d = dims(shape(i));
          calls.push(`  arm_concatenation_s8_x(${ptr(i)}, ${d.c}, ${d.w}, ${d.h}, 1, ${ptr(L.out)}, ${dout.c}, ${off});`);
          off += d.c;
        }
        break;
      }
      case 'Reshape': break;
      default: throw new Error(`cmsis peer: op ${L.kind} (${n.name}) not covered`);
    }
  }
  // Arena: every stored value but the input, live from its producer to its last reader (concat inputs to the concat).
  const first = new Map(), last = new Map(), sizes = new Map();
  layers.forEach((L, k) => {
    const s = storage.get(L.out);
    if (s !== inId && !first.has(s)) { first.set(s, k); sizes.set(s, numel(shape(L.out))); last.set(s, k); }
    for (const i of L.inputs) { const si = storage.get(i); if (si !== inId) last.set(si, Math.max(last.get(si) ?? k, k)); }
  });
  last.set(storage.get(outId), layers.length);
  const { off, total } = planArena(sizes, first, last);
  const outLen = numel(shape(outId));
  const source = `// ${name}: TFLite-style int8 CMSIS-NN peer generated by bench/peers/cmsis-nn.mjs.
#include <stdint.h>
#include "arm_nnfunctions.h"

${[...off].map(([id, o]) => `#define A${id} ${o}`).join('\n')}
static int8_t arena[${Math.max(4, total)}] __attribute__((aligned(4)));
static int32_t scratch[${Math.max(1, Math.ceil(scratch / 4))}];

${consts.join('\n')}

int ${name}_run(const int8_t *in, int8_t *out) {
  cmsis_nn_context ctx = {scratch, 0};
${calls.join('\n')}
  for (int i = 0; i < ${outLen}; i++) out[i] = ${ptr(outId)}[i];
  return 0;
}
`;
  return { source, inQuant: quant.get(inId), outQuant: quant.get(outId), inLen: numel(shape(inId)), outLen, arenaBytes: total, scratchBytes: scratch };
}

/** Quantises one float NCHW sample (batch 1) to the peer's int8 NHWC input. */
export function peerInput(x, s, q) {
  const [, C, H, W] = s;
  const out = new Int8Array(C * H * W);
  for (let c = 0; c < C; c++) for (let p = 0; p < H * W; p++) out[p * C + c] = Math.max(-128, Math.min(127, Math.round(x[c * H * W + p] / q.scale) + q.zp));
  return out;
}
