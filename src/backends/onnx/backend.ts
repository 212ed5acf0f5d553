// The ONNX export backend: NAME.onnx, the lowered network in standard opset-13 ops (float input, dequantised outputs).
import * as path from 'node:path';
import { fail } from '../../diagnostics.js';
import type { Graph } from '../../ir/graph.js';
import { numel } from '../../ir/tensor.js';
import type { Backend, EmitResult } from '../contract.js';
import { OnnxBuilder } from './builder.js';
import { emitNode, type ExportStats } from './layers.js';

export interface OnnxBackendOptions {
  /** Stem of the written file (NAME.onnx) and the ONNX graph's name. */
  name: string;
}

const idName = (model: string) => path.basename(model).replace(/\.onnx$/i, '').replace(/[^A-Za-z0-9_]/g, '_').replace(/^(?=\d)/, '_');

/** Per-tensor 2^e, or per axis-1 channel when the value carries channel fracs. */
function fracScale(b: OnnxBuilder, stem: string, shape: readonly number[], frac: number, channels: readonly number[] | undefined, sign: 1 | -1): string {
  if (!channels) return b.scalar(2 ** (sign * frac));
  return b.floats(stem, [1, channels.length, ...Array<number>(Math.max(0, shape.length - 2)).fill(1)], channels.map((d) => 2 ** (sign * (frac + d))));
}

function emit(g: Graph, o: OnnxBackendOptions): EmitResult {
  const b = new OnnxBuilder();
  const names = new Map<number, string>();
  const ioIn: { name: string; shape: readonly number[] }[] = [];
  for (const id of g.inputs) {
    // Input quantisation of docs/numerics.md: sat(floor(x * 2^f + 0.5), bits).
    const v = g.values[id]!;
    const bits = v.type.dtype === 'int16' ? 16 : 8;
    const x = b.fresh(v.name);
    ioIn.push({ name: x, shape: v.type.shape });
    const q = v.quant ?? { frac: 0 };
    // NaN maps to 0 (numerics.md); +-Infinity saturates through Floor and Clip as it is.
    const finite = b.node('Where', [b.node('IsNaN', [x], {}, `${v.name}_nan`), b.scalar(0), x], {}, `${v.name}_nonan`);
    const s = b.node('Mul', [finite, fracScale(b, `${v.name}_scale`, v.type.shape, q.frac, q.channels, 1)], {}, `${v.name}_scaled`);
    const r = b.node('Floor', [b.node('Add', [s, b.scalar(0.5)], {}, `${v.name}_half`)], {}, `${v.name}_round`);
    names.set(id, b.node('Clip', [r, b.scalar(-(2 ** (bits - 1))), b.scalar(2 ** (bits - 1) - 1)], {}, `${v.name}_q`));
  }
  const stats: ExportStats = { approximate: [] };
  let ops = 0;
  for (const n of g.nodes) {
    const ins = n.inputs.map((id) => (id < 0 ? '' : names.get(id) ?? (g.values[id]!.data ? '' : fail('SAC060', `value ${id} is read before it is written`))));
    const out = g.values[n.outputs[0]!]!;
    names.set(out.id, emitNode(b, g, n, ins, b.fresh(out.name), stats));
    ops++;
  }
  const ioOut: { name: string; shape: readonly number[] }[] = [];
  for (const id of g.outputs) {
    // Dequantised outputs: real = q * 2^-f (exact in float32 for int8/int16).
    const v = g.values[id]!;
    const q = v.quant ?? { frac: 0 };
    const name = b.fresh(`${v.name}_real`);
    b.node('Mul', [names.get(id)!, fracScale(b, `${v.name}_descale`, v.type.shape, q.frac, q.channels, -1)], {}, name, name);
    ioOut.push({ name, shape: v.type.shape });
  }
  const data = b.encode(o.name, ioIn, ioOut);
  let terms = 0;
  let weightBytes = 0;
  for (const t of b.initializers) weightBytes += (t.floatData?.length ?? 0) * 4 + (t.int64Data?.length ?? 0) * 8;
  for (const n of g.nodes) {
    if (n.op.kind !== 'ShiftConv' && n.op.kind !== 'ShiftGemm') continue;
    for (const c of g.values[n.inputs[1]!]!.data!.data) if (c !== 0) terms++;
  }
  // No memory plan: onnxruntime allocates; the no-reuse total is every activation as float32.
  const naive = g.nodes.reduce((s, n) => s + 4 * numel(g.values[n.outputs[0]!]!.type.shape), 0);
  return {
    files: [{ name: `${o.name}.onnx`, data }],
    stats: { memory: { arenaBytes: naive, lowerBound: naive, naiveBytes: naive }, weightBytes, idealBytes: weightBytes, paramBytes: 0, terms, codeTerms: 0, ops },
    summary: `${o.name}.onnx: ${b.nodes.length} standard ONNX nodes (opset 13) from ${ops} lowered ops, ${(data.length / 1024).toFixed(1)} KB, float32 weights equal to the decoded shift-add terms; ${stats.approximate.length ? `${stats.approximate.length} layers past 2^24 in float32 (may round: ${stats.approximate.slice(0, 3).map((x) => JSON.stringify(x)).join(', ')})` : 'every accumulator exact in float32'}`,
  };
}

export const onnxBackend: Backend<OnnxBackendOptions> = {
  name: 'onnx',
  description: 'ONNX: NAME.onnx in standard ops (Conv/Gemm on the decoded power-of-two weights, exact rounding), for Netron and onnxruntime',
  options: [
    { key: 'name', flag: '--name <name>', use: 'emit', description: 'identifier prefixing the generated files (default: the model file name)' },
  ],
  parseOptions(v, ctx) {
    const name = v.name ?? idName(ctx.model ?? 'model');
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) fail('SAC040', `--name '${name}' is not an identifier`);
    return { name };
  },
  emit,
};
