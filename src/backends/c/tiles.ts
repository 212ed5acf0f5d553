// C for tiled segments (--ram-budget): the patch copy helpers and, per tile, the copies and kernel calls in order.
import type { Loc } from '../../codegen/plan.js';
import type { Band } from '../../codegen/tile-plan.js';
import type { TiledSegment } from '../../codegen/tile-search.js';
import type { Graph } from '../../ir/graph.js';
import { ctype, safeComment } from './cfmt.js';
import type { Kernel } from './kernel.js';
import type { Tiling } from '../../codegen/tile-search.js';
import type { CTiling } from './emit.js';
import { DTYPE_BYTES, formatType } from '../../ir/tensor.js';

/**
 * Byte copies between whole tensors and patches (any dtype), per plane: `top`/`bot` bytes of zero patch rows,
 * then `rows` rows of `left` zero bytes, `mid` copied bytes and `right` zero bytes; `plane` and `row` are the
 * whole tensor's plane and row bytes, `skip` the first copied byte's offset in it. Running pointers only (no
 * multiplies): the emitter folds every product into these constants.
 */
const HELPERS = `static void sac_patch_in(const uint8_t *x, uint8_t *o, int planes, int plane, int skip, int row, int top, int rows, int left, int mid, int right, int bot) {
  int i, j;
  x += skip;
  while (planes--) {
    const uint8_t *r = x;
    for (i = 0; i < top; i++) o[i] = 0;
    o += top;
    for (j = 0; j < rows; j++) {
      for (i = 0; i < left; i++) o[i] = 0;
      o += left;
      for (i = 0; i < mid; i++) o[i] = r[i];
      o += mid;
      for (i = 0; i < right; i++) o[i] = 0;
      o += right;
      r += row;
      SAC_OPAQUE(o);
      SAC_OPAQUE(r);
    }
    for (i = 0; i < bot; i++) o[i] = 0;
    o += bot;
    x += plane;
    SAC_OPAQUE(o);
    SAC_OPAQUE(x);
  }
}
@@
static void sac_patch_zero(uint8_t *o, int planes, int top, int rows, int left, int mid, int right, int bot) {
  int i, j;
  while (planes--) {
    for (i = 0; i < top; i++) o[i] = 0;
    o += top;
    for (j = 0; j < rows; j++) {
      for (i = 0; i < left; i++) o[i] = 0;
      o += left + mid;
      for (i = 0; i < right; i++) o[i] = 0;
      o += right;
      SAC_OPAQUE(o);
    }
    for (i = 0; i < bot; i++) o[i] = 0;
    o += bot;
    SAC_OPAQUE(o);
  }
}
@@
static void sac_patch_out(const uint8_t *b, uint8_t *y, int planes, int plane, int skip, int row, int rows, int n) {
  int i, j;
  y += skip;
  while (planes--) {
    uint8_t *r = y;
    for (j = 0; j < rows; j++) {
      for (i = 0; i < n; i++) r[i] = b[i];
      b += n;
      r += row;
      SAC_OPAQUE(b);
      SAC_OPAQUE(r);
    }
    y += plane;
    SAC_OPAQUE(y);
  }
}`.split('\n@@\n');

/** The patch helpers the calls use, in a fixed order (an unused static function would trip -Wunused-function). */
export function bandHelpers(calls: readonly string[]): string {
  const used = HELPERS.filter((h) => calls.some((c) => c.includes(`${/static void (\w+)/.exec(h)![1]}(`)));
  return ['// Patches (--ram-budget): copy a window of each plane into a patch, zero a patch outside the tensor, store a patch.', ...used].join('\n\n');
}

/** Zero runs before, inside and after the tensor along one axis of a patch starting at `lo` (in elements). */
function split(lo: number, n: number, size: number): [number, number, number] {
  const before = Math.min(n, Math.max(0, -lo));
  const inside = Math.max(0, Math.min(lo + n, size) - Math.max(lo, 0));
  return [before, inside, n - before - inside];
}

/** The copy/zero constants of patch `b` in tile k, in bytes: [skip, top, rows, left, mid, right, bot]. */
function runs(b: Band, k: number, eb: number): { skip: number; args: number[]; edge: boolean } {
  const [top, rows, bot] = split(b.lo[k]!, b.rows, b.height);
  const [left, mid, right] = split(b.left[k]!, b.cols, b.width);
  const rb = b.cols * eb;
  const skip = (Math.max(0, b.lo[k]!) * b.width + Math.max(0, b.left[k]!)) * eb;
  return { skip, args: [top * rb, rows, left * eb, mid * eb, right * eb, bot * rb], edge: top + bot + left + right > 0 };
}

export interface SegmentEmit {
  /** The patch kernels of the program, in order (null for none), their function names and table declarations. */
  kernels: (Kernel | null)[];
  fns: string[];
  decls: string[][];
}

/** The C functions of a segment's tile program: one per node, shared by every tile. */
export function segmentLayers(s: TiledSegment, b: SegmentEmit): string[] {
  const tg = s.geo.graph;
  const bt = (id: number) => ctype(tg.values[id]!.type.dtype, `value '${tg.values[id]!.name}'`);
  const types = (ids: readonly number[]) => ids.map((i) => (i >= 0 ? formatType(tg.values[i]!.type) : '-')).join(', ');
  return s.geo.program.flatMap((p, k) => {
    const kernel = b.kernels[k]!;
    const params = kernel.data.map((d) => `const ${bt(p.node.inputs[d]!)} *x${d}`);
    params.push(`${bt(p.node.outputs[0]!)} *y`);
    if (kernel.scratch) params.push(`${kernel.scratch.type} *s`);
    const title = `// layer ${p.source ?? `${s.geo.seg.last} window`}: node '${safeComment(p.node.name)}' (${p.node.op.kind}) on patches ${types(p.node.inputs)} -> ${types(p.node.outputs)}`;
    return [title, ...b.decls[k]!, `static void ${b.fns[k]}(${params.join(', ')}) {`, ...kernel.body.map((l) => `  ${l}`), '}', ''];
  });
}

/** The --ram-budget plan as the emit result states it (no tiling: nothing tiled, the arena fits). */
export function tilingSummary(g: Graph, budget: number, t: Tiling | null, arena: number): Omit<CTiling, 'unpacked'> {
  if (!t) return { budget, untiledArenaBytes: arena, extraWork: 0, segments: [] };
  return {
    budget,
    untiledArenaBytes: t.untiledArenaBytes,
    extraWork: t.extraWork,
    segments: t.segments.map((s) => ({
      nodes: g.nodes.slice(s.geo.seg.first, s.geo.seg.last + 1).map((n) => n.name),
      sink: g.values[s.geo.seg.sink]!.name,
      tiles: s.geo.starts.length,
      patch: [s.geo.seg.T, s.geo.seg.Tw] as [number, number],
      size: g.values[s.geo.seg.sink]!.type.shape.slice(2) as [number, number],
      arenaBytes: s.arena.bytes,
      extraWork: s.geo.work.tiled / s.geo.work.untiled - 1,
    })),
  };
}

/**
 * The statements of one segment in NAME_run_arena: per tile, the external bands copied in, each program node
 * called on its bands (rows outside the tensor then zeroed: they stand for the conv's zero padding), and the
 * sink band stored into the whole sink tensor. `base` is the tile arena's offset in the arena.
 */
export function segmentCalls(g: Graph, s: TiledSegment, e: SegmentEmit, base: number, whole: (id: number) => string, ctypeOf: (id: number) => string): string[] {
  const tg = s.geo.graph;
  const at = (id: number) => `(uint8_t *)(void *)(arena + ${base + s.arena.at.get(id)!})`;
  const typed = (id: number) => `(${ctypeOf(id)} *)(void *)(arena + ${base + s.arena.at.get(id)!})`;
  const eb = (id: number) => DTYPE_BYTES[tg.values[id]!.type.dtype];
  const planes = (id: number) => tg.values[id]!.type.shape[1]!;
  const out: string[] = [];
  const seg = s.geo.seg;
  const sink = s.geo.bandOf.get(seg.sink)!;
  const [H, W] = g.values[seg.sink]!.type.shape.slice(2) as [number, number];
  out.push(`  // nodes ${seg.first}-${seg.last} in ${s.geo.starts.length} patches of ${seg.T}x${seg.Tw} of '${safeComment(g.values[seg.sink]!.name)}' (tile arena at ${base}, ${s.arena.bytes} bytes)`);
  s.geo.starts.forEach(([a, c], k) => {
    out.push(`  // tile ${k}: rows ${a}-${a + seg.T - 1}, columns ${c}-${c + seg.Tw - 1}`);
    for (const b of s.geo.inputs) {
      const id = s.geo.bandOf.get(b.value)!;
      const r = runs(b, k, eb(id));
      out.push(`  sac_patch_in((const uint8_t *)(const void *)${whole(b.value)}, ${at(id)}, ${planes(id)}, ${b.height * b.width * eb(id)}, ${r.skip}, ${b.width * eb(id)}, ${r.args.join(', ')});`);
    }
    s.geo.program.forEach((p, i) => {
      const kernel = e.kernels[i];
      if (!kernel) return;
      const args = kernel.data.map((d) => typed(p.node.inputs[d]!));
      const y = p.node.outputs[0]!;
      args.push(typed(y));
      if (kernel.scratch) args.push(`(${kernel.scratch.type} *)(void *)(arena + ${base + s.arena.scratch[i]!})`);
      out.push(`  ${e.fns[i]}(${args.join(', ')});`);
      // A Slice copies a patch already zeroed outside the tensor; a node's own output is zeroed there now.
      const r = runs(s.geo.bands.get(y)!, k, eb(y));
      if (p.source !== null && r.edge) out.push(`  sac_patch_zero(${at(y)}, ${planes(y)}, ${r.args.join(', ')});`);
    });
    const rb = seg.Tw * eb(sink);
    out.push(`  sac_patch_out(${at(sink)}, (uint8_t *)(void *)${whole(seg.sink)}, ${planes(sink)}, ${H * W * eb(sink)}, ${(a * W + c) * eb(sink)}, ${W * eb(sink)}, ${seg.T}, ${rb});`);
  });
  return out;
}

/** Pointer text of a whole tensor for the band copies (input, output or arena buffer). */
export function wholePtr(l: Loc, bufferOffset: (buf: number) => number): string {
  switch (l.kind) {
    case 'in': return l.off ? `(in + ${l.off})` : 'in';
    case 'out': return l.off ? `(out + ${l.off})` : 'out';
    case 'buf': return `(arena + ${bufferOffset(l.buf)})`;
    case 'const': return `C${l.id}`;
  }
}
