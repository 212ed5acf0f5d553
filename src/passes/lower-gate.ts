// Lowering rule for Mul of an activation by a gate in [0, 1] (squeeze-and-excitation): a power-of-two gate, a shift.
import { producers, type Node } from '../ir/graph.js';
import { gateLayout } from '../ir/ops/qgate-mul.js';
import { activationRange, emitLowered, unsupported, type LowerContext } from './lower-context.js';

/** Gates below 2^-(MAX_SHIFT + 0.5) are zero; the others are rounded to the nearest power of two in log2. */
const MAX_SHIFT = 12;

/** Ops whose output lies in [0, 1], so their product with an activation is a gating. */
const GATES = new Set(['Sigmoid', 'HardSigmoid']);

export function lowerGateMul(ctx: LowerContext, n: Node): void {
  const { g, r } = ctx;
  const prod = producers(g);
  const isGate = (v: number) => prod[v]! >= 0 && GATES.has(g.nodes[prod[v]!]!.op.kind);
  const [a, b] = n.inputs as [number, number];
  const gate = isGate(b) ? b : isGate(a) ? a : -1;
  if (gate < 0) unsupported(n, 'Mul of two activations is lowered only when one is a gate in [0, 1] (Sigmoid/HardSigmoid output)');
  const xOld = gate === b ? a : b;
  const x = r.get(xOld);
  const gq = r.get(gate);
  const xv = r.b.value(x);
  if (!gateLayout(xv.type.shape, r.b.value(gq).type.shape)) unsupported(n, 'the gate must have the activation\'s shape or one value per channel');
  if (ctx.user.actBits !== 8 || r.b.value(gq).type.dtype !== 'int8') unsupported(n, 'gated Mul needs int8 activations (the gate codes are a table)');
  if (xv.quant?.channels) unsupported(n, 'gated Mul of a tensor with per-channel fracs');
  const fracG = ctx.fracOfNew(gq);
  const fracX = ctx.fracOfNew(x);
  const fracOut = ctx.fracOfOld(n.outputs[0]!);
  // Code table over the gate's int8 values: 0 for a zero gate, else 1 + round(-log2 gate), capped so shifts fit.
  const maxShift = Math.min(MAX_SHIFT, 31 - (fracX - fracOut));
  if (maxShift < 0 || fracX - fracOut < -8) unsupported(n, `gate output scale 2^-${fracOut} is too far from the input's 2^-${fracX}`);
  const table = Array.from({ length: 256 }, (_, k) => {
    const v = (k - 128) * 2 ** -fracG;
    if (!(v > 2 ** -(maxShift + 0.5))) return 0;
    return 1 + Math.max(0, Math.min(maxShift, Math.round(-Math.log2(v))));
  });
  const codes = r.emit(`${n.name}/gate`, { kind: 'Lut', attrs: { table } }, [gq], `${r.b.value(gq).name}_pow2`, undefined, { frac: 0 });
  const [actMin, actMax] = activationRange(undefined, fracOut, 8);
  emitLowered(ctx, n, { kind: 'QGateMul', attrs: { fracX, fracOut, maxCode: maxShift + 1, bits: 8, actMin, actMax } }, [x, codes], { frac: fracOut });
}
