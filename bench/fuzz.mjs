// bench/fuzz: 10,000 seeded mutations of an example model; reports crashes and hangs (> 2 s) per mutation kind.
// Usage: node bench/fuzz.mjs [model.onnx] [cases]   (needs `npm run build` first)
//        node bench/fuzz.mjs --graph [cases]: structural mutations of a tiny CNN (src/testing/fuzz-graph.ts)
//        carried through compile, 5 s per case; also reports the peak RSS.
//        node bench/fuzz.mjs --compile [model.onnx] [cases]: the byte mutations carried through compile (32 samples
//        of examples/data/calib-256.npy), 5 s per case.
import * as fs from 'node:fs';
import { Worker } from 'node:worker_threads';

const graph = process.argv[2] === '--graph';
const compileMode = process.argv[2] === '--compile';
const args = graph || compileMode ? process.argv.slice(3) : process.argv.slice(2);
const model = graph ? 'graph mutations' : args[0] ?? new URL('../examples/lenet.onnx', import.meta.url).pathname;
const cases = Number((graph ? args[0] : args[1]) ?? 10000);
const TIMEOUT_MS = graph || compileMode ? 5000 : 2000;
let peakRss = 0;
const workerUrl = new URL('./fuzz-worker.mjs', import.meta.url);

const stats = { loaded: 0, diagnostic: 0, crash: 0, hang: 0, maxMs: 0 };
const codes = {};
const failures = [];
let next = 1;

function startWorker() {
  return new Promise((resolve) => {
    const w = new Worker(workerUrl, { workerData: { model, graph, compile: compileMode } });
    let timer;
    const arm = () => { clearTimeout(timer); timer = setTimeout(() => { stats.hang++; failures.push({ seed: next, kind: 'hang' }); next++; w.terminate(); }, TIMEOUT_MS); };
    w.on('message', (m) => {
      const o = m.outcome;
      stats[o.result]++;
      stats.maxMs = Math.max(stats.maxMs, o.ms);
      peakRss = Math.max(peakRss, m.rss ?? 0);
      if (o.code) codes[o.code] = (codes[o.code] ?? 0) + 1;
      if (o.result === 'crash') failures.push({ seed: m.seed, kind: m.kind, error: o.error.split('\n')[0] });
      next = m.seed + 1;
      if (next > cases) { clearTimeout(timer); w.terminate(); return; }
      arm();
      w.postMessage(next);
    });
    w.on('exit', () => { clearTimeout(timer); resolve(); });
    arm();
    w.postMessage(next);
  });
}

const t0 = performance.now();
while (next <= cases) await startWorker();
const secs = ((performance.now() - t0) / 1000).toFixed(1);
console.log(`fuzz ${model}: ${cases} cases in ${secs} s`);
console.log(`loaded ${stats.loaded}, diagnostic ${stats.diagnostic}, crashes ${stats.crash}, hangs ${stats.hang}, slowest ${stats.maxMs.toFixed(0)} ms`);
console.log(`diagnostic codes: ${JSON.stringify(codes)}; peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MB`);
for (const f of failures.slice(0, 20)) console.log(`  seed ${f.seed} ${f.kind}: ${f.error ?? 'timeout'}`);
process.exitCode = stats.crash + stats.hang > 0 ? 1 : 0;
