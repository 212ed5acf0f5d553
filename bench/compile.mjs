// bench/compile: compile time (LeNet-size target < 1 s; light/resnet50 lowering target < 10 s) and integer-interpreter
// throughput against the float interpreter measured in the same run. Every compile time is the FIRST compile of a
// fresh Node process (V8 has not optimised anything yet: what a CLI run or a build step pays), the median of RUNS
// processes; beside it the main thread's CPU time (wall time on a shared machine includes waiting for a CPU) and a
// warm compile (the third in one process). `shiftaddc compile` adds process start, module loading (bin/shiftaddc.js runs
// the one-file bundle dist/shiftaddc.mjs) and output.
// Usage: npm run build && node bench/compile.mjs            (RUNS=5 by default)
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(new URL('.', import.meta.url).pathname, '..');
const ex = path.join(root, 'examples');
const RUNS = Number(process.env.RUNS ?? 5);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// The child: one model, one K; prints JSON of the first (cold) and third (warm) compile of the process.
if (process.argv[2] === '--child') {
  const [, , , file, terms, extra] = process.argv;
  const { compile, loadModel, readNpy } = await import('../dist/index.js');
  // CPU time of this thread only: /proc/thread-self/schedstat's first field (ns on CPU), where available.
  const mainCpu = () => { try { return Number(fs.readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e9; } catch { return NaN; } };
  const light = extra === 'light';
  const g = loadModel(file);
  let calib;
  if (light) {
    const shape = g.values[g.inputs[0]].type.shape;
    const n = shape.reduce((a, b) => a * b, 1);
    // The backend data's own input convention: arange(n)/n, one calibration sample.
    calib = { dtype: 'float32', shape, data: Float32Array.from({ length: n }, (_, i) => i / n) };
  } else calib = readNpy(new Uint8Array(fs.readFileSync(path.join(ex, 'data', 'calib-256.npy'))));
  const opts = { calibration: [calib], terms: Number(terms), ...(light ? { recover: false } : {}) };
  const runs = [];
  for (let i = 0; i < (light ? 1 : 3); i++) {
    const t0 = performance.now();
    const c0 = mainCpu();
    const r = compile(g, opts);
    runs.push({ wall: (performance.now() - t0) / 1000, cpu: mainCpu() - c0, layers: r.report.layers.length });
  }
  console.log(JSON.stringify({ cold: runs[0], warm: runs[runs.length - 1] }));
  process.exit(0);
}

const child = (file, terms, extra = '') => JSON.parse(execFileSync(process.execPath, [new URL(import.meta.url).pathname, '--child', file, String(terms), extra], { encoding: 'utf8' }));
const coldStats = (file, terms, runs = RUNS, extra = '') => {
  const rs = Array.from({ length: runs }, () => child(file, terms, extra));
  return { wall: median(rs.map((r) => r.cold.wall)), cpu: median(rs.map((r) => r.cold.cpu)), warm: median(rs.map((r) => r.warm.wall)), layers: rs[0].cold.layers };
};
const fmt = (s) => `${s.wall.toFixed(2)} (${s.cpu.toFixed(2)}) ${s.warm.toFixed(2)}`;

const { loadModel, readNpy, runFloat, runInteger, quantizeInput, compile } = await import('../dist/index.js');
const calib = readNpy(new Uint8Array(fs.readFileSync(path.join(ex, 'data', 'calib-256.npy'))));
const models = JSON.parse(fs.readFileSync(path.join(ex, 'models.json'), 'utf8'));

console.log(`load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} on ${os.cpus().length} CPUs; ${RUNS} fresh processes per cell`);
console.log('compile: first compile of a fresh process, median wall s (main-thread cpu s) and a warm compile\'s wall s');
console.log('model      compile K=1 (s)       compile K=2 (s)       int interp ms/img  float interp ms/img  int/float');
for (const [name, info] of Object.entries(models)) {
  const file = path.join(ex, info.file);
  const k1 = coldStats(file, 1);
  const k2 = coldStats(file, 2);
  const g = loadModel(file);
  const c2 = compile(g, { calibration: [calib], terms: 2 });
  const n = calib.shape[0];
  const q = quantizeInput(calib, c2.report.inputFrac[0], 8);
  // Each interpreter once to warm up, then timed.
  runInteger(c2.graph, [q]);
  runFloat(g, [calib]);
  let t0 = performance.now();
  runInteger(c2.graph, [q]);
  const ti = (performance.now() - t0) / 1000;
  t0 = performance.now();
  runFloat(g, [calib]);
  const tf = (performance.now() - t0) / 1000;
  console.log(`${name.padEnd(10)} ${fmt(k1).padStart(17)}  ${fmt(k2).padStart(19)}  ${(1000 * ti / n).toFixed(3).padStart(17)}  ${(1000 * tf / n).toFixed(3).padStart(19)}  ${(ti / tf).toFixed(2).padStart(9)}`);
}

// The command line end to end: process start, module loading, ONNX and .npy reading, compile, IR and report writing.
{
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'shiftaddc-bench-'));
  const walls = Array.from({ length: RUNS }, () => {
    const t0 = performance.now();
    execFileSync(process.execPath, [path.join(root, 'bin', 'shiftaddc.js'), 'compile', path.join(ex, 'lenet.onnx'), '--calibrate', path.join(ex, 'data', 'calib-256.npy'), '-o', out], { stdio: 'ignore' });
    return (performance.now() - t0) / 1000;
  });
  fs.rmSync(out, { recursive: true, force: true });
  console.log(`shiftaddc compile examples/lenet.onnx (K=2, whole process): median ${median(walls).toFixed(2)} s wall`);
}

const light = path.resolve(root, '..', 'shared', 'onnx-backend-data', 'light', 'light_resnet50.onnx');
if (fs.existsSync(light)) {
  const s = coldStats(light, 1, 1, 'light');
  console.log(`light/resnet50: lowered (${s.layers} shift layers, 1 calibration sample, --no-recover) in ${s.wall.toFixed(2)} s, ${s.cpu.toFixed(2)} s main-thread cpu (target < 10 s)`);
}
