// bench/pair-mode: --mode shiftadd (ShiftAddNet pairs, label-free) against shift mode and float on the examples:
// top-1 on the 10,000 Fashion-MNIST test images, energy per inference (45 nm units, src/codegen/energy.ts), compile time.
// Usage: /usr/bin/python3 examples/prepare_data.py && npm run build && nice -n 10 node bench/pair-mode.mjs [model...]
// Writes bench/results/pair-mode-NAME.json per model and the table bench/results/pair-mode.txt from all of them.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { compile, loadModel, readNpy, runFloat, runShift } from '../dist/index.js';
import { loweredEnergy } from '../dist/codegen/energy.js';

const root = path.resolve(new URL('.', import.meta.url).pathname, '..');
const ex = path.join(root, 'examples');
const out = path.join(root, 'bench', 'results');
const models = JSON.parse(fs.readFileSync(path.join(ex, 'models.json'), 'utf8'));
const read = (f) => readNpy(new Uint8Array(fs.readFileSync(path.join(ex, 'data', f))));

function top1(t, labels) {
  const n = labels.data.length;
  const c = t.data.length / n;
  let ok = 0;
  for (let i = 0; i < n; i++) {
    let b = 0;
    for (let j = 1; j < c; j++) if (t.data[i * c + j] > t.data[i * c + b]) b = j;
    if (b === Number(labels.data[i])) ok++;
  }
  return ok / n;
}

const names = process.argv.slice(2);
if (names.length) {
  const data = read('test-images.npy');
  const labels = read('test-labels.npy');
  const calib = read('calib-256.npy');
  for (const name of names) {
    const graph = loadModel(path.join(ex, models[name].file));
    const res = { float: top1(runFloat(graph, [data])[0], labels) };
    for (const [label, opts] of [['shift', {}], ['pair', { mode: 'shiftadd' }]]) {
      const t0 = performance.now();
      const c = compile(graph, { calibration: [calib], ...opts });
      const seconds = (performance.now() - t0) / 1000;
      const e = loweredEnergy(c.graph);
      const adders = c.report.adderLayers ?? [];
      res[label] = { top1: top1(runShift(c, [data])[0], labels), seconds, energy: e.total, adderLayers: adders.length, notes: c.report.notes };
      console.log(`${name} ${label}: top-1 ${(100 * res[label].top1).toFixed(2)} (float ${(100 * res.float).toFixed(2)}), compile ${seconds.toFixed(1)} s, ${adders.length} adder layers, energy ${e.total.shiftadd.toFixed(0)} pJ`);
    }
    fs.writeFileSync(path.join(out, `pair-mode-${name}.json`), `${JSON.stringify(res, null, 2)}\n`);
  }
}

// The table, from every pair-mode-NAME.json present. FP32 / INT8 MAC energies are of the original layers (shift mode's peers).
const rows = Object.keys(models).filter((n) => fs.existsSync(path.join(out, `pair-mode-${n}.json`)));
const pct = (x) => (100 * x).toFixed(2);
const nj = (pj) => (pj / 1000).toFixed(1);
const lines = [
  'bench/pair-mode.mjs: --mode shiftadd (shift conv -> 1x1 adder conv per convolution but the stem and the classifier, fitted',
  'label-free on the first 64 of 256 calibration images) against the default shift mode (K=2, recovery) and float.',
  'Top-1 on the 10,000 Fashion-MNIST test images (integer interpreter; C and wasm are bit-exact with it). Energy per',
  'inference in nJ, 45 nm units (src/codegen/energy.ts, total = compute + SRAM); FP32/INT8 MAC: the original layers as',
  'dense MACs. Compile: library compile() wall time on a shared 2-core machine (load average ~6 during the run).',
  '',
  '| model | float | shift K=2 | pair | pair - float | pair layers | E pair | E shift | E FP32 MAC | E INT8 MAC | compile shift | compile pair |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
];
for (const n of rows) {
  const r = JSON.parse(fs.readFileSync(path.join(out, `pair-mode-${n}.json`), 'utf8'));
  lines.push(`| ${n} | ${pct(r.float)} | ${pct(r.shift.top1)} | ${pct(r.pair.top1)} | ${(100 * (r.pair.top1 - r.float)).toFixed(2)} | ${r.pair.adderLayers} | ${nj(r.pair.energy.shiftadd)} | ${nj(r.shift.energy.shiftadd)} | ${nj(r.shift.energy.fp32)} | ${nj(r.shift.energy.int8)} | ${r.shift.seconds.toFixed(1)} s | ${r.pair.seconds.toFixed(1)} s |`);
}
fs.writeFileSync(path.join(out, 'pair-mode.txt'), `${lines.join('\n')}\n`);
console.log(lines.join('\n'));
