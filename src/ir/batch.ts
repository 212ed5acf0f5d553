// Runs one op over many samples: once on the samples stacked along dim 0 where its OpDef.batch allows, else sample by sample.
import { opDef, outputCount, runOp } from './graph.js';
import type { Op } from './registry.js';
import type { Tensor, TypedData } from './tensor.js';

/** One input over the samples: a tensor per sample, one tensor all samples share (a constant), or omitted. */
export type SampleInput = readonly Tensor[] | Tensor | undefined;

type TypedCtor = { new (n: number): TypedData; new (buffer: ArrayBufferLike, byteOffset: number, length: number): TypedData };

function perSample(x: SampleInput): x is readonly Tensor[] {
  return Array.isArray(x);
}

/** Runs `op` over `samples` samples; returns each output's per-sample tensors (views of one buffer when batched). */
export function runSamples(op: Op, inputs: readonly SampleInput[], samples: number): Tensor[][] {
  const stacked = inputs.map(perSample);
  const first = inputs.map((x) => (perSample(x) ? x[0] : x));
  const batch = samples > 1 && stacked.some(Boolean) && first.every((t, k) => !stacked[k] || t!.shape.length > 0) &&
    opDef(op.kind).batch?.(op.attrs, first, stacked) === true;
  if (batch) return runOp(op, inputs.map((x) => (perSample(x) ? stack(x) : x))).map((t) => unstack(t, samples));
  const outs = Array.from({ length: samples }, (_, s) => runOp(op, inputs.map((x) => (perSample(x) ? x[s] : x))));
  return Array.from({ length: outputCount(op) }, (_, j) => outs.map((o) => o[j]!));
}

/** The samples stacked along dim 0: a view when they already lie in order in one buffer, else one copy. */
export function stack(ts: readonly Tensor[]): Tensor {
  const first = ts[0]!;
  if (ts.length === 1) return first;
  const d = first.data;
  const inOrder = ts.every((t, s) => t.data.buffer === d.buffer && t.data.byteOffset === d.byteOffset + s * d.byteLength && t.data.constructor === d.constructor);
  if (!inOrder) return copyStack(ts);
  const data = new (d.constructor as TypedCtor)(d.buffer, d.byteOffset, d.length * ts.length);
  return { dtype: first.dtype, shape: [first.shape[0]! * ts.length, ...first.shape.slice(1)], data };
}

/** Splits a tensor stacked along dim 0 into `samples` views (no copy). */
export function unstack(t: Tensor, samples: number): Tensor[] {
  const n = t.data.length / samples;
  const shape = [t.shape[0]! / samples, ...t.shape.slice(1)];
  return Array.from({ length: samples }, (_, s) => ({ dtype: t.dtype, shape, data: t.data.subarray(s * n, (s + 1) * n) }));
}

/**
 * The samples, copied into one buffer of their own if the buffers they view are more than twice their size,
 * so keeping a few of them does not keep a whole batch alive (views of small chunks are kept as they are).
 */
export function compact(ts: readonly Tensor[]): Tensor[] {
  let own = 0;
  let held = 0;
  const seen = new Set<ArrayBufferLike>();
  for (const t of ts) {
    own += t.data.byteLength;
    if (!seen.has(t.data.buffer)) { seen.add(t.data.buffer); held += t.data.buffer.byteLength; }
  }
  return held <= 2 * own ? [...ts] : unstack(copyStack(ts), ts.length);
}

function copyStack(ts: readonly Tensor[]): Tensor {
  const first = ts[0]!;
  const n = first.data.length;
  const data = new (first.data.constructor as TypedCtor)(n * ts.length);
  ts.forEach((t, s) => data.set(t.data as never, s * n));
  return { dtype: first.dtype, shape: [first.shape[0]! * ts.length, ...first.shape.slice(1)], data };
}
