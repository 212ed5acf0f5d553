// Worker for bench/fuzz: mutates and loads one case per message so the parent can time out hangs.
import * as fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { loadOutcome, mutate } from '../dist/testing/fuzz.js';
import { compileOutcome, mutateGraph } from '../dist/testing/fuzz-graph.js';
import { readNpy } from '../dist/io/npy.js';

const base = workerData.graph ? undefined : new Uint8Array(fs.readFileSync(workerData.model));
let calib;
if (workerData.compile) {
  const all = readNpy(new Uint8Array(fs.readFileSync(new URL('../examples/data/calib-256.npy', import.meta.url))));
  const per = all.data.length / all.shape[0];
  calib = { ...all, shape: [32, ...all.shape.slice(1)], data: all.data.slice(0, 32 * per) };
}
parentPort.on('message', (seed) => {
  const { bytes, kind } = base ? mutate(base, seed) : mutateGraph(seed);
  const outcome = !base ? compileOutcome(bytes) : calib ? compileOutcome(bytes, calib) : loadOutcome(bytes);
  parentPort.postMessage({ seed, kind, outcome, rss: process.memoryUsage().rss });
});
