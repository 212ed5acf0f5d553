// --ram-budget: picks the segments and tile heights that bring the arena under the budget at the least recompute.
import { atNode, fail } from '../diagnostics.js';
import type { Graph, Node } from '../ir/graph.js';
import { planArena, type ArenaPlan, type NodePlanInfo } from './plan.js';
import { planTileArena, type TileArena } from './tile-arena.js';
import { consumerLists, nodeWork, segmentOk, tileGeometry, type TileGeometry } from './tile-plan.js';

/** Plan info of a tile program node (its kernel's scratch and in-place ability), asked of the backend. */
export type BandInfo = (tg: Graph, node: Node, source: number | null) => NodePlanInfo;

export interface TiledSegment { geo: TileGeometry; arena: TileArena }

export interface Tiling {
  segments: TiledSegment[];
  /** The arena plan over the schedule with each segment one step (its scratch is the tile arena). */
  plan: ArenaPlan;
  /** Graph nodes of each schedule step (a segment's step holds all of its nodes). */
  steps: number[][];
  /** Work of the tiled model over the untiled one, minus 1 (halo rows computed again), and the untiled arena. */
  extraWork: number;
  untiledArenaBytes: number;
}

interface Evaluation { plan: ArenaPlan; steps: number[][]; live: number[] }

/** Chooses the tiling for `budget` arena bytes; fails SAC066 naming the layer and the smallest budget that works. */
export function planTiling(g: Graph, budget: number, info: readonly NodePlanInfo[], bandInfo: BandInfo, diagnose = true): Tiling {
  const search = new Search(g, info, bandInfo);
  const r = search.run(budget);
  if ('segments' in r) return r;
  // The greedy is not monotone in the budget: a plan for a smaller budget also meets this one.
  for (let i = 1, b = budget; i <= 16; i++) {
    b = Math.floor(b * 0.95);
    const t = search.run(b);
    if ('segments' in t) return t;
  }
  // A caller with a fallback (another weight form) skips the bisection for the smallest budget.
  if (!diagnose) return fail('SAC066', `--ram-budget ${budget} cannot be met`, atNode(g.nodes[r.node]!.name, g.nodes[r.node]!.op.kind));
  // Bisection over budgets the search can meet (it meets the untiled arena with no tiling at all).
  let lo = budget;
  let hi = search.untiled.plan.arenaBytes;
  while (hi - lo > 4) {
    const mid = (lo + hi) >> 1;
    if ('segments' in search.run(mid)) hi = mid; else lo = mid;
  }
  const n = g.nodes[r.node]!;
  return fail('SAC066', `--ram-budget ${budget} cannot be met: at layer '${n.name}' (${n.op.kind}) ${r.need} bytes are live; the smallest budget the tiler meets is ${hi} bytes`, atNode(n.name, n.op.kind));
}

/**
 * Tile shapes tried for a sink of [.., H, W], largest first: full-width row bands of T rows, and patches of
 * about the sink's aspect (T rows by ceil(T * W / H) columns), as MCUNetV2's n x n patches.
 */
export function patchShapes(shape: readonly number[]): [number, number][] {
  const [H, W] = shape.slice(2) as [number, number];
  const out: [number, number][] = [];
  for (let T = H; T >= 1; T--) {
    if (T < H) out.push([T, W]);
    const Tw = Math.ceil((T * W) / H);
    if (Tw < W) out.push([T, Tw]);
  }
  return out.sort((a, b) => b[0] * b[1] - a[0] * a[1] || b[0] - a[0]);
}

class Search {
  private readonly consumers: number[][];
  private readonly geoCache = new Map<string, TiledSegment | null>();
  private readonly infoCache = new Map<string, NodePlanInfo>();
  readonly untiled: Evaluation;
  private readonly candidates: [number, number][] = [];
  private readonly total: number;

  constructor(private readonly g: Graph, private readonly info: readonly NodePlanInfo[], private readonly bandInfo: BandInfo) {
    this.consumers = consumerLists(g);
    this.untiled = this.evaluate([]);
    this.total = g.nodes.reduce((a, n) => a + nodeWork(g, n), 0);
    for (let first = 0; first < g.nodes.length; first++) {
      for (let last = first; last < g.nodes.length; last++) if (segmentOk(g, first, last, this.consumers)) this.candidates.push([first, last]);
    }
  }

  /** Greedy: while a step is over budget, tile the cheapest segment over it that brings every step up to its end under. */
  run(budget: number): Tiling | { node: number; need: number } {
    const chosen: TiledSegment[] = [];
    for (;;) {
      const ev = this.evaluate(chosen);
      const bad = ev.live.findIndex((b) => b > budget);
      if (bad < 0 && ev.plan.arenaBytes <= budget) {
        const extra = chosen.reduce((a, s) => a + s.geo.work.tiled - s.geo.work.untiled, 0);
        return { segments: chosen, plan: ev.plan, steps: ev.steps, extraWork: extra / this.total, untiledArenaBytes: this.untiled.plan.arenaBytes };
      }
      const step = bad < 0 ? ev.live.indexOf(Math.max(...ev.live)) : bad;
      const at = ev.steps[step]!;
      let best: { seg: TiledSegment; cost: number } | null = null;
      for (const [first, last] of this.candidates) {
        if (first > at[0]! || last < at[at.length - 1]!) continue;
        if (chosen.some((s) => s.geo.seg.first <= last && first <= s.geo.seg.last && !(s.geo.seg.first >= first && s.geo.seg.last <= last))) continue;
        const inner = chosen.filter((s) => !(s.geo.seg.first >= first && s.geo.seg.last <= last));
        // Fewer, larger tiles recompute fewer halo rows: the largest tile that fits is taken for this segment.
        for (const [T, Tw] of patchShapes(this.g.values[this.g.nodes[last]!.outputs[0]!]!.type.shape)) {
          const seg = this.segment(first, last, T, Tw);
          if (!seg) continue;
          const e = this.evaluate([...inner, seg]);
          const over = e.live.findIndex((x) => x > budget);
          // Progress: every step through the segment now fits (or, with none over, the placement got smaller).
          if (bad >= 0 ? over < 0 || e.steps[over]![0]! > last : over < 0 && e.plan.arenaBytes < ev.plan.arenaBytes) {
            const cost = seg.geo.work.tiled - seg.geo.work.untiled;
            if (!best || cost < best.cost) best = { seg, cost };
            break;
          }
        }
      }
      if (!best) return { node: at[at.length - 1]!, need: ev.live[step]! };
      const b = best.seg.geo.seg;
      chosen.splice(0, chosen.length, ...chosen.filter((s) => !(s.geo.seg.first >= b.first && s.geo.seg.last <= b.last)), best.seg);
      chosen.sort((p, q) => p.geo.seg.first - q.geo.seg.first);
    }
  }

  private segment(first: number, last: number, T: number, Tw: number): TiledSegment | null {
    const key = `${first}:${last}:${T}:${Tw}`;
    if (this.geoCache.has(key)) return this.geoCache.get(key)!;
    const geo = tileGeometry(this.g, { first, last, sink: this.g.nodes[last]!.outputs[0]!, T, Tw }, this.consumers);
    const seg = geo ? { geo, arena: planTileArena(geo, geo.program.map((p) => this.nodeInfo(geo, p.node, p.source))) } : null;
    this.geoCache.set(key, seg);
    return seg;
  }

  /** Band kernels of equal shapes have equal plan info: built once per node and shape. */
  private nodeInfo(geo: TileGeometry, n: Node, source: number | null): NodePlanInfo {
    const shapes = [...n.inputs, ...n.outputs].map((i) => (i >= 0 ? geo.graph.values[i]!.type.shape.join('x') : '-'));
    const key = `${source}|${n.name}|${n.op.kind}|${JSON.stringify(n.op.attrs)}|${shapes.join(',')}`;
    let i = this.infoCache.get(key);
    if (!i) { i = this.bandInfo(geo.graph, n, source); this.infoCache.set(key, i); }
    return i;
  }

  /** The schedule with each segment one step, its arena plan and the bytes live at each step. */
  private evaluate(segments: readonly TiledSegment[]): Evaluation {
    const g = this.g;
    const nodes: Node[] = [];
    const info: NodePlanInfo[] = [];
    const steps: number[][] = [];
    for (let t = 0; t < g.nodes.length; t++) {
      const s = segments.find((x) => x.geo.seg.first === t);
      const n = g.nodes[t]!;
      if (!s) { nodes.push({ ...n, id: nodes.length }); info.push(this.info[t]!); steps.push([t]); continue; }
      const sink = g.nodes[s.geo.seg.last]!;
      nodes.push({ id: nodes.length, name: sink.name, op: sink.op, inputs: s.geo.inputs.map((b) => b.value), outputs: [s.geo.seg.sink] });
      info.push({ scratchBytes: s.arena.bytes, inPlace: false, alias: false });
      steps.push(Array.from({ length: s.geo.seg.last - t + 1 }, (_, i) => t + i));
      t = s.geo.seg.last;
    }
    const plan = planArena({ ...g, nodes }, info);
    const live = nodes.map((_, t) => plan.buffers.reduce((a, b) => a + (b.start <= t && t <= b.end ? b.bytes : 0), 0));
    return { plan, steps, live };
  }
}
