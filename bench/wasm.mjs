// bench/wasm: our WebAssembly module vs onnxruntime-web (wasm, 1 thread, in Node) and onnxruntime-node (CPU, 1 thread).
//   npm run build && node bench/wasm.mjs [model...]   (writes bench/results/wasm.txt; ROUNDS, PER_ROUND, WARMUP override)
// Per model at --terms 2: per-inference latency (median over interleaved rounds), time to first inference from bytes
// in memory (compile + instantiate + first run vs session creation + first run), module size raw/gzip vs ort-web's
// runtime wasm + the .onnx, and our module against the size budget 1.1x the C backend's weight bytes + 32 KB.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as zlib from 'node:zlib';
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { emit } from '../dist/backends/registry.js';
import { emitC } from '../dist/backends/c/emit.js';
import { compile } from '../dist/compile.js';
import { loadModel } from '../dist/api.js';
import { quantizeInput } from '../dist/ir/interp-int.js';
import { readNpy } from '../dist/io/npy.js';
import { tensor } from '../dist/ir/tensor.js';

const ROOT = new URL('..', import.meta.url).pathname;
const EX = path.join(ROOT, 'examples');
const models = process.argv.slice(2).length ? process.argv.slice(2) : ['lenet', 'resnet', 'dwsep', 'squeeze'];
const ROUNDS = Number(process.env.ROUNDS ?? 7);
const PER_ROUND = Number(process.env.PER_ROUND ?? 30);
const WARMUP = Number(process.env.WARMUP ?? 200);
const gz = (b) => zlib.gzipSync(b, { level: 9 }).length;
const median = (a) => { const s = [...a].sort((x, y) => x - y); return s[s.length >> 1]; };
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
ortWeb.env.wasm.numThreads = 1;
ortWeb.env.wasm.simd = true;

const calibAll = readNpy(fs.readFileSync(path.join(EX, 'data', 'calib-256.npy')), 'calib');
const per = calibAll.shape.slice(1).reduce((a, b) => a * b, 1);
const calib = tensor('float32', [32, ...calibAll.shape.slice(1)], calibAll.data.subarray(0, 32 * per));
const images = readNpy(fs.readFileSync(path.join(EX, 'data', 'test-images-16.npy')), 'images');
const ortWasm = fs.readFileSync(path.join(ROOT, 'node_modules', 'onnxruntime-web', 'dist', 'ort-wasm-simd-threaded.wasm'));
const ortGlue = fs.readFileSync(path.join(ROOT, 'node_modules', 'onnxruntime-web', 'dist', 'ort-wasm-simd-threaded.mjs'));

const lines = [
  `# bench/wasm.mjs ${new Date().toISOString().slice(0, 10)}: Node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'}, 1 thread each, K=2, ${WARMUP} warm-up runs each, then ${ROUNDS} rounds of ${PER_ROUND} alternating single runs (median of round means)`,
  '# latency ms/inference: ours SIMD (scalar) | ort-web wasm SIMD | ort-node CPU; first inference ms from bytes in memory; sizes raw / gzip -9',
];
let coldWeb;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sac-bench-wasm-'));
for (const m of models) {
  const onnx = fs.readFileSync(path.join(EX, `${m}.onnx`));
  const graph = compile(loadModel(path.join(EX, `${m}.onnx`)), { calibration: [calib], terms: 2 }).graph;
  const out = emit(graph, 'wasm', { name: m });
  const dir = path.join(tmp, m);
  fs.mkdirSync(dir);
  for (const f of out.files) fs.writeFileSync(path.join(dir, f.name), f.data);
  const loader = await import(pathToFileURL(path.join(dir, `${m}.mjs`)).href);
  const simdBytes = fs.readFileSync(path.join(dir, `${m}.wasm`));
  const scalarBytes = fs.readFileSync(path.join(dir, `${m}.scalar.wasm`));
  const xq = quantizeInput(tensor('float32', [1, ...images.shape.slice(1)], images.data.subarray(0, per)), graph.values[graph.inputs[0]].quant?.frac ?? 0, 8).data;
  const xf = new Float32Array(images.data.subarray(0, per));
  // Time to first inference: bytes in memory -> ready -> one result. Ours first (5 fresh instances, before any
  // ort-web work in this model's turn, whose background compilation would compete), then ort-web's sessions: the
  // first of the process includes compiling its runtime wasm (cold), later ones reuse it (warm).
  const firstOurs = [];
  const firstWeb = [];
  for (let r = 0; r < 5; r++) {
    const t = performance.now();
    (await loader.load(new Uint8Array(simdBytes))).run(xq);
    firstOurs.push(performance.now() - t);
  }
  for (let r = 0; r < 5; r++) {
    const t = performance.now();
    const s = await ortWeb.InferenceSession.create(new Uint8Array(onnx), { executionProviders: ['wasm'] });
    await s.run({ [s.inputNames[0]]: new ortWeb.Tensor('float32', xf, [1, ...images.shape.slice(1)]) });
    firstWeb.push(performance.now() - t);
    await s.release();
  }
  if (coldWeb === undefined) coldWeb = firstWeb[0];
  const ours = await loader.load(new Uint8Array(simdBytes));
  const scalar = await loader.load(new Uint8Array(scalarBytes));
  const web = await ortWeb.InferenceSession.create(new Uint8Array(onnx), { executionProviders: ['wasm'] });
  const nat = await ortNode.InferenceSession.create(onnx, { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1 });
  const feedsW = { [web.inputNames[0]]: new ortWeb.Tensor('float32', xf, [1, ...images.shape.slice(1)]) };
  const feedsN = { [nat.inputNames[0]]: new ortNode.Tensor('float32', xf, [1, ...images.shape.slice(1)]) };
  const t = { ours: [], scalar: [], web: [], nat: [] };
  // Warm-up (untimed): V8 runs a fresh module's functions in its baseline tier (Liftoff) and swaps in optimised
  // code compiled in the background; on a busy machine that takes many runs. ort-web's runtime is warm already
  // (the sessions above), so the rounds compare steady states; first inference is measured above.
  for (let k = 0; k < WARMUP; k++) { ours.run(xq); scalar.run(xq); await web.run(feedsW); await nat.run(feedsN); }
  // Each round alternates single runs of the four (ours, scalar, ort-web, ort-node) PER_ROUND times, so load
  // spikes of a shared machine hit all of them alike; the figure is the median over rounds of each one's mean.
  const time = async (f) => { const s = performance.now(); await f(); return performance.now() - s; };
  const timeSync = (f) => { const s = performance.now(); f(); return performance.now() - s; };
  for (let r = 0; r < ROUNDS; r++) {
    const sum = { ours: 0, scalar: 0, web: 0, nat: 0 };
    for (let k = 0; k < PER_ROUND; k++) {
      sum.ours += timeSync(() => ours.run(xq));
      sum.scalar += timeSync(() => scalar.run(xq));
      sum.web += await time(() => web.run(feedsW));
      sum.nat += await time(() => nat.run(feedsN));
    }
    for (const key of Object.keys(t)) t[key].push(sum[key] / PER_ROUND);
  }
  const [o, sc, w, n] = [median(t.ours), median(t.scalar), median(t.web), median(t.nat)];
  const fo = median(firstOurs);
  const fw = median(firstWeb.slice(1));
  const cWeights = emitC(graph, { name: m }).flash.weightBytes;
  const cData = emitC(graph, { name: m, weights: 'data' }).flash.weightBytes;
  const mjs = fs.readFileSync(path.join(dir, `${m}.mjs`));
  const budget = 1.1 * cWeights + 32 * 1024;
  lines.push(
    `${m}: latency ${o.toFixed(3)} (${sc.toFixed(3)}) | ${w.toFixed(3)} | ${n.toFixed(3)} ms: ${(w / o).toFixed(2)}x faster than ort-web, ${(o / n).toFixed(2)}x ort-node's time`,
    `${m}: first inference ${fo.toFixed(2)} ms (first instance of these bytes in the process ${firstOurs[0].toFixed(2)} ms) vs ort-web warm ${fw.toFixed(1)} ms (${(fw / fo).toFixed(1)}x), ort-web cold (first session of the process) ${coldWeb.toFixed(1)} ms (${(coldWeb / fo).toFixed(1)}x)`,
    `${m}: module ${kb(simdBytes.length)} / ${kb(gz(simdBytes))} (+ loader ${kb(mjs.length)} / ${kb(gz(mjs))}) vs ort-web wasm+glue+onnx ${kb(ortWasm.length + ortGlue.length + onnx.length)} / ${kb(gz(ortWasm) + gz(ortGlue) + gz(onnx))}; `
      + `budget 1.1 x C weights (${cWeights} B auto, ${cData} B data) + 32 KB = ${kb(budget)}: ${simdBytes.length <= budget ? 'within' : 'OVER'}`,
  );
  console.log(lines.slice(-3).join('\n'));
  await web.release();
}
fs.writeFileSync(path.join(ROOT, 'bench', 'results', 'wasm.txt'), `${lines.join('\n')}\n`);
