// Arena of one tile of a segment: liveness of the band buffers over the tile program, in-place reuse, placement.
import { placeBuffers, type Buffer, type NodePlanInfo } from './plan.js';
import type { TileGeometry } from './tile-plan.js';
import { DTYPE_BYTES, numel } from '../ir/tensor.js';

export interface TileArena {
  bytes: number;
  /** Byte offset of each band value (by band id) inside the tile arena. */
  at: Map<number, number>;
  /** Per program node, the offset of its scratch or -1. */
  scratch: number[];
}

const align = (n: number) => (n + 3) & ~3;

/**
 * Steps: one per external input band (copied in first), one per program node, then the store of the sink band.
 * A node marked in place writes over input 0's band when that band dies there and is the same size.
 */
export function planTileArena(geo: TileGeometry, info: readonly NodePlanInfo[]): TileArena {
  const g = geo.graph;
  const bytes = (id: number) => align(numel(g.values[id]!.type.shape) * DTYPE_BYTES[g.values[id]!.type.dtype]);
  const e = geo.inputs.length;
  const store = e + geo.program.length;
  const last = new Map<number, number>();
  geo.program.forEach((p, i) => { for (const x of p.node.inputs) if (geo.bands.has(x)) last.set(x, e + i); });
  last.set(g.outputs[0]!, store);
  const buffers: Buffer[] = [];
  const bufOf = new Map<number, number>();
  const add = (id: number, t: number) => { bufOf.set(id, buffers.push({ bytes: bytes(id), start: t, end: Math.max(t, last.get(id) ?? t), offset: 0 }) - 1); };
  g.inputs.forEach((id, k) => add(id, k));
  const scratchBuf: number[] = [];
  geo.program.forEach((p, i) => {
    const t = e + i;
    const y = p.node.outputs[0]!;
    const b0 = bufOf.get(p.node.inputs[0]!);
    if (info[i]!.inPlace && b0 !== undefined && buffers[b0]!.end === t && buffers[b0]!.bytes === bytes(y)) {
      bufOf.set(y, b0);
      buffers[b0]!.end = Math.max(t, last.get(y) ?? t);
    } else add(y, t);
    scratchBuf.push(info[i]!.scratchBytes > 0 ? buffers.push({ bytes: align(info[i]!.scratchBytes), start: t, end: t, offset: 0 }) - 1 : -1);
  });
  const total = placeBuffers(buffers);
  const at = new Map<number, number>();
  for (const [id, b] of bufOf) at.set(id, buffers[b]!.offset);
  return { bytes: total, at, scratch: scratchBuf.map((b) => (b < 0 ? -1 : buffers[b]!.offset)) };
}
