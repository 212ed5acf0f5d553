// Test vectors for co-simulation: quantised inputs and runInteger's output of every layer, as $readmemh .hex.
import { memoryImages } from '../../codegen/images.js';
import type { Graph } from '../../ir/graph.js';
import { quantizeInput, runInteger } from '../../ir/interp-int.js';
import { numel, tensor, type Tensor } from '../../ir/tensor.js';
import type { EmitFile } from '../contract.js';

const bitsOf = (dtype: string) => (dtype === 'int16' ? 16 : dtype === 'int32' ? 32 : 8);

/** The first `count` samples of float `inputs`, quantised at the graph input's frac (one tensor per sample). */
export function vectorInputs(g: Graph, inputs: Tensor, count: number): Tensor[] {
  const x = g.values[g.inputs[0]!]!;
  const per = numel(inputs.shape.slice(1));
  const n = Math.min(count, inputs.shape[0] ?? 1);
  const bits = x.type.dtype === 'int16' ? 16 : 8;
  return Array.from({ length: n }, (_, s) => quantizeInput(tensor('float32', [1, ...inputs.shape.slice(1)], inputs.data.subarray(s * per, (s + 1) * per)), x.quant?.frac ?? 0, bits));
}

/** NAME_tvS_input.hex and NAME_tvS_L<t>.hex (layer t's output) for every sample S. */
export function testVectors(g: Graph, name: string, samples: readonly Tensor[]): EmitFile[] {
  const files: EmitFile[] = [];
  const layerOf = new Map(g.nodes.map((n, t) => [n.outputs[0]!, t]));
  samples.forEach((x, s) => {
    files.push({ name: `${name}_tv${s}_input.hex`, data: memoryImages(x.data, bitsOf(x.dtype), `test vector ${s}: input`).hex });
    runInteger(g, [x], (id, t) => {
      const layer = layerOf.get(id);
      if (layer === undefined) return;
      files.push({ name: `${name}_tv${s}_L${layer}.hex`, data: memoryImages(t.data, bitsOf(t.dtype), `test vector ${s}: layer ${layer} (${g.nodes[layer]!.name}) output`).hex });
    });
  });
  return files;
}
