// bench/compile: end-to-end compile time (LeNet-size target < 1 s; light/resnet50 lowering target < 10 s) and
// integer-interpreter throughput against the float interpreter, measured in the same run. Compile times
// are wall clock, with this process's CPU time beside them (on a shared machine wall time includes waiting).
// Usage: npm run build && node bench/compile.mjs
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { compile, loadModel, readNpy, runFloat, runInteger, quantizeInput } from '../dist/index.js';

const root = path.resolve(new URL('.', import.meta.url).pathname, '..');
const ex = path.join(root, 'examples');
const calib = readNpy(new Uint8Array(fs.readFileSync(path.join(ex, 'data', 'calib-256.npy'))));
const models = JSON.parse(fs.readFileSync(path.join(ex, 'models.json'), 'utf8'));
const time = (f) => { const t0 = performance.now(); const r = f(); return [r, (performance.now() - t0) / 1000]; };
const cpuTime = (f) => {
  const c0 = process.cpuUsage();
  const [r, t] = time(f);
  const c = process.cpuUsage(c0);
  return [r, t, (c.user + c.system) / 1e6];
};
const pair = (wall, cpu) => `${wall.toFixed(2)} (${cpu.toFixed(2)})`;

console.log(`load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} on ${os.cpus().length} CPUs; compile: wall s (cpu s)`);
console.log('model      compile K=1 (s)  compile K=2 (s)  int interp ms/img  float interp ms/img  int/float');
for (const [name, info] of Object.entries(models)) {
  const g = loadModel(path.join(ex, info.file));
  const [, t1, u1] = cpuTime(() => compile(g, { calibration: [calib], terms: 1 }));
  const [c2, t2, u2] = cpuTime(() => compile(g, { calibration: [calib], terms: 2 }));
  const n = 256;
  const q = quantizeInput(calib, c2.report.inputFrac[0], 8);
  const [, ti] = time(() => runInteger(c2.graph, [q]));
  const [, tf] = time(() => runFloat(g, [calib]));
  console.log(`${name.padEnd(10)} ${pair(t1, u1).padStart(15)}  ${pair(t2, u2).padStart(15)}  ${(1000 * ti / n).toFixed(3).padStart(17)}  ${(1000 * tf / n).toFixed(3).padStart(19)}  ${(ti / tf).toFixed(2).padStart(9)}`);
}

const light = path.resolve(root, '..', 'shared', 'onnx-backend-data', 'light', 'light_resnet50.onnx');
if (fs.existsSync(light)) {
  const g = loadModel(light);
  const shape = g.values[g.inputs[0]].type.shape;
  const n = shape.reduce((a, b) => a * b, 1);
  // The backend data's own input convention: arange(n)/n, one calibration sample.
  const x = { dtype: 'float32', shape, data: Float32Array.from({ length: n }, (_, i) => i / n) };
  const [r, t, u] = cpuTime(() => compile(g, { calibration: [x], terms: 1, recover: false }));
  console.log(`light/resnet50: lowered (${r.report.layers.length} shift layers, 1 calibration sample, --no-recover) in ${t.toFixed(2)} s, ${u.toFixed(2)} s cpu (target < 10 s)`);
}
