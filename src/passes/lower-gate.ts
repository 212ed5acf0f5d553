// Lowering rule for Mul of an activation by a gate in [0, 1] (squeeze-and-excitation): the gate as two powers of two.
import { producers, type Graph, type Node } from '../ir/graph.js';
import { gateLayout } from '../ir/ops/qgate-mul.js';
import { activationRange, emitLowered, unsupported, type LowerContext, type RuleContext } from './lower-context.js';

/** Gates below 2^-(MAX_SHIFT + 0.5) are zero; the others are the nearest sum of two powers of two up to 2^-MAX_SHIFT. */
const MAX_SHIFT = 12;

/** Powers of two per gate: two take the gate's own error from ~13 dB to ~26 dB (uniform gates in [0.25, 0.75]); a third
 * buys nothing, as each further term adds an int8 rounding of its own (measured on MobileNetV3-small, numerics.md). */
const GATE_TERMS = 2;

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
  // The gate as a sum of at most GATE_TERMS powers of two, g ~ 2^-a + 2^-b + ...: one code table per term over the
  // gate's int8 values (0 for no term, else 1 + the shift), a shift per term and adds. One power of two alone is up
  // to a factor sqrt 2 off, which costs ~15-20 dB per squeeze-and-excitation block on MobileNetV3 (numerics.md).
  const maxShift = Math.min(MAX_SHIFT, 31 - (fracX - fracOut));
  if (maxShift < 0 || fracX - fracOut < -8) unsupported(n, `gate output scale 2^-${fracOut} is too far from the input's 2^-${fracX}`);
  const codes = Array.from({ length: 256 }, (_, k) => gateTerms((k - 128) * 2 ** -fracG, maxShift, GATE_TERMS));
  const gName = r.b.value(gq).name;
  const [actMin, actMax] = activationRange(undefined, fracOut, 8);
  const attrs = { fracX, fracOut, maxCode: maxShift + 1, bits: 8, actMin, actMax };
  const terms = Array.from({ length: GATE_TERMS }, (_, t) => {
    const c = r.emit(`${n.name}/gate${t}`, { kind: 'Lut', attrs: { table: codes.map((p) => p[t]!) } }, [gq], `${gName}_pow2_${t}`, undefined, { frac: 0 });
    return r.emit(`${n.name}/term${t}`, { kind: 'QGateMul', attrs }, [x, c], `${r.b.value(x).name}_gated_${t}`, undefined, { frac: fracOut });
  });
  // Every term is at most the product (the terms are non-negative), so the partial sums stay in the output's range.
  const add = { kind: 'QAdd', attrs: { fracA: fracOut, fracB: fracOut, fracOut, bits: 8, actMin, actMax } } as const;
  let sum = terms[0]!;
  for (let t = 1; t < GATE_TERMS - 1; t++) sum = r.emit(`${n.name}/sum${t}`, add, [sum, terms[t]!], `${r.b.value(x).name}_gated_sum${t}`, undefined, { frac: fracOut });
  emitLowered(ctx, n, add, [sum, terms[GATE_TERMS - 1]!], { frac: fracOut });
}

/**
 * Gate codes (0 no term, c = 1 + k the term 2^-k, k <= maxShift), `count` of them, whose terms sum closest to `v`;
 * a gate at or below 2^-(maxShift + 0.5) is zero. Ties keep the fewer, larger terms.
 */
export function gateTerms(v: number, maxShift: number, count: number): number[] {
  const none = new Array<number>(count).fill(0);
  if (!(v > 2 ** -(maxShift + 0.5))) return none;
  let best = none;
  let err = Infinity;
  // Non-increasing terms 2^-k0 >= 2^-k1 >= ...; k = maxShift + 1 stands for no term (and ends the list).
  const walk = (at: number, from: number, left: number, codes: number[]): void => {
    if (at === count || from > maxShift) {
      const e = Math.abs(left);
      if (e < err - 1e-12) { err = e; best = [...codes, ...none].slice(0, count); }
      return;
    }
    walk(count, from, left, codes);
    for (let k = from; k <= maxShift; k++) walk(at + 1, k, left - 2 ** -k, [...codes, k + 1]);
  };
  walk(0, 0, v, []);
  return best;
}
