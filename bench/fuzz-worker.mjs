// Worker for bench/fuzz: mutates and loads one case per message so the parent can time out hangs.
import * as fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { loadOutcome, mutate } from '../dist/testing/fuzz.js';
import { compileOutcome, mutateGraph } from '../dist/testing/fuzz-graph.js';

const base = workerData.graph ? undefined : new Uint8Array(fs.readFileSync(workerData.model));
parentPort.on('message', (seed) => {
  const { bytes, kind } = base ? mutate(base, seed) : mutateGraph(seed);
  const outcome = base ? loadOutcome(bytes) : compileOutcome(bytes);
  parentPort.postMessage({ seed, kind, outcome, rss: process.memoryUsage().rss });
});
