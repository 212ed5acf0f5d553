// emitC: prints a lowered integer graph as C99 (NAME.h, multiply-free NAME.c, float helpers NAME_io.c).
import { planArena, type Loc, type NodePlanInfo } from '../../codegen/plan.js';
import { weightTotals } from '../../codegen/weights.js';
import { atNode, fail, ShiftaddcError } from '../../diagnostics.js';
import type { Graph, Node } from '../../ir/graph.js';
import { assertLowered } from '../../ir/interp-int.js';
import { formatType, numel } from '../../ir/tensor.js';
import { constArray, ctype, safeComment } from './cfmt.js';
import { headerText, ioText, type IoSpec } from './header.js';
import type { Kernel, LayerFlash, WeightForm } from './kernel.js';
import { kernelFor } from './kernels.js';

import { Runtime } from './runtime.js';
import type { EmitProgress } from '../contract.js';
import { blobAsm, WeightBlob } from './blob.js';
import { AUTO_CODE_BYTES, codeLayers } from './unroll.js';
import { planTiling, type Tiling } from '../../codegen/tile-search.js';
import { bandHelpers, segmentCalls, segmentLayers, tilingSummary, wholePtr } from './tiles.js';

export interface EmitCOptions {
  /** C identifier prefixing every exported symbol and macro (NAME_run, NAME_ARENA_SIZE, ...). */
  name: string;
  /**
   * Shift-add weights as data streams (`data`: dense/sparse), Huffman-coded streams decoded per channel
   * (`packed`: smallest flash), as code (fastest), or `auto` (default): code for the convolutions that reuse
   * their terms most, within `codeBytes`, packed streams for the other convolutions, data streams for Gemm.
   */
  weights?: WeightForm;
  /**
   * Constant elements the source may print (default MAX_C_CONST_ELEMENTS); past it, tables of BLOB_MIN_ELEMENTS
   * or more go into NAME_weights.bin (included by NAME_weights.S) instead.
   */
  maxConstElements?: number;
  /** Estimated flash for weights-as-code under `auto` (default AUTO_CODE_BYTES). */
  codeBytes?: number;
  /** Called before each node's kernel is built (stage `emit c`), so an out-of-memory report can name the layer. */
  onProgress?: EmitProgress;
  /**
   * Arena bytes to fit (default: none). Over it, early layers run in row bands (docs/c-tiling.md); a budget
   * no tiling meets fails SAC066 naming the layer and the smallest budget that works.
   */
  ramBudget?: number;
}

/** What --ram-budget did: the segments run in row bands and the halo rows computed again. */
export interface CTiling {
  budget: number;
  /** `auto` used data streams where it would pack a convolution (no tiling met the budget with packed streams). */
  unpacked: boolean;
  /** The arena without tiling, and the work of the tiled model over the untiled one minus 1 (a fraction). */
  untiledArenaBytes: number;
  extraWork: number;
    /** Per segment: its nodes, the sink tensor, tiles, patch [rows, cols] of the sink's [H, W], tile arena, recompute. */
  segments: { nodes: string[]; sink: string; tiles: number; patch: [number, number]; size: [number, number]; arenaBytes: number; extraWork: number }[];
}

export interface CFlash {
  layers: LayerFlash[];
  /** Non-zero terms of all layers; `codeTerms` of them are unrolled into code (not in weightBytes/idealBytes). */
  terms: number;
  codeTerms: number;
  /** Packed streams of the data-form layers vs (1 + B) bits per term of those layers. */
  weightBytes: number;
  idealBytes: number;
  paramBytes: number;
}

export interface CEmitResult {
  header: string;
  source: string;
  io: string;
  /** Arena bytes, the liveness lower bound, and the no-reuse total (one buffer per tensor and scratch). */
  memory: { arenaBytes: number; lowerBound: number; naiveBytes: number };
  flash: CFlash;
  /** Nodes that became a C function (aliasing Reshape/Identity nodes need none). */
  ops: number;
  /** A model too large for C text: NAME_weights.bin (its large tables) and NAME_weights.S (which includes it). */
  weights?: { bin: Uint8Array; asm: string };
  /** Present when --ram-budget was given (with no segments when the untiled arena already fits). */
  tiling?: CTiling;
}

/**
 * Which stream layers are Huffman-coded: all under `packed`; under `auto` the convolutions left out of code
 * (decoded once per channel, packed measured both smaller and faster than dense streams: resnet K=2 150M vs 248M
 * host instructions), while Gemm weights, used once each, keep the dense streams (packed decoding costs them ~2x).
 */
function packedLayer(node: Node, form: WeightForm): boolean {
  return form === 'packed' || (form === 'auto' && node.op.kind === 'ShiftConv');
}

/** ShiftConv layers that take the byte-list form (list-kernel.ts, where it applies) unless they are code: `list`, `auto`. */
function listLayer(node: Node, form: WeightForm): boolean {
  return (form === 'list' || form === 'auto') && node.op.kind === 'ShiftConv';
}

export function emitC(g: Graph, opts: EmitCOptions): CEmitResult {
  const name = opts.name;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) fail('SAC040', `--name '${name}' is not a C identifier`);
  assertLowered(g);
  const newBlob = () => (constElements(g) > (opts.maxConstElements ?? MAX_C_CONST_ELEMENTS) ? new WeightBlob(name) : undefined);
  let blob = newBlob();
  let rt = new Runtime();
  const isOut = new Set(g.outputs);
  const asCode = codeLayers(g, opts.weights ?? 'auto', opts.codeBytes ?? AUTO_CODE_BYTES);
  // Under --ram-budget, `auto` may give up its packed streams (their decoded channel is scratch): see below.
  let unpacked = false;
  const build = (gg: Graph, node: Node, fn: string, source: Node, r: Runtime, b: WeightBlob | undefined) => {
    const decls: string[] = [];
    const where = atNode(source.name, source.op.kind);
    const packed = !unpacked && packedLayer(source, opts.weights ?? 'auto');
    const list = listLayer(source, opts.weights ?? 'auto') && !asCode.has(source.id);
    const kernel: Kernel = kernelFor({ g: gg, node, fn, where, rt: r, decls, asCode: asCode.has(source.id), list, packed, ...(b ? { blob: b } : {}) });
    return { decls, kernel };
  };
  // Kernels first: the planner needs each node's scratch and in-place ability.
  const buildAll = (skip: ReadonlySet<number>) => g.nodes.map((node, t) => {
    opts.onProgress?.('emit c', t, g.nodes.length, node.name);
    const where = atNode(node.name, node.op.kind);
    if (node.outputs.length !== 1) fail('SAC060', `${node.outputs.length} outputs (the C backend supports single-output ops)`, where);
    if (skip.has(t) || ((node.op.kind === 'Reshape' || node.op.kind === 'Identity') && !isOut.has(node.outputs[0]!))) return { decls: [] as string[], kernel: null };
    return build(g, node, `L${t}`, node, rt, blob);
  });
  let built = buildAll(new Set());
  let info: NodePlanInfo[] = built.map(({ kernel }) => planInfo(kernel));
  let plan = planArena(g, info);
  let steps = g.nodes.map((_, t) => [t]);
  let tiling: Tiling | null = null;
  let bands: { kernels: (Kernel | null)[]; fns: string[]; decls: string[][] }[] = [];
  if (opts.ramBudget !== undefined && plan.arenaBytes > opts.ramBudget) {
    // Band kernels are built to size their scratch on a throwaway runtime; the chosen ones are built again below.
    const bandInfo = (tg: Graph, node: Node, source: number | null) => planInfo(build(tg, node, 'L', source === null ? node : g.nodes[source]!, new Runtime(), undefined).kernel);
    try {
      tiling = planTiling(g, opts.ramBudget, info, bandInfo, (opts.weights ?? 'auto') !== 'auto');
    } catch (e) {
      // A packed conv decodes each channel into scratch (a few KB for wide layers): under `auto` the data streams,
      // which need none, are the fallback when no tiling meets the budget with packed streams.
      if (!(e instanceof ShiftaddcError && e.code === 'SAC066' && (opts.weights ?? 'auto') === 'auto')) throw e;
      unpacked = true;
      info = g.nodes.map((node, t) => planInfo(build(g, node, `L${t}`, node, new Runtime(), undefined).kernel));
      info = info.map((x, t) => (built[t]!.kernel === null ? { scratchBytes: 0, inPlace: false, alias: true } : x));
      tiling = planTiling(g, opts.ramBudget, info, bandInfo);
    }
    rt = new Runtime();
    blob = newBlob();
    const inSeg = new Set(tiling.steps.filter((s) => s.length > 1 || tiling!.segments.some((x) => x.geo.seg.first === s[0])).flat());
    built = buildAll(inSeg);
    bands = tiling.segments.map((s) => {
      const fns = s.geo.program.map((p, k) => (p.source !== null ? `L${p.source}` : `L${s.geo.seg.last}_p${k}`));
      const made = s.geo.program.map((p, k) => build(s.geo.graph, p.node, fns[k]!, p.source === null ? p.node : g.nodes[p.source]!, rt, blob));
      return { kernels: made.map((m) => m.kernel), fns, decls: made.map((m) => m.decls) };
    });
    plan = tiling.plan;
    steps = tiling.steps;
  }
  const io = ioSpec(g, name);
  const inT = io.inputs[0]!.ctype;
  const outT = io.outputs[0]!.ctype;
  const where = (id: number) => `value '${g.values[id]!.name}'`;
  for (const s of [...io.inputs, ...io.outputs]) {
    if (s.ctype !== inT && io.inputs.includes(s)) fail('SAC060', 'graph inputs of different dtypes', where(s.id));
    if (s.ctype !== outT && io.outputs.includes(s)) fail('SAC060', 'graph outputs of different dtypes', where(s.id));
  }
  const constDecls: string[] = [];
  const constName = new Map<number, string>();
  const ptr = (id: number, l: Loc): string => {
    const t = ctype(g.values[id]!.type.dtype, where(id));
    switch (l.kind) {
      case 'in': return l.off ? `in + ${l.off}` : 'in';
      case 'out': return l.off ? `out + ${l.off}` : 'out';
      case 'buf': return `(${t} *)(void *)(arena + ${plan.buffers[l.buf]!.offset})`;
      case 'const': {
        let n = constName.get(l.id);
        if (!n) {
          n = `C${l.id}`;
          constName.set(l.id, n);
          const v = g.values[l.id]!;
          const t = ctype(v.type.dtype, where(l.id));
          constDecls.push(`// constant '${safeComment(v.name)}' ${formatType(v.type)}`, blob ? blob.decl(n, t, v.data!.data) : constArray(n, t, v.data!.data));
        }
        return n;
      }
    }
  };
  const layers: string[] = [];
  const calls: string[] = [];
  const types = (ids: readonly number[]) => ids.map((i) => (i >= 0 ? formatType(g.values[i]!.type) : '-')).join(', ');
  steps.forEach((nodes, step) => {
    const seg = tiling?.segments.findIndex((x) => x.geo.seg.first === nodes[0]) ?? -1;
    if (seg < 0) emitNode(nodes[0]!, step);
    else emitSegment(seg, step);
  });
  function emitSegment(i: number, step: number): void {
    const s = tiling!.segments[i]!;
    const b = bands[i]!;
    layers.push(...segmentLayers(s, b));
    const bt = (id: number) => ctype(s.geo.graph.values[id]!.type.dtype, `value '${s.geo.graph.values[id]!.name}'`);
    const base = plan.buffers[plan.scratch[step]!]!.offset;
    calls.push(...segmentCalls(g, s, b, base, (id) => wholePtr(plan.loc[id]!, (buf) => plan.buffers[buf]!.offset), bt));
  }
  function emitNode(t: number, step: number): void {
    const node = g.nodes[t]!;
    const { decls, kernel } = built[t]!;
    const title = `// layer ${t}: node '${safeComment(node.name)}' (${node.op.kind}) ${types(node.inputs)} -> ${types(node.outputs)}`;
    if (!kernel) { calls.push(`  ${title.trim()}: aliases its input, no code`); return; }
    const yid = node.outputs[0]!;
    const params: string[] = [];
    const args: string[] = [];
    for (const k of kernel.data) {
      const id = node.inputs[k]!;
      params.push(`const ${ctype(g.values[id]!.type.dtype, where(id))} *x${k}`);
      args.push(ptr(id, plan.loc[id]!));
    }
    params.push(`${ctype(g.values[yid]!.type.dtype, where(yid))} *y`);
    args.push(ptr(yid, plan.loc[yid]!));
    if (kernel.scratch) {
      params.push(`${kernel.scratch.type} *s`);
      args.push(`(${kernel.scratch.type} *)(void *)(arena + ${plan.buffers[plan.scratch[step]!]!.offset})`);
    }
    // Every layer out of line: inlined into NAME_run_arena, gcc -O2 spilled more in the layer loops (Cortex-M0,
    // QEMU: resnet -3%, lenet -7% instructions out of line).
    layers.push(title, ...decls, `SAC_NOINLINE static void L${t}(${params.join(', ')}) {`, ...kernel.body.map((l) => `  ${l}`), '}', '');
    calls.push(`  L${t}(${args.join(', ')}); // ${safeComment(node.name)}`);
  }
  const arenaWords = Math.max(1, (plan.arenaBytes + 3) >> 2);
  // Only tables of BLOB_MIN_ELEMENTS or more went into the blob: a model of many small tables needs none.
  const bin = blob && blob.bytes > 0 ? blob : undefined;
  const source = [
    `// ${name}.c: generated by shiftaddc from graph '${safeComment(g.name)}'. Multiplication-free: no multiply, divide or modulo operators,`,
    '// no floating point, no malloc, no recursion. Weight stream layout: see the comment in the header.',
    '// Assumes two\'s-complement int32 with arithmetic >> of negative values and modulo uint32 -> int32',
    '// conversion, which gcc and clang (and every mainstream embedded compiler) implement.',
    `#include "${name}.h"`,
    '',
    ...(bin ? [
      `// The large weight tables are in ${name}_weights.bin (${bin.bytes} bytes, little-endian), linked in by assembling`,
      `// ${name}_weights.S with the .bin in the assembler's folder or -Wa,-I path: too many constants for C text.`,
      `extern const uint8_t ${name}_weights[];`,
      '',
    ] : []),
    rt.text(),
    '',
    ...(tiling?.segments.length ? [bandHelpers(calls), ''] : []),
    ...constDecls,
    ...layers,
    `int ${name}_run_arena(const ${inT} *in, ${outT} *out, uint8_t *arena) {`,
    '  if (!in || !out || !arena) return -1;',
    ...calls,
    '  return 0;',
    '}',
    '',
    '// Static arena: uint32_t elements keep every tensor offset (multiples of 4) aligned.',
    `static uint32_t ${name}_arena[${arenaWords}];`,
    '',
    `int ${name}_run(const ${inT} *in, ${outT} *out) {`,
    `  return ${name}_run_arena(in, out, (uint8_t *)(void *)${name}_arena);`,
    '}',
    '',
  ].join('\n');
  // Accounting from the data: the plan's sizes and each layer's packed stream, in node order.
  const flash: LayerFlash[] = [];
  built.forEach(({ kernel }, t) => {
    if (kernel?.weights) flash.push({ fn: `L${t}`, node: g.nodes[t]!.name, op: g.nodes[t]!.op.kind, ...kernel.weights });
    const s = tiling?.segments.findIndex((x) => x.geo.seg.first <= t && t <= x.geo.seg.last) ?? -1;
    const k = s < 0 ? -1 : tiling!.segments[s]!.geo.program.findIndex((p) => p.source === t);
    const w = k < 0 ? undefined : bands[s]!.kernels[k]?.weights;
    if (w) flash.push({ fn: `L${t}`, node: g.nodes[t]!.name, op: g.nodes[t]!.op.kind, ...w });
  });
  const memory = { arenaBytes: plan.arenaBytes, lowerBound: plan.lowerBound, naiveBytes: plan.naiveBytes };
  return {
    header: headerText(io, memory, flash.map((l) => `${l.fn} ${l.form}`), `--target c --name ${opts.name} --weights ${opts.weights ?? 'auto'}${opts.codeBytes !== undefined ? ` code bytes ${opts.codeBytes}` : ''}${opts.ramBudget !== undefined ? ` --ram-budget ${opts.ramBudget}` : ''}`),
    source,
    io: ioText(io),
    memory,
    flash: { layers: flash, ...weightTotals(flash) },
    ops: built.filter((b) => b.kernel !== null).length + bands.reduce((a, b) => a + b.kernels.length, 0),
    ...(opts.ramBudget !== undefined ? { tiling: { ...tilingSummary(g, opts.ramBudget, tiling, plan.arenaBytes), unpacked } } : {}),
    ...(bin ? { weights: { bin: bin.take(), asm: blobAsm(name, bin.bytes) } } : {}),
  };
}

/**
 * Constant elements one C source may print: about 5 characters each, 2^26 of them stay well inside a JavaScript
 * string (V8's limit is 2^29 characters) and a C compiler's memory (gcc -O2 took 43 s and 2.6 GB for a 20M-element
 * table). VGG-19's fc6 alone holds 102.8M weights: models past this get NAME_weights.bin.
 */
export const MAX_C_CONST_ELEMENTS = 2 ** 26;

/** Elements of every constant operand of the graph's nodes (what the C source would print). */
function constElements(g: Graph): number {
  let total = 0;
  for (const node of g.nodes) total += node.inputs.reduce((a, id) => a + (id >= 0 && g.values[id]!.data ? g.values[id]!.data!.data.length : 0), 0);
  return total;
}

function planInfo(kernel: Kernel | null): NodePlanInfo {
  return { scratchBytes: kernel?.scratch ? kernel.scratch.elems * elemBytes(kernel.scratch.type) : 0, inPlace: Boolean(kernel?.inPlace), alias: kernel === null };
}

function elemBytes(t: string): number {
  return t.includes('8') ? 1 : t.includes('16') ? 2 : 4;
}

function ioSpec(g: Graph, name: string): IoSpec {
  const side = (ids: readonly number[]) => {
    let off = 0;
    return ids.map((id) => {
      const v = g.values[id]!;
      const s = { id, name: v.name, ctype: ctype(v.type.dtype, `value '${v.name}'`), shape: [...v.type.shape], frac: v.quant?.frac ?? 0, offset: off, size: numel(v.type.shape) };
      off += s.size;
      return s;
    });
  };
  if (!g.inputs.length || !g.outputs.length) fail('SAC060', 'the graph needs at least one input and one output');
  return { name, inputs: side(g.inputs), outputs: side(g.outputs) };
}
