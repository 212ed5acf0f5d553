// Energy accounting (target-neutral): per layer op and memory counts of the shift-add network vs FP32 and INT8 MAC.
import { opDef, type Graph, type Node } from '../ir/graph.js';
import { numel } from '../ir/tensor.js';
import { pricing, UNIT_ENERGY } from './energy-units.js';

/** What one version of a layer does per inference. Memory: bits read and written (weights once, activations once per use). */
export interface OpCounts {
  mults: number; adds: number; shifts: number; comparisons: number; lutReads: number; readBits: number; writeBits: number;
  /** Adder layers only (absent elsewhere): subtractions x - w and absolute values |x - w|, each priced as an add. */
  subs?: number; abs?: number;
}
export type Format = 'fp32' | 'int8' | 'shiftadd';
export const FORMATS: readonly Format[] = ['fp32', 'int8', 'shiftadd'];

export interface PricedCounts { counts: OpCounts; compute: number; memory: number; total: number }
export interface LayerEnergy { name: string; op: string; macs: number; fp32: PricedCounts; int8: PricedCounts; shiftadd: PricedCounts }
export interface EnergyTotals { compute: number; memory: number; total: number; wideCompute: number }
export interface EnergyReport {
  model: string;
  /** `lowered`: counted on the shift-add graph; `estimate`: from a float graph's MACs at `terms` terms per weight. */
  basis: 'lowered' | 'estimate';
  layers: LayerEnergy[];
  total: Record<Format, number>;
  totals: Record<Format, EnergyTotals>;
  /** Shift-add energy below FP32 / INT8 MAC, in percent, on the total and on compute alone. */
  savings: { vsFp32: number; vsInt8: number; computeVsFp32: number; computeVsInt8: number };
  units: typeof UNIT_ENERGY;
}

const zero = (): OpCounts => ({ mults: 0, adds: 0, shifts: 0, comparisons: 0, lutReads: 0, readBits: 0, writeBits: 0 });
const BITS: Record<Format, number> = { fp32: 32, int8: 8, shiftadd: 8 };
/** A shift-add term code as the hardware images store it: sign, B-bit shift and a zero code, B + 2 bits. */
export const codeBits = (B: number): number => B + 2;

function price(c: OpCounts, f: Format, wide = false): PricedCounts {
  const p = pricing(f, wide);
  const compute = c.mults * p.mult + (c.adds + (c.subs ?? 0) + (c.abs ?? 0)) * p.add + c.shifts * p.shift + c.comparisons * p.compare;
  const memory = ((c.readBits + c.writeBits + c.lutReads * BITS[f]) / 64) * UNIT_ENERGY.sram64.pJ;
  return { counts: c, compute, memory, total: compute + memory };
}

/** Counts of one lowered node in the three versions; `macs` is the dense multiply-accumulate count of the layer. */
function lowered(g: Graph, n: Node): { macs: number; c: Record<Format, OpCounts> } {
  const c: Record<Format, OpCounts> = { fp32: zero(), int8: zero(), shiftadd: zero() };
  const out = g.values[n.outputs[0]!]!;
  const outs = numel(out.type.shape);
  const ins = n.inputs.filter((i) => i >= 0 && !g.values[i]!.data).reduce((s, i) => s + numel(g.values[i]!.type.shape), 0);
  const actBits = (id: number) => (g.values[id]!.type.dtype === 'int16' ? 16 : 8);
  const inBits = n.inputs[0] !== undefined && n.inputs[0] >= 0 ? actBits(n.inputs[0]) : 8;
  const each = (fn: (x: OpCounts, f: Format) => void) => { for (const f of FORMATS) fn(c[f], f); };
  const k = n.op.kind;
  if (k === 'Reshape' || k === 'Identity') return { macs: 0, c };
  each((x, f) => { x.readBits = ins * (f === 'shiftadd' ? inBits : BITS[f]); x.writeBits = outs * (f === 'shiftadd' ? actBits(out.id) : BITS[f]); });
  const a = n.op.attrs as Record<string, unknown>;
  if (k === 'ShiftConv' || k === 'ShiftGemm') {
    const codes = g.values[n.inputs[1]!]!.data!;
    const [M] = codes.shape as [number];
    const K = a.terms as number;
    const per = outs / M;
    const macs = (numel(codes.shape) / K) * per;
    const gain = n.inputs[4] !== undefined && n.inputs[4] >= 0 ? g.values[n.inputs[4]]!.data! : undefined;
    let nz = 0;
    for (const v of codes.data) if (v !== 0) nz++;
    let gd = 0;
    if (gain) for (const v of gain.data) if (v !== 0) gd++;
    const G = gain ? gain.shape[1]! : 0;
    c.fp32 = { ...c.fp32, mults: macs, adds: macs + outs, comparisons: 2 * outs, readBits: c.fp32.readBits + (macs / per) * 32 + M * 32 };
    c.int8 = { ...c.int8, mults: macs + outs, adds: macs + 2 * outs, shifts: outs, comparisons: 2 * outs, readBits: c.int8.readBits + (macs / per) * 8 + M * 64 };
    const sa = c.shiftadd;
    sa.shifts = nz * per + gd * per + outs;
    sa.adds = nz * per + outs + gd * per + outs;
    sa.comparisons = 2 * outs;
    sa.readBits += numel(codes.shape) * codeBits(a.shiftBits as number) + M * (32 + 8 + 8 * G);
    return { macs, c };
  }
  if (k === 'AdderConv') {
    const w = g.values[n.inputs[1]!]!.data!;
    const M = w.shape[0]!;
    const per = outs / M;
    const macs = (numel(w.shape) / M) * outs;
    const gain = n.inputs[4] !== undefined && n.inputs[4] >= 0 ? g.values[n.inputs[4]]!.data! : undefined;
    let gd = 0;
    if (gain) for (const v of gain.data) if (v !== 0) gd++;
    // The peers are the same window as a convolution (one multiply-accumulate per tap), like a ShiftConv's.
    c.fp32 = { ...c.fp32, mults: macs, adds: macs + outs, comparisons: 2 * outs, readBits: c.fp32.readBits + numel(w.shape) * 32 + M * 32 };
    c.int8 = { ...c.int8, mults: macs + outs, adds: macs + 2 * outs, shifts: outs, comparisons: 2 * outs, readBits: c.int8.readBits + numel(w.shape) * 8 + M * 64 };
    // Per tap: x - w, |.|, accumulate; per output: the bias, the gain's digits (a shift and an add each), the requantising shift.
    const sa = c.shiftadd;
    sa.subs = macs;
    sa.abs = macs;
    sa.adds = macs + outs + gd * per + outs;
    sa.shifts = gd * per + outs;
    sa.comparisons = 2 * outs;
    sa.readBits += numel(w.shape) * inBits + M * (32 + 8 + 8 * (gain ? gain.shape[1]! : 0));
    return { macs, c };
  }
  const window = (): number => (a.global || k === 'GlobalMaxPool' ? numel(g.values[n.inputs[0]!]!.type.shape.slice(2)) : numel(a.kernel as number[]));
  if (k === 'MaxPool' || k === 'GlobalMaxPool') each((x) => { x.comparisons = outs * (window() - 1); });
  else if (k === 'QAveragePool') {
    const digits = (a.digits as number[]).filter((d) => d !== 0).length;
    each((x) => { x.adds = outs * (window() - 1); });
    c.fp32.mults = outs;
    c.int8 = { ...c.int8, mults: outs, adds: c.int8.adds + outs, shifts: outs, comparisons: 2 * outs };
    c.shiftadd = { ...c.shiftadd, shifts: outs * (digits + 1), adds: c.shiftadd.adds + outs * (digits + 1), comparisons: 2 * outs };
  } else if (k === 'QAdd') {
    c.fp32 = { ...c.fp32, adds: outs, comparisons: 2 * outs };
    c.int8 = { ...c.int8, mults: 2 * outs, adds: 2 * outs, shifts: outs, comparisons: 2 * outs };
    c.shiftadd = { ...c.shiftadd, shifts: 3 * outs, adds: 2 * outs, comparisons: 2 * outs };
  } else if (k === 'Requantize') {
    c.fp32 = zero();
    c.int8 = { ...c.int8, mults: outs, adds: outs, shifts: outs, comparisons: 2 * outs };
    c.shiftadd = { ...c.shiftadd, shifts: outs, adds: outs, comparisons: 2 * outs };
  } else if (k === 'Relu') each((x) => { x.comparisons = outs; });
  else if (k === 'Lut') each((x) => { x.lutReads = outs; });
  return { macs: 0, c };
}

function report(model: string, basis: EnergyReport['basis'], rows: { name: string; op: string; macs: number; c: Record<Format, OpCounts> }[]): EnergyReport {
  const layers = rows.map((r) => ({ name: r.name, op: r.op, macs: r.macs, fp32: price(r.c.fp32, 'fp32'), int8: price(r.c.int8, 'int8'), shiftadd: price(r.c.shiftadd, 'shiftadd') }));
  const totals = {} as Record<Format, EnergyTotals>;
  for (const f of FORMATS) {
    const sum = (k: 'compute' | 'memory' | 'total') => layers.reduce((s, l) => s + l[f][k], 0);
    totals[f] = { compute: sum('compute'), memory: sum('memory'), total: sum('total'), wideCompute: rows.reduce((s, r) => s + price(r.c[f], f, true).compute, 0) };
  }
  const below = (x: number, ref: number) => (ref > 0 ? 100 * (1 - x / ref) : 0);
  const t = totals;
  return {
    model, basis, layers,
    total: { fp32: t.fp32.total, int8: t.int8.total, shiftadd: t.shiftadd.total },
    totals,
    savings: {
      vsFp32: below(t.shiftadd.total, t.fp32.total), vsInt8: below(t.shiftadd.total, t.int8.total),
      computeVsFp32: below(t.shiftadd.compute, t.fp32.compute), computeVsInt8: below(t.shiftadd.compute, t.int8.compute),
    },
    units: UNIT_ENERGY,
  };
}

/** Energy of a lowered (shift-add) graph per inference, with its FP32 and INT8 MAC peers counted from the same layers. */
export function loweredEnergy(g: Graph, name = g.name): EnergyReport {
  return report(name, 'lowered', g.nodes.map((n) => ({ name: n.name, op: n.op.kind, ...lowered(g, n) })));
}

/**
 * An estimate for a float graph, without compiling: each MAC becomes `terms` shifts and adds (every term slot
 * used: an upper bound, pruning and zero terms lower it), weights stored at `terms` codes of B + 2 bits.
 */
export function floatEnergy(g: Graph, terms = 2, shiftBits = 4): EnergyReport {
  return report(g.name, 'estimate', g.nodes.map((n) => {
    const ins = n.inputs.map((i) => (i < 0 ? undefined : g.values[i]!.type));
    const outT = n.outputs.map((o) => g.values[o]!.type);
    const macs = opDef(n.op.kind).cost?.(n.op.attrs, ins, outT)?.macs ?? 0;
    const acts = n.inputs.filter((i) => i >= 0 && !g.values[i]!.data).reduce((s, i) => s + numel(g.values[i]!.type.shape), 0);
    const weights = n.inputs.filter((i) => i >= 0 && g.values[i]!.data).reduce((s, i) => s + numel(g.values[i]!.type.shape), 0);
    const outs = outT.reduce((s, t) => s + numel(t.shape), 0);
    const c = {} as Record<Format, OpCounts>;
    for (const f of FORMATS) {
      const wBits = f === 'shiftadd' ? (macs > 0 ? terms * codeBits(shiftBits) : 8) : BITS[f];
      const mac = f === 'shiftadd' ? { shifts: terms * macs, adds: terms * macs } : { mults: macs, adds: macs };
      c[f] = { ...zero(), ...mac, readBits: acts * BITS[f] + weights * wBits, writeBits: outs * BITS[f] };
    }
    return { name: n.name, op: n.op.kind, macs, c };
  }));
}
