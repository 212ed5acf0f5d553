// fold-batchnorm: merges an inference BatchNormalization into the Conv (or Gemm) that feeds it.
import { useLists, type Graph, type Node } from '../ir/graph.js';
import { floatTensor, type Tensor, type TypedData } from '../ir/tensor.js';
import type { Pass } from './context.js';
import { Rewriter } from './rewriter.js';

/** Per-channel affine y = a*x + c equivalent to the BN, or undefined if its params are not constant. */
export function bnAffine(g: Graph, bn: Node): { a: Float64Array; c: Float64Array } | undefined {
  const p = bn.inputs.slice(1).map((i) => g.values[i]!.data);
  if (p.some((t) => !t) || bn.op.kind !== 'BatchNormalization') return undefined;
  const [scale, bias, mean, variance] = p as Tensor[];
  const eps = bn.op.attrs.epsilon;
  const n = scale!.data.length;
  const a = new Float64Array(n);
  const c = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    a[i] = scale!.data[i]! / Math.sqrt(variance!.data[i]! + eps);
    c[i] = bias!.data[i]! - mean!.data[i]! * a[i]!;
  }
  return { a, c };
}

/** Weight rows are output channels: Conv [M, ...] or Gemm B with transB (PyTorch Linear). */
export function foldable(g: Graph, producer: Node): boolean {
  // An adder layer carries the affine as its own scale and bias inputs (constants when present).
  if (producer.op.kind === 'Adder') return producer.inputs.slice(1).every((i) => i < 0 || g.values[i]!.data !== undefined);
  const w = g.values[producer.inputs[1]!]?.data;
  const b = producer.inputs[2] !== undefined && producer.inputs[2]! >= 0 ? g.values[producer.inputs[2]!]!.data : null;
  if (!w || b === undefined) return false;
  if (producer.op.kind === 'Conv') return true;
  if (producer.op.kind === 'Gemm') {
    const a = producer.op.attrs;
    return a.transB && !a.transA && a.alpha === 1 && (a.beta === 1 || !b) && (!b || b.data.length === w.shape[0]);
  }
  return false;
}

export const foldBatchnorm: Pass = { name: 'fold-batchnorm', run: foldAll };

function foldAll(g: Graph): Graph {
  const uses = useLists(g);
  const producerOf = new Map<number, Node>();
  for (const n of g.nodes) for (const o of n.outputs) producerOf.set(o, n);
  // Decide folds first: producer node id -> BN node, so the rewrite is a single forward walk.
  const fold = new Map<number, Node>();
  for (const bn of g.nodes) {
    if (bn.op.kind !== 'BatchNormalization') continue;
    const p = producerOf.get(bn.inputs[0]!);
    if (p && uses[bn.inputs[0]!]!.length === 1 && !g.outputs.includes(bn.inputs[0]!) && foldable(g, p) && bnAffine(g, bn)) fold.set(p.id, bn);
  }
  const r = new Rewriter(g);
  const skip = new Set([...fold.values()].map((n) => n.id));
  for (const n of g.nodes) {
    if (skip.has(n.id)) continue;
    const bn = fold.get(n.id);
    if (!bn) { r.copy(n.id); continue; }
    const { a, c } = bnAffine(g, bn)!;
    if (n.op.kind === 'Adder') {
      r.alias(bn.outputs[0]!, foldIntoAdder(g, r, n, bn, a, c));
      continue;
    }
    const w = g.values[n.inputs[1]!]!.data!;
    const bIn = n.inputs[2] !== undefined && n.inputs[2]! >= 0 ? g.values[n.inputs[2]!]!.data : undefined;
    const M = w.shape[0]!;
    const per = w.data.length / M;
    const wNew = floatTensor(w.shape);
    const bNew = floatTensor([M]);
    scaleRows(w.data, wNew.data, a, M, per);
    for (let m = 0; m < M; m++) bNew.data[m] = (bIn ? bIn.data[m]! : 0) * a[m]! + c[m]!;
    const wId = r.constant(`${g.values[n.inputs[1]!]!.name}_bn`, wNew);
    const bId = r.constant(`${bn.name}_bias`, bNew);
    const [out] = r.emitFor(n.id, n.op, [r.get(n.inputs[0]!), wId, bId]);
    r.alias(bn.outputs[0]!, out!);
  }
  return r.finish();
}

/** The adder layer with scale a * scale and bias a * bias + c (it computes scale * -sum|x - w| + bias). */
export function foldIntoAdder(g: Graph, r: Rewriter, n: Node, bn: Node, a: Float64Array, c: Float64Array): number {
  const old = (k: number) => (n.inputs[k] !== undefined && n.inputs[k]! >= 0 ? g.values[n.inputs[k]!]!.data : undefined);
  const M = a.length;
  const scale = floatTensor([M]);
  const bias = floatTensor([M]);
  for (let m = 0; m < M; m++) {
    scale.data[m] = (old(2)?.data[m] ?? 1) * a[m]!;
    bias.data[m] = (old(3)?.data[m] ?? 0) * a[m]! + c[m]!;
  }
  const inputs = [r.get(n.inputs[0]!), r.get(n.inputs[1]!), r.constant(`${bn.name}_scale`, scale), r.constant(`${bn.name}_bias`, bias)];
  return r.emitFor(n.id, n.op, inputs)[0]!;
}

/** out[m * per + j] = w[m * per + j] * a[m] (a loop of its own: it is the pass's only heavy work). */
export function scaleRows(w: ArrayLike<number>, out: TypedData, a: Float64Array, M: number, per: number): void {
  for (let m = 0; m < M; m++) {
    const am = a[m]!;
    for (let j = m * per; j < (m + 1) * per; j++) out[j] = w[j]! * am;
  }
}
