// CLI worker: runs the bundled CLI's main() and links its output transactions to bin/shiftaddc.js (stages, commit gate).
import { parentPort, workerData } from 'node:worker_threads';

if (workerData.argv.includes('--debug')) process.setSourceMapsEnabled(true);
// A worker's stderr is a pipe to the main thread: tell the progress line what the real stderr is.
if (workerData.stderrTTY) Object.assign(process.stderr, { isTTY: true, columns: workerData.columns });

// control[0]: 0 idle, 1 committing (set here), 2 stopping (set by the main thread on a signal); control[1]: commits done.
const control = workerData.control;
const { main, observeMarks, observeOutputs } = await import('../dist/shiftaddc.mjs');
// The last progress mark (stage, node) as UTF-8 in shared memory: after a V8 heap OOM kills this thread, the main
// thread still reads it there to say where the compile was (a message posted just before would be lost with us).
const mark = new Uint8Array(workerData.mark, 4);
const markLen = new Int32Array(workerData.mark, 0, 1);
const utf8 = new TextEncoder();
observeMarks((text) => Atomics.store(markLen, 0, utf8.encodeInto(text, mark).written));
observeOutputs((event) => parentPort.postMessage(event), {
  enter: () => Atomics.compareExchange(control, 0, 0, 1) === 0,
  leave: () => { Atomics.add(control, 1, 1); Atomics.compareExchange(control, 0, 1, 0); },
});
const code = await main(workerData.argv);
parentPort.postMessage({ kind: 'exit', code });
