// The packed weight form in a shift-add kernel: Huffman tables, per-channel decode into scratch, bucket walk.
import { packedScratch } from '../../codegen/packed.js';
import { packPackedLayer, uintBytes, type WeightStats } from '../../codegen/weights.js';
import { SHIFT_OPERANDS } from '../../ir/lowered.js';
import { constArray, utype } from './cfmt.js';
import { constData, weightTable, type GainWalk, type KernelCtx, type Packed } from './kernel.js';
import { packedDecodeText, packedDotText } from './packed.js';

/**
 * Prints the packed stream Lk_w (packed by codegen), its decode tables Lk_hlJ/Lk_hoJ/Lk_hsJ per term slot J, the
 * decoder Lk_dec, and bias/shift tables; returns the walk and the layer's flash accounting. `at` is the byte
 * offset in the kernel scratch `s` where the decoded channel goes (after a conv's padding buffer); `scratch` is the bytes it needs from there.
 * Offsets are resolved through the tap table while decoding, so the walk reads p[*t++] only. A Gemm (no tap
 * table: each weight is used once) instead sums while it decodes (Lk_dot) and needs no scratch.
 */
export function packedTables(ctx: KernelCtx, xt: string, M: number, D: number, K: number, B: number, tapOff: number[] | null, gt: GainWalk, at: number): Packed & { scratch: number; weights: WeightStats } {
  const f = ctx.fn;
  const lw = packPackedLayer(constData(ctx, SHIFT_OPERANDS.codes), { M, D, K, B }, { tapOff, gainBytes: gt.bytes });
  const pk = lw.stream;
  const table = lw.table?.offsets ?? null;
  const O = utype(lw.table ? lw.table.max : D - 1);
  const tableT = lw.table ? utype(lw.table.max) : null;
  ctx.decls.push(weightTable(ctx, `${f}_w`, 'uint16_t', pk.words));
  pk.slots.forEach((s, j) => {
    if ('code' in s) ctx.decls.push(constArray(`${f}_hl${j}`, 'uint16_t', s.lim), constArray(`${f}_ho${j}`, 'uint8_t', s.off), constArray(`${f}_hs${j}`, 'uint8_t', s.syms));
  });
  ctx.decls.push(constArray(`${f}_b`, 'int32_t', constData(ctx, SHIFT_OPERANDS.bias).data), constArray(`${f}_r`, 'int8_t', constData(ctx, SHIFT_OPERANDS.rshift).data));
  if (table) ctx.decls.push(constArray(`${f}_o`, tableT!, table));
  ctx.rt.need('sac_bits');
  const reader = ['sac_bits r;', `r.w = ${f}_w;`, 'r.buf = 0;', 'r.n = 0;'];
  if (!tapOff) {
    // Gemm: decode while summing, no scratch.
    ctx.decls.push(packedDotText(`${f}_dot`, f, xt, D, B, pk.slots));
    return { init: [...reader, ...gt.init], decode: [], save: [], restore: '', next: gt.next, sum: (p) => `${f}_dot(&r, ${p})`, gain: gt.gain, scratch: 0, weights: lw.stats };
  }
  ctx.decls.push(packedDecodeText(`${f}_dec`, f, O, table ? `${f}_o` : null, D, B, pk.slots));
  const walk = ctx.rt.packedWalk(xt, O);
  const sc = packedScratch(D, K, B, uintBytes(lw.table ? lw.table.max : D - 1));
  return {
    init: [
      `uint8_t *sb = (uint8_t *)(void *)s + ${at};`,
      'uint32_t *ph = (uint32_t *)(void *)sb;',
      `${O} *pt = (${O} *)(void *)(sb + ${sc.t});`,
      `${O} *pto = (${O} *)(void *)(sb + ${sc.to});`,
      `uint8_t *ptf = sb + ${sc.tf};`,
      ...reader,
      ...gt.init,
    ],
    decode: [`${f}_dec(&r, ph, pt, pto, ptf);`],
    save: [],
    restore: '',
    next: gt.next,
    sum: (p) => `${walk}(${p}, ph, pt)`,
    gain: gt.gain,
    scratch: sc.bytes,
    weights: lw.stats,
  };
}
