// Float reference interpreter: executes a graph node by node with the ops' reference kernels.
import { atNode, fail } from '../diagnostics.js';
import type { Graph } from './graph.js';
import { runSamples, stack, unstack, type SampleInput } from './batch.js';
import { DTYPE_BYTES, formatType, numel, sameShape, type Tensor } from './tensor.js';

/** Last node index that reads each value, so intermediate tensors can be released early. */
function lastUses(g: Graph): Int32Array {
  const last = new Int32Array(g.values.length).fill(-1);
  g.nodes.forEach((n, k) => { for (const i of n.inputs) if (i >= 0) last[i] = k; });
  for (const o of g.outputs) last[o] = g.nodes.length;
  return last;
}

/**
 * Called with every node output, one call per sample (calibration and recovery watch activations). Each value's
 * samples come in order; different values interleave node by node.
 */
export type Observer = (valueId: number, t: Tensor) => void;

/**
 * Activation bytes of one chunk of samples, which run together node by node (ops that allow it run once on the
 * whole chunk). Small enough that a chunk's activations stay in cache from one node to the next (larger chunks
 * measured slower on the examples) and that memory stays bounded on any number of samples.
 */
const CHUNK_BYTES = 2 ** 20;

/** Samples per chunk: as many as fit CHUNK_BYTES with every activation of the graph live (at least one). */
function chunkSamples(g: Graph): number {
  let bytes = 0;
  for (const v of g.values) if (!v.data) bytes += numel(v.type.shape) * DTYPE_BYTES[v.type.dtype];
  return Math.max(1, Math.floor(CHUNK_BYTES / Math.max(1, bytes)));
}

/** Runs `inputs` (per graph input, one tensor per sample) through the graph; returns per output the per-sample tensors. */
/** An allocation that fails inside a node (RangeError from a typed array) becomes a diagnostic naming it. */
export function outOfMemoryAt<T>(where: { name: string; op: { kind: string } } | (() => string), f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof RangeError && /allocat|array length|invalid array|buffer/i.test(e.message)) {
      fail('SAC025', `allocating a tensor failed (${e.message})`, typeof where === 'function' ? where() : atNode(where.name, where.op.kind));
    }
    throw e;
  }
}

function runChunk(g: Graph, inputs: readonly Tensor[][], samples: number, last: Int32Array, observe?: Observer): (readonly Tensor[])[] {
  const env: SampleInput[] = new Array(g.values.length);
  for (const v of g.values) if (v.data) env[v.id] = v.data;
  g.inputs.forEach((id, k) => { env[id] = inputs[k]; });
  g.nodes.forEach((node, k) => {
    const outs = outOfMemoryAt(node, () => runSamples(node.op, node.inputs.map((i) => (i < 0 ? undefined : env[i])), samples));
    node.outputs.forEach((o, j) => {
      env[o] = outs[j];
      if (observe) for (const t of outs[j]!) observe(o, t);
    });
    for (const i of node.inputs) if (i >= 0 && last[i] === k && !g.values[i]!.data) env[i] = undefined;
  });
  // A constant wired straight to an output is every sample's output.
  return g.outputs.map((o) => { const x = env[o]!; return Array.isArray(x) ? x : new Array<Tensor>(samples).fill(x as Tensor); });
}

/**
 * Runs the graph on the given inputs. When every input carries N times the declared leading (batch) dimension,
 * that is N samples: each gets the outputs it would get alone, stacked along dim 0.
 */
export function runGraph(g: Graph, inputs: readonly Tensor[], observe?: Observer): Tensor[] {
  const last = lastUses(g);
  const samples = Math.max(1, sampleCount(g, inputs));
  const per = inputs.map((t) => unstack(t, samples));
  const chunk = chunkSamples(g);
  const outs: Tensor[][] = g.outputs.map(() => []);
  for (let s0 = 0; s0 < samples; s0 += chunk) {
    const n = Math.min(chunk, samples - s0);
    runChunk(g, per.map((p) => p.slice(s0, s0 + n)), n, last, observe).forEach((ts, j) => { for (const t of ts) outs[j]!.push(t); });
  }
  return outs.map(stack);
}

/**
 * Checks inputs against the declared types and returns how many samples they hold: N when every input
 * carries N times the declared leading dimension (backends running a batch share this contract).
 */
export function sampleCount(g: Graph, inputs: readonly Tensor[]): number {
  if (inputs.length !== g.inputs.length) fail('SAC022', `model has ${g.inputs.length} input(s), got ${inputs.length}`);
  const declared = g.inputs.map((id) => g.values[id]!.type);
  let reps = -1;
  inputs.forEach((t, k) => {
    const want = declared[k]!;
    const name = `input '${g.values[g.inputs[k]!]!.name}'`;
    if (t.dtype !== want.dtype) fail('SAC021', `${name} expects ${formatType(want)}, got dtype ${t.dtype}`);
    const ok = t.shape.length === want.shape.length && want.shape.length > 0 && sameShape(t.shape.slice(1), want.shape.slice(1)) && t.shape[0]! % want.shape[0]! === 0 && t.shape[0]! > 0;
    if (!ok) fail('SAC021', `${name} expects ${formatType(want)}, got [${t.shape.join(',')}]`);
    const r = t.shape[0]! / want.shape[0]!;
    if (reps >= 0 && r !== reps) fail('SAC021', `inputs disagree on the number of samples (${reps} vs ${r})`);
    reps = r;
  });
  return reps;
}
