// Generator of hostile inputs: crafted models (non-finite weights, huge declared sizes, invalid fields), .npy files and file system objects.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { onnx } from 'onnx-proto';
import type { Tensor } from '../../src/ir/tensor.js';
import { writeNpy } from '../../src/io/npy.js';
import { buildModel, type ModelSpec, type TensorSpec } from './onnx-builder.js';

export const X = { name: 'x', shape: [1, 1, 6, 6] };

/** Float32 calibration samples of the tiny models' input shape, optionally with one poisoned value. */
export function calib(n = 8, poison?: { at: number; value: number }): Tensor {
  const data = Float32Array.from({ length: n * 36 }, (_, i) => ((i * 37) % 17) / 17 - 0.3);
  if (poison) data[poison.at] = poison.value;
  return { dtype: 'float32', shape: [n, 1, 6, 6], data };
}

const weight = (name: string, dims: number[], v: (i: number) => number): TensorSpec & { name: string } =>
  ({ name, dims, data: Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => v(i)) });

/** Conv(2x3x3) -> Relu -> Conv(1x1) with weights from `w1` and `w2`: the smallest net compile lowers. */
export function convNet(w1: (i: number) => number = (i) => ((i % 5) - 2) / 4, w2: (i: number) => number = (i) => (i ? 0.5 : -0.25)): ModelSpec {
  return {
    inputs: [X],
    initializers: [weight('w1', [2, 1, 3, 3], w1), weight('b1', [2], () => 0.1), weight('w2', [3, 2, 1, 1], w2)],
    nodes: [
      { op: 'Conv', inputs: ['x', 'w1', 'b1'], outputs: ['c1'], name: 'conv1' },
      { op: 'Relu', inputs: ['c1'], outputs: ['r1'], name: 'relu1' },
      { op: 'Conv', inputs: ['r1', 'w2'], outputs: ['y'], name: 'conv2' },
    ],
    outputs: ['y'],
  };
}

/** Conv -> BatchNormalization with one BN parameter replaced. */
export function bnNet(param: 'scale' | 'B' | 'mean' | 'var', value: number): ModelSpec {
  const p = (name: string, v: number) => weight(name, [2], (i) => (name === param && i === 1 ? value : v));
  return {
    inputs: [X],
    initializers: [weight('w', [2, 1, 3, 3], (i) => (i % 3) / 3), p('scale', 1), p('B', 0), p('mean', 0), p('var', 1)],
    nodes: [
      { op: 'Conv', inputs: ['x', 'w'], outputs: ['c'], name: 'conv' },
      { op: 'BatchNormalization', inputs: ['c', 'scale', 'B', 'mean', 'var'], outputs: ['y'], name: 'bn' },
    ],
    outputs: ['y'],
  };
}

/** `shape` -> ConstantOfShape, followed by `adds` Adds of the constant to itself (each one folds). */
export function constantOfShape(elements: number | number[], adds: number): ModelSpec {
  const dims = typeof elements === 'number' ? [elements] : elements;
  const nodes: ModelSpec['nodes'][number][] = [{ op: 'ConstantOfShape', inputs: ['s'], outputs: ['c0'], name: 'cos' }];
  for (let k = 0; k < adds; k++) nodes.push({ op: 'Add', inputs: [`c${k}`, `c${k}`], outputs: [`c${k + 1}`], name: `add${k}` });
  nodes.push({ op: 'Relu', inputs: ['x'], outputs: ['y'] });
  return { inputs: [X], initializers: [{ name: 's', dims: [dims.length], data: dims, dtype: 'int64' }], nodes, outputs: ['y', `c${adds}`] };
}

/** x -> Tile(repeats) or Expand(shape): the run-time size is declared by a constant. */
export function repeatNet(op: 'Tile' | 'Expand', spec: number[]): ModelSpec {
  return {
    inputs: [X],
    initializers: [{ name: 'r', dims: [spec.length], data: spec, dtype: 'int64' }],
    nodes: [{ op, inputs: ['x', 'r'], outputs: ['y'], name: op.toLowerCase() }],
    outputs: ['y'],
  };
}

/** Edits the decoded ModelProto of a spec and re-encodes it (fields the builder does not expose). */
export function editModel(spec: ModelSpec, edit: (m: onnx.ModelProto) => void): Uint8Array {
  const m = onnx.ModelProto.decode(buildModel(spec));
  edit(m);
  return onnx.ModelProto.encode(m).finish();
}

/** A scratch folder (removed by the caller's cleanup). */
export function scratch(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'shiftaddc-hostile-'));
}

export function mkfifo(file: string): void {
  execFileSync('mkfifo', [file]);
}

/** A model in `dir` whose first weight lives in external data `location` (which the caller makes a FIFO, folder, ...). */
export function externalModel(dir: string, location: string): string {
  const bytes = editModel(convNet(), (m) => {
    const w = m.graph!.initializer![0]!;
    w.rawData = new Uint8Array(0);
    w.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
    w.externalData = [onnx.StringStringEntryProto.create({ key: 'location', value: location })];
  });
  const file = path.join(dir, 'ext.onnx');
  fs.writeFileSync(file, bytes);
  return file;
}

/** .npy bytes with the header text replaced (the payload sized for `payloadBytes`). */
export function npyWithHeader(header: string, payloadBytes: number, version = 1): Uint8Array {
  const head = new TextEncoder().encode(`${header}`.padEnd(118, ' ') + '\n');
  const out = new Uint8Array(10 + head.length + payloadBytes);
  out.set(writeNpy({ dtype: 'float32', shape: [1], data: new Float32Array(1) }).subarray(0, 8));
  out[6] = version;
  new DataView(out.buffer).setUint16(8, head.length, true);
  out.set(head, 10);
  return out;
}

/** Model strings an attacker would use: ANSI/OSC sequences, bidi overrides, C1 controls, NUL, a huge name. */
export function hostileName(rng: () => number): string {
  const parts = ['\x1b[2J', '\x1b]0;pwned\x07', '\x1b]8;;http://x\x1b\\', '\u202e', '\x9b31m', '\0', '\r\n', '\x7f', 'conv', 'é', '\u200b'];
  let s = '';
  const n = 1 + Math.floor(rng() * 12);
  for (let k = 0; k < n; k++) s += parts[Math.floor(rng() * parts.length)]!;
  return rng() < 0.2 ? s + 'x'.repeat(1 << 20) : s;
}
