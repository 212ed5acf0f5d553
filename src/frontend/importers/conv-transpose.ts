// ConvTranspose importer: zero insertion (Reshape + Pad + Reshape), padding, and a Conv with the flipped kernel.
import { fail } from '../../diagnostics.js';
import { checkAttr } from '../../ir/ops/util.js';
import { floatTensor, numel } from '../../ir/tensor.js';
import type { ImportContext } from '../context.js';

/**
 * y = ConvTranspose(x, W) equals a stride-1 Conv over x with s - 1 zeros inserted between neighbours, padded by
 * d (k - 1) - p_begin before and d (k - 1) - p_end + output_padding after (negative: cropped), with the kernel
 * flipped and its channel axes swapped per group. Every piece is exact on integers (zeros are the zero point),
 * so lowering makes the Conv a shift-add layer like any other.
 */
export function importConvTranspose(ctx: ImportContext): number[] {
  const x = ctx.type(0);
  const wT = ctx.requireConst(1, 'ConvTranspose weight');
  const r = wT.shape.length - 2;
  checkAttr(r === 1 || r === 2, `only 1-D and 2-D transposed convolutions are supported (got ${r}-D)`, ctx.where);
  checkAttr(x.shape.length === r + 2, `input rank ${x.shape.length} does not match a ${r}-D kernel`, ctx.where);
  const group = ctx.int('group', 1);
  const kernel = ctx.ints('kernel_shape', wT.shape.slice(2));
  const strides = ctx.ints('strides', new Array(r).fill(1));
  const dilations = ctx.ints('dilations', new Array(r).fill(1));
  const outPad = ctx.ints('output_padding', new Array(r).fill(0));
  checkAttr(kernel.every((k, i) => k === wT.shape[i + 2]), `kernel_shape ${kernel} does not match weight [${wT.shape}]`, ctx.where);
  checkAttr(strides.length === r && strides.every((s) => s >= 1) && dilations.length === r && dilations.every((d) => d >= 1), 'strides/dilations invalid', ctx.where);
  checkAttr(outPad.length === r && outPad.every((p, i) => p >= 0 && p < Math.max(strides[i]!, dilations[i]!)), `output_padding ${outPad} invalid`, ctx.where);
  if (ctx.hasAttr('output_shape')) fail('SAC012', "ConvTranspose 'output_shape' is not supported (give pads)", ctx.where);
  const Cin = x.shape[1]!;
  checkAttr(group >= 1 && Cin % group === 0 && wT.shape[0] === Cin, `weight [${wT.shape}] does not match ${Cin} input channels in ${group} groups`, ctx.where);
  const inSp = x.shape.slice(2);
  const ext = kernel.map((k, i) => (k - 1) * dilations[i]! + 1);
  const autoPad = ctx.string('auto_pad', 'NOTSET');
  let pads: number[];
  if (autoPad === 'NOTSET') pads = ctx.ints('pads', new Array(2 * r).fill(0));
  else if (autoPad === 'VALID') pads = new Array(2 * r).fill(0);
  else {
    checkAttr(autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER', `unknown auto_pad '${autoPad}'`, ctx.where);
    // Output size in * stride (ONNX): total padding split with the extra one at the end (UPPER) or the start.
    const total = inSp.map((n, i) => Math.max(0, strides[i]! * (n - 1) + outPad[i]! + ext[i]! - n * strides[i]!));
    const half = total.map((t) => Math.floor(t / 2));
    pads = autoPad === 'SAME_UPPER' ? [...half, ...total.map((t, i) => t - half[i]!)] : [...total.map((t, i) => t - half[i]!), ...half];
  }
  checkAttr(pads.length === 2 * r && pads.every((p) => p >= 0), `pads ${pads} must have ${2 * r} non-negative entries`, ctx.where);
  // Zero insertion: [N, C, H, W] -> [N, C, H, 1, W, 1] -> pad the unit axes to s -> [N, C, H s, W s].
  let cur = ctx.input(0);
  const N = x.shape[0]!;
  if (strides.some((s) => s > 1)) {
    const split = [N, Cin, ...inSp.flatMap((n) => [n, 1])];
    cur = ctx.emit({ kind: 'Reshape', attrs: { shape: split } }, [cur], { intermediate: true })[0]!;
    const ins = new Array<number>(split.length).fill(0);
    const end = [...ins];
    strides.forEach((s, i) => { end[3 + 2 * i] = s - 1; });
    cur = ctx.emit({ kind: 'Pad', attrs: { mode: 'constant', pads: [...ins, ...end], value: 0 } }, [cur], { intermediate: true })[0]!;
    cur = ctx.emit({ kind: 'Reshape', attrs: { shape: [N, Cin, ...inSp.map((n, i) => n * strides[i]!)] } }, [cur], { intermediate: true })[0]!;
  }
  // The reshaped tensor has s - 1 trailing zeros beyond the (n - 1) s + 1 of the zero-inserted input.
  const begin = ext.map((e, i) => e - 1 - pads[i]!);
  const after = ext.map((e, i) => e - 1 - pads[r + i]! + outPad[i]! - (strides[i]! - 1));
  let convPads = [...begin, ...after];
  if (convPads.some((p) => p < 0)) {
    cur = ctx.emit({ kind: 'Pad', attrs: { mode: 'constant', pads: [0, 0, ...begin, 0, 0, ...after], value: 0 } }, [cur], { intermediate: true })[0]!;
    convPads = new Array(2 * r).fill(0);
  }
  // W_conv[g Cog + o, i, k...] = W_T[g Cig + i, o, K - 1 - k...]: channel axes swapped per group, kernel flipped.
  const Cig = Cin / group;
  const Cog = wT.shape[1]!;
  const K = numel(kernel);
  const w = floatTensor([group * Cog, Cig, ...kernel]);
  for (let gi = 0; gi < group; gi++) for (let i = 0; i < Cig; i++) for (let o = 0; o < Cog; o++) {
    const src = ((gi * Cig + i) * Cog + o) * K;
    const dst = ((gi * Cog + o) * Cig + i) * K;
    for (let k = 0; k < K; k++) w.data[dst + K - 1 - k] = wT.data[src + k]!;
  }
  const inputs = [cur, ctx.const(w, `${ctx.nodeName}_flipped`)];
  if (ctx.has(2)) inputs.push(ctx.input(2));
  return ctx.emit({ kind: 'Conv', attrs: { group, kernel, strides: new Array(r).fill(1), pads: convPads, dilations } }, inputs);
}
