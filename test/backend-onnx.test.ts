// The ONNX export run in onnxruntime-node: top-1 (and every logit) against runInteger on the examples' calibration images.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../src/api.js';
import { emit } from '../src/backends/registry.js';
import { compile, type CompileResult } from '../src/compile.js';
import { runShift } from '../src/eval.js';
import { readNpy } from '../src/io/npy.js';
import type { Tensor } from '../src/ir/tensor.js';
import { expectDiagnostic, runCli } from './helpers/cli.js';
import { buildModel, float } from './helpers/onnx-builder.js';
import { mulberry32 } from './helpers/prng.js';

const examples = path.resolve(__dirname, '..', 'examples');
const calib = readNpy(new Uint8Array(fs.readFileSync(path.join(examples, 'data', 'calib-256.npy'))));

function argmax(d: ArrayLike<number>, o: number, c: number): number {
  let b = 0;
  for (let j = 1; j < c; j++) if (d[o + j]! > d[o + b]!) b = j;
  return b;
}

/** One image of a batch tensor. */
function sample(t: Tensor, i: number): Float32Array {
  const per = t.data.length / t.shape[0]!;
  return Float32Array.from((t.data as Float32Array).subarray(i * per, (i + 1) * per));
}

/** Runs the export in onnxruntime one image at a time against runShift (the integer interpreter): top-1 agreement, logits equal. */
async function compareExport(c: CompileResult, x: Tensor, model: string): Promise<{ agree: number; equal: number; n: number; classes: number; worst: number; summary: string; nodes: number }> {
  const ref = runShift(c, [x])[0]!;
  const { files, summary } = emit(c.graph, 'onnx', {}, { model });
  expect(files.map((f) => f.name)).toEqual([model]);
  const session = await ort.InferenceSession.create(files[0]!.data as Uint8Array);
  const n = x.shape[0]!;
  const classes = ref.data.length / n;
  const inShape = [1, ...x.shape.slice(1)];
  let agree = 0;
  let equal = 0;
  let worst = 0;
  const lsb = 2 ** -c.report.outputFrac[0]!;
  for (let i = 0; i < n; i++) {
    const r = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', sample(x, i), inShape) });
    const y = r[session.outputNames[0]!]!.data as Float32Array;
    if (argmax(y, 0, classes) === argmax(ref.data, i * classes, classes)) agree++;
    for (let j = 0; j < classes; j++) {
      if (y[j] === ref.data[i * classes + j]) equal++;
      worst = Math.max(worst, Math.abs(y[j]! - ref.data[i * classes + j]!) / lsb);
    }
  }
  return { agree, equal, n, classes, worst, summary, nodes: onnx.ModelProto.decode(files[0]!.data as Uint8Array).graph!.node!.length };
}

/** The first k images of a batch. */
function head(t: Tensor, k: number): Tensor {
  const per = t.data.length / t.shape[0]!;
  return { dtype: t.dtype, shape: [k, ...t.shape.slice(1)], data: (t.data as Float32Array).slice(0, k * per) };
}

describe('ONNX export in onnxruntime', () => {
  for (const [name, actBits] of [['lenet', 8], ['resnet', 8], ['squeeze', 8], ['dwsep', 16]] as const) {
    it(`${name} (int${actBits}): the exported network's top-1 and logits match runInteger on 256 images`, async () => {
      const c = compile(loadModel(path.join(examples, `${name}.onnx`)), { calibration: [calib], terms: 3, actBits });
      const { agree, equal, n, classes, worst, summary } = await compareExport(c, calib, `${name}.onnx`);
      console.log(`${name}: onnxruntime top-1 agreement with runInteger ${agree}/${n}, logits equal ${equal}/${n * classes}, largest difference ${worst} output LSB`);
      expect((n - agree) / n).toBeLessThanOrEqual(0.001);
      // Accumulators that may pass 2^24 are split into exact halves (wide.ts), so the export is bit-exact.
      expect(equal).toBe(n * classes);
      expect(summary).toContain('every accumulator exact in float32');
    });
  }

  it('the imported ShiftAddNet (ai.shiftaddc ShiftConv -> AdderConv): onnxruntime equals runInteger on 256 images', async () => {
    const c = compile(loadModel(path.join(examples, 'shiftaddnet', 'shiftaddnet.onnx')), { calibration: [calib] });
    expect(c.graph.nodes.filter((n) => n.op.kind === 'AdderConv').length).toBe(8);
    const r = await compareExport(c, calib, 'shiftaddnet.onnx');
    console.log(`shiftaddnet: onnxruntime top-1 agreement with runInteger ${r.agree}/${r.n}, logits equal ${r.equal}/${r.n * r.classes}, largest difference ${r.worst} output LSB, ${r.nodes} ONNX nodes`);
    expect(r.agree).toBe(r.n);
    expect(r.equal).toBe(r.n * r.classes);
    expect(r.summary).toContain('every accumulator exact in float32');
  });

  it('lenet in pair mode (--mode shiftadd, 1x1 adder convs): onnxruntime equals runInteger', async () => {
    const small = head(calib, 32);
    const c = compile(loadModel(path.join(examples, 'lenet.onnx')), { calibration: [small], mode: 'shiftadd' });
    const adders = c.graph.nodes.filter((n) => n.op.kind === 'AdderConv');
    expect(adders.length).toBeGreaterThan(0);
    const r = await compareExport(c, calib, 'lenet.onnx');
    console.log(`lenet --mode shiftadd (${adders.length} adder layers): onnxruntime top-1 agreement with runInteger ${r.agree}/${r.n}, logits equal ${r.equal}/${r.n * r.classes}, ${r.nodes} ONNX nodes`);
    expect(r.agree).toBe(r.n);
    expect(r.equal).toBe(r.n * r.classes);
  });

  it('the CLI writes NAME.onnx (also for the adder layers); a model with an LRN (QLrn) is one SAC060 line naming the node, and no output folder', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sac-onnx-'));
    const calibFile = path.join(examples, 'data', 'calib-256.npy');
    const ok = runCli(['compile', path.join(examples, 'lenet.onnx'), '--calibrate', calibFile, '--target', 'onnx', '--name', 'net', '-o', path.join(dir, 'ok')], dir);
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toContain('net.onnx: ');
    const session = await ort.InferenceSession.create(fs.readFileSync(path.join(dir, 'ok', 'net.onnx')));
    expect(session.inputNames).toHaveLength(1);
    // The input quantiser's edge cases as numerics.md specifies: NaN -> 0, +-Infinity saturate (compared with runShift).
    const c = compile(loadModel(path.join(examples, 'lenet.onnx')), { calibration: [calib], terms: 3 });
    const odd = Float32Array.from(sample(calib, 0), (v, i) => (i % 7 === 0 ? NaN : i % 11 === 0 ? Infinity : i % 13 === 0 ? -Infinity : v));
    const want = runShift(c, [{ dtype: 'float32', shape: [1, 1, 28, 28], data: odd }])[0]!.data;
    const mine = await ort.InferenceSession.create(emit(c.graph, 'onnx', {}, { model: 'lenet.onnx' }).files[0]!.data as Uint8Array);
    const got = (await mine.run({ [mine.inputNames[0]!]: new ort.Tensor('float32', odd, [1, 1, 28, 28]) }))[mine.outputNames[0]!]!.data as Float32Array;
    expect(Array.from(got)).toEqual(Array.from(want));
    const sa = runCli(['compile', path.join(examples, 'shiftaddnet', 'shiftaddnet.onnx'), '--calibrate', calibFile, '--target', 'onnx', '-o', path.join(dir, 'sa')], dir);
    expect(sa.code, sa.err).toBe(0);
    expect(sa.out).toContain('shiftaddnet.onnx: ');
    expect(sa.out).toContain('every accumulator exact in float32');
    // A 28x28 conv -> ReLU -> LRN net (calib-256's input shape): QLrn is the op the export still refuses.
    const lrn = path.join(dir, 'lrn.onnx');
    const rng = mulberry32(3);
    fs.writeFileSync(lrn, buildModel({
      inputs: [{ name: 'x', shape: [1, 1, 28, 28] }],
      initializers: [{ name: 'w1', dims: [4, 1, 3, 3], data: Array.from({ length: 36 }, () => rng() - 0.5) }],
      nodes: [
        { op: 'Conv', inputs: ['x', 'w1'], outputs: ['c1'], attrs: { pads: [1, 1, 1, 1] }, name: 'conv1' },
        { op: 'Relu', inputs: ['c1'], outputs: ['r1'], name: 'relu1' },
        { op: 'LRN', inputs: ['r1'], outputs: ['n1'], attrs: { size: 3, alpha: float(1e-3), beta: float(0.75), bias: float(1) }, name: 'lrn1' },
        { op: 'GlobalAveragePool', inputs: ['n1'], outputs: ['g'], name: 'gap' },
        { op: 'Flatten', inputs: ['g'], outputs: ['y'], name: 'flatten' },
      ],
      outputs: ['y'],
    }));
    const bad = runCli(['compile', lrn, '--calibrate', calibFile, '--target', 'onnx', '-o', path.join(dir, 'bad')], dir);
    expectDiagnostic(bad, 'SAC060');
    expect(bad.err).toMatch(/op QLrn has no ONNX export yet \(at node '[^']+' \(QLrn\)\)/);
    expect(fs.existsSync(path.join(dir, 'bad'))).toBe(false);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
