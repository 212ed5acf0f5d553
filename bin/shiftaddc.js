#!/usr/bin/env node
// CLI entry: runs the CLI (the esbuild bundle dist/shiftaddc.mjs) in a worker thread, so that SIGINT/SIGTERM are
// answered at once even while a compile runs synchronous code: the worker is stopped, its staged outputs removed.
import * as fs from 'node:fs';
import * as v8 from 'node:v8';
import { Worker } from 'node:worker_threads';

const argv = process.argv.slice(2);

// --debug prints stack traces: map them through the bundle's source map to src/*.ts lines (only then: it costs).
if (argv.includes('--debug')) process.setSourceMapsEnabled(true);

// A closed pipe (e.g. `| head`) ends output quietly instead of crashing with EPIPE.
process.stdout.on('error', (e) => { if (e.code === 'EPIPE') process.exit(0); throw e; });

// Shared with the worker: [0] 0 idle, 1 a commit is moving files into place, 2 stopping (no commit may start);
// [1] commits completed.
const control = new Int32Array(new SharedArrayBuffer(8));
// The worker's last progress mark: [0..4) its byte length, then UTF-8 (see shiftaddc-worker.js).
const mark = new SharedArrayBuffer(4 + 1024);
const worker = new Worker(new URL('./shiftaddc-worker.js', import.meta.url), {
  workerData: { argv, control, mark, stderrTTY: Boolean(process.stderr.isTTY), columns: process.stderr.columns ?? 80 },
});

/** What the worker was doing when it stopped, from its last mark: `recover conv5 (Conv) 120/512` or ''. */
function lastMark() {
  const n = Atomics.load(new Int32Array(mark, 0, 1), 0);
  return new TextDecoder().decode(new Uint8Array(mark, 4, n).slice()).replace(/[^\x20-\x7e]/g, '?');
}

/** What to try for an out-of-memory stop in a stage: the working set of each stage grows with different things. */
function memoryHint(stage) {
  const heap = `or give Node more heap (NODE_OPTIONS=--max-old-space-size=MB; now ${Math.round(v8.getHeapStatistics().heap_size_limit / 2 ** 20)} MB)`;
  if (/^(calibrate|lower|recover)/.test(stage)) return `use fewer calibration images (--calibrate), --no-recover or fewer terms (--terms 1), ${heap}`;
  if (/^emit/.test(stage)) return `prune the model (--prune 0.9), use fewer terms (--terms 1), ${heap}`;
  return `use a smaller model or fewer calibration images, ${heap}`;
}

/** Staging folders the worker has open (removed when a signal stops it). */
const stages = new Set();
let signal = null;
let code = null;

/** Stops the worker once no commit runs: a running commit (a few renames) finishes, so outputs are all old or all new. */
function stop() {
  if (Atomics.compareExchange(control, 0, 0, 2) !== 0) { setTimeout(stop, 5); return; }
  worker.terminate().then(() => {
    for (const s of stages) fs.rmSync(s, { recursive: true, force: true });
    const kept = Atomics.load(control, 1) > 0 ? 'the outputs written before it were kept' : 'no output was changed';
    process.stderr.write(`${process.stderr.isTTY ? '\n' : ''}shiftaddc: interrupted by ${signal}; ${kept}\n`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  });
}

worker.on('message', (m) => {
  if (m.kind === 'stage') stages.add(m.path);
  else if (m.kind === 'unstage') stages.delete(m.path);
  else if (m.kind === 'exit') code = m.code;
});
worker.on('error', (e) => {
  if (e?.code === 'ERR_WORKER_OUT_OF_MEMORY') {
    // The V8 heap limit stopped the worker mid-compile: no partial output stays, and the user learns where and what to do.
    for (const s of stages) fs.rmSync(s, { recursive: true, force: true });
    const stage = lastMark();
    process.stderr.write(`${process.stderr.isTTY ? '\n' : ''}shiftaddc: error SAC025: out of memory: the JavaScript heap is full${stage ? ` (at ${stage})` : ''}; ${memoryHint(stage)}\n`);
    code = 1;
    return;
  }
  process.stderr.write(`shiftaddc: internal error: ${e?.message ?? String(e)}; rerun with --debug and report it\n`);
  if (argv.includes('--debug')) process.stderr.write(`${e?.stack}\n`);
  code = 2;
});
worker.on('exit', () => { if (!signal) process.exitCode = code ?? 2; });

for (const s of ['SIGINT', 'SIGTERM']) {
  process.on(s, () => {
    if (signal) return;
    signal = s;
    stop();
  });
}
