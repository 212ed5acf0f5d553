// CLI worker: runs the bundled CLI's main() and links its output transactions to bin/shiftaddc.js (stages, commit gate).
import { parentPort, workerData } from 'node:worker_threads';

if (workerData.argv.includes('--debug')) process.setSourceMapsEnabled(true);
// A worker's stderr is a pipe to the main thread: tell the progress line what the real stderr is.
if (workerData.stderrTTY) Object.assign(process.stderr, { isTTY: true, columns: workerData.columns });

// control[0]: 0 idle, 1 committing (set here), 2 stopping (set by the main thread on a signal); control[1]: commits done.
const control = workerData.control;
const { main, observeOutputs } = await import('../dist/shiftaddc.mjs');
observeOutputs((event) => parentPort.postMessage(event), {
  enter: () => Atomics.compareExchange(control, 0, 0, 1) === 0,
  leave: () => { Atomics.add(control, 1, 1); Atomics.compareExchange(control, 0, 1, 0); },
});
const code = await main(workerData.argv);
parentPort.postMessage({ kind: 'exit', code });
