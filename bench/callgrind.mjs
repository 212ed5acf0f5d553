// Host instructions per inference (valgrind callgrind Ir) of our C vs an int8 MAC C and a float32 C of the same model.
//   node bench/callgrind.mjs [model...]   (after `npm run build`; writes bench/results/callgrind.txt)
// Each program is built with gcc -O2 and runs one inference on examples/data/sample.npy; --toggle-collect on the
// run function counts only the inference. Peers: bench/peers/int8-mac-c.mjs and bench/peers/float-c.mjs.
// ROWS=K2 skips the K=1 and A=1.5 rows of our compiler.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadModel, readInputFile, runFloat } from '../dist/api.js';
import { emitC } from '../dist/backends/c/emit.js';
import { compile } from '../dist/compile.js';
import { quantizeInput, runInteger } from '../dist/ir/interp-int.js';
import { readNpy } from '../dist/io/npy.js';
import { floatC } from './peers/float-c.mjs';
import { int8MacC } from './peers/int8-mac-c.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
const EX = path.join(ROOT, 'examples');
const models = process.argv.slice(2).length ? process.argv.slice(2) : ['lenet', 'resnet', 'dwsep', 'squeeze'];
// `code` unrolls every layer (--weights code): the host has no flash budget, so that is its fastest form. `data` and
// `packed` put every layer in streams (dense/sparse, or Huffman-coded): the flash-vs-instructions trade-off.
const K2 = { terms: 2 };
const K1 = { terms: 1 };
const VARIANTS = [
  { label: 'K=2', opts: K2 }, { label: 'K=2 code', opts: K2, weights: 'code' }, { label: 'K=2 data', opts: K2, weights: 'data' },
  { label: 'K=2 packed', opts: K2, weights: 'packed' }, { label: 'K=1', opts: K1 }, { label: 'K=1 data', opts: K1, weights: 'data' },
  { label: 'K=1 packed', opts: K1, weights: 'packed' }, { label: 'A=1.5', opts: { terms: 2, avgTerms: 1.5 } },
].filter((v) => process.env.ROWS !== 'K2' || v.opts === K2);
const CFLAGS = ['-O2', '-std=c99'];
const macs = Object.fromEntries(Object.entries(JSON.parse(fs.readFileSync(path.join(EX, 'models.json'), 'utf8'))).map(([k, v]) => [k, v.macs]));

if (spawnSync('valgrind', ['--version']).status !== 0) { console.error('valgrind not installed'); process.exit(1); }
const first = (cmd, args) => spawnSync(cmd, args, { encoding: 'utf8' }).stdout.split('\n')[0];
const calib = readNpy(readInputFile(path.join(EX, 'data/calib-256.npy')), 'calib');
const sample = readNpy(readInputFile(path.join(EX, 'data/sample.npy')), 'sample');
const one = { dtype: 'float32', shape: [1, ...sample.shape.slice(1)], data: sample.data.subarray(0, sample.data.length / sample.shape[0]) };
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'shiftaddc-callgrind-'));

/** A main that runs `run` once on the embedded input and prints each output element on its own line. */
function mainC(include, run, inT, outT, input, nOut) {
  const fmt = inT === 'float' ? (v) => `${Math.fround(v).toPrecision(9)}f` : String;
  return `#include <stdio.h>\n#include <stdint.h>\n${include}
static const ${inT} input[${input.length}] = {${Array.from(input, fmt).join(',')}};
static ${outT} output[${nOut}];
int main(void) {
  if (${run}(input, output)) return 1;
  for (int i = 0; i < ${nOut}; i++) printf("${outT === 'float' ? '%.9g' : '%d'}\\n", ${outT === 'float' ? '(double)' : '(int)'}output[i]);
  return 0;
}\n`;
}

/** Builds model.c (own object, so the run function is not inlined into main) + main.c; returns paths. */
function build(dir, files) {
  fs.mkdirSync(dir, { recursive: true });
  for (const [f, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), text);
  const obj = path.join(dir, 'model.o');
  const bin = path.join(dir, 'app');
  execFileSync('gcc', [...CFLAGS, '-I', dir, '-c', '-o', obj, path.join(dir, 'model.c')]);
  execFileSync('gcc', [...CFLAGS, '-I', dir, '-o', bin, path.join(dir, 'main.c'), obj]);
  return { obj, bin };
}

/** Ir of the calls to `fn` (callgrind --toggle-collect) and the program's printed outputs. */
function callgrind(bin, fn) {
  const out = `${bin}.callgrind`;
  const r = spawnSync('valgrind', ['--tool=callgrind', `--callgrind-out-file=${out}`, `--toggle-collect=${fn}`, bin], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${bin}: valgrind status ${r.status}\n${r.stderr}`);
  const ir = Number(/^summary: (\d+)/m.exec(fs.readFileSync(out, 'utf8'))?.[1]);
  if (!(ir > 0)) throw new Error(`${bin}: no callgrind summary (is ${fn} called?)`);
  return { ir, values: r.stdout.trim().split('\n').map(Number) };
}

/** Multiply instructions (x86 mul/imul/mulx, SSE/AVX pmul*, pmadd*, mulss/mulps..., fused multiply-adds). */
function multiplies(obj) {
  const text = execFileSync('objdump', ['-d', '--no-show-raw-insn', obj], { encoding: 'utf8', maxBuffer: 256 << 20 });
  return text.split('\n').filter((l) => /^\s+[0-9a-f]+:\t(\S+)/.test(l) && /mul|madd|msub/.test(/\t(\S+)/.exec(l)[1])).length;
}

const argmax = (v) => v.reduce((b, x, i) => (x > v[b] ? i : b), 0);
const rows = [];
const lines = [];
const log = (s) => { console.log(s); lines.push(s); };
log('# shiftaddc C backend vs peers on the host: Ir (instructions) per inference, valgrind --tool=callgrind with');
log('#   --toggle-collect=<run function> so only the inference is counted; one inference on examples/data/sample.npy');
log(`# ${first('gcc', ['--version'])}, ${CFLAGS.join(' ')}, ${os.arch()}; ${first('valgrind', ['--version'])}; calib-256`);
log('# ours = compile(g, {calibration, terms/avgTerms}) + emitC; int8 MAC = bench/peers/int8-mac-c.mjs (same activation');
log('#   fracs, per-channel power-of-two int8 weights, int32 *); float = bench/peers/float-c.mjs (naive loops)');
log('# Ir/MAC uses the float model MACs of examples/models.json; mul = multiply instructions in the object (objdump -d)');
log('');
for (const name of models) {
  const g = loadModel(path.join(EX, `${name}.onnx`));
  const base = compile(g, { calibration: [calib], ...VARIANTS[0].opts });
  const inFrac = base.graph.values[base.graph.inputs[0]].quant.frac;
  const q8 = quantizeInput(one, inFrac, 8).data;
  const nOut = base.graph.values[base.graph.outputs[0]].type.shape.reduce((a, b) => a * b, 1);
  const dir = (k) => path.join(work, name, k);
  const row = (variant, ir, mul, check) => {
    rows.push({ name, variant, ir, mul, check });
    if (/MISMATCH|WRONG|DIFFERS/.test(check) || (variant.startsWith('ours') && mul > 0)) process.exitCode = 1; // a sanity check failed
  };

  const want = runFloat(g, [one])[0].data;
  const fb = build(dir('float'), { 'model.c': floatC(base.floatGraph, name), 'main.c': mainC(`int ${name}_run(const float *, float *);`, `${name}_run`, 'float', 'float', one.data, nOut) });
  const f = callgrind(fb.bin, `${name}_run`);
  const fErr = Math.max(...f.values.map((v, i) => Math.abs(v - want[i])));
  row('float C', f.ir, multiplies(fb.obj), `max |out - runFloat| ${fErr.toExponential(1)}${fErr <= 1e-3 ? '' : ' > 1e-3: WRONG'}`);

  const outT = base.graph.values[base.graph.outputs[0]].type.dtype === 'int16' ? 'int16_t' : 'int8_t';
  const ib = build(dir('int8'), { 'model.c': int8MacC(base.graph, base.floatGraph, name), 'main.c': mainC(`int ${name}_run(const int8_t *, ${outT} *);`, `${name}_run`, 'int8_t', outT, q8, nOut) });
  const i8 = callgrind(ib.bin, `${name}_run`);
  const ours0 = Array.from(runInteger(base.graph, [quantizeInput(one, inFrac, 8)])[0].data);
  row('int8 MAC C', i8.ir, multiplies(ib.obj), `top-1 ${argmax(i8.values)} (ours ${argmax(ours0)}, float ${argmax(Array.from(want))})${argmax(i8.values) === argmax(ours0) ? '' : ' MISMATCH'}`);

  const compiled = new Map([[K2, base]]);
  for (const v of VARIANTS) {
    if (!compiled.has(v.opts)) compiled.set(v.opts, compile(g, { calibration: [calib], ...v.opts }));
    const res = compiled.get(v.opts);
    const c = emitC(res.graph, { name, ...(v.weights ? { weights: v.weights } : {}) });
    const m = /int \w+_run\(const (\w+) \*in, (\w+) \*out\)/.exec(c.header);
    const q = quantizeInput(one, res.graph.values[res.graph.inputs[0]].quant.frac, m[1] === 'int16_t' ? 16 : 8);
    const ob = build(dir(v.label), { [`${name}.h`]: c.header, 'model.c': c.source, 'main.c': mainC(`#include "${name}.h"`, `${name}_run`, m[1], m[2], q.data, nOut) });
    const o = callgrind(ob.bin, `${name}_run`);
    const spec = runInteger(res.graph, [q])[0].data;
    const exact = o.values.every((x, i) => x === Number(spec[i]));
    row(`ours ${v.label}`, o.ir, multiplies(ob.obj), `output ${exact ? 'equals' : 'DIFFERS FROM'} runInteger; top-1 ${argmax(o.values)}`);
  }
  const mine = rows.filter((r) => r.name === name);
  const [fl, i8r] = [mine[0].ir, mine[1].ir];
  const cols = (r) => [r.name.padEnd(8), r.variant.padEnd(14), r.ir.toLocaleString('en-US').padStart(12), (r.ir / macs[name]).toFixed(1).padStart(7),
    r.variant.startsWith('ours') ? `${(r.ir / i8r).toFixed(2)}x`.padStart(8) : '-'.padStart(8), r.variant.startsWith('ours') ? `${(r.ir / fl).toFixed(2)}x`.padStart(7) : '-'.padStart(7), String(r.mul).padStart(5), r.check];
  if (name === models[0]) log(['model'.padEnd(8), 'build'.padEnd(14), 'Ir/inference'.padStart(12), 'Ir/MAC'.padStart(7), '/int8MAC'.padStart(8), '/float'.padStart(7), 'mul'.padStart(5), 'check'].join('  '));
  for (const r of mine) log(cols(r).join('  '));
}
fs.rmSync(work, { recursive: true, force: true });
const dest = path.join(ROOT, 'bench/results/callgrind.txt');
fs.writeFileSync(dest, `${lines.join('\n')}\n`);
console.log(`-> ${path.relative(ROOT, dest)}`);
