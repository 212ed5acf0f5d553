// bench/float-speed: float interpreter vs onnxruntime-node on the example models, same inputs, same run.
// Usage: node bench/float-speed.mjs [samples]   (needs `npm run build`)
import * as fs from 'node:fs';
import * as path from 'node:path';
import ort from 'onnxruntime-node';
import { loadModel, readNpy, runFloat } from '../dist/index.js';

const examples = path.resolve(new URL('.', import.meta.url).pathname, '..', 'examples');
const samples = Number(process.argv[2] ?? 64);
const images = readNpy(new Uint8Array(fs.readFileSync(path.join(examples, 'data', 'calib-256.npy'))));
const per = 28 * 28;
const models = JSON.parse(fs.readFileSync(path.join(examples, 'models.json'), 'utf8'));

console.log(`samples per model: ${samples} (batch 1 each), single thread ORT`);
console.log('model      shiftaddc ms/inf   onnxruntime ms/inf   ratio (ours/ORT)');
for (const [name, info] of Object.entries(models)) {
  const file = path.join(examples, info.file);
  const graph = loadModel(file);
  const session = await ort.InferenceSession.create(file, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const inputName = session.inputNames[0];
  const one = (i) => images.data.subarray((i % 256) * per, (i % 256 + 1) * per);
  // Warm-up both so JIT and ORT's first-run allocations are excluded.
  for (let i = 0; i < 4; i++) { runFloat(graph, [{ dtype: 'float32', shape: [1, 1, 28, 28], data: one(i) }]); await session.run({ [inputName]: new ort.Tensor('float32', one(i), [1, 1, 28, 28]) }); }
  let t0 = performance.now();
  for (let i = 0; i < samples; i++) runFloat(graph, [{ dtype: 'float32', shape: [1, 1, 28, 28], data: one(i) }]);
  const ours = (performance.now() - t0) / samples;
  t0 = performance.now();
  for (let i = 0; i < samples; i++) await session.run({ [inputName]: new ort.Tensor('float32', one(i), [1, 1, 28, 28]) });
  const theirs = (performance.now() - t0) / samples;
  console.log(`${name.padEnd(10)} ${ours.toFixed(3).padStart(16)}   ${theirs.toFixed(3).padStart(18)}   ${(ours / theirs).toFixed(1).padStart(8)}x`);
}
