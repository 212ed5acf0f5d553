// prune-channels: structured pruning (--prune-channels R) of Conv output channels, rewiring the next Conv.
import { useLists, type Graph, type Node } from '../ir/graph.js';
import { runGraph } from '../ir/interp-float.js';
import { floatTensor, type Tensor } from '../ir/tensor.js';
import { opTraits } from '../ir/registry.js';
import type { Pass, PassContext } from './context.js';
import { Rewriter } from './rewriter.js';

interface Pair {
  producer: Node;
  chain: Node[];
  consumer: Node;
  keep: number[];
}

function constWeight(g: Graph, n: Node): Tensor | undefined {
  return n.op.kind === 'Conv' && n.op.attrs.group === 1 ? g.values[n.inputs[1]!]?.data : undefined;
}

/** Conv -> (channelwise ops, single use each) -> Conv chains whose middle channels can be removed. */
function findPairs(g: Graph, ratio: number): Pair[] {
  const uses = useLists(g);
  const pairs: Pair[] = [];
  for (const p of g.nodes) {
    const w = constWeight(g, p);
    if (!w) continue;
    const chain: Node[] = [];
    let v = p.outputs[0]!;
    let consumer: Node | undefined;
    for (;;) {
      if (uses[v]!.length !== 1 || g.outputs.includes(v)) break;
      const next = g.nodes[uses[v]![0]!]!;
      if (opTraits(next.op.kind).channelwise && next.inputs[0] === v) { chain.push(next); v = next.outputs[0]!; continue; }
      if (constWeight(g, next) && next.inputs[0] === v) consumer = next;
      break;
    }
    if (!consumer) continue;
    const M = w.shape[0]!;
    const per = w.data.length / M;
    const norms = Array.from({ length: M }, (_, m) => {
      let s = 0;
      for (let j = 0; j < per; j++) s += Math.abs(w.data[m * per + j]!);
      return { m, s };
    });
    const drop = Math.min(M - 1, Math.floor(ratio * M));
    if (drop === 0) continue;
    const keep = norms.sort((a, b) => b.s - a.s).slice(0, M - drop).map((x) => x.m).sort((a, b) => a - b);
    pairs.push({ producer: p, chain, consumer, keep });
  }
  return pairs;
}

/** Per-channel mean of each pair's chain output on the calibration set (what a removed channel contributed). */
function channelMeans(g: Graph, pairs: readonly Pair[], calib: readonly Tensor[] | undefined): Map<number, Float64Array> {
  const means = new Map<number, Float64Array>();
  const ends = new Map(pairs.map((p) => [(p.chain.at(-1) ?? p.producer).outputs[0]!, p]));
  if (!calib) return means;
  let count = 0;
  runGraph(g, calib, (id, t) => {
    if (!ends.has(id)) return;
    const C = t.shape[1]!;
    const plane = t.data.length / (t.shape[0]! * C);
    let acc = means.get(id);
    if (!acc) { acc = new Float64Array(C); means.set(id, acc); }
    for (let c = 0; c < C; c++) {
      let s = 0;
      for (let i = 0; i < plane; i++) s += t.data[c * plane + i]!;
      acc[c] += s / plane;
    }
    if (id === [...ends.keys()][0]) count++;
  });
  for (const acc of means.values()) for (let c = 0; c < acc.length; c++) acc[c] /= Math.max(1, count);
  return means;
}

export const pruneChannels: Pass = { name: 'prune-channels', run: pruneAll };

function pruneAll(g: Graph, ctx: PassContext): Graph {
  const ratio = ctx.user.pruneChannels;
  if (ratio === 0) return g;
  const pairs = findPairs(g, ratio);
  const means = channelMeans(g, pairs, ctx.user.calibration);
  const byProducer = new Map(pairs.map((p) => [p.producer.id, p]));
  const byConsumer = new Map(pairs.map((p) => [p.consumer.id, p]));
  const r = new Rewriter(g);
  for (const n of g.nodes) {
    const asProducer = byProducer.get(n.id);
    const asConsumer = byConsumer.get(n.id);
    if (!asProducer && !asConsumer) { r.copy(n.id); continue; }
    let w = g.values[n.inputs[1]!]!.data!;
    const bIn = n.inputs[2] !== undefined && n.inputs[2]! >= 0 ? g.values[n.inputs[2]!]!.data : undefined;
    let bias = Float64Array.from({ length: w.shape[0]! }, (_, m) => bIn?.data[m] ?? 0);
    if (asConsumer) {
      // Drop input channels; each removed channel's mean output moves into the bias (exact away from borders).
      const mean = means.get((asConsumer.chain.at(-1) ?? asConsumer.producer).outputs[0]!);
      const [M, C] = w.shape as [number, number];
      const k = w.data.length / (M * C);
      const keep = asConsumer.keep;
      const nw = floatTensor([M, keep.length, ...w.shape.slice(2)]);
      for (let m = 0; m < M; m++) {
        keep.forEach((c, j) => nw.data.set(w.data.subarray((m * C + c) * k, (m * C + c + 1) * k), (m * keep.length + j) * k));
        if (mean) for (let c = 0; c < C; c++) {
          if (keep.includes(c)) continue;
          let s = 0;
          for (let t = 0; t < k; t++) s += w.data[(m * C + c) * k + t]!;
          bias[m] += s * mean[c]!;
        }
      }
      w = nw;
    }
    if (asProducer) {
      const keep = asProducer.keep;
      const per = w.data.length / w.shape[0]!;
      const nw = floatTensor([keep.length, ...w.shape.slice(1)]);
      keep.forEach((m, j) => nw.data.set(w.data.subarray(m * per, (m + 1) * per), j * per));
      bias = Float64Array.from(keep, (m) => bias[m]!);
      w = nw;
    }
    const wId = r.constant(`${g.values[n.inputs[1]!]!.name}_pruned`, w);
    const bId = r.constant(`${n.name}_bias_pruned`, floatTensor([bias.length], bias));
    r.emitFor(n.id, n.op, [r.get(n.inputs[0]!), wId, bId]);
  }
  return r.finish();
}
