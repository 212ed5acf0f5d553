// Lowering rule for Mul of an activation by a gate in [0, 1] (squeeze-and-excitation): a power-of-two gate, a shift.
import { producers, type Graph, type Node } from '../ir/graph.js';
import { gateLayout } from '../ir/ops/qgate-mul.js';
import { activationRange, emitLowered, unsupported, type LowerContext, type RuleContext } from './lower-context.js';

/** Gates below 2^-(MAX_SHIFT + 0.5) are zero; the others are rounded to the nearest power of two in log2. */
const MAX_SHIFT = 12;

/** Ops whose output lies in [0, 1], so their product with an activation is a gating. */
const GATES = new Set(['Sigmoid', 'HardSigmoid']);

/** The Mul's operands as [gate, x] when one is the output of a gate op, else undefined. */
function gateOperands(g: Graph, n: Node): [number, number] | undefined {
  const prod = producers(g);
  const isGate = (v: number) => prod[v]! >= 0 && GATES.has(g.nodes[prod[v]!]!.op.kind);
  const [a, b] = n.inputs as [number, number];
  return isGate(b) ? [b, a] : isGate(a) ? [a, b] : undefined;
}

/** What is known before calibration: a gate operand, its layout and int8 activations (the gate codes are a table). */
export function checkGateMul(s: RuleContext, n: Node): string | undefined {
  const ops = gateOperands(s.g, n);
  if (!ops) return 'Mul of two activations is lowered only when one is a gate in [0, 1] (Sigmoid/HardSigmoid output)';
  if (!gateLayout(s.g.values[ops[1]]!.type.shape, s.g.values[ops[0]]!.type.shape)) return 'the gate must have the activation\'s shape or one value per channel';
  if (s.user.actBits !== 8) return 'gated Mul needs int8 activations (the gate codes are a table)';
  return undefined;
}

export function lowerGateMul(ctx: LowerContext, n: Node): void {
  const { g, r } = ctx;
  const [gate, xOld] = gateOperands(g, n)!;
  const x = r.get(xOld);
  const gq = r.get(gate);
  const xv = r.b.value(x);
  if (r.b.value(gq).type.dtype !== 'int8') unsupported(n, 'gated Mul needs an int8 gate (the gate codes are a table)');
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
