// energy.md and the terminal table of an energy report: per layer pJ of the three versions, totals, units and sources.
import { printable } from '../diagnostics.js';
import { FORMATS, type EnergyReport } from './energy.js';

const pj = (v: number) => (v >= 1e6 ? `${(v / 1e6).toFixed(2)} uJ` : v >= 1e3 ? `${(v / 1e3).toFixed(2)} nJ` : `${v.toFixed(1)} pJ`);
const pct = (v: number) => `${v.toFixed(1)}%`;

/** Rows: layer, MACs, then total pJ per version and the shift-add op counts. */
export function energyTable(r: EnergyReport): string[][] {
  // Adder layers' subtractions and absolute values get their own columns, only in reports that have adder layers.
  const adder = r.layers.some((l) => l.shiftadd.counts.subs !== undefined);
  const head = ['layer', 'op', 'MACs', 'FP32', 'INT8', 'shift-add', 'shifts', 'adds', ...(adder ? ['subs', 'abs'] : []), 'cmp', 'LUT', 'mem bits'];
  const rows = r.layers.map((l) => {
    const c = l.shiftadd.counts;
    return [printable(l.name).replace(/[|\\]/g, (ch) => `\\${ch}`), printable(l.op), String(l.macs), pj(l.fp32.total), pj(l.int8.total), pj(l.shiftadd.total), String(c.shifts), String(c.adds),
      ...(adder ? [String(c.subs ?? 0), String(c.abs ?? 0)] : []), String(c.comparisons), String(c.lutReads), String(c.readBits + c.writeBits)];
  });
  const t = r.totals;
  const tot = ['total', '', String(r.layers.reduce((s, l) => s + l.macs, 0)), pj(t.fp32.total), pj(t.int8.total), pj(t.shiftadd.total), '', '', ...(adder ? ['', ''] : []), '', '', ''];
  return [head, ...rows, tot];
}

/** Summary lines: totals with compute and memory apart, the savings against the 80% / 50% targets, the basis. */
export function energySummary(r: EnergyReport): string[] {
  const s = r.savings;
  const ok = (v: number, want: number) => (v >= want ? 'meets' : 'misses');
  const lines = FORMATS.map((f) => `${f}: ${pj(r.totals[f].total)} per inference (compute ${pj(r.totals[f].compute)}, memory ${pj(r.totals[f].memory)}; compute with 32-bit integer adds ${pj(r.totals[f].wideCompute)})`);
  return [
    ...lines,
    `shift-add vs FP32 MAC: ${pct(s.vsFp32)} below in total (${ok(s.vsFp32, 80)} the 80% target), ${pct(s.computeVsFp32)} below in compute`,
    `shift-add vs INT8 MAC: ${pct(s.vsInt8)} below in total (${ok(s.vsInt8, 50)} the 50% target), ${pct(s.computeVsInt8)} below in compute`,
    r.basis === 'estimate'
      ? 'basis: estimate from the float graph (each MAC as 2 shifts + 2 adds, weights as 2 codes of 6 bits); compile for exact counts'
      : 'basis: counted on the lowered shift-add graph (non-zero terms, gain digits, requantisation, clamps)',
  ];
}

/** A fixed-width text table. */
export function textTable(rows: string[][]): string {
  const w = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((x, c) => (c >= 2 ? x.padStart(w[c]!) : x.padEnd(w[c]!))).join('  ').trimEnd()).join('\n');
}

export function energyMarkdown(r: EnergyReport): string {
  const rows = energyTable(r);
  const md = [rows[0]!, rows[0]!.map(() => '---'), ...rows.slice(1)].map((x) => `| ${x.join(' | ')} |`);
  const units = Object.entries(r.units).map(([k, u]) => `- ${k}: ${u.pJ} pJ (${u.source})`);
  return [
    `# Energy per inference: ${r.model}`, '',
    ...energySummary(r).map((l) => `- ${l}`), '',
    ...md, '',
    '## Model', '',
    'Each version runs the same layers. FP32 MAC: a float multiply and add per MAC; INT8 MAC: an 8-bit multiply and add per MAC plus a',
    'multiply-based requantisation per output; shift-add: one shift and one add per non-zero term, gain digits, a rounding shift and',
    'two clamp comparisons per output. Integer ops are priced at the FIX8 figures as in ShiftAddNet (the wide figure prices integer',
    'adds at 32 bits for both integer versions). Memory: every weight read once per inference, every activation read once per',
    'consumer and written once, at 32 bits (FP32), 8 bits (INT8) or the shift-add widths (B + 2 bits per term code, int32 bias, int8',
    'shift and gain digits), priced per 64 bits as one 8 KB SRAM access.', '',
    '## Unit energies (45 nm)', '',
    ...units, '',
  ].join('\n');
}
