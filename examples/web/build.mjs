// examples/web/build.mjs: compiles the LeNet example to WebAssembly and writes the demo page's module and images here.
//   npm run build && node examples/web/build.mjs [outDir]
import * as fs from 'node:fs';
import * as path from 'node:path';
import { wasmBackend } from '../../dist/backends/wasm/backend.js';
import { compile } from '../../dist/compile.js';
import { loadModel } from '../../dist/api.js';
import { readNpy } from '../../dist/io/npy.js';

const EX = path.resolve(new URL('..', import.meta.url).pathname);
const here = new URL('.', import.meta.url).pathname;

/** Fashion-MNIST's classes: the loader exports them as `labels` (compile --class-names). */
const CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

/** Writes lenet.wasm / lenet.scalar.wasm / lenet.mjs / lenet.d.ts, images.bin (float32) and labels.json into `dir`. */
export function buildPage(dir, calibCount = 256) {
  fs.mkdirSync(dir, { recursive: true });
  const calib = readNpy(fs.readFileSync(path.join(EX, 'data', 'calib-256.npy')), 'calib');
  const per = calib.shape.slice(1).reduce((a, b) => a * b, 1);
  const c = { dtype: 'float32', shape: [calibCount, ...calib.shape.slice(1)], data: calib.data.subarray(0, calibCount * per) };
  const graph = compile(loadModel(path.join(EX, 'lenet.onnx')), { calibration: [c], terms: 2 }).graph;
  for (const f of wasmBackend.emit(graph, { name: 'lenet', labels: CLASSES }).files) fs.writeFileSync(path.join(dir, f.name), f.data);
  const images = readNpy(fs.readFileSync(path.join(EX, 'data', 'test-images-16.npy')), 'images');
  fs.writeFileSync(path.join(dir, 'images.bin'), Buffer.from(images.data.buffer, images.data.byteOffset, images.data.byteLength));
  const labels = readNpy(fs.readFileSync(path.join(EX, 'data', 'test-labels-16.npy')), 'labels');
  fs.writeFileSync(path.join(dir, 'labels.json'), `${JSON.stringify(Array.from(labels.data, Number))}\n`);
  if (path.resolve(dir) !== path.resolve(here)) fs.copyFileSync(path.join(here, 'index.html'), path.join(dir, 'index.html'));
  return graph;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  buildPage(process.argv[2] ?? here);
}
