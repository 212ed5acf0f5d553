// Our C against a TFLite-style int8 CMSIS-NN build of each example: QEMU instructions, flash, RAM, stack, top-1.
//   node bench/mcu-vs-cmsis.mjs [model...]   (after `npm run build`; writes bench/results/mcu-vs-cmsis.txt, or $OUT)
// Cortex-M0 (mps2-an385) and Cortex-M4 (mps2-an386, CMSIS-NN's DSP/SMLAD paths on) at -O2 and -Os; counted as in
// mcu-cycles.mjs. Flash = .text + .ARM.exidx + .data, RAM = .data + .bss, both minus an empty-model harness built
// the same way; stack = painted high-water mark of a run. Top-1 on the 10,000 Fashion-MNIST test images
// (/usr/share/datasets/fashion-mnist, x = pixel / 255) when present, else examples/data/test-images-16.npy.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { loadModel, readInputFile, runFloat } from '../dist/api.js';
import { C_DEFAULT_AVG_TERMS } from '../dist/backends/c/backend.js';
import { emitC } from '../dist/backends/c/emit.js';
import { compile } from '../dist/compile.js';
import { quantizeInput, runInteger } from '../dist/ir/interp-int.js';
import { readNpy } from '../dist/io/npy.js';
import { inputHeader, ioTypes } from '../examples/mcu/input-header.mjs';
import { cmsisDir, cmsisLib } from './peers/cmsis-build.mjs';
import { hostTop1 } from './peers/cmsis-host.mjs';
import { cmsisNnC, peerInput } from './peers/cmsis-nn.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
const EX = path.join(ROOT, 'examples');
const MCU = path.join(EX, 'mcu');
const models = process.argv.slice(2).length ? process.argv.slice(2) : ['lenet', 'resnet', 'dwsep', 'squeeze'];
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'shiftaddc-vs-cmsis-'));
const ins = (ticks) => (ticks * 40) / 256;
const read = (f) => readNpy(readInputFile(path.join(EX, 'data', f)), f);
const calib = read('calib-256.npy');
const sample = read('sample.npy');

/** Test images and labels: the 10k set if installed, else the 16 in examples/data. */
function testSet() {
  const dir = '/usr/share/datasets/fashion-mnist';
  if (fs.existsSync(path.join(dir, 't10k-images-idx3-ubyte.gz'))) {
    const img = zlib.gunzipSync(fs.readFileSync(path.join(dir, 't10k-images-idx3-ubyte.gz'))).subarray(16);
    const lab = zlib.gunzipSync(fs.readFileSync(path.join(dir, 't10k-labels-idx1-ubyte.gz'))).subarray(8);
    return { x: { dtype: 'float32', shape: [lab.length, 1, 28, 28], data: Float32Array.from(img, (p) => p / 255) }, y: Uint8Array.from(lab), src: '10,000 test images' };
  }
  const x = read('test-images-16.npy');
  return { x, y: Uint8Array.from(read('test-labels-16.npy').data, Number), src: '16 test images (examples/data)' };
}
const test = testSet();
const N = test.y.length;
const per = test.x.data.length / N;
const argmax = (d, off, k) => { let b = 0; for (let j = 1; j < k; j++) if (d[off + j] > d[off + b]) b = j; return b; };
const acc = (pred) => pred.reduce((s, p, i) => s + (p === test.y[i] ? 1 : 0), 0) / N;
const agree = (a, b) => a.reduce((s, p, i) => s + (p === b[i] ? 1 : 0), 0) / N;

function sizes(elf) {
  const t = execFileSync('arm-none-eabi-size', ['-A', elf], { encoding: 'utf8' });
  const sec = (n) => Number(new RegExp(`^\\${n}\\s+(\\d+)`, 'm').exec(t)?.[1] ?? 0);
  return { flash: sec('.text') + sec('.ARM.exidx') + sec('.data'), ram: sec('.data') + sec('.bss') };
}

function qemu(board, elf) {
  const r = spawnSync('qemu-system-arm', ['-M', board, '-icount', 'shift=8,sleep=off', '-nographic', '-monitor', 'none', '-serial', 'none',
    '-semihosting-config', 'enable=on,target=native', '-kernel', elf], { encoding: 'utf8', timeout: 600_000 });
  const text = r.stdout + r.stderr;
  if (r.status !== 0) throw new Error(`${board}: qemu status ${r.status}\n${text}`);
  const hex = (k) => { const m = new RegExp(`^${k}: ([0-9a-f]{8})$`, 'm').exec(text); return m ? parseInt(m[1], 16) : undefined; };
  const out = /out:([\s0-9a-f]*)\ntop1/.exec(text)?.[1].trim().split(/\s+/).join('') ?? '';
  return { out, top1: hex('top1'), stack: hex('stack'), insn: Math.round(ins(hex('run')) - ins(hex('empty'))) };
}

function build(gen, name, t, lib = '') {
  const out = path.join(gen, `build-${t.tag}`);
  const r = spawnSync('make', ['-s', '-C', MCU, `BOARD=${t.board}`, `NAME=${name}`, `GEN=${gen}`, `OUT=${out}`, '-B',
    `EXTRA=-DMCU_BENCH -I${path.join(cmsisDir(), 'Include')}`, `CPU=${t.cpu}`, `OPT=${t.opt}`, `LIBS_EXTRA=${lib}`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`make ${name} ${t.tag} failed:\n${r.stderr}`);
  const elf = path.join(out, 'app.elf');
  return { ...sizes(elf), ...qemu(t.board, elf) };
}

function genDir(label, name, header, source, inT, outT, input) {
  const gen = path.join(work, label);
  fs.mkdirSync(gen, { recursive: true });
  fs.writeFileSync(path.join(gen, `${name}.h`), header);
  fs.writeFileSync(path.join(gen, `${name}.c`), source);
  fs.writeFileSync(path.join(gen, 'input.h'), inputHeader(name, inT, outT, input));
  return gen;
}
const peerHeader = (name, inLen, outLen, t = 'int8_t') => `#include <stdint.h>\n#define ${name.toUpperCase()}_INPUT_SIZE ${inLen}\n#define ${name.toUpperCase()}_OUTPUT_SIZE ${outLen}\nint ${name}_run(const ${t} *in, ${t} *out);\n`;
const empty = genDir('empty', 'empty', peerHeader('empty', 1, 1), '#include <stdint.h>\nint empty_run(const int8_t *in, int8_t *out) { out[0] = in[0]; return 0; }\n', 'int8_t', 'int8_t', [0]);

const M0 = '-mcpu=cortex-m0 -mthumb', M4 = '-mcpu=cortex-m4 -mthumb';
const targets = [['m0', M0, 'mps2-an385'], ['m4', M4, 'mps2-an386']].flatMap(([c, cpu, board]) => ['-O2', '-Os'].map((opt) => ({ tag: `${c}${opt}`, cpu, board, opt })));
const libs = Object.fromEntries(targets.map((t) => [t.tag, cmsisLib(work, t.tag, 'arm-none-eabi-gcc', [...t.cpu.split(' '), t.opt, '-ffreestanding'])]));
const base = Object.fromEntries(targets.map((t) => [t.tag, build(empty, 'empty', t)]));

const lines = [];
const log = (s) => { console.log(s); lines.push(s); };
const gcc = spawnSync('arm-none-eabi-gcc', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0];
log(`# shiftaddc C vs a TFLite-style int8 CMSIS-NN build (bench/peers/cmsis-nn.mjs; CMSIS-NN from ${path.relative(ROOT, cmsisDir())}), calib-256, ${gcc}`);
log('# insn: QEMU -icount instructions per inference (mps2-an385 for Cortex-M0 code, mps2-an386 for Cortex-M4 code, CMSIS-NN DSP paths on M4)');
log('# flash = .text+.ARM.exidx+.data, RAM = .data+.bss, both minus an empty-model harness; stack = painted high-water of a run');
log(`# top-1 on ${test.src} (host gcc -O2 build for CMSIS-NN, runInteger for ours = their C bit for bit); agree = same class as the float model`);
log('');
const rows = {};
for (const name of models) {
  const onnx = loadModel(path.join(EX, `${name}.onnx`));
  const ref = runFloat(onnx, [test.x])[0];
  const K = ref.data.length / N;
  const floatPred = Array.from({ length: N }, (_, i) => argmax(ref.data, i * K, K));
  log(`${name}: float top-1 ${(100 * acc(floatPred)).toFixed(2)}%`);
  const variants = [];
  let fg;
  // `compile --target c` defaults: --terms 2 with the C backend's --avg-terms (C_DEFAULT_AVG_TERMS), --weights auto.
  for (const [label, opts] of [['ours default', { terms: 2, avgTerms: C_DEFAULT_AVG_TERMS }], ['ours --terms 1', { terms: 1 }]]) {
    const { graph, floatGraph } = compile(onnx, { calibration: [calib], ...opts });
    fg = floatGraph;
    const c = emitC(graph, { name });
    const { inT, outT } = ioTypes(c.header);
    const frac = graph.values[graph.inputs[0]].quant?.frac ?? 0;
    const bits = inT === 'int16_t' ? 16 : 8;
    const q = quantizeInput(sample, frac, bits);
    const y = runInteger(graph, [q])[0];
    const want = Buffer.from(y.data.buffer, y.data.byteOffset, y.data.byteLength).toString('hex');
    const yt = runInteger(graph, [quantizeInput(test.x, frac, bits)])[0];
    const pred = Array.from({ length: N }, (_, i) => argmax(yt.data, i * (yt.data.length / N), yt.data.length / N));
    variants.push({ label, gen: genDir(`${name}-${label.replace(/\W+/g, '')}`, name, c.header, c.source, inT, outT, q.data), want, pred });
  }
  const P = cmsisNnC(fg, calib, name);
  const xs = Array.from({ length: N }, (_, i) => peerInput(test.x.data.subarray(i * per, (i + 1) * per), test.x.shape, P.inQuant));
  const peerPred = Array.from(hostTop1(work, name, P.source, xs, P.inLen, P.outLen));
  const pIn = peerInput(sample.data, sample.shape, P.inQuant);
  variants.unshift({ label: 'cmsis-nn int8', gen: genDir(`${name}-cmsis`, name, peerHeader(name, P.inLen, P.outLen), P.source, 'int8_t', 'int8_t', pIn), pred: peerPred, lib: true });
  rows[name] = {};
  for (const v of variants) {
    log(`  ${v.label.padEnd(15)} top-1 ${(100 * acc(v.pred)).toFixed(2)}%, agree ${(100 * agree(v.pred, floatPred)).toFixed(2)}%`);
    for (const t of targets) {
      const r = build(v.gen, name, t, v.lib ? libs[t.tag] : '');
      const flash = r.flash - base[t.tag].flash, ram = r.ram - base[t.tag].ram;
      (rows[name][t.tag] ??= {})[v.label] = { insn: r.insn, flash, ram, stack: r.stack };
      const check = v.want ? (r.out === v.want ? 'matches runInteger' : 'DIFFERS FROM runInteger') : `top-1 ${r.top1}`;
      log(`    ${t.tag.padEnd(6)} ${r.insn.toLocaleString('en-US').padStart(12)} insn  flash ${String(flash).padStart(7)} B  RAM ${String(ram).padStart(6)} B + stack ${String(r.stack).padStart(4)} B  (${check})`);
    }
  }
}
log('');
log('# ratios to CMSIS-NN on the same target; RAM includes the measured stack. Targets (Cortex-M0): default <= 0.7x insn, <= 1.0x flash, <= 1.0x RAM; --terms 1 <= 0.5x insn, <= 0.8x flash');
for (const [name, byT] of Object.entries(rows)) for (const [tag, r] of Object.entries(byT)) {
  const p = r['cmsis-nn int8'];
  const ratio = (v) => `insn ${(v.insn / p.insn).toFixed(2)}x flash ${(v.flash / p.flash).toFixed(2)}x RAM ${((v.ram + v.stack) / (p.ram + p.stack)).toFixed(2)}x`;
  const d = r['ours default'], t1 = r['ours --terms 1'];
  const met = tag.startsWith('m0') ? `  default ${d.insn <= 0.7 * p.insn && d.flash <= p.flash && d.ram + d.stack <= p.ram + p.stack ? 'MET' : 'not met'}, terms 1 ${t1.insn <= 0.5 * p.insn && t1.flash <= 0.8 * p.flash ? 'MET' : 'not met'}` : '';
  log(`${name} ${tag.padEnd(6)} default: ${ratio(d)}; --terms 1: ${ratio(t1)}${met}`);
}
fs.rmSync(work, { recursive: true, force: true });
const dest = process.env.OUT ? path.resolve(process.env.OUT) : path.join(ROOT, 'bench/results/mcu-vs-cmsis.txt');
fs.writeFileSync(dest, `${lines.join('\n')}\n`);
console.log(`-> ${path.relative(ROOT, dest)}`);
