// Patch tiling of a node chain (patch-based inference, MCUNetV2): which rows and columns of every tensor each tile needs.
import type { Graph, Node, Value } from '../ir/graph.js';
import { inferOp } from '../ir/graph.js';
import type { Op } from '../ir/registry.js';
import { sameShape } from '../ir/tensor.js';

/**
 * A segment: nodes first..last (graph order) computed patch by patch. Every value they produce is consumed inside
 * the segment except `sink` (last's output), which is assembled whole from patches of T rows by Tw columns.
 */
export interface Segment { first: number; last: number; sink: number; T: number; Tw: number }

/**
 * A patch of a tensor of height x width: per tile its first row `lo` and first column `left` (either may lie outside
 * the tensor: those rows and columns are zeros, the convolutions' zero padding).
 */
export interface Band { value: number; rows: number; cols: number; height: number; width: number; lo: number[]; left: number[] }

/** One node of the tile program: a segment node on patches (source = its graph node), or a Slice of a wider patch. */
export interface TileNode { node: Node; source: number | null }

export interface TileGeometry {
  seg: Segment;
  /** Sink row and column where each tile starts: T (Tw) apart, the last moved back to end at the edge (recomputed overlap). */
  starts: [number, number][];
  /** External data inputs (whole tensors made before the segment, or graph inputs): their patches per tile. */
  inputs: Band[];
  /** Every value the tile program makes, by patch value id (the Slice outputs included). */
  bands: Map<number, Band>;
  /** The tile program: graph values copied, patch values appended; nodes in execution order. */
  graph: Graph;
  program: TileNode[];
  /** Patch value of each external input / segment value (original id -> patch id). */
  bandOf: Map<number, number>;
  /** Work of all tiles and the untiled work of the segment's nodes (output elements times the window summed). */
  work: { tiled: number; untiled: number };
}

/** Ops whose outputs depend on a fixed window of inputs that zero padding may stand for; the others end a segment. */
export function rowOp(n: Node, g: Graph): boolean {
  const four = (id: number) => id < 0 || g.values[id]!.data !== undefined || (g.values[id]!.type.shape.length === 4 && g.values[id]!.type.shape[0] === 1);
  if (n.outputs.length !== 1 || !n.inputs.every(four) || !four(n.outputs[0]!)) return false;
  const op = n.op;
  switch (op.kind) {
    case 'ShiftConv': return op.attrs.kernel.length === 2;
    // A pool's padding is not zero (max ignores it, average may not count it): only unpadded pools.
    case 'MaxPool': return op.attrs.kernel.length === 2 && !op.attrs.ceilMode && op.attrs.pads.every((p) => p === 0);
    case 'QAveragePool': return !op.attrs.global && op.attrs.kernel.length === 2 && !op.attrs.ceilMode && op.attrs.pads.every((p) => p === 0);
    case 'QAdd': return sameShape(g.values[n.inputs[0]!]!.type.shape, g.values[n.inputs[1]!]!.type.shape);
    case 'Requantize': case 'Relu': case 'Lut': return true;
    case 'Concat': return op.attrs.axis === 1;
    default: return false;
  }
}

type Range = [number, number];

/** Input range [lo, hi) along spatial axis `ax` (0 rows, 1 columns) that output range [lo, hi) reads. */
function needRange(op: Op, ax: number, lo: number, hi: number): Range {
  if (op.kind === 'ShiftConv' || op.kind === 'MaxPool' || op.kind === 'QAveragePool') {
    const a = op.attrs;
    const p = op.kind === 'ShiftConv' ? a.pads[ax]! : 0;
    return [lo * a.strides[ax]! - p, (hi - 1) * a.strides[ax]! - p + (a.kernel[ax]! - 1) * a.dilations[ax]! + 1];
  }
  return [lo, hi];
}

/** The op on patches: a conv's zero padding is now rows and columns of the patch (zeroed outside the tensor). */
function bandOp(op: Op): Op {
  if (op.kind !== 'ShiftConv') return op;
  return { kind: 'ShiftConv', attrs: { ...op.attrs, pads: [0, 0, 0, 0] } };
}

/** Whether nodes first..last can be a segment: row ops only, values escaping only through the last node's output. */
export function segmentOk(g: Graph, first: number, last: number, consumers: readonly number[][]): boolean {
  const outs = new Set(g.outputs);
  for (let t = first; t <= last; t++) {
    const n = g.nodes[t]!;
    if (!rowOp(n, g)) return false;
    const o = n.outputs[0]!;
    if (outs.has(o)) return false;
    const cs = consumers[o]!;
    if (t < last && (cs.length === 0 || cs.some((c) => c < first || c > last))) return false;
    if (t === last && cs.some((c) => c <= last)) return false;
  }
  return true;
}

/** Tile starts along one axis of `size`: every `T`, the last one moved back so it ends at the edge. */
function axisStarts(size: number, T: number): number[] {
  const s: number[] = [];
  for (let a = 0; a < size; a += T) s.push(Math.min(a, size - T));
  return s;
}

type Need = { band: Map<number, [Range, Range]>; reads: Map<string, [Range, Range]> };

/** Per tile, each value's patch (the union of its consumers' reads) and each (node, data input)'s read. */
function tileNeeds(g: Graph, nodes: readonly Node[], sink: number, at: [number, number], T: number, Tw: number): Need | null {
  const band = new Map<number, [Range, Range]>([[sink, [[at[0], at[0] + T], [at[1], at[1] + Tw]]]]);
  const reads = new Map<string, [Range, Range]>();
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i]!;
    const b = band.get(n.outputs[0]!);
    if (!b) return null;
    for (const k of dataInputs(g, n)) {
      const r: [Range, Range] = [needRange(n.op, 0, ...b[0]), needRange(n.op, 1, ...b[1])];
      reads.set(`${n.id}:${k}`, r);
      const x = n.inputs[k]!;
      const u = band.get(x);
      band.set(x, u ? [[Math.min(u[0][0], r[0][0]), Math.max(u[0][1], r[0][1])], [Math.min(u[1][0], r[1][0]), Math.max(u[1][1], r[1][1])]] : r);
    }
  }
  return { band, reads };
}

const len = (r: [Range, Range]) => `${r[0][1] - r[0][0]}x${r[1][1] - r[1][0]}`;

/**
 * Patch geometry of segment `seg` (null when the patches are not the same shape in every tile). A consumer
 * reading less than its input's patch gets a Slice of it (the patch's channel planes are not contiguous).
 */
export function tileGeometry(g: Graph, seg: Segment, consumers: readonly number[][]): TileGeometry | null {
  const [H, W] = g.values[seg.sink]!.type.shape.slice(2) as [number, number];
  if (seg.T < 1 || seg.T > H || seg.Tw < 1 || seg.Tw > W || (seg.T === H && seg.Tw === W)) return null;
  const starts = axisStarts(H, seg.T).flatMap((r) => axisStarts(W, seg.Tw).map((c): [number, number] => [r, c]));
  const nodes = g.nodes.slice(seg.first, seg.last + 1);
  if (nodes.some((n, i) => n.id !== seg.first + i) || !segmentOk(g, seg.first, seg.last, consumers)) return null;
  const tiles: Need[] = [];
  for (const at of starts) {
    const t = tileNeeds(g, nodes, seg.sink, at, seg.T, seg.Tw);
    if (!t) return null;
    tiles.push(t);
  }
  const values = [...g.values];
  const bands = new Map<number, Band>();
  const bandOf = new Map<number, number>();
  const addBand = (of: Value, rows: number, cols: number, lo: number[], left: number[]): number => {
    const id = values.length;
    values.push({ id, name: `${of.name}#patch`, type: { dtype: of.type.dtype, shape: [1, of.type.shape[1]!, rows, cols] }, ...(of.quant ? { quant: of.quant } : {}) });
    bands.set(id, { value: of.id, rows, cols, height: of.type.shape[2]!, width: of.type.shape[3]!, lo, left });
    return id;
  };
  for (const [v, r0] of tiles[0]!.band) {
    if (tiles.some((t) => len(t.band.get(v)!) !== len(r0))) return null;
    bandOf.set(v, addBand(g.values[v]!, r0[0][1] - r0[0][0], r0[1][1] - r0[1][0], tiles.map((t) => t.band.get(v)![0][0]), tiles.map((t) => t.band.get(v)![1][0])));
  }
  const program: TileNode[] = [];
  const produced = new Set(nodes.map((n) => n.outputs[0]!));
  const inputs = [...bandOf.keys()].filter((v) => !produced.has(v)).map((v) => bands.get(bandOf.get(v)!)!);
  const work = { tiled: 0, untiled: 0 };
  for (const n of nodes) {
    const ins = [...n.inputs];
    for (const k of dataInputs(g, n)) {
      const x = n.inputs[k]!;
      const key = `${n.id}:${k}`;
      const r = tiles[0]!.reads.get(key)!;
      if (tiles.some((t) => len(t.reads.get(key)!) !== len(r))) return null;
      const dr = tiles.map((t) => t.reads.get(key)![0][0] - t.band.get(x)![0][0]);
      const dc = tiles.map((t) => t.reads.get(key)![1][0] - t.band.get(x)![1][0]);
      if (dr.some((o) => o !== dr[0]) || dc.some((o) => o !== dc[0])) return null;
      const src = bandOf.get(x)!;
      const b = bands.get(src)!;
      const rows = r[0][1] - r[0][0];
      const cols = r[1][1] - r[1][0];
      if (dr[0] === 0 && dc[0] === 0 && rows === b.rows && cols === b.cols) { ins[k] = src; continue; }
      const id = addBand(g.values[x]!, rows, cols, b.lo.map((l) => l + dr[0]!), b.left.map((l) => l + dc[0]!));
      const op: Op = { kind: 'Slice', attrs: { starts: [dr[0]!, dc[0]!], ends: [dr[0]! + rows, dc[0]! + cols], axes: [2, 3], steps: [1, 1] } };
      program.push({ node: { id: -1, name: `${n.name}#patch`, op, inputs: [src], outputs: [id] }, source: null });
      ins[k] = id;
    }
    const y = bandOf.get(n.outputs[0]!)!;
    program.push({ node: { id: -1, name: n.name, op: bandOp(n.op), inputs: ins, outputs: [y] }, source: n.id });
    const yt = g.values[n.outputs[0]!]!.type.shape;
    const each = yt[1]! * elementWork(g, n);
    work.tiled += starts.length * bands.get(y)!.rows * bands.get(y)!.cols * each;
    work.untiled += yt[2]! * yt[3]! * each;
  }
  const tileNodes = program.map((p, i) => ({ ...p.node, id: i }));
  const graph: Graph = { ...g, values, nodes: tileNodes, inputs: inputs.map((b) => bandOf.get(b.value)!), outputs: [bandOf.get(seg.sink)!] };
  // The patch shapes must be what each op infers from its patch inputs (guards the range arithmetic above).
  for (const n of tileNodes) {
    const [t] = inferOp(n.op, n.inputs.map((i) => (i >= 0 ? values[i]!.type : undefined)), n.name);
    if (!t || !sameShape(t.shape, values[n.outputs[0]!]!.type.shape)) return null;
  }
  return { seg, starts, inputs, bands, graph, program: program.map((p, i) => ({ node: tileNodes[i]!, source: p.source })), bandOf, work };
}

/** Work per output element of a node: the conv's taps, the pool's window, 1 for elementwise ops. */
function elementWork(g: Graph, n: Node): number {
  const op = n.op;
  const win = (k: readonly number[]) => k.reduce((a, b) => a * b, 1);
  if (op.kind === 'ShiftConv') return (g.values[n.inputs[0]!]!.type.shape[1]! / op.attrs.group) * win(op.attrs.kernel);
  if (op.kind === 'MaxPool' || op.kind === 'QAveragePool') return win(op.attrs.kernel);
  return 1;
}

/** Work of a whole node on the same scale as TileGeometry.work (Gemm and global pools by their inputs). */
export function nodeWork(g: Graph, n: Node): number {
  const y = g.values[n.outputs[0]!]!.type.shape;
  const x = n.inputs[0]! >= 0 ? g.values[n.inputs[0]!]!.type.shape : y;
  const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
  if (n.op.kind === 'ShiftGemm') return size(y) * x[1]!;
  if (n.op.kind === 'QAveragePool' && n.op.attrs.global) return size(x);
  if (n.op.kind === 'GlobalMaxPool') return size(x);
  return size(y) * elementWork(g, n);
}

/** Data (non-constant) inputs of a node, by input index. */
function dataInputs(g: Graph, n: Node): number[] {
  return n.inputs.flatMap((id, k) => (id >= 0 && g.values[id]!.data === undefined ? [k] : []));
}

/** Per value id, the indices of the nodes reading it. */
export function consumerLists(g: Graph): number[][] {
  const c: number[][] = g.values.map(() => []);
  g.nodes.forEach((n, t) => { for (const i of n.inputs) if (i >= 0) c[i]!.push(t); });
  return c;
}
