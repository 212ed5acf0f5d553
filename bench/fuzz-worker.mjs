// Worker for bench/fuzz: mutates and loads one case per message so the parent can time out hangs.
import * as fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { loadOutcome, mutate } from '../dist/testing/fuzz.js';

const base = new Uint8Array(fs.readFileSync(workerData.model));
parentPort.on('message', (seed) => {
  const { bytes, kind } = mutate(base, seed);
  parentPort.postMessage({ seed, kind, outcome: loadOutcome(bytes) });
});
