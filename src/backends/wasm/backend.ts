// The WebAssembly backend behind the backend contract: NAME.wasm (+ NAME.scalar.wasm), NAME.mjs, NAME.d.ts; in-process runner.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fail } from '../../diagnostics.js';
import type { Graph } from '../../ir/graph.js';
import { shiftConst } from '../../ir/lowered.js';
import type { ShiftAttrs } from '../../ir/ops/shift-common.js';
import type { Backend, EmitResult } from '../contract.js';
import { emitWasm, type WasmModule } from './emit.js';
import { declarationText, loaderText } from './loader.js';
import { simdProbe } from './probe.js';
import { instantiate, runInstance, simdAvailable } from './run.js';

export interface WasmBackendOptions {
  /** File name stem of the outputs (NAME.wasm, NAME.mjs, NAME.d.ts). */
  name: string;
  /** Class names the loader exports as `labels` (one per output element of a sample). */
  labels?: readonly string[];
}

/** Class names from a file: a JSON array of strings, or one name per line (a final empty line ignored). */
function readClassNames(file: string): string[] {
  let text: string;
  try { text = fs.readFileSync(file, 'utf8'); } catch { return fail('SAC040', `--class-names '${file}' cannot be read (a JSON array of strings or one class name per line)`); }
  if (text.trimStart().startsWith('[')) {
    let v: unknown;
    try { v = JSON.parse(text); } catch { return fail('SAC040', `--class-names '${file}' is not valid JSON (a JSON array of strings or one class name per line)`); }
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) fail('SAC040', `--class-names '${file}' must hold a JSON array of strings`);
    return v as string[];
  }
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** A file-name stem from a model file name (lenet-v2.onnx -> lenet-v2). */
export function wasmName(model: string): string {
  return path.basename(model).replace(/\.onnx$/i, '').replace(/[^A-Za-z0-9_.-]/g, '_');
}

/** Ideal (1 + B) bits per stored term, and bias/shift/gain bytes, of the graph's shift layers. */
function weightAccounting(g: Graph): { idealBytes: number; paramBytes: number } {
  let idealBytes = 0;
  let paramBytes = 0;
  for (const n of g.nodes) {
    if (n.op.kind !== 'ShiftConv' && n.op.kind !== 'ShiftGemm') continue;
    const codes = shiftConst(g, n, 'codes')!;
    let terms = 0;
    for (let i = 0; i < codes.data.length; i++) if (codes.data[i] !== 0) terms++;
    idealBytes += Math.ceil((terms * (1 + (n.op.attrs as ShiftAttrs).shiftBits)) / 8);
    paramBytes += shiftConst(g, n, 'bias')!.data.byteLength + shiftConst(g, n, 'rshift')!.data.byteLength + (shiftConst(g, n, 'gain')?.data.byteLength ?? 0);
  }
  return { idealBytes, paramBytes };
}

function emit(g: Graph, o: WasmBackendOptions): EmitResult {
  const scalar = emitWasm(g);
  const simd = emitWasm(g, { simd: true });
  const o0 = scalar.outputs[0]!;
  const per = o0.size / (o0.shape[0] ?? 1);
  if (o.labels && o.labels.length !== per) fail('SAC040', `--class-names gives ${o.labels.length} names; the model's (first) output has ${per} elements per sample (one name each)`);
  const spec = { name: o.name, scalar, simd, probe: simdProbe(), labels: o.labels };
  const acc = weightAccounting(g);
  const m: WasmModule = simd;
  return {
    files: [
      { name: `${o.name}.wasm`, data: simd.bytes },
      { name: `${o.name}.scalar.wasm`, data: scalar.bytes },
      { name: `${o.name}.mjs`, data: loaderText(spec) },
      { name: `${o.name}.d.ts`, data: declarationText(spec) },
    ],
    stats: { memory: m.memory, weightBytes: m.weightBytes, idealBytes: acc.idealBytes, paramBytes: acc.paramBytes, terms: m.terms, codeTerms: 0, ops: m.ops },
    summary: `${o.name}.wasm: ${simd.bytes.length} bytes SIMD, ${scalar.bytes.length} scalar (data ${scalar.dataBytes}: term codes ${m.weightBytes} for ${m.terms} terms), memory ${m.memory.totalBytes} bytes (arena ${m.memory.arenaBytes}, lower bound ${m.memory.lowerBound})`,
  };
}

export const wasmBackend: Backend<WasmBackendOptions> = {
  name: 'wasm',
  description: 'WebAssembly: NAME.wasm (SIMD) and NAME.scalar.wasm (one module each, no imports), NAME.mjs loader, NAME.d.ts',
  options: [
    { key: 'name', flag: '--name <name>', use: 'both', description: 'file name stem of NAME.wasm / NAME.mjs / NAME.d.ts (default: the model file name)' },
    { key: 'classNames', flag: '--class-names <file>', use: 'emit', description: 'class names the loader exports as `labels`: a JSON array of strings or one name per line, one per output element' },
  ],
  parseOptions(v, ctx) {
    const name = v.name ?? wasmName(ctx.model ?? 'model');
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(name)) fail('SAC040', `--name '${name}' is not a file name stem (letters, digits, _ . -)`);
    return v.classNames === undefined ? { name } : { name, labels: readClassNames(v.classNames) };
  },
  emit,
  runDescription: 'the emitted WebAssembly module, instantiated in this process',
  run(g, inputs, _o, onInfo) {
    const simd = simdAvailable();
    const m = emitWasm(g, { simd });
    const kind = simd ? 'SIMD' : 'scalar';
    onInfo?.({ line: `WebAssembly module (${kind}, ${m.bytes.length} bytes, in process)`, label: `WebAssembly ${kind} module, ${m.bytes.length} bytes`, json: { bytes: m.bytes.length, simd } });
    return runInstance(instantiate(m), g, inputs);
  },
};
