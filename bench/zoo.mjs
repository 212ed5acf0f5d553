// bench/zoo: the standard CNNs of examples/zoo/export.py at full width (seeded random weights, BN kept for the compiler
// to fold): compile time, peak RSS, logits SQNR against float and top-1 agreement with float, one fresh process per row.
// Usage: npm run build && [TERMS=2] [TEST=16] [LIMIT=600] nice node bench/zoo.mjs [ROW...]   (rows: resnet18, mobilenetv2, mobilenetv3small, unet,
// each with a -norecover variant; default all). Needs /usr/bin/python3 with torch and onnx (SHIFTADDC_PYTHON).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(new URL('.', import.meta.url).pathname, '..');
const PYTHON = process.env.SHIFTADDC_PYTHON ?? '/usr/bin/python3';
const CACHE = path.join(os.tmpdir(), 'shiftaddc-zoo-bench');
const TEST = Number(process.env.TEST ?? 16);
const TERMS = Number(process.env.TERMS ?? 2);
// A row that has not finished after LIMIT seconds (wall, including the evaluation on TEST images) is reported as such.
const LIMIT = Number(process.env.LIMIT ?? 600);

// Calibration counts: ResNet-18 32x32 with 64 images is the target; the 224x224 MobileNets take 16.
const MODELS = {
  resnet18: { size: 32, calib: 64, params: 11681832 },
  mobilenetv2: { size: 224, calib: 16, params: 3504872 },
  mobilenetv3small: { size: 224, calib: 16, params: 2542856 },
  unet: { size: 64, calib: 16, params: 491458 },
};

// The child: one compile of one model, prints a JSON line.
if (process.argv[2] === '--child') {
  const [, , , dir, calibN, recover, terms] = process.argv;
  const { compile, loadModel, readNpy, runFloat, runInteger, quantizeInput, dequantizeOutput } = await import('../dist/index.js');
  const npy = (f) => readNpy(new Uint8Array(fs.readFileSync(path.join(dir, f))));
  const all = npy('calib.npy');
  const per = all.data.length / all.shape[0];
  const rows = (a, b) => ({ dtype: 'float32', shape: [b - a, ...all.shape.slice(1)], data: all.data.slice(a * per, b * per) });
  const g = loadModel(path.join(dir, 'model.onnx'));
  const nc = Number(calibN);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const res = compile(g, { calibration: [rows(0, nc)], terms: Number(terms ?? 2), recover: recover === '1' });
  const wall = (performance.now() - t0) / 1000;
  const cpu = (process.cpuUsage(cpu0).user + process.cpuUsage(cpu0).system) / 1e6;
  const rss = process.resourceUsage().maxRSS / 1024; // MB (maxRSS is in KB)
  const vin = res.graph.values[res.graph.inputs[0]];
  const fracOut = res.graph.values[res.graph.outputs[0]].quant.frac;
  let sig = 0;
  let noise = 0;
  let same = 0;
  let total = 0;
  for (let k = nc; k < all.shape[0]; k++) {
    const x = rows(k, k + 1);
    const f = runFloat(g, [x])[0];
    const q = dequantizeOutput(runInteger(res.graph, [quantizeInput(x, vin.quant.frac, 8)])[0], fracOut);
    for (let i = 0; i < f.data.length; i++) { sig += f.data[i] ** 2; noise += (f.data[i] - q.data[i]) ** 2; }
    // Top-1 over the classes: per image for the classifiers, per pixel for the UNet ([1, C, H, W] output).
    const c = f.shape[1];
    const px = f.data.length / c;
    for (let p = 0; p < px; p++) {
      let a = 0;
      let b = 0;
      for (let j = 1; j < c; j++) {
        if (f.data[j * px + p] > f.data[a * px + p]) a = j;
        if (q.data[j * px + p] > q.data[b * px + p]) b = j;
      }
      if (a === b) same++;
      total++;
    }
  }
  console.log(JSON.stringify({ wall, cpu, rss, sqnr: 10 * Math.log10(sig / noise), top1: same / total, layers: res.report.layers.length, mults: res.report.totals.multiplies }));
  process.exit(0);
}

const exportModel = (model, size, n) => {
  const dir = path.join(CACHE, `${model}-${size}-${n}`);
  if (!fs.existsSync(path.join(dir, 'done'))) {
    const r = spawnSync(PYTHON, [path.join(root, 'examples/zoo/export.py'), model, '--size', String(size), '--calib', String(n), '--out', dir], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`export.py ${model} failed:\n${r.stderr}`);
    fs.writeFileSync(path.join(dir, 'done'), '');
  }
  return dir;
};

const rowsWanted = process.argv.slice(2);
const all = Object.keys(MODELS).flatMap((m) => [m, `${m}-norecover`]);
const todo = rowsWanted.length ? rowsWanted : all;
console.log(`# bench/zoo.mjs: examples/zoo/export.py models at width 1, --terms ${TERMS}, one fresh process each; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} on ${os.cpus().length} CPUs`);
console.log(`# SQNR and top-1 agreement (per pixel for the UNet) against the float model on ${TEST} further random N(0,1) images`);
console.log('# params: PyTorch parameter count (BN included); wall/cpu: the compile call alone (cpu: user + system of the process, all threads)');
console.log('model              size  params      calib  recovery  wall s   cpu s    peak RSS  SQNR dB  top-1 agree  multiplies');
for (const row of todo) {
  const model = row.replace(/-norecover$/, '');
  const m = MODELS[model];
  if (!m) throw new Error(`unknown row ${row}: ${all.join(', ')}`);
  const dir = exportModel(model, m.size, m.calib + TEST);
  const head = `${model.padEnd(18)} ${String(m.size).padEnd(5)} ${String(m.params).padEnd(11)} ${String(m.calib).padEnd(6)} ${(row.endsWith('-norecover') ? 'off' : 'default').padEnd(9)}`;
  const t0 = performance.now();
  const child = spawnSync(process.execPath, ['--max-old-space-size=8192', new URL(import.meta.url).pathname, '--child', dir, String(m.calib), row.endsWith('-norecover') ? '0' : '1', String(TERMS)], { encoding: 'utf8', maxBuffer: 1 << 26, timeout: LIMIT * 1000, killSignal: 'SIGKILL' });
  if (child.status !== 0) {
    const why = child.signal ? `timeout: no result in ${LIMIT} s` : `failed: ${child.stderr.trim().split('\n').slice(-1)[0]}`;
    console.log(`${head} ${((performance.now() - t0) / 1000).toFixed(1).padEnd(8)} -        -         -        -            ${why}`);
    continue;
  }
  const r = JSON.parse(child.stdout);
  console.log(`${head} ${r.wall.toFixed(1).padEnd(8)} ${r.cpu.toFixed(1).padEnd(8)} ${(r.rss / 1024).toFixed(2).padStart(5)} GB  ${r.sqnr.toFixed(1).padEnd(8)} ${(100 * r.top1).toFixed(1).padStart(5)}%       ${r.mults}`);
}
