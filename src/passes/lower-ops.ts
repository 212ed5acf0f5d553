// Lowering rules for the ops without weights: scale-preserving ops, Add/Concat alignment, pooling, activations.
import type { Node } from '../ir/graph.js';
import { csdDigits, csdFracDigits, intBits, lutTable } from '../ir/fixed-point.js';
import type { OpKind } from '../ir/registry.js';
import { activationRange, emitLowered, unsupported, type LowerContext, type LoweringRule } from './lower-context.js';
import { lowerAdder } from './lower-adder.js';
import { checkGateMul, lowerGateMul } from './lower-gate.js';
import { checkLrn, lowerLrn } from './lower-lrn.js';

/** Exact on the integers with the input's scale, and a kernel in every backend: lowering copies the op. */
export const copyRule: LoweringRule = {
  lower(ctx, n) {
    const frac = ctx.fracOfNew(ctx.r.get(n.inputs[0]!));
    // Per-channel fracs flow through (calibrate-activations gave the output its input's, expanded by a flatten).
    const channels = ctx.g.values[n.outputs[0]!]!.quant?.channels;
    ctx.r.emitFor(n.id, n.op, n.inputs.map((i) => ctx.r.get(i)), undefined, n.outputs.map(() => (channels ? { frac, channels } : { frac })));
  },
};

const never = (why: string): LoweringRule => ({ check: () => why, lower: (_ctx, n) => unsupported(n, why) });

/** The rules of the ops without weights that are not copies or tables, by op kind. */
export const STRUCTURAL_RULES: { readonly [K in OpKind]?: LoweringRule } = {
  Pad: {
    check: (_s, n) => (n.op.kind === 'Pad' && (n.op.attrs.mode !== 'constant' || n.op.attrs.value !== 0) ? 'only zero constant padding keeps the integer zero point' : undefined),
    lower: (ctx, n) => void emitLowered(ctx, n, n.op, [ctx.r.get(n.inputs[0]!)], { frac: ctx.fracOfNew(ctx.r.get(n.inputs[0]!)) }),
  },
  Clip: {
    lower(ctx, n) {
      const x = ctx.r.get(n.inputs[0]!);
      const frac = ctx.fracOfNew(x);
      const [actMin, actMax] = activationRange(n, frac, ctx.user.actBits);
      emitLowered(ctx, n, { kind: 'Requantize', attrs: { shift: 0, bits: ctx.user.actBits, actMin, actMax } }, [x], { frac });
    },
  },
  Add: {
    check: (s, n) => (n.inputs.some((i) => s.g.values[i]!.data) ? 'Add of a constant is not lowered (fold it into the preceding layer\'s bias)' : undefined),
    lower(ctx, n) {
      const x = ctx.r.get(n.inputs[0]!);
      const b = ctx.r.get(n.inputs[1]!);
      const act = ctx.fusedAct(n);
      const fracOut = ctx.fracOfOld((act ?? n).outputs[0]!);
      const [actMin, actMax] = activationRange(act, fracOut, ctx.user.actBits);
      emitLowered(ctx, n, { kind: 'QAdd', attrs: { fracA: ctx.fracOfNew(x), fracB: ctx.fracOfNew(b), fracOut, bits: ctx.user.actBits, actMin, actMax } }, [x, b], { frac: fracOut }, act);
    },
  },
  Concat: {
    lower(ctx, n) {
      const { r } = ctx;
      const bits = ctx.user.actBits;
      const fracOut = ctx.fracOfOld(n.outputs[0]!);
      const [lo, hi] = activationRange(undefined, fracOut, bits);
      const aligned = n.inputs.map((i, k) => {
        const id = r.get(i);
        const f = ctx.fracOfNew(id);
        if (f === fracOut) return id;
        return r.emit(`${n.name}/align${k}`, { kind: 'Requantize', attrs: { shift: f - fracOut, bits, actMin: lo, actMax: hi } }, [id], `${r.b.value(id).name}_aligned`, undefined, { frac: fracOut });
      });
      emitLowered(ctx, n, n.op, aligned, { frac: fracOut });
    },
  },
  AveragePool: { lower: lowerAveragePool },
  GlobalAveragePool: { lower: lowerAveragePool },
  LRN: { check: checkLrn, lower: lowerLrn },
  Adder: { lower: lowerAdder },
  Mul: { check: checkGateMul, lower: lowerGateMul },
  // Exact on integers, but outside the lowered dialect: no backend has a kernel for them (docs/ir.md).
  Split: never('Split is not in the lowered dialect: no backend has a kernel for it (docs/ir.md)'),
  Gather: never('Gather is not in the lowered dialect: no backend has a kernel for it (docs/ir.md)'),
  // drop-output-softmax removed the ones before an output (the argmax is unchanged); inside the network it matters.
  Softmax: never('Softmax inside the network has no shift-add lowering (only one followed by shape ops at an output is dropped)'),
  LogSoftmax: never('LogSoftmax inside the network has no shift-add lowering (only one followed by shape ops at an output is dropped)'),
};

function lowerAveragePool(ctx: LowerContext, n: Node): void {
  if (n.op.kind !== 'AveragePool' && n.op.kind !== 'GlobalAveragePool') return unsupported(n, 'not an average pool');
  const { r } = ctx;
  const x = r.get(n.inputs[0]!);
  const fracIn = ctx.fracOfNew(x);
  const fracOut = ctx.fracOfOld(n.outputs[0]!);
  const global = n.op.kind === 'GlobalAveragePool';
  const shape = r.b.value(x).type.shape;
  const geo = n.op.kind === 'AveragePool'
    ? { ...n.op.attrs }
    : { kernel: shape.slice(2), strides: shape.slice(2).map(() => 1), pads: [...shape.slice(2), ...shape.slice(2)].map(() => 0), dilations: shape.slice(2).map(() => 1), ceilMode: false, countIncludePad: true };
  const window = geo.kernel.reduce((a, b) => a * b, 1);
  const D = csdFracDigits(intBits(r.b.value(x).type.dtype));
  const attrs = { ...geo, global, digits: [...csdDigits(1 / window, D)], shiftOut: D + fracIn - fracOut, bits: ctx.user.actBits };
  // With per-channel fracs every channel keeps its offset, so one output shift still serves all channels.
  emitLowered(ctx, n, { kind: 'QAveragePool', attrs }, [x], ctx.g.values[n.outputs[0]!]!.quant!);
}

/** Float activation functions evaluated in float64 to build 256-entry tables (undefined: no table form). */
function activationFn(n: Node): ((x: number) => number) | undefined {
  switch (n.op.kind) {
    case 'Sigmoid': return (x) => 1 / (1 + Math.exp(-x));
    case 'Tanh': return Math.tanh;
    case 'HardSigmoid': { const { alpha, beta } = n.op.attrs; return (x) => Math.max(0, Math.min(1, alpha * x + beta)); }
    case 'HardSwish': return (x) => x * Math.max(0, Math.min(1, x / 6 + 0.5));
    case 'LeakyRelu': { const { alpha } = n.op.attrs; return (x) => (x >= 0 ? x : alpha * x); }
    case 'Elu': { const a = (n.op.attrs as { alpha: number }).alpha; return (x) => (x >= 0 ? x : a * (Math.exp(x) - 1)); }
    case 'Softplus': return (x) => Math.log1p(Math.exp(x));
    default: return undefined;
  }
}

/** A table activation: int8 in, int8 out, the float function sampled at the 256 input codes. */
export const activationRule: LoweringRule = {
  check: (s, n) => (s.user.actBits !== 8 ? 'lookup-table activations need int8 activations' : activationFn(n) ? undefined : `${n.op.kind} has no table form`),
  lower(ctx, n) {
    const x = ctx.r.get(n.inputs[0]!);
    const fracIn = ctx.fracOfNew(x);
    const fracOut = ctx.fracOfOld(n.outputs[0]!);
    const table = [...lutTable(activationFn(n)!, fracIn, fracOut, 8)];
    emitLowered(ctx, n, { kind: 'Lut', attrs: { table } }, [x], { frac: fracOut });
  },
};
