// bench/accuracy: float vs shift-add top-1 of every example model at K=1, 1.5, 2, 3, with and without recovery.
// Each model's results go to bench/results/accuracy-NAME.json; `--table` merges them into examples/README.md.
// Usage: /usr/bin/python3 examples/prepare_data.py && npm run build
//        node bench/accuracy.mjs lenet resnet & node bench/accuracy.mjs dwsep squeeze; node bench/accuracy.mjs --table
import * as fs from 'node:fs';
import * as path from 'node:path';
import { compile, loadModel, readNpy, runFloat, runShift } from '../dist/index.js';

const root = path.resolve(new URL('.', import.meta.url).pathname, '..');
const ex = path.join(root, 'examples');
const out = path.join(root, 'bench', 'results');
const models = JSON.parse(fs.readFileSync(path.join(ex, 'models.json'), 'utf8'));
const flags = process.argv.slice(2).filter((a) => a.startsWith('--'));
const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const tableOnly = flags.includes('--table');
// --configs=LABEL,LABEL runs a subset (e.g. to split one model over two processes); parts merge in --table.
const subset = flags.find((f) => f.startsWith('--configs='))?.slice('--configs='.length).split(',');
const part = subset ? `.${subset.join('+').replace(/[^A-Za-z0-9+.=-]/g, '_')}` : '';

const CONFIGS = [
  { label: 'K=1', opts: { terms: 1 } },
  { label: 'K=1 no-recover', opts: { terms: 1, recover: false } },
  { label: 'A=1.5', opts: { terms: 2, avgTerms: 1.5 } },
  { label: 'K=2', opts: { terms: 2 } },
  { label: 'K=2 no-recover', opts: { terms: 2, recover: false } },
  { label: 'K=3', opts: { terms: 3 } },
  { label: 'K=3 no-recover', opts: { terms: 3, recover: false } },
];

function top1(t, labels) {
  const n = labels.data.length;
  const c = t.data.length / n;
  const pred = new Int32Array(n);
  let ok = 0;
  for (let i = 0; i < n; i++) {
    let b = 0;
    for (let j = 1; j < c; j++) if (t.data[i * c + j] > t.data[i * c + b]) b = j;
    pred[i] = b;
    if (b === labels.data[i]) ok++;
  }
  return { acc: ok / n, pred };
}

if (!tableOnly) {
  const read = (f) => readNpy(new Uint8Array(fs.readFileSync(path.join(ex, 'data', f))));
  const data = read('test-images.npy');
  const labels = read('test-labels.npy');
  const calib = read('calib-256.npy');
  fs.mkdirSync(out, { recursive: true });
  for (const name of args.length ? args : Object.keys(models)) {
    const graph = loadModel(path.join(ex, models[name].file));
    const fl = top1(runFloat(graph, [data])[0], labels);
    const res = { float: fl.acc, configs: {} };
    for (const c of CONFIGS.filter((x) => !subset || subset.includes(x.label))) {
      const t0 = performance.now();
      const compiled = compile(graph, { calibration: [calib], ...c.opts });
      const seconds = (performance.now() - t0) / 1000;
      const sh = top1(runShift(compiled, [data])[0], labels);
      let agree = 0;
      for (let i = 0; i < sh.pred.length; i++) if (sh.pred[i] === fl.pred[i]) agree++;
      const L = compiled.report.layers;
      const tpw = L.reduce((s, l) => s + l.termsPerWeight * l.weights, 0) / L.reduce((s, l) => s + l.weights, 0);
      res.configs[c.label] = { top1: sh.acc, drop: fl.acc - sh.acc, agreement: agree / sh.pred.length, seconds, termsPerWeight: tpw };
      console.log(`${name} ${c.label}: float ${(100 * fl.acc).toFixed(2)} shift ${(100 * sh.acc).toFixed(2)} drop ${(100 * (fl.acc - sh.acc)).toFixed(2)} agree ${(100 * agree / sh.pred.length).toFixed(2)} terms/w ${tpw.toFixed(2)} compile ${seconds.toFixed(2)} s`);
    }
    fs.writeFileSync(path.join(out, `accuracy-${name}${part}.json`), `${JSON.stringify(res, null, 2)}\n`);
  }
  process.exit(0);
}

const results = {};
for (const name of Object.keys(models)) {
  for (const f of fs.readdirSync(out).filter((x) => x.startsWith(`accuracy-${name}.`) && x.endsWith('.json'))) {
    const r = JSON.parse(fs.readFileSync(path.join(out, f), 'utf8'));
    results[name] = { float: r.float, configs: { ...results[name]?.configs, ...r.configs } };
  }
}
const pct = (x) => (100 * x).toFixed(2);
const lines = [
  `Top-1 on the 10,000 Fashion-MNIST test images; calibration on 256 training images; int8 activations`,
  `(per-channel fracs where every consumer is a weight layer), B=4 exponent bits. Recovery = exponent search`,
  `on output error, error-aware rounding, bias refit and a 3-digit (K=1: 4) per-channel shift-add gain (searched on a`,
  `grid for rows of <= 100 weights); A=1.5 spreads the 1.5 terms/weight budget over layers (allocate-terms).`,
  `Each cell: shift-add top-1 % (drop from float in points) [compile seconds, on a shared 2-core machine].`,
  '',
  `| model | float | ${CONFIGS.map((c) => c.label).join(' | ')} |`,
  `| --- | ---: | ${CONFIGS.map(() => '---:').join(' | ')} |`,
  ...Object.entries(results).map(([name, r]) => `| ${name} | ${pct(r.float)} | ${CONFIGS.map((c) => `${pct(r.configs[c.label].top1)} (${(100 * r.configs[c.label].drop).toFixed(2)}) [${r.configs[c.label].seconds.toFixed(1)}]`).join(' | ')} |`),
  '',
  `Recovery gain (points of top-1 recovered by label-free recovery): ${Object.entries(results).map(([name, r]) => `${name} K=1 ${(100 * (r.configs['K=1'].top1 - r.configs['K=1 no-recover'].top1)).toFixed(2)}, K=2 ${(100 * (r.configs['K=2'].top1 - r.configs['K=2 no-recover'].top1)).toFixed(2)}`).join('; ')}.`,
  '',
  `Generated by \`node bench/accuracy.mjs\` on ${new Date().toISOString().slice(0, 10)}.`,
];
{
  const readme = path.join(ex, 'README.md');
  const text = fs.readFileSync(readme, 'utf8');
  const start = '<!-- accuracy:start -->';
  const end = '<!-- accuracy:end -->';
  const block = `${start}\n${lines.join('\n')}\n${end}`;
  fs.writeFileSync(readme, text.includes(start) ? text.replace(new RegExp(`${start}[\\s\\S]*${end}`), block) : `${text.trimEnd()}\n\n## Shift-add accuracy\n\n${block}\n`);
}
console.log(lines.join('\n'));
