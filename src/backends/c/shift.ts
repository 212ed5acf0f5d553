// C kernels of the shift-add layers (ShiftConv, ShiftGemm) and their packed weight streams.
import { SHIFT_OPERANDS } from '../../ir/lowered.js';
import type { ShiftConvAttrs } from '../../ir/ops/shift-conv.js';
import type { ShiftGemmAttrs } from '../../ir/ops/shift-gemm.js';
import { as2d } from '../../ir/ops/conv.js';
import type { Tensor } from '../../ir/tensor.js';
import { fail } from '../../diagnostics.js';
import { constArray, ctype, lit, utype } from './cfmt.js';
import { constData, optionalConstData, out, val, type Kernel, type KernelCtx } from './kernel.js';
import { denseChannelWords, denseWalkText, packDense } from './dense.js';
import { clampHi, codeForm } from './unroll.js';
import { packedTables } from './packed-kernel.js';

/** Largest bucket: the count field of a uint16 header has 10 bits. */
const MAX_BUCKET = 1023;

/**
 * Packs codes [M, D, K] into the two streams the C term walk reads (layout documented in NAME.h):
 * per channel a uint16 bucket count, then per (sign, shift) bucket a header `cnt << 6 | neg << 5 | sh`
 * and `cnt` tap indices. Zero codes (pruned weights, unused term slots) are not stored at all.
 * With `paged` (D > 256) buckets are also split by page t >> 8: the tap stream holds the page byte, then
 * one byte per tap (t & 255), so wide layers still spend 8 bits per term on the tap index.
 */
export function packCodes(codes: Tensor, M: number, D: number, K: number, paged = false): { hdr: number[]; taps: number[]; terms: number } {
  const cd = codes.data;
  const hdr: number[] = [];
  const taps: number[] = [];
  let terms = 0;
  for (let m = 0; m < M; m++) {
    // Key = (code + 64) * 256 + page: sorting keys orders buckets by code, then page (deterministic).
    const buckets = new Map<number, number[]>();
    for (let t = 0; t < D; t++) {
      for (let k = 0; k < K; k++) {
        const c = cd[(m * D + t) * K + k]!;
        if (c === 0) continue;
        terms++;
        const key = (c + 64) * 256 + (paged ? t >> 8 : 0);
        let b = buckets.get(key);
        if (!b) { b = []; buckets.set(key, b); }
        b.push(t);
      }
    }
    const chunks: { code: number; list: number[] }[] = [];
    for (const key of [...buckets.keys()].sort((a, b) => a - b)) {
      const list = buckets.get(key)!;
      for (let i = 0; i < list.length; i += MAX_BUCKET) chunks.push({ code: (key >> 8) - 64, list: list.slice(i, i + MAX_BUCKET) });
    }
    hdr.push(chunks.length);
    for (const { code, list } of chunks) {
      hdr.push((list.length << 6) | (code < 0 ? 32 : 0) | (Math.abs(code) - 1));
      if (paged) taps.push(list[0]! >> 8, ...list.map((t) => t & 255));
      else taps.push(...list);
    }
  }
  return { hdr, taps, terms };
}

/** How a kernel drives a layer's weight stream: state setup, per-channel decode and save/restore (conv), one output. */
export interface Packed {
  init: string[];
  /** Once per output channel, before its outputs (the packed form decodes the channel here). */
  decode: string[];
  save: string[];
  restore: string;
  /** After a channel's last output (dense streams advance by a fixed number of words per channel). */
  next: string[];
  /** The uint32 term sum of one output whose window starts at `p`; advances the stream by one channel. */
  sum: (p: string) => string;
  /** The accumulator through the channel gain (identity without one). */
  gain: (acc: string) => string;
}

/**
 * The optional channel gain (docs/numerics.md) of the data forms: a table of G digit codes per channel read
 * through a pointer `gm` that steps by G per channel (opaque, or gcc rewrites it as base + m * G: a multiply).
 */
function gainTable(ctx: KernelCtx): Pick<Packed, 'init' | 'next' | 'gain'> & { bytes: number } {
  const g = optionalConstData(ctx, SHIFT_OPERANDS.gain);
  if (!g) return { init: [], next: [], gain: (acc) => acc, bytes: 0 };
  const G = g.shape[1]!;
  ctx.decls.push(constArray(`${ctx.fn}_g`, 'int8_t', g.data));
  const fn = ctx.rt.need('sac_gain');
  return { init: [`const int8_t *gm = ${ctx.fn}_g;`], next: [`gm += ${G};`, 'SAC_OPAQUE(gm);'], gain: (acc) => `${fn}(${acc}, gm, ${G})`, bytes: g.data.length };
}

/**
 * Emits the weight stream (dense when every slot can be filled and that is not larger than the sparse
 * buckets), the bias/shift tables and the tap offset table, and records the layer's flash use.
 */
function emitTables(ctx: KernelCtx, xt: string, codes: Tensor, M: number, D: number, K: number, B: number, tapOff: number[] | null, at = 0): Packed & { scratch?: number } {
  if (ctx.packed) return packedTables(ctx, xt, M, D, K, B, tapOff, gainTable(ctx), at);
  // Paging needs D <= 65536 (one page byte); beyond that taps are plain uint32 indices.
  const paged = D > 256 && D <= 65536;
  const { hdr, taps, terms } = packCodes(codes, M, D, K, paged);
  const tapT = paged ? 'uint8_t' : utype(D - 1);
  const dense = packDense(codes, M, D, K, B);
  const sparseBytes = hdr.length * 2 + taps.length * bytesOf(tapT);
  const useDense = dense !== null && dense.words.length * 2 <= sparseBytes;
  const f = ctx.fn;
  if (useDense) ctx.decls.push(constArray(`${f}_w`, 'uint16_t', dense.words));
  else ctx.decls.push(constArray(`${f}_h`, 'uint16_t', hdr), constArray(`${f}_t`, tapT, taps));
  ctx.decls.push(constArray(`${f}_b`, 'int32_t', constData(ctx, SHIFT_OPERANDS.bias).data), constArray(`${f}_r`, 'int8_t', constData(ctx, SHIFT_OPERANDS.rshift).data));
  let tableT: string | null = null;
  let tableBytes = 0;
  if (tapOff && tapOff.some((o, t) => o !== t)) {
    tableT = utype(Math.max(...tapOff));
    ctx.decls.push(constArray(`${f}_o`, tableT, tapOff));
    tableBytes = tapOff.length * bytesOf(tableT);
  }
  const tab = tableT ? `, ${f}_o` : '';
  const gt = gainTable(ctx);
  ctx.flash.push({
    fn: ctx.fn, node: ctx.node.name, op: ctx.node.op.kind, form: useDense ? 'dense' : 'sparse', terms,
    weightBytes: (useDense ? dense.words.length * 2 : sparseBytes) + tableBytes,
    idealBytes: Math.ceil((terms * (1 + B)) / 8),
    ...(useDense ? { slotBytes: Math.ceil((dense.slots * (1 + B)) / 8) } : {}),
    paramBytes: M * 5 + gt.bytes,
  });
  if (useDense) {
    ctx.decls.push(denseWalkText(`${f}_walk`, xt, tableT, D, K, 1 + B, dense.zero));
    return {
      init: [`const uint16_t *w = ${f}_w;`, ...gt.init],
      decode: [],
      save: [],
      restore: '',
      next: [`w += ${denseChannelWords(D, K, 1 + B)};`, 'SAC_OPAQUE(w);', ...gt.next],
      sum: (p) => `${f}_walk(${p}${tab}, w)`,
      gain: gt.gain,
    };
  }
  const fn = ctx.rt.terms(xt, tapT, tableT, paged);
  return {
    init: [`const uint16_t *h = ${f}_h;`, `const ${tapT} *t = ${f}_t;`, ...gt.init],
    decode: [],
    save: ['const uint16_t *h0 = h;', `const ${tapT} *t0 = t;`],
    restore: 'h = h0; t = t0;',
    next: gt.next,
    sum: (p) => `${fn}(${p}, &h, &t${tab})`,
    gain: gt.gain,
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
  const y = out(ctx).type;
  const codes = constData(ctx, SHIFT_OPERANDS.codes);
  const xt = ctype(x.dtype, ctx.where);
  const yt = ctype(y.dtype, ctx.where);
  const { k, s, p, d } = as2d(a);
  const two = x.shape.length === 4;
  const [N, C] = x.shape as [number, number];
  const H = two ? x.shape[2]! : 1;
  const W = x.shape[x.shape.length - 1]!;
  const M = codes.shape[0]!;
  const OH = two ? y.shape[2]! : 1;
  const OW = y.shape[y.shape.length - 1]!;
  const [KH, KW] = k as [number, number];
  const G = a.group;
  const cPerG = C / G;
  const mPerG = M / G;
  if (!Number.isInteger(cPerG) || !Number.isInteger(mPerG)) fail('SAC060', `group ${G} does not divide the channels`, ctx.where);
  const [pt, pl, pb, pr] = [p[0]!, p[1]!, p[2]!, p[3]!];
  const padded = pt + pl + pb + pr > 0;
  const Hp = H + pt + pb;
  const Wp = W + pl + pr;
  // Tap t = (ci, kh, kw) reads the (padded) group buffer at a constant offset from the window origin.
  const tapOff: number[] = [];
  for (let ci = 0; ci < cPerG; ci++) {
    for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) tapOff.push(ci * Hp * Wp + kh * d[0]! * Wp + kw * d[1]!);
  }
  const D = cPerG * KH * KW;
  const code = Boolean(ctx.asCode);
  const src = padded ? 's' : 'x0';
  let decode: string[];
  let stmt: string;
  let init: string[] = [];
  let next: string[] = [];
  // Scratch bytes: the zero-padded input planes, then (packed form) the decoded channel, 4-byte aligned.
  const xb = bytesOf(xt);
  let scratchBytes = padded ? (cPerG * Hp * Wp * xb + 3) & ~3 : 0;
  if (code) {
    const c = codeForm(ctx, xt, yt, M, D, a, tapOff, `${src} + o`);
    decode = c.decode.map((l) => `      ${l}`);
    stmt = c.stmt;
  } else {
    const pk = emitTables(ctx, xt, codes, M, D, a.terms, a.shiftBits, tapOff, scratchBytes);
    scratchBytes += pk.scratch ?? 0;
    init = pk.init.map((l) => `  ${l}`);
    decode = [...pk.decode, ...pk.save].map((l) => `      ${l}`);
    next = pk.next.map((l) => `      ${l}`);
    stmt = `${pk.restore ? `${pk.restore} ` : ''}${outputStmt(ctx, pk, yt, `${src} + o`, a.bits, a.actMin, clampHi(ctx, a))}`;
  }
  const body = [
    `for (int32_t n = 0; n < ${N}; n++) {`,
    ...init,
    '  int32_t m = 0;',
    `  for (int32_t g = 0; g < ${G}; g++) {`,
    ...(padded ? [`    ${ctx.rt.pad(xt)}(x0, s, ${cPerG}, ${H}, ${W}, ${pt * Wp}, ${pb * Wp}, ${pl}, ${pr});`] : []),
    `    for (int32_t mm = 0; mm < ${mPerG}; mm++, m++) {`,
    ...decode,
    `      for (int32_t oh = 0, ro = 0; oh < ${OH}; oh++, ro += ${s[0]! * Wp}) {`,
    '        SAC_OPAQUE(ro);',
    `        for (int32_t ow = 0, o = ro; ow < ${OW}; ow++, o += ${s[1]!}) {`,
    '          SAC_OPAQUE(o);',
    `          ${stmt}`,
    '        }',
    '        SAC_OPAQUE(y);',
    '      }',
    ...next,
    '    }',
    `    x0 += ${cPerG * H * W};`,
    '    SAC_OPAQUE(x0);',
    '    SAC_OPAQUE(y);',
    '  }',
    '}',
  ];
  return { data: [SHIFT_OPERANDS.x], body, ...(scratchBytes ? { scratch: { type: xt, elems: (scratchBytes + xb - 1) >> Math.log2(xb) } } : {}) };
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
  if (ctx.asCode) {
    const c = codeForm(ctx, xt, yt, M, D, a, Array.from({ length: D }, (_, t) => t), 'x0');
    init = [];
    stmt = [...c.decode, c.stmt];
  } else {
    const pk = emitTables(ctx, xt, codes, M, D, a.terms, a.shiftBits, null);
    init = pk.init;
    stmt = [...pk.decode, outputStmt(ctx, pk, yt, 'x0', a.bits, a.actMin, clampHi(ctx, a)), ...pk.next];
    scratch = pk.scratch ?? 0;
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
  return { data: [SHIFT_OPERANDS.x], body, ...(scratch ? { scratch: { type: xt, elems: (scratch + xb - 1) >> Math.log2(xb) } } : {}) };
}
