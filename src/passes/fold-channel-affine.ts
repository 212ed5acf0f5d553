// fold-channel-affine: merges chains of per-channel constant Mul/Add/Sub/Div (and unfolded BatchNormalization) into
// the weight layer before them, else rewrites the chain as one depthwise 1x1 Conv (a per-channel shift-add gain).
import { producers, useLists, type Graph, type Node } from '../ir/graph.js';
import { floatTensor } from '../ir/tensor.js';
import type { Pass } from './context.js';
import { bnAffine, foldable, foldIntoAdder, scaleRows } from './fold-batchnorm.js';
import { Rewriter } from './rewriter.js';

/** y[c] = a[c] * x[c] + b[c] along axis 1. */
interface Affine { a: Float64Array; b: Float64Array }

export const foldChannelAffine: Pass = { name: 'fold-channel-affine', run: foldAll };

/** The per-channel values of constant `t` broadcast against activation shape `x` (axis 1), or undefined. */
function perChannel(g: Graph, cid: number, x: readonly number[]): Float64Array | undefined {
  const t = g.values[cid]!.data;
  if (!t || t.dtype !== 'float32' || t.shape.length > x.length || x.length < 2) return undefined;
  const s = [...new Array<number>(x.length - t.shape.length).fill(1), ...t.shape];
  const C = x[1]!;
  if (s[0] !== 1 || s.slice(2).some((d) => d !== 1) || (s[1] !== 1 && s[1] !== C)) return undefined;
  return Float64Array.from({ length: C }, (_, c) => t.data[s[1] === C ? c : 0]!);
}

/** The affine map of node `n` on its activation input, or undefined when `n` is not a per-channel constant affine. */
function nodeAffine(g: Graph, n: Node): { x: number; f: Affine } | undefined {
  if (n.op.kind === 'BatchNormalization') {
    const ab = bnAffine(g, n);
    return ab && !g.values[n.inputs[0]!]!.data ? { x: n.inputs[0]!, f: { a: ab.a, b: ab.c } } : undefined;
  }
  if (n.op.kind !== 'Mul' && n.op.kind !== 'Add' && n.op.kind !== 'Sub' && n.op.kind !== 'Div') return undefined;
  const [i0, i1] = n.inputs as [number, number];
  const constFirst = !!g.values[i0]!.data;
  if (constFirst === !!g.values[i1]!.data) return undefined;
  const x = constFirst ? i1 : i0;
  const xs = g.values[x]!.type;
  if (xs.dtype !== 'float32' || g.values[n.outputs[0]!]!.type.shape.join() !== xs.shape.join()) return undefined;
  const k = perChannel(g, constFirst ? i0 : i1, xs.shape);
  if (!k) return undefined;
  const one = () => new Float64Array(k.length).fill(1);
  const zero = () => new Float64Array(k.length);
  switch (n.op.kind) {
    case 'Mul': return { x, f: { a: k, b: zero() } };
    case 'Add': return { x, f: { a: one(), b: k } };
    case 'Sub': return constFirst ? { x, f: { a: one().map(() => -1), b: k } } : { x, f: { a: one(), b: k.map((v) => -v) } };
    default: return constFirst || k.some((v) => v === 0) ? undefined : { x, f: { a: k.map((v) => 1 / v), b: zero() } };
  }
}

/** g(f(x)): f first. */
const compose = (f: Affine, g: Affine): Affine => ({ a: f.a.map((v, c) => g.a[c]! * v), b: f.b.map((v, c) => g.a[c]! * v + g.b[c]!) });

function foldAll(g: Graph): Graph {
  const prod = producers(g);
  const uses = useLists(g);
  const single = (v: number) => uses[v]!.length === 1 && !g.outputs.includes(v);
  const affine = new Map<number, { x: number; f: Affine }>();
  for (const n of g.nodes) { const a = nodeAffine(g, n); if (a) affine.set(n.id, a); }
  if (affine.size === 0) return g;
  // Chains: an affine node continues its input's chain when that input is an affine output used only here.
  const chainOf = new Map<number, { x: number; f: Affine; members: number[] }>();
  const ends = new Map<number, { x: number; f: Affine; members: number[] }>();
  for (const n of g.nodes) {
    const a = affine.get(n.id);
    if (!a) continue;
    const before = prod[a.x]! >= 0 ? chainOf.get(prod[a.x]!) : undefined;
    const chain = before && single(a.x) ? { x: before.x, f: compose(before.f, a.f), members: [...before.members, n.id] } : { x: a.x, f: a.f, members: [n.id] };
    if (before && single(a.x)) ends.delete(prod[a.x]!);
    chainOf.set(n.id, chain);
    ends.set(n.id, chain);
  }
  const skip = new Set<number>();
  const into = new Map<number, { f: Affine; end: Node }>();
  const asConv = new Map<number, { x: number; f: Affine }>();
  for (const [endId, ch] of ends) {
    const p = prod[ch.x]!;
    const end = g.nodes[endId]!;
    for (const m of ch.members) skip.add(m);
    if (p >= 0 && single(ch.x) && !into.has(p) && foldable(g, g.nodes[p]!)) into.set(p, { f: ch.f, end });
    else if (g.values[ch.x]!.type.shape.length === 3 || g.values[ch.x]!.type.shape.length === 4) asConv.set(endId, ch);
    // A rank-2 chain with no layer to fold into stays as it is (lowering names it).
    else for (const m of ch.members) skip.delete(m);
  }
  const r = new Rewriter(g);
  for (const n of g.nodes) {
    const fold = into.get(n.id);
    if (fold && n.op.kind === 'Adder') {
      r.alias(fold.end.outputs[0]!, foldIntoAdder(g, r, n, fold.end, Float64Array.from(fold.f.a), Float64Array.from(fold.f.b)));
      continue;
    }
    if (fold) {
      const w = g.values[n.inputs[1]!]!.data!;
      const bIn = (n.inputs[2] ?? -1) >= 0 ? g.values[n.inputs[2]!]!.data : undefined;
      const M = w.shape[0]!;
      const wNew = floatTensor(w.shape);
      scaleRows(w.data, wNew.data, fold.f.a, M, w.data.length / M);
      const bNew = floatTensor([M], Array.from({ length: M }, (_, m) => (bIn ? bIn.data[m]! : 0) * fold.f.a[m]! + fold.f.b[m]!));
      const [out] = r.emitFor(n.id, n.op, [r.get(n.inputs[0]!), r.constant(`${g.values[n.inputs[1]!]!.name}_affine`, wNew), r.constant(`${fold.end.name}_bias`, bNew)]);
      r.alias(fold.end.outputs[0]!, out!);
      continue;
    }
    const conv = asConv.get(n.id);
    if (conv) {
      // One weight per channel: lowering gives it power-of-two terms (and recovery a per-channel gain) like any layer.
      const C = conv.f.a.length;
      const spatial = g.values[conv.x]!.type.shape.length - 2;
      const w = floatTensor([C, 1, ...new Array<number>(spatial).fill(1)], conv.f.a);
      const ones = new Array<number>(spatial).fill(1);
      const attrs = { group: C, kernel: ones, strides: ones, pads: [...ones, ...ones].map(() => 0), dilations: ones };
      r.emitFor(n.id, { kind: 'Conv', attrs }, [r.get(conv.x), r.constant(`${n.name}_gain`, w), r.constant(`${n.name}_bias`, floatTensor([C], conv.f.b))]);
      continue;
    }
    if (!skip.has(n.id)) r.copy(n.id);
  }
  return r.finish();
}
