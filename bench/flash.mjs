// bench/flash: weight flash of the generated C (data and packed forms) against the (1 + B)-bit ideal, int8 and float32 weights.
// Usage: npm run build && node bench/flash.mjs [model...]     (writes bench/results/flash.txt)
// Per model and configuration (K=1, K=2, A=1.5, K=2 with --prune 0.5): the weight streams of `--weights data`
// (dense (1 + B)-bit codes or sparse buckets, whichever is smaller per layer) and of `--weights packed` (Huffman
// codes per term slot, with their decode tables), the per-channel bias/shift/gain tables, the ideal of (1 + B) bits
// per stored term, and the int8 (1 byte per weight) and float32 weight bytes.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { compile, loadModel, readNpy } from '../dist/index.js';
import { emitC } from '../dist/backends/c/emit.js';

const ROOT = path.resolve(new URL('.', import.meta.url).pathname, '..');
const EX = path.join(ROOT, 'examples');
const models = process.argv.slice(2).length ? process.argv.slice(2) : ['lenet', 'resnet', 'dwsep', 'squeeze'];
const calib = readNpy(new Uint8Array(fs.readFileSync(path.join(EX, 'data', 'calib-256.npy'))));
const CONFIGS = [
  { label: 'K=1', opts: { terms: 1 } },
  { label: 'K=2', opts: { terms: 2 } },
  { label: 'A=1.5', opts: { terms: 2, avgTerms: 1.5 } },
  { label: 'K=2 prune 0.5', opts: { terms: 2, prune: 0.5 } },
];

const lines = [
  '# Weight flash of the C backend, B=4, calib-256: --weights data (dense/sparse streams) and --weights packed (Huffman)',
  '# data = dense/sparse weight streams + tap offset tables; packed = Huffman streams + their decode tables (codes) + tap',
  '#   offset tables (everything the packed layers read besides bias/shift/gain); ideal = stored terms * (1 + B) bits;',
  '#   params = bias (int32), shift (int8) and gain digits (int8) per channel, the same in both forms (not in data/packed);',
  '#   int8 = 1 byte per weight, float32 = 4 bytes per weight; /int8 and /f32 are of the packed bytes',
  '',
  `${'model'.padEnd(8)} ${'config'.padEnd(14)} ${'terms/w'.padStart(7)} ${'ideal B'.padStart(8)} ${'data B'.padStart(8)} ${'/ideal'.padStart(7)} ${'packed B'.padStart(9)} ${'codes B'.padStart(8)} ${'/ideal'.padStart(7)} ${'params B'.padStart(9)} ${'int8 B'.padStart(7)} ${'/int8'.padStart(6)} ${'float32 B'.padStart(10)} ${'/f32'.padStart(6)}`,
];
for (const name of models) {
  const g = loadModel(path.join(EX, `${name}.onnx`));
  for (const c of CONFIGS) {
    const res = compile(g, { calibration: [calib], ...c.opts });
    const data = emitC(res.graph, { name, weights: 'data' }).flash;
    const { flash } = emitC(res.graph, { name, weights: 'packed' });
    if (flash.idealBytes !== data.idealBytes) throw new Error(`${name} ${c.label}: ideal differs between forms`);
    const weights = res.report.totals.int8WeightBytes;
    const packed = flash.weightBytes;
    const codes = flash.layers.reduce((p, l) => p + (l.tableBytes ?? 0), 0);
    const cols = [
      name.padEnd(8), c.label.padEnd(14), (flash.terms / weights).toFixed(2).padStart(7), String(flash.idealBytes).padStart(8),
      String(data.weightBytes).padStart(8), `${(data.weightBytes / flash.idealBytes).toFixed(3)}x`.padStart(7),
      String(packed).padStart(9), String(codes).padStart(8), `${(packed / flash.idealBytes).toFixed(3)}x`.padStart(7), String(flash.paramBytes).padStart(9),
      String(weights).padStart(7), `${(packed / weights).toFixed(2)}x`.padStart(6), String(4 * weights).padStart(10), `${(packed / (4 * weights)).toFixed(3)}x`.padStart(6),
    ];
    lines.push(cols.join(' '));
    console.log(cols.join(' '));
  }
}
const dest = path.join(ROOT, 'bench/results/flash.txt');
fs.writeFileSync(dest, `${lines.join('\n')}\n`);
console.log(`-> ${path.relative(ROOT, dest)}`);
