// pair-convs (--mode shiftadd): each float Conv becomes a shift conv -> 1x1 adder conv pair, fitted layer by layer to the conv on calibration images.
import { fail } from '../diagnostics.js';
import type { Graph, Node } from '../ir/graph.js';
import { runGraph } from '../ir/interp-float.js';
import { tensor, type Tensor } from '../ir/tensor.js';
import type { ConvAttrs } from '../ir/ops/conv.js';
import { mulberry32 } from '../util/prng.js';
import type { Pass, PassContext } from './context.js';
import { DEFAULT_DISTILL, distillPair, type PairParams } from './distill-pair.js';
import { nextPow2, outputsAt, patchesAt, projectRows, type Position } from './pair-math.js';
import { Rewriter } from './rewriter.js';

/** Calibration samples distillation runs the network on (the first ones): enough positions, bounded graph runs. */
export const DISTILL_SAMPLES = 64;
/** Output positions sampled per layer (patches and targets): bounds the fit's work and memory. */
export const DISTILL_POSITIONS = 4096;
const WEIGHT_LAYERS = new Set(['Conv', 'Gemm', 'MatMul', 'Adder']);

/** Why a Conv is not paired, or undefined when it can be (group 1, 2-D, constant weights, one sample per batch). */
function refusal(g: Graph, n: Node): string | undefined {
  if (n.op.kind !== 'Conv') return 'not a convolution';
  const a = n.op.attrs;
  if (a.pow2) return 'already a shift layer';
  if (a.group !== 1) return 'grouped convolution';
  if (a.kernel.length !== 2) return '1-D convolution';
  if (!g.values[n.inputs[1]!]!.data) return 'weights not constant';
  const b = n.inputs[2];
  if (b !== undefined && b >= 0 && !g.values[b]!.data) return 'bias not constant';
  if (g.values[n.inputs[0]!]!.type.shape[0] !== 1) return 'batch dimension is not 1';
  return undefined;
}

/**
 * The Convs to pair, in graph order. Without `all`, the stem (no weight layer before it) and the classifier (no
 * weight layer after it) stay as they are, as ShiftAddNet keeps them.
 */
export function pairableConvs(g: Graph, all: boolean): { pair: Node[]; skipped: { node: Node; why: string }[] } {
  const up = new Uint8Array(g.values.length);
  const down = new Uint8Array(g.values.length);
  for (const n of g.nodes) {
    const u = n.inputs.some((i) => i >= 0 && up[i]) || WEIGHT_LAYERS.has(n.op.kind);
    for (const o of n.outputs) up[o] = u ? 1 : 0;
  }
  const downOf = new Uint8Array(g.nodes.length);
  for (let k = g.nodes.length - 1; k >= 0; k--) {
    const n = g.nodes[k]!;
    downOf[k] = n.outputs.some((o) => down[o]) ? 1 : 0;
    if (downOf[k] || WEIGHT_LAYERS.has(n.op.kind)) for (const i of n.inputs) if (i >= 0) down[i] = 1;
  }
  const pair: Node[] = [];
  const skipped: { node: Node; why: string }[] = [];
  for (const n of g.nodes) {
    if (n.op.kind !== 'Conv') continue;
    const stem = !n.inputs.some((i) => i >= 0 && up[i]);
    const classifier = !downOf[n.id];
    const why = refusal(g, n) ?? (all ? undefined : stem ? 'the stem (--pair-all pairs it)' : classifier ? 'the classifier (--pair-all pairs it)' : undefined);
    if (why) skipped.push({ node: n, why });
    else pair.push(n);
  }
  return { pair, skipped };
}

/** The graph with each conv in `pairs` replaced by its pair (the Adder keeps the conv's name and output value). */
export function buildPaired(g: Graph, pairs: ReadonlyMap<number, PairParams>): Graph {
  const r = new Rewriter(g);
  for (const n of g.nodes) {
    const p = pairs.get(n.id);
    if (!p || n.op.kind !== 'Conv') { r.copy(n.id); continue; }
    const wv = g.values[n.inputs[1]!]!;
    const [M, C, KH, KW] = wv.type.shape as [number, number, number, number];
    const D = C * KH * KW;
    const sq = new Float64Array(p.s.length);
    projectRows(p.s, p.nPrime, D, sq);
    const s = r.constant(`${wv.name}_shift`, tensor('float32', [p.nPrime, C, KH, KW], Float32Array.from(sq)));
    const outName = g.values[n.outputs[0]!]!.name;
    const u = r.emit(`${n.name}/shift`, { kind: 'Conv', attrs: { ...n.op.attrs, pow2: true } }, [r.get(n.inputs[0]!), s], `${outName}_shift`);
    const adder = { group: 1, kernel: [1, 1], strides: [1, 1], pads: [0, 0, 0, 0], dilations: [1, 1] };
    r.emitFor(n.id, { kind: 'Adder', attrs: adder }, [
      u,
      r.constant(`${wv.name}_adder`, tensor('float32', [M, p.nPrime, 1, 1], Float32Array.from(p.w))),
      r.constant(`${wv.name}_adder_scale`, tensor('float32', [M], Float32Array.from(p.scale))),
      r.constant(`${wv.name}_adder_bias`, tensor('float32', [M], Float32Array.from(p.bias))),
    ]);
  }
  return r.finish();
}

/** The first `n` samples of each calibration input (the declared batch is 1, so samples are rows of dim 0). */
function firstSamples(calib: readonly Tensor[], n: number): Tensor[] {
  return calib.map((t) => {
    const k = Math.min(n, t.shape[0]!);
    const per = t.data.length / t.shape[0]!;
    return tensor(t.dtype, [k, ...t.shape.slice(1)], t.data.slice(0, k * per));
  });
}

/**
 * Every sample's tensor of the values `ids`, from one run of the nodes of `g` up to the last one producing them
 * (nodes are in graph order, so that prefix is closed; graph inputs and constants need no node).
 */
function observe(g: Graph, inputs: readonly Tensor[], ids: readonly number[]): Map<number, Tensor[]> {
  const got = new Map<number, Tensor[]>(ids.map((i) => [i, []]));
  let last = -1;
  g.nodes.forEach((n, k) => { if (n.outputs.some((o) => got.has(o))) last = k; });
  const prefix: Graph = { ...g, nodes: g.nodes.slice(0, last + 1), outputs: [...ids] };
  runGraph(prefix, inputs, (id, t) => got.get(id)?.push(t));
  // A graph input (the stem's, with --pair-all) is no node's output: its samples are the rows of the input itself.
  g.inputs.forEach((id, k) => { if (got.has(id)) got.set(id, unstackSamples(inputs[k]!, g.values[id]!.type.shape)); });
  return got;
}

/** The samples of a stacked input, each with the declared shape. */
function unstackSamples(t: Tensor, shape: readonly number[]): Tensor[] {
  const per = shape.reduce((a, b) => a * b, 1);
  return Array.from({ length: t.data.length / per }, (_, k) => tensor(t.dtype, [...shape], t.data.slice(k * per, (k + 1) * per)));
}

/** Sampled output positions of a conv with output [1, M, OH, OW] over `samples` samples (all of them if few). */
function positions(shape: readonly number[], samples: number, seed: number): Position[] {
  const [OH, OW] = [shape[2]!, shape[3]!];
  const total = samples * OH * OW;
  const at = (k: number): Position => ({ n: Math.floor(k / (OH * OW)), oh: Math.floor(k / OW) % OH, ow: k % OW });
  if (total <= DISTILL_POSITIONS) return Array.from({ length: total }, (_, k) => at(k));
  const rng = mulberry32(seed);
  return Array.from({ length: DISTILL_POSITIONS }, () => at(Math.floor(rng() * total)));
}

function run(g: Graph, ctx: PassContext): Graph {
  if (ctx.user.mode !== 'shiftadd') return g;
  const calib = ctx.user.calibration ?? fail('SAC042', 'pair mode (--mode shiftadd) needs calibration inputs to fit its adder layers');
  const { pair, skipped } = pairableConvs(g, ctx.user.pairAll);
  for (const s of skipped) ctx.changes.push(`pair mode: convolution '${s.node.name}' kept as a shift-add layer (${s.why}).`);
  if (pair.length === 0) return g;
  const images = firstSamples(calib, DISTILL_SAMPLES);
  const samples = images[0]!.shape[0]!;
  const original = observe(g, images, pair.map((n) => n.outputs[0]!));
  const pairs = new Map<number, PairParams>();
  let cur = g;
  pair.forEach((n, k) => {
    ctx.progress?.('pair', k, pair.length, n.name);
    const a = n.op.attrs as ConvAttrs;
    const wv = g.values[n.inputs[1]!]!.data!;
    const bId = n.inputs[2];
    const M = wv.shape[0]!;
    const D = wv.data.length / M;
    // The pair's input comes from the network as paired so far, its target from the original: each layer makes up for the ones before.
    const xName = g.values[n.inputs[0]!]!.name;
    const xId = cur.values.findIndex((v) => v.name === xName);
    const x = observe(cur, images, [xId]).get(xId)!;
    const pos = positions(g.values[n.outputs[0]!]!.type.shape, samples, 1000 + k);
    const task = {
      M, D, nPrime: nextPow2(M), W: Float64Array.from(wv.data),
      b: bId !== undefined && bId >= 0 ? Float64Array.from(g.values[bId]!.data!.data) : new Float64Array(M),
      Z: patchesAt(x, a, pos), T: outputsAt(original.get(n.outputs[0]!)!, pos),
    };
    const fit = distillPair(task, { ...DEFAULT_DISTILL, seed: 1 + k });
    pairs.set(n.id, fit.params);
    ctx.changes.push(`pair mode: convolution '${n.name}' is a shift conv (${task.nPrime} channels) and a 1x1 adder conv; layer error on the calibration images ${fmt(fit.before)} at the start, ${fmt(fit.after)} after distillation.`);
    cur = buildPaired(g, pairs);
  });
  ctx.progress?.('pair', pair.length, pair.length);
  return cur;
}

const fmt = (e: number) => `${(100 * e).toFixed(2)}%`;

/** The pass: a no-op unless `mode` is 'shiftadd'. */
export const pairConvs: Pass = { name: 'pair-convs', run };
