// The ONNX export run in onnxruntime-node: top-1 (and every logit) against runInteger on the examples' calibration images.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../src/api.js';
import { emit } from '../src/backends/registry.js';
import { compile } from '../src/compile.js';
import { runShift } from '../src/eval.js';
import { readNpy } from '../src/io/npy.js';
import type { Tensor } from '../src/ir/tensor.js';
import { expectDiagnostic, runCli } from './helpers/cli.js';

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

describe('ONNX export in onnxruntime', () => {
  for (const [name, actBits] of [['lenet', 8], ['resnet', 8], ['squeeze', 8], ['dwsep', 16]] as const) {
    it(`${name} (int${actBits}): the exported network's top-1 and logits match runInteger on 256 images`, async () => {
      const c = compile(loadModel(path.join(examples, `${name}.onnx`)), { calibration: [calib], terms: 3, actBits });
      const ref = runShift(c, [calib])[0]!;
      const { files, summary } = emit(c.graph, 'onnx', {}, { model: `${name}.onnx` });
      expect(files.map((f) => f.name)).toEqual([`${name}.onnx`]);
      const session = await ort.InferenceSession.create(files[0]!.data as Uint8Array);
      const n = calib.shape[0]!;
      const classes = ref.data.length / n;
      const inShape = [1, ...calib.shape.slice(1)];
      let agree = 0;
      let equal = 0;
      let worst = 0;
      const lsb = 2 ** -c.report.outputFrac[0]!;
      for (let i = 0; i < n; i++) {
        const r = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', sample(calib, i), inShape) });
        const y = r[session.outputNames[0]!]!.data as Float32Array;
        if (argmax(y, 0, classes) === argmax(ref.data, i * classes, classes)) agree++;
        for (let j = 0; j < classes; j++) {
          if (y[j] === ref.data[i * classes + j]) equal++;
          worst = Math.max(worst, Math.abs(y[j]! - ref.data[i * classes + j]!) / lsb);
        }
      }
      console.log(`${name}: onnxruntime top-1 agreement with runInteger ${agree}/${n}, logits equal ${equal}/${n * classes}, largest difference ${worst} output LSB`);
      expect((n - agree) / n).toBeLessThanOrEqual(0.001);
      // Accumulators that may pass 2^24 are split into exact halves (wide.ts), so the export is bit-exact.
      expect(equal).toBe(n * classes);
      expect(summary).toContain('every accumulator exact in float32');
    });
  }

  it('the CLI writes NAME.onnx; a model with an adder layer is one SAC060 line naming the node, and no output folder', async () => {
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
    const bad = runCli(['compile', path.join(examples, 'shiftaddnet', 'shiftaddnet.onnx'), '--calibrate', calibFile, '--target', 'onnx', '-o', path.join(dir, 'bad')], dir);
    expectDiagnostic(bad, 'SAC060');
    expect(bad.err).toMatch(/op AdderConv has no ONNX export yet \(at node '[^']+' \(AdderConv\)\)/);
    expect(fs.existsSync(path.join(dir, 'bad'))).toBe(false);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
