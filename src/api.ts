// Library API: load, run and inspect models. Never prints, never exits; throws ShiftaddcError.
import * as fs from 'node:fs';
import * as path from 'node:path';
// The interpreters' WebAssembly fast paths register on import (src/ir itself knows no accelerator).
import './accel/register.js';
import { fail, quoted } from './diagnostics.js';
import { decodeModel, importModel } from './frontend/import.js';
import { DEFAULT_LIMITS, type Limits } from './frontend/limits.js';
import { fileKind } from './frontend/tensor-proto.js';
import type { Graph } from './ir/graph.js';
import { runGraph, sampleCount } from './ir/interp-float.js';
import { numel, type Tensor } from './ir/tensor.js';
import { verifyGraph } from './ir/verify.js';

/**
 * Reads a file with diagnostics for the common failures. Only a regular file is read (a FIFO would block,
 * /dev/zero never ends), and its size is checked with stat before any byte is read.
 */
export function readInputFile(file: string, what = 'file', maxBytes = DEFAULT_LIMITS.maxFileBytes, opts: { allowStream?: boolean } = {}): Uint8Array {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    return fail('SAC001', `${what} ${quoted(file)} does not exist`);
  }
  if (st.isDirectory()) fail('SAC001', `${what} ${quoted(file)} is a directory`, undefined, 'pass a file path');
  if (opts.allowStream && (st.isFIFO() || st.isCharacterDevice())) return readStream(file, what, maxBytes);
  if (!st.isFile()) fail('SAC019', `${what} ${quoted(file)} is ${fileKind(st)}`);
  if (st.size > maxBytes) fail('SAC019', `${what} ${quoted(file)} has ${st.size} bytes, over the limit of ${maxBytes}`, undefined, 'raise limits.maxFileBytes (CLI --max-file-bytes) if the file is genuine');
  if (st.size === 0) fail('SAC002', `${what} ${quoted(file)} has 0 bytes`);
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    return fail('SAC001', `${what} ${quoted(file)} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, undefined, 'check its permissions');
  }
  if (bytes.length === 0) fail('SAC002', `${what} ${quoted(file)} has 0 bytes`);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

/** An explicitly allowed stream (a pipe, /dev/stdin): read until EOF, failing as soon as it passes `maxBytes`. */
function readStream(file: string, what: string, maxBytes: number): Uint8Array {
  const chunks: Buffer[] = [];
  let total = 0;
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(1 << 16);
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      total += n;
      if (total > maxBytes) fail('SAC019', `${what} ${quoted(file)} streams more than the limit of ${maxBytes} bytes`, undefined, 'raise limits.maxFileBytes (CLI --max-file-bytes) if the stream is genuine');
      chunks.push(Buffer.from(buf.subarray(0, n)));
    }
  } finally {
    fs.closeSync(fd);
  }
  if (total === 0) fail('SAC002', `${what} ${quoted(file)} has 0 bytes`);
  const out = Buffer.concat(chunks, total);
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

export interface LoadOptions {
  /** Overrides of the size limits (DEFAULT_LIMITS, docs/limits.md). */
  limits?: Partial<Limits>;
}

/** Loads an ONNX model from bytes or a path into a verified IR graph. */
export function loadModel(model: Uint8Array | string, options: LoadOptions = {}): Graph {
  const bytes = typeof model === 'string' ? readInputFile(model, 'model', options.limits?.maxFileBytes) : model;
  const modelDir = typeof model === 'string' ? path.dirname(path.resolve(model)) : undefined;
  const graph = importModel(decodeModel(bytes), { ...(modelDir ? { modelDir } : {}), ...(options.limits ? { limits: options.limits } : {}) });
  verifyGraph(graph);
  return graph;
}

/** Converts integer inputs to the float32 the model expects (images are often stored as uint8). */
function coerceInput(t: Tensor, want: Graph['values'][number]['type']): Tensor {
  if (want.dtype !== 'float32' || t.dtype === 'float32') return t;
  return { dtype: 'float32', shape: t.shape, data: Float32Array.from(t.data as ArrayLike<number>) };
}

/**
 * The outputs of `samples` samples are stacked in memory: each output's total is held to the element limit
 * before anything runs (a Tile to 2^27 elements is fine once, not for 64 samples).
 */
export function checkRunSize(graph: Graph, inputs: readonly Tensor[], maxElements = DEFAULT_LIMITS.maxElements): void {
  const samples = Math.max(1, sampleCount(graph, inputs));
  for (const o of graph.outputs) {
    const v = graph.values[o]!;
    const n = numel(v.type.shape) * samples;
    if (n > maxElements) fail('SAC009', `output ${quoted(v.name)} of ${samples} samples would hold ${n} elements, over the limit of ${maxElements}`, undefined, 'run fewer samples at a time, or raise limits.maxElements (CLI --max-elements)');
  }
}

/** Float32 inference; inputs in graph-input order or by name. Leading dim may hold N samples. */
export function runFloat(graph: Graph, inputs: readonly Tensor[] | Readonly<Record<string, Tensor>>, options: LoadOptions = {}): Tensor[] {
  const list = Array.isArray(inputs) ? (inputs as Tensor[]) : graph.inputs.map((id) => {
    const name = graph.values[id]!.name;
    return (inputs as Record<string, Tensor>)[name] ?? fail('SAC022', `no tensor given for input ${quoted(name)}`);
  });
  checkRunSize(graph, list, options.limits?.maxElements);
  return runGraph(graph, list.map((t, k) => (graph.inputs[k] === undefined ? t : coerceInput(t, graph.values[graph.inputs[k]!]!.type))));
}
