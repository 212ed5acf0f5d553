// Lowering rules for the ops without weights: scale-preserving ops, Add/Concat alignment, pooling, activations.
import type { Node } from '../ir/graph.js';
import { csdDigits, csdFracDigits, intBits, lutTable } from '../ir/fixed-point.js';
import { isLoweredKind } from '../ir/lowered.js';
import { opTraits } from '../ir/registry.js';
import { activationRange, emitLowered, unsupported, type LowerContext } from './lower-context.js';
import { lowerAdder } from './lower-adder.js';
import { lowerGateMul } from './lower-gate.js';
import { lowerLrn } from './lower-lrn.js';

export function lowerStructural(ctx: LowerContext, n: Node): void {
  const { r } = ctx;
  const bits = ctx.user.actBits;
  const x = r.get(n.inputs[0]!);
  // Exact on the integers with the input's scale, and a kernel in every backend (Split and Gather have none yet).
  if (opTraits(n.op.kind).scalePreserving && isLoweredKind(n.op.kind)) {
    const frac = ctx.fracOfNew(x);
    // Per-channel fracs flow through (calibrate-activations gave the output its input's, expanded by a flatten).
    const channels = ctx.g.values[n.outputs[0]!]!.quant?.channels;
    ctx.r.emitFor(n.id, n.op, n.inputs.map((i) => r.get(i)), undefined, n.outputs.map(() => (channels ? { frac, channels } : { frac })));
    return;
  }
  switch (n.op.kind) {
    case 'Pad': {
      if (n.op.attrs.mode !== 'constant' || n.op.attrs.value !== 0) unsupported(n, 'only zero constant padding keeps the integer zero point');
      emitLowered(ctx, n, n.op, [x], { frac: ctx.fracOfNew(x) });
      return;
    }
    case 'Clip': {
      const frac = ctx.fracOfNew(x);
      const [actMin, actMax] = activationRange(n, frac, bits);
      emitLowered(ctx, n, { kind: 'Requantize', attrs: { shift: 0, bits, actMin, actMax } }, [x], { frac });
      return;
    }
    case 'Add': {
      const b = r.get(n.inputs[1]!);
      if (r.b.value(x).data || r.b.value(b).data) unsupported(n, 'Add of a constant is not lowered (fold it into the preceding layer\'s bias)');
      const act = ctx.fusedAct(n);
      const fracOut = ctx.fracOfOld((act ?? n).outputs[0]!);
      const [actMin, actMax] = activationRange(act, fracOut, bits);
      emitLowered(ctx, n, { kind: 'QAdd', attrs: { fracA: ctx.fracOfNew(x), fracB: ctx.fracOfNew(b), fracOut, bits, actMin, actMax } }, [x, b], { frac: fracOut }, act);
      return;
    }
    case 'Concat': {
      const fracOut = ctx.fracOfOld(n.outputs[0]!);
      const [lo, hi] = activationRange(undefined, fracOut, bits);
      const aligned = n.inputs.map((i, k) => {
        const id = r.get(i);
        const f = ctx.fracOfNew(id);
        if (f === fracOut) return id;
        return r.emit(`${n.name}/align${k}`, { kind: 'Requantize', attrs: { shift: f - fracOut, bits, actMin: lo, actMax: hi } }, [id], `${r.b.value(id).name}_aligned`, undefined, { frac: fracOut });
      });
      emitLowered(ctx, n, n.op, aligned, { frac: fracOut });
      return;
    }
    case 'AveragePool': case 'GlobalAveragePool': {
      const fracIn = ctx.fracOfNew(x);
      const fracOut = ctx.fracOfOld(n.outputs[0]!);
      const global = n.op.kind === 'GlobalAveragePool';
      const shape = r.b.value(x).type.shape;
      const geo = n.op.kind === 'AveragePool'
        ? { ...n.op.attrs }
        : { kernel: shape.slice(2), strides: shape.slice(2).map(() => 1), pads: [...shape.slice(2), ...shape.slice(2)].map(() => 0), dilations: shape.slice(2).map(() => 1), ceilMode: false, countIncludePad: true };
      const window = geo.kernel.reduce((a, b) => a * b, 1);
      const D = csdFracDigits(intBits(r.b.value(x).type.dtype));
      const attrs = { ...geo, global, digits: [...csdDigits(1 / window, D)], shiftOut: D + fracIn - fracOut, bits };
      // With per-channel fracs every channel keeps its offset, so one output shift still serves all channels.
      emitLowered(ctx, n, { kind: 'QAveragePool', attrs }, [x], ctx.g.values[n.outputs[0]!]!.quant!);
      return;
    }
    case 'LRN': return lowerLrn(ctx, n);
    case 'Adder': return lowerAdder(ctx, n);
    case 'Mul': return lowerGateMul(ctx, n);
    case 'Split': case 'Gather':
      // Exact on integers, but outside the lowered dialect: no backend has a kernel for them (docs/ir.md).
      return unsupported(n, `${n.op.kind} is not in the lowered dialect: no backend has a kernel for it (docs/ir.md)`);
    case 'Softmax': case 'LogSoftmax':
      // drop-output-softmax removed the ones before an output (the argmax is unchanged); inside the network it matters.
      return unsupported(n, `${n.op.kind} inside the network has no shift-add lowering (only one followed by shape ops at an output is dropped)`);
    default:
      unsupported(n, `${n.op.kind} has no shift-add lowering`);
  }
}

/** Float activation functions evaluated in float64 to build 256-entry tables. */
function activationFn(n: Node): (x: number) => number {
  switch (n.op.kind) {
    case 'Sigmoid': return (x) => 1 / (1 + Math.exp(-x));
    case 'Tanh': return Math.tanh;
    case 'HardSigmoid': { const { alpha, beta } = n.op.attrs; return (x) => Math.max(0, Math.min(1, alpha * x + beta)); }
    case 'HardSwish': return (x) => x * Math.max(0, Math.min(1, x / 6 + 0.5));
    case 'LeakyRelu': { const { alpha } = n.op.attrs; return (x) => (x >= 0 ? x : alpha * x); }
    case 'Elu': { const a = (n.op.attrs as { alpha: number }).alpha; return (x) => (x >= 0 ? x : a * (Math.exp(x) - 1)); }
    case 'Softplus': return (x) => Math.log1p(Math.exp(x));
    default: return unsupported(n, 'no table form');
  }
}

export function lowerActivation(ctx: LowerContext, n: Node): void {
  if (ctx.user.actBits !== 8) unsupported(n, 'lookup-table activations need int8 activations');
  const x = ctx.r.get(n.inputs[0]!);
  const fracIn = ctx.fracOfNew(x);
  const fracOut = ctx.fracOfOld(n.outputs[0]!);
  const table = [...lutTable(activationFn(n), fracIn, fracOut, 8)];
  emitLowered(ctx, n, { kind: 'Lut', attrs: { table } }, [x], { frac: fracOut });
}
