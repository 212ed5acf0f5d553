// C kernel of QLrn (integer LRN by tables): the same loops as src/ir/ops/qlrn.ts with every product a table or a shift.
import type { QLrnAttrs } from '../../ir/ops/qlrn.js';
import { numel } from '../../ir/tensor.js';
import { constArray, lit } from './cfmt.js';
import { val, type Kernel, type KernelCtx } from './kernel.js';

export function qlrnKernel(ctx: KernelCtx, a: QLrnAttrs): Kernel {
  const shape = val(ctx, 0).type.shape;
  const C = shape[1]!;
  const S = numel(shape.slice(2));
  const before = Math.floor((a.size - 1) / 2);
  const after = Math.ceil((a.size - 1) / 2);
  const f = ctx.fn;
  // Per channel (compile-time constants): its offset, its window's first channel offset and length.
  const cb = Array.from({ length: C }, (_, c) => c * S);
  const w0 = cb.map((_, c) => Math.max(0, c - before) * S);
  const wn = cb.map((_, c) => Math.min(C - 1, c + after) - Math.max(0, c - before) + 1);
  ctx.decls.push(
    constArray(`${f}_sq`, 'uint16_t', Array.from({ length: 256 }, (_, k) => (k - 128) ** 2)),
    constArray(`${f}_cb`, 'int32_t', cb), constArray(`${f}_w0`, 'int32_t', w0), constArray(`${f}_wn`, 'int16_t', wn),
    constArray(`${f}_pow`, 'int32_t', a.pow), constArray(`${f}_log`, 'int16_t', a.log), constArray(`${f}_exp`, 'int8_t', a.exp),
  );
  const M = 2 ** a.mant;
  return {
    data: [0],
    body: [
      'int32_t nb, c, i, j, o, s, t, e, idx, q, k, v;',
      `for (nb = 0; nb < ${numel(shape)}; nb += ${C * S}) {`,
      `  for (c = 0; c < ${C}; c++) {`,
      `    for (i = 0; i < ${S}; i++) {`,
      `      s = 0;`,
      `      for (j = 0, o = nb + ${f}_w0[c] + i; j < ${f}_wn[c]; j++, o += ${S}) s += ${f}_sq[x0[o] + 128];`,
      `      if (s < ${M}) idx = s;`,
      `      else { t = s; e = ${a.mant}; while (t >= ${2 * M}) { t >>= 1; e++; } idx = ((e - ${a.mant - 1}) << ${a.mant}) + (t - ${M}); }`,
      `      q = x0[nb + ${f}_cb[c] + i];`,
      `      if (q == 0) v = 0;`,
      `      else {`,
      `        k = ${f}_log[(q < 0 ? -q : q) - 1] + ${f}_pow[idx] - (${lit(a.expMin)});`,
      `        v = k < 0 ? 0 : k >= ${a.exp.length} ? 127 : ${f}_exp[k];`,
      `        if (q < 0) v = -v;`,
      `      }`,
      `      y[nb + ${f}_cb[c] + i] = (int8_t)v;`,
      `    }`,
      `  }`,
      `}`,
    ],
  };
}
