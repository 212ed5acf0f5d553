// The WebAssembly backend behind the backend contract: NAME.wasm (+ NAME.scalar.wasm), NAME.mjs, NAME.d.ts; in-process runner.
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
  const spec = { name: o.name, scalar, simd, probe: simdProbe() };
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
  ],
  parseOptions(v, ctx) {
    const name = v.name ?? wasmName(ctx.model ?? 'model');
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(name)) fail('SAC040', `--name '${name}' is not a file name stem (letters, digits, _ . -)`);
    return { name };
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
