#!/usr/bin/env node
// CLI entry: runs the CLI (the esbuild bundle dist/shiftaddc.mjs) in a worker thread, so that SIGINT/SIGTERM are
// answered at once even while a compile runs synchronous code: the worker is stopped, its staged outputs removed.
import * as fs from 'node:fs';
import { Worker } from 'node:worker_threads';

const argv = process.argv.slice(2);

// --debug prints stack traces: map them through the bundle's source map to src/*.ts lines (only then: it costs).
if (argv.includes('--debug')) process.setSourceMapsEnabled(true);

// A closed pipe (e.g. `| head`) ends output quietly instead of crashing with EPIPE.
process.stdout.on('error', (e) => { if (e.code === 'EPIPE') process.exit(0); throw e; });

// Shared with the worker: [0] 0 idle, 1 a commit is moving files into place, 2 stopping (no commit may start);
// [1] commits completed.
const control = new Int32Array(new SharedArrayBuffer(8));
const worker = new Worker(new URL('./shiftaddc-worker.js', import.meta.url), {
  workerData: { argv, control, stderrTTY: Boolean(process.stderr.isTTY), columns: process.stderr.columns ?? 80 },
});

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
