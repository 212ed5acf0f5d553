// Per-layer summary of a graph (op, output shape, parameters, MACs) for `shiftaddc inspect`.
import { printable } from './diagnostics.js';
import { floatEnergy } from './codegen/energy.js';
import { energySummary, energyTable, textTable } from './codegen/energy-md.js';
import { formatCount } from './format-count.js';
import { opDef, type Graph } from './ir/graph.js';
import { formatType, numel } from './ir/tensor.js';

export interface LayerSummary {
  name: string;
  op: string;
  output: string;
  params: number;
  macs: number;
}

export interface InspectReport {
  name: string;
  opset: number;
  inputs: string[];
  outputs: string[];
  layers: LayerSummary[];
  totals: { layers: number; params: number; macs: number; weightBytes: number };
}

export function inspect(g: Graph): InspectReport {
  const layers = g.nodes.map((n): LayerSummary => {
    const ins = n.inputs.map((i) => (i < 0 ? undefined : g.values[i]!.type));
    const outs = n.outputs.map((o) => g.values[o]!.type);
    const params = n.inputs.reduce((s, i) => s + (i >= 0 && g.values[i]!.data ? numel(g.values[i]!.type.shape) : 0), 0);
    const cost = opDef(n.op.kind).cost?.(n.op.attrs, ins, outs);
    return { name: n.name, op: n.op.kind, output: outs.map(formatType).join(', '), params, macs: cost?.macs ?? 0 };
  });
  // Weight bytes count each constant once even when several nodes read it.
  const weightBytes = g.values.reduce((s, v) => s + (v.data ? v.data.data.byteLength : 0), 0);
  const describe = (id: number) => `${g.values[id]!.name}: ${formatType(g.values[id]!.type)}`;
  return {
    name: g.name,
    opset: g.opset,
    inputs: g.inputs.map(describe),
    outputs: g.outputs.map(describe),
    layers,
    totals: {
      layers: layers.length,
      params: g.values.reduce((s, v) => s + (v.data ? numel(v.type.shape) : 0), 0),
      macs: layers.reduce((s, l) => s + l.macs, 0),
      weightBytes,
    },
  };
}

/** Fixed-width table for terminals. */
export function formatInspect(r: InspectReport): string {
  // Names and op types come from the model: escaped (no terminal control sequences) and capped.
  const rows = [['#', 'op', 'name', 'output', 'params', 'MACs'], ...r.layers.map((l, i) => [String(i), printable(l.op), printable(l.name), printable(l.output), formatCount(l.params), formatCount(l.macs)])];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  const lines = rows.map((row) => row.map((cell, c) => (c >= 4 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ').trimEnd());
  return [
    `model ${printable(r.name)} (opset ${r.opset})`,
    `inputs:  ${r.inputs.map((d) => printable(d)).join('; ')}`,
    `outputs: ${r.outputs.map((d) => printable(d)).join('; ')}`,
    '',
    ...lines,
    '',
    `total: ${r.totals.layers} layers, ${formatCount(r.totals.params)} parameters (${formatCount(r.totals.weightBytes)} bytes), ${formatCount(r.totals.macs)} MACs`,
  ].join('\n');
}

/** `inspect --energy`: the energy table of a float model (estimated shift-add version, see floatEnergy) as text or JSON. */
export function formatEnergy(g: Graph, json: boolean): string {
  const r = floatEnergy(g);
  return json ? JSON.stringify(r, null, 2) : [`model ${r.model}: energy per inference (45 nm)`, '', textTable(energyTable(r)), '', ...energySummary(r)].join('\n');
}
