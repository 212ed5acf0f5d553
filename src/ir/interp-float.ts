// Float reference interpreter: executes a graph node by node with the ops' reference kernels.
import { fail } from '../diagnostics.js';
import { runOp, type Graph } from './graph.js';
import { formatType, numel, sameShape, type Tensor } from './tensor.js';

/** Last node index that reads each value, so intermediate tensors can be released early. */
function lastUses(g: Graph): Int32Array {
  const last = new Int32Array(g.values.length).fill(-1);
  g.nodes.forEach((n, k) => { for (const i of n.inputs) if (i >= 0) last[i] = k; });
  for (const o of g.outputs) last[o] = g.nodes.length;
  return last;
}

/** Called with every node output as it is produced (calibration and recovery watch activations). */
export type Observer = (valueId: number, t: Tensor) => void;

/** Runs one sample (shapes exactly as declared). */
function runOnce(g: Graph, inputs: readonly Tensor[], last: Int32Array, observe?: Observer): Tensor[] {
  const env: (Tensor | undefined)[] = new Array(g.values.length);
  for (const v of g.values) if (v.data) env[v.id] = v.data;
  g.inputs.forEach((id, k) => { env[id] = inputs[k]; });
  g.nodes.forEach((node, k) => {
    const args = node.inputs.map((i) => (i < 0 ? undefined : env[i]));
    const outs = runOp(node.op, args);
    node.outputs.forEach((o, j) => { env[o] = outs[j]; if (observe) observe(o, outs[j]!); });
    for (const i of node.inputs) if (i >= 0 && last[i] === k && !g.values[i]!.data) env[i] = undefined;
  });
  return g.outputs.map((o) => env[o]!);
}

/**
 * Runs the graph on the given inputs. When every input carries N times the declared leading
 * (batch) dimension, the N slices run one after another and the outputs are stacked.
 */
export function runGraph(g: Graph, inputs: readonly Tensor[], observe?: Observer): Tensor[] {
  const last = lastUses(g);
  const declared = g.inputs.map((id) => g.values[id]!.type);
  const reps = sampleCount(g, inputs);
  if (reps === 1 || inputs.length === 0) return runOnce(g, inputs, last, observe);
  const perSample: Tensor[][] = [];
  for (let s = 0; s < reps; s++) {
    const slice = inputs.map((t, k) => sliceBatch(t, declared[k]!.shape[0]!, s));
    perSample.push(runOnce(g, slice, last, observe));
  }
  return g.outputs.map((_, j) => stackBatch(perSample.map((outs) => outs[j]!)));
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

function sliceBatch(t: Tensor, batch: number, s: number): Tensor {
  const shape = [batch, ...t.shape.slice(1)];
  const n = numel(shape);
  return { dtype: t.dtype, shape, data: t.data.subarray(s * n, (s + 1) * n) };
}

function stackBatch(parts: readonly Tensor[]): Tensor {
  const first = parts[0]!;
  const n = first.data.length;
  const data = new (first.data.constructor as new (len: number) => typeof first.data)(n * parts.length);
  parts.forEach((p, k) => data.set(p.data as never, k * n));
  const lead = first.shape.length ? first.shape[0]! * parts.length : parts.length;
  return { dtype: first.dtype, shape: [lead, ...first.shape.slice(1)], data };
}
