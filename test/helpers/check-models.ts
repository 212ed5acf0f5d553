// Models for the lowering-check tests: a small conv net with a pluggable middle, and one with four refused nodes.
import { mulberry32 } from './prng.js';
import type { ModelSpec, NodeSpec } from './onnx-builder.js';

const rng = mulberry32(7);
export const w = (dims: number[]) => ({ dims, data: Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => (rng() - 0.5) / 2) });

/** x [1,2,6,6] -> conv -> `middle` nodes (reading 'c1', the last writing 'm') -> conv -> GAP -> flatten -> Gemm. */
export function net(middle: readonly NodeSpec[], extra: ModelSpec['initializers'] = []): ModelSpec {
  return {
    inputs: [{ name: 'x', shape: [1, 2, 6, 6] }],
    initializers: [{ name: 'w1', ...w([4, 2, 3, 3]) }, { name: 'w2', ...w([4, 4, 3, 3]) }, { name: 'wf', ...w([3, 4]) }, ...extra],
    nodes: [
      { op: 'Conv', inputs: ['x', 'w1'], outputs: ['c1'], attrs: { pads: [1, 1, 1, 1] }, name: 'conv1' },
      ...middle,
      { op: 'Conv', inputs: ['m', 'w2'], outputs: ['c2'], attrs: { pads: [1, 1, 1, 1] }, name: 'conv2' },
      { op: 'GlobalAveragePool', inputs: ['c2'], outputs: ['g'], name: 'gap' },
      { op: 'Flatten', inputs: ['g'], outputs: ['f'], name: 'flat' },
      { op: 'Gemm', inputs: ['f', 'wf'], outputs: ['y'], attrs: { transB: 1 }, name: 'fc' },
    ],
    outputs: ['y'],
  };
}

export const EVIL = '\x1b[2Jexp\u202e';
/** Four nodes lowering refuses, one of them with a name full of terminal control sequences. */
export const SEVERAL = net([
  { op: 'Exp', inputs: ['c1'], outputs: ['e'], name: EVIL },
  { op: 'Softmax', inputs: ['e'], outputs: ['s'], attrs: { axis: 1 }, name: 'mid-softmax' },
  { op: 'Pad', inputs: ['s', 'pads'], outputs: ['p'], attrs: { mode: 'reflect' }, name: 'reflect-pad' },
  { op: 'Slice', inputs: ['p', 'st', 'en', 'ax'], outputs: ['q'], name: 'crop' },
  { op: 'Sub', inputs: ['q', 'c1'], outputs: ['m'], name: 'diff' },
], [
  { name: 'pads', dims: [8], data: [0, 0, 1, 1, 0, 0, 1, 1], dtype: 'int64' },
  { name: 'st', dims: [2], data: [1, 1], dtype: 'int64' }, { name: 'en', dims: [2], data: [7, 7], dtype: 'int64' },
  { name: 'ax', dims: [2], data: [2, 3], dtype: 'int64' },
]);

