// Memory energy of the reference engine's own dataflow (hw/sa_engine.v) and of MAC peers on the same loops.
import type { EnergyReport } from '../../codegen/energy.js';
import { UNIT_ENERGY } from '../../codegen/energy-units.js';
import type { Descriptor } from './descriptor.js';
import type { LayerDesc } from './layers.js';
import { RECORD_WORDS } from './program.js';

/** Bits one engine moves in a layer: activation words read, term (or weight) words read, per-channel words, writes. */
export interface EngineBits { act: number; weights: number; channel: number; write: number; program: number }
export type EngineFormat = 'shiftadd' | 'int8' | 'fp32';
export interface EngineLayerEnergy { name: string; op: string; bits: Record<EngineFormat, EngineBits> }
export interface EngineEnergy {
  dataflow: string; lanes: number; layers: EngineLayerEnergy[];
  total: Record<EngineFormat, { compute: number; memory: number; total: number }>;
  savings: { vsInt8: number; vsFp32: number };
}

/** Word widths of one engine: activation word, weight word per tap (P lanes), per-channel words of an output. */
interface Widths { act: number; tap: number; channel: (l: LayerDesc) => number; lut: number }

const pj = (bits: number) => (bits / 64) * UNIT_ENERGY.sram64.pJ;

/**
 * Per layer, what the engine reads: a windowed layer issues, per conv group, lane group and output position, one
 * activation word and one term word per tap (no reuse between positions or lane groups: every output position
 * re-reads its window, every lane group re-reads the input), then per output channel its bias, shift, gain and clamp
 * words and one write; pools read their window per output; elementwise ops read each operand once; every record
 * loads 40 program words. The MAC peers run the same loops with P weights per word and a bias and multiplier per channel.
 */
function layerBits(d: Descriptor, l: LayerDesc, w: Widths): EngineBits {
  const outs = l.output.words;
  if (l.alias) return { act: 0, weights: 0, channel: 0, write: 0, program: 0 };
  const base = { write: outs * w.act, program: RECORD_WORDS * 32 };
  if (l.kind === 'ShiftConv' || l.kind === 'ShiftGemm' || l.kind === 'AdderConv') {
    const x = l.inputs[0]!.shape;
    const M = l.output.shape[1]!;
    const groups = l.kind === 'ShiftGemm' ? 1 : ((l.attrs as { group?: number }).group ?? 1);
    const D = (x[1]! / groups) * (l.kind === 'ShiftGemm' ? 1 : taps(l));
    const tapsIssued = groups * Math.ceil(M / groups / d.lanes) * (outs / M) * D;
    return { ...base, act: tapsIssued * w.act, weights: tapsIssued * w.tap, channel: outs * w.channel(l) };
  }
  const window = l.kind === 'MaxPool' || l.kind === 'GlobalMaxPool' || l.kind === 'QAveragePool' ? poolWindow(l) : 0;
  const reads = window ? outs * window : l.kind === 'QAdd' ? 2 * outs : outs;
  return { ...base, act: reads * w.act, weights: l.kind === 'Lut' ? outs * w.lut : 0, channel: 0 };
}

/** Kernel taps of a windowed layer (attrs.kernel, or the whole plane of a global pool). */
function taps(l: LayerDesc): number {
  const k = (l.attrs as { kernel?: number[] }).kernel;
  return k ? k.reduce((p, q) => p * q, 1) : 1;
}

function poolWindow(l: LayerDesc): number {
  const at = l.attrs as { global?: boolean; kernel?: number[] };
  return l.kind === 'GlobalMaxPool' || at.global ? l.inputs[0]!.shape.slice(2).reduce((p, q) => p * q, 1) : taps(l);
}

/** The engine's memory traffic priced like energy.json's, with that report's compute for each format. */
export function engineEnergy(d: Descriptor, e: EnergyReport): EngineEnergy {
  const width = (m: string) => d.memories.find((x) => x.name === m)!.width;
  const P = d.lanes;
  const widths: Record<EngineFormat, Widths> = {
    shiftadd: { act: 16, tap: width('terms'), channel: (l) => 32 + 8 + 16 + (l.regions.gain ? width('gain') : 0), lut: 8 },
    int8: { act: 16, tap: P * 8, channel: () => 64, lut: 8 },
    fp32: { act: 32, tap: P * 32, channel: () => 64, lut: 32 },
  };
  const formats: EngineFormat[] = ['shiftadd', 'int8', 'fp32'];
  const layers = d.layers.map((l) => ({ name: l.name, op: l.op, bits: Object.fromEntries(formats.map((f) => [f, layerBits(d, l, widths[f])])) as Record<EngineFormat, EngineBits> }));
  const bitsOf = (b: EngineBits) => b.act + b.weights + b.channel + b.write + b.program;
  const total = Object.fromEntries(formats.map((f) => {
    const memory = pj(layers.reduce((s, l) => s + bitsOf(l.bits[f]), 0));
    return [f, { compute: e.totals[f].compute, memory, total: e.totals[f].compute + memory }];
  })) as EngineEnergy['total'];
  return {
    dataflow: 'the reference engine (hw/sa_engine.v): one activation word and one term word per tap issued, no reuse across output positions or lane groups; the MAC peers run the same loops with P int8 (FP32) weights a word',
    lanes: P, layers, total,
    savings: { vsInt8: 100 * (1 - total.shiftadd.total / total.int8.total), vsFp32: 100 * (1 - total.shiftadd.total / total.fp32.total) },
  };
}

/** energy.md's section on the engine's dataflow. */
export function engineEnergyMarkdown(x: EngineEnergy): string {
  const nj = (v: number) => (v / 1e3).toFixed(1);
  const vs = (pct: number) => (pct >= 0 ? `${pct.toFixed(1)}% below` : `${(-pct).toFixed(1)}% above`);
  const row = (f: EngineFormat, label: string) => `| ${label} | ${nj(x.total[f].compute)} | ${nj(x.total[f].memory)} | ${nj(x.total[f].total)} |`;
  return ['', `## Memory as the reference engine moves it (${x.lanes} lanes)`, '', `Dataflow: ${x.dataflow}. Compute as above; memory at the same 64-bit SRAM price.`, '',
    '| version | compute nJ | memory nJ | total nJ |', '| --- | ---: | ---: | ---: |', row('fp32', 'FP32 MAC engine'), row('int8', 'INT8 MAC engine'), row('shiftadd', 'shift-add engine'), '',
    `Shift-add engine: ${vs(x.savings.vsFp32)} the FP32 MAC engine, ${vs(x.savings.vsInt8)} the INT8 MAC engine.`, ''].join('\n');
}
