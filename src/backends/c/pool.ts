// C kernels of pooling: windowed max/average (per-axis window tables) and global max/average.
import { fail } from '../../diagnostics.js';
import { satMax, satMin } from '../../ir/fixed-point.js';
import { poolPlan } from '../../codegen/pool-plan.js';
import type { PoolGeometry } from '../../ir/ops/pool.js';
import { qavgWindow, reciprocalDigits, type QAveragePoolAttrs } from '../../ir/ops/qavg-pool.js';
import { numel } from '../../ir/tensor.js';
import { constArray, ctype, lit, utype } from './cfmt.js';
import { out, val, type Kernel, type KernelCtx } from './kernel.js';

function bitsOf(dtype: string): number {
  return dtype === 'int16' ? 16 : 8;
}

/**
 * requant(csd(s), shiftOut, bits) with no activation clamp (QAveragePool has none). `digits` is the C table
 * of per-output digit sets, or the one set itself: then the csd is straight-line shifts of its non-zero
 * digits (a 2x2 average is one shift), not the 17-step sac_csd loop (~150 instructions an output on Cortex-M0).
 */
function avgStore(ctx: KernelCtx, a: QAveragePoolAttrs, digits: string | readonly number[], yt: string): string {
  const narrow = ctx.rt.need('sac_narrow');
  const D = a.digits.length - 1;
  const store = (csd: string) => `*y++ = (${yt})${narrow}(${csd}, ${a.shiftOut}, ${a.bits}, ${lit(satMin(a.bits))}, ${lit(satMax(a.bits))});`;
  if (typeof digits === 'string') return store(`${ctx.rt.need('sac_csd')}(acc, ${digits}, ${D})`);
  // Opaque partial sums: gcc -Os would fold two or more shifted copies of acc into a multiply by a constant.
  const parts = digits.flatMap((d, j) => (d === 0 ? [] : [`c ${d > 0 ? '+' : '-'}= u << ${D - j};`, 'SAC_OPAQUE(c);']));
  return `{ uint32_t u = (uint32_t)acc, c = 0u; SAC_OPAQUE(u); ${parts.join(' ')} ${store('(int32_t)c')} }`;
}

/** Per-plane reduction over all spatial elements (GlobalMaxPool, global QAveragePool). */
function globalBody(ctx: KernelCtx, init: string, step: string, store: string): string[] {
  const x = val(ctx, 0).type.shape;
  const S = numel(x.slice(2));
  return [
    `for (int32_t p = 0; p < ${x[0]! * x[1]!}; p++) {`,
    `  int32_t acc = ${init};`,
    `  for (int32_t i = 0; i < ${S}; i++) ${step.replace(/X/g, 'x0[i]')}`,
    `  ${store}`,
    `  x0 += ${S};`,
    '  SAC_OPAQUE(x0);',
    '  SAC_OPAQUE(y);',
    '}',
  ];
}

export function globalMaxPoolKernel(ctx: KernelCtx): Kernel {
  const x = val(ctx, 0).type;
  return { data: [0], body: globalBody(ctx, lit(satMin(bitsOf(x.dtype))), 'if (X > acc) acc = X;', `*y++ = (${ctype(out(ctx).type.dtype, ctx.where)})acc;`) };
}

/**
 * Windowed pooling. Each output row/column gets its first in-bounds tap offset and in-bounds tap count
 * from pool.ts axisPlan (computed here, at compile time), so the C loops only add constant strides.
 */
export function poolKernel(ctx: KernelCtx, a: PoolGeometry | QAveragePoolAttrs, mode: 'max' | 'avg' | 'gavg'): Kernel {
  const xv = val(ctx, 0).type;
  const yv = out(ctx).type;
  const yt = ctype(yv.dtype, ctx.where);
  const f = ctx.fn;
  if (mode === 'gavg') {
    const q = a as QAveragePoolAttrs;
    return { data: [0], body: globalBody(ctx, '0', 'acc += X;', avgStore(ctx, q, q.digits, yt)) };
  }
  const { H, W, OH, OW, hp, wp, dh, dw, hn, wn } = poolPlan(a, xv.shape, yv.shape, ctx.where);
  const ho = Array.from(hp.start, (s, o) => (s + hp.lo[o]! * dh) * W);
  const wo = Array.from(wp.start, (s, o) => s + wp.lo[o]! * dw);
  ctx.decls.push(constArray(`${f}_ho`, 'int32_t', ho), constArray(`${f}_hn`, utype(Math.max(...hn)), hn));
  ctx.decls.push(constArray(`${f}_wo`, 'int32_t', wo), constArray(`${f}_wn`, utype(Math.max(...wn)), wn));
  let init = lit(satMin(bitsOf(xv.dtype)));
  let step = 'if (x0[oo] > acc) acc = x0[oo];';
  let store = `*y++ = (${yt})acc;`;
  let pre: string[] = [];
  if (mode === 'avg') {
    const q = a as QAveragePoolAttrs;
    const D = q.digits.length - 1;
    const N = qavgWindow(q, xv.shape);
    // Windows clipped by padding use 1/count's own digits (numerics.md); sets are concatenated, one offset per output.
    const sets = new Map<number, number>();
    const flat: number[] = [];
    const sel: number[] = [];
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        const count = q.countIncludePad ? hp.padded[oh]! * wp.padded[ow]! : hn[oh]! * wn[ow]!;
        if (!sets.has(count)) { sets.set(count, flat.length); flat.push(...(count === N ? q.digits : reciprocalDigits(count, D))); }
        sel.push(sets.get(count)!);
      }
    }
    let digits: string | number[] = flat;
    if (sets.size > 1) {
      ctx.decls.push(constArray(`${f}_d`, 'int8_t', flat));
      digits = `${f}_d`;
      ctx.decls.push(constArray(`${f}_ds`, utype(flat.length), sel));
      pre = ['int32_t k = 0;'];
      digits = `${f}_d + ${f}_ds[k++]`;
    }
    init = '0';
    step = 'acc += x0[oo];';
    store = avgStore(ctx, q, digits, yt);
  }
  const body = [
    `for (int32_t p = 0; p < ${xv.shape[0]! * xv.shape[1]!}; p++) {`,
    ...pre.map((l) => `  ${l}`),
    `  for (int32_t oh = 0; oh < ${OH}; oh++) {`,
    `    for (int32_t ow = 0; ow < ${OW}; ow++) {`,
    `      int32_t acc = ${init};`,
    `      int32_t o = ${f}_ho[oh] + ${f}_wo[ow];`,
    `      for (int32_t th = 0; th < ${f}_hn[oh]; th++, o += ${dh * W}) {`,
    '        int32_t oo = o;',
    '        SAC_OPAQUE(o);',
    `        for (int32_t tw = 0; tw < ${f}_wn[ow]; tw++, oo += ${dw}) {`,
    '          SAC_OPAQUE(oo);',
    `          ${step}`,
    '        }',
    '      }',
    `      ${store}`,
    '    }',
    '    SAC_OPAQUE(y);',
    '  }',
    `  x0 += ${H * W};`,
    '  SAC_OPAQUE(x0);',
    '  SAC_OPAQUE(y);',
    '}',
  ];
  return { data: [0], body };
}
