// Static arena planning: tensor liveness, aliasing/in-place reuse, greedy offset assignment (target-neutral: any flat memory).
import { fail } from '../diagnostics.js';
import type { Graph } from '../ir/graph.js';
import { DTYPE_BYTES, numel } from '../ir/tensor.js';

/** Where a value lives at run time: caller input/output buffers (element offsets), a const table, or the arena. */
export type Loc =
  | { kind: 'in'; off: number }
  | { kind: 'out'; off: number }
  | { kind: 'const'; id: number }
  | { kind: 'buf'; buf: number };

export interface Buffer {
  bytes: number;
  /** Node index range [start, end] during which the buffer holds live data (inclusive). */
  start: number;
  end: number;
  offset: number;
}

export interface NodePlanInfo {
  /** Scratch bytes needed while the node runs (0 for none). */
  scratchBytes: number;
  /** The output may reuse input 0's buffer if that input dies here. */
  inPlace: boolean;
  /** The node emits no code: its output is its input's storage (Reshape). */
  alias: boolean;
}

export interface ArenaPlan {
  loc: Loc[];
  buffers: Buffer[];
  /** Per node, the scratch buffer index or -1. */
  scratch: number[];
  arenaBytes: number;
  /** Peak over nodes of the bytes of simultaneously live buffers: no placement can use less. */
  lowerBound: number;
  /** Sum of all buffers: what one buffer per tensor (no reuse) would take. */
  naiveBytes: number;
}

/** Every arena buffer is 4-byte aligned so int16/int32 tensors and the uint32 static arena line up. */
const align = (n: number) => (n + 3) & ~3;

export function planArena(g: Graph, info: readonly NodePlanInfo[]): ArenaPlan {
  const bytes = (id: number) => align(numel(g.values[id]!.type.shape) * DTYPE_BYTES[g.values[id]!.type.dtype]);
  const lastUse = new Int32Array(g.values.length).fill(-1);
  for (const n of g.nodes) for (const i of n.inputs) if (i >= 0) lastUse[i] = n.id;
  const loc: (Loc | undefined)[] = g.values.map((v) => (v.data ? { kind: 'const', id: v.id } : undefined));
  let off = 0;
  for (const id of g.inputs) { loc[id] = { kind: 'in', off }; off += numel(g.values[id]!.type.shape); }
  off = 0;
  for (const id of g.outputs) {
    if (loc[id]) fail('SAC060', `graph output '${g.values[id]!.name}' is also a graph input, a constant or listed twice`);
    loc[id] = { kind: 'out', off };
    off += numel(g.values[id]!.type.shape);
  }
  const buffers: Buffer[] = [];
  const scratch: number[] = [];
  const isOut = new Set(g.outputs);
  g.nodes.forEach((n, t) => {
    const inf = info[t]!;
    const x0 = n.inputs[0] ?? -1;
    const l0 = x0 >= 0 ? loc[x0] : undefined;
    for (const o of n.outputs) {
      if (isOut.has(o)) continue;
      const end = Math.max(t, lastUse[o]!);
      if (inf.alias && l0) {
        loc[o] = l0;
        if (l0.kind === 'buf') buffers[l0.buf]!.end = Math.max(buffers[l0.buf]!.end, end);
        continue;
      }
      if (inf.inPlace && l0?.kind === 'buf' && buffers[l0.buf]!.end <= t && buffers[l0.buf]!.bytes === bytes(o)) {
        loc[o] = l0;
        buffers[l0.buf]!.end = end;
        continue;
      }
      loc[o] = { kind: 'buf', buf: buffers.length };
      buffers.push({ bytes: bytes(o), start: t, end, offset: 0 });
    }
    scratch.push(inf.scratchBytes > 0 ? buffers.push({ bytes: align(inf.scratchBytes), start: t, end: t, offset: 0 }) - 1 : -1);
  });
  const arenaBytes = placeBuffers(buffers);
  let lowerBound = 0;
  for (let t = 0; t < g.nodes.length; t++) {
    let live = 0;
    for (const b of buffers) if (b.start <= t && t <= b.end) live += b.bytes;
    lowerBound = Math.max(lowerBound, live);
  }
  const missing = loc.findIndex((l, id) => !l && lastUse[id]! >= 0);
  if (missing >= 0) fail('SAC060', `value '${g.values[missing]!.name}' has no producer`);
  const naiveBytes = buffers.reduce((p, b) => p + b.bytes, 0);
  return { loc: loc.map((l, id) => l ?? { kind: 'const', id }), buffers, scratch, arenaBytes, lowerBound, naiveBytes };
}

/**
 * Greedy first-fit by decreasing size (ties by start time, then index: deterministic). Each buffer takes the
 * lowest offset not overlapping any already placed buffer whose lifetime intersects its own.
 */
export function placeBuffers(buffers: Buffer[]): number {
  const order = buffers.map((_, i) => i).sort((a, b) => buffers[b]!.bytes - buffers[a]!.bytes || buffers[a]!.start - buffers[b]!.start || a - b);
  const placed: Buffer[] = [];
  let total = 0;
  for (const i of order) {
    const b = buffers[i]!;
    const busy = placed.filter((p) => p.start <= b.end && b.start <= p.end).sort((p, q) => p.offset - q.offset);
    let at = 0;
    for (const p of busy) {
      if (at + b.bytes <= p.offset) break;
      at = Math.max(at, p.offset + p.bytes);
    }
    b.offset = at;
    placed.push(b);
    total = Math.max(total, at + b.bytes);
  }
  return total;
}
