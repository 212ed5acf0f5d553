// C kernels of the shift-add layers (ShiftConv, ShiftGemm): loops around the weight stream codegen packed.
import { SHIFT_OPERANDS } from '../../ir/lowered.js';
import type { ShiftConvAttrs } from '../../ir/ops/shift-conv.js';
import type { ShiftGemmAttrs } from '../../ir/ops/shift-gemm.js';
import type { Tensor } from '../../ir/tensor.js';
import { constArray, ctype, lit, utype } from './cfmt.js';
import { denseChannelWords } from '../../codegen/dense.js';
import { packDataLayer, type WeightStats } from '../../codegen/weights.js';
import { constData, optionalConstData, out, val, weightTable, type Kernel, type GainWalk, type KernelCtx, type Packed } from './kernel.js';
import { denseWalkText } from './dense.js';
import { clampHi, codeForm } from './unroll.js';
import { convLoops, convWindow } from './conv-window.js';
import { packedTables } from './packed-kernel.js';
import { listConvKernel } from './list-kernel.js';

/**
 * The optional channel gain (docs/numerics.md) of the data forms: a table of G digit codes per channel read
 * through a pointer `gm` that steps by G per channel (opaque, or gcc rewrites it as base + m * G: a multiply).
 * `decl` is the table, for the caller to place among the layer's declarations.
 */
function gainTable(ctx: KernelCtx): GainWalk & { decl: string | null } {
  const g = optionalConstData(ctx, SHIFT_OPERANDS.gain);
  if (!g) return { init: [], next: [], gain: (acc) => acc, bytes: 0, decl: null };
  const G = g.shape[1]!;
  const fn = ctx.rt.need('sac_gain');
  return { init: [`const int8_t *gm = ${ctx.fn}_g;`], next: [`gm += ${G};`, 'SAC_OPAQUE(gm);'], gain: (acc) => `${fn}(${acc}, gm, ${G})`, bytes: g.data.length, decl: constArray(`${ctx.fn}_g`, 'int8_t', g.data) };
}

/**
 * Prints the layer's weight stream (chosen and packed by codegen: packDataLayer, or packPackedLayer in
 * packed-kernel.ts), the bias/shift tables and the tap offset table; returns the walk and the flash accounting.
 */
function emitTables(ctx: KernelCtx, xt: string, codes: Tensor, M: number, D: number, K: number, B: number, tapOff: number[] | null, at = 0): Packed & { scratch?: number; weights: WeightStats } {
  const gt = gainTable(ctx);
  if (ctx.packed) {
    if (gt.decl) ctx.decls.push(gt.decl);
    return packedTables(ctx, xt, M, D, K, B, tapOff, gt, at);
  }
  const lw = packDataLayer(codes, { M, D, K, B }, { tapOff, gainBytes: gt.bytes });
  const st = lw.stream;
  const tapT = st.form === 'sparse' && st.paged ? 'uint8_t' : utype(D - 1);
  const f = ctx.fn;
  if (st.form === 'dense') ctx.decls.push(weightTable(ctx, `${f}_w`, 'uint16_t', st.words));
  else ctx.decls.push(weightTable(ctx, `${f}_h`, 'uint16_t', st.hdr), weightTable(ctx, `${f}_t`, tapT, st.taps));
  ctx.decls.push(constArray(`${f}_b`, 'int32_t', constData(ctx, SHIFT_OPERANDS.bias).data), constArray(`${f}_r`, 'int8_t', constData(ctx, SHIFT_OPERANDS.rshift).data));
  const tableT = lw.table ? utype(lw.table.max) : null;
  if (lw.table) ctx.decls.push(constArray(`${f}_o`, tableT!, lw.table.offsets));
  const tab = tableT ? `, ${f}_o` : '';
  if (gt.decl) ctx.decls.push(gt.decl);
  if (st.form === 'dense') {
    ctx.decls.push(denseWalkText(`${f}_walk`, xt, tableT, D, K, 1 + st.shiftBits, st.zero));
    return {
      init: [`const uint16_t *w = ${f}_w;`, ...gt.init],
      decode: [],
      save: [],
      restore: '',
      next: [`w += ${denseChannelWords(D, K, 1 + st.shiftBits)};`, 'SAC_OPAQUE(w);', ...gt.next],
      sum: (p) => `${f}_walk(${p}${tab}, w)`,
      gain: gt.gain,
      weights: lw.stats,
    };
  }
  const fn = ctx.rt.terms(xt, tapT, tableT, st.paged);
  return {
    init: [`const uint16_t *h = ${f}_h;`, `const ${tapT} *t = ${f}_t;`, ...gt.init],
    decode: [],
    save: ['const uint16_t *h0 = h;', `const ${tapT} *t0 = t;`],
    restore: 'h = h0; t = t0;',
    next: gt.next,
    sum: (p) => `${fn}(${p}, &h, &t${tab})`,
    gain: gt.gain,
    weights: lw.stats,
  };
}

function bytesOf(t: string): number {
  return /8_t$/.test(t) ? 1 : /16_t$/.test(t) ? 2 : 4;
}

/** One output element: bias + term walk, narrowed. `p` is the window's first input element. */
function outputStmt(ctx: KernelCtx, pk: Packed, yt: string, p: string, bits: number, lo: number, hi: string): string {
  const narrow = ctx.rt.need('sac_narrow');
  const acc = pk.gain(`(int32_t)((uint32_t)${ctx.fn}_b[m] + ${pk.sum(p)})`);
  return `*y++ = (${yt})${narrow}(${acc}, ${ctx.fn}_r[m], ${bits}, ${lit(lo)}, ${hi});`;
}

export function shiftConvKernel(ctx: KernelCtx, a: ShiftConvAttrs): Kernel {
  const x = val(ctx, SHIFT_OPERANDS.x).type;
  const codes = constData(ctx, SHIFT_OPERANDS.codes);
  const xt = ctype(x.dtype, ctx.where);
  const yt = ctype(out(ctx).type.dtype, ctx.where);
  const M = codes.shape[0]!;
  const win = convWindow(ctx, a, x, out(ctx).type, M);
  const { tapOff, src } = win;
  const D = tapOff.length;
  let decode: string[];
  let stmt: string;
  let init: string[] = [];
  let next: string[] = [];
  let weights: WeightStats;
  // Scratch bytes: the zero-padded input planes, then (packed form) the decoded channel, 4-byte aligned.
  const xb = bytesOf(xt);
  let scratchBytes = win.padded ? (win.cPerG * win.Hp * win.Wp * xb + 3) & ~3 : 0;
  if (ctx.list) {
    const k = listConvKernel(ctx, a, xt, yt);
    if (k) return k;
  }
  if (ctx.asCode) {
    const c = codeForm(ctx, xt, yt, M, D, a, tapOff, `${src} + o`);
    decode = c.decode;
    stmt = c.stmt;
    weights = c.weights;
  } else {
    const pk = emitTables(ctx, xt, codes, M, D, a.terms, a.shiftBits, tapOff, scratchBytes);
    scratchBytes += pk.scratch ?? 0;
    weights = pk.weights;
    init = pk.init;
    decode = [...pk.decode, ...pk.save];
    next = pk.next;
    stmt = `${pk.restore ? `${pk.restore} ` : ''}${outputStmt(ctx, pk, yt, `${src} + o`, a.bits, a.actMin, clampHi(ctx, a))}`;
  }
  const body = convLoops(ctx, win, xt, { init, decode, stmt: [stmt], next });
  return { data: [SHIFT_OPERANDS.x], body, weights, ...(scratchBytes ? { scratch: { type: xt, elems: (scratchBytes + xb - 1) >> Math.log2(xb) } } : {}) };
}

export function shiftGemmKernel(ctx: KernelCtx, a: ShiftGemmAttrs): Kernel {
  const x = val(ctx, SHIFT_OPERANDS.x).type;
  const codes = constData(ctx, SHIFT_OPERANDS.codes);
  const xt = ctype(x.dtype, ctx.where);
  const yt = ctype(out(ctx).type.dtype, ctx.where);
  const [N, D] = x.shape as [number, number];
  const M = codes.shape[0]!;
  let init: string[];
  let stmt: string[];
  let scratch = 0;
  let weights: WeightStats;
  if (ctx.asCode) {
    const c = codeForm(ctx, xt, yt, M, D, a, Array.from({ length: D }, (_, t) => t), 'x0');
    init = [];
    stmt = [...c.decode, c.stmt];
    weights = c.weights;
  } else {
    const pk = emitTables(ctx, xt, codes, M, D, a.terms, a.shiftBits, null);
    init = pk.init;
    stmt = [...pk.decode, outputStmt(ctx, pk, yt, 'x0', a.bits, a.actMin, clampHi(ctx, a)), ...pk.next];
    scratch = pk.scratch ?? 0;
    weights = pk.weights;
  }
  const body = [
    `for (int32_t n = 0; n < ${N}; n++) {`,
    ...init.map((l) => `  ${l}`),
    `  for (int32_t m = 0; m < ${M}; m++) {`,
    ...stmt.map((l) => `    ${l}`),
    '  }',
    `  x0 += ${D};`,
    '  SAC_OPAQUE(x0);',
    '  SAC_OPAQUE(y);',
    '}',
  ];
  const xb = bytesOf(xt);
  return { data: [SHIFT_OPERANDS.x], body, weights, ...(scratch ? { scratch: { type: xt, elems: (scratch + xb - 1) >> Math.log2(xb) } } : {}) };
}
