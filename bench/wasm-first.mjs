// bench/wasm-first: one cold time-to-first-inference measurement in this fresh process (spawned by bench/wasm.mjs).
//   node bench/wasm-first.mjs ours LOADER.mjs MODULE.wasm INPUT.bin    (int8 input bytes)
//   node bench/wasm-first.mjs ort-web MODEL.onnx INPUT.bin SHAPE [file]  (float32 input bytes, SHAPE e.g. 1,1,28,28)
// Prints one JSON line {ms}. Before the clock: the JS is imported and every file is read into memory; on the
// clock, what a page does the first time it meets the model's bytes. Ours: load(bytes) (compile, instantiate,
// the start function's weight decode) + one run. ort-web: its runtime wasm handed over as bytes
// (env.wasm.wasmBinary; `file` lets it read the file itself), compiled by its Emscripten glue (the glue .mjs
// import happens inside create, so it is on the clock), InferenceSession.create(onnx bytes) + one run.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

const [side, ...args] = process.argv.slice(2);
let ms;
if (side === 'ours') {
  const [loaderPath, wasmPath, inputPath] = args;
  const loader = await import(pathToFileURL(loaderPath).href);
  const bytes = new Uint8Array(fs.readFileSync(wasmPath));
  const x = new Int8Array(new Uint8Array(fs.readFileSync(inputPath)).buffer);
  const t = performance.now();
  (await loader.load(bytes)).run(x);
  ms = performance.now() - t;
} else if (side === 'ort-web') {
  const [onnxPath, inputPath, shape, mode] = args;
  const ort = await import('onnxruntime-web');
  const onnx = new Uint8Array(fs.readFileSync(onnxPath));
  const xf = new Float32Array(new Uint8Array(fs.readFileSync(inputPath)).buffer);
  const root = new URL('..', import.meta.url).pathname;
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.simd = true;
  if (mode !== 'file') ort.env.wasm.wasmBinary = new Uint8Array(fs.readFileSync(path.join(root, 'node_modules', 'onnxruntime-web', 'dist', 'ort-wasm-simd-threaded.wasm')));
  const t = performance.now();
  const s = await ort.InferenceSession.create(onnx, { executionProviders: ['wasm'] });
  await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', xf, shape.split(',').map(Number)) });
  ms = performance.now() - t;
} else throw new Error(`bench/wasm-first.mjs: unknown side '${side}' (ours or ort-web)`);
process.stdout.write(`${JSON.stringify({ ms })}\n`);
