// descriptor.json: layers, memories with their regions, activation buffer plan, schedule and cycle estimates at P lanes.
import { planArena, type NodePlanInfo } from '../../codegen/plan.js';
import { atNode, fail } from '../../diagnostics.js';
import type { Graph } from '../../ir/graph.js';
import { assertLowered } from '../../ir/interp-int.js';
import { DTYPE_BYTES, numel } from '../../ir/tensor.js';
import { layerCycles, PROGRAM_CYCLES } from './cycles.js';
import { adderAmounts, opName, qaddAmounts, shiftAmounts, tensorDesc, type ActLayout, type LayerDesc } from './layers.js';
import { MEMORIES, MemoryBuilder, memoryShape, type Memory, type MemoryName } from './memories.js';

export const DESCRIPTOR_VERSION = 1;

export interface Descriptor {
  version: number; name: string; lanes: number;
  activation: { width: number; depth: number; regions: { name: string; base: number; size: number }[] };
  memories: { name: MemoryName; width: number; depth: number; file: string }[];
  layers: LayerDesc[];
  schedule: { step: number; layer: number; op: string; inputs: number[]; output: number; cycles: number }[];
  bufferPlan: { arenaBytes: number; lowerBound: number; naiveBytes: number; bytesPerWord: number; buffers: { bytes: number; start: number; end: number; offset: number; addr: number }[] };
  cycles: { total: number; lanes: number };
}

const ELEMENTWISE = new Set(['Relu', 'Requantize', 'Lut']);

/** The descriptor and the memories' contents (the images are printed from them). */
export function buildDescriptor(g: Graph, name: string, lanes: number): { descriptor: Descriptor; memories: Record<MemoryName, Memory> } {
  assertLowered(g);
  const isOut = new Set(g.outputs);
  for (const n of g.nodes) if (n.outputs.length !== 1) fail('SAC060', 'the hardware backend supports single-output ops', atNode(n.name, n.op.kind));
  const alias = g.nodes.map((n) => (n.op.kind === 'Reshape' || n.op.kind === 'Identity') && !isOut.has(n.outputs[0]!));
  const info: NodePlanInfo[] = g.nodes.map((n, t) => ({ scratchBytes: 0, inPlace: ELEMENTWISE.has(n.op.kind), alias: alias[t]! }));
  const plan = planArena(g, info);
  // Arena words: byte offsets divided by the narrowest arena element, so every tensor keeps at least its element count.
  const arenaTypes = plan.loc.map((l, id) => (l.kind === 'buf' ? DTYPE_BYTES[g.values[id]!.type.dtype] : 8)).filter((b) => b < 8);
  const bytesPerWord = arenaTypes.length ? Math.min(...arenaTypes) : 1;
  const arenaWords = plan.arenaBytes / bytesPerWord;
  const words = (ids: readonly number[]) => ids.reduce((s, id) => s + numel(g.values[id]!.type.shape), 0);
  const inWords = words(g.inputs);
  const outWords = words(g.outputs);
  const lay: ActLayout = { arenaWords, inputBase: arenaWords, outputBase: arenaWords + inWords, bytesPerWord, bufOffset: (b) => plan.buffers[b]!.offset / bytesPerWord };
  const mem = new MemoryBuilder(memoryShape(g, lanes));
  const layers: LayerDesc[] = g.nodes.map((n, t) => {
    const kind = n.op.kind;
    const regions = kind === 'ShiftConv' || kind === 'ShiftGemm' ? mem.shiftLayer(g, n) : kind === 'AdderConv' ? mem.adderLayer(g, n) : kind === 'Lut' ? mem.lut(n) : {};
    const acts = n.inputs.filter((i) => i >= 0 && !g.values[i]!.data);
    return {
      index: t, name: n.name, kind, op: opName(g, n),
      inputs: acts.map((i) => tensorDesc(g, i, plan.loc[i]!, lay)),
      output: tensorDesc(g, n.outputs[0]!, plan.loc[n.outputs[0]!]!, lay),
      attrs: { ...(n.op.attrs as Record<string, unknown>) },
      ...(kind === 'ShiftConv' || kind === 'ShiftGemm' ? { shift: shiftAmounts(g, n) } : {}),
      ...(kind === 'AdderConv' ? { adder: adderAmounts(g, n) } : {}),
      ...(kind === 'QAdd' ? { qadd: qaddAmounts(n) } : {}),
      regions, cycles: layerCycles(g, n, lanes, alias[t]!), alias: alias[t]!,
    };
  });
  const schedule = layers.filter((l) => !l.alias).map((l, step) => ({ step, layer: l.index, op: l.op, inputs: l.inputs.map((x) => x.addr), output: l.output.addr, cycles: l.cycles }));
  const widths = Object.fromEntries(MEMORIES.map((m) => [m, mem.memories[m].width]));
  const descriptor: Descriptor = {
    version: DESCRIPTOR_VERSION, name, lanes,
    activation: {
      width: Math.max(8, ...g.values.filter((v) => !v.data).map((v) => (v.type.dtype === 'int16' ? 16 : 8))),
      depth: arenaWords + inWords + outWords,
      regions: [{ name: 'arena', base: 0, size: arenaWords }, { name: 'input', base: lay.inputBase, size: inWords }, { name: 'output', base: lay.outputBase, size: outWords }],
    },
    memories: MEMORIES.map((m) => ({ name: m, width: widths[m]!, depth: mem.memories[m].words.length, file: `${name}_${m}.hex` })),
    layers,
    schedule,
    bufferPlan: {
      arenaBytes: plan.arenaBytes, lowerBound: plan.lowerBound, naiveBytes: plan.naiveBytes, bytesPerWord,
      buffers: plan.buffers.map((b) => ({ ...b, addr: b.offset / bytesPerWord })),
    },
    cycles: { total: PROGRAM_CYCLES + layers.reduce((s, l) => s + l.cycles, 0), lanes },
  };
  return { descriptor, memories: mem.memories };
}
