// Differential test: the float interpreter against onnxruntime-node on every shipped example model.
import * as fs from 'node:fs';
import * as path from 'node:path';
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { loadModel, runFloat } from '../src/api.js';
import { readNpy } from '../src/io/npy.js';

const examples = path.resolve(__dirname, '..', 'examples');
const models = JSON.parse(fs.readFileSync(path.join(examples, 'models.json'), 'utf8')) as Record<string, { file: string }>;
const images = readNpy(new Uint8Array(fs.readFileSync(path.join(examples, 'data', 'calib-256.npy'))));
const SAMPLES = 32;
const per = 28 * 28;

describe('float interpreter vs onnxruntime-node', () => {
  it('ships at least four example models', () => {
    expect(Object.keys(models).length).toBeGreaterThanOrEqual(4);
  });
  for (const [name, info] of Object.entries(models)) {
    it(`${name}: max |diff| < 1e-4 on logits of ${SAMPLES} images`, async () => {
      const file = path.join(examples, info.file);
      const graph = loadModel(file);
      const session = await ort.InferenceSession.create(file);
      const batch = { dtype: 'float32' as const, shape: [SAMPLES, 1, 28, 28], data: images.data.subarray(0, SAMPLES * per) };
      const [ours] = runFloat(graph, [batch]);
      let maxDiff = 0;
      for (let i = 0; i < SAMPLES; i++) {
        const x = new ort.Tensor('float32', (images.data as Float32Array).slice(i * per, (i + 1) * per), [1, 1, 28, 28]);
        const res = await session.run({ [session.inputNames[0]!]: x });
        const ref = res[session.outputNames[0]!]!.data as Float32Array;
        const row = ours!.data.subarray(i * ref.length, (i + 1) * ref.length);
        for (let j = 0; j < ref.length; j++) maxDiff = Math.max(maxDiff, Math.abs(row[j]! - ref[j]!));
      }
      expect(ours!.shape[0]).toBe(SAMPLES);
      expect(maxDiff).toBeLessThan(1e-4);
    });
  }
});
