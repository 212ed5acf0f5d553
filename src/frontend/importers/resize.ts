// Importers for Resize / Upsample in nearest mode with integer scales: pure indexing, as Reshape + Concat copies.
import { fail } from '../../diagnostics.js';
import { checkAttr } from '../../ir/ops/util.js';
import type { ImportContext } from '../context.js';

/** Source index along one axis for output index o (ONNX Resize nearest, opset 11+ formulas). */
function sourceIndex(o: number, scale: number, inSize: number, outSize: number, ctm: string, mode: string): number {
  let x: number;
  switch (ctm) {
    case 'asymmetric': x = o / scale; break;
    case 'half_pixel': x = (o + 0.5) / scale - 0.5; break;
    case 'pytorch_half_pixel': x = outSize > 1 ? (o + 0.5) / scale - 0.5 : 0; break;
    case 'align_corners': x = outSize > 1 ? (o * (inSize - 1)) / (outSize - 1) : 0; break;
    case 'tf_half_pixel_for_nn': x = (o + 0.5) / scale; break;
    default: return NaN;
  }
  let i: number;
  switch (mode) {
    case 'floor': i = Math.floor(x); break;
    case 'ceil': i = Math.ceil(x); break;
    case 'round_prefer_ceil': i = Math.floor(x + 0.5); break;
    default: i = x - Math.floor(x) === 0.5 ? Math.floor(x) : Math.round(x); // round_prefer_floor
  }
  return Math.min(Math.max(i, 0), inSize - 1);
}

/**
 * Nearest-neighbour upsampling by integer factors s_d on the spatial axes where every output index o reads
 * input index floor(o / s_d) (true for the usual exports): y = Reshape(Concat^s(... Reshape(x) ...)), so lowering
 * and every backend see only exact copies. Other resizes are refused with the reason.
 */
function upsample(ctx: ImportContext, scales: readonly number[], ctm: string, mode: string): number[] {
  const x = ctx.type(0);
  const r = x.shape.length;
  checkAttr(scales.length === r, `${scales.length} scales for a rank-${r} input`, ctx.where);
  checkAttr(r >= 3 && scales[0] === 1 && scales[1] === 1, 'only spatial axes (2 and up) may be resized', ctx.where);
  const s = scales.slice(2);
  if (!s.every((v) => Number.isInteger(v) && v >= 1)) fail('SAC012', `nearest resize by scales [${s}] is supported for integer factors only`, ctx.where);
  const spatial = x.shape.slice(2);
  spatial.forEach((n, d) => {
    for (let o = 0; o < n * s[d]!; o++) {
      if (sourceIndex(o, s[d]!, n, n * s[d]!, ctm, mode) !== Math.floor(o / s[d]!)) {
        fail('SAC012', `nearest resize with coordinate_transformation_mode '${ctm}' and nearest_mode '${mode}' is not a plain repeat at scale ${s[d]}`, ctx.where);
      }
    }
  });
  if (s.every((v) => v === 1)) return ctx.emit({ kind: 'Identity', attrs: {} }, [ctx.input(0)]);
  // [N, C, H, W] -> [N, C, H, 1, W, 1]; repeat along each inserted axis (innermost first) by concatenation.
  const split = [...x.shape.slice(0, 2), ...spatial.flatMap((n) => [n, 1])];
  let cur = ctx.emit({ kind: 'Reshape', attrs: { shape: split } }, [ctx.input(0)], { intermediate: true })[0]!;
  for (let d = spatial.length - 1; d >= 0; d--) {
    if (s[d] === 1) continue;
    cur = ctx.emit({ kind: 'Concat', attrs: { axis: 3 + 2 * d } }, new Array<number>(s[d]!).fill(cur), { intermediate: true })[0]!;
  }
  return ctx.emit({ kind: 'Reshape', attrs: { shape: [...x.shape.slice(0, 2), ...spatial.map((n, d) => n * s[d]!)] } }, [cur]);
}

export function importResize(ctx: ImportContext): number[] {
  const mode = ctx.string('mode', 'nearest');
  if (mode !== 'nearest') fail('SAC012', `Resize mode '${mode}' is not supported (nearest only: it is pure indexing)`, ctx.where);
  const x = ctx.type(0);
  // Opset 10: (X, scales); 11+: (X, roi, scales, sizes); axes (18+) are not supported.
  checkAttr(!ctx.hasAttr('axes'), "Resize 'axes' is not supported", ctx.where);
  const scalesIn = ctx.opset < 11 ? 1 : 2;
  let scales: number[];
  if (ctx.has(scalesIn) && ctx.requireConst(scalesIn, 'scales').data.length > 0) scales = Array.from(ctx.requireConst(scalesIn, 'scales').data, Number);
  else if (ctx.opset >= 11 && ctx.has(3)) scales = ctx.constInts(3, 'sizes').map((n, d) => n / x.shape[d]!);
  else return fail('SAC012', 'Resize needs constant scales or sizes', ctx.where);
  const ctm = ctx.opset < 11 ? 'asymmetric' : ctx.string('coordinate_transformation_mode', 'half_pixel');
  const nearest = ctx.opset < 11 ? 'floor' : ctx.string('nearest_mode', 'round_prefer_floor');
  return upsample(ctx, scales, ctm, nearest);
}

/** Upsample (opsets 7-9, deprecated): scales from the attribute (7) or input 1 (9); asymmetric floor indexing. */
export function importUpsample(ctx: ImportContext): number[] {
  const mode = ctx.string('mode', 'nearest');
  if (mode !== 'nearest') fail('SAC012', `Upsample mode '${mode}' is not supported (nearest only: it is pure indexing)`, ctx.where);
  const scales = ctx.opset >= 9 ? Array.from(ctx.requireConst(1, 'scales').data, Number) : ctx.floats('scales');
  return upsample(ctx, scales, 'asymmetric', 'floor');
}
